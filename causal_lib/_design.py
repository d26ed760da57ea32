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

from causal_lib import _checks



def _categorical(data, contrast=None, levels=None):
    """patsy's ``C()``; a pandas categorical with no contrast and no
    levels given passes through as it is, which patsy reads as the same
    categorical factor (same levels, same column names). Speed: inside
    ``C()`` patsy looks every value up in Python, but it takes a bare
    categorical's codes as they are: 26x faster designs at 10**6 rows
    (bench/bench_design.py), 17x in chapter 5's."""
    if contrast is None and levels is None and \
            isinstance(getattr(data, "dtype", None), pd.CategoricalDtype):
        return data
    return patsy.builtins.C(data, contrast, levels)


# Formulas see numpy as ``np`` (``np.log(x)``) and nothing of the caller's
# namespace, so a formula means the same wherever it is evaluated.
_ENV = patsy.EvalEnvironment([{"np": np, "C": _categorical}])


def covariate_matrix(
    df: pd.DataFrame, covariates, *, intercept: bool = True
) -> pd.DataFrame:
    """Numeric design matrix, one row per row of ``df`` (same index).

    Lists of columns keep numeric columns as they are and expand
    categorical or string columns into 0/1 indicators, dropping the first
    level. A string is read as a formula right-hand side. Dates and
    durations are refused (convert them to numbers first), object columns
    holding numbers are read as numbers, and a categorical column with
    more than ``n / 2`` levels (an identifier, or numbers stored as text)
    is refused.
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
        if not isinstance(column, str):
            raise TypeError(
                f"covariate column names must be strings, got {column!r}; "
                "rename integer columns first, e.g. "
                "df.columns = df.columns.astype(str)"
            )
        if column not in df.columns:
            raise ValueError(
                f"covariate column {column!r} not found in df"
            )
        _checks.no_missing(df[column], f"covariate column {column!r}")
        series = _prepared_column(df[column], column)
        if pd.api.types.is_float_dtype(series):
            parts.append(series.to_frame(column))
        else:
            dummies = pd.get_dummies(
                series.astype("category"), prefix=column, prefix_sep="[T.",
                drop_first=True, dtype=float,
            )
            parts.append(dummies.rename(columns=lambda c: c + "]"))
    return pd.concat(parts, axis=1)


def _prepared_column(series: pd.Series, column: str) -> pd.Series:
    """Numbers as floats (NaN for missing), other values as categories
    checked for their number of levels; dates and durations refused."""
    if pd.api.types.is_datetime64_any_dtype(series) or \
            pd.api.types.is_timedelta64_dtype(series) or \
            isinstance(series.dtype, pd.PeriodDtype):
        raise ValueError(
            f"covariate column {column!r} holds dates or durations (dtype "
            f"{series.dtype}); convert it to a number first, e.g. days "
            f"since a start date: (df[{column!r}] - df[{column!r}].min())"
            ".dt.days"
        )
    if series.dtype == object:
        try:
            series = pd.to_numeric(series)
        except (TypeError, ValueError):
            pass
    if pd.api.types.is_bool_dtype(series) or \
            pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(values, index=series.index, name=series.name)
    n_levels = series.nunique()
    if n_levels > len(series) / 2:
        raise ValueError(
            f"covariate column {column!r} is categorical with {n_levels} "
            f"levels for {len(series)} rows: an identifier, or numbers "
            "stored as text? Convert it to numbers or drop it"
        )
    # Text as a pandas categorical (sorted levels, missing values as
    # code -1, which patsy recognises); see _categorical for why.
    return series.astype("category")


def _formula_data(df: pd.DataFrame, formula: str) -> pd.DataFrame:
    """The columns a formula uses, as numpy-backed data patsy reads."""
    names = _checks.covariate_names(formula, df.columns)
    return pd.DataFrame(
        {name: _prepared_column(df[name], name) for name in names},
        index=df.index,
    )


def _from_formula(df: pd.DataFrame, formula: str) -> pd.DataFrame:
    if "~" in formula:
        raise ValueError(
            f"covariates formula {formula!r} must be a right-hand side only "
            "(no '~'), e.g. 'C(region) + age'"
        )
    data = _formula_data(df, formula)
    try:
        # A transform such as np.log(0) gives -inf, which check_design
        # rejects by name; numpy's RuntimeWarning must not come first.
        with np.errstate(all="ignore"):
            matrix = patsy.dmatrix(
                formula, data, NA_action="raise", eval_env=_ENV,
                return_type="dataframe",
            )
    except patsy.PatsyError as error:
        raise _formula_error(formula, error) from None
    except TypeError as error:
        raise ValueError(
            f"covariates formula {formula!r} could not be evaluated: "
            f"{error}"
        ) from None
    matrix.index = df.index
    return matrix


def _formula_error(formula: str, error) -> ValueError:
    """A patsy error as a ValueError naming the column or term."""
    message = str(error.args[0]) if error.args else str(error)
    origin = getattr(error, "origin", None)
    term = origin.code[origin.start:origin.end] if origin else formula
    if "missing values" in message:
        return ValueError(
            f"covariate column {term!r} has missing (NaN) values; drop "
            "or impute them first"
        )
    if "NameError" in message:
        name = message.split("name '")[-1].split("'")[0]
        return ValueError(f"covariate column {name!r} not found in df")
    return ValueError(
        f"covariates formula {formula!r} could not be evaluated: {message}"
    )


def check_design(matrix: pd.DataFrame, covariates) -> np.ndarray:
    """The design as a float array, free of inf, constant and collinear
    columns; each problem names the column(s) and says what to do."""
    values = matrix.to_numpy(dtype=np.float64)
    _checks.finite_columns(values, matrix.columns)
    spread = values.max(axis=0) - values.min(axis=0)
    for name, width in zip(matrix.columns, spread):
        if width == 0 and name != "Intercept":
            raise ValueError(
                f"covariate column {name!r} is constant; a constant "
                "cannot adjust for anything, drop it"
            )
    _check_rank(values, matrix.columns)
    return values


def check_arm_designs(matrix: pd.DataFrame, t: np.ndarray) -> None:
    """Each arm's rows must support their own OLS fit (as in
    regression adjustment): more units than coefficients, and no column
    constant or collinear among that arm's units alone."""
    for arm, name in ((1, "treated (1)"), (0, "control (0)")):
        rows = t == arm
        n_arm, k = int(rows.sum()), matrix.shape[1]
        if n_arm <= k:
            raise ValueError(
                f"the {name} arm has {n_arm} unit(s) but its outcome model "
                f"has {k} coefficients (intercept and covariates); each arm "
                f"needs more than {k} units: use fewer covariates"
            )
        try:
            check_design(matrix[rows], "the arm's rows")
        except ValueError as error:
            raise ValueError(
                f"among the {name} units, {error} (each arm's outcome "
                "model is fitted on that arm alone)"
            ) from None


def _check_rank(values: np.ndarray, names) -> None:
    """Name a column that is a linear combination of the others."""
    import scipy.linalg

    if values.shape[1] == 0:
        return
    # Scale so the rank decision does not depend on the columns' units.
    scaled = values / np.maximum(np.abs(values).max(axis=0), 1e-300)
    _, r, pivots = scipy.linalg.qr(scaled, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    tol = diag.max() * max(scaled.shape) * np.finfo(float).eps * 10
    rank = int(np.sum(diag > tol))
    if rank < values.shape[1]:
        dependent = [str(names[i]) for i in pivots[rank:]]
        raise ValueError(
            f"covariate column(s) {', '.join(map(repr, dependent))} are "
            "collinear with the other covariates (a linear combination of "
            "them, e.g. a duplicate or every level of a category); drop "
            "them"
        )


def fit_logit(t: np.ndarray, X: pd.DataFrame):
    """Logistic regression of ``t`` on ``X`` with statsmodels (Newton).

    Returns the coefficients and the fitted probabilities. Perfect or
    quasi-complete separation, where some covariate pattern predicts the
    treatment exactly, gives fitted scores of 0 or 1 and no finite
    maximum-likelihood estimate: it raises ``ValueError`` naming the
    covariates instead of returning a confident wrong number.
    """
    import warnings

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        PerfectSeparationWarning,
    )

    values = X.to_numpy(dtype=np.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = sm.Logit(t, values).fit(method="newton", disp=0, maxiter=100)
        # Predict inside the recorder too: under separation the linear
        # predictor is huge and exp overflows; the ValueError below says
        # why, so the overflow must not escape as a RuntimeWarning first.
        e = fit.predict(values)
    kinds = {w.category for w in caught}
    separated = PerfectSeparationWarning in kinds or \
        ((e < 1e-10) | (e > 1 - 1e-10)).any()
    if separated:
        names = [str(c) for c in X.columns if c != "Intercept"]
        raise ValueError(
            "the propensity model shows perfect or quasi-complete "
            f"separation on covariates {names}: some units' treatment is "
            "predicted exactly, so their scores are 0 or 1 and no "
            "weighting can compare them. Restrict the population to where "
            "both arms occur, or coarsen the covariates."
        )
    for w in caught:
        if w.category is not ConvergenceWarning:
            warnings.warn_explicit(w.message, w.category, w.filename,
                                   w.lineno)
    if ConvergenceWarning in kinds:
        raise ValueError(
            "the propensity model (logistic regression) did not converge "
            "in 100 Newton steps; check the covariates for near-separation "
            "or extreme scales"
        )
    return fit.params, e
