"""Real data sets ship inside installed packages, match published numbers."""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest

from causal_lib.datasets import (
    load_nsw,
    load_open_bandit,
    load_open_bandit_prior,
)


def test_nsw_experimental_sample_and_benchmark():
    nsw = load_nsw()
    assert nsw.shape == (445, 10)
    assert nsw["treat"].value_counts().to_dict() == {0: 260, 1: 185}
    means = nsw.groupby("treat")["re78"].mean()
    # Dehejia and Wahba (1999), Table 3: experimental estimate $1,794.
    assert means[1] - means[0] == pytest.approx(1794, abs=1)
    assert not nsw.isna().any().any()


def test_nsw_cps_controls():
    cps = load_nsw("cps")
    assert cps["treat"].value_counts().to_dict() == {0: 15_992, 1: 185}
    assert list(cps.columns) == list(load_nsw().columns)


def test_fresh_copy_each_call():
    a = load_nsw()
    a.loc[0, "re78"] = -1.0
    assert load_nsw().loc[0, "re78"] != -1.0


def test_bad_controls():
    with pytest.raises(ValueError, match="controls must be"):
        load_nsw("psid")


# --- Open Bandit Dataset -----------------------------------------------------

# Known answers computed once from the original CSVs in the obp 0.4.1 wheel
# (obp-0.4.1-py3-none-any.whl, obp/dataset/obd/<policy>/<campaign>/
# <campaign>.csv, read with pandas): (columns, clicks, sum of
# propensity_score, items). Every file has 10,000 rows.
OBD = {
    ("random", "all"): (89, 38, 125.0, 80),
    ("random", "men"): (43, 46, 294.117647, 34),
    ("random", "women"): (55, 46, 217.391304, 46),
    ("bts", "all"): (89, 42, 1088.65014, 80),
    ("bts", "men"): (43, 69, 1635.944032, 34),
    ("bts", "women"): (55, 46, 1355.041783, 46),
}


@pytest.mark.parametrize(("policy", "campaign"), list(OBD))
def test_open_bandit_matches_the_source(policy, campaign):
    n_columns, clicks, propensity_sum, n_items = OBD[policy, campaign]
    logs, items = load_open_bandit(policy, campaign)
    assert logs.shape == (10_000, n_columns)
    assert int(logs["click"].sum()) == clicks
    assert logs["propensity_score"].sum() == pytest.approx(
        propensity_sum, abs=1e-6)
    assert items.shape == (n_items, 5)
    assert list(items.columns) == ["item_id"] + [
        f"item_feature_{k}" for k in range(4)]
    assert items["item_id"].tolist() == list(range(n_items))
    affinities = [f"user-item_affinity_{k}" for k in range(n_items)]
    assert list(logs.columns) == [
        "timestamp", "item_id", "position", "click", "propensity_score",
        *(f"user_feature_{k}" for k in range(4)), *affinities]
    assert logs["item_id"].between(0, n_items - 1).all()
    assert set(logs["position"]) == {1, 2, 3}
    assert set(logs["click"]) == {0, 1}
    assert logs["propensity_score"].between(0, 1,
                                            inclusive="right").all()
    assert logs["timestamp"].is_monotonic_increasing
    assert str(logs["timestamp"].dt.tz) == "UTC"
    assert not logs.isna().any().any()
    if policy == "random":
        assert (logs["propensity_score"] == 1 / n_items).all()


def test_open_bandit_string_features_and_fresh_copies():
    logs, items = load_open_bandit()
    assert pd.api.types.is_string_dtype(logs["user_feature_0"])
    assert pd.api.types.is_string_dtype(items["item_feature_1"])
    assert pd.api.types.is_float_dtype(items["item_feature_0"])
    logs.loc[0, "click"] = 7
    items.loc[0, "item_feature_0"] = -99.0
    again = load_open_bandit()
    assert again.logs.loc[0, "click"] != 7
    assert again.item_context.loc[0, "item_feature_0"] != -99.0


def test_open_bandit_is_a_named_pair():
    data = load_open_bandit("bts", "men")
    assert data._fields == ("logs", "item_context")
    assert data.logs is data[0] and data.item_context is data[1]


# Known answers from obp 0.4.1's obp/policy/conf/prior_bts.yaml:
# (items, sum of alpha, sum of beta).
PRIOR = {"all": (80, 6758.0, 1586310.0), "men": (34, 1557.0, 408523.0),
         "women": (46, 5662.0, 1251005.0)}


@pytest.mark.parametrize("campaign", list(PRIOR))
def test_open_bandit_prior(campaign):
    n_items, alpha_sum, beta_sum = PRIOR[campaign]
    prior = load_open_bandit_prior(campaign)
    assert list(prior.columns) == ["item_id", "alpha", "beta"]
    assert prior["item_id"].tolist() == list(range(n_items))
    assert prior["alpha"].sum() == alpha_sum
    assert prior["beta"].sum() == beta_sum
    assert (prior[["alpha", "beta"]] > 0).all().all()
    # The few-line reader agrees with a YAML parser where one is installed
    # (PyYAML comes with the book's dependencies).
    yaml = pytest.importorskip("yaml")
    path = (resources.files("causal_lib") / "data" / "obd"
            / "prior_bts.yaml")
    reference = yaml.safe_load(path.read_text())[campaign]
    assert prior["alpha"].tolist() == reference["alpha"]
    assert prior["beta"].tolist() == reference["beta"]


def test_open_bandit_ships_licence_and_attribution():
    folder = resources.files("causal_lib") / "data" / "obd"
    assert "Apache License" in (folder / "LICENSE").read_text()
    readme = (folder / "README.md").read_text()
    assert "Saito" in readme and "obp" in readme and "0.4.1" in readme


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"policy": "lints"}, "policy must be 'random' or 'bts'"),
    ({"campaign": "kids"}, "campaign must be 'all', 'men' or 'women'"),
])
def test_open_bandit_bad_names(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_open_bandit(**kwargs)


def test_open_bandit_prior_bad_campaign():
    with pytest.raises(ValueError, match="campaign must be"):
        load_open_bandit_prior("kids")


def test_open_bandit_reproduces_obps_published_estimate():
    # obp's README and quickstart evaluate BernoulliTS(is_zozotown_prior=
    # True, campaign="all", random_state=12345) on the random "all" logs:
    # compute_batch_action_dist(n_sim=100000) draws, from
    # np.random.RandomState(12345), one Beta vector per simulated
    # impression and ranks it; IPW / mean click prints 1.198126... and
    # IPW prints 0.004553.... The vectorised draw is the same stream,
    # checked against obp's one-call-per-impression loop on a prefix.
    import numpy as np

    logs, _ = load_open_bandit("random", "all")
    prior = load_open_bandit_prior("all")
    a, b = prior["alpha"].to_numpy(), prior["beta"].to_numpy()
    draws = np.random.RandomState(12345).beta(a, b, size=(100_000, 80))
    loop = np.random.RandomState(12345)
    assert all(np.array_equal(loop.beta(a, b), draws[i]) for i in range(50))
    top = np.argsort(draws, axis=1)[:, ::-1][:, :3]
    dist = np.column_stack([np.bincount(top[:, k], minlength=80)
                            for k in range(3)]) / 100_000
    target = dist[logs["item_id"], logs["position"] - 1]
    ipw = np.mean(target / logs["propensity_score"] * logs["click"])
    assert abs(ipw - 0.004553) < 1e-6
    assert abs(ipw / logs["click"].mean() - 1.198126) < 1e-6
