"""Offline causal evaluation: hand cases, unbiasedness, the headline result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_lib.estimate import EffectEstimate
from causal_lib.evaluation import (
    causal_precision_at_k,
    in_top_k,
    ips_effect,
    precision_at_k,
    uplift_at_n,
)
from causal_lib.simulate import catalogue

LOGS = dict(treatment="recommended", outcome="purchased",
            propensity="propensity")


def tiny():
    return pd.DataFrame({
        "user": [1, 1, 1, 2, 2, 2],
        "score": [3.0, 2.0, 1.0, 3.0, 2.0, 1.0],
        "z": [1, 0, 1, 0, 1, 1],
        "y": [1, 1, 0, 0, 1, 1],
        "p": [0.5, 0.5, 0.5, 0.25, 0.5, 0.8],
    })


def with_truth(data, truth, seed=5):
    """The logs plus columns a chapter would compute from the truth."""
    po = truth.potential_outcomes
    return data.assign(
        p0=po["p0"], p1=po["p1"], uplift=po["p1"] - po["p0"],
        effect=truth.effects,
        random=np.random.default_rng(seed).uniform(size=len(data)),
    )


@pytest.fixture(scope="module")
def shop():
    data, truth = catalogue(rng=np.random.default_rng(2024))
    return with_truth(data, truth)


# --- ips_effect ------------------------------------------------------------

def test_ips_effect_by_hand():
    df = tiny()
    got = ips_effect(df, treatment="z", outcome="y", propensity="p")
    # Z Y / P - (1 - Z) Y / (1 - P), pair by pair.
    expected = [1 / 0.5, -1 / 0.5, 0.0, 0.0, 1 / 0.5, 1 / 0.8]
    np.testing.assert_allclose(got, expected)
    assert got.name == "ips_effect"
    assert got.index.equals(df.index)
    assert not np.signbit(got[got == 0]).any()  # 0.0, not -0.0


def test_ips_effect_keeps_a_custom_index_and_any_outcome():
    df = tiny().set_index(pd.Index(list("abcdef")))
    df["y"] = [2.5, -1.0, 3.0, 4.0, 0.0, 1.0]
    got = ips_effect(df, treatment="z", outcome="y", propensity="p")
    assert list(got.index) == list("abcdef")
    np.testing.assert_allclose(
        got, [5.0, 2.0, 6.0, -16 / 3, 0.0, 1.25])


def test_capping_clips_the_propensity():
    df = tiny()
    capped = ips_effect(df, treatment="z", outcome="y", propensity="p",
                        cap=0.3)
    # P = 0.25 -> 0.3 and 0.8 -> 0.7; the others are inside [0.3, 0.7].
    np.testing.assert_allclose(
        capped, [2.0, -2.0, 0.0, 0.0, 2.0, 1 / 0.7])
    half = ips_effect(df, treatment="z", outcome="y", propensity="p",
                      cap=0.5)
    np.testing.assert_allclose(half, 2 * df["z"] * df["y"]
                               - 2 * (1 - df["z"]) * df["y"])
    loose = ips_effect(df, treatment="z", outcome="y", propensity="p",
                       cap=0.01)
    exact = ips_effect(df, treatment="z", outcome="y", propensity="p")
    pd.testing.assert_series_equal(loose, exact)


def test_capping_allows_propensities_of_0_and_1():
    df = tiny().assign(p=[1.0, 0.0, 0.5, 0.0, 0.5, 1.0])
    got = ips_effect(df, treatment="z", outcome="y", propensity="p",
                     cap=0.1)
    np.testing.assert_allclose(got, [1 / 0.9, -1 / 0.9, 0, 0, 2, 1 / 0.9])


def test_capping_trades_bias_for_variance(shop):
    exact = ips_effect(shop, **LOGS)
    capped = ips_effect(shop, **LOGS, cap=0.1)
    assert capped.var() < 0.9 * exact.var()
    # Rarely recommended pairs have their Y(1) shrunk by P / cap < 1.
    rare = ((shop["propensity"] < 0.1) & (shop["recommended"] == 1)
            & (shop["purchased"] == 1))
    assert rare.any()
    assert (capped[rare] < exact[rare]).all()
    assert (capped[~rare & (shop["propensity"] >= 0.1)]
            == exact[~rare & (shop["propensity"] >= 0.1)]).all()


def test_ips_effect_is_unbiased_for_every_type():
    """Design-based: fix the potential outcomes, redraw the logging."""
    data, truth = catalogue(500, 20, rng=np.random.default_rng(7))
    po = truth.potential_outcomes
    p = data["propensity"].to_numpy()
    rng = np.random.default_rng(8)
    reps = 400
    for kind, effect in [("persuadable", 1), ("sure thing", 0),
                         ("sleeping dog", -1), ("lost cause", 0)]:
        rows = np.flatnonzero(po["type"] == kind)
        z = (rng.uniform(size=(reps, rows.size)) < p[rows]).astype(int)
        y = np.where(z == 1, po["y1"].to_numpy()[rows],
                     po["y0"].to_numpy()[rows])
        means = np.array([
            ips_effect(pd.DataFrame({"z": z[r], "y": y[r], "p": p[rows]}),
                       treatment="z", outcome="y", propensity="p").mean()
            for r in range(reps)
        ])
        se = means.std(ddof=1) / np.sqrt(reps)
        assert abs(means.mean() - effect) < 4 * se + 1e-12, kind


def test_ips_mean_is_unbiased_over_simulations():
    gaps = []
    for seed in range(200):
        data, truth = catalogue(100, 20, rng=np.random.default_rng(seed))
        gaps.append(ips_effect(data, **LOGS).mean() - truth.ate)
    gaps = np.array(gaps)
    assert abs(gaps.mean()) < 4 * gaps.std(ddof=1) / np.sqrt(len(gaps))


# --- in_top_k and precision_at_k --------------------------------------------

def test_in_top_k_by_hand():
    df = pd.DataFrame({"user": ["b", "a", "b", "a", "b", "c"],
                       "score": [1.0, 5.0, 3.0, 4.0, 2.0, -1.0]})
    got = in_top_k(df, user_id="user", score="score", k=2)
    assert got.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert got.name == "in_top_k"


def test_in_top_k_shares_ties_at_the_cut_off():
    df = pd.DataFrame({"user": [1] * 6,
                       "score": [9, 5, 5, 5, 1, 5]})
    got = in_top_k(df, user_id="user", score="score", k=3)
    # One item above, four tied for the remaining two places.
    np.testing.assert_allclose(got, [1, 0.5, 0.5, 0.5, 0, 0.5])
    assert got.sum() == pytest.approx(3)
    all_tied = in_top_k(df.assign(score=0), user_id="user", score="score",
                        k=4)
    np.testing.assert_allclose(all_tied, 4 / 6)


def test_in_top_k_short_lists_and_extreme_scores():
    df = pd.DataFrame({"user": [1, 1, 2],
                       "score": [np.inf, -np.inf, 0.0]})
    np.testing.assert_allclose(
        in_top_k(df, user_id="user", score="score", k=5), 1.0)
    np.testing.assert_allclose(
        in_top_k(df, user_id="user", score="score", k=1), [1, 0, 1])


def test_precision_at_k_by_hand():
    df = tiny()
    # User 1 lists items with y = 1, 1; user 2 with y = 0, 1.
    assert precision_at_k(df, user_id="user", score="score", outcome="y",
                          k=2) == pytest.approx(0.75)
    # A short list still divides by k.
    assert precision_at_k(df, user_id="user", score="score", outcome="y",
                          k=4) == pytest.approx((2 / 4 + 2 / 4) / 2)


def test_true_causal_precision_matches_a_direct_computation(shop):
    top = (shop.sort_values(["user_id", "uplift"], ascending=[True, False])
               .groupby("user_id").head(10))
    direct = top.groupby("user_id")["effect"].mean().mean()
    assert precision_at_k(shop, user_id="user_id", score="uplift",
                          outcome="effect") == pytest.approx(direct)


# --- causal_precision_at_k -----------------------------------------------

def test_causal_precision_by_hand():
    est = causal_precision_at_k(tiny(), user_id="user", score="score",
                                treatment="z", outcome="y", propensity="p",
                                k=2)
    per_user = np.array([(2 - 2) / 2, (0 + 2) / 2])
    assert isinstance(est, EffectEstimate)
    assert est.estimand == "causal precision@2"
    assert est.estimate == pytest.approx(per_user.mean())
    assert est.std_error == pytest.approx(per_user.std(ddof=1) / np.sqrt(2))
    assert (est.n, est.n_treated) == (2, 2)
    assert est.ci_low < est.estimate < est.ci_high
    capped = causal_precision_at_k(tiny(), user_id="user", score="score",
                                   treatment="z", outcome="y",
                                   propensity="p", k=3, cap=0.3)
    # Full lists: the mean of the capped per-pair estimates over k = 3.
    pairs = ips_effect(tiny(), treatment="z", outcome="y", propensity="p",
                       cap=0.3)
    assert capped.estimate == pytest.approx(pairs.sum() / (2 * 3))
    assert "capped at 0.3" in capped.method


@pytest.mark.parametrize("score", ["uplift", "p1", "p0", "random"])
def test_causal_precision_recovers_the_truth(shop, score):
    est = causal_precision_at_k(shop, user_id="user_id", score=score,
                                **LOGS)
    true = precision_at_k(shop, user_id="user_id", score=score,
                          outcome="effect")
    assert abs(est.estimate - true) < 4 * est.std_error
    assert est.n == 2_000
    assert 0 < est.n_treated < 2_000 * 10


def test_causal_precision_is_unbiased_and_covers_over_simulations():
    gaps, covered = [], 0
    for seed in range(200):
        data, truth = catalogue(200, 20, rng=np.random.default_rng(seed))
        df = with_truth(data, truth)
        est = causal_precision_at_k(df, user_id="user_id", score="p1",
                                    k=5, **LOGS)
        true = precision_at_k(df, user_id="user_id", score="p1",
                              outcome="effect", k=5)
        gaps.append(est.estimate - true)
        covered += est.covers(true)
    gaps = np.array(gaps)
    assert abs(gaps.mean()) < 4 * gaps.std(ddof=1) / np.sqrt(len(gaps))
    assert covered / 200 >= 0.9  # the SE is conservative


def test_ranking_by_uplift_beats_ranking_by_purchase_probability(shop):
    """The chapter's headline, in the truth and in the IPS estimates."""
    def true_cp(score):
        return precision_at_k(shop, user_id="user_id", score=score,
                              outcome="uplift")

    def est_cp(score):
        return causal_precision_at_k(shop, user_id="user_id", score=score,
                                     **LOGS)

    assert true_cp("uplift") > 1.5 * true_cp("random") > 0
    assert true_cp("random") > true_cp("p1") > true_cp("p0")
    assert true_cp("uplift") > 5 * true_cp("p0")
    best, worst = est_cp("uplift"), est_cp("p0")
    assert best.ci_low > worst.ci_high
    assert best.estimate > est_cp("p1").estimate > worst.estimate - 0.01
    # Accuracy says the opposite: purchases are highest on the p0 lists.
    def purchases(score):
        return precision_at_k(shop, user_id="user_id", score=score,
                              outcome="p1")

    assert purchases("p0") > 1.5 * purchases("uplift")


# --- uplift_at_n ------------------------------------------------------------

def test_uplift_at_n_by_hand():
    df = tiny()
    naive = uplift_at_n(df, user_id="user", score="score", treatment="z",
                        outcome="y", k=3)
    # User 1: treated y = 1, 0 vs control 1; user 2: 1, 1 vs 0.
    assert naive.estimate == pytest.approx(((0.5 - 1) + (1 - 0)) / 2)
    assert (naive.n, naive.n_treated) == (2, 4)
    snips = uplift_at_n(df, user_id="user", score="score", treatment="z",
                        outcome="y", propensity="p", k=3)
    # Weights 1/P among the treated; one control item each.
    user1 = (1 / 0.5) / (1 / 0.5 + 1 / 0.5) - 1
    user2 = 1.0 - 0.0
    assert snips.estimate == pytest.approx((user1 + user2) / 2)
    assert "SNIPS" in snips.method


def test_uplift_at_n_drops_users_without_both_arms():
    df = tiny().assign(z=[1, 1, 1, 0, 1, 1])
    est = uplift_at_n(df, user_id="user", score="score", treatment="z",
                      outcome="y", k=3)
    assert est.n == 1 and np.isnan(est.std_error)
    assert "1 user(s) without both arms dropped" in est.method
    with pytest.raises(ValueError, match="both recommended and not"):
        uplift_at_n(df, user_id="user", score="score", treatment="z",
                    outcome="y", k=1)


def test_uplift_at_n_agrees_with_the_truth_under_random_logging():
    data, truth = catalogue(rng=np.random.default_rng(3), targeting=0.0)
    df = with_truth(data, truth)
    for score in ("uplift", "p0"):
        true = precision_at_k(df, user_id="user_id", score=score,
                              outcome="effect")
        for propensity in (None, "propensity"):
            est = uplift_at_n(df, user_id="user_id", score=score,
                              treatment="recommended", outcome="purchased",
                              propensity=propensity)
            assert abs(est.estimate - true) < 4 * est.std_error


def test_uplift_at_n_is_biased_under_targeted_logging(shop):
    true = precision_at_k(shop, user_id="user_id", score="random",
                          outcome="effect")
    naive = uplift_at_n(shop, user_id="user_id", score="random",
                        treatment="recommended", outcome="purchased")
    ips = causal_precision_at_k(shop, user_id="user_id", score="random",
                                **LOGS)
    assert naive.estimate - true > 6 * naive.std_error
    assert abs(ips.estimate - true) < 4 * ips.std_error


# --- contract: errors, inputs, order -----------------------------------------

CALLS = {
    "ips_effect": lambda df, **kw: ips_effect(
        df, treatment="z", outcome="y", propensity="p", **kw),
    "causal_precision_at_k": lambda df, **kw: causal_precision_at_k(
        df, user_id="user", score="score", treatment="z", outcome="y",
        propensity="p", k=2, **kw),
    "uplift_at_n": lambda df, **kw: uplift_at_n(
        df, user_id="user", score="score", treatment="z", outcome="y",
        propensity="p", k=3, **kw),
}


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("column", ["z", "y", "p"])
def test_missing_column(name, column):
    with pytest.raises(ValueError, match=f"'{column}' not found"):
        CALLS[name](tiny().drop(columns=column))


@pytest.mark.parametrize("name", CALLS)
def test_bad_values(name):
    call = CALLS[name]
    with pytest.raises(ValueError, match="treatment column 'z' must be 0/1"):
        call(tiny().assign(z=[1, 0, 2, 0, 1, 1]))
    for column in ("y", "p"):
        df = tiny()
        df.loc[2, column] = np.nan
        with pytest.raises(ValueError, match=f"column '{column}' has 1 "
                                             "missing"):
            call(df)
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        call(tiny().assign(p=[0.5, 0.5, 1.5, 0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="weight 1/P is infinite"):
        call(tiny().assign(p=[0.0, 0.5, 0.5, 0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="weight 1/\\(1 - P\\) is infinite"):
        call(tiny().assign(p=[0.5, 1.0, 0.5, 0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="positivity fails"):
        call(tiny().assign(p=[0.5, 0.0, 0.5, 0.5, 0.5, 0.5]))
    with pytest.raises(TypeError, match="DataFrame"):
        call(tiny().to_dict())
    with pytest.raises(ValueError, match="no rows"):
        call(tiny().iloc[:0])


@pytest.mark.parametrize("name", ["ips_effect", "causal_precision_at_k"])
@pytest.mark.parametrize("cap", [0, -0.1, 0.6, np.nan, np.inf])
def test_bad_cap(name, cap):
    with pytest.raises(ValueError, match="cap must (be|lie in)"):
        CALLS[name](tiny(), cap=cap)


@pytest.mark.parametrize("name", ["ips_effect", "causal_precision_at_k"])
@pytest.mark.parametrize("cap", [True, "0.1"])
def test_cap_must_be_a_number(name, cap):
    with pytest.raises(TypeError, match="cap must be a number"):
        CALLS[name](tiny(), cap=cap)


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("column", ["y", "p"])
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_outcome_or_propensity(name, column, value):
    df = tiny().astype({column: float})
    df.loc[2, column] = value
    with pytest.raises(ValueError, match=f"column '{column}' holds infinite"):
        CALLS[name](df)


def test_infinite_outcome_without_propensity():
    df = tiny().astype({"y": float})
    df.loc[2, "y"] = np.inf
    with pytest.raises(ValueError, match="column 'y' holds infinite"):
        RANKERS["uplift_at_n"](df)


@pytest.mark.parametrize("name", CALLS)
def test_overflowing_ips_weights_are_refused(name):
    # 1e308 / 0.5 is not a float: refuse rather than return inf
    df = tiny().assign(y=[1e308, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="overflow"):
        CALLS[name](df)
    if name == "uplift_at_n":  # plain means: the sums overflow
        with pytest.raises(ValueError, match="overflow to infinity"):
            RANKERS[name](tiny().assign(y=[1e308, 0, 1e308, 0, 1, 1]))


@pytest.mark.parametrize("name", list(CALLS) + ["uplift_at_n (plain)"])
@pytest.mark.parametrize("z", [
    pd.Categorical([1, 0, 1, 0, 1, 1]),
    ["yes", "no", "yes", "no", "yes", "yes"],
])
def test_categorical_or_string_treatment_is_refused(name, z):
    call = CALLS.get(name, RANKERS["uplift_at_n"])
    with pytest.raises(ValueError, match=r"0/1 numbers or booleans.*recode"):
        call(tiny().assign(z=z))


def test_one_column_in_two_roles():
    with pytest.raises(ValueError, match="'y' is given as both outcome and "
                                         "propensity"):
        ips_effect(tiny(), treatment="z", outcome="y", propensity="y")
    with pytest.raises(ValueError, match="'z' is given as both treatment "
                                         "and outcome"):
        uplift_at_n(tiny(), user_id="user", score="score", treatment="z",
                    outcome="z")


RANKERS = {
    "in_top_k": lambda df, **kw: in_top_k(df, user_id="user",
                                          score="score", **kw),
    "precision_at_k": lambda df, **kw: precision_at_k(
        df, user_id="user", score="score", outcome="y", **kw),
    "causal_precision_at_k": lambda df, **kw: causal_precision_at_k(
        df, user_id="user", score="score", treatment="z", outcome="y",
        propensity="p", **kw),
    "uplift_at_n": lambda df, **kw: uplift_at_n(
        df, user_id="user", score="score", treatment="z", outcome="y",
        **kw),
}


@pytest.mark.parametrize("name", RANKERS)
def test_ranking_errors(name):
    call = RANKERS[name]
    for column in ("user", "score"):
        with pytest.raises(ValueError, match=f"'{column}' not found"):
            call(tiny().drop(columns=column))
    for bad in (0, -1):
        with pytest.raises(ValueError, match="k must be at least 1"):
            call(tiny(), k=bad)
    for bad in (2.5, True, "3", None):
        with pytest.raises(TypeError, match="k must be an integer"):
            call(tiny(), k=bad)
    df = tiny()
    df.loc[0, "score"] = np.nan
    with pytest.raises(ValueError, match="score column 'score' has 1"):
        call(df)
    df = tiny().astype({"user": "float"})
    df.loc[0, "user"] = np.nan
    with pytest.raises(ValueError, match="user_id column 'user' has 1"):
        call(df)
    with pytest.raises(ValueError, match="must be numeric"):
        call(tiny().assign(score=list("abcdef")))


def test_causal_precision_needs_two_users_and_a_valid_alpha():
    one = tiny().assign(user=1)
    with pytest.raises(ValueError, match="at least 2"):
        RANKERS["causal_precision_at_k"](one)
    for name in ("causal_precision_at_k", "uplift_at_n"):
        with pytest.raises(ValueError, match="alpha"):
            RANKERS[name](tiny(), alpha=1.5)


@pytest.mark.parametrize("name", RANKERS)
def test_huge_k_lists_every_item(name):
    # k beyond the longest list (3 items) lists everything: no overflow
    huge = RANKERS[name](tiny(), k=2**70)
    full = RANKERS[name](tiny(), k=3)
    if name == "in_top_k":
        assert huge.tolist() == [1.0] * 6
    elif name == "uplift_at_n":  # per-user means: k only picks the items
        assert huge.estimate == full.estimate
        assert huge.estimand == f"causal precision@{2**70}"
    else:  # averages per list position: divided by K
        value = huge if name == "precision_at_k" else huge.estimate
        reference = full if name == "precision_at_k" else full.estimate
        assert value == pytest.approx(reference * 3 / 2**70, rel=1e-12)


def test_infinite_scores_rank_first_and_last():
    df = tiny().assign(score=[np.inf, 2.0, -np.inf, -np.inf, 2.0, np.inf])
    assert in_top_k(df, user_id="user", score="score", k=1).tolist() == \
        [1, 0, 0, 0, 0, 1]
    # two items tied at -inf share the last of three places
    assert in_top_k(df, user_id="user", score="score", k=3).tolist() == \
        [1, 1, 1, 1, 1, 1]
    assert in_top_k(df, user_id="user", score="score",
                    k=2).tolist() == [1, 1, 0, 0, 1, 1]
    three = tiny().assign(user=1, score=[np.inf, 0, -np.inf, -np.inf,
                                         -np.inf, 1])
    assert in_top_k(three, user_id="user", score="score",
                    k=4).tolist() == [1, 1, 1 / 3, 1 / 3, 1 / 3, 1]


@pytest.mark.parametrize("name", RANKERS)
def test_input_is_not_modified(name):
    df = tiny()
    before = df.copy()
    RANKERS[name](df, k=2)
    pd.testing.assert_frame_equal(df, before)
    CALLS["ips_effect"](df, cap=0.3)
    pd.testing.assert_frame_equal(df, before)


@st.composite
def logs(draw):
    n_users = draw(st.integers(2, 6))
    n_items = draw(st.integers(1, 6))
    n = n_users * n_items
    ints = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    return pd.DataFrame({
        "user": np.repeat(np.arange(n_users), n_items),
        # Few distinct scores, so ties at the cut-off are common.
        "score": draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
        "z": draw(ints),
        "y": draw(ints),
        "p": draw(st.lists(st.floats(0.05, 0.95), min_size=n, max_size=n)),
    })


@settings(max_examples=60, deadline=None)
@given(df=logs(), k=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(df, k, seed):
    shuffled = df.sample(frac=1, random_state=seed)
    weights = in_top_k(df, user_id="user", score="score", k=k)
    pd.testing.assert_series_equal(
        in_top_k(shuffled, user_id="user", score="score", k=k),
        weights.loc[shuffled.index])
    a = RANKERS["causal_precision_at_k"](df, k=k)
    b = RANKERS["causal_precision_at_k"](shuffled, k=k)
    assert b.estimate == pytest.approx(a.estimate, abs=1e-12)
    assert b.std_error == pytest.approx(a.std_error, abs=1e-12)
    # Each user's list holds min(k, number of items) items in total.
    sizes = weights.groupby(df["user"]).sum()
    counts = df.groupby("user").size()
    np.testing.assert_allclose(sizes, np.minimum(k, counts))


@settings(max_examples=40, deadline=None)
@given(df=logs(), k=st.integers(1, 4), shift=st.floats(-5, 5))
def test_shifting_scores_or_outcomes(df, k, shift):
    moved = df.assign(score=df["score"] * 2 + shift)
    np.testing.assert_allclose(
        in_top_k(moved, user_id="user", score="score", k=k),
        in_top_k(df, user_id="user", score="score", k=k))
    # Scaling the outcome scales the estimate.
    a = RANKERS["causal_precision_at_k"](df, k=k)
    b = RANKERS["causal_precision_at_k"](df.assign(y=3 * df["y"]), k=k)
    assert b.estimate == pytest.approx(3 * a.estimate, abs=1e-9)
