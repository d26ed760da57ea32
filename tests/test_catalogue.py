"""The catalogue simulator: truth consistent with the potential outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_lib.simulate import TYPES, catalogue

COLUMNS = ["user_id", "item_id", "user_activity", "item_popularity",
           "affinity", "propensity", "recommended", "purchased"]


def draw(n_users=2_000, n_items=50, seed=0, **kw):
    return catalogue(n_users, n_items, rng=np.random.default_rng(seed), **kw)


@pytest.fixture(scope="module")
def default():
    return draw()


def test_layout(default):
    data, truth = default
    assert list(data.columns) == COLUMNS
    assert len(data) == 2_000 * 50
    pairs = data[["user_id", "item_id"]]
    assert not pairs.duplicated().any()
    assert data["user_id"].nunique() == 2_000
    assert data["item_id"].nunique() == 50
    # User and item features are constant within user and within item.
    assert (data.groupby("user_id")["user_activity"].nunique() == 1).all()
    assert (data.groupby("item_id")["item_popularity"].nunique() == 1).all()
    assert (data["user_activity"] >= 0).all()
    assert data["item_popularity"].between(0, 1).all()
    assert set(data["recommended"].unique()) <= {0, 1}
    assert set(data["purchased"].unique()) <= {0, 1}
    po = truth.potential_outcomes
    assert list(po.columns) == ["y0", "y1", "p0", "p1", "type"]
    assert po.index.equals(data.index)
    assert list(po["type"].cat.categories) == list(TYPES)
    assert truth.params == {"n_users": 2_000, "n_items": 50,
                            "targeting": 1.5, "persuasion": 0.6,
                            "reactance": 0.15}


def test_observed_outcome_is_the_assigned_potential_outcome(default):
    data, truth = default
    po = truth.potential_outcomes
    expected = np.where(data["recommended"] == 1, po["y1"], po["y0"])
    np.testing.assert_array_equal(data["purchased"], expected)


def test_truth_averages_the_individual_effects(default):
    data, truth = default
    po = truth.potential_outcomes
    effect = po["y1"] - po["y0"]
    treated = data["recommended"] == 1
    pd.testing.assert_series_equal(truth.effects, effect.rename("effect"))
    assert truth.ate == pytest.approx(effect.mean(), rel=1e-12)
    assert truth.att == pytest.approx(effect[treated].mean(), rel=1e-12)
    assert truth.atc == pytest.approx(effect[~treated].mean(), rel=1e-12)


def test_types_follow_the_potential_outcomes(default):
    _, truth = default
    po = truth.potential_outcomes
    expected = {(0, 1): "persuadable", (1, 1): "sure thing",
                (0, 0): "lost cause", (1, 0): "sleeping dog"}
    for (y0, y1), kind in expected.items():
        cell = (po["y0"] == y0) & (po["y1"] == y1)
        assert cell.any(), kind
        assert (po.loc[cell, "type"] == kind).all(), kind


def test_coupling_one_uniform_per_pair(default):
    _, truth = default
    po = truth.potential_outcomes
    assert po["p0"].between(0, 1).all() and po["p1"].between(0, 1).all()
    # With Y(z) = 1{V < p_z}, a pair whose effect is positive in
    # probability is never a sleeping dog, and vice versa.
    up = po["p1"] >= po["p0"]
    assert not (po.loc[up, "type"] == "sleeping dog").any()
    assert not (po.loc[~up, "type"] == "persuadable").any()
    # Outcomes are ordered like the probabilities.
    assert (po.loc[up, "y1"] >= po.loc[up, "y0"]).all()
    assert (po.loc[~up, "y1"] <= po.loc[~up, "y0"]).all()


def test_type_shares_match_the_probabilities(default):
    _, truth = default
    po = truth.potential_outcomes
    tau = po["p1"] - po["p0"]
    expected = {
        "persuadable": tau.clip(lower=0),
        "sleeping dog": (-tau).clip(lower=0),
        "sure thing": np.minimum(po["p0"], po["p1"]),
    }
    for kind, prob in expected.items():
        share = (po["type"] == kind).mean()
        se = np.sqrt(prob.mean() / len(po))
        assert abs(share - prob.mean()) < 4 * se, kind
    assert truth.ate == pytest.approx(tau.mean(), abs=4 * tau.std()
                                      / np.sqrt(len(po)) + 0.002)


def test_default_shares_are_plausible(default):
    _, truth = default
    shares = truth.potential_outcomes["type"].value_counts(normalize=True)
    assert 0.02 < shares["persuadable"] < 0.06
    assert 0.002 < shares["sleeping dog"] < 0.01
    assert 0.05 < shares["sure thing"] < 0.10
    assert 0.02 < truth.ate < 0.05


def test_relevance_is_not_uplift(default):
    _, truth = default
    po = truth.potential_outcomes
    uplift = po["p1"] - po["p0"]
    by_p0 = po["p0"] >= po["p0"].quantile(0.9)
    by_uplift = uplift >= uplift.quantile(0.9)
    # The most relevant pairs gain less than the average pair, far less
    # than the pairs with the largest uplift ...
    assert uplift[by_p0].mean() < uplift.mean() < uplift[by_uplift].mean()
    assert uplift[by_uplift].mean() > 5 * max(uplift[by_p0].mean(), 0.01)
    # ... because they would mostly be bought anyway: sure things
    # outnumber persuadables there, and most sleeping dogs are there.
    types = po.loc[by_p0, "type"].value_counts()
    assert types["sure thing"] > 5 * types["persuadable"]
    dogs = po["type"] == "sleeping dog"
    assert (dogs & by_p0).sum() > 0.5 * dogs.sum()
    assert po.loc[by_uplift, "p0"].mean() < po.loc[by_p0, "p0"].mean() / 3


def test_affinity_is_a_noisy_proxy_of_relevance(default):
    data, truth = default
    logit_p0 = np.log(truth.potential_outcomes["p0"]
                      / (1 - truth.potential_outcomes["p0"]))
    noise = data["affinity"] - logit_p0
    assert abs(noise.mean()) < 0.01
    assert noise.std() == pytest.approx(0.5, rel=0.02)


def test_propensity_is_bounded_known_and_targets_relevance(default):
    data, truth = default
    p = data["propensity"]
    assert p.min() > 0.02 and p.max() < 0.9
    np.testing.assert_array_equal(p, truth.propensity)
    # The old recommender favours relevant items: propensity is an
    # increasing function of affinity.
    order = np.argsort(data["affinity"].to_numpy(), kind="stable")
    assert (np.diff(p.to_numpy()[order]) >= 0).all()
    assert p.corr(truth.potential_outcomes["p0"], method="spearman") > 0.8
    # Recommendations follow the logged probabilities.
    bins = pd.cut(p, [0, 0.05, 0.2, 0.5, 0.9])
    rate = data.groupby(bins, observed=True)["recommended"].mean()
    mean_p = p.groupby(bins, observed=True).mean()
    assert np.allclose(rate, mean_p, atol=0.02)


def test_random_logging_without_targeting():
    data, truth = draw(targeting=0.0)
    assert data["propensity"].nunique() == 1
    assert data["propensity"].iloc[0] == pytest.approx(0.1449, abs=1e-4)
    y0 = truth.potential_outcomes["y0"]
    by_arm = y0.groupby(data["recommended"]).mean()
    assert abs(by_arm[1] - by_arm[0]) < 0.01
    naive = data.groupby("recommended")["purchased"].mean().diff().iloc[-1]
    assert abs(naive - truth.ate) < 0.01


def test_targeting_biases_the_naive_comparison(default):
    data, truth = default
    rates = data.groupby("recommended")["purchased"].mean()
    assert rates[1] - rates[0] > 3 * truth.ate


def test_parameters_move_the_types():
    _, calm = draw(500, 50, reactance=0.0)
    _, annoyed = draw(500, 50, reactance=0.5)
    assert (calm.potential_outcomes["type"] == "sleeping dog").sum() == 0
    assert annoyed.ate < calm.ate
    _, keen = draw(500, 50, persuasion=0.9)
    assert keen.ate > calm.ate


def test_same_seed_same_data():
    a, ta = draw(300, 20, seed=3)
    b, tb = draw(300, 20, seed=3)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta.potential_outcomes,
                                  tb.potential_outcomes)
    c, _ = draw(300, 20, seed=4)
    assert not a.equals(c)


def test_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    for bad in ("42", 1.5, None):
        with pytest.raises(TypeError, match="rng must be a seed"):
            catalogue(100, 10, rng=bad)
    for bad in (1, 0, -3):
        with pytest.raises(ValueError, match="n_users must be at least 2"):
            catalogue(bad, 10, rng=rng)
        with pytest.raises(ValueError, match="n_items must be at least 2"):
            catalogue(10, bad, rng=rng)
    for bad in (2.5, "many"):
        with pytest.raises(TypeError, match="n_users must be an integer"):
            catalogue(bad, 10, rng=rng)
        with pytest.raises(TypeError, match="n_items must be an integer"):
            catalogue(10, bad, rng=rng)
    for bad in (0, 1, -0.2, 1.5, np.nan):
        with pytest.raises(ValueError,
                           match="persuasion must (lie|be finite)"):
            catalogue(10, 10, rng=rng, persuasion=bad)
    for bad in (-0.1, 0.51):
        with pytest.raises(ValueError, match="reactance must lie"):
            catalogue(10, 10, rng=rng, reactance=bad)
    with pytest.raises(ValueError, match="reactance must be finite"):
        catalogue(10, 10, rng=rng, reactance=np.nan)
    with pytest.raises(ValueError, match="targeting must be finite"):
        catalogue(10, 10, rng=rng, targeting=np.nan)
    for name in ("persuasion", "reactance", "targeting"):
        with pytest.raises(TypeError, match=f"{name} must be a number"):
            catalogue(10, 10, rng=rng, **{name: "high"})


def test_a_seed_is_the_generator_it_seeds():
    a, ta = catalogue(60, 10, rng=11)
    b, tb = draw(60, 10, seed=11)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta.potential_outcomes,
                                  tb.potential_outcomes)
