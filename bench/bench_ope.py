"""Off-policy estimators on 10**7 logged rows against the bare numpy IPW.

The baseline is the estimate alone, ``np.mean(target / propensity *
reward)`` on arrays already out of the frame; the library adds the input
checks (columns, finiteness, probabilities in range, support) and the
standard error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from _timing import Result, best_of
from causal_lib import ope

N = 10**7


def _logs() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    propensity = rng.uniform(0.05, 1.0, N)
    target = rng.uniform(0.0, 1.0, N)
    predicted = rng.uniform(0.0, 0.2, N)
    return pd.DataFrame({
        "click": (rng.uniform(size=N) < predicted).astype(np.int64),
        "propensity": propensity,
        "target": target,
        "predicted_reward": predicted,
        "target_reward": rng.uniform(0.0, 0.2, N),
    })


def run() -> list[Result]:
    df = _logs()
    reward = df["click"].to_numpy()
    propensity = df["propensity"].to_numpy()
    target = df["target"].to_numpy()
    baseline = best_of(lambda: np.mean(target / propensity * reward))
    kw = dict(reward="click", propensity="propensity", target="target")
    model = dict(predicted_reward="predicted_reward",
                 target_reward="target_reward")
    calls = {
        "ope.ipw": lambda: ope.ipw(df, **kw),
        "ope.snipw": lambda: ope.snipw(df, **kw),
        "ope.dr": lambda: ope.dr(df, **kw, **model),
    }
    results = []
    for name, call in calls.items():
        ours = best_of(call)
        results.append(Result(
            f"{name}, 1e7 rows / np.mean(target / propensity * reward)",
            ours / baseline, 3.0, "x",
            f"({ours * 1e3:.0f} ms vs {baseline * 1e3:.0f} ms)",
        ))
    return results
