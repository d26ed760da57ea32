"""The biased-feedback simulators: logs consistent with the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_lib.simulate import (
    CLICK_COEFFICIENTS, RATING_SHARES, click_logs, mnar_ratings)


@pytest.fixture(scope="module")
def ratings():
    return mnar_ratings(400, 80, rng=0)


@pytest.fixture(scope="module")
def clicks():
    return click_logs(4_000, rng=0)


def test_ratings_layout(ratings):
    data, truth = ratings
    assert list(data.columns) == ["user_id", "item_id", "item_views",
                                  "rated", "surveyed", "rating"]
    assert len(data) == 400 * 80
    assert not data[["user_id", "item_id"]].duplicated().any()
    assert (data.groupby("item_id")["item_views"].nunique() == 1).all()
    assert list(truth.pairs.columns) == ["rating", "propensity"]
    assert truth.pairs.index.equals(data.index)
    assert truth.examination is None and truth.catalogue is None
    assert truth.params["selection"] == 0.8


def test_ratings_agree_with_the_truth(ratings):
    data, truth = ratings
    known = (data["rated"] == 1) | (data["surveyed"] == 1)
    assert data["rating"].notna().equals(known)
    np.testing.assert_array_equal(data.loc[known, "rating"],
                                  truth.pairs.loc[known, "rating"])
    shares = truth.pairs["rating"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(shares, RATING_SHARES, atol=1e-3)


def test_ratings_propensities(ratings):
    data, truth = ratings
    p = truth.pairs["propensity"]
    assert p.mean() == pytest.approx(0.05, rel=1e-9)
    # The observed share is a sum of independent Bernoulli(p) draws.
    se = np.sqrt((p * (1 - p)).sum()) / len(p)
    assert abs(data["rated"].mean() - p.mean()) < 4 * se
    # Self-selection: the propensity rises with the rating.
    by_rating = p.groupby(truth.pairs["rating"]).mean()
    assert by_rating.is_monotonic_increasing


def test_survey_is_a_fixed_number_of_random_items(ratings):
    data, _ = ratings
    assert (data.groupby("user_id")["surveyed"].sum() == 5).all()
    none, _ = mnar_ratings(50, 20, rng=1, survey_size=0)
    assert none["surveyed"].sum() == 0


def test_ratings_without_selection_are_missing_at_random():
    _, truth = mnar_ratings(200, 50, rng=2, selection=0.0, exposure=0.0)
    assert np.allclose(truth.pairs["propensity"], 0.05)


def test_clicks_layout(clicks):
    data, truth = clicks
    assert list(data.columns) == [
        "session_id", "user_id", "item_id", "position", "match", "quality",
        "popularity", "swap_with", "click"]
    assert len(data) == 4_000 * 5
    sessions = data.groupby("session_id")
    assert sessions["position"].apply(
        lambda k: list(k) == [1, 2, 3, 4, 5]).all()
    assert (sessions["item_id"].nunique() == 5).all()
    assert set(data["click"].unique()) <= {0, 1}
    for col in ("match", "quality", "popularity"):
        assert data[col].between(0, 1).all()
    assert truth.pairs.index.equals(data.index)
    assert list(truth.examination.index) == [1, 2, 3, 4, 5]
    assert len(truth.catalogue) == 500 * 30


def test_relevance_is_the_linear_model(clicks):
    data, truth = clicks
    c = truth.params["coefficients"]
    assert c == {**CLICK_COEFFICIENTS, "popularity": 0.15}
    interest = (c["intercept"] + c["match"] * data["match"]
                + c["quality"] * data["quality"])
    np.testing.assert_allclose(truth.pairs["interest"], interest)
    np.testing.assert_allclose(truth.pairs["relevance"],
                               interest + 0.15 * data["popularity"])
    np.testing.assert_allclose(truth.pairs["examination"],
                               1 / data["position"])
    # Each row's truth is its pair's entry in the catalogue.
    merged = data.merge(truth.catalogue, on=["user_id", "item_id"],
                        suffixes=("", "_cat"))
    np.testing.assert_allclose(merged["match"], merged["match_cat"])


def test_clicks_follow_the_position_based_model(clicks):
    data, truth = clicks
    p = truth.pairs["examination"] * truth.pairs["relevance"]
    se = np.sqrt((p * (1 - p)).sum()) / len(p)
    assert abs(data["click"].mean() - p.mean()) < 4 * se


def test_swap_sessions(clicks):
    data, _ = clicks
    swap = data.groupby("session_id")["swap_with"].first()
    assert swap.isin([0, 2, 3, 4, 5]).all()
    share = (swap > 0).mean()
    assert abs(share - 0.2) < 4 * np.sqrt(0.2 * 0.8 / len(swap))
    none, _ = click_logs(500, rng=1, swap_share=0.0)
    assert (none["swap_with"] == 0).all()


def test_same_seed_same_logs():
    a, ta = click_logs(300, rng=9)
    b, tb = click_logs(300, rng=np.random.default_rng(9))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta.pairs, tb.pairs)
    c, _ = mnar_ratings(30, 10, rng=9)
    d, _ = mnar_ratings(30, 10, rng=9)
    pd.testing.assert_frame_equal(c, d)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"rng": None}, TypeError, "rng must be a seed"),
    ({"rng": 0, "selection": np.inf}, ValueError, "selection must be finite"),
    ({"rng": 0, "observed_share": 1.0}, ValueError, "observed_share"),
    ({"rng": 0, "survey_size": 11}, ValueError, "survey_size must be"),
    ({"rng": 0, "exposure": "high"}, TypeError, "exposure must be a number"),
])
def test_ratings_reject_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        mnar_ratings(20, 10, **kwargs)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"rng": None}, TypeError, "rng must be a seed"),
    ({"rng": 0, "list_length": 1}, ValueError, "list_length must be"),
    ({"rng": 0, "list_length": 31}, ValueError, "list_length must be"),
    ({"rng": 0, "conformity": 0.5}, ValueError, "conformity must lie"),
    ({"rng": 0, "swap_share": 1.5}, ValueError, "swap_share must lie"),
    ({"rng": 0, "examination_decay": -1.0}, ValueError, "non-negative"),
    ({"rng": 0, "popularity_boost": np.nan}, ValueError, "must be finite"),
])
def test_clicks_reject_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        click_logs(100, **kwargs)
