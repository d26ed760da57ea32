"""Input checks shared by the estimators (private).

Each check raises ``ValueError`` naming the column and the problem, so a
reader who passes the wrong column learns which one and why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def require_frame(df: object) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"df must be a pandas DataFrame, got {type(df).__name__}"
        )
    if len(df) == 0:
        raise ValueError("df has no rows")
    return df


def require_columns(df: pd.DataFrame, **roles: str) -> None:
    """Check that each named column exists; ``roles`` maps role -> column."""
    for role, column in roles.items():
        if not isinstance(column, str):
            raise TypeError(
                f"{role} must be a column name (str), got {column!r}"
            )
        if column not in df.columns:
            available = ", ".join(map(str, df.columns[:10]))
            raise ValueError(
                f"{role} column {column!r} not found in df; "
                f"available columns: {available}"
            )


def numeric_column(df: pd.DataFrame, column: str, role: str) -> np.ndarray:
    """Return the column as a float array; reject non-numbers and NaN."""
    series = df[column]
    if not (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_bool_dtype(series)
    ):
        raise ValueError(
            f"{role} column {column!r} must be numeric, got dtype "
            f"{series.dtype}"
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(values).any():
        n_missing = int(np.isnan(values).sum())
        raise ValueError(
            f"{role} column {column!r} has {n_missing} missing (NaN) "
            f"value(s); drop or impute them first"
        )
    return values


def binary_column(df: pd.DataFrame, column: str, role: str) -> np.ndarray:
    """Return a 0/1 column as an integer array; reject anything else."""
    values = numeric_column(df, column, role)
    bad = (values != 0) & (values != 1)
    if bad.any():
        examples = np.unique(values[bad])[:5].tolist()
        raise ValueError(
            f"{role} column {column!r} must be 0/1; found other values "
            f"such as {examples}"
        )
    return values.astype(np.intp)


def check_arms(counts: np.ndarray, column: str, minimum: int = 1) -> None:
    """Both arms must hold at least ``minimum`` units."""
    for arm, name in ((1, "treated (1)"), (0, "control (0)")):
        if counts[arm] < minimum:
            raise ValueError(
                f"treatment column {column!r} has {int(counts[arm])} "
                f"{name} unit(s); at least {minimum} needed in each arm"
            )


def check_alpha(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(
            f"alpha must lie strictly between 0 and 1, got {alpha}"
        )
    return float(alpha)
