"""Simulators: the truth is consistent with the potential outcomes drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_lib import simulate

SIMULATORS = {
    "targeted_recommendations": ("recommended", "purchased"),
    "ab_test": ("new_ranker", "spend"),
}


def draw(name, n=5_000, seed=0, **kw):
    return getattr(simulate, name)(n, rng=np.random.default_rng(seed), **kw)


@pytest.mark.parametrize("name", SIMULATORS)
def test_observed_outcome_is_the_assigned_potential_outcome(name):
    treatment, outcome = SIMULATORS[name]
    data, truth = draw(name)
    po = truth.potential_outcomes
    expected = np.where(data[treatment] == 1, po["y1"], po["y0"])
    np.testing.assert_allclose(data[outcome], expected)
    assert po.index.equals(data.index)


@pytest.mark.parametrize("name", SIMULATORS)
def test_truth_averages_the_individual_effects(name):
    treatment, _ = SIMULATORS[name]
    data, truth = draw(name)
    effect = truth.effects
    treated = data[treatment] == 1
    assert truth.ate == pytest.approx(effect.mean(), rel=1e-12)
    assert truth.att == pytest.approx(effect[treated].mean(), rel=1e-12)
    assert truth.atc == pytest.approx(effect[~treated].mean(), rel=1e-12)
    share = treated.mean()
    assert truth.ate == pytest.approx(
        share * truth.att + (1 - share) * truth.atc, rel=1e-12
    )


@pytest.mark.parametrize("name", SIMULATORS)
def test_same_seed_same_data(name):
    a, ta = draw(name, seed=3)
    b, tb = draw(name, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert ta.ate == tb.ate
    c, _ = draw(name, seed=4)
    assert not a.equals(c)


@pytest.mark.parametrize("name", SIMULATORS)
def test_rejects_bad_arguments(name):
    with pytest.raises(TypeError, match="numpy Generator"):
        getattr(simulate, name)(100, rng=42)
    with pytest.raises(ValueError, match="n must be an integer"):
        getattr(simulate, name)(1, rng=np.random.default_rng(0))


def test_targeting_creates_selection_into_exposure():
    data, truth = draw("targeted_recommendations", 50_000)
    rates = data.groupby("recommended")["purchased"].mean()
    assert 2.5 < rates[1] / rates[0] < 4.0  # "bought 3x more"
    assert rates[1] - rates[0] > 5 * truth.ate
    assert 0.01 < truth.ate < 0.03
    assert truth.att > truth.atc  # targeted users gain a bit more


def test_targeted_recommendations_effects_are_types():
    _, truth = draw("targeted_recommendations")
    assert set(np.unique(truth.effects)) <= {0, 1}


def test_random_exposure_has_no_selection():
    data, truth = draw("targeted_recommendations", 50_000, targeting=0.0)
    y0 = truth.potential_outcomes["y0"]
    by_arm = y0.groupby(data["recommended"]).mean()
    assert abs(by_arm[1] - by_arm[0]) < 0.015


def test_ab_test_population_effect():
    _, truth = draw("ab_test", 200_000, ate=2.0)
    assert truth.ate == pytest.approx(2.0, rel=0.02)


def test_ab_test_rejects_share():
    with pytest.raises(ValueError, match="share_treated"):
        simulate.ab_test(100, rng=np.random.default_rng(0), share_treated=1)
