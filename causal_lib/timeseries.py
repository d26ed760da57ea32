r"""Causal Impact: what a launch did to one time series.

A shop launches something (a recommender, a redesign) in one market at
time :math:`T_0` and watches a daily series :math:`y_t`, such as that
market's revenue. Other series :math:`x_{t}` (other markets, searches for
the shop's name) move with :math:`y_t` but cannot have been touched by
the launch. Causal Impact (Brodersen et al., 2015) fits a
structural time-series model of :math:`y_t` on the *pre-period* only,

.. math::

    y_t = \mu_t + \beta_t^\top x_t + \varepsilon_t, \qquad
    \mu_{t+1} = \mu_t + \eta_t, \qquad \beta_{t+1} = \beta_t,

with :math:`\varepsilon_t \sim N(0, \sigma^2_\varepsilon)` and
:math:`\eta_t \sim N(0, \sigma^2_\mu)` (a local level plus a regression on
the controls), and forecasts :math:`y_t` over the *post-period* from the
controls. The forecast is the counterfactual :math:`\hat y_t(0)`; the
pointwise effect is :math:`y_t - \hat y_t(0)`, and its sums and averages
are the cumulative and average effects.

:func:`causal_impact` builds the model on statsmodels'
:class:`~statsmodels.tsa.statespace.structural.UnobservedComponents`,
estimates the two variances by maximum likelihood and keeps the
regression coefficients in the state vector (``mle_regression=False``), so
the Kalman filter carries their uncertainty into the forecast. The
intervals of the cumulative and average effects use the forecast errors'
full covariance across the post-period, not only their variances: the
errors share the uncertain level and coefficients, so they are positively
correlated and their sum varies more than the sum of their variances.

See :ref:`ch-time`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate

#: Trend specifications accepted by :func:`causal_impact` (statsmodels'
#: names): local level, local linear trend, random walk, fixed level.
LEVELS = ("llevel", "lltrend", "rwalk", "dconstant")


@dataclass(frozen=True)
class CausalImpactResult:
    r"""What :func:`causal_impact` returns.

    Attributes
    ----------
    average, cumulative : EffectEstimate
        The average and the total effect over the post-period.
    path : pandas.DataFrame
        One row per time point from the start of the pre-period to the end
        of the post-period, indexed by time: ``observed``, ``predicted``
        (the one-step prediction in the pre-period, the counterfactual
        forecast after it) with ``predicted_low``/``predicted_high``, the
        pointwise ``effect`` with ``effect_low``/``effect_high``, the
        ``cumulative`` effect with ``cumulative_low``/``cumulative_high``
        (post-period only), and ``period`` ("pre", "gap" or "post").
        Predictions are NaN for the first points, one per state of the
        model, where the filter is still diffuse.
    params : pandas.Series
        The maximum-likelihood variances, on the outcome's scale.
    coefficients : pandas.Series
        The controls' coefficients, filtered through the end of the
        pre-period (the values the forecast uses).
    alpha : float
        One minus the level of every interval.
    """

    average: EffectEstimate
    cumulative: EffectEstimate
    path: pd.DataFrame = field(repr=False)
    params: pd.Series = field(repr=False)
    coefficients: pd.Series = field(repr=False)
    alpha: float = 0.05

    def summary(self) -> pd.DataFrame:
        """Average and cumulative effects side by side, as a table.

        Rows ``average`` and ``cumulative``; columns ``actual``,
        ``predicted``, ``effect``, ``std_error``, ``ci_low``, ``ci_high``
        and ``relative_effect`` (the effect over the prediction).
        """
        post = self.path[self.path["period"] == "post"]
        rows = {}
        for name, est, how in (("average", self.average, "mean"),
                               ("cumulative", self.cumulative, "sum")):
            actual = getattr(post["observed"], how)()
            rows[name] = {
                "actual": actual, "predicted": actual - est.estimate,
                "effect": est.estimate, "std_error": est.std_error,
                "ci_low": est.ci_low, "ci_high": est.ci_high,
                "relative_effect": est.estimate / (actual - est.estimate),
            }
        return pd.DataFrame(rows).T

    def plot(self, *, truth=None, axes=None, ylabel: str = "outcome",
             xlabel: str = "time"):
        """Observed and counterfactual series, pointwise and cumulative
        effects, in three panels; see
        :func:`causal_lib.plotting.plot_causal_impact`."""
        from causal_lib.plotting import plot_causal_impact

        return plot_causal_impact(self, truth=truth, axes=axes,
                                  ylabel=ylabel, xlabel=xlabel)


def causal_impact(
    df: pd.DataFrame,
    *,
    outcome: str,
    controls,
    pre_period,
    post_period,
    time: str | None = None,
    alpha: float = 0.05,
    level: str = "llevel",
    maxiter: int = 1000,
) -> CausalImpactResult:
    r"""The effect of an intervention on a time series, by Causal Impact.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per time point, in increasing time order.
    outcome : str
        The series the intervention may have changed.
    controls : sequence of str
        Series the intervention cannot have changed (at least one).
    pre_period, post_period : tuple
        ``(first, last)`` time points of each period, both included, in
        the units of ``time`` (or of the index). Points between the two
        periods are a gap: neither fitted nor counted.
    time : str, optional
        Column with the time points; the index if omitted.
    alpha : float, default 0.05
        Intervals have level :math:`1 - \alpha`.
    level : {"llevel", "lltrend", "rwalk", "dconstant"}
        The trend model (statsmodels' names): local level (the default,
        as in the R package), local linear trend, random walk without
        irregular term, or a fixed level (a static regression).
    maxiter : int, default 1000
        Iterations allowed to the likelihood optimiser (Nelder-Mead).

    Returns
    -------
    CausalImpactResult
        ``average`` and ``cumulative`` effects as
        :class:`~causal_lib.estimate.EffectEstimate` (``n`` the time points
        used, ``n_treated`` those in the post-period), the pointwise
        ``path``, the fitted ``params`` and ``coefficients``.

    Raises
    ------
    ValueError
        For a missing or non-numeric column, NaN or infinite values, time
        points out of order or repeated, periods that are empty, overlap
        or are given in the wrong order, a pre-period too short for the
        model, or an unknown ``level``.

    Notes
    -----
    With the fitted variances held fixed, the Kalman filter gives the
    forecast of every post-period point, :math:`\hat y_t`, with
    covariance :math:`V_t` of its state :math:`s_t` (level and
    coefficients). The cumulative effect at step :math:`m` is
    :math:`\sum_{h \le m} (y_h - \hat y_h)`, and its variance is that of
    :math:`C_m = \sum_{h \le m} y_h(0)`, built by the recursion

    .. math::

        \operatorname{var} C_m = \operatorname{var} C_{m-1}
          + Z_m V_m Z_m^\top + \sigma^2_\varepsilon + 2\, W_m Z_m^\top,
        \qquad W_{m+1} = (W_m + Z_m V_m)\, T^\top,

    where :math:`Z_m` is the design row (1 and the controls), :math:`T`
    the transition matrix and :math:`W_m = \sum_{h<m} Z_h V_h
    (T^\top)^{m-h}` the covariance of the sum so far with the next state.
    Intervals are normal, :math:`\pm z_{1-\alpha/2}` standard errors.
    The model is fitted to series standardised by their pre-period means
    and standard deviations, as the R package does; the likelihood does
    not change, but the optimiser converges more reliably.

    Assumptions: the controls were not affected by the intervention; the
    relation between outcome and controls estimated before it held after
    it; the model describes the pre-period well. Unlike the R package's
    Bayesian fit, the variances are point estimates, so their uncertainty
    is not in the intervals, and there is no variable selection among
    the controls.

    References
    ----------
    Brodersen, K. H., Gallusser, F., Koehler, J., Remy, N. and Scott,
    S. L. (2015). Inferring causal impact using Bayesian structural
    time-series models. *Annals of Applied Statistics* 9(1), 247-274.

    See :ref:`ch-time`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = 100 + np.cumsum(rng.normal(size=60))
    >>> y = 1.5 * x + rng.normal(size=60)
    >>> y[40:] += 10
    >>> df = pd.DataFrame({"y": y, "x": x})
    >>> result = causal_impact(df, outcome="y", controls=["x"],
    ...                        pre_period=(0, 39), post_period=(40, 59))
    >>> bool(abs(result.average.estimate - 10) < 4 * result.average.std_error)
    True
    >>> result.cumulative.n_treated
    20
    """
    y, X, times, names = _inputs(df, outcome, controls, time)
    alpha = _checks.check_alpha(alpha)
    maxiter = _checks.check_count(maxiter, "maxiter", minimum=1)
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    period = _periods(times, pre_period, post_period, len(names))
    keep = period != ""
    y, X, times, period = y[keep], X[keep], times[keep], period[keep]
    _not_constant(y, X, period == "pre", outcome, names)
    res, (_, y_sd), x_scale = _fit_and_forecast(y, X, period == "pre",
                                                level, maxiter)
    path, var_cum = _path(res, y, times, period, alpha)
    post = period == "post"
    n_post = int(post.sum())
    total = float(path["effect"][post].sum())
    kw = dict(n=len(y), n_treated=n_post, alpha=alpha)
    method = (f"Causal Impact ({level} + regression on {len(names)} "
              f"control{'s' if len(names) > 1 else ''})")
    cumulative = EffectEstimate.from_normal(
        "cumulative effect", total, np.sqrt(var_cum[-1]), method=method, **kw)
    average = EffectEstimate.from_normal(
        "average effect", total / n_post, np.sqrt(var_cum[-1]) / n_post,
        method=method, **kw)
    last_pre = int(np.flatnonzero(period == "pre")[-1])
    coef = res.filtered_state[-len(names):, last_pre] * y_sd / x_scale[:, 1]
    return CausalImpactResult(
        average=average, cumulative=cumulative, path=path,
        params=pd.Series(res.params * y_sd**2, index=res.model.param_names),
        coefficients=pd.Series(coef, index=names, name="coefficient"),
        alpha=alpha)


def _inputs(df, outcome, controls, time):
    """Outcome, control matrix, time points and control names, checked."""
    _checks.require_frame(df)
    if isinstance(controls, str) or not hasattr(controls, "__iter__"):
        raise TypeError(
            "controls must be a list of column names, e.g. ['x1', 'x2']")
    names = list(controls)
    if not names:
        raise ValueError(
            "controls is empty; Causal Impact needs at least one series "
            "the intervention did not affect")
    _checks.require_columns(df, outcome=outcome, **{
        f"controls[{i}]": c for i, c in enumerate(names)})
    if len(set(names)) < len(names):
        raise ValueError(f"controls lists a column twice: {names}")
    _checks.distinct_columns(outcome=outcome, time=time,
                             **{f"control {c!r}": c for c in names})
    y = _checks.numeric_column(df, outcome, "outcome")
    X = np.column_stack([_checks.numeric_column(df, c, "control")
                         for c in names])
    if time is None:
        times, label = df.index, "the index"
    else:
        _checks.require_columns(df, time=time)
        times, label = pd.Index(df[time]), f"time column {time!r}"
    _checks.no_missing(times.to_series(), label)
    _increasing(times, label)
    return y, X, times, names


def _increasing(times, label: str) -> None:
    """Time points strictly increase; name the first that does not."""
    values = times.to_numpy()
    try:
        later = np.asarray(values[1:] > values[:-1], dtype=bool)
    except TypeError:
        raise ValueError(
            f"{label} holds values that cannot be ordered (mixed types?); "
            "use numbers or dates") from None
    if not later.all():
        i = int(np.argmin(later)) + 1
        raise ValueError(
            f"{label} is not strictly increasing: {values[i]!r} (row {i}) "
            f"comes after {values[i - 1]!r}; sort by time and remove "
            "repeated time points first")


def _periods(times, pre_period, post_period, n_controls) -> np.ndarray:
    """Label each time point "pre", "gap", "post" or "" (outside both)."""
    bounds = {}
    for name, period in (("pre_period", pre_period),
                         ("post_period", post_period)):
        if isinstance(period, str) or np.ndim(period) != 1 \
                or len(period) != 2:
            raise ValueError(
                f"{name} must be a pair (first, last), got {period!r}")
        try:
            inside = (times >= period[0]) & (times <= period[1])
        except TypeError:
            raise ValueError(
                f"{name} {period!r} cannot be compared with the time "
                f"points (such as {times[0]!r})") from None
        bounds[name] = np.asarray(inside, dtype=bool)
    pre, post = bounds["pre_period"], bounds["post_period"]
    needed = n_controls + 4  # diffuse states, then data for the variances
    if pre.sum() < needed:
        raise ValueError(
            f"pre_period {pre_period!r} holds {int(pre.sum())} time "
            f"point(s); with {n_controls} control(s) at least {needed} are "
            "needed (and many more for a trustworthy forecast)")
    if not post.any():
        raise ValueError(f"post_period {post_period!r} holds no time point")
    first_post, last_pre = np.argmax(post), len(pre) - 1 - np.argmax(pre[::-1])
    if first_post <= last_pre:
        raise ValueError(
            f"post_period {post_period!r} must start after pre_period "
            f"{pre_period!r} ends")
    label = np.full(len(times), "", dtype=object)
    label[pre], label[post] = "pre", "post"
    label[last_pre + 1:first_post] = "gap"
    return label


def _fit_and_forecast(y, X, pre, level, maxiter):
    """Fit the variances on the pre-period; filter all points with the
    outcome hidden after it, so the filter forecasts the counterfactual.

    The series are standardised with their pre-period means and standard
    deviations first, as in the R package: the likelihood is invariant to
    it, but the optimiser converges far more reliably on unit scales.
    """
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    y_scale = _standardiser(y[pre])
    x_scale = [_standardiser(x) for x in X[pre].T]
    ys = (y - y_scale[0]) / y_scale[1]
    Xs = np.column_stack([(x - m) / s for x, (m, s) in zip(X.T, x_scale)])
    spec = dict(level=level, mle_regression=False)
    # Nelder-Mead, not statsmodels' default L-BFGS: on these small
    # likelihoods L-BFGS's line search often gives up at the optimum and
    # warns that it did not converge; the simplex search does not.
    fit = UnobservedComponents(ys[pre], exog=Xs[pre], **spec).fit(
        disp=False, method="nm", maxiter=maxiter)
    hidden = np.where(pre, ys, np.nan)
    res = UnobservedComponents(hidden, exog=Xs, **spec).filter(fit.params)
    return res, y_scale, np.array(x_scale)


def _not_constant(y, X, pre, outcome, names) -> None:
    """A series constant over the pre-period cannot be standardised, and
    a constant control only duplicates the level."""
    for values, what in ((y, f"outcome column {outcome!r}"),
                         *((x, f"control column {c!r}")
                           for x, c in zip(X.T, names))):
        if np.ptp(values[pre]) == 0:
            raise ValueError(
                f"{what} is constant over the pre-period; drop it (a "
                "control) or check the data")


def _standardiser(values) -> tuple[float, float]:
    sd = float(np.std(values, ddof=1))
    return float(np.mean(values)), sd


def _path(res, y, times, period, alpha):
    """Pointwise table and the variance of each post-period partial sum,
    back on the outcome's scale."""
    z = stats.norm.ppf(1 - alpha / 2)
    mean, scale = _standardiser(y[period == "pre"])
    pred = mean + scale * res.forecasts[0]
    sd = scale * np.sqrt(res.forecasts_error_cov[0, 0])
    burn = res.loglikelihood_burn  # the filter is still diffuse there
    sd[:burn] = np.nan
    pred[:burn] = np.nan
    post = np.flatnonzero(period == "post")
    var_cum = scale**2 * _cumulative_variance(res, post)
    effect = y - pred
    cum = np.full(len(y), np.nan)
    cum[post] = np.cumsum(effect[post])
    cum_sd = np.full(len(y), np.nan)
    cum_sd[post] = np.sqrt(var_cum)
    path = pd.DataFrame({
        "observed": y, "predicted": pred,
        "predicted_low": pred - z * sd, "predicted_high": pred + z * sd,
        "effect": effect, "effect_low": effect - z * sd,
        "effect_high": effect + z * sd, "cumulative": cum,
        "cumulative_low": cum - z * cum_sd,
        "cumulative_high": cum + z * cum_sd, "period": period,
    }, index=pd.Index(times, name="time"))
    return path, var_cum


def _cumulative_variance(res, post) -> np.ndarray:
    r"""Variance of :math:`\sum_{h \le m} y_h(0)` for each post step m."""
    ssm = res.model.ssm
    T = _system_matrix(ssm, "transition", 0)
    sigma2_eps = _system_matrix(ssm, "obs_cov", 0)[0, 0]
    W = np.zeros(T.shape[0])
    total, out = 0.0, []
    for t in post:
        Z = _system_matrix(ssm, "design", t)[0]
        V = res.predicted_state_cov[:, :, t]
        total += Z @ V @ Z + sigma2_eps + 2 * W @ Z
        W = (W + Z @ V) @ T.T
        out.append(total)
    return np.asarray(out)


def _system_matrix(ssm, name: str, t: int) -> np.ndarray:
    """A state-space matrix at time t (statsmodels stores time-invariant
    matrices as 2-d arrays and time-varying ones with a third axis)."""
    matrix = ssm[name]
    if matrix.ndim == 3:
        matrix = matrix[:, :, t if matrix.shape[2] > 1 else 0]
    return matrix
