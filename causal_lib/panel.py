r"""Panels of units over time: difference in differences and synthetic
control.

A panel holds one row per unit and period: a region and a week, a store
and a day. ``treated`` is the 0/1 column "this unit is treated in this
period"; a unit whose first treated period is :math:`g` belongs to
*cohort* :math:`g`, and units never treated form the comparison group.

* :func:`did` fits the two-way fixed-effects regression
  :math:`Y_{it} = \alpha_i + \lambda_t + \tau D_{it} + \varepsilon_{it}`
  with standard errors clustered by unit. With one treatment date (a
  block design) :math:`\hat\tau` is the difference in differences of the
  treated and untreated units' mean changes.
* :func:`event_study` replaces :math:`\tau D_{it}` by one coefficient
  per period relative to the start (leads and lags), the usual check of
  parallel pre-trends.
* :func:`callaway_santanna` handles staggered rollouts, where two-way
  fixed effects compare newly treated units with already treated ones
  (Goodman-Bacon, 2021): it averages the clean 2 x 2 comparisons of each
  cohort with the never-treated units (Callaway and Sant'Anna, 2021).
* :func:`synthetic_control` builds a weighted average of untreated units
  that tracks one treated unit before its start (Abadie, Diamond and
  Hainmueller, 2010), and judges the post-period gap against
  placebo runs on every untreated unit.

Regressions are statsmodels' OLS; the synthetic-control weights come from
scipy's SLSQP optimiser. Every function checks the panel first: no
duplicate unit-period pairs, no missing values, a period with no
untreated unit, or a treated unit never observed untreated before its
start, is an error that names the culprit.

See :ref:`ch-time`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate


# --- checks shared by the estimators ---------------------------------------

def _show(value) -> str:
    """A label for messages: numpy scalars shown as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _panel(df, outcome, unit, time, treated=None) -> pd.DataFrame:
    """A fresh long frame with columns unit, time, period (0, 1, ...),
    y and d, after the checks every panel estimator needs."""
    _checks.require_frame(df)
    roles = dict(outcome=outcome, unit=unit, time=time)
    if treated is not None:
        roles["treated"] = treated
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    for role in ("unit", "time"):
        _checks.no_missing(df[roles[role]], f"{role} column {roles[role]!r}")
    panel = pd.DataFrame({
        "unit": df[unit].to_numpy(), "time": df[time].to_numpy(),
        "y": _checks.numeric_column(df, outcome, "outcome"),
        "d": (0 if treated is None
              else _checks.binary_column(df, treated, "treatment")),
    })
    twice = panel.duplicated(["unit", "time"])
    if twice.any():
        first = np.flatnonzero(twice)[0]
        raise ValueError(
            f"unit {_show(panel['unit'].iloc[first])} appears more than once "
            f"in period {_show(panel['time'].iloc[first])}; a panel needs "
            "one row per unit and period")
    try:
        periods = np.sort(panel["time"].unique())
    except TypeError:
        raise ValueError(
            f"time column {time!r} holds values that cannot be ordered; "
            "use numbers or dates") from None
    panel["period"] = np.searchsorted(periods, panel["time"].to_numpy())
    if treated is not None:
        _check_treatment(panel, treated)
    return panel


def _check_treatment(panel, treated) -> None:
    """Both arms present, an untreated unit in every period, and every
    treated unit seen untreated before its first treated period."""
    if not panel["d"].any() or panel["d"].all():
        raise ValueError(
            f"treatment column {treated!r} must hold both treated (1) and "
            "untreated (0) unit-periods")
    untreated = panel.groupby("time")["d"].min()
    if (untreated == 1).any():
        raise ValueError(
            f"period {_show(untreated.index[untreated == 1][0])} has no "
            "untreated "
            "unit, so nothing shows what would have happened without "
            "treatment then; drop it or add comparison units")
    first = panel.groupby("unit")["period"].min()
    start = panel[panel["d"] == 1].groupby("unit")["period"].min()
    late = start.index[start.to_numpy() <= first[start.index].to_numpy()]
    if len(late):
        raise ValueError(
            f"treated unit {_show(late[0])} (and {len(late) - 1} other(s)) is "
            "never observed untreated before its treatment starts; its "
            "pre-period is missing, so it carries no information on the "
            "effect: drop it or add its earlier periods")


def _cohorts(panel, treated) -> pd.Series:
    """First treated period of each unit (-1 if never treated); treatment
    must stay on once it starts."""
    ordered = panel.sort_values(["unit", "period"])
    switched_off = ordered.groupby("unit")["d"].diff() < 0
    if switched_off.any():
        bad = ordered.loc[switched_off, "unit"].iloc[0]
        raise ValueError(
            f"treatment column {treated!r} switches off for unit "
            f"{_show(bad)}; this estimator needs treatment to stay on once "
            "it starts")
    start = ordered[ordered["d"] == 1].groupby("unit")["period"].min()
    units = ordered["unit"].unique()
    return start.reindex(units, fill_value=-1).astype(int)


def _balanced(panel) -> None:
    """Every unit observed in every period."""
    counts = panel.groupby("unit").size()
    n_periods = panel["period"].nunique()
    short = counts[counts < n_periods]
    if len(short):
        raise ValueError(
            f"the panel is unbalanced: unit {_show(short.index[0])} has "
            f"{int(short.iloc[0])} of the {n_periods} periods (and "
            f"{len(short) - 1} other unit(s) miss some too); this "
            "estimator needs every unit in every period")


def _ols_cluster(y, regressors: pd.DataFrame, panel):
    """OLS of y on the regressors plus unit and period dummies, with
    standard errors clustered by unit."""
    import statsmodels.api as sm

    fixed = pd.get_dummies(
        panel[["unit", "period"]].astype(str), drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat(
        [regressors.reset_index(drop=True), fixed.reset_index(drop=True)],
        axis=1))
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise ValueError(
            "the regressors are collinear, so the effect is not identified: "
            "the unit and period fixed effects cannot be told apart (units "
            "observed in disjoint sets of periods?) or the treatment terms "
            "are a combination of them; check which periods each unit has")
    groups = pd.factorize(panel["unit"])[0]
    return sm.OLS(np.asarray(y), X).fit(
        cov_type="cluster", cov_kwds={"groups": groups})


# --- difference in differences ---------------------------------------------

def did(
    df: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Difference in differences by two-way fixed effects.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit and period.
    outcome : str
        Numeric outcome column.
    unit, time : str
        Columns naming the unit and the period (periods must be
        orderable: numbers or dates).
    treated : str
        0/1 column: 1 if this unit is treated in this period.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"ATT"``; ``n`` the number of units, ``n_treated`` those
        treated in some period.

    Raises
    ------
    ValueError
        For missing columns or values, a non-numeric outcome, a treatment
        that is not 0/1, a unit appearing twice in a period, a period
        without untreated units, or a treated unit with no untreated
        period before its start.

    Notes
    -----
    The regression is :math:`Y_{it} = \alpha_i + \lambda_t + \tau D_{it}
    + \varepsilon_{it}`, fitted by OLS with unit and period dummies; the
    standard error is clustered by unit (statsmodels' correction
    :math:`\frac{G}{G-1}\frac{N-1}{N-K}`, with :math:`K` counting every
    dummy; packages that drop fixed effects nested in the clusters from
    :math:`K`, such as R's fixest, report smaller ones). In a balanced
    panel where all treated units start together, :math:`\hat\tau` equals
    the 2 x 2 difference in differences of period means,
    :math:`(\bar Y_{1,\text{post}} - \bar Y_{1,\text{pre}}) -
    (\bar Y_{0,\text{post}} - \bar Y_{0,\text{pre}})`.

    It estimates the ATT under parallel trends (without treatment, treated
    and untreated units would have changed alike on average) and no
    anticipation. With staggered starts and effects that change over time
    it is a weighted average with possibly negative weights
    (Goodman-Bacon, 2021); use :func:`callaway_santanna`.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in
    treatment timing. *Journal of Econometrics* 225(2), 254-277.

    See :ref:`ch-time`.

    Examples
    --------
    >>> df = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3],
    ...                    "week": [0, 1, 0, 1, 0, 1],
    ...                    "sales": [10., 15., 8., 9., 6., 8.],
    ...                    "launched": [0, 1, 0, 0, 0, 0]})
    >>> est = did(df, outcome="sales", unit="unit", time="week",
    ...           treated="launched")
    >>> round(est.estimate, 6)  # (15 - 10) - (9 + 8 - 8 - 6) / 2
    3.5
    """
    alpha = _checks.check_alpha(alpha)
    panel = _panel(df, outcome, unit, time, treated)
    fit = _ols_cluster(panel["y"], panel[["d"]], panel)
    ever = panel.groupby("unit")["d"].max()
    return EffectEstimate.from_normal(
        "ATT", fit.params["d"], fit.bse["d"], n=len(ever),
        n_treated=int(ever.sum()), alpha=alpha,
        method="two-way fixed effects, SE clustered by unit")


def event_study(
    df: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    reference: int = -1,
    window: tuple[int, int] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Effects by period relative to the start: leads and lags.

    Parameters
    ----------
    df, outcome, unit, time, treated
        As in :func:`did`; treatment must stay on once it starts.
    reference : int, default -1
        The relative period whose coefficient is set to zero (the last
        period before the start).
    window : (int, int), optional
        ``(first, last)`` relative periods to estimate; earlier and later
        ones are pooled into the end points ("binned").
    alpha : float, default 0.05
        Intervals have level :math:`1 - \alpha`.

    Returns
    -------
    pandas.DataFrame
        One row per relative period ``k`` (index ``relative_time``):
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` (the reference
        row is 0 with no interval). ``attrs`` holds the joint test that
        all leads (``k < 0`` except the reference) are zero:
        ``pretrend_f``, its degrees of freedom ``pretrend_df`` and
        ``pretrend_df_denom``, and ``pretrend_pvalue``.

    Raises
    ------
    ValueError
        As :func:`did`, and if treatment switches off, the reference is
        not an observed relative period, or the event-time terms are
        collinear with the fixed effects.

    Notes
    -----
    With :math:`G_i` unit :math:`i`'s first treated period, the regression
    is :math:`Y_{it} = \alpha_i + \lambda_t + \sum_{k \ne r} \beta_k
    1[t - G_i = k] + \varepsilon_{it}`, never-treated units having all
    indicators zero; standard errors are clustered by unit. Lags
    (:math:`k \ge 0`) trace the effect over time; leads should be near
    zero if trends were parallel before the start, although near-zero
    leads do not prove that they stayed parallel after it. With staggered
    starts and heterogeneous effects the coefficients can mix
    effects of different periods (Sun and Abraham, 2021).

    The pre-trend test is statsmodels' cluster-robust Wald test of the
    :math:`q` leads in its :math:`F` form: the statistic over :math:`q`,
    referred to an :math:`F(q, G - 1)` distribution, :math:`G` the number
    of units.
    Even so it rejects too often when :math:`q` is not small relative to
    :math:`G`, and it has little power against slow drifts.

    See :ref:`ch-time`.

    References
    ----------
    Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects
    in event studies with heterogeneous treatment effects. *Journal of
    Econometrics* 225(2), 175-199.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "unit": np.repeat([1, 2, 3, 4], 3), "week": [0, 1, 2] * 4,
    ...     "sales": [1., 2., 6., 2., 3., 7., 1., 2., 3., 3., 4., 5.],
    ...     "launched": [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]})
    >>> table = event_study(df, outcome="sales", unit="unit", time="week",
    ...                     treated="launched")
    >>> table["estimate"].round(6).abs().to_dict()  # +4 against +1
    {-2: 0.0, -1: 0.0, 0: 3.0}
    """
    alpha = _checks.check_alpha(alpha)
    panel = _panel(df, outcome, unit, time, treated)
    cohort = _cohorts(panel, treated)
    g = panel["unit"].map(cohort).to_numpy()
    rel = np.where(g >= 0, panel["period"].to_numpy() - g, np.nan)
    if window is not None:
        rel = np.where(np.isnan(rel), rel, np.clip(rel, *window))
    ks = sorted(int(k) for k in np.unique(rel[~np.isnan(rel)]))
    if reference not in ks:
        raise ValueError(
            f"reference {reference} is not an observed relative period "
            f"(observed: {ks[0]} to {ks[-1]})")
    ks.remove(reference)
    dummies = pd.DataFrame({f"k{k}": (rel == k).astype(float) for k in ks})
    fit = _ols_cluster(panel["y"], dummies, panel)
    return _event_table(fit, ks, reference, alpha, len(cohort))


def _event_table(fit, ks, reference, alpha, n_units) -> pd.DataFrame:
    names = [f"k{k}" for k in ks]
    z = stats.norm.ppf(1 - alpha / 2)
    est, se = fit.params[names].to_numpy(), fit.bse[names].to_numpy()
    table = pd.DataFrame(
        {"estimate": est, "std_error": se, "ci_low": est - z * se,
         "ci_high": est + z * se}, index=pd.Index(ks, name="relative_time"))
    table.loc[reference] = [0.0, 0.0, np.nan, np.nan]
    table = table.sort_index()
    leads = [f"k{k}" for k in ks if k < 0]
    test = dict(pretrend_f=np.nan, pretrend_df=len(leads),
                pretrend_df_denom=n_units - 1, pretrend_pvalue=np.nan)
    if leads:
        R = np.zeros((len(leads), len(fit.params)))
        R[np.arange(len(leads)), fit.params.index.get_indexer(leads)] = 1
        wald = fit.wald_test(R, use_f=True, scalar=True)
        test.update(pretrend_f=float(wald.statistic),
                    pretrend_df_denom=int(wald.df_denom),
                    pretrend_pvalue=float(wald.pvalue))
    table.attrs.update(test)
    return table


# --- staggered adoption ------------------------------------------------------

def group_time_effects(
    df: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Callaway and Sant'Anna's :math:`ATT(g, t)`, one row per cohort and
    post-start period.

    Parameters
    ----------
    df, outcome, unit, time, treated, alpha
        As in :func:`callaway_santanna`.

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort`` and ``time`` (as in ``df``), ``relative_time``,
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` and
        ``n_cohort`` (units in the cohort).

    Notes
    -----
    :math:`\widehat{ATT}(g, t) = \overline{(Y_t - Y_{g-1})}_{G = g} -
    \overline{(Y_t - Y_{g-1})}_{\text{never}}`, with the two-sample
    variance :math:`s^2_g / N_g + s^2_\infty / N_\infty` of the changes.

    See :ref:`ch-time`.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences
    with multiple time periods. *Journal of Econometrics* 225(2),
    200-230.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "unit": np.repeat([1, 2, 3, 4], 2), "week": [0, 1] * 4,
    ...     "sales": [10., 15., 12., 16., 8., 9., 6., 8.],
    ...     "launched": [0, 1, 0, 1, 0, 0, 0, 0]})
    >>> cells = group_time_effects(df, outcome="sales", unit="unit",
    ...                            time="week", treated="launched")
    >>> cells[["cohort", "time", "estimate"]].to_dict("records")
    [{'cohort': 1, 'time': 1, 'estimate': 3.0}]
    """
    alpha = _checks.check_alpha(alpha)
    cells, times, _ = _staggered_cells(df, outcome, unit, time, treated)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for g, t, change, in_g, never in cells:
        est = change[in_g].mean() - change[never].mean()
        se = np.sqrt(change[in_g].var(ddof=1) / in_g.sum()
                     + change[never].var(ddof=1) / never.sum())
        rows.append({"cohort": times[g], "time": times[t],
                     "relative_time": t - g, "estimate": est,
                     "std_error": se, "ci_low": est - z * se,
                     "ci_high": est + z * se, "n_cohort": int(in_g.sum())})
    return pd.DataFrame(rows)


def callaway_santanna(
    df: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""The ATT of a staggered rollout, by Callaway and Sant'Anna.

    Parameters
    ----------
    df : pandas.DataFrame
        A balanced panel, one row per unit and period, with never-treated
        units (at least two) and at least two units in every cohort.
    outcome, unit, time, treated : str
        As in :func:`did`; treatment must stay on once it starts.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"ATT"``: the average effect over all treated
        unit-periods. ``n`` units, ``n_treated`` the ever-treated ones.

    Raises
    ------
    ValueError
        As :func:`did`, and for an unbalanced panel, treatment that
        switches off, fewer than two never-treated units, or a cohort of
        one unit.

    Notes
    -----
    Each cohort :math:`g` (units first treated in period :math:`g`) is
    compared with the never-treated units by a 2 x 2 difference in
    differences from period :math:`g - 1` to each later period :math:`t`
    (:func:`group_time_effects`). The overall ATT weights each
    :math:`ATT(g, t)` by the cohort's size, :math:`w_{gt} = N_g / \sum
    N_{g'}` over all post-start cells, so it is the mean effect over
    treated unit-periods; the "simple" aggregation of Callaway and
    Sant'Anna (2021). No already-treated unit ever serves as a
    comparison, which is what breaks two-way fixed effects under
    staggered timing (Goodman-Bacon, 2021).

    The estimate is a sum of per-unit terms :math:`\psi_i` (a cohort
    member's weighted changes over :math:`N_g`, minus a never-treated
    unit's over :math:`N_\infty`), so with units independent its variance
    is :math:`\sum_k N_k\, s^2_k(\psi)` over the cohorts and the
    never-treated group, taking the cohort sizes as fixed. Assumptions:
    parallel trends between each cohort and the never-treated units, no
    anticipation, treatment that stays on.

    See :ref:`ch-time`.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences
    with multiple time periods. *Journal of Econometrics* 225(2),
    200-230.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "unit": np.repeat([1, 2, 3, 4], 2), "week": [0, 1] * 4,
    ...     "sales": [10., 15., 12., 16., 8., 9., 6., 8.],
    ...     "launched": [0, 1, 0, 1, 0, 0, 0, 0]})
    >>> est = callaway_santanna(df, outcome="sales", unit="unit",
    ...                         time="week", treated="launched")
    >>> round(est.estimate, 6)  # (5 + 4) / 2 - (1 + 2) / 2
    3.0
    """
    alpha = _checks.check_alpha(alpha)
    cells, _, cohort = _staggered_cells(df, outcome, unit, time, treated)
    total = sum(in_g.sum() for _, _, _, in_g, _ in cells)
    psi = np.zeros(len(cohort))
    for _, _, change, in_g, never in cells:
        w = in_g.sum() / total  # N_g over the sum across post cells
        psi[in_g] += w * change[in_g] / in_g.sum()
        psi[never] -= w * change[never] / never.sum()
    by_group = pd.Series(psi).groupby(cohort)
    variance = float((by_group.count() * by_group.var(ddof=1)).sum())
    return EffectEstimate.from_normal(
        "ATT", psi.sum(), np.sqrt(variance), n=len(cohort),
        n_treated=int((cohort >= 0).sum()), alpha=alpha,
        method="Callaway-Sant'Anna (never-treated comparison, simple "
               "aggregation)")


def _staggered_cells(df, outcome, unit, time, treated):
    """The 2 x 2 comparisons behind ATT(g, t): for each cohort g and
    period t >= g, every unit's change Y_t - Y_{g-1} and the masks of
    cohort g and of the never-treated units."""
    panel = _panel(df, outcome, unit, time, treated)
    _balanced(panel)
    cohort = _cohorts(panel, treated)
    sizes = cohort.value_counts()
    if sizes.get(-1, 0) < 2:
        raise ValueError(
            f"{int(sizes.get(-1, 0))} never-treated unit(s); comparing "
            "each cohort with the never-treated units needs at least two")
    if (sizes < 2).any():
        g = sizes.index[sizes < 2][0]
        raise ValueError(
            f"the cohort first treated in period index {g} has one unit; "
            "its variance cannot be estimated (pool it with a neighbour)")
    Y = panel.pivot(index="unit", columns="period", values="y").loc[
        cohort.index].to_numpy()
    g_of = cohort.to_numpy()
    never = g_of == -1
    cells = [(g, t, Y[:, t] - Y[:, g - 1], g_of == g, never)
             for g in sorted(set(g_of) - {-1})
             for t in range(g, Y.shape[1])]
    times = np.sort(panel["time"].unique())
    return cells, times, g_of


# --- synthetic control -------------------------------------------------------

@dataclass(frozen=True)
class SyntheticControlResult:
    r"""What :func:`synthetic_control` returns.

    Attributes
    ----------
    weights : pandas.Series
        The donors' weights (non-negative, summing to one), largest first.
    path : pandas.DataFrame
        Indexed by time: ``treated``, ``synthetic``, ``gap`` (treated minus
        synthetic) and ``period`` ("pre" or "post").
    gaps : pandas.DataFrame or None
        Time by unit: each unit's gap when it plays the treated unit, the
        real treated unit first, then the placebos; None without
        placebos.
    placebos : pandas.DataFrame or None
        One row per unit: ``pre_rmspe``, ``post_rmspe``, their ``ratio``
        and its ``rank`` (1 = largest); None without placebos.
    p_value : float
        The treated unit's rank divided by the number of units (NaN
        without placebos).
    """

    weights: pd.Series
    path: pd.DataFrame = field(repr=False)
    gaps: pd.DataFrame | None = field(repr=False, default=None)
    placebos: pd.DataFrame | None = field(repr=False, default=None)
    p_value: float = np.nan

    @property
    def average_gap(self) -> float:
        """Mean post-period gap: the estimated average effect."""
        post = self.path["period"] == "post"
        return float(self.path.loc[post, "gap"].mean())

    @property
    def pre_rmspe(self) -> float:
        """Root mean squared gap before the start: the quality of fit."""
        pre = self.path["period"] == "pre"
        return float(np.sqrt((self.path.loc[pre, "gap"] ** 2).mean()))


def synthetic_control(
    df: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated_unit,
    start,
    placebos: bool = True,
) -> SyntheticControlResult:
    r"""Synthetic control for one treated unit, with placebo inference.

    Parameters
    ----------
    df : pandas.DataFrame
        A balanced panel: one row per unit and period.
    outcome, unit, time : str
        The outcome column, the unit and the period columns.
    treated_unit
        The unit (a value of ``unit``) that was treated.
    start
        The first treated period (a value comparable with ``time``);
        earlier periods form the pre-period.
    placebos : bool, default True
        Also run the method on every untreated unit (with the treated unit
        left out of the donors) and rank the post/pre RMSPE ratios.

    Returns
    -------
    SyntheticControlResult
        ``weights``, the ``path`` of treated, synthetic and gap,
        the placebo ``gaps`` and ``placebos`` table, and the ``p_value``.

    Raises
    ------
    ValueError
        For missing columns or values, a non-numeric outcome, a unit
        appearing twice in a period, an unknown treated unit, a treated
        unit with no pre-period rows, an unbalanced panel, fewer than two
        pre-periods or no post-period, or fewer than two donors.

    Notes
    -----
    With :math:`Y_{1t}` the treated unit's outcome and :math:`Y_{jt}`
    the donors', the weights solve

    .. math::

        \min_w \sum_{t < T_0} \Big(Y_{1t} - \sum_j w_j Y_{jt}\Big)^2
        \quad\text{subject to}\quad w_j \ge 0,\ \sum_j w_j = 1,

    by scipy's SLSQP (the weights are then clipped at zero and rescaled
    to sum exactly to one). The synthetic unit :math:`\sum_j w_j Y_{jt}`
    estimates :math:`Y_{1t}(0)`; the gap after :math:`T_0` estimates the
    effect. This matches the pre-period outcomes only; Abadie, Diamond
    and Hainmueller (2010) also match covariates with a weighting matrix
    :math:`V`.

    Inference is by placebos in space: each donor in turn plays the
    treated unit. A unit's ratio :math:`\mathrm{RMSPE}_\text{post} /
    \mathrm{RMSPE}_\text{pre}` is large when its post gap is large
    relative to how well it was fitted; the treated unit's rank among all
    ratios, over the number of units, is an exact permutation p-value if
    the treated unit had been picked at random.

    Assumptions: the donors were untouched by the treatment; the treated
    unit's untreated outcome follows the same weighted combination of
    donors after :math:`T_0` as before (for instance, a factor model whose
    loadings the donors' convex hull contains); no anticipation.

    See :ref:`ch-time`.

    References
    ----------
    Abadie, A., Diamond, A. and Hainmueller, J. (2010). Synthetic control
    methods for comparative case studies: Estimating the effect of
    California's tobacco control program. *Journal of the American
    Statistical Association* 105(490), 493-505.

    Examples
    --------
    >>> t = np.arange(10)
    >>> df = pd.DataFrame({
    ...     "region": np.repeat(["a", "b", "c"], 10), "week": np.tile(t, 3),
    ...     "sales": np.r_[t + 5 * (t >= 7), 2 * t, 0 * t]})
    >>> res = synthetic_control(df, outcome="sales", unit="region",
    ...                         time="week", treated_unit="a", start=7,
    ...                         placebos=False)
    >>> res.weights.round(3).to_dict()  # a = b / 2 + c / 2 before week 7
    {'b': 0.5, 'c': 0.5}
    >>> round(res.average_gap, 3)
    5.0
    """
    panel = _panel(df, outcome, unit, time)
    Y, pre = _sc_inputs(panel, treated_unit, start)
    weights = _sc_weights(Y[treated_unit][pre], Y.drop(columns=treated_unit)[
        pre])
    synthetic = Y.drop(columns=treated_unit) @ weights
    path = pd.DataFrame({
        "treated": Y[treated_unit], "synthetic": synthetic,
        "gap": Y[treated_unit] - synthetic,
        "period": np.where(pre, "pre", "post")}, index=Y.index)
    weights = weights.sort_values(ascending=False)
    if not placebos:
        return SyntheticControlResult(weights=weights, path=path)
    gaps, table = _placebo_runs(Y, pre, treated_unit, path["gap"])
    return SyntheticControlResult(
        weights=weights, path=path, gaps=gaps, placebos=table,
        p_value=float(table.loc[treated_unit, "rank"] / len(table)))


def _sc_inputs(panel, treated_unit, start):
    """The outcome as a time by unit table, and the pre-period mask."""
    units = panel["unit"].unique()
    if treated_unit not in set(units):
        raise ValueError(
            f"treated_unit {treated_unit!r} is not a unit of the panel "
            f"(such as {_show(units[0])})")
    try:
        pre = (panel["time"] < start).to_numpy()
    except TypeError:
        raise ValueError(
            f"start {start!r} cannot be compared with the periods (such as "
            f"{panel['time'].iloc[0]!r})") from None
    mine = (panel["unit"] == treated_unit).to_numpy()
    if not (pre & mine).any():
        raise ValueError(
            f"treated unit {treated_unit!r} has no rows before start "
            f"{start!r}: its pre-period is missing, so nothing can be "
            "matched")
    _balanced(panel)
    Y = panel.pivot(index="time", columns="unit", values="y")
    pre = np.asarray(Y.index < start)
    if pre.sum() < 2 or pre.all():
        raise ValueError(
            f"start {start!r} leaves {int(pre.sum())} pre-period(s) and "
            f"{int((~pre).sum())} post-period(s); at least two before and "
            "one after are needed")
    if Y.shape[1] < 3:
        raise ValueError(
            "synthetic control needs at least two donor units besides the "
            "treated one")
    return Y, pre


def _sc_weights(target: pd.Series, donors: pd.DataFrame) -> pd.Series:
    """Simplex weights that best reproduce ``target`` from ``donors``."""
    # One common scale keeps the loss near 1 whatever the units (SLSQP's
    # tolerance is absolute).
    scale = np.sqrt(np.mean(donors.to_numpy() ** 2)) or 1.0
    y, X = target.to_numpy() / scale, donors.to_numpy() / scale
    k = X.shape[1]
    # Start from non-negative least squares with the sum-to-one constraint
    # as a heavily weighted extra row: from there SLSQP needs one or two
    # iterations, and it reaches a lower loss than from equal weights,
    # where it often stops early on flat stretches (Texas placebos: 50x
    # faster, never worse; bench/bench_timeseries.py).
    start, _ = optimize.nnls(np.vstack([X, np.full(k, 1e3)]),
                             np.r_[y, 1e3])
    start = start / start.sum() if start.sum() > 0 else np.full(k, 1 / k)

    def loss(w):
        r = y - X @ w
        return r @ r / len(y)

    def grad(w):
        return -2 * X.T @ (y - X @ w) / len(y)

    fit = optimize.minimize(
        loss, start, jac=grad, method="SLSQP", bounds=[(0.0, 1.0)] * k,
        constraints={"type": "eq", "fun": lambda w: w.sum() - 1,
                     "jac": lambda w: np.ones(k)},
        options={"ftol": 1e-12, "maxiter": 1000})
    if not fit.success:
        warnings.warn(
            f"synthetic-control weights: the optimiser stopped early "
            f"({fit.message})", RuntimeWarning, stacklevel=3)
    w = np.clip(fit.x, 0.0, None)
    return pd.Series(w / w.sum(), index=donors.columns, name="weight")


def _placebo_runs(Y, pre, treated_unit, treated_gap):
    """Every unit's gap when it plays the treated unit (the real treated
    unit is never a donor), and the RMSPE ratios ranked."""
    gaps = {treated_unit: treated_gap}
    others = Y.drop(columns=treated_unit)
    for j in others.columns:
        donors = others.drop(columns=j)
        w = _sc_weights(others[j][pre], donors[pre])
        gaps[j] = others[j] - donors @ w
    gaps = pd.DataFrame(gaps)
    rmspe = pd.DataFrame({
        "pre_rmspe": np.sqrt((gaps[pre] ** 2).mean()),
        "post_rmspe": np.sqrt((gaps[~pre] ** 2).mean())})
    rmspe["ratio"] = rmspe["post_rmspe"] / rmspe["pre_rmspe"]
    rmspe["rank"] = rmspe["ratio"].rank(ascending=False, method="min")
    return gaps, rmspe
