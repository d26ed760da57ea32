"""E-values and Cinelli-Hazlett robustness values: published numbers,
hand computation, the formulas' defining properties, and errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from causal_lib.sensitivity import (
    AdjustedEstimate,
    EValue,
    adjusted_estimate,
    e_value,
    partial_r2,
    risk_ratio_from_difference,
    risk_ratio_from_mean_difference,
    robustness_value,
)

# --- E-value: published and hand-computed values ----------------------------

def test_vanderweele_ding_worked_example():
    # RR 3.9 (95% CI 1.8 to 8.7): E = 3.9 + sqrt(3.9 * 2.9) ~ 7.26, and for
    # the lower limit 1.8 + sqrt(1.8 * 0.8) = 1.8 + 1.2 = 3 exactly.
    ev = e_value(3.9, ci_low=1.8, ci_high=8.7)
    assert ev.point == pytest.approx(3.9 + math.sqrt(3.9 * 2.9), rel=1e-12)
    assert round(ev.point, 2) == 7.26
    assert ev.ci == pytest.approx(3.0, rel=1e-12)
    assert isinstance(ev, EValue)


def test_protective_effect_is_inverted():
    # RR 0.80 (0.71 to 0.91): 1/0.8 = 1.25 -> 1.25 + sqrt(1.25 * 0.25)
    # ~ 1.81; the upper limit 0.91 is the one closest to 1 -> ~ 1.43.
    ev = e_value(0.80, ci_low=0.71, ci_high=0.91)
    assert ev.point == pytest.approx(1.25 + math.sqrt(0.3125), rel=1e-12)
    inv = 1 / 0.91
    assert ev.ci == pytest.approx(inv + math.sqrt(inv * (inv - 1)))
    assert (round(ev.point, 2), round(ev.ci, 2)) == (1.81, 1.43)


@pytest.mark.parametrize("rr, low, high", [
    (1.3, 0.9, 1.8), (0.8, 0.6, 1.1), (1.5, 1.0, 2.0), (0.7, 0.5, 1.0),
])
def test_interval_containing_the_null_has_e_value_one(rr, low, high):
    assert e_value(rr, ci_low=low, ci_high=high).ci == 1.0


def test_null_estimate():
    assert e_value(1.0) == EValue(1.0, None)
    assert e_value(1.0, ci_low=0.8, ci_high=1.2) == EValue(1.0, 1.0)


def test_only_the_limit_closest_to_the_null_is_needed():
    assert e_value(2.0, ci_low=1.5).ci == e_value(2.0, ci_low=1.5,
                                                   ci_high=9.0).ci
    assert e_value(0.5, ci_high=0.8).ci == pytest.approx(e_value(1.25).point)
    assert e_value(2.0).ci is None


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-6, 1e6))
def test_e_value_solves_the_bounding_factor_equation(rr):
    # Ding & VanderWeele's bounding factor with both associations = E
    # equals the observed risk ratio (or its inverse).
    e = e_value(rr).point
    assert e * e / (2 * e - 1) == pytest.approx(max(rr, 1 / rr), rel=1e-9)
    assert e >= max(rr, 1 / rr)
    assert e_value(1 / rr).point == pytest.approx(e, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(1.0, 1e3), st.floats(1.0, 1e3))
def test_e_value_increases_with_the_risk_ratio(a, b):
    lo, hi = sorted((a, b))
    assert e_value(lo).point <= e_value(hi).point


@pytest.mark.parametrize("kw, message", [
    ({"rr": 0.0}, "rr must be a risk ratio > 0"),
    ({"rr": -1.5}, "rr must be a risk ratio > 0"),
    ({"rr": float("nan")}, "rr must be finite"),
    ({"rr": float("inf")}, "rr must be finite"),
    ({"rr": 2.0, "ci_low": 0.0}, "ci_low must be a risk ratio > 0"),
    ({"rr": 2.0, "ci_low": 2.5}, "ci_low = 2.5 is above rr = 2.0"),
    ({"rr": 2.0, "ci_low": 1.5, "ci_high": 1.8}, "ci_high = 1.8 is below"),
    ({"rr": 2.0, "ci_high": 3.0}, "pass ci_low"),
    ({"rr": 0.5, "ci_low": 0.3}, "pass ci_high"),
])
def test_e_value_bad_input(kw, message):
    with pytest.raises(ValueError, match=message):
        e_value(**kw)


@pytest.mark.parametrize("kw, message", [
    ({"rr": "big"}, "rr must be a number"),
    ({"rr": None}, "rr must be a number"),
    ({"rr": True}, "rr must be a number"),
    ({"rr": 2.0, "ci_low": "1.5"}, "ci_low must be a number"),
    ({"rr": 0.5, "ci_high": [0.8]}, "ci_high must be a number"),
])
def test_e_value_wrong_type(kw, message):
    with pytest.raises(TypeError, match=message):
        e_value(**kw)


# --- conversions to the risk-ratio scale ------------------------------------

def test_risk_ratio_from_difference():
    assert risk_ratio_from_difference(0.01, baseline_risk=0.02) == 1.5
    assert risk_ratio_from_difference(-0.01, baseline_risk=0.04) == 0.75
    limits = risk_ratio_from_difference([0.01, 0.005, 0.015],
                                        baseline_risk=0.02)
    np.testing.assert_allclose(limits, [1.5, 1.25, 1.75])


def test_risk_ratio_from_mean_difference_matches_vanderweele_ding():
    # d = 0.5, se_d = 0.1: RR ~ exp(0.91 d), CI exp(0.91 d -+ 1.78 se_d).
    rr, low, high = risk_ratio_from_mean_difference(
        [1.0, 1.0 - 1.96 * 0.2, 1.0 + 1.96 * 0.2], sd=2.0
    )
    assert rr == pytest.approx(math.exp(0.91 * 0.5))
    assert low == pytest.approx(math.exp(0.91 * 0.5 - 1.78 * 0.1), rel=1e-3)
    assert high == pytest.approx(math.exp(0.91 * 0.5 + 1.78 * 0.1), rel=1e-3)
    ev = e_value(rr, ci_low=low, ci_high=high)
    assert ev.point == pytest.approx(rr + math.sqrt(rr * (rr - 1)))


@pytest.mark.parametrize("call, message", [
    (lambda: risk_ratio_from_difference(0.1, baseline_risk=0.0),
     "baseline_risk must lie in"),
    (lambda: risk_ratio_from_difference(0.1, baseline_risk=1.2),
     "baseline_risk must lie in"),
    (lambda: risk_ratio_from_difference(-0.03, baseline_risk=0.02),
     "treated risk <= 0"),
    (lambda: risk_ratio_from_difference(0.1, baseline_risk=np.nan),
     "baseline_risk must be finite"),
    (lambda: risk_ratio_from_difference(np.nan, baseline_risk=0.02),
     r"difference has 1 missing \(NaN\) value"),
    (lambda: risk_ratio_from_difference([0.1, np.inf], baseline_risk=0.02),
     "difference holds infinite values"),
    (lambda: risk_ratio_from_mean_difference(1.0, sd=0.0),
     "sd must be positive"),
    (lambda: risk_ratio_from_mean_difference(1.0, sd=-2.0),
     "sd must be positive"),
    (lambda: risk_ratio_from_mean_difference(1.0, sd=np.inf),
     "sd must be finite"),
    (lambda: risk_ratio_from_mean_difference(np.inf, sd=1.0),
     "difference holds infinite values"),
    (lambda: risk_ratio_from_mean_difference([np.nan, 1.0], sd=1.0),
     "difference has 1 missing"),
])
def test_conversion_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: risk_ratio_from_difference(0.1, baseline_risk="2%"),
     "baseline_risk must be a number"),
    (lambda: risk_ratio_from_mean_difference(1.0, sd=None),
     "sd must be a number"),
])
def test_conversion_wrong_type(call, message):
    with pytest.raises(TypeError, match=message):
        call()


# --- robustness value: Cinelli and Hazlett's Darfur example -----------------
# Published in the paper (Table 1 / section 4) and checked in the authors'
# R package sensemakr: estimate 0.09731582, se 0.02325654, 783 dof.

DARFUR = {"estimate": 0.09731582, "std_error": 0.02325654, "dof": 783}
DARFUR_T = DARFUR["estimate"] / DARFUR["std_error"]  # 4.18445


def test_darfur_partial_r2_and_robustness_values():
    assert partial_r2(DARFUR_T, dof=783) == pytest.approx(0.02187309,
                                                          abs=1e-7)
    assert robustness_value(DARFUR_T, dof=783) == pytest.approx(
        0.1387764, abs=1e-6)
    assert robustness_value(DARFUR_T, dof=783, alpha=0.05) == \
        pytest.approx(0.07625797, abs=1e-6)


def test_darfur_bounds_for_one_two_three_times_female():
    adj = adjusted_estimate(
        **DARFUR,
        r2_treatment=[0.00916428667504862, 0.0183285733500972,
                      0.0274928600251459],
        r2_outcome=[0.12464092303637, 0.249324064199975, 0.374050471038094],
    )
    assert isinstance(adj, AdjustedEstimate)
    np.testing.assert_allclose(
        adj.estimate, [0.0752202698486415, 0.0529151689180575,
                       0.0303960178770157], rtol=1e-8)
    np.testing.assert_allclose(
        adj.std_error, [0.0218733298036818, 0.0203500639944344,
                        0.0186700665753491], rtol=1e-8)
    np.testing.assert_allclose(
        adj.t_statistic, [3.43890347394571, 2.60024582392121,
                          1.62806156873318], rtol=1e-8)


def test_robustness_value_by_hand():
    # t = 3, dof = 100, q = 1: f = 0.3, f^2 = 0.09, f^4 = 0.0081
    rv = 0.5 * (math.sqrt(0.0081 + 0.36) - 0.09)
    assert robustness_value(3.0, dof=100) == pytest.approx(rv, rel=1e-12)
    assert robustness_value(-3.0, dof=100) == pytest.approx(rv, rel=1e-12)
    # q = 0.5 halves f: f = 0.15
    f = 0.15
    assert robustness_value(3.0, dof=100, q=0.5) == pytest.approx(
        0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2), rel=1e-12)


def test_robustness_value_from_a_statsmodels_fit():
    rng = np.random.default_rng(0)
    n = 500
    x = rng.normal(size=n)
    t = x + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "t": t, "y": 0.3 * t + x + rng.normal(size=n)})
    ols = smf.ols("y ~ t + x", data=df).fit()
    rv = robustness_value(ols.tvalues["t"], dof=ols.df_resid)
    adj = adjusted_estimate(ols.params["t"], std_error=ols.bse["t"],
                            dof=ols.df_resid, r2_treatment=rv,
                            r2_outcome=rv)
    assert adj.estimate == pytest.approx(0.0, abs=1e-12)


def test_not_significant_estimate_has_zero_rv_at_alpha():
    assert robustness_value(1.5, dof=100, alpha=0.05) == 0.0
    assert robustness_value(1.5, dof=100) > 0


@settings(max_examples=100, deadline=None)
@given(st.floats(-50, 50).filter(lambda t: abs(t) > 1e-3),
       st.integers(2, 10_000), st.floats(0.05, 1.0))
def test_confounder_at_rv_removes_share_q_of_the_estimate(t, dof, q):
    rv = robustness_value(t, dof=dof, q=q)
    assert 0 <= rv < 1
    se = 0.7
    adj = adjusted_estimate(t * se, std_error=se, dof=dof, r2_treatment=rv,
                            r2_outcome=rv)
    assert adj.estimate == pytest.approx((1 - q) * t * se, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(-50, 50).filter(lambda t: abs(t) > 1e-3),
       st.integers(2, 10_000))
def test_extreme_confounder_at_partial_r2_removes_estimate(t, dof):
    adj = adjusted_estimate(t, std_error=1.0, dof=dof,
                            r2_treatment=partial_r2(t, dof=dof),
                            r2_outcome=1.0)
    assert adj.estimate == pytest.approx(0.0, abs=1e-9)


def test_darfur_confounder_at_rv_alpha_makes_t_critical():
    rv = robustness_value(DARFUR_T, dof=783, alpha=0.05)
    adj = adjusted_estimate(**DARFUR, r2_treatment=rv, r2_outcome=rv)
    assert adj.t_statistic == pytest.approx(stats.t.ppf(0.975, 782),
                                            rel=1e-10)


def weakest_confounder_on_grid(t, dof, q, alpha, size=1500):
    """Smallest max(R2_D, R2_Y) on a grid whose adjusted interval (or,
    without alpha, estimate) reaches (1 - q) * estimate."""
    grid = np.linspace(0.0, 0.999, size)
    r2d, r2y = np.meshgrid(grid, grid, indexing="ij")
    adj = adjusted_estimate(t, std_error=1.0, dof=dof, r2_treatment=r2d,
                            r2_outcome=r2y)
    crit = stats.t.ppf(1 - alpha / 2, dof - 1) if alpha else 0.0
    reached = adj.estimate - crit * adj.std_error <= (1 - q) * t
    return np.maximum(r2d, r2y)[reached].min()


@pytest.mark.parametrize("t, dof, q, alpha", [
    (DARFUR_T, 783, 1.0, None),
    (DARFUR_T, 783, 1.0, 0.05),
    (DARFUR_T, 783, 0.5, 0.05),
    (3.0, 50, 0.5, None),
    (8.0, 20, 0.7, 0.10),
    (1 / 0.3, 7, 1.0, 0.05),   # f_q > 1/f*: equal strengths not weakest
    (20.0, 10, 1.0, 0.05),     # idem
])
def test_robustness_value_is_the_weakest_confounder_on_a_grid(t, dof, q,
                                                              alpha):
    # The definition checked by brute force against the closed form,
    # including the case where the constraint R2_Y <= 1 is not binding.
    rv = robustness_value(t, dof=dof, q=q, alpha=alpha)
    found = weakest_confounder_on_grid(t, dof, q, alpha)
    assert 0 <= found - rv <= 2 * 0.999 / 1499


def test_adjusted_estimate_without_confounding_and_on_a_grid():
    adj = adjusted_estimate(-2.0, std_error=0.5, dof=10, r2_treatment=0.0,
                            r2_outcome=0.0)
    assert adj.estimate == -2.0
    assert adj.std_error == pytest.approx(0.5 * math.sqrt(10 / 9))
    # Negative estimates shrink toward zero from below.
    shrunk = adjusted_estimate(-2.0, std_error=0.5, dof=10,
                               r2_treatment=0.1, r2_outcome=0.1)
    assert -2.0 < shrunk.estimate < 0
    grid = adjusted_estimate(1.0, std_error=0.1, dof=50,
                             r2_treatment=np.linspace(0, 0.5, 4)[:, None],
                             r2_outcome=np.linspace(0, 0.5, 3)[None, :])
    assert grid.estimate.shape == grid.t_statistic.shape == (4, 3)


def adjust(**kw):
    args = {"estimate": 1.0, "std_error": 0.1, "dof": 50,
            "r2_treatment": 0.1, "r2_outcome": 0.1}
    return adjusted_estimate(**{**args, **kw})


@pytest.mark.parametrize("call, message", [
    (lambda: robustness_value(2.0, dof=100, q=0.0), "q must be positive"),
    (lambda: robustness_value(2.0, dof=0), "dof must be positive"),
    (lambda: robustness_value(2.0, dof=1, alpha=0.05), "dof must exceed 1"),
    (lambda: robustness_value(2.0, dof=100, alpha=1.0), "alpha must lie"),
    (lambda: robustness_value(np.nan, dof=100), "t_statistic must be finite"),
    (lambda: partial_r2(2.0, dof=-3), "dof must be positive"),
    (lambda: adjust(r2_treatment=1.0), r"r2_treatment must lie in \[0, 1\)"),
    (lambda: adjust(r2_treatment=-0.1), "r2_treatment must lie"),
    (lambda: adjust(r2_outcome=1.5), r"r2_outcome must lie in \[0, 1\]"),
    (lambda: adjust(r2_outcome=np.nan), "r2_outcome must lie"),
    (lambda: adjust(std_error=-0.1), "std_error must be non-negative"),
    (lambda: adjust(dof=1), "dof must exceed 1"),
])
def test_robustness_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: robustness_value("4.2", dof=100), "t_statistic must be a number"),
    (lambda: robustness_value(2.0, dof=None), "dof must be a number"),
    (lambda: robustness_value(2.0, dof=100, q="all"), "q must be a number"),
    (lambda: robustness_value(2.0, dof=100, alpha="5%"),
     "alpha must be a number"),
    (lambda: partial_r2(None, dof=10), "t_statistic must be a number"),
    (lambda: adjust(estimate="1"), "estimate must be a number"),
    (lambda: adjust(std_error=None), "std_error must be a number"),
])
def test_robustness_wrong_type(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: robustness_value(2.0, dof=100, q=np.inf), "q must be finite"),
    (lambda: robustness_value(2.0, dof=np.nan), "dof must be finite"),
    (lambda: partial_r2(np.inf, dof=10), "t_statistic must be finite"),
    (lambda: adjust(estimate=np.nan), "estimate must be finite"),
    (lambda: adjust(std_error=np.inf), "std_error must be finite"),
])
def test_robustness_non_finite(call, message):
    with pytest.raises(ValueError, match=message):
        call()
