"""Covariate design matrices from a list of columns or a formula (private).

Every estimator that adjusts for covariates accepts either a list of column
names or a formula right-hand side in patsy syntax (the engine statsmodels
uses), such as ``"C(region) + age + I(age**2)"``. This module turns either
into a numeric matrix and turns patsy's errors into ``ValueError``s that
name the column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy

# Formulas see numpy as ``np`` (``np.log(x)``) and nothing of the caller's
# namespace, so a formula means the same wherever it is evaluated.
_ENV = patsy.EvalEnvironment([{"np": np}])


def covariate_matrix(
    df: pd.DataFrame, covariates, *, intercept: bool = True
) -> pd.DataFrame:
    """Numeric design matrix, one row per row of ``df`` (same index).

    Lists of columns keep numeric columns as they are and expand
    categorical or string columns into 0/1 indicators, dropping the first
    level. A string is read as a formula right-hand side.
    """
    if isinstance(covariates, str):
        matrix = _from_formula(df, covariates)
        if not intercept and "Intercept" in matrix.columns:
            matrix = matrix.drop(columns="Intercept")
        return matrix
    if covariates is None or isinstance(covariates, (bytes, dict)):
        raise TypeError(
            "covariates must be a list of column names or a formula string"
        )
    columns = list(covariates)
    if not columns:
        raise ValueError("covariates is empty; give at least one column")
    parts = [pd.DataFrame({"Intercept": 1.0}, index=df.index)] if \
        intercept else []
    for column in columns:
        if not isinstance(column, str) or column not in df.columns:
            raise ValueError(
                f"covariate column {column!r} not found in df"
            )
        series = df[column]
        if series.isna().any():
            raise ValueError(
                f"covariate column {column!r} has {int(series.isna().sum())}"
                " missing (NaN) value(s); drop or impute them first"
            )
        if pd.api.types.is_bool_dtype(series) or \
                pd.api.types.is_numeric_dtype(series):
            parts.append(series.astype(float).to_frame(column))
        else:
            dummies = pd.get_dummies(
                series.astype("category"), prefix=column, prefix_sep="[T.",
                drop_first=True, dtype=float,
            )
            parts.append(dummies.rename(columns=lambda c: c + "]"))
    return pd.concat(parts, axis=1)


def _from_formula(df: pd.DataFrame, formula: str) -> pd.DataFrame:
    if "~" in formula:
        raise ValueError(
            f"covariates formula {formula!r} must be a right-hand side only "
            "(no '~'), e.g. 'C(region) + age'"
        )
    try:
        matrix = patsy.dmatrix(
            formula, df, NA_action="raise", eval_env=_ENV,
            return_type="dataframe",
        )
    except patsy.PatsyError as error:
        message = str(error.args[0]) if error.args else str(error)
        origin = getattr(error, "origin", None)
        term = origin.code[origin.start:origin.end] if origin else formula
        if "missing values" in message:
            raise ValueError(
                f"covariate column {term!r} has missing (NaN) values; drop "
                "or impute them first"
            ) from None
        if "NameError" in message:
            name = message.split("name '")[-1].split("'")[0]
            raise ValueError(
                f"covariate column {name!r} not found in df"
            ) from None
        raise ValueError(
            f"covariates formula {formula!r} could not be evaluated: "
            f"{message}"
        ) from None
    matrix.index = df.index
    return matrix
