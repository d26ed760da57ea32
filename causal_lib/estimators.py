r"""Estimators of average treatment effects.

Each takes the DataFrame first and column names as keyword-only
arguments, leaves its input untouched, and returns an
:class:`~causal_lib.estimate.EffectEstimate`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate

# Rows handled per step when accumulating moments: small enough to stay in
# the CPU cache, so ten million rows cost about one pass over memory.
_CHUNK = 8192


def _treatment_array(df: pd.DataFrame, treatment: str) -> np.ndarray:
    """The treatment column as a 0/1 array (fast path for integer dtypes)."""
    values = df[treatment].to_numpy()
    if values.dtype.kind == "b":
        return values
    if values.dtype.kind in "iu" and len(values):
        if values.min() >= 0 and values.max() <= 1:
            return values
    return _checks.binary_column(df, treatment, "treatment")


def _arm_moments(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    r"""Counts, means and unbiased variances of ``y`` in arms 0 and 1.

    Sums are taken around a pilot centre :math:`c` (the mean of the first
    rows) so that :math:`\sum (y - c)^2 - n(\bar y - c)^2` does not lose
    precision when the outcome's mean is large relative to its spread.
    """
    centre = float(np.mean(y[:1000]))
    total = np.zeros(5)
    # NaN or inf in y make the totals non-finite; the caller checks that
    # once instead of scanning y for them up front.
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, len(y), _CHUNK):
            arm = t[start:start + _CHUNK].astype(np.float64)
            z = y[start:start + _CHUNK] - centre
            z2 = z * z
            total += (arm.sum(), z.sum(), arm @ z, z2.sum(), arm @ z2)
    n1, s_all, s1, q_all, q1 = total
    counts = np.array([len(y) - n1, n1])
    sums = np.array([s_all - s1, s1])
    squares = np.array([q_all - q1, q1])
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / counts
        variances = (squares - sums * means) / (counts - 1)
    return counts, centre + means, np.maximum(variances, 0.0), total


def difference_in_means(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Difference in means with Neyman's (unpooled) standard error.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        Column holding 0 (control) or 1 (treated).
    outcome : str
        Numeric outcome column.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"ATE"``.

    Raises
    ------
    ValueError
        If a column is missing, the treatment is not 0/1, a used column
        holds NaN or infinite values, or an arm has fewer than two units.

    Notes
    -----
    With :math:`n_1` treated and :math:`n_0` control units,

    .. math::

        \hat\tau = \bar Y_1 - \bar Y_0, \qquad
        \widehat{\mathrm{se}}(\hat\tau) =
        \sqrt{\frac{s_1^2}{n_1} + \frac{s_0^2}{n_0}},

    where :math:`s_a^2` is the sample variance (divisor :math:`n_a - 1`) in
    arm :math:`a`. Under random assignment :math:`\hat\tau` is unbiased for
    the average treatment effect; Neyman's variance is conservative for the
    sample ATE and consistent for the population ATE. It equals the HC2
    robust standard error of the coefficient on the treatment in the OLS
    regression of the outcome on an intercept and the treatment. The
    interval is :math:`\hat\tau \pm z_{1-\alpha/2}\,\widehat{\mathrm{se}}`.

    References
    ----------
    Imbens, G. W. and Rubin, D. B. (2015). *Causal Inference for
    Statistics, Social, and Biomedical Sciences*, chapter 6.

    See chapter 3 of the book.

    Examples
    --------
    >>> df = pd.DataFrame({"shown": [1, 1, 1, 0, 0, 0],
    ...                    "spend": [3.0, 5.0, 7.0, 1.0, 2.0, 3.0]})
    >>> est = difference_in_means(df, treatment="shown", outcome="spend")
    >>> est.estimate
    3.0
    >>> round(est.std_error, 4)  # sqrt(4/3 + 1/3)
    1.291
    """
    _checks.require_frame(df)
    _checks.require_columns(df, treatment=treatment, outcome=outcome)
    alpha = _checks.check_alpha(alpha)
    t = _treatment_array(df, treatment)
    y = df[outcome].to_numpy()
    if y.dtype.kind not in "fiub":
        y = _checks.numeric_column(df, outcome, "outcome")
    y = y.astype(np.float64, copy=False)
    counts, means, variances, total = _arm_moments(t, y)
    if not np.isfinite(total).all():
        _checks.numeric_column(df, outcome, "outcome")  # names the NaN
        raise ValueError(
            f"outcome column {outcome!r} holds infinite values"
        )
    _checks.check_arms(counts, treatment, minimum=2)
    estimate = means[1] - means[0]
    std_error = np.sqrt(variances[1] / counts[1] + variances[0] / counts[0])
    return EffectEstimate.from_normal(
        "ATE",
        estimate,
        std_error,
        n=len(y),
        n_treated=int(counts[1]),
        method="difference in means (Neyman SE)",
        alpha=alpha,
    )
