"""propensity_score, regression_adjustment, ipw and aipw."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import patsy
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
from causal_lib._design import covariate_matrix

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
    with pytest.raises(ValueError, match="propensity column 'e' is exactly "
                       "0 for 1 treated and 0 control unit"):
        ipw(df, treatment="t", outcome="y", propensity="e")


def test_propensity_one_for_control_is_an_error():
    df = tiny().assign(e=[0.5, 1.0, 0.25, 0.75, 0.8, 0.2])
    with pytest.raises(ValueError, match="is exactly 1 for 0 treated and 1 "
                       "control"):
        ipw(df, treatment="t", outcome="y", propensity="e")


def test_propensity_one_for_control_is_fine_for_the_atc():
    df = tiny().assign(e=[0.5, 0.995, 0.25, 0.75, 0.8, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ipw(df, treatment="t", outcome="y", propensity="e",
                  estimand="ATC")
    assert np.isfinite(est.estimate) and np.isfinite(est.std_error)


def test_small_propensity_of_a_control_does_not_warn_for_the_att():
    # The ATT needs only the treated units' control outcomes: a control
    # that is almost never treated just gets a weight near 0.
    df = tiny().assign(e=[0.5, 0.005, 0.25, 0.75, 0.8, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ipw(df, treatment="t", outcome="y", propensity="e",
                  estimand="ATT")
    assert np.isfinite(est.estimate) and np.isfinite(est.std_error)


def test_small_propensity_of_a_control_warns_for_the_ate():
    # The ATE needs this control's outcome under treatment too, which
    # treated units like it (weight 1/e, about 200) would have to supply.
    df = tiny().assign(e=[0.5, 0.005, 0.25, 0.75, 0.8, 0.2])
    with pytest.warns(PositivityWarning, match="0 treated and 1 control"):
        est = ipw(df, treatment="t", outcome="y", propensity="e")
    assert np.isfinite(est.estimate) and np.isfinite(est.std_error)


def test_extreme_propensity_warns_with_count():
    df = tiny().assign(e=[0.005, 0.5, 0.25, 0.75, 0.8, 0.2])
    with pytest.warns(PositivityWarning, match="1 treated and 0 control"):
        ipw(df, treatment="t", outcome="y", propensity="e")


# Bug: e equal to the treatment passed (every weight is 1), giving the raw
# difference in means for ipw and NaN for aipw.
@pytest.mark.parametrize("func", [ipw, aipw])
@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_propensity_equal_to_the_treatment_is_an_error(func, estimand):
    df = tiny().assign(x=[1.0, 2.0, 0.0, 3.0, 4.0, 1.0])
    df["e"] = df.t.astype(float)
    covariates = {"covariates": ["x"]} if func is aipw else {}
    with pytest.raises(ValueError, match="propensity column 'e' is exactly"):
        func(df, treatment="t", outcome="y", propensity="e",
             estimand=estimand, **covariates)


@pytest.mark.parametrize("func", [ipw, aipw])
def test_near_bounds_warn_for_aipw_too(func):
    df = tiny().assign(x=[1.0, 2.0, 0.0, 3.0, 4.0, 1.0],
                       e=[0.5, 0.5, 0.25, 0.995, 0.8, 0.2])
    with pytest.warns(PositivityWarning, match="0 treated and 1 control"):
        est = func(df, treatment="t", outcome="y", propensity="e",
                   covariates=["x"] if func is aipw else None)
    assert np.isfinite(est.estimate)


def separated(n=200):
    """x > 0 predicts the treatment exactly."""
    x = np.random.default_rng(4).normal(size=n)
    t = (x > 0).astype(int)
    return pd.DataFrame({"t": t, "x": x, "y": x + 1.0 * t})


# Bug: ipw gave the difference in means with a tight interval, aipw NaN.
@pytest.mark.parametrize("func", [ipw, aipw, propensity_score])
def test_separation_in_the_propensity_model_raises(func):
    kw = {} if func is propensity_score else {"outcome": "y"}
    with pytest.raises(ValueError,
                       match="separation on covariates \\['x'\\]"):
        func(separated(), treatment="t", covariates=["x"], **kw)


def test_aipw_att_allows_a_control_at_zero():
    # Bug: aipw divided every row, so t (y - mu1) / e was 0/0 = NaN for a
    # control at e = 0, which the ATT allows (it never needs 1/e).
    df = tiny().assign(x=[1.0, 2.0, 0.0, 3.0, 4.0, 1.0],
                       e=[0.5, 0.0, 0.25, 0.75, 0.8, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = aipw(df, treatment="t", outcome="y", covariates=["x"],
                   propensity="e", estimand="ATT")
    controls = df[df.t == 0]
    beta = np.polyfit(controls.x, controls.y, 1)
    resid = df.y - np.polyval(beta, df.x)
    w = np.where(df.t == 1, 1.0, -df.e / (1 - df.e))
    assert est.estimate == pytest.approx((w * resid).sum() / 3)
    assert np.isfinite(est.std_error)


def test_ipw_att_allows_a_control_at_zero():
    df = tiny().assign(e=[0.5, 0.0, 0.25, 0.75, 0.8, 0.2])
    est = ipw(df, treatment="t", outcome="y", propensity="e",
              estimand="ATT")
    odds = np.array([0.0, 0.75 / 0.25, 0.2 / 0.8])
    assert est.estimate == pytest.approx(4.0 - (odds * [1, 3, 2]).sum()
                                         / odds.sum())
    assert np.isfinite(est.std_error)


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


ALL = [propensity_score, regression_adjustment, ipw, aipw]


def call(func, df, covariates, **kw):
    if func is not propensity_score:
        kw["outcome"] = "y"
    return func(df, treatment="t", covariates=covariates, **kw)


# Bug: inf surfaced as statsmodels' MissingDataError with no column named,
# constant or collinear covariates as numpy's LinAlgError.
@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize(
    "covariates, message",
    [(["x", "x_inf"], "covariate column 'x_inf' holds infinite"),
     ("x + x_inf", "covariate column 'x_inf' holds infinite"),
     (["x", "one"], "covariate column 'one' is constant"),
     ("x + one", "covariate column 'one' is constant"),
     (["x", "z", "x_plus_z"], "collinear"),
     ("x + z + I(x + z)", "collinear"),
     (["x", "x_again"], "'x_again'.*collinear")],
)
def test_bad_covariate_designs_name_the_column(func, covariates, message):
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    df = df.assign(x_inf=df.x.where(df.index != 7, np.inf), one=1.0,
                   x_plus_z=df.x + df.z, x_again=df.x)
    with pytest.raises(ValueError, match=message):
        call(func, df, covariates)


# Bug: regression_adjustment returned -inf +/- NaN, ipw and aipw NaN.
@pytest.mark.parametrize("func", ALL[1:])
def test_infinite_outcome_is_an_error(func):
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    df.loc[3, "y"] = -np.inf
    with pytest.raises(ValueError, match="outcome column 'y' holds infinite"):
        call(func, df, ["x", "z"])


def test_infinite_known_propensity_is_an_error():
    df = tiny().assign(e=[0.5, np.inf, 0.25, 0.75, 0.8, 0.2])
    with pytest.raises(ValueError, match="propensity column 'e' holds inf"):
        ipw(df, treatment="t", outcome="y", propensity="e")


# Bug: regression_adjustment returned -3.2e12 with the treatment among the
# covariates, ipw 2.76 for a true 1.0 and aipw 0.0 +/- 0.0 with the outcome.
@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize("covariates", [["x", "t"], "x + C(t)",
                                        "x + I(t * x)"])
def test_treatment_among_covariates_is_an_error(func, covariates):
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    with pytest.raises(ValueError, match="treatment column 't' is also "
                       "among the covariates"):
        call(func, df, covariates)


@pytest.mark.parametrize("func", ALL[1:])
@pytest.mark.parametrize("covariates", [["x", "y"], "x + np.log1p(y**2)"])
def test_outcome_among_covariates_is_an_error(func, covariates):
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    with pytest.raises(ValueError, match="outcome column 'y' is also "
                       "among the covariates"):
        call(func, df, covariates)


def test_outcome_among_propensity_covariates_is_an_error():
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    with pytest.raises(ValueError, match="outcome column 'y' is also"):
        aipw(df, treatment="t", outcome="y", covariates=["x"],
             propensity_covariates=["x", "y"])


@pytest.mark.parametrize("func", [ipw, aipw])
def test_propensity_column_cannot_be_the_treatment(func):
    df = tiny().assign(x=[1.0, 2.0, 0.0, 3.0, 4.0, 1.0])
    with pytest.raises(ValueError, match="column 't' is given as both "
                       "treatment and propensity"):
        func(df, treatment="t", outcome="y", propensity="t",
             covariates=["x"] if func is aipw else None)


@pytest.mark.parametrize("func", ALL[1:])
def test_categorical_treatment_is_an_error(func):
    df = confounded(200, np.random.default_rng(0), misspecify="outcome")
    with pytest.raises(ValueError, match="must hold 0/1 numbers or bool"):
        call(func, df.astype({"t": "category"}), ["x"])


def test_formula_without_intercept_still_gets_one(logs):
    data, _ = logs
    a = propensity_score(data, treatment="recommended", covariates=COVARIATES)
    b = propensity_score(data, treatment="recommended",
                         covariates="visits + past_purchases - 1")
    np.testing.assert_allclose(a, b, rtol=1e-10)


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


# --- review fixes: formulas, per-arm designs, column kinds ------------------

def review_data(n=300, seed=0):
    """The review's reproducer: true effect 1, confounded by x."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    return pd.DataFrame({"x": x, "t": t, "y": x + t + rng.normal(size=n)})


# Bug: names were found by splitting on "+" and skipping what did not
# parse, so Q('y') gave 3.6e-15, "x:t" 5.25 and a SingularMatrixWarning.
@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize("covariates, role", [
    ("x + Q('y')", "outcome"), ("x:t", "treatment"),
    ("(x + t)**2", "treatment"), ("x + np.log(y):x", "outcome"),
    ("x + C(t):x", "treatment"), ("Q('t') + x", "treatment"),
    ("x + Q(\"y\")", "outcome"),
])
def test_roles_hidden_in_formulas_are_found(func, covariates, role):
    if func is propensity_score and role == "outcome":
        return  # no outcome role
    column = {"treatment": "t", "outcome": "y"}[role]
    with pytest.raises(ValueError, match=f"{role} column '{column}' is "
                       "also among the covariates"):
        call(func, review_data(), covariates)


def test_unparseable_formula_is_a_value_error():
    with pytest.raises(ValueError, match="could not be parsed"):
        call(aipw, review_data(), "x + (")


# Bug: each arm's OLS was never checked: 1.005 with a
# SingularMatrixWarning, or an SE of 3.7e-08 with a RuntimeWarning.
@pytest.mark.parametrize("func", [regression_adjustment, aipw])
def test_collinear_within_an_arm_is_an_error(func):
    df = review_data()
    rng = np.random.default_rng(1)
    df["z"] = np.where(df.t == 0, 2 * df.x, rng.normal(size=len(df)))
    with pytest.raises(ValueError, match="among the control.*'z'.*collin"):
        call(func, df, ["x", "z"])


@pytest.mark.parametrize("func", [regression_adjustment, aipw])
def test_category_level_in_one_arm_only_is_an_error(func):
    df = review_data()
    df["g"] = np.where(df.x > 0.5, "a", "c")
    df.loc[(df.t == 1) & (df.x < -0.5), "g"] = "b"  # treated only
    with pytest.raises(ValueError, match=r"among the control .*'g\[T.b\]'"):
        call(func, df, ["x", "g"])


@pytest.mark.parametrize("func", [regression_adjustment, aipw])
def test_arm_with_too_few_units_is_an_error(func):
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(size=(10, 5)), columns=list("abcdy"))
    df["t"] = [0, 1] * 5
    with pytest.raises(ValueError, match="treated .*5 unit.*more than 5"):
        call(func, df, ["a", "b", "c", "d"])


# Bug: dates became 300 numbers of nanoseconds (0.750, SE 1.9e-08) and an
# object column of floats a 300-level category (2.87 +/- 0.05).
@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize("covariates", [["x", "ts"], "x + ts"])
def test_dates_are_refused(func, covariates):
    df = review_data().assign(
        ts=pd.date_range("2020", periods=300, freq="D"))
    with pytest.raises(ValueError, match="'ts' holds dates.*days since"):
        call(func, df, covariates)


@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize("covariates", [["x", "w"], "x + w"])
def test_object_column_of_numbers_is_read_as_numbers(func, covariates):
    df = review_data().assign(w=lambda d: d.x ** 2)
    expected = call(func, df, covariates)
    got = call(func, df.astype({"w": object}), covariates)
    if func is propensity_score:
        pd.testing.assert_series_equal(got, expected)
    else:
        assert got.estimate == pytest.approx(expected.estimate, rel=1e-12)


@pytest.mark.parametrize("covariates", [["x", "id"], "x + id"])
def test_identifier_like_category_is_refused(covariates):
    df = review_data().assign(id=[f"u{i}" for i in range(300)])
    with pytest.raises(ValueError, match="'id' is categorical with 300 "
                       "levels"):
        call(aipw, df, covariates)


def test_integer_column_name_says_names_must_be_strings():
    df = review_data().rename(columns={"x": 1})
    with pytest.raises(TypeError, match="column names must be strings"):
        call(aipw, df, [1])


# Bug: pandas' nullable dtypes raised patsy's TypeErrors ("Cannot
# interpret 'BooleanDtype'", "boolean value of NA is ambiguous").
def test_nullable_boolean_in_a_formula_works():
    df = review_data().assign(b=lambda d: d.x > 0.3)
    expected = call(aipw, df, "x + b")
    got = call(aipw, df.astype({"b": "boolean"}), "x + b")
    assert got.estimate == pytest.approx(expected.estimate, rel=1e-12)


@pytest.mark.parametrize("dtype, value", [("Float64", 1.5),
                                          ("string", "a"),
                                          ("boolean", True)])
@pytest.mark.parametrize("covariates", ["x + v", ["x", "v"]])
def test_nullable_missing_value_names_the_column(dtype, value, covariates):
    df = review_data()
    df["v"] = pd.array([value, None] * 150, dtype=dtype)
    if dtype == "string":
        df.loc[::3, "v"] = "b"
    with pytest.raises(ValueError, match="'v' has .*missing"):
        call(aipw, df, covariates)


def test_log_of_zero_raises_without_a_runtime_warning():
    df = review_data().assign(p=lambda d: np.abs(d.x))
    df.loc[4, "p"] = 0.0
    with pytest.raises(ValueError, match="'np.log\\(p\\)' holds infinite"):
        call(aipw, df, "x + np.log(p)")


# Bug: a treated unit with e = 0 passed under the ATT, a control with
# e = 1 under the ATC, though neither could be in its own arm.
@pytest.mark.parametrize("estimand, e, arm", [
    ("ATT", 0.0, "1 treated and 0 control"),
    ("ATC", 1.0, "0 treated and 1 control"),
])
def test_impossible_scores_are_errors_under_any_estimand(estimand, e, arm):
    df = tiny().assign(e=[0.5, 0.5, 0.25, 0.75, 0.8, 0.2])
    row = 0 if arm.startswith("1") else 1
    df.loc[row, "e"] = e
    with pytest.raises(ValueError, match=f"exactly {e:g} for {arm}.*"
                       "impossible under any estimand"):
        ipw(df, treatment="t", outcome="y", propensity="e",
            estimand=estimand)


# Bug: _caller_level tested startswith(package) without os.sep, so a
# user file such as causal_lib_scratch.py was skipped as library code.
def test_positivity_warning_points_at_the_caller():
    df = tiny().assign(e=[0.995, 0.5, 0.25, 0.75, 0.8, 0.2])
    with pytest.warns(PositivityWarning) as record:
        ipw(df, treatment="t", outcome="y", propensity="e")
    assert record[0].filename == __file__


def test_caller_level_needs_a_path_separator(tmp_path):
    import causal_lib
    from causal_lib._checks import _caller_level

    package = Path(causal_lib.__file__).parent
    code = compile("level = _caller_level()",
                   str(package) + "_scratch.py", "exec")
    scope = {"_caller_level": _caller_level}
    exec(code, scope)
    assert scope["level"] == 1


# --- C() of a categorical: patsy's own design, read from the codes --------

def _patsy_design(df, formula):
    return patsy.dmatrix(formula, df, return_type="dataframe")


@pytest.mark.parametrize("formula", [
    "x + C(v)", "x + v", "C(v, Treatment('c'))", "C(v, Sum)",
    "C(v, levels=['c', 'b', 'a'])", "x + C(v):x",
])
@pytest.mark.parametrize("dtype", ["category", "string", object])
def test_formula_categories_give_patsy_design(formula, dtype):
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"x": rng.normal(size=60),
                       "v": rng.choice(["a", "b", "c"], size=60)})
    got = covariate_matrix(df.astype({"v": dtype}), formula)
    expected = _patsy_design(df.astype({"v": object}), formula)
    pd.testing.assert_frame_equal(got, expected)


def test_categorical_keeps_its_own_level_order():
    df = pd.DataFrame({"v": pd.Categorical(["b", "a", "c", "a"] * 5,
                                           categories=["c", "b", "a"])})
    got = covariate_matrix(df, "C(v)")
    assert list(got.columns) == ["Intercept", "C(v)[T.b]", "C(v)[T.a]"]
    assert got["C(v)[T.a]"].tolist() == [0.0, 1.0, 0.0, 1.0] * 5


def test_formula_does_not_change_the_callers_text_column():
    df = pd.DataFrame({"x": np.arange(8.0), "v": ["a", "b"] * 4})
    before = df.copy()
    covariate_matrix(df, "x + C(v)")
    pd.testing.assert_frame_equal(df, before)
