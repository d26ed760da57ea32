"""Instrumental variables: hand cases, linearmodels, Card, the truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_lib import simulate
from causal_lib.datasets import load_close_college
from causal_lib.iv import WeakInstrumentWarning, first_stage_f, tsls, wald

linearmodels_iv = pytest.importorskip("linearmodels.iv")

CONTROLS = ["exper", "black", "south", "married", "smsa"]


def small():
    """200 units: 20% take the treatment without the instrument, 70% with
    it; the outcome is 1 + 2 d + a noise that differs by arm."""
    z = np.repeat([0, 1], 100)
    d = np.r_[np.arange(100) < 20, np.arange(100) < 70].astype(int)
    noise = np.tile([-1.0, 0.0, 2.0, -1.0], 50)
    return pd.DataFrame({"z": z, "d": d, "y": 1 + 2 * d + noise})


def card():
    return load_close_college().dropna()


# --- Wald ---------------------------------------------------------------

def test_wald_by_hand():
    df = small()
    est = wald(df, outcome="y", treatment="d", instrument="z")
    z = df["z"] == 1
    dy = df.loc[z, "y"].mean() - df.loc[~z, "y"].mean()
    dd = df.loc[z, "d"].mean() - df.loc[~z, "d"].mean()
    assert dd == pytest.approx(0.5)
    assert est.estimate == pytest.approx(dy / dd, rel=1e-12)
    u = df["y"] - est.estimate * df["d"]
    se = np.sqrt(u[z].var() / 100 + u[~z].var() / 100) / 0.5
    assert est.std_error == pytest.approx(se, rel=1e-12)
    assert est.estimand == "LATE" and est.n == 200 and est.n_treated == 90


def test_wald_is_tsls_without_covariates():
    df = small()
    a = wald(df, outcome="y", treatment="d", instrument="z")
    b = tsls(df, outcome="y", treatment="d", instruments="z")
    assert a.estimate == pytest.approx(b.estimate, rel=1e-10)
    # Neyman-type and HC0 variances agree to first order.
    assert a.std_error == pytest.approx(b.std_error, rel=0.02)


def test_wald_matches_linearmodels_on_card():
    df = card()
    est = wald(df, outcome="lwage", treatment="educ", instrument="nearc4")
    ref = linearmodels_iv.IV2SLS.from_formula(
        "lwage ~ 1 + [educ ~ nearc4]", df).fit(cov_type="robust")
    assert est.estimate == pytest.approx(ref.params["educ"], rel=1e-9)
    assert est.std_error == pytest.approx(ref.std_errors["educ"], rel=0.01)
    assert est.n_treated is None  # years of schooling are not 0/1


def test_wald_recovers_the_late():
    data, truth = simulate.noncompliance(40_000, rng=11)
    late = truth.effects[truth.potential_outcomes["type"] == "complier"]
    est = wald(data, outcome="minutes", treatment="exposed",
               instrument="assigned")
    assert abs(est.estimate - late.mean()) < 4 * est.std_error
    naive = data.groupby("exposed")["minutes"].mean().diff().iloc[-1]
    assert naive - late.mean() > 20 * est.std_error


def test_wald_exclusion_violation_bias():
    data, truth = simulate.noncompliance(40_000, rng=12, direct_effect=4.0)
    types = truth.potential_outcomes["type"]
    late = truth.effects[types == "complier"].mean()
    est = wald(data, outcome="minutes", treatment="exposed",
               instrument="assigned")
    bias = 4.0 / (types == "complier").mean()
    assert abs(est.estimate - late - bias) < 4 * est.std_error


def test_wald_weak_instrument_warns():
    data, _ = simulate.noncompliance(2_000, rng=3, always_share=0.48,
                                     never_share=0.5)
    with pytest.warns(WeakInstrumentWarning, match="first-stage F"):
        wald(data, outcome="minutes", treatment="exposed",
             instrument="assigned")


def test_wald_refuses_a_zero_first_stage():
    df = pd.DataFrame({"z": [0, 0, 1, 1], "d": [0, 1, 1, 0],
                       "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValueError, match="does not move"):
        wald(df, outcome="y", treatment="d", instrument="z")


@pytest.mark.parametrize(("change", "message"), [
    (lambda df: df.assign(z=df["z"] * 2), "must be 0/1"),
    (lambda df: df.assign(y=df["y"].where(df.index != 3)), "missing"),
    (lambda df: df.iloc[[0, 1, 2, 150, 151, 152, 199]].assign(
        z=[0, 0, 0, 0, 0, 0, 1]), "at least 2"),
])
def test_wald_bad_input(change, message):
    with pytest.raises(ValueError, match=message):
        wald(change(small()), outcome="y", treatment="d", instrument="z")


def test_wald_column_errors():
    df = small()
    with pytest.raises(ValueError, match="not found"):
        wald(df, outcome="nope", treatment="d", instrument="z")
    with pytest.raises(ValueError, match="both"):
        wald(df, outcome="y", treatment="d", instrument="d")
    with pytest.raises(TypeError):
        wald(df.to_numpy(), outcome="y", treatment="d", instrument="z")
    with pytest.raises(ValueError, match="alpha"):
        wald(df, outcome="y", treatment="d", instrument="z", alpha=1.5)


# --- 2SLS ---------------------------------------------------------------

def test_card_reproduces_the_mixtape():
    """Cunningham (2021), ch. 7: the companion notebook's 2SLS 0.1242
    (HC0 SE 0.0492) and OLS 0.0712 on 3,003 men; the chapter's table's
    first-stage F 15.767 (the conventional, homoskedastic F)."""
    df = card()
    assert len(df) == 3_003
    est = tsls(df, outcome="lwage", treatment="educ", instruments="nearc4",
               covariates=CONTROLS)
    assert round(est.estimate, 4) == 0.1242
    assert round(est.std_error, 4) == 0.0492
    f = first_stage_f(df, treatment="educ", instruments="nearc4",
                      covariates=CONTROLS)
    assert round(f, 3) == 15.767
    ols = smf.ols("lwage ~ educ + " + " + ".join(CONTROLS), df).fit()
    assert round(ols.params["educ"], 4) == 0.0712
    assert "15.77" in est.method


def test_tsls_matches_linearmodels_with_covariates():
    df = card()
    est = tsls(df, outcome="lwage", treatment="educ", instruments="nearc4",
               covariates=CONTROLS)
    ref = linearmodels_iv.IV2SLS.from_formula(
        "lwage ~ 1 + exper + black + south + married + smsa"
        " + [educ ~ nearc4]", df).fit(cov_type="robust")
    assert est.estimate == pytest.approx(ref.params["educ"], rel=1e-8)
    assert est.std_error == pytest.approx(ref.std_errors["educ"], rel=1e-8)
    lo, hi = ref.conf_int().loc["educ"]
    assert est.ci_low == pytest.approx(lo, rel=1e-6)
    assert est.ci_high == pytest.approx(hi, rel=1e-6)
    robust_f = first_stage_f(df, treatment="educ", instruments="nearc4",
                             covariates=CONTROLS, robust=True)
    diag = ref.first_stage.diagnostics.loc["educ"]
    assert robust_f == pytest.approx(diag["f.stat"], rel=1e-8)


def test_tsls_two_instruments_and_a_formula():
    rng = np.random.default_rng(5)
    n = 5_000
    x = rng.normal(size=n)
    region = rng.choice(["n", "s", "w"], n)
    u = rng.normal(size=n)
    z1, z2 = rng.integers(0, 2, n), rng.normal(size=n)
    d = 0.8 * z1 + 0.5 * z2 + x + u + rng.normal(size=n)
    y = 1.5 * d + x + (region == "s") + 2 * u + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "region": region, "z1": z1, "z2": z2,
                       "d": d, "y": y})
    est = tsls(df, outcome="y", treatment="d", instruments=["z1", "z2"],
               covariates="x + I(x**2) + C(region)")
    ref = linearmodels_iv.IV2SLS.from_formula(
        "y ~ 1 + x + I(x**2) + C(region) + [d ~ z1 + z2]", df).fit(
        cov_type="robust")
    assert est.estimate == pytest.approx(ref.params["d"], rel=1e-8)
    assert est.std_error == pytest.approx(ref.std_errors["d"], rel=1e-8)
    assert abs(est.estimate - 1.5) < 4 * est.std_error
    sm_f = smf.ols("d ~ z1 + z2 + x + I(x**2) + C(region)", df).fit() \
        .f_test("z1 = 0, z2 = 0").fvalue
    f = first_stage_f(df, treatment="d", instruments=["z1", "z2"],
                      covariates="x + I(x**2) + C(region)")
    assert f == pytest.approx(float(np.squeeze(sm_f)), rel=1e-8)


def test_tsls_recovers_the_late_with_a_covariate():
    data, truth = simulate.noncompliance(40_000, rng=21)
    late = truth.effects[truth.potential_outcomes["type"] == "complier"]
    plain = tsls(data, outcome="minutes", treatment="exposed",
                 instruments="assigned")
    adjusted = tsls(data, outcome="minutes", treatment="exposed",
                    instruments="assigned", covariates=["past_minutes"])
    assert abs(adjusted.estimate - late.mean()) < 4 * adjusted.std_error
    assert adjusted.std_error < 0.9 * plain.std_error


@settings(max_examples=25)
@given(shift=st.floats(-1e3, 1e3), scale=st.floats(0.1, 10))
def test_tsls_shift_and_scale(shift, scale):
    df = card()
    kw = dict(treatment="educ", instruments="nearc4", covariates=CONTROLS)
    base = tsls(df, outcome="lwage", **kw)
    moved = tsls(df.assign(lwage=scale * df["lwage"] + shift),
                 outcome="lwage", **kw)
    assert moved.estimate == pytest.approx(scale * base.estimate, rel=1e-6)
    assert moved.std_error == pytest.approx(scale * base.std_error,
                                            rel=1e-6)


def test_tsls_row_order_and_input_untouched():
    df = card()
    copy = df.copy()
    kw = dict(outcome="lwage", treatment="educ", instruments="nearc4",
              covariates=CONTROLS)
    a = tsls(df, **kw)
    b = tsls(df.sample(frac=1.0, random_state=0), **kw)
    assert a.estimate == pytest.approx(b.estimate, rel=1e-10)
    pd.testing.assert_frame_equal(df, copy)


def test_tsls_weak_instrument_warns_and_zero_first_stage_raises():
    rng = np.random.default_rng(0)
    n = 1_000
    z = rng.integers(0, 2, n)
    d = rng.normal(size=n) + 0.01 * z
    df = pd.DataFrame({"z": z, "d": d, "y": d + rng.normal(size=n)})
    with pytest.warns(WeakInstrumentWarning, match="below 10"):
        tsls(df, outcome="y", treatment="d", instruments="z")
    # d exactly orthogonal to z: equal means in both arms.
    flat = df.assign(d=df["d"] - df.groupby("z")["d"].transform("mean"))
    with pytest.raises(ValueError, match="not identified"):
        tsls(flat, outcome="y", treatment="d", instruments="z")


def test_tsls_no_warning_for_a_strong_instrument():
    data, _ = simulate.noncompliance(5_000, rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tsls(data, outcome="minutes", treatment="exposed",
             instruments="assigned")


@pytest.mark.parametrize(("kw", "error", "message"), [
    (dict(instruments="c"), ValueError, "constant"),
    (dict(instruments=[]), ValueError, "empty"),
    (dict(instruments="z", covariates=["z2"]), ValueError, "collinear"),
    (dict(instruments="z", covariates=["d"]), ValueError, "covariates"),
    (dict(instruments="z", covariates=["x"]), ValueError, "missing"),
    (dict(instruments="nope"), ValueError, "not found"),
    (dict(instruments=["z", "z"]), ValueError, "both"),
])
def test_tsls_bad_input(kw, error, message):
    df = small().assign(c=1.0, z2=lambda f: 2 * f["z"],
                        x=[np.nan] + [0.0] * 199)
    with pytest.raises(error, match=message):
        tsls(df, outcome="y", treatment="d", **kw)


@pytest.mark.slow
def test_wald_coverage_over_replications():
    rng = np.random.default_rng(99)
    covers = []
    for _ in range(1_000):
        data, truth = simulate.noncompliance(4_000, rng=rng)
        types = truth.potential_outcomes["type"]
        est = wald(data, outcome="minutes", treatment="exposed",
                   instrument="assigned")
        covers.append(est.covers(truth.effects[types == "complier"].mean()))
    assert abs(np.mean(covers) - 0.95) < 4 * np.sqrt(0.95 * 0.05 / 1_000)
