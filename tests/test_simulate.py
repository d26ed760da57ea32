"""Simulators: the truth is consistent with the potential outcomes drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_lib import feedback, simulate

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


ALL = ["targeted_recommendations", "ab_test", "recommendation_logs",
       "partially_linear"]
#: A finite-number parameter of each simulator.
SCALARS = {"targeted_recommendations": ("lift", "targeting"),
           "ab_test": ("ate",), "recommendation_logs": ("confounding",),
           "partially_linear": ("effect",)}


@pytest.mark.parametrize("name", ALL)
def test_rejects_bad_arguments(name):
    simulator = getattr(simulate, name)
    for bad in ("42", 4.2, True, None):
        with pytest.raises(TypeError, match="rng must be a seed"):
            simulator(100, rng=bad)
    with pytest.raises(ValueError, match="n must be at least 2, got 1"):
        simulator(1, rng=0)
    for bad in (2.5, "many", 100.0):
        with pytest.raises(TypeError, match="n must be an integer"):
            simulator(bad, rng=0)
    for param in SCALARS[name]:
        with pytest.raises(ValueError, match=f"{param} must be finite"):
            simulator(100, rng=0, **{param: np.inf})
        with pytest.raises(TypeError, match=f"{param} must be a number"):
            simulator(100, rng=0, **{param: "big"})


@pytest.mark.parametrize("name", ALL)
def test_a_seed_is_the_generator_it_seeds(name):
    simulator = getattr(simulate, name)
    a, ta = simulator(300, rng=5)
    b, tb = simulator(300, rng=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta.potential_outcomes,
                                  tb.potential_outcomes)


def test_a_generator_is_used_not_copied():
    rng = np.random.default_rng(5)
    a, _ = simulate.ab_test(100, rng=rng)
    b, _ = simulate.ab_test(100, rng=rng)
    assert not a.equals(b)


def test_partially_linear_rejects_few_features():
    with pytest.raises(ValueError, match="n_features must be at least 3"):
        simulate.partially_linear(100, rng=0, n_features=2)
    with pytest.raises(TypeError, match="n_features must be an integer"):
        simulate.partially_linear(100, rng=0, n_features=3.0)


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
    for bad in (0, 1, -0.1, 1.5, np.nan, np.inf):
        with pytest.raises(ValueError,
                           match="share_treated must (lie|be finite)"):
            simulate.ab_test(100, rng=0, share_treated=bad)
    with pytest.raises(TypeError, match="share_treated must be a number"):
        simulate.ab_test(100, rng=0, share_treated="half")


# --- the random stream is pinned ---------------------------------------------
# The chapters print and assert numbers drawn from these simulators with a
# seeded Generator; a refactor must reproduce them exactly.

PINNED = {
    # name: (args, ate, att, {column: last value}, propensity of row 1)
    "targeted_recommendations": (
        (1000,), 0.017, 0.03313253012048193,
        {"visits": 17, "purchased": 1}, 0.7934298391654053),
    "ab_test": (
        (1000,), 0.50446, 0.4989041095890412,
        {"pre_spend": 34.63, "spend": 32.71}, 0.5),
    "recommendation_logs": (
        (1000,), 1.6688900000000002, 2.0586005830903793,
        {"engagement": 9.6, "spend": 33.78}, 0.5710655765487329),
    "partially_linear": (
        (200,), 1.0, 1.0,
        {"x0": 1.112052197957484, "minutes": 3.1064556905296636},
        0.49045425526044956),
    "catalogue": (
        (50, 10), 0.016, 0.0,
        {"affinity": -1.969, "propensity": 0.28907264777036473},
        0.43816437482778076),
    "described_items": (
        (1000,), 1.3912711950332213, 1.5019731134920746,
        {"price": 48.78, "sales": 17.707864020913224}, 0.6298066066996285),
}


@pytest.mark.parametrize("name", PINNED)
def test_seeded_draw_is_pinned(name):
    args, ate, att, last, propensity = PINNED[name]
    data, truth = getattr(simulate, name)(
        *args, rng=np.random.default_rng(2024))
    assert truth.ate == pytest.approx(ate, rel=1e-12, abs=1e-15)
    assert truth.att == pytest.approx(att, rel=1e-12, abs=1e-15)
    for column, value in last.items():
        assert data[column].iloc[-1] == pytest.approx(value, rel=1e-12)
    assert truth.propensity.iloc[1] == pytest.approx(propensity, rel=1e-12)


def test_seeded_catalogue_is_pinned():
    data, truth = simulate.catalogue(50, 10, rng=np.random.default_rng(2024))
    po = truth.potential_outcomes
    assert po["p0"].iloc[7] == pytest.approx(0.3455989215010121, rel=1e-12)
    assert po["p1"].iloc[7] == pytest.approx(0.3765171510412583, rel=1e-12)
    assert po["type"].value_counts().to_dict() == {
        "lost cause": 446, "sure thing": 44, "persuadable": 9,
        "sleeping dog": 1}
    assert int(data["recommended"].sum()) == 94
    assert int(data["purchased"].sum()) == 45
    assert int(data["user_activity"].sum()) == 2130
    assert data["item_popularity"].iloc[3] == pytest.approx(0.12)
    assert data["affinity"].sum() == pytest.approx(-1780.701, rel=1e-12)


# Bug: 2**70 rows reached numpy, which failed without naming n.
def test_too_many_rows_names_n():
    with pytest.raises(ValueError, match="n must be at most 1000000000"):
        simulate.ab_test(2**70, rng=0)


# --- policy_logs: logs of an exploring recommender (chapter 11) -------------

def test_policy_logs_columns_are_the_truth_s_policies():
    logs, truth = simulate.policy_logs(5_000, rng=0)
    assert list(logs.columns) == ["user_id", "taste", "item_id", "style",
                                  "click", "propensity", "target"]
    u, a = logs["user_id"].to_numpy(), logs["item_id"].to_numpy()
    np.testing.assert_array_equal(logs["propensity"], truth.logging[u, a])
    np.testing.assert_array_equal(logs["target"], truth.target[u, a])
    for policy in (truth.logging, truth.target):
        np.testing.assert_allclose(policy.sum(axis=1), 1.0, atol=1e-12)
    assert truth.value == truth.value_of(truth.target)
    assert truth.logging_value == truth.value_of(truth.logging)
    # Epsilon-greedy: one item at 1 - eps + eps/K, the others at eps/K.
    assert sorted(np.unique(truth.logging.round(12))) == [0.01, 0.81]
    assert set(logs["click"].unique()) <= {0, 1}


def test_policy_logs_clicks_have_the_truth_s_rates():
    logs, truth = simulate.policy_logs(200_000, rng=1)
    rate = truth.click_rate[logs["user_id"], logs["item_id"]]
    se = np.sqrt((rate * (1 - rate)).sum()) / len(logs)
    assert abs(logs["click"].mean() - rate.mean()) < 4 * se
    # On-policy: the mean click estimates the logging policy's value.
    se_mean = logs["click"].std() / np.sqrt(len(logs))
    assert abs(logs["click"].mean() - truth.logging_value) < 4 * se_mean
    # Visits are uniform over users, exploration has probability 0.2.
    explored = logs["propensity"] < 0.5
    share = 0.2 * 19 / 20
    assert abs(explored.mean() - share) < 4 * np.sqrt(share / len(logs))


def test_policy_logs_same_seed_same_shop():
    _, a = simulate.policy_logs(100, rng=3)
    logs_b, b = simulate.policy_logs(500, rng=3, epsilon=0.5, sharpness=1.0)
    np.testing.assert_array_equal(a.click_rate, b.click_rate)
    assert not np.array_equal(a.logging, b.logging)
    assert a.params["epsilon"] == 0.2 and b.params["epsilon"] == 0.5
    logs_c, _ = simulate.policy_logs(500, rng=np.random.default_rng(3),
                                     epsilon=0.5, sharpness=1.0)
    pd.testing.assert_frame_equal(logs_b, logs_c)
    _, d = simulate.policy_logs(100, rng=4)
    assert not np.array_equal(a.click_rate, d.click_rate)


def test_policy_logs_extremes_of_epsilon_and_sharpness():
    logs, truth = simulate.policy_logs(1_000, rng=5, epsilon=0.0,
                                       sharpness=0.0)
    assert (logs["propensity"] == 1.0).all()  # never explores
    np.testing.assert_allclose(truth.target, 1 / 20)  # uniform target
    assert truth.value == pytest.approx(truth.click_rate.mean(), rel=1e-12)
    _, uniform = simulate.policy_logs(10, rng=5, epsilon=1.0)
    np.testing.assert_allclose(uniform.logging, 1 / 20)


def test_policy_logs_additive_model_misses_only_the_interaction():
    # The docstring's claim: the click log-odds are exactly linear in the
    # item dummies, the item dummies times taste, and taste squared.
    logs, truth = simulate.policy_logs(5_000, rng=6, n_users=50,
                                       n_items=5)
    taste = logs.groupby("user_id")["taste"].first()
    assert taste.index.tolist() == list(range(50))  # all users visited
    q = truth.click_rate
    logit = np.log(q / (1 - q)).ravel()
    t, items = np.repeat(taste.to_numpy(), 5), np.tile(np.eye(5), (50, 1))
    right = np.column_stack([items, items * t[:, None], t**2])
    wrong = np.column_stack([items, t, t**2])
    for design, fits in [(right, True), (wrong, False)]:
        coef = np.linalg.lstsq(design, logit, rcond=None)[0]
        gap = np.abs(design @ coef - logit).max()
        assert (gap < 1e-9) if fits else (gap > 1)


def test_policy_truth_value_of_checks_the_policy():
    _, truth = simulate.policy_logs(10, rng=0)
    with pytest.raises(ValueError, match=r"shape \(1000, 20\)"):
        truth.value_of(np.full((10, 20), 0.05))
    with pytest.raises(ValueError, match="row 3 sums to 2"):
        bad = np.full((1000, 20), 0.05)
        bad[3] *= 2
        truth.value_of(bad)
    with pytest.raises(ValueError, match="outside"):
        truth.value_of(np.full((1000, 20), -0.05))
    with pytest.raises(ValueError, match="missing"):
        truth.value_of(np.full((1000, 20), np.nan))
    # A point mass on each user's best item gives the best possible value.
    best = np.eye(20)[truth.click_rate.argmax(axis=1)]
    assert truth.value_of(best) == pytest.approx(
        truth.click_rate.max(axis=1).mean(), rel=1e-12)
    with pytest.raises(ValueError, match="read-only"):
        truth.click_rate[0, 0] = 1.0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n": 1}, ValueError, "n must be at least 2"),
    ({"n_users": 1}, ValueError, "n_users must be at least 2"),
    ({"n_items": 1}, ValueError, "n_items must be at least 2"),
    ({"n_items": 2.0}, TypeError, "n_items must be an integer"),
    ({"epsilon": 1.5}, ValueError, r"epsilon must lie in \[0, 1\]"),
    ({"epsilon": np.nan}, ValueError, "epsilon must be finite"),
    ({"sharpness": -1.0}, ValueError, "sharpness must be at least 0"),
    ({"sharpness": np.inf}, ValueError, "sharpness must be finite"),
    ({"sharpness": "high"}, TypeError, "sharpness must be a number"),
    ({"rng": None}, TypeError, "rng must be a seed"),
])
def test_policy_logs_rejects_bad_arguments(kwargs, error, match):
    kwargs = {"n": 10, "rng": 0, **kwargs}
    with pytest.raises(error, match=match):
        simulate.policy_logs(**kwargs)


PINNED_POLICY = {"value": 0.08156314395358391,
                 "logging": 0.05425474449286497, "clicks": 58,
                 "last_user": 879, "last_item": 13}


def test_seeded_policy_logs_is_pinned():
    logs, truth = simulate.policy_logs(1_000, rng=np.random.default_rng(2024))
    assert truth.value == pytest.approx(PINNED_POLICY["value"], rel=1e-12)
    assert truth.logging_value == pytest.approx(PINNED_POLICY["logging"],
                                                rel=1e-12)
    assert int(logs["click"].sum()) == PINNED_POLICY["clicks"]
    assert logs["user_id"].iloc[-1] == PINNED_POLICY["last_user"]
    assert logs["item_id"].iloc[-1] == PINNED_POLICY["last_item"]


# --- chapter 14: feedback_loop and described_items ---------------------------

def test_feedback_loop_logs_every_grid_and_its_propensity():
    logs, truth = simulate.feedback_loop(200, 50, rng=3, n_rounds=4, k=5,
                                         exploration=0.2)
    p = truth.click_probability
    assert p.shape == (200, 50)
    assert logs.groupby(["round", "user_id"]).size().eq(5).all()
    assert not logs.duplicated(["round", "user_id", "item_id"]).any()
    new = truth.items["new_provider"].to_numpy()
    launch = logs[logs["round"] == 0]
    assert not new[launch["item_id"]].any()  # new providers came later
    assert np.allclose(launch["propensity"], 5 / (~new).sum())
    later = logs[logs["round"] > 0]
    random_share = 0.2 * 5 / 50
    # A shown item is in the model's top k (probability 0.8 + 0.02) or was
    # drawn for a user of the randomised slice (0.02).
    assert set(np.round(later["propensity"], 12)) <= {
        round(random_share, 12), round(0.8 + random_share, 12)}
    greedy = later[later["explore"] == 0]
    assert np.allclose(greedy["propensity"], 0.8 + random_share)
    assert truth.items["merit"].to_numpy() == pytest.approx(p.mean(axis=0))
    assert truth.user_features.shape == (200, 3)


def test_feedback_loop_without_exploration_is_deterministic_top_k():
    logs, _ = simulate.feedback_loop(100, 30, rng=1, n_rounds=3, k=3)
    later = logs[logs["round"] > 0]
    assert (later["propensity"] == 1).all() and (later["explore"] == 0).all()


def test_feedback_loop_clicks_follow_the_probabilities():
    logs, truth = simulate.feedback_loop(2_000, 40, rng=5, n_rounds=5,
                                         exploration=0.5)
    p = truth.click_probability[logs["user_id"], logs["item_id"]]
    se = np.sqrt((p * (1 - p)).sum()) / len(p)
    assert abs(logs["click"].mean() - p.mean()) < 4 * se


def test_feedback_loop_click_model_is_the_documented_one():
    # logit p_ui = -3 + b_i + x_u' phi_i, b_i ~ N(0, 0.3^2) and
    # phi_i ~ N(0, 0.6^2 I): for each item the logit is exactly linear in
    # the user's features, with those intercepts and slopes.
    _, truth = simulate.feedback_loop(2_000, 300, rng=11, n_rounds=0)
    p = truth.click_probability
    z = np.column_stack([np.ones(len(p)), truth.user_features.to_numpy()])
    logit = np.log(p / (1 - p))
    coef, *_ = np.linalg.lstsq(z, logit, rcond=None)
    np.testing.assert_allclose(z @ coef, logit, atol=1e-8)
    quality, profile = coef[0] + 3.0, coef[1:].ravel()
    assert abs(quality.mean()) < 4 * 0.3 / np.sqrt(len(quality))
    assert abs(quality.std() - 0.3) < 4 * 0.3 / np.sqrt(2 * len(quality))
    assert abs(profile.std() - 0.6) < 4 * 0.6 / np.sqrt(2 * len(profile))


def test_feedback_loop_is_reproducible_and_checked():
    a, ta = simulate.feedback_loop(50, 20, rng=7, n_rounds=2, k=2)
    b, tb = simulate.feedback_loop(50, 20, rng=np.random.default_rng(7),
                                   n_rounds=2, k=2)
    pd.testing.assert_frame_equal(a, b)
    np.testing.assert_array_equal(ta.click_probability,
                                  tb.click_probability)
    with pytest.raises(ValueError, match="k must be between 1 and 19"):
        simulate.feedback_loop(50, 20, rng=0, k=20)
    with pytest.raises(ValueError,
                       match=r"exploration must lie in \[0, 1\)"):
        simulate.feedback_loop(50, 20, rng=0, exploration=1.0)
    with pytest.raises(ValueError, match="fewer than k = 5: lower new_share"):
        simulate.feedback_loop(50, 20, rng=0, new_share=0.8, n_providers=5)
    with pytest.raises(TypeError, match="rng must be a seed"):
        simulate.feedback_loop(50, 20, rng=None)


def _loop_measures(seed):
    """Chapter 14's comparison for one draw of the shop: the slice's gain
    in clicks per grid over the last five weeks, and the pure loop's last
    week against the users' true top five."""
    pure, truth = simulate.feedback_loop(rng=seed)
    sliced, _ = simulate.feedback_loop(rng=seed, exploration=0.05)
    p, new = truth.click_probability, truth.items["new_provider"].to_numpy()
    n_users, n_items = p.shape

    def clicks_per_grid(logs):
        late = logs[logs["round"] > 25]
        return p[late["user_id"], late["item_id"]].sum() / n_users / 5

    def exposure(items):
        return np.bincount(items, minlength=n_items)

    grids = pure.loc[pure["round"] == 30, "item_id"].to_numpy()
    top_five = np.argsort(-p, axis=1)[:, :5]
    last, ideal = exposure(grids), exposure(top_five.ravel())
    sliced_late = exposure(sliced.loc[sliced["round"] > 20, "item_id"])
    return {"gain": clicks_per_grid(sliced) - clicks_per_grid(pure),
            "gini_excess": feedback.gini_coefficient(last)
            - feedback.gini_coefficient(ideal),
            "cover_gap": (last > 0).mean() - (ideal > 0).mean(),
            "new_pure": exposure(pure["item_id"])[new].sum(),
            "new_sliced": sliced_late[new].sum(),
            "jaccard_excess": feedback.mean_jaccard(
                grids.reshape(n_users, 5), n_items)
            - feedback.mean_jaccard(top_five, n_items)}


@pytest.mark.slow
def test_feedback_loop_claims_hold_over_draws_of_the_shop():
    """Chapter 14 reads one draw of the shop; these are its claims over
    twenty draws. The pure loop never shows a new provider's item and
    ends more concentrated and narrower than the users' true top fives,
    its users' grids overlapping more (mean Jaccard similarity); the
    slice gives new providers exposure, and its users gain clicks on
    average (by more than 4 SE across draws; the size varies)."""
    draws = pd.DataFrame([_loop_measures(seed) for seed in range(20)])
    assert (draws["new_pure"] == 0).all()
    assert (draws["new_sliced"] > 0).all()
    assert (draws["gini_excess"] > 0).all()
    assert (draws["cover_gap"] < 0).all()
    assert (draws["jaccard_excess"] > 0).all()
    gain = draws["gain"]
    assert gain.mean() > 4 * gain.std(ddof=1) / np.sqrt(len(gain))


def test_described_items_truth_and_text():
    data, truth = draw("described_items", 2_000)
    po = truth.potential_outcomes
    shares = po[["outdoor", "kitchen", "kids", "premium"]]
    assert shares.sum(axis=1).to_numpy() == pytest.approx(1.0)
    np.testing.assert_allclose(truth.effects, 1.0 + 1.5 * po["kids"])
    np.testing.assert_allclose(
        data["sales"], np.where(data["featured"] == 1, po["y1"], po["y0"]))
    words = set(" ".join(data["description"]).split())
    assert words <= {w for ws in simulate.VOCABULARY.values() for w in ws}
    logit = np.log(truth.propensity / (1 - truth.propensity))
    np.testing.assert_allclose(
        logit, -1.5 + 2.5 * po["premium"] + 2 * po["kids"] - po["kitchen"])
    # The editors' choice is confounded: featured items sell more anyway.
    y0 = po["y0"].groupby(data["featured"]).mean()
    assert y0[1] - y0[0] > 1.0


def test_described_items_arguments_checked():
    with pytest.raises(ValueError, match="effect must be finite"):
        simulate.described_items(100, rng=0, effect=np.nan)
    with pytest.raises(ValueError, match="n must be at least 2"):
        simulate.described_items(1, rng=0)


def test_seeded_feedback_loop_is_pinned():
    logs, truth = simulate.feedback_loop(
        100, 40, rng=np.random.default_rng(2024), n_rounds=3, k=4,
        exploration=0.25)
    assert int(logs["click"].sum()) == 156
    assert logs["propensity"].sum() == pytest.approx(763.6428571428573,
                                                     rel=1e-12)
    assert truth.click_probability[3, 7] == pytest.approx(
        0.017104138225133365, rel=1e-12)
    assert logs["item_id"].iloc[-5:].tolist() == [22, 1, 23, 34, 14]
    assert int(truth.items["new_provider"].sum()) == 12
