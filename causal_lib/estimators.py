r"""Estimators of average treatment effects.

Each takes the DataFrame first and column names as keyword-only
arguments, leaves its input untouched, and returns an
:class:`~causal_lib.estimate.EffectEstimate`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_lib import _checks
from causal_lib._checks import EXTREME_PROPENSITY, PositivityWarning
from causal_lib._design import (
    check_arm_designs,
    check_design,
    covariate_matrix,
    fit_logit,
)
from causal_lib._scores import aipw_ate_scores, aipw_att_terms
from causal_lib.estimate import EffectEstimate

__all__ = [
    "EXTREME_PROPENSITY",
    "PositivityWarning",
    "aipw",
    "difference_in_means",
    "ipw",
    "propensity_score",
    "regression_adjustment",
]


def _treatment_and_outcome(df, treatment, outcome, **more_roles):
    """Check the frame and the role columns; return treatment and outcome.

    ``outcome`` may be None (propensity models need none); ``more_roles``
    names further columns (e.g. ``propensity``) that must exist and play
    no other role.
    """
    _checks.require_frame(df)
    roles = {"treatment": treatment, "outcome": outcome, **more_roles}
    roles = {role: col for role, col in roles.items() if col is not None}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    t = _checks.treatment_column(df, treatment)
    _checks.check_arms(np.bincount(t, minlength=2), treatment, minimum=2)
    if outcome is None:
        return t, None
    return t, _checks.numeric_column(df, outcome, "outcome")


def _design(df, covariates, **roles):
    """The checked covariate design with an intercept, as a frame and an
    array; ``roles`` (treatment, outcome) may not be among the covariates.
    """
    _checks.not_covariates(covariates, df.columns, **roles)
    matrix = covariate_matrix(df, covariates)
    if "Intercept" not in matrix.columns:  # a formula with "- 1"
        matrix.insert(0, "Intercept", 1.0)
    return matrix, check_design(matrix, covariates)


# Rows per block in _arm_moments: a block's temporaries stay in the CPU
# cache. Kept for speed: on 10^7 rows (loaded shared machine) the blocks
# took 161 ms against 743 ms for the plain y[t == a].mean() /
# .var(ddof=1), whose boolean selections copy y twice (4.6x, same
# session); bench_estimators, checks included: 2.35-2.53x one np.bincount
# pass.
_CHUNK = 8192


def _arm_moments(t, y):
    r"""Sizes, means and variances (divisor :math:`n - 1`) of ``y`` per arm.

    The same numbers as ``y[t == a].mean()`` and ``y[t == a].var(ddof=1)``
    for arms :math:`a = 0, 1`, from sums accumulated block by block.
    Deviations are taken from each arm's own centre :math:`c_a` (a pilot
    mean over every ``step``-th row, all rows if that misses an arm) so
    that :math:`\sum (y - c_a)^2 - n_a(\bar y_a - c_a)^2` keeps its
    precision when the means are large relative to the spread, however
    the rows are ordered.
    """
    counts = np.bincount(t, minlength=2)
    step = max(1, len(y) // 2**16)
    sample_t, sample_y = t[::step], y[::step]
    if np.bincount(sample_t, minlength=2).min() == 0:
        sample_t, sample_y = t, y
    centres = (np.bincount(sample_t, weights=sample_y, minlength=2)
               / np.bincount(sample_t, minlength=2))
    shift = centres[1] - centres[0]
    sums = np.zeros((2, 2))  # rows: arm; columns: sum of z, sum of z**2
    for start in range(0, len(y), _CHUNK):
        treated = t[start:start + _CHUNK].astype(np.float64)
        z = shift * treated  # in place: y - c_0 - (c_1 - c_0) t
        np.subtract(y[start:start + _CHUNK], z, out=z)
        z -= centres[0]
        block = np.array([z.sum(), z @ z])
        in_treated = np.array([treated @ z, treated @ (z * z)])
        sums += [block - in_treated, in_treated]
    means = sums[:, 0] / counts
    variances = (sums[:, 1] - counts * means**2) / (counts - 1)
    return counts, centres + means, np.maximum(variances, 0.0)


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
        If a column is missing, treatment and outcome are the same column,
        the treatment is not 0/1 numbers or booleans (a categorical or
        string column must be recoded first), a used column holds NaN or
        infinite values, or an arm has fewer than two units.

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

    See :ref:`ch-ab`.

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
    t, y = _treatment_and_outcome(df, treatment, outcome)
    alpha = _checks.check_alpha(alpha)
    counts, means, variances = _arm_moments(t, y)
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

def _propensity(df, t, covariates, propensity, **roles):
    """Known scores from the ``propensity`` column, or logistic ones fitted
    on ``covariates``: the scores, their name for messages, and the logit
    design (None for known scores).
    """
    if propensity is not None:
        e = _checks.numeric_column(df, propensity, "propensity")
        return e, f"propensity column {propensity!r}", None
    matrix, X = _design(df, covariates, **roles)
    _, e = fit_logit(t, matrix)
    return e, "estimated propensity", X


# Weights w_a(e) of arm a and their derivatives dw_a/de, by estimand.
_WEIGHTS = {
    "ATE": ((lambda e: 1 / e, lambda e: -1 / e**2),
            (lambda e: 1 / (1 - e), lambda e: 1 / (1 - e) ** 2)),
    "ATT": ((lambda e: np.ones_like(e), lambda e: np.zeros_like(e)),
            (lambda e: e / (1 - e), lambda e: 1 / (1 - e) ** 2)),
    "ATC": ((lambda e: (1 - e) / e, lambda e: -1 / e**2),
            (lambda e: np.ones_like(e), lambda e: np.zeros_like(e))),
}


def _ipw_arm(arm, t, y, e, X, estimand, normalize):
    r"""Weighted mean of arm ``arm`` and its influence function.

    The influence function comes from the arm's estimating equation
    :math:`\sum_i \psi_i = 0`, corrected, when ``X`` is given, for the
    logistic fit of :math:`e` (the stacked M-estimator's sandwich).
    """
    n = len(y)
    w, dw = _WEIGHTS[estimand][1 - arm]
    in_arm = t == arm
    # check_overlap rules out the scores that would divide by zero here.
    weight = np.where(in_arm, w(e), 0.0)
    dweight = np.where(in_arm, dw(e), 0.0)
    if normalize:
        d, dd = weight, dweight
    else:
        d = {"ATE": np.ones(n), "ATT": t.astype(float),
             "ATC": 1.0 - t}[estimand]
        dd = np.zeros(n)
    mu = np.sum(weight * y) / np.sum(d)
    psi = weight * y - mu * d
    if X is not None:
        # psi depends on gamma only through e, and de/dgamma = e (1 - e) x.
        grad = ((dweight * y - mu * dd) * e * (1 - e)) @ X / n
        hessian = -(X * (e * (1 - e))[:, None]).T @ X / n
        score = X * (t - e)[:, None]
        psi = psi - score @ np.linalg.solve(hessian, grad)
    return mu, psi / np.mean(d)


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

    Raises
    ------
    ValueError
        If a column is missing, the treatment is not 0/1 or among the
        covariates, a covariate is NaN, infinite, constant or collinear
        with the others (each named), or the logistic fit shows perfect or
        quasi-complete separation (the covariates are named; no finite
        maximum-likelihood estimate exists).

    Notes
    -----
    Fits :math:`P(T = 1 \mid X = x) = 1 / (1 + e^{-x^\top\gamma})` by
    maximum likelihood with statsmodels (``Logit``, Newton's method), with
    an intercept (added if a formula removes it). The scores are
    returned for inspection, without the overlap warning that
    :func:`ipw` and :func:`aipw` give. The propensity score is a balancing
    score: given
    :math:`e(X)`, treatment is independent of :math:`X`
    (Rosenbaum and Rubin, 1983).

    See :ref:`ch-conf`.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [0, 0, 1, 0, 1, 1, 0, 1],
    ...                    "x": [0., 1., 1., 2., 2., 3., 3., 4.]})
    >>> e = propensity_score(df, treatment="t", covariates=["x"])
    >>> bool(e.is_monotonic_increasing)
    True
    """
    t, _ = _treatment_and_outcome(df, treatment, None)
    matrix, _ = _design(df, covariates, treatment=treatment)
    _, e = fit_logit(t, matrix)
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

    Raises
    ------
    ValueError
        If a column is missing, treatment or outcome is among the
        covariates, or a covariate is NaN, infinite, constant or collinear
        with the others (each named), in the whole sample or among one
        arm's units (each arm's model is fitted on that arm alone), or an
        arm has no more units than its model has coefficients. Dates are
        refused; so is a categorical column with more than ``n / 2``
        levels.

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

    See :ref:`ch-ab` and :ref:`ch-conf`.

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

    estimand = _checks.check_estimand(estimand)
    alpha = _checks.check_alpha(alpha)
    t, y = _treatment_and_outcome(df, treatment, outcome)
    matrix, X = _design(df, covariates, treatment=treatment, outcome=outcome)
    check_arm_designs(matrix, t)
    X = X[:, matrix.columns != "Intercept"]
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
        For bad columns (treatment, outcome or propensity among the
        covariates or equal to each other; NaN, infinite, constant or
        collinear covariates), a propensity of exactly 0 or 1 where the
        estimand needs that unit's missing outcome (ATE: either bound; ATT:
        1; ATC: 0), or an estimated propensity model with perfect or
        quasi-complete separation (its covariates named).

    Warns
    -----
    PositivityWarning
        When some propensities lie within ``EXTREME_PROPENSITY`` (0.01) of
        a bound the estimand needs (as above); the message counts them per
        arm.

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

    See :ref:`ch-conf`.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 0, 1, 0], "y": [4., 1., 2., 3.],
    ...                    "e": [0.5, 0.5, 0.25, 0.75]})
    >>> ht = ipw(df, treatment="t", outcome="y", propensity="e",
    ...          normalize=False)
    >>> ht.estimate  # (4/.5 + 2/.25)/4 - (1/.5 + 3/.25)/4
    0.5
    """
    estimand = _checks.check_estimand(estimand)
    alpha = _checks.check_alpha(alpha)
    if (covariates is None) == (propensity is None):
        raise ValueError(
            "give exactly one of covariates= (to estimate the propensity "
            "score) or propensity= (a column of known scores)"
        )
    t, y = _treatment_and_outcome(df, treatment, outcome,
                                  propensity=propensity)
    e, name, X = _propensity(df, t, covariates, propensity,
                             treatment=treatment, outcome=outcome)
    _checks.check_overlap(e, t, estimand=estimand, name=name)
    mu1, phi1 = _ipw_arm(1, t, y, e, X, estimand, normalize)
    mu0, phi0 = _ipw_arm(0, t, y, e, X, estimand, normalize)
    n = len(y)
    std_error = np.sqrt(np.mean((phi1 - phi0) ** 2) / n)
    kind = "Hajek" if normalize else "Horvitz-Thompson"
    source = "estimated" if X is not None else "known"
    return EffectEstimate.from_normal(
        estimand, mu1 - mu0, std_error, n=n, n_treated=int(t.sum()),
        method=f"IPW ({kind}, {source} propensity, sandwich SE)",
        alpha=alpha,
    )


def _arm_predictions(X, y, rows) -> np.ndarray:
    """OLS of ``y`` on ``X`` in ``rows``, predicted for every unit."""
    import statsmodels.api as sm

    return X @ sm.OLS(y[rows], X[rows]).fit().params


def _aipw_influence(y, t, mu0, mu1, e, estimand):
    """The AIPW estimate and its estimated influence function."""
    if estimand == "ATE":
        scores = aipw_ate_scores(y, t, mu0, mu1, e)
        estimate = scores.mean()
        return estimate, scores - estimate
    terms = aipw_att_terms(y, t, mu0, e)
    estimate = terms.sum() / t.sum()
    return estimate, (terms - t * estimate) / t.mean()


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

    Raises
    ------
    ValueError
        As :func:`ipw`: bad columns or covariate designs (also within
        one arm, as for :func:`regression_adjustment`), propensities of
        exactly 0 or 1 where the estimand needs that unit's missing outcome
        (ATE: either bound; ATT: 1), or separation in the propensity model.

    Warns
    -----
    PositivityWarning
        As :func:`ipw`, for propensities within 0.01 of such a bound.

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
    when both are correct. Each inverse-weighted residual is computed for
    its own arm's units only, so a control with :math:`\hat e = 0` (which
    the ATT allows) contributes a finite term, not 0/0.

    References
    ----------
    Robins, J. M., Rotnitzky, A. and Zhao, L. P. (1994). *JASA* 89(427),
    846--866. Glynn, A. N. and Quinn, K. M. (2010). *Political Analysis*
    18(1), 36--56.

    See :ref:`ch-conf` and :ref:`ch-lal`.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [0, 0, 1, 0, 1, 1, 0, 1],
    ...                    "x": [0., 1., 1., 2., 2., 3., 3., 4.]})
    >>> df["y"] = df["x"] + 2 * df["t"]
    >>> round(aipw(df, treatment="t", outcome="y",
    ...            covariates=["x"]).estimate, 10)
    2.0
    """
    estimand = _checks.check_estimand(estimand, allowed=("ATE", "ATT"))
    alpha = _checks.check_alpha(alpha)
    if propensity is not None and propensity_covariates is not None:
        raise ValueError(
            "give at most one of propensity_covariates= and propensity="
        )
    t, y = _treatment_and_outcome(df, treatment, outcome,
                                  propensity=propensity)
    roles = {"treatment": treatment, "outcome": outcome}
    matrix, X = _design(df, covariates, **roles)
    check_arm_designs(matrix, t)
    if propensity is None and propensity_covariates is None:
        # One design for both models: fit the logit on it directly.
        _, e = fit_logit(t, matrix)
        name = "estimated propensity"
    else:
        e, name, _ = _propensity(df, t, propensity_covariates, propensity,
                                 **roles)
    _checks.check_overlap(e, t, estimand=estimand, name=name)
    mu0 = _arm_predictions(X, y, t == 0)
    mu1 = _arm_predictions(X, y, t == 1)
    estimate, phi = _aipw_influence(y, t, mu0, mu1, e, estimand)
    n = len(y)
    std_error = np.sqrt(np.sum(phi**2) / (n - 1) / n)
    source = "logistic" if propensity is None else "known"
    return EffectEstimate.from_normal(
        estimand, estimate, std_error, n=n, n_treated=int(t.sum()),
        method=f"AIPW (OLS outcome, {source} propensity)", alpha=alpha,
    )
