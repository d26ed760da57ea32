"""difference_in_means on 10**7 rows against one np.bincount pass."""

from __future__ import annotations

import numpy as np
import pandas as pd

from _timing import Result, best_of
from causal_lib import difference_in_means


def run() -> list[Result]:
    rng = np.random.default_rng(0)
    n = 10**7
    df = pd.DataFrame({
        "treated": rng.integers(0, 2, n),
        "spend": rng.gamma(2.0, 10.0, n),
    })
    t = df["treated"].to_numpy()
    y = df["spend"].to_numpy()
    baseline = best_of(lambda: np.bincount(t, weights=y, minlength=2))
    ours = best_of(
        lambda: difference_in_means(df, treatment="treated", outcome="spend")
    )
    return [
        Result(
            "difference_in_means, 1e7 rows / one np.bincount pass",
            ours / baseline, 3.0, "x",
            f"({ours * 1e3:.0f} ms vs {baseline * 1e3:.0f} ms)",
        )
    ]
