"""propensity_score, regression_adjustment, ipw and aipw."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.treatment.treatment_effects import TreatmentEffect

from causal_lib import (
    PositivityWarning,
    aipw,
    ipw,
    propensity_score,
    regression_adjustment,
    simulate,
)

COVARIATES = ["visits", "past_purchases"]


@pytest.fixture(scope="module")
def logs():
    data, truth = simulate.targeted_recommendations(
        20_000, rng=np.random.default_rng(7), targeting=0.7
    )
    return data, truth


def confounded(n, rng, *, misspecify):
    """Constant effect 2; one nuisance model is wrong for a linear fit."""
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    if misspecify == "outcome":
        logit, base = 1.0 * x - 0.4 * z, 2 * np.exp(x) + z
    else:  # the propensity depends on x**2, the fitted one on x only
        logit, base = 0.9 * (x**2 - 1) + 0.3 * x, 1.0 + 2 * x - z
    t = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    y = base + 2.0 * t + rng.normal(size=n)
    return pd.DataFrame({"t": t, "x": x, "z": z, "y": y})


# --- propensity_score --------------------------------------------------------

def test_propensity_matches_statsmodels_logit(logs):
    data, _ = logs
    e = propensity_score(data, treatment="recommended", covariates=COVARIATES)
    fit = smf.logit("recommended ~ visits + past_purchases", data).fit(disp=0)
    np.testing.assert_allclose(e, fit.predict(data), rtol=1e-8)
    assert e.name == "propensity" and e.index.equals(data.index)


def test_formula_and_list_give_the_same_scores(logs):
    data, _ = logs
    a = propensity_score(data, treatment="recommended", covariates=COVARIATES)
    b = propensity_score(data, treatment="recommended",
                         covariates="visits + past_purchases")
    np.testing.assert_allclose(a, b, rtol=1e-10)


# --- regression_adjustment ---------------------------------------------------

@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
def test_regression_adjustment_is_lins_regression(logs, estimand):
    data, _ = logs
    est = regression_adjustment(
        data, treatment="recommended", outcome="purchased",
        covariates=COVARIATES, estimand=estimand,
    )
    population = {"ATE": data, "ATT": data[data.recommended == 1],
                  "ATC": data[data.recommended == 0]}[estimand]
    centred = data.assign(
        v=data.visits - population.visits.mean(),
        p=data.past_purchases - population.past_purchases.mean(),
    )
    fit = smf.ols("purchased ~ recommended * (v + p)", centred).fit(
        cov_type="HC2")
    assert est.estimate == pytest.approx(fit.params["recommended"], rel=1e-9)
    assert est.std_error == pytest.approx(fit.bse["recommended"], rel=1e-9)
    assert est.estimand == estimand


def test_regression_adjustment_is_g_computation_by_hand(logs):
    data, _ = logs
    est = regression_adjustment(data, treatment="recommended",
                                outcome="purchased", covariates=COVARIATES)
    predictions = {}
    for arm in (0, 1):
        fit = smf.ols("purchased ~ visits + past_purchases",
                      data[data.recommended == arm]).fit()
        predictions[arm] = fit.predict(data)
    by_hand = (predictions[1] - predictions[0]).mean()
    assert est.estimate == pytest.approx(by_hand, rel=1e-9)


def test_regression_adjustment_accepts_formulas_with_categories():
    data, truth = simulate.ab_test(4_000, rng=np.random.default_rng(2))
    est = regression_adjustment(
        data, treatment="new_ranker", outcome="spend",
        covariates="pre_spend + C(platform) + tenure_months",
    )
    listed = regression_adjustment(
        data, treatment="new_ranker", outcome="spend",
        covariates=["pre_spend", "platform", "tenure_months"],
    )
    assert est.estimate == pytest.approx(listed.estimate, rel=1e-9)
    assert abs(est.estimate - truth.ate) < 4 * est.std_error


# --- ipw: hand-computed ------------------------------------------------------

def tiny():
    return pd.DataFrame({
        "t": [1, 0, 1, 0, 1, 0],
        "y": [4.0, 1.0, 2.0, 3.0, 6.0, 2.0],
        "e": [0.5, 0.5, 0.25, 0.75, 0.8, 0.2],
    })


def test_horvitz_thompson_ate_by_hand():
    est = ipw(tiny(), treatment="t", outcome="y", propensity="e",
              normalize=False)
    mu1 = (4 / 0.5 + 2 / 0.25 + 6 / 0.8) / 6
    mu0 = (1 / 0.5 + 3 / 0.25 + 2 / 0.8) / 6
    assert est.estimate == pytest.approx(mu1 - mu0)


def test_hajek_ate_by_hand():
    est = ipw(tiny(), treatment="t", outcome="y", propensity="e")
    w1 = np.array([1 / 0.5, 1 / 0.25, 1 / 0.8])
    w0 = np.array([1 / 0.5, 1 / 0.25, 1 / 0.8])
    mu1 = (w1 * [4, 2, 6]).sum() / w1.sum()
    mu0 = (w0 * [1, 3, 2]).sum() / w0.sum()
    assert est.estimate == pytest.approx(mu1 - mu0)


def test_att_weights_controls_by_odds():
    est = ipw(tiny(), treatment="t", outcome="y", propensity="e",
              estimand="ATT")
    odds = np.array([0.5 / 0.5, 0.75 / 0.25, 0.2 / 0.8])
    mu0 = (odds * [1, 3, 2]).sum() / odds.sum()
    assert est.estimate == pytest.approx(4.0 - mu0)
    ht = ipw(tiny(), treatment="t", outcome="y", propensity="e",
             estimand="ATT", normalize=False)
    assert ht.estimate == pytest.approx(4.0 - (odds * [1, 3, 2]).sum() / 3)


def test_known_propensity_se_by_hand():
    df = tiny()
    est = ipw(df, treatment="t", outcome="y", propensity="e",
              normalize=False)
    t, y, e = df.t, df.y, df.e
    phi = t * y / e - (1 - t) * y / (1 - e) - est.estimate
    assert est.std_error == pytest.approx(
        np.sqrt((phi**2).mean() / len(df)))


def test_hajek_is_shift_invariant_and_horvitz_thompson_is_not():
    # Horvitz-Thompson weights need not sum to n in each arm (here they don't)
    df = tiny().assign(e=[0.5, 0.5, 0.25, 0.6, 0.8, 0.2])
    moved = df.assign(y=df.y + 100)
    kw = dict(treatment="t", outcome="y", propensity="e")
    assert ipw(moved, **kw).estimate == pytest.approx(ipw(df, **kw).estimate)
    assert ipw(moved, normalize=False, **kw).estimate != pytest.approx(
        ipw(df, normalize=False, **kw).estimate)


# --- ipw and aipw against statsmodels ----------------------------------------

@pytest.fixture(scope="module")
def treatment_effect(logs):
    data, _ = logs
    X = sm.add_constant(data[COVARIATES].to_numpy(float))
    t = data.recommended.to_numpy()
    select = sm.Logit(t, X).fit(disp=0)
    return TreatmentEffect(sm.OLS(data.purchased.to_numpy(float), X), t,
                           results_select=select)


@pytest.mark.parametrize("estimand, group",
                         [("ATE", "all"), ("ATT", 1), ("ATC", 0)])
def test_ipw_matches_statsmodels(logs, treatment_effect, estimand, group):
    data, _ = logs
    est = ipw(data, treatment="recommended", outcome="purchased",
              covariates=COVARIATES, estimand=estimand)
    ref = treatment_effect.ipw(effect_group=group)
    row = ref.summary_frame().iloc[0]
    assert est.estimate == pytest.approx(row["coef"], rel=1e-6)
    # statsmodels stacks the same moment conditions (GMM, exactly identified)
    assert est.std_error == pytest.approx(row["std err"], rel=1e-4)


def test_aipw_matches_statsmodels(logs, treatment_effect):
    data, _ = logs
    est = aipw(data, treatment="recommended", outcome="purchased",
               covariates=COVARIATES)
    ref = treatment_effect.aipw()
    row = ref.summary_frame().iloc[0]
    assert est.estimate == pytest.approx(row["coef"], rel=1e-6)
    assert est.std_error == pytest.approx(row["std err"], rel=0.01)


@pytest.mark.parametrize("method", ["ipw", "aipw", "regression"])
def test_recovers_the_truth_on_logs(logs, method):
    data, truth = logs
    kw = dict(treatment="recommended", outcome="purchased",
              covariates=COVARIATES)
    est = {"ipw": ipw, "aipw": aipw,
           "regression": regression_adjustment}[method](data, **kw)
    assert abs(est.estimate - truth.ate) < 4 * est.std_error


@pytest.mark.parametrize("wrong", ["outcome", "propensity"])
def test_aipw_is_doubly_robust(wrong):
    df = confounded(20_000, np.random.default_rng(3), misspecify=wrong)
    est = aipw(df, treatment="t", outcome="y", covariates=["x", "z"])
    assert abs(est.estimate - 2.0) < 4 * est.std_error
    naive = df[df.t == 1].y.mean() - df[df.t == 0].y.mean()
    assert abs(naive - 2.0) > 10 * est.std_error  # confounding is real


# --- errors and positivity ---------------------------------------------------

def test_propensity_zero_for_treated_is_an_error():
    df = tiny().assign(e=[0.0, 0.5, 0.25, 0.75, 0.8, 0.2])
    with pytest.raises(ValueError, match="propensity 'e' is 0 for 1 treated"):
        ipw(df, treatment="t", outcome="y", propensity="e")


def test_propensity_one_for_control_is_an_error():
    df = tiny().assign(e=[0.5, 1.0, 0.25, 0.75, 0.8, 0.2])
    with pytest.raises(ValueError, match="is 1 for 1 control"):
        ipw(df, treatment="t", outcome="y", propensity="e")


def test_propensity_one_for_control_is_fine_for_the_atc():
    df = tiny().assign(e=[0.5, 0.995, 0.25, 0.75, 0.8, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ipw(df, treatment="t", outcome="y", propensity="e", estimand="ATC")


def test_small_propensity_of_a_control_does_not_warn_for_the_ate():
    # A control's ATE weight is 1/(1 - e), harmless when e is near 0.
    df = tiny().assign(e=[0.5, 0.005, 0.25, 0.75, 0.8, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ipw(df, treatment="t", outcome="y", propensity="e")


def test_extreme_propensity_warns_with_count():
    df = tiny().assign(e=[0.005, 0.5, 0.25, 0.75, 0.8, 0.2])
    with pytest.warns(PositivityWarning, match="1 unit"):
        ipw(df, treatment="t", outcome="y", propensity="e")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(propensity="e", covariates=["e"]), "exactly one of"),
        (dict(), "exactly one of"),
        (dict(propensity="missing"), "propensity column 'missing' not found"),
        (dict(propensity="e", estimand="CATE"), "estimand must be one of"),
    ],
)
def test_ipw_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ipw(tiny(), treatment="t", outcome="y", **kwargs)


def test_propensity_outside_unit_interval():
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        ipw(tiny().assign(e=1.5), treatment="t", outcome="y",
            propensity="e")


@pytest.mark.parametrize("func", [regression_adjustment, aipw])
@pytest.mark.parametrize(
    "covariates, message",
    [(["nope"], "covariate column 'nope' not found"),
     ("nope + x", "covariate column 'nope' not found"),
     (["x_nan"], "covariate column 'x_nan' has 1 missing"),
     ("x_nan", "covariate column 'x_nan' has missing")],
)
def test_covariate_errors_name_the_column(func, covariates, message):
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    df["x_nan"] = df.x.where(df.index != 5)
    with pytest.raises(ValueError, match=message):
        func(df, treatment="t", outcome="y", covariates=covariates)


@pytest.mark.parametrize("func", [regression_adjustment, aipw,
                                  propensity_score])
def test_treatment_errors(func):
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    kw = {} if func is propensity_score else {"outcome": "y"}
    with pytest.raises(ValueError, match="treatment column 't' must be 0/1"):
        func(df.assign(t=df.t * 2), treatment="t", covariates=["x"], **kw)
    with pytest.raises(ValueError, match="0 treated"):
        func(df.assign(t=0), treatment="t", covariates=["x"], **kw)


def test_inputs_are_not_modified(logs):
    data, _ = logs
    before = data.copy(deep=True)
    kw = dict(treatment="recommended", outcome="purchased",
              covariates=COVARIATES)
    ipw(data, **kw)
    aipw(data, **kw)
    regression_adjustment(data, estimand="ATT", **kw)
    propensity_score(data, treatment="recommended", covariates=COVARIATES)
    pd.testing.assert_frame_equal(data, before)


# --- properties --------------------------------------------------------------

SMALL = confounded(400, np.random.default_rng(9), misspecify="outcome")


@settings(max_examples=25, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(0.1, 10))
def test_shift_and_scale(c, k):
    kw = dict(treatment="t", outcome="y", covariates=["x", "z"])
    for func in (ipw, aipw, regression_adjustment):
        base = func(SMALL, **kw)
        moved = func(SMALL.assign(y=SMALL.y * k + c), **kw)
        assert moved.estimate == pytest.approx(k * base.estimate, abs=1e-6)
        assert moved.std_error == pytest.approx(k * base.std_error, rel=1e-6)


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_does_not_matter(random):
    order = list(range(len(SMALL)))
    random.shuffle(order)
    shuffled = SMALL.iloc[order]
    kw = dict(treatment="t", outcome="y", covariates=["x", "z"])
    for func in (ipw, aipw, regression_adjustment):
        a, b = func(SMALL, **kw), func(shuffled, **kw)
        assert b.estimate == pytest.approx(a.estimate, rel=1e-8)
        assert b.std_error == pytest.approx(a.std_error, rel=1e-8)


# --- coverage (slow) ---------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("func", [ipw, aipw])
def test_intervals_cover_the_truth_in_95_percent(func):
    rng = np.random.default_rng(1234)
    hits = 0
    for _ in range(500):
        x = rng.normal(size=800)
        t = (rng.uniform(size=800) < 1 / (1 + np.exp(-0.7 * x))).astype(int)
        y = 1 + x + 2.0 * t + rng.normal(size=800)
        df = pd.DataFrame({"t": t, "x": x, "y": y})
        est = func(df, treatment="t", outcome="y", covariates=["x"])
        hits += est.covers(2.0)
    assert 0.93 <= hits / 500 <= 0.97


# --- aipw options ------------------------------------------------------------

def test_aipw_att_by_hand_with_known_propensity():
    df = tiny().assign(x=[1.0, 2.0, 0.0, 3.0, 4.0, 1.0])
    est = aipw(df, treatment="t", outcome="y", covariates=["x"],
               propensity="e", estimand="ATT")
    controls = df[df.t == 0]
    beta = np.polyfit(controls.x, controls.y, 1)
    resid = df.y - np.polyval(beta, df.x)
    w = np.where(df.t == 1, 1.0, -df.e / (1 - df.e))
    assert est.estimate == pytest.approx((w * resid).sum() / 3)
    assert est.estimand == "ATT"


def test_aipw_att_recovers_the_truth():
    data, truth = simulate.recommendation_logs(
        50_000, rng=np.random.default_rng(8))
    est = aipw(data, treatment="recommended", outcome="spend",
               covariates="engagement + I(engagement**2) + past_spend",
               propensity_covariates="engagement + past_spend + C(device)",
               estimand="ATT")
    assert abs(est.estimate - truth.att) < 4 * est.std_error


def test_aipw_with_a_wrong_propensity_but_right_outcome_model():
    df = confounded(20_000, np.random.default_rng(6), misspecify="propensity")
    est = aipw(df, treatment="t", outcome="y", covariates=["x", "z"],
               propensity_covariates=["z"])
    assert abs(est.estimate - 2.0) < 4 * est.std_error


def test_aipw_propensity_options_are_exclusive():
    with pytest.raises(ValueError, match="at most one of"):
        aipw(tiny(), treatment="t", outcome="y", covariates=["e"],
             propensity="e", propensity_covariates=["e"])
    with pytest.raises(ValueError, match="estimand must be one of ATE, ATT"):
        aipw(tiny(), treatment="t", outcome="y", covariates=["e"],
             estimand="ATC")
