"""Panels: difference in differences by hand and against statsmodels,
staggered rollouts, synthetic control, a published number, every error."""

from __future__ import annotations

import causaldata
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_lib import (
    callaway_santanna, did, event_study, group_time_effects, simulate,
    synthetic_control,
)

ROLES = dict(outcome="revenue", unit="region", time="week",
             treated="launched")


@pytest.fixture
def tiny():
    # Unit 1 is treated in period 1: (15 - 10) - mean(9 - 8, 8 - 6) = 3.5.
    return pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3],
                         "week": [0, 1, 0, 1, 0, 1],
                         "sales": [10., 15., 8., 9., 6., 8.],
                         "launched": [0, 1, 0, 0, 0, 0]})


TINY = dict(outcome="sales", unit="unit", time="week", treated="launched")


@pytest.fixture(scope="module")
def organ():
    od = causaldata.organ_donations.load_pandas().data
    return od.assign(Treated=((od["State"] == "California")
                              & (od["Quarter_Num"] >= 4)).astype(int))


# --- difference in differences -----------------------------------------------

def test_did_is_the_hand_computed_2x2(tiny):
    est = did(tiny, **TINY)
    assert est.estimate == pytest.approx(3.5, rel=1e-12)
    assert (est.n, est.n_treated, est.estimand) == (3, 1, "ATT")


def test_did_equals_the_difference_of_period_means():
    """Identity: in a balanced block design, two-way fixed effects equal
    the 2 x 2 difference in differences of pre- and post-period means."""
    data, _ = simulate.rollout_panel(rng=4)
    est = did(data, **ROLES)
    ever = data["launch_week"].notna()
    post = data["week"] >= 10
    means = data.groupby([ever, post])["revenue"].mean()
    by_hand = (means[True, True] - means[True, False]) - (
        means[False, True] - means[False, False])
    assert est.estimate == pytest.approx(by_hand, rel=1e-10)


def test_did_agrees_with_statsmodels_clustered_ols():
    data, _ = simulate.rollout_panel(40, 8, rng=5, cohorts={4: 15})
    est = did(data, **ROLES)
    fit = smf.ols("revenue ~ launched + C(region) + C(week)", data).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(data["region"])[0]})
    assert est.estimate == pytest.approx(fit.params["launched"], rel=1e-10)
    assert est.std_error == pytest.approx(fit.bse["launched"], rel=1e-10)
    low, high = fit.conf_int().loc["launched"]
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high),
                                                      rel=1e-10)


def test_did_recovers_a_block_design_effect():
    data, truth = simulate.rollout_panel(rng=6, effect=1.5)
    est = did(data, **ROLES)
    assert abs(est.estimate - truth.att) < 4 * est.std_error


def test_did_reproduces_the_effect_organ_donations(organ):
    """Huntington-Klein, The Effect, ch. 18: California's active-choice
    question and organ-donor registration, -0.0225 (two-way FE)."""
    est = did(organ, outcome="Rate", unit="State", time="Quarter_Num",
              treated="Treated")
    assert round(est.estimate, 4) == -0.0225
    assert est.n == 27 and est.n_treated == 1


def test_did_accepts_dates_and_leaves_the_frame_alone(tiny):
    dated = tiny.assign(week=pd.to_datetime(["2025-01-06", "2025-01-13"]
                                            * 3))
    before = dated.copy()
    assert did(dated, **TINY).estimate == pytest.approx(3.5)
    pd.testing.assert_frame_equal(dated, before)


# --- event study -------------------------------------------------------------

def test_event_study_traces_a_growing_effect():
    data, _ = simulate.rollout_panel(rng=7, effect=1.0, growth=0.5)
    table = event_study(data, **ROLES)
    assert table.loc[-1, "estimate"] == 0
    for k, row in table.iterrows():
        true = 1.0 + 0.5 * k if k >= 0 else 0.0
        if k != -1:
            assert abs(row["estimate"] - true) < 4 * row["std_error"]
    assert table.attrs["pretrend_df"] == 9
    assert table.attrs["pretrend_pvalue"] > 0.001


def test_pretrend_test_is_statsmodels_f_test():
    data, _ = simulate.rollout_panel(30, 8, rng=3, cohorts={4: 10})
    table = event_study(data, **ROLES)
    rel = data["week"] - data["launch_week"].astype(float)
    for k in [-4, -3, -2, 0, 1, 2, 3]:
        data[f"k{k + 10}"] = (rel == k).astype(float).fillna(0.0)
    fit = smf.ols("revenue ~ k6 + k7 + k8 + k10 + k11 + k12 + k13"
                  " + C(region) + C(week)", data).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(data["region"])[0]})
    np.testing.assert_allclose(
        table.loc[[-4, -3, -2, 0, 1, 2, 3], "estimate"],
        fit.params[["k6", "k7", "k8", "k10", "k11", "k12", "k13"]],
        rtol=1e-9)
    wald = fit.wald_test("k6 = 0, k7 = 0, k8 = 0", use_f=True, scalar=True)
    assert table.attrs["pretrend_f"] == pytest.approx(wald.statistic)
    assert table.attrs["pretrend_pvalue"] == pytest.approx(wald.pvalue)
    assert (table.attrs["pretrend_df"],
            table.attrs["pretrend_df_denom"]) == (3, 29)


def test_event_study_flags_diverging_trends():
    data, _ = simulate.rollout_panel(rng=7, pretrend=0.3)
    table = event_study(data, **ROLES)
    assert table.attrs["pretrend_pvalue"] < 1e-6


def test_event_study_single_treated_unit(organ):
    table = event_study(organ, outcome="Rate", unit="State",
                        time="Quarter_Num", treated="Treated")
    assert list(table.index) == [-3, -2, -1, 0, 1, 2]
    # With one treated unit starting at once, the lags average to the
    # two-way estimate (each lag is a 2 x 2 against the reference).
    lags = table.loc[[0, 1, 2], "estimate"]
    assert np.isfinite(table["std_error"]).all()
    assert lags.mean() < 0


def test_event_study_window_bins_the_ends():
    data, _ = simulate.rollout_panel(rng=8)
    table = event_study(data, **ROLES, window=(-3, 2))
    assert list(table.index) == [-3, -2, -1, 0, 1, 2]


# --- staggered rollouts ------------------------------------------------------

@pytest.fixture(scope="module")
def staggered():
    return simulate.rollout_panel(rng=1, cohorts={6: 15, 10: 15, 14: 15},
                                  effect=0.5, growth=0.5)


def test_callaway_santanna_is_the_2x2_with_two_periods():
    data = pd.DataFrame({
        "unit": np.repeat([1, 2, 3, 4], 2), "week": [0, 1] * 4,
        "sales": [10., 15., 12., 16., 8., 9., 6., 8.],
        "launched": [0, 1, 0, 1, 0, 0, 0, 0]})
    est = callaway_santanna(data, **TINY)
    assert est.estimate == pytest.approx(3.0, rel=1e-12)
    # psi: treated +(5, 4)/2, never -(1, 2)/2; variance 2 s^2 per group.
    assert est.std_error == pytest.approx(np.sqrt(2 * 0.125 + 2 * 0.125))
    assert did(data, **TINY).estimate == pytest.approx(3.0)


def test_callaway_santanna_recovers_the_truth_where_twfe_fails(staggered):
    data, truth = staggered
    cs = callaway_santanna(data, **ROLES)
    twfe = did(data, **ROLES)
    assert abs(cs.estimate - truth.att) < 4 * cs.std_error
    assert abs(twfe.estimate - truth.att) > 4 * twfe.std_error
    assert cs.n_treated == 45 and cs.n == 60


def test_group_time_effects_by_hand(staggered):
    data, truth = staggered
    table = group_time_effects(data, **ROLES)
    wide = data.pivot(index="region", columns="week", values="revenue")
    cohort = data.groupby("region")["launch_week"].first()
    change = wide[12] - wide[9]
    expected = (change[cohort == 10].mean()
                - change[cohort.isna()].mean())
    cell = table[(table["cohort"] == 10) & (table["time"] == 12)].iloc[0]
    assert cell["estimate"] == pytest.approx(expected, rel=1e-12)
    assert cell["relative_time"] == 2 and cell["n_cohort"] == 15
    # The overall ATT weights every cell by its cohort's size.
    weights = table["n_cohort"] / table["n_cohort"].sum()
    overall = callaway_santanna(data, **ROLES)
    assert (weights * table["estimate"]).sum() == pytest.approx(
        overall.estimate, rel=1e-12)
    effects = truth.effects.groupby(
        [data["launch_week"], data["week"]]).mean()
    for _, row in table.iterrows():
        true = effects[row["cohort"], row["time"]]
        assert abs(row["estimate"] - true) < 4 * row["std_error"]


# --- synthetic control -------------------------------------------------------

def test_synthetic_control_finds_an_exact_mixture():
    t = np.arange(12)
    df = pd.DataFrame({
        "region": np.repeat(["a", "b", "c", "d"], 12),
        "week": np.tile(t, 4),
        "sales": np.r_[0.3 * np.sin(t) + 0.7 * t + 4 * (t >= 9),
                       np.sin(t), t, 5 + 0 * t]})
    res = synthetic_control(df, outcome="sales", unit="region", time="week",
                            treated_unit="a", start=9)
    assert res.weights[["b", "c", "d"]].to_numpy() == pytest.approx(
        [0.3, 0.7, 0.0], abs=1e-6)
    assert res.pre_rmspe < 1e-6
    assert res.average_gap == pytest.approx(4.0, abs=1e-5)
    assert res.placebos.loc["a", "rank"] == 1
    assert res.p_value == pytest.approx(1 / 4)


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(3, 8), st.integers(3, 10))
def test_weights_lie_on_the_simplex(seed, n_units, n_pre):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n_units, n_pre + 2)).cumsum(axis=1)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_pre + 2),
                       "t": np.tile(np.arange(n_pre + 2), n_units),
                       "y": Y.ravel()})
    res = synthetic_control(df, outcome="y", unit="unit", time="t",
                            treated_unit=0, start=n_pre)
    assert (res.weights >= 0).all()
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert len(res.weights) == n_units - 1
    assert 1 <= res.placebos.loc[0, "rank"] <= n_units


def test_synthetic_control_recovers_a_simulated_launch():
    data, truth = simulate.synthetic_launch(rng=2)
    res = synthetic_control(data, outcome="revenue", unit="region",
                            time="week", treated_unit="launch", start=30)
    placebo_effects = res.gaps.iloc[30:, 1:].mean()
    assert abs(res.average_gap - truth.att) < 4 * placebo_effects.std()
    assert res.placebos.loc["launch", "rank"] == 1
    # Parallel trends fail here: difference in differences is far off.
    twfe = did(data, **ROLES)
    assert twfe.estimate - truth.att > 4 * twfe.std_error


def test_synthetic_texas_shows_the_published_rise():
    """Cunningham's Mixtape (Texas prison expansion, 1993): black male
    incarceration rose far above synthetic Texas after 1993."""
    texas = causaldata.texas.load_pandas().data
    res = synthetic_control(texas, outcome="bmprison", unit="state",
                            time="year", treated_unit="Texas", start=1994)
    path = res.path
    pre, post = path["period"] == "pre", path["period"] == "post"
    assert res.pre_rmspe < 0.05 * path.loc[pre, "treated"].mean()
    assert (path.loc[post, "gap"] > 0).all()
    assert path.loc[2000, "treated"] > 1.5 * path.loc[2000, "synthetic"]
    assert res.placebos["post_rmspe"].idxmax() == "Texas"


# --- errors ------------------------------------------------------------------

def test_rejects_an_unbalanced_panel(staggered):
    data, _ = staggered
    holes = data.drop(index=[5])
    with pytest.raises(ValueError, match="unbalanced: unit 'R00' has 19"):
        callaway_santanna(holes, **ROLES)
    with pytest.raises(ValueError, match="unbalanced"):
        synthetic_control(holes, outcome="revenue", unit="region",
                          time="week", treated_unit="R01", start=10)
    assert np.isfinite(did(holes, **ROLES).estimate)  # TWFE copes


def test_rejects_a_treated_unit_without_pre_period(tiny):
    always = tiny.assign(launched=[1, 1, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="treated unit 1 .* never observed"):
        did(always, **TINY)
    late = tiny[~((tiny["unit"] == 1) & (tiny["week"] == 0))]
    with pytest.raises(ValueError, match="never observed untreated"):
        did(late, **TINY)
    with pytest.raises(ValueError, match="treated unit 1 has no rows before"):
        synthetic_control(late, outcome="sales", unit="unit", time="week",
                          treated_unit=1, start=1)


def test_rejects_a_period_without_controls(tiny):
    everyone = tiny.assign(launched=[0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="period 1 has no untreated unit"):
        did(everyone, **TINY)


@pytest.mark.parametrize("change, message", [
    (dict(launched=[0, 2, 0, 0, 0, 0]), "must be 0/1"),
    (dict(launched=[0, 0, 0, 0, 0, 0]), "both treated"),
    (dict(sales=[10., np.nan, 8., 9., 6., 8.]), "1 missing"),
    (dict(sales=list("abcdef")), "must be numeric"),
    (dict(unit=[1, 1, 2, 2, None, 3]), "unit column 'unit' has 1 missing"),
    (dict(week=[0, 0, 0, 1, 0, 1]), "unit 1 appears more than once"),
    (dict(week=[0, "1", 0, "1", 0, "1"]), "cannot be ordered"),
])
def test_rejects_bad_columns(tiny, change, message):
    with pytest.raises(ValueError, match=message):
        did(tiny.assign(**change), **TINY)


def test_rejects_bad_roles(tiny):
    with pytest.raises(ValueError, match="treated column 'x' not found"):
        did(tiny, **(TINY | dict(treated="x")))
    with pytest.raises(ValueError, match="given as both"):
        did(tiny, **(TINY | dict(unit="sales")))
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        did(tiny.to_numpy(), **TINY)
    with pytest.raises(ValueError, match="alpha must lie"):
        did(tiny, **TINY, alpha=0)


def test_event_study_and_staggered_errors(tiny):
    off = pd.DataFrame({"unit": np.repeat([1, 2, 3], 3),
                        "week": [0, 1, 2] * 3,
                        "sales": np.arange(9.0),
                        "launched": [0, 1, 0, 0, 0, 0, 0, 0, 0]})
    with pytest.raises(ValueError, match="switches off for unit 1"):
        event_study(off, **TINY)
    with pytest.raises(ValueError, match="reference -5 is not an observed"):
        event_study(tiny, **TINY, reference=-5)
    with pytest.raises(ValueError, match="1 never-treated unit"):
        callaway_santanna(tiny.assign(launched=[0, 1, 0, 1, 0, 0]), **TINY)
    with pytest.raises(ValueError, match="has one unit"):
        callaway_santanna(tiny, **TINY)


def test_rejects_a_disconnected_panel():
    """Units 1-2 seen in weeks 0-1, units 3-4 in weeks 2-3: the week and
    unit effects of the two halves cannot be told apart."""
    df = pd.DataFrame({"unit": np.repeat([1, 2, 3, 4], 2),
                       "week": [0, 1, 0, 1, 2, 3, 2, 3],
                       "sales": np.arange(8.0),
                       "launched": [0, 1, 0, 0, 0, 0, 0, 0]})
    with pytest.raises(ValueError, match="collinear"):
        did(df, **TINY)


def test_synthetic_control_errors(tiny):
    kw = dict(outcome="sales", unit="unit", time="week")
    panel = pd.DataFrame({"unit": np.repeat([1, 2, 3], 3),
                          "week": [0, 1, 2] * 3, "sales": np.arange(9.0)})
    with pytest.raises(ValueError, match="treated_unit 7 is not a unit"):
        synthetic_control(panel, **kw, treated_unit=7, start=2)
    with pytest.raises(ValueError, match="leaves 1 pre-period"):
        synthetic_control(panel, **kw, treated_unit=1, start=1)
    with pytest.raises(ValueError, match="leaves 3 pre-period"):
        synthetic_control(panel, **kw, treated_unit=1, start=5)
    with pytest.raises(ValueError, match="cannot be compared"):
        synthetic_control(panel, **kw, treated_unit=1, start="x")
    with pytest.raises(ValueError, match="at least two donor"):
        synthetic_control(panel[panel["unit"] < 3], **kw, treated_unit=1,
                          start=2)


# --- the simulators ----------------------------------------------------------

@pytest.mark.parametrize("draw", [
    lambda: simulate.rollout_panel(rng=3, cohorts={5: 10, 9: 10},
                                   growth=0.2),
    lambda: simulate.synthetic_launch(rng=3),
])
def test_panel_simulators_truth(draw):
    data, truth = draw()
    po = truth.potential_outcomes
    np.testing.assert_allclose(
        data["revenue"], np.where(data["launched"] == 1, po["y1"], po["y0"]))
    treated = data["launched"] == 1
    assert truth.att == pytest.approx(truth.effects[treated].mean())
    again, _ = draw()
    pd.testing.assert_frame_equal(data, again)


def test_rollout_panel_cohorts():
    data, truth = simulate.rollout_panel(rng=3, cohorts={5: 10, 9: 10},
                                         effect=1.0, growth=0.2)
    sizes = data.groupby("region")["launch_week"].first().value_counts()
    assert sizes.to_dict() == {5: 10, 9: 10}
    since = data["week"] - data["launch_week"]
    launched = data["launched"] == 1
    np.testing.assert_allclose(truth.effects[launched],
                               1.0 + 0.2 * since[launched].astype(float))


@pytest.mark.parametrize("kw, error, message", [
    (dict(cohorts={0: 5}), ValueError, "first week must be between 1"),
    (dict(cohorts={5: 100}), ValueError, "hold 100 regions but there"),
    (dict(cohorts=[5]), TypeError, "cohorts must be a non-empty dict"),
    (dict(growth=np.nan), ValueError, "growth must be finite"),
])
def test_rollout_panel_rejects_bad_arguments(kw, error, message):
    with pytest.raises(error, match=message):
        simulate.rollout_panel(rng=0, **kw)


def test_synthetic_launch_rejects_bad_arguments():
    with pytest.raises(ValueError, match="start must be between 2 and 39"):
        simulate.synthetic_launch(rng=0, start=40)
