"""Experiments in practice: SRM, ratio metrics, sequential tests,
interleaving, and the simulators of chapter 13."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from causal_lib import difference_in_means, simulate
from causal_lib.experiments import (
    interleaving_preference,
    ratio_metric,
    sequential_test,
    srm_test,
    team_draft,
)

# --- SRM -----------------------------------------------------------------


def test_srm_is_the_binomial_test():
    df = pd.DataFrame({"t": [1] * 530 + [0] * 470})
    check = srm_test(df, treatment="t")
    assert check["n"] == 1_000 and check["n_treated"] == 530
    assert check["p_value"] == pytest.approx(
        stats.binomtest(530, 1_000, 0.5).pvalue)
    other = srm_test(df, treatment="t", expected_share=0.53)
    assert other["p_value"] == pytest.approx(1.0)


def test_srm_bad_input():
    df = pd.DataFrame({"t": [0, 1, 2]})
    with pytest.raises(ValueError, match="0/1"):
        srm_test(df, treatment="t")
    with pytest.raises(ValueError, match="expected_share"):
        srm_test(df.iloc[:2], treatment="t", expected_share=1.0)


# --- ratio metrics -------------------------------------------------------

def test_ratio_metric_by_hand():
    df = pd.DataFrame({"t": [0, 0, 0, 1, 1, 1],
                       "y": [1.0, 2.0, 0.0, 3.0, 1.0, 2.0],
                       "x": [10.0, 10.0, 5.0, 10.0, 5.0, 5.0]})
    est = ratio_metric(df, numerator="y", denominator="x", treatment="t")
    r0, r1 = 3 / 25, 6 / 20
    assert est.estimate == pytest.approx(r1 - r0)
    var = 0.0
    for arm, r in ((0, r0), (1, r1)):
        g = df[df["t"] == arm]
        u = (g["y"] - r * g["x"]) / g["x"].mean()
        var += u.var(ddof=1) / len(g)
    assert est.std_error == pytest.approx(np.sqrt(var))
    assert est.n == 6 and est.n_treated == 3


def test_ratio_metric_with_equal_denominators_is_a_difference_in_means():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": rng.integers(0, 2, 500),
                       "y": rng.poisson(3, 500), "x": 7})
    est = ratio_metric(df, numerator="y", denominator="x", treatment="t")
    dim = difference_in_means(df.assign(r=df["y"] / 7), treatment="t",
                              outcome="r")
    assert est.estimate == pytest.approx(dim.estimate, rel=1e-12)
    assert est.std_error == pytest.approx(dim.std_error, rel=1e-12)


def test_ratio_metric_recovers_the_truth():
    data, truth = simulate.ctr_experiment(40_000, rng=1, lift=0.25)
    po = truth.potential_outcomes
    true = (po["y1"].sum() - po["y0"].sum()) / po["impressions"].sum()
    est = ratio_metric(data, numerator="clicks", denominator="impressions",
                       treatment="treated")
    assert abs(est.estimate - true) < 4 * est.std_error
    assert est.estimate > 4 * est.std_error


@pytest.mark.parametrize(("change", "message"), [
    (lambda df: df.assign(x=-df["x"]), "negative"),
    (lambda df: df.assign(x=np.where(df["t"] == 1, 0.0, df["x"])),
     "sums to zero"),
    (lambda df: df.assign(y=np.nan), "missing"),
    (lambda df: df.assign(t=2), "0/1"),
])
def test_ratio_metric_bad_input(change, message):
    df = pd.DataFrame({"t": [0, 0, 1, 1], "y": [1.0, 2, 3, 4],
                       "x": [5.0, 5, 5, 5]})
    with pytest.raises(ValueError, match=message):
        ratio_metric(change(df), numerator="y", denominator="x",
                     treatment="t")


@pytest.mark.slow
def test_delta_method_coverage_and_naive_undercoverage():
    rng = np.random.default_rng(2024)
    hits, naive_hits, reps = [], [], 2_000
    for _ in range(reps):
        data, truth = simulate.ctr_experiment(4_000, rng=rng)
        po = truth.potential_outcomes
        true = (po["y1"].sum() - po["y0"].sum()) / po["impressions"].sum()
        est = ratio_metric(data, numerator="clicks",
                           denominator="impressions", treatment="treated")
        sums = data.groupby("treated")[["clicks", "impressions"]].sum()
        r = sums["clicks"] / sums["impressions"]
        naive = np.sqrt((r * (1 - r) / sums["impressions"]).sum())
        hits.append(est.covers(true))
        naive_hits.append(abs(est.estimate - true) < 1.96 * naive)
    mc = np.sqrt(0.95 * 0.05 / reps)
    assert abs(np.mean(hits) - 0.95) < 4 * mc
    assert np.mean(naive_hits) < 0.8


# --- sequential tests ----------------------------------------------------

def frame(n=2_000, effect=0.0, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    return pd.DataFrame({"t": t, "y": rng.normal(size=n) + effect * t})


def test_sequential_last_look_is_the_difference_in_means():
    df = frame(effect=0.2)
    path = sequential_test(df, treatment="t", outcome="y", mixture_sd=0.2,
                           looks=10)
    dim = difference_in_means(df, treatment="t", outcome="y")
    last = path.iloc[-1]
    assert last["n"] == len(df)
    assert last["estimate"] == pytest.approx(dim.estimate, rel=1e-9)
    assert last["std_error"] == pytest.approx(dim.std_error, rel=1e-9)
    v, tau2 = dim.std_error**2, 0.2**2
    lam = np.sqrt(v / (v + tau2)) * np.exp(
        tau2 * dim.estimate**2 / (2 * v * (v + tau2)))
    assert last["likelihood_ratio"] == pytest.approx(lam, rel=1e-9)
    assert last["p_value"] == pytest.approx(
        min(1.0, (1 / path["likelihood_ratio"]).min()))


def test_sequential_path_properties():
    path = sequential_test(frame(effect=0.3), treatment="t", outcome="y",
                           mixture_sd=0.3, looks=[100, 500, 1_000, 2_000])
    assert path["n"].tolist() == [100, 500, 1_000, 2_000]
    assert path["p_value"].is_monotonic_decreasing
    assert path["ci_low"].is_monotonic_increasing
    assert path["ci_high"].is_monotonic_decreasing
    assert (path["reject"] == (path["p_value"] <= 0.05)).all()
    assert path["reject"].iloc[-1]


@settings(max_examples=20)
@given(shift=st.floats(-1e4, 1e4))
def test_sequential_shift_invariant(shift):
    df = frame(500, effect=0.1)
    a = sequential_test(df, treatment="t", outcome="y", mixture_sd=0.5,
                        looks=5)
    b = sequential_test(df.assign(y=df["y"] + shift), treatment="t",
                        outcome="y", mixture_sd=0.5, looks=5)
    np.testing.assert_allclose(a["p_value"], b["p_value"], rtol=1e-6)


@pytest.mark.parametrize(("kw", "error", "message"), [
    (dict(mixture_sd=0.0), ValueError, "positive"),
    (dict(mixture_sd=-1.0), ValueError, "positive"),
    (dict(mixture_sd=1.0, looks=[10, 5]), ValueError, "increasing"),
    (dict(mixture_sd=1.0, looks=[10, 5_000]), ValueError, "increasing"),
    (dict(mixture_sd=1.0, looks=[2, 10]), ValueError, "fewer than two"),
    (dict(mixture_sd=1.0, looks=0), ValueError, "looks"),
    (dict(mixture_sd=1.0, looks=[0.5]), TypeError, "looks"),
])
def test_sequential_bad_input(kw, error, message):
    with pytest.raises(error, match=message):
        sequential_test(frame(), treatment="t", outcome="y", **kw)


@pytest.mark.slow
def test_always_valid_under_continuous_monitoring():
    rng = np.random.default_rng(77)
    reps, rejected, peeked = 2_000, 0, 0
    for _ in range(reps):
        data, _ = simulate.ab_test(n=5_000, rng=rng, ate=0.0)
        path = sequential_test(data, treatment="new_ranker",
                               outcome="spend", mixture_sd=0.5, looks=100)
        rejected += path["reject"].any()
        peeked += (path["estimate"].abs() > 1.96 * path["std_error"]).any()
    mc = np.sqrt(0.05 * 0.95 / reps)
    assert rejected / reps <= 0.05 + 4 * mc
    assert peeked / reps > 0.05 + 10 * mc  # the naive rule, for contrast


# --- interleaving --------------------------------------------------------

rankings = st.lists(st.integers(0, 30), min_size=1, max_size=15,
                    unique=True)


@settings(max_examples=60)
@given(a=rankings, b=rankings, length=st.integers(1, 12),
       seed=st.integers(0, 1_000))
def test_team_draft_properties(a, b, length, seed):
    shown = team_draft(a, b, length=length, rng=seed)
    items = shown["item"].tolist()
    assert len(items) == len(set(items))
    assert len(items) == min(length, len(set(a) | set(b)))
    assert set(items) <= set(a) | set(b)
    assert shown["position"].tolist() == list(range(1, len(items) + 1))
    for team, ranking in (("A", a), ("B", b)):
        picked = shown.loc[shown["team"] == team, "item"].tolist()
        # each team picks in its own ranking's order
        assert picked == sorted(picked, key=ranking.index)
    counts = shown["team"].value_counts()
    if len(items) == length and len(a) >= length and len(b) >= length:
        assert abs(counts.get("A", 0) - counts.get("B", 0)) <= 1


def test_team_draft_many_lists_and_errors():
    a = np.array([[1, 2, 3], [4, 5, 6]])
    b = np.array([[3, 2, 1], [6, 5, 4]])
    shown = team_draft(a, b, length=3, rng=0)
    assert shown["list"].tolist() == [0, 0, 0, 1, 1, 1]
    assert shown["position"].tolist() == [1, 2, 3, 1, 2, 3]
    with pytest.raises(ValueError, match="repeats"):
        team_draft([1, 1, 2], [1, 2], length=2)
    with pytest.raises(ValueError, match="same number of rows"):
        team_draft(a, b[:1], length=2)
    with pytest.raises(ValueError, match="length"):
        team_draft([1], [2], length=0)


def test_interleaving_preference_by_hand_and_symmetry():
    df = pd.DataFrame({"imp": [1, 1, 2, 2, 3, 3, 4, 4],
                       "team": ["A", "B"] * 4,
                       "click": [0, 2, 1, 0, 1, 1, 0, 3]})
    est = interleaving_preference(df, impression="imp", team="team",
                                  click="click")
    scores = np.array([1, -1, 0, 1])
    assert est.estimate == pytest.approx(scores.mean())
    assert est.std_error == pytest.approx(scores.std(ddof=1) / 2)
    flipped = df.assign(team=df["team"].map({"A": "B", "B": "A"}))
    other = interleaving_preference(flipped, impression="imp",
                                    team="team", click="click")
    assert other.estimate == pytest.approx(-est.estimate)


def test_interleaving_is_unbiased_between_equal_rankers():
    rng = np.random.default_rng(8)
    n, k = 4_000, 10
    a = np.argsort(rng.uniform(size=(n, 50)), axis=1)[:, :k]
    b = np.argsort(rng.uniform(size=(n, 50)), axis=1)[:, :k]
    shown = team_draft(a, b, length=k, rng=rng)
    # clicks depend on position only: neither ranker is better
    p = 0.3 / shown["position"].to_numpy()
    shown["click"] = (rng.uniform(size=len(shown)) < p).astype(int)
    est = interleaving_preference(shown, impression="list", team="team",
                                  click="click")
    assert abs(est.estimate) < 4 * est.std_error


@pytest.mark.parametrize(("change", "message"), [
    (lambda df: df.assign(team=["A", "C"] * 2), "'A' or 'B'"),
    (lambda df: df.assign(click=-1), "negative"),
    (lambda df: df.assign(imp=1), "two impressions"),
])
def test_interleaving_bad_input(change, message):
    df = pd.DataFrame({"imp": [1, 1, 2, 2], "team": ["A", "B"] * 2,
                       "click": [0, 1, 1, 0]})
    with pytest.raises(ValueError, match=message):
        interleaving_preference(change(df), impression="imp", team="team",
                                click="click")


# --- simulators ----------------------------------------------------------

def test_noncompliance_truth():
    data, truth = simulate.noncompliance(20_000, rng=4)
    po = truth.potential_outcomes
    exposed = np.where(data["assigned"] == 1, po["d1"], po["d0"])
    np.testing.assert_array_equal(data["exposed"], exposed)
    observed = np.where(data["exposed"] == 1, po["y1"], po["y0"])
    np.testing.assert_allclose(data["minutes"], observed)
    assert (po["d1"] >= po["d0"]).all()  # no defiers
    shares = po["type"].value_counts(normalize=True)
    assert shares["always-taker"] == pytest.approx(0.2, abs=0.015)
    assert shares["never-taker"] == pytest.approx(0.35, abs=0.015)
    assert truth.ate == pytest.approx(truth.effects.mean())


def test_simulator_bad_input():
    with pytest.raises(ValueError, match="compliers"):
        simulate.noncompliance(10, rng=0, always_share=0.6,
                               never_share=0.5)
    with pytest.raises(ValueError, match="lift"):
        simulate.ctr_experiment(10, rng=0, lift=-0.1)
    with pytest.raises(ValueError, match="design"):
        simulate.marketplace(rng=0, design="city")
    with pytest.raises(TypeError, match="rng"):
        simulate.marketplace(rng=None)


def test_ctr_experiment_truth():
    data, truth = simulate.ctr_experiment(5_000, rng=5)
    po = truth.potential_outcomes
    assert (po["y1"] >= po["y0"]).all()
    assert (po["y1"] <= po["impressions"]).all()
    observed = np.where(data["treated"] == 1, po["y1"], po["y0"])
    np.testing.assert_array_equal(data["clicks"], observed)
    assert data["impressions"].mean() == pytest.approx(20, rel=0.05)


def test_marketplace_designs_share_the_truth():
    runs = {d: simulate.marketplace(12, 5, rng=9, design=d)
            for d in ("user", "market", "switchback")}
    truths = {d: t.ate for d, (_, t) in runs.items()}
    assert len(set(truths.values())) == 1
    market = runs["market"][0]
    assert (market.groupby("market")["treated"].nunique() == 1).all()
    assert market.groupby("market")["treated"].first().sum() == 6
    switch = runs["switchback"][0]
    assert (switch.groupby("cell")["treated"].nunique() == 1).all()
    # in the global worlds, purchases never exceed the stock
    po = runs["user"][1].potential_outcomes
    stock = runs["user"][0].groupby("cell")["stock"].first()
    for column in ("y0", "y1"):
        bought = po[column].groupby(runs["user"][0]["cell"]).sum()
        assert (bought <= stock).all()
    # under a market design, every buyer is in one of the global worlds
    data, truth = runs["market"]
    po = truth.potential_outcomes
    expected = np.where(data["treated"] == 1, po["y1"], po["y0"])
    np.testing.assert_array_equal(data["purchased"], expected)


def test_user_level_test_overstates_the_global_effect():
    data, truth = simulate.marketplace(rng=3, design="user")
    est = difference_in_means(data, treatment="treated",
                              outcome="purchased")
    assert est.estimate - truth.ate > 4 * est.std_error
