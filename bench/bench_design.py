"""Formula designs with a categorical covariate, 10**6 rows: causal_lib's
design against patsy's own ``dmatrix`` of the same formula.

``causal_lib._design`` hands patsy a categorical inside ``C()`` as it is
(see ``_categorical``), because patsy otherwise looks up every value in
Python. The trick stays only while it earns at least 2x here, so the
target is a time ratio of 0.5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy

from _timing import Result, best_of
from causal_lib._design import covariate_matrix

N = 10**6
FORMULA = "x + I(x**2) + C(device) + C(region)"


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "x": rng.normal(size=N),
        "device": rng.choice(["app", "web"], size=N),
        "region": rng.choice(["north", "south", "east", "west"], size=N),
    })


def run() -> list[Result]:
    df = _data()
    baseline = best_of(lambda: patsy.dmatrix(FORMULA, df), repeat=3)
    ours = best_of(lambda: covariate_matrix(df, FORMULA), repeat=3)
    return [Result(
        "formula design, 1e6 rows, two C() terms / patsy's dmatrix",
        ours / baseline, 0.5, "x",
        f"({ours * 1e3:.0f} ms vs {baseline * 1e3:.0f} ms)",
    )]
