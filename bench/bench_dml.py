"""dml with 5 folds and linear learners on 10**5 rows x 50 covariates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from _timing import Result, best_of
from causal_lib.dml import dml


def run() -> list[Result]:
    rng = np.random.default_rng(0)
    n, p = 10**5, 50
    X = rng.normal(size=(n, p))
    slots = X[:, :5].sum(axis=1) + rng.normal(size=n)
    minutes = 2.0 * slots + X[:, 5:15].sum(axis=1) + rng.normal(size=n)
    names = [f"x{i}" for i in range(p)]
    df = pd.DataFrame(X, columns=names).assign(slots=slots, minutes=minutes)

    def fit():
        return dml(df, treatment="slots", outcome="minutes",
                   covariates=names, n_folds=5, rng=1)

    seconds = best_of(fit, repeat=3)
    est = fit()
    return [
        Result(
            "dml, 5 folds, LinearRegression, 1e5 rows x 50 covariates",
            seconds, 5.0, "s",
            f"(theta = {est.estimate:.3f}, truth 2)",
        )
    ]
