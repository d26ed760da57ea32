"""Two-stage least squares on 10**6 rows with ten covariates against one
statsmodels OLS fit of the same size.

The baseline is ``sm.OLS(y, X).fit()`` on an array already out of the
frame, with ``X`` the treatment, the ten covariates and an intercept:
one least-squares fit. ``tsls`` adds the input checks (columns,
finiteness, the design's rank), the first stage and its F statistic, the
second stage and the robust covariance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from _timing import Result, best_of
from causal_lib.iv import tsls

N = 10**6
K = 10


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, K))
    hidden = rng.normal(size=N)
    z = (rng.uniform(size=N) < 0.5).astype(np.int64)
    d = 0.5 * z + x[:, 0] + hidden + rng.normal(size=N)
    y = 0.3 * d + x @ np.linspace(0.1, 1.0, K) + hidden + rng.normal(size=N)
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(K)])
    return df.assign(z=z, d=d, y=y)


def run() -> list[Result]:
    df = _data()
    covariates = [f"x{j}" for j in range(K)]
    design = sm.add_constant(df[["d", *covariates]].to_numpy())
    y = df["y"].to_numpy()
    baseline = best_of(lambda: sm.OLS(y, design).fit())
    ours = best_of(lambda: tsls(df, outcome="y", treatment="d",
                                instruments="z", covariates=covariates))
    return [Result(
        "iv.tsls, 1e6 rows, 10 covariates / one statsmodels OLS fit",
        ours / baseline, 2.0, "x",
        f"({ours * 1e3:.0f} ms vs {baseline * 1e3:.0f} ms)",
    )]
