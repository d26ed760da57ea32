"""A bandit run of 10**5 rounds over 100 items, per policy.

The target is absolute: 2 s for the whole run (the rounds are plain
Python, one policy decision and one update each), measured on the
catalogue's click probabilities for 2,000 users and 100 items. The
baseline shown beside it is the bare loop that draws a uniformly random
item each round from pre-drawn numbers, the floor any per-round Python
loop pays.
"""

from __future__ import annotations

import numpy as np

from _timing import Result, best_of
from causal_lib import bandits, simulate

N_ROUNDS, N_ITEMS = 10**5, 100


def _click_probability() -> np.ndarray:
    _, truth = simulate.catalogue(2_000, N_ITEMS, rng=0)
    return truth.potential_outcomes["p1"].to_numpy().reshape(2_000, N_ITEMS)


def _bare_loop(p, rng):
    users = rng.integers(0, p.shape[0], N_ROUNDS).tolist()
    draws = rng.random(N_ROUNDS).tolist()
    clicks = 0
    for u, d in zip(users, draws):
        clicks += d < p[u, int(d * N_ITEMS)]
    return clicks


def run() -> list[Result]:
    p = _click_probability()
    rng = np.random.default_rng(1)
    baseline = best_of(lambda: _bare_loop(p, rng), repeat=3)
    policies = {
        "EpsilonGreedy(epsilon=0.1)":
            lambda: bandits.EpsilonGreedy(N_ITEMS, epsilon=0.1),
        "UCB()": lambda: bandits.UCB(N_ITEMS),
        "ThompsonSampling() (pool 100, batch 100)":
            lambda: bandits.ThompsonSampling(N_ITEMS, rng=2),
    }
    results = []
    for name, make in policies.items():
        seconds = best_of(
            lambda: bandits.run(make(), p, n_rounds=N_ROUNDS, rng=3),
            repeat=3)
        results.append(Result(
            f"bandits.run {name}, 1e5 rounds x 100 items", seconds, 2.0,
            "s", f"(bare loop {baseline:.2f} s)"))
    return results
