"""difference_in_means: hand cases, statsmodels, errors, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_lib import EffectEstimate, difference_in_means, simulate


def tiny() -> pd.DataFrame:
    return pd.DataFrame({
        "shown": [1, 1, 1, 0, 0, 0, 0],
        "spend": [3.0, 5.0, 7.0, 1.0, 2.0, 3.0, 6.0],
    })


def dim(df, **kw):
    return difference_in_means(df, treatment="shown", outcome="spend", **kw)


# --- hand-computed ----------------------------------------------------------

def test_hand_computed_estimate_and_neyman_se():
    est = dim(tiny())
    # treated mean 5, var 4; control mean 3, var (4+1+0+9)/3 = 14/3
    assert est.estimate == pytest.approx(2.0)
    assert est.std_error == pytest.approx(np.sqrt(4 / 3 + (14 / 3) / 4))
    assert (est.n, est.n_treated, est.estimand) == (7, 3, "ATE")


def test_interval_is_estimate_plus_minus_z_se():
    est = dim(tiny(), alpha=0.1)
    half = 1.6448536269514722 * est.std_error
    assert est.conf_int() == pytest.approx((2.0 - half, 2.0 + half))
    assert est.alpha == 0.1


def test_large_offset_keeps_precision():
    # Variances computed as E[y^2] - E[y]^2 would lose every digit here.
    df = tiny().assign(spend=lambda d: d["spend"] + 1e9)
    base, shifted = dim(tiny()), dim(df)
    assert shifted.estimate == pytest.approx(base.estimate, abs=1e-6)
    assert shifted.std_error == pytest.approx(base.std_error, rel=1e-9)


# Bug: the blocks were centred on the first 1000 rows, one arm when rows
# are sorted by arm, so a large effect wiped out the other arm's variance
# (SE 0.0 for a true 0.0318).
def test_large_effect_with_rows_sorted_by_arm_keeps_precision():
    rng = np.random.default_rng(0)
    t = np.r_[np.zeros(2000, int), np.ones(2000, int)]
    noise = rng.normal(size=4000)
    df = pd.DataFrame({"shown": t, "spend": 1e8 * t + noise})
    expected = np.sqrt(noise[t == 1].var(ddof=1) / 2000
                       + noise[t == 0].var(ddof=1) / 2000)
    est = dim(df)
    assert est.std_error == pytest.approx(expected, rel=1e-6)
    assert est.estimate == pytest.approx(
        1e8 + noise[t == 1].mean() - noise[t == 0].mean(), abs=1e-6)


@pytest.mark.parametrize("kind", ["int8", "int64", "bool", "float64"])
def test_treatment_dtypes(kind):
    df = tiny().astype({"shown": kind})
    assert dim(df).estimate == pytest.approx(2.0)


def test_integer_outcome():
    df = tiny().astype({"spend": "int64"})
    assert dim(df).estimate == pytest.approx(2.0)


def test_many_rows_match_pandas():
    rng = np.random.default_rng(5)
    n = 50_001
    df = pd.DataFrame({"shown": rng.integers(0, 2, n),
                       "spend": rng.normal(10, 3, n)})
    y1 = df.loc[df.shown == 1, "spend"]
    y0 = df.loc[df.shown == 0, "spend"]
    est = dim(df)
    assert est.estimate == pytest.approx(y1.mean() - y0.mean(), rel=1e-12)
    se = np.sqrt(y1.var() / len(y1) + y0.var() / len(y0))
    assert est.std_error == pytest.approx(se, rel=1e-10)


# --- agreement with statsmodels --------------------------------------------

def test_equals_ols_coefficient_and_hc2_se():
    data, _ = simulate.ab_test(3_000, rng=np.random.default_rng(11))
    est = difference_in_means(data, treatment="new_ranker", outcome="spend")
    fit = smf.ols("spend ~ new_ranker", data=data).fit(cov_type="HC2")
    assert est.estimate == pytest.approx(fit.params["new_ranker"], rel=1e-10)
    assert est.std_error == pytest.approx(fit.bse["new_ranker"], rel=1e-10)


def test_differs_from_pooled_ols_se_with_unequal_arms():
    data, _ = simulate.ab_test(
        3_000, rng=np.random.default_rng(12), share_treated=0.2, ate=5.0
    )
    est = difference_in_means(data, treatment="new_ranker", outcome="spend")
    pooled = smf.ols("spend ~ new_ranker", data=data).fit()
    assert est.std_error != pytest.approx(pooled.bse["new_ranker"], rel=1e-3)


# --- bad input --------------------------------------------------------------

@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.drop(columns="spend"),
         "outcome column 'spend' not found"),
        (lambda d: d.drop(columns="shown"),
         "treatment column 'shown' not found"),
        (lambda d: d.assign(shown=[1, 2, 1, 0, 0, 0, 0]),
         "treatment column 'shown' must be 0/1"),
        (lambda d: d.assign(shown=[1, -1, 1, 0, 0, 0, 0]),
         "treatment column 'shown' must be 0/1"),
        (lambda d: d.assign(shown=[1, 0.5, 1, 0, 0, 0, 0]),
         "treatment column 'shown' must be 0/1"),
        (lambda d: d.assign(shown=[1, np.nan, 1, 0, 0, 0, 0]),
         "treatment column 'shown' has 1 missing"),
        (lambda d: d.assign(spend=[1, np.nan, 1, 0, 0, 0, 0]),
         "outcome column 'spend' has 1 missing"),
        (lambda d: d.assign(spend=[1, np.inf, 1, 0, 0, 0, 0]),
         "outcome column 'spend' holds infinite"),
        (lambda d: d.assign(spend=list("abcdefg")),
         "outcome column 'spend' must be numeric"),
        (lambda d: d.assign(shown=1), "0 control"),
        (lambda d: d.assign(shown=0), "0 treated"),
        (lambda d: d.assign(shown=[1, 0, 0, 0, 0, 0, 0]),
         "1 treated \\(1\\) unit"),
        (lambda d: d.iloc[:0], "df has no rows"),
    ],
)
def test_bad_input_raises_value_error(change, message):
    with pytest.raises(ValueError, match=message):
        dim(change(tiny()))


# Bug: treatment="t", outcome="t" returned 1 +/- 0.
def test_treatment_and_outcome_must_differ():
    with pytest.raises(ValueError, match="column 'shown' is given as both "
                       "treatment and outcome"):
        difference_in_means(tiny(), treatment="shown", outcome="shown")


# Bug: a categorical treatment was accepted here and nowhere else.
@pytest.mark.parametrize("kind", ["category", "str", "object"])
def test_treatment_must_be_numbers_or_booleans(kind):
    df = tiny().astype({"shown": kind})
    with pytest.raises(ValueError, match="treatment column 'shown' must "
                       "hold 0/1 numbers or booleans"):
        dim(df)


def test_boolean_outcome_is_a_share():
    df = tiny().assign(spend=[True, True, False, False, False, True, False])
    assert dim(df).estimate == pytest.approx(2 / 3 - 1 / 4)


def test_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        dim(tiny(), alpha=1.5)


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        difference_in_means(tiny().to_dict(), treatment="shown",
                            outcome="spend")


def test_column_argument_must_be_a_name():
    with pytest.raises(TypeError, match="column name"):
        difference_in_means(tiny(), treatment=["shown"], outcome="spend")


def test_input_is_not_modified():
    df = tiny().astype({"shown": "float64"})
    before = df.copy(deep=True)
    dim(df)
    pd.testing.assert_frame_equal(df, before)


def test_returns_frozen_estimate():
    est = dim(tiny())
    assert isinstance(est, EffectEstimate)
    with pytest.raises(AttributeError):
        est.estimate = 0.0


# --- properties -------------------------------------------------------------

arms = st.lists(
    st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=30
)


def frame(treated, control) -> pd.DataFrame:
    return pd.DataFrame({
        "shown": [1] * len(treated) + [0] * len(control),
        "spend": treated + control,
    })


@settings(max_examples=60, deadline=None)
@given(arms, arms, st.floats(-1e3, 1e3))
def test_shifting_outcome_leaves_effect_unchanged(treated, control, c):
    df = frame(treated, control)
    base, moved = dim(df), dim(df.assign(spend=df["spend"] + c))
    assert moved.estimate == pytest.approx(base.estimate, abs=1e-6)
    assert moved.std_error == pytest.approx(base.std_error, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(arms, arms, st.floats(0.01, 100))
def test_scaling_outcome_scales_effect(treated, control, k):
    df = frame(treated, control)
    base, scaled = dim(df), dim(df.assign(spend=df["spend"] * k))
    assert scaled.estimate == pytest.approx(k * base.estimate, abs=1e-6)
    assert scaled.std_error == pytest.approx(k * base.std_error, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(arms, arms, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(treated, control, random):
    df = frame(treated, control)
    order = list(range(len(df)))
    random.shuffle(order)
    base, shuffled = dim(df), dim(df.iloc[order])
    assert shuffled.estimate == pytest.approx(base.estimate, abs=1e-6)
    assert shuffled.std_error == pytest.approx(base.std_error, abs=1e-6)


# --- coverage (slow) --------------------------------------------------------

@pytest.mark.slow
def test_interval_covers_truth_in_95_percent_of_experiments():
    rng = np.random.default_rng(20261127)
    hits = 0
    for _ in range(1_000):
        data, truth = simulate.ab_test(1_000, rng=rng, ate=1.0)
        est = difference_in_means(data, treatment="new_ranker",
                                  outcome="spend")
        hits += est.covers(truth.ate)
    assert 0.93 <= hits / 1_000 <= 0.97
