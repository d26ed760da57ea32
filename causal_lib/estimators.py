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


# --- observational estimators ----------------------------------------------

#: Estimated propensities closer than this to 0 or 1 trigger a warning.
EXTREME_PROPENSITY = 0.01


class PositivityWarning(UserWarning):
    """Some units have estimated propensities very close to 0 or 1."""


def _prepare(df, treatment, outcome=None, **more_roles):
    """Validate the frame and columns; return treatment (and outcome)."""
    _checks.require_frame(df)
    roles = {"treatment": treatment}
    if outcome is not None:
        roles["outcome"] = outcome
    roles.update({k: v for k, v in more_roles.items() if v is not None})
    _checks.require_columns(df, **roles)
    t = _checks.binary_column(df, treatment, "treatment")
    _checks.check_arms(np.bincount(t, minlength=2), treatment, minimum=2)
    if outcome is None:
        return t
    return t, _checks.numeric_column(df, outcome, "outcome")


def _check_estimand(estimand: str, allowed=("ATE", "ATT", "ATC")) -> str:
    if estimand not in allowed:
        raise ValueError(
            f"estimand must be one of {', '.join(allowed)}; got {estimand!r}"
        )
    return estimand


def _fit_logit(t: np.ndarray, X: np.ndarray):
    import statsmodels.api as sm

    fit = sm.Logit(t, X).fit(method="newton", disp=0, maxiter=100)
    return fit.params, fit.predict(X)


def propensity_score(
    df: pd.DataFrame, *, treatment: str, covariates
) -> pd.Series:
    r"""Estimated propensity scores from a logistic regression.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        0/1 treatment column.
    covariates : list of str or str
        Column names, or a formula right-hand side such as
        ``"visits + I(visits**2) + C(platform)"``.

    Returns
    -------
    pandas.Series
        :math:`\hat e(x_i)`, named ``"propensity"``, with ``df``'s index.

    Notes
    -----
    Fits :math:`P(T = 1 \mid X = x) = 1 / (1 + e^{-x^\top\gamma})` by
    maximum likelihood with statsmodels (``Logit``, Newton's method), with
    an intercept. The propensity score is a balancing score: given
    :math:`e(X)`, treatment is independent of :math:`X`
    (Rosenbaum and Rubin, 1983).

    See chapter 5 of the book.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [0, 0, 1, 0, 1, 1, 0, 1],
    ...                    "x": [0., 1., 1., 2., 2., 3., 3., 4.]})
    >>> e = propensity_score(df, treatment="t", covariates=["x"])
    >>> bool(e.is_monotonic_increasing)
    True
    """
    from causal_lib._design import covariate_matrix

    t = _prepare(df, treatment)
    X = covariate_matrix(df, covariates)
    _, e = _fit_logit(t, X.to_numpy())
    return pd.Series(e, index=df.index, name="propensity")


def regression_adjustment(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    covariates,
    estimand: str = "ATE",
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Regression adjustment (g-computation) with one OLS model per arm.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment, outcome : str
        0/1 treatment column and numeric outcome column.
    covariates : list of str or str
        Column names or a formula right-hand side (patsy syntax).
    estimand : {"ATE", "ATT", "ATC"}
        Population over which predicted effects are averaged: everyone,
        the treated or the controls.
    alpha : float
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate

    Notes
    -----
    Fit :math:`\hat\mu_a(x) = x^\top\hat\beta_a` by OLS in each arm
    :math:`a \in \{0, 1\}` and average the predicted effect over the
    estimand's population :math:`P` (all units, the treated or the
    controls):

    .. math::

        \hat\tau = \frac{1}{|P|}\sum_{i \in P}
            \bigl(\hat\mu_1(x_i) - \hat\mu_0(x_i)\bigr)
          = \bar x_P^\top(\hat\beta_1 - \hat\beta_0).

    This equals the coefficient on :math:`T` in the fully interacted
    regression :math:`Y \sim T + (X - \bar x_P) + T (X - \bar x_P)` (Lin,
    2013), which is how it is computed, with statsmodels; the standard error
    is that coefficient's HC2 robust standard error. It treats
    :math:`\bar x_P` as fixed, so it is the standard error for the effect
    in this sample's covariate distribution. Identification needs
    unconfoundedness given :math:`X`, overlap, and outcome models linear in
    the covariates as given (add terms such as ``I(x**2)`` to relax it).

    References
    ----------
    Lin, W. (2013). Agnostic notes on regression adjustments to
    experimental data. *Annals of Applied Statistics* 7(1), 295--318.

    See chapters 3 and 5 of the book.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [0, 0, 0, 1, 1, 1],
    ...                    "x": [0., 1., 2., 1., 2., 3.],
    ...                    "y": [0., 1., 2., 3., 4., 5.]})
    >>> est = regression_adjustment(df, treatment="t", outcome="y",
    ...                             covariates=["x"])
    >>> round(est.estimate, 10)  # y = x in control, x + 2 if treated
    2.0
    """
    import statsmodels.api as sm

    from causal_lib._design import covariate_matrix

    _check_estimand(estimand)
    alpha = _checks.check_alpha(alpha)
    t, y = _prepare(df, treatment, outcome)
    X = covariate_matrix(df, covariates, intercept=False).to_numpy()
    population = {"ATE": np.ones_like(t, bool), "ATT": t == 1,
                  "ATC": t == 0}[estimand]
    centred = X - X[population].mean(axis=0)
    design = np.column_stack(
        [np.ones_like(y), t, centred, centred * t[:, None]]
    )
    fit = sm.OLS(y, design).fit(cov_type="HC2")
    return EffectEstimate.from_normal(
        estimand, fit.params[1], fit.bse[1], n=len(y),
        n_treated=int(t.sum()),
        method="regression adjustment (per-arm OLS, HC2 SE)", alpha=alpha,
    )


def _propensity_values(df, t, covariates, propensity):
    """Propensities and, when estimated here, the logit design and fit."""
    if (covariates is None) == (propensity is None):
        raise ValueError(
            "give exactly one of covariates= (to estimate the propensity "
            "score) or propensity= (a column of known scores)"
        )
    if propensity is not None:
        _checks.require_columns(df, propensity=propensity)
        e = _checks.numeric_column(df, propensity, "propensity")
        return e, None
    from causal_lib._design import covariate_matrix

    X = covariate_matrix(df, covariates).to_numpy()
    _, e = _fit_logit(t, X)
    return e, X


def _check_positivity(e, t, column, estimand):
    """Exact 0/1 propensities where divided are errors; near ones warn."""
    divides_by_e = estimand in ("ATE", "ATC")
    divides_by_1_minus_e = estimand in ("ATE", "ATT")
    if (e < 0).any() or (e > 1).any():
        raise ValueError(
            f"propensity column {column!r} has values outside [0, 1]"
        )
    if divides_by_e and (e[t == 1] <= 0).any():
        raise ValueError(
            f"propensity {column!r} is 0 for {int((e[t == 1] <= 0).sum())} "
            "treated unit(s); their weight 1/e is infinite"
        )
    if divides_by_1_minus_e and (e[t == 0] >= 1).any():
        raise ValueError(
            f"propensity {column!r} is 1 for {int((e[t == 0] >= 1).sum())} "
            "control unit(s); their weight 1/(1 - e) is infinite"
        )
    # Only units whose weight divides by a tiny number make weights
    # explode: treated units with e near 0, controls with e near 1.
    extreme = (divides_by_e & (t == 1) & (e < EXTREME_PROPENSITY)) | (
        divides_by_1_minus_e & (t == 0) & (e > 1 - EXTREME_PROPENSITY)
    )
    if extreme.any():
        import warnings

        warnings.warn(
            f"{int(extreme.sum())} unit(s) have propensity within "
            f"{EXTREME_PROPENSITY} of 0 or 1 where {estimand} weights divide"
            " by it: the estimate is unstable. Inspect overlap and consider "
            "trimming (causal_lib.trim_by_propensity) or another estimand.",
            PositivityWarning,
            stacklevel=3,
        )


# Weights w_a(e) of arm a and their derivatives dw_a/de, by estimand.
_WEIGHTS = {
    "ATE": ((lambda e: 1 / e, lambda e: -1 / e**2),
            (lambda e: 1 / (1 - e), lambda e: 1 / (1 - e) ** 2)),
    "ATT": ((lambda e: np.ones_like(e), lambda e: np.zeros_like(e)),
            (lambda e: e / (1 - e), lambda e: 1 / (1 - e) ** 2)),
    "ATC": ((lambda e: (1 - e) / e, lambda e: -1 / e**2),
            (lambda e: np.ones_like(e), lambda e: np.zeros_like(e))),
}


def ipw(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    covariates=None,
    propensity: str | None = None,
    estimand: str = "ATE",
    normalize: bool = True,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Inverse probability weighting (Hajek or Horvitz--Thompson).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment, outcome : str
        0/1 treatment column and numeric outcome column.
    covariates : list of str or str, optional
        Estimate the propensity score from these (logistic regression).
    propensity : str, optional
        Or use this column of known propensity scores (e.g. a logged
        recommendation policy). Give exactly one of the two.
    estimand : {"ATE", "ATT", "ATC"}
    normalize : bool, default True
        True: Hajek (weights normalised to sum to one in each arm).
        False: Horvitz--Thompson (divide by the number of units).
    alpha : float

    Returns
    -------
    EffectEstimate

    Raises
    ------
    ValueError
        For bad columns, or a propensity of exactly 0 (treated units) or 1
        (control units) where it is divided by.

    Warns
    -----
    PositivityWarning
        When some propensities lie within 0.01 of 0 or 1.

    Notes
    -----
    With weights :math:`w_1(e) = 1/e,\ w_0(e) = 1/(1-e)` (ATE),
    :math:`w_1 = 1,\ w_0 = e/(1-e)` (ATT) or
    :math:`w_1 = (1-e)/e,\ w_0 = 1` (ATC), the arm means are

    .. math::

        \hat\mu_1^{\mathrm{Hajek}} = \frac{\sum_i T_i w_1(e_i) Y_i}
                                         {\sum_i T_i w_1(e_i)}, \qquad
        \hat\mu_1^{\mathrm{HT}} = \frac{1}{N_P}\sum_i T_i w_1(e_i) Y_i,

    and likewise for arm 0 with :math:`1 - T_i`; :math:`N_P` is
    :math:`n`, :math:`n_1` or :math:`n_0` for the ATE, ATT or ATC, and
    :math:`\hat\tau = \hat\mu_1 - \hat\mu_0`. Hajek is invariant to adding
    a constant to :math:`Y`; Horvitz--Thompson is not, and is far more
    variable when weights are large.

    The standard error is analytic: the sandwich (M-estimation) variance of
    the stacked estimating equations. When the propensity is estimated,
    the logistic score equations are stacked too, so the uncertainty of
    :math:`\hat\gamma` is accounted for (Lunceford and Davidian, 2004);
    when it is given, it is treated as known. Identification needs
    unconfoundedness given :math:`X`, overlap (:math:`0 < e(x) < 1`) and a
    correctly specified propensity model.

    References
    ----------
    Horvitz, D. G. and Thompson, D. J. (1952). *JASA* 47(260), 663--685.
    Lunceford, J. K. and Davidian, M. (2004). *Statistics in Medicine*
    23(19), 2937--2960.

    See chapter 5 of the book.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 0, 1, 0], "y": [4., 1., 2., 3.],
    ...                    "e": [0.5, 0.5, 0.25, 0.75]})
    >>> ht = ipw(df, treatment="t", outcome="y", propensity="e",
    ...          normalize=False)
    >>> ht.estimate  # (4/.5 + 2/.25)/4 - (1/.5 + 3/.25)/4
    0.5
    """
    _check_estimand(estimand)
    alpha = _checks.check_alpha(alpha)
    t, y = _prepare(df, treatment, outcome)
    e, X = _propensity_values(df, t, covariates, propensity)
    _check_positivity(e, t, propensity or "estimated", estimand)
    n = len(y)
    phi = np.zeros(n)
    mus = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for arm, (w, dw) in zip((1, 0), _WEIGHTS[estimand]):
            ind = (t == arm).astype(float)
            weight = np.where(ind == 1, w(e), 0.0)
            dweight = np.where(ind == 1, dw(e), 0.0)
            if normalize:
                d, dd = weight, dweight
            else:
                d = {"ATE": np.ones(n), "ATT": t.astype(float),
                     "ATC": 1.0 - t}[estimand]
                dd = np.zeros(n)
            mu = np.sum(weight * y) / np.sum(d)
            psi = weight * y - mu * d
            if X is not None:
                # Correct for estimating gamma: psi depends on gamma only
                # through e, and de/dgamma = e (1 - e) x.
                grad = ((dweight * y - mu * dd) * e * (1 - e)) @ X / n
                hessian = -(X * (e * (1 - e))[:, None]).T @ X / n
                score = X * (t - e)[:, None]
                psi = psi - score @ np.linalg.solve(hessian, grad)
            sign = 1 if arm == 1 else -1
            phi += sign * psi / np.mean(d)
            mus.append(mu)
    estimate = mus[0] - mus[1]
    std_error = np.sqrt(np.mean(phi**2) / n)
    kind = "Hajek" if normalize else "Horvitz-Thompson"
    source = "estimated" if X is not None else "known"
    return EffectEstimate.from_normal(
        estimand, estimate, std_error, n=n, n_treated=int(t.sum()),
        method=f"IPW ({kind}, {source} propensity, sandwich SE)",
        alpha=alpha,
    )


def aipw(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    covariates,
    propensity_covariates=None,
    propensity: str | None = None,
    estimand: str = "ATE",
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Augmented IPW: the doubly robust estimator of the ATE or the ATT.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment, outcome : str
        0/1 treatment column and numeric outcome column.
    covariates : list of str or str
        Columns or formula right-hand side of the outcome models (OLS per
        arm), and of the propensity model unless one of the next two is
        given.
    propensity_covariates : list of str or str, optional
        A different specification for the logistic propensity model.
    propensity : str, optional
        A column of known propensity scores instead of a fitted model.
    estimand : {"ATE", "ATT"}
    alpha : float

    Returns
    -------
    EffectEstimate

    Notes
    -----
    With outcome models :math:`\hat\mu_a(x)` and propensity
    :math:`\hat e(x)`, the ATE estimator is

    .. math::

        \hat\tau = \frac1n\sum_i \Bigl[\hat\mu_1(x_i) - \hat\mu_0(x_i)
          + \frac{T_i (Y_i - \hat\mu_1(x_i))}{\hat e(x_i)}
          - \frac{(1 - T_i)(Y_i - \hat\mu_0(x_i))}{1 - \hat e(x_i)}\Bigr],

    and the ATT estimator, which needs only the control outcome model,

    .. math::

        \hat\tau_{\mathrm{ATT}} = \frac{1}{n_1}\sum_i \Bigl[
          T_i - (1 - T_i)\frac{\hat e(x_i)}{1 - \hat e(x_i)}\Bigr]
          \bigl(Y_i - \hat\mu_0(x_i)\bigr).

    Each is consistent if either the outcome model or the propensity model
    is correct (double robustness), and efficient when both are. The
    standard error is :math:`\sqrt{\sum_i\hat\varphi_i^2/(n(n-1))}` from the
    estimated influence function :math:`\hat\varphi_i` (for the ATE the
    bracket minus :math:`\hat\tau`); because the score is orthogonal,
    estimating the nuisance models does not change its first-order variance
    when both are correct.

    References
    ----------
    Robins, J. M., Rotnitzky, A. and Zhao, L. P. (1994). *JASA* 89(427),
    846--866. Glynn, A. N. and Quinn, K. M. (2010). *Political Analysis*
    18(1), 36--56.

    See chapters 5 and 6 of the book.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [0, 0, 1, 0, 1, 1, 0, 1],
    ...                    "x": [0., 1., 1., 2., 2., 3., 3., 4.]})
    >>> df["y"] = df["x"] + 2 * df["t"]
    >>> round(aipw(df, treatment="t", outcome="y",
    ...            covariates=["x"]).estimate, 10)
    2.0
    """
    from causal_lib._design import covariate_matrix

    _check_estimand(estimand, allowed=("ATE", "ATT"))
    alpha = _checks.check_alpha(alpha)
    t, y = _prepare(df, treatment, outcome)
    if propensity is not None and propensity_covariates is not None:
        raise ValueError(
            "give at most one of propensity_covariates= and propensity="
        )
    X = covariate_matrix(df, covariates).to_numpy()
    if propensity is None:
        spec = covariates if propensity_covariates is None \
            else propensity_covariates
        e, _ = _propensity_values(df, t, spec, None)
    else:
        e, _ = _propensity_values(df, t, None, propensity)
    _check_positivity(e, t, propensity or "estimated", estimand)
    mu = {}
    for arm in (0, 1):
        rows = t == arm
        beta, *_ = np.linalg.lstsq(X[rows], y[rows], rcond=None)
        mu[arm] = X @ beta
    n = len(y)
    if estimand == "ATE":
        scores = (
            mu[1] - mu[0]
            + t * (y - mu[1]) / e
            - (1 - t) * (y - mu[0]) / (1 - e)
        )
        estimate = scores.mean()
        phi = scores - estimate
    else:
        share = t.mean()
        terms = (t - (1 - t) * e / (1 - e)) * (y - mu[0])
        estimate = terms.sum() / t.sum()
        phi = (terms - t * estimate) / share
    std_error = np.sqrt(np.sum(phi**2) / (n - 1) / n)
    source = "logistic" if propensity is None else "known"
    return EffectEstimate.from_normal(
        estimand, estimate, std_error, n=n, n_treated=int(t.sum()),
        method=f"AIPW (OLS outcome, {source} propensity)", alpha=alpha,
    )
