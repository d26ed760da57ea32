r"""Sensitivity of an estimate to unobserved confounding, in closed form.

Two standard answers to "how strong would a hidden confounder have to be
to explain the effect away?":

- the **E-value** (VanderWeele and Ding, 2017) on the risk-ratio scale, for
  any estimator, with helpers that turn a difference in proportions or in
  means into an approximate risk ratio;
- the **robustness value** and the omitted-variable-bias adjustment of
  Cinelli and Hazlett (2020) on the partial-:math:`R^2` scale, for a
  coefficient from a linear regression.

Nothing here is simulated or fitted: every number follows from the
estimate's summary statistics by a formula given in the docstring.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from causal_lib import _checks


class EValue(NamedTuple):
    """E-values of a point estimate and of its confidence interval.

    See :ref:`ch-conf`.
    """

    #: E-value of the point estimate.
    point: float
    #: E-value of the interval limit closest to the null (None if no
    #: interval was given); 1 when the interval contains the null.
    ci: float | None


class AdjustedEstimate(NamedTuple):
    """An OLS estimate corrected for a hypothetical confounder.

    See :ref:`ch-conf`.
    """

    #: The estimate moved toward zero by the largest bias such a
    #: confounder can cause.
    estimate: float | np.ndarray
    #: Its standard error had the confounder been adjusted for.
    std_error: float | np.ndarray
    #: ``estimate / std_error``.
    t_statistic: float | np.ndarray


# --- E-value ----------------------------------------------------------------

def e_value(
    rr: float, *, ci_low: float | None = None, ci_high: float | None = None
) -> EValue:
    r"""E-value of a risk ratio and of its confidence interval.

    Parameters
    ----------
    rr : float
        Observed risk ratio, :math:`> 0` (for another effect scale convert
        first, e.g. with :func:`risk_ratio_from_difference`).
    ci_low, ci_high : float, optional
        Confidence limits of the risk ratio. For an estimate above 1 the
        interval's E-value uses ``ci_low``, below 1 ``ci_high``: the limit
        closest to the null. Give at least that one, or neither.

    Returns
    -------
    EValue
        ``point``: the E-value of ``rr``; ``ci``: that of the interval
        limit closest to 1 (1 if the interval contains 1; None if no
        interval was given).

    Raises
    ------
    TypeError
        If a ratio is not a number.
    ValueError
        If a ratio is not positive and finite, the limits do not bracket
        ``rr``, or the limit closest to the null is missing.

    Notes
    -----
    The E-value is the minimum strength of association, on the risk-ratio
    scale, that an unmeasured confounder :math:`U` would need with *both*
    the treatment and the outcome, conditional on the measured covariates,
    to fully explain away the observed risk ratio: weaker confounding
    cannot; some confounder that strong can. For :math:`RR \ge 1`,

    .. math::

        E = RR + \sqrt{RR\,(RR - 1)},

    and a risk ratio below 1 is first inverted, :math:`RR^* = 1/RR`. It
    solves :math:`E^2 / (2E - 1) = RR`, Ding and VanderWeele's (2016)
    bounding factor :math:`RR_{UD}\,RR_{EU} / (RR_{UD} + RR_{EU} - 1)` with
    both associations equal to :math:`E`. The same formula applied to the
    confidence limit closest to 1 gives the confounding needed to move the
    interval to include 1 (E-value 1 if it already does).

    References
    ----------
    VanderWeele, T. J. and Ding, P. (2017). Sensitivity analysis in
    observational research: introducing the E-value. *Annals of Internal
    Medicine* 167(4), 268--274. Ding, P. and VanderWeele, T. J. (2016).
    Sensitivity analysis without assumptions. *Epidemiology* 27(3),
    368--377.

    See :ref:`ch-conf`.

    Examples
    --------
    VanderWeele and Ding's example, a risk ratio of 3.9 (95% CI 1.8 to
    8.7):

    >>> ev = e_value(3.9, ci_low=1.8, ci_high=8.7)
    >>> round(ev.point, 2), round(ev.ci, 2)  # 3.9 + sqrt(3.9 * 2.9)
    (7.26, 3.0)
    >>> e_value(0.5).point == e_value(2.0).point  # protective: inverted
    True
    >>> e_value(1.3, ci_low=0.9, ci_high=1.8).ci  # interval contains 1
    1.0
    """
    rr = _risk_ratio(rr, "rr")
    low = None if ci_low is None else _risk_ratio(ci_low, "ci_low")
    high = None if ci_high is None else _risk_ratio(ci_high, "ci_high")
    if low is not None and low > rr:
        raise ValueError(f"ci_low = {low} is above rr = {rr}")
    if high is not None and high < rr:
        raise ValueError(f"ci_high = {high} is below rr = {rr}")
    point = _e_value(rr)
    if low is None and high is None:
        return EValue(point, None)
    if rr > 1:
        if low is None:
            raise ValueError(
                f"rr = {rr} > 1: the interval's E-value uses its lower "
                "limit, the one closest to 1; pass ci_low"
            )
        ci = _e_value(low) if low > 1 else 1.0
    elif rr < 1:
        if high is None:
            raise ValueError(
                f"rr = {rr} < 1: the interval's E-value uses its upper "
                "limit, the one closest to 1; pass ci_high"
            )
        ci = _e_value(high) if high < 1 else 1.0
    else:
        ci = 1.0
    return EValue(point, ci)


def _e_value(rr: float) -> float:
    rr = max(rr, 1 / rr)
    return rr + math.sqrt(rr * (rr - 1))


def risk_ratio_from_difference(difference, *, baseline_risk):
    r"""Risk ratio implied by a difference in proportions.

    Parameters
    ----------
    difference : float or array_like
        Effect on the probability scale, :math:`p_1 - p_0` (e.g. an ATE on
        clicks), or its confidence limits.
    baseline_risk : float
        :math:`p_0`, the outcome probability without treatment (e.g. the
        control arm's click rate), in :math:`(0, 1]`.

    Returns
    -------
    float or numpy.ndarray
        :math:`RR = (p_0 + \text{difference}) / p_0`, element by element.

    Raises
    ------
    ValueError
        If ``baseline_risk`` is outside :math:`(0, 1]`, a difference is
        NaN or infinite, or implies a treated risk
        :math:`p_0 + \text{difference} \le 0`.

    Notes
    -----
    Exact for a binary outcome when :math:`p_0` is known; with an estimated
    :math:`p_0` the converted interval limits ignore its sampling error, so
    treat the E-value of the interval as approximate.

    See :ref:`ch-conf`.

    Examples
    --------
    A recommendation lifts the click rate from 2% by 1 point:

    >>> risk_ratio_from_difference(0.01, baseline_risk=0.02)
    1.5
    """
    p0 = _checks.check_finite(baseline_risk, "baseline_risk")
    if not 0 < p0 <= 1:
        raise ValueError(
            f"baseline_risk must lie in (0, 1], got {baseline_risk}"
        )
    difference = _checks.finite_values(difference, "difference")
    if (p0 + difference <= 0).any():
        raise ValueError(
            f"a difference of {difference.min()} with baseline_risk {p0} "
            "implies a treated risk <= 0; no risk ratio exists"
        )
    return _scalar_or_array((p0 + difference) / p0)


#: Multiplier of the standardised mean difference in the approximation
#: RR ~ exp(0.91 d) (VanderWeele and Ding, 2017).
SMD_TO_LOG_RR = 0.91


def risk_ratio_from_mean_difference(difference, *, sd):
    r"""Approximate risk ratio for a difference in means (continuous outcome).

    Parameters
    ----------
    difference : float or array_like
        Difference in means (e.g. an ATE on minutes watched) or its
        confidence limits.
    sd : float
        Standard deviation of the outcome (e.g. in the control arm), which
        turns the difference into a standardised mean difference
        :math:`d = \text{difference} / \text{sd}`.

    Returns
    -------
    float or numpy.ndarray
        :math:`RR \approx \exp(0.91\, d)`, element by element.

    Notes
    -----
    VanderWeele and Ding's (2017) approximation: dichotomising a normal
    outcome gives a log odds ratio of about :math:`\pi d / \sqrt 3
    \approx 1.81 d` (Chinn, 2000), and for a common outcome the risk ratio
    is about the square root of the odds ratio, :math:`\exp(0.91 d)`.
    Converting a confidence limit :math:`d \pm 1.96\,\mathrm{se}_d` gives
    their :math:`\exp(0.91 d \pm 1.78\,\mathrm{se}_d)`. It is a rough
    translation to a scale on which the E-value is defined, not a property
    of the data.

    References
    ----------
    VanderWeele, T. J. and Ding, P. (2017), see :func:`e_value`. Chinn, S.
    (2000). A simple method for converting an odds ratio to effect size for
    use in meta-analysis. *Statistics in Medicine* 19(22), 3127--3131.

    See :ref:`ch-conf`.

    Examples
    --------
    >>> round(risk_ratio_from_mean_difference(1.0, sd=2.0), 4)  # exp(0.455)
    1.5762
    """
    sd = _checks.check_finite(sd, "sd")
    if sd <= 0:
        raise ValueError(f"sd must be positive, got {sd}")
    difference = _checks.finite_values(difference, "difference")
    return _scalar_or_array(np.exp(SMD_TO_LOG_RR * difference / sd))


# --- Cinelli and Hazlett (2020) ---------------------------------------------

def partial_r2(t_statistic: float, *, dof: float) -> float:
    r"""Partial :math:`R^2` of a regressor with the outcome, from its t-value.

    Parameters
    ----------
    t_statistic : float
        t-value of the coefficient (conventional OLS standard error).
    dof : float
        Residual degrees of freedom of the regression, :math:`n - k`.

    Returns
    -------
    float
        :math:`R^2_{Y \sim T \mid X} = t^2 / (t^2 + \mathrm{dof})`: the share
        of the outcome's residual variance (given the other regressors)
        that the treatment explains. Cinelli and Hazlett's "extreme
        scenario": a confounder explaining *all* the outcome's residual
        variance must explain this share of the treatment's to remove the
        estimate.

    See :ref:`ch-conf`.

    Examples
    --------
    >>> partial_r2(3.0, dof=91)
    0.09
    """
    t = _checks.check_finite(t_statistic, "t_statistic")
    dof = _dof(dof)
    return t * t / (t * t + dof)


def robustness_value(
    t_statistic: float, *, dof: float, q: float = 1.0,
    alpha: float | None = None,
) -> float:
    r"""Cinelli and Hazlett's robustness value of a regression coefficient.

    Parameters
    ----------
    t_statistic : float
        t-value of the treatment's coefficient in the OLS regression of the
        outcome on the treatment and the observed covariates, with the
        conventional (not robust) standard error.
    dof : float
        Residual degrees of freedom of that regression.
    q : float, default 1
        Fraction of the estimate the confounder must remove: 1 brings it to
        zero, 0.5 halves it.
    alpha : float, optional
        If given, the confounder must instead make the :math:`1 - \alpha`
        confidence interval reach :math:`(1 - q)\hat\tau` (with ``q=1``:
        make the estimate not significant).

    Returns
    -------
    float
        :math:`RV` in :math:`[0, 1]`.

    Notes
    -----
    A confounder :math:`Z` that explains a share :math:`R^2_{D \sim Z|X}`
    of the treatment's and :math:`R^2_{Y \sim Z|D,X}` of the outcome's
    residual variance changes the coefficient by at most
    (see :func:`adjusted_estimate`)

    .. math::

        |\widehat{\mathrm{bias}}| = \widehat{\mathrm{se}}\,
        \sqrt{\mathrm{dof}}\,
        \sqrt{\frac{R^2_{Y \sim Z|D,X}\, R^2_{D \sim Z|X}}
                   {1 - R^2_{D \sim Z|X}}}.

    The robustness value is the common strength :math:`R^2_{D \sim Z|X} =
    R^2_{Y \sim Z|D,X} = RV_q` at which that bias equals
    :math:`q|\hat\tau|`. With the partial Cohen's :math:`f` of the
    treatment, :math:`f_q = q |t| / \sqrt{\mathrm{dof}}`,

    .. math::

        RV_q = \tfrac12\Bigl(\sqrt{f_q^4 + 4 f_q^2} - f_q^2\Bigr).

    Confounders weaker than :math:`RV_q` on *both* scales cannot remove
    :math:`100q\%` of the estimate; some confounder of strength
    :math:`RV_q` on both can. With ``alpha``, :math:`f_q` is replaced by
    :math:`f_{q,\alpha} = f_q - f^*`, where :math:`f^* =
    |t^*_{\alpha/2,\,\mathrm{dof}-1}| / \sqrt{\mathrm{dof} - 1}` is the
    critical :math:`f`, giving :math:`RV_{q,\alpha}` (0 if
    :math:`f_q \le f^*`, the estimate being already not significantly
    different from :math:`(1 - q)\hat\tau`). When :math:`f_q > 1/f^*` the
    equal-strength confounder is not the weakest one and
    :math:`RV_{q,\alpha} = (f_q^2 - f^{*2}) / (1 + f_q^2)` instead, as in
    the authors' R package sensemakr.

    References
    ----------
    Cinelli, C. and Hazlett, C. (2020). Making sense of sensitivity:
    extending omitted variable bias. *Journal of the Royal Statistical
    Society, Series B* 82(1), 39--67, equations (18)--(19) and section 4.

    See :ref:`ch-conf`.

    Examples
    --------
    The paper's Darfur example (t = 4.18, 783 degrees of freedom): a
    confounder explaining 13.9% of the residual variance of both treatment
    and outcome removes the estimate; 7.6% makes it not significant.

    >>> round(robustness_value(4.18445, dof=783), 3)
    0.139
    >>> round(robustness_value(4.18445, dof=783, alpha=0.05), 3)
    0.076
    """
    t = _checks.check_finite(t_statistic, "t_statistic")
    dof = _dof(dof)
    q = _checks.check_finite(q, "q")
    if q <= 0:
        raise ValueError(f"q must be positive, got {q}")
    f_q = q * abs(t) / math.sqrt(dof)
    if alpha is None:
        return _rv(f_q)
    _checks.check_alpha(alpha)
    if dof <= 1:
        raise ValueError(f"dof must exceed 1 when alpha is given, got {dof}")
    f_crit = float(stats.t.ppf(1 - alpha / 2, dof - 1)) / math.sqrt(dof - 1)
    if f_q <= f_crit:
        return 0.0
    if f_q > 1 / f_crit:
        return (f_q**2 - f_crit**2) / (1 + f_q**2)
    return _rv(f_q - f_crit)


def _rv(f: float) -> float:
    return 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)


def adjusted_estimate(
    estimate: float, *, std_error: float, dof: float, r2_treatment,
    r2_outcome,
) -> AdjustedEstimate:
    r"""OLS estimate, standard error and t-value adjusted for a confounder.

    Parameters
    ----------
    estimate, std_error : float
        Coefficient of the treatment in the OLS regression of the outcome on
        treatment and observed covariates, and its conventional standard
        error.
    dof : float
        Residual degrees of freedom of that regression.
    r2_treatment : float or array_like
        :math:`R^2_{D \sim Z|X}`: share of the treatment's residual variance
        (given the covariates) the confounder explains, in :math:`[0, 1)`.
    r2_outcome : float or array_like
        :math:`R^2_{Y \sim Z|D,X}`: share of the outcome's residual variance
        (given treatment and covariates) it explains, in :math:`[0, 1]`.
        The two broadcast against each other, so a grid of both gives the
        surface for a contour plot.

    Returns
    -------
    AdjustedEstimate
        ``estimate``, ``std_error`` and ``t_statistic`` after adjustment,
        with the bias taken in the direction that shrinks the estimate
        toward zero (it may cross zero).

    Notes
    -----
    Cinelli and Hazlett (2020), equations (11)--(12) in partial
    :math:`R^2` form:

    .. math::

        \hat\tau_{\text{adj}} = \operatorname{sign}(\hat\tau)
          \bigl(|\hat\tau| - |\widehat{\mathrm{bias}}|\bigr), \qquad
        |\widehat{\mathrm{bias}}| = \widehat{\mathrm{se}}\,
          \sqrt{\mathrm{dof}\,
          \frac{R^2_{Y \sim Z|D,X}\, R^2_{D \sim Z|X}}{1 - R^2_{D \sim Z|X}}},

    .. math::

        \widehat{\mathrm{se}}_{\text{adj}} = \widehat{\mathrm{se}}\,
          \sqrt{\frac{1 - R^2_{Y \sim Z|D,X}}{1 - R^2_{D \sim Z|X}}\,
                \frac{\mathrm{dof}}{\mathrm{dof} - 1}}.

    These are exact algebra for OLS: they say what the regression that
    also included :math:`Z` would have returned. At
    :math:`R^2_{D \sim Z|X} = R^2_{Y \sim Z|D,X} =` :func:`robustness_value`
    the adjusted estimate is :math:`(1 - q)\hat\tau`.

    See :ref:`ch-conf`.

    Examples
    --------
    The Darfur example bounded by a confounder as strong as "female" (the
    paper's first bound row):

    >>> adj = adjusted_estimate(0.09731582, std_error=0.02325654, dof=783,
    ...                         r2_treatment=0.00916, r2_outcome=0.12464)
    >>> round(adj.estimate, 3), round(adj.t_statistic, 2)
    (0.075, 3.44)
    """
    estimate = _checks.check_finite(estimate, "estimate")
    std_error = _checks.check_finite(std_error, "std_error")
    if std_error < 0:
        raise ValueError(f"std_error must be non-negative, got {std_error}")
    dof = _dof(dof)
    if dof <= 1:
        raise ValueError(f"dof must exceed 1, got {dof}")
    r2d = _r2(r2_treatment, "r2_treatment", upper_open=True)
    r2y = _r2(r2_outcome, "r2_outcome", upper_open=False)
    bias = std_error * np.sqrt(dof * r2y * r2d / (1 - r2d))
    new_estimate = math.copysign(1.0, estimate) * (abs(estimate) - bias)
    new_se = std_error * np.sqrt((1 - r2y) / (1 - r2d) * dof / (dof - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = new_estimate / new_se
    return AdjustedEstimate(
        _scalar_or_array(new_estimate), _scalar_or_array(new_se),
        _scalar_or_array(t),
    )


# --- checks -----------------------------------------------------------------

def _risk_ratio(value, name: str) -> float:
    value = _checks.check_finite(value, name)
    if value <= 0:
        raise ValueError(
            f"{name} must be a risk ratio > 0, got {value}; convert a "
            "difference first (risk_ratio_from_difference)"
        )
    return value


def _dof(dof) -> float:
    dof = _checks.check_finite(dof, "dof")
    if dof <= 0:
        raise ValueError(f"dof must be positive, got {dof}")
    return dof


def _r2(value, name: str, *, upper_open: bool) -> np.ndarray:
    r2 = np.asarray(value, dtype=float)
    above = r2 >= 1 if upper_open else r2 > 1
    if not np.isfinite(r2).all() or (r2 < 0).any() or above.any():
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must lie in {bound}, got {value!r}")
    return r2


def _scalar_or_array(values: np.ndarray):
    return float(values) if np.ndim(values) == 0 else values
