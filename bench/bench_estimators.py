"""Estimators against the cheapest computation they cannot avoid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from _timing import Result, best_of
from causal_lib import difference_in_means


def run() -> list[Result]:
    return run_difference_in_means() + run_observational()


def run_difference_in_means() -> list[Result]:
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


def run_observational() -> list[Result]:
    """ipw and aipw on 10**6 rows x 10 covariates vs the logistic fit alone."""
    import statsmodels.api as sm

    from causal_lib import aipw, ipw

    rng = np.random.default_rng(1)
    n, k = 10**6, 10
    x = rng.normal(size=(n, k))
    t = (rng.uniform(size=n) < 1 / (1 + np.exp(-x[:, :3].sum(1) / 2)))
    y = x.sum(1) + 2.0 * t + rng.normal(size=n)
    names = [f"x{j}" for j in range(k)]
    df = pd.DataFrame(x, columns=names).assign(t=t.astype(int), y=y)
    design = sm.add_constant(x)
    target = t.astype(float)
    logit = best_of(
        lambda: sm.Logit(target, design).fit(method="newton", disp=0),
        repeat=3,
    )
    kw = dict(treatment="t", outcome="y", covariates=names)
    results = []
    for name, func in (("ipw", ipw), ("aipw", aipw)):
        seconds = best_of(lambda: func(df, **kw), repeat=3)
        results.append(Result(
            f"{name}, 1e6 rows x 10 covariates / statsmodels Logit fit",
            seconds / logit, 3.0, "x",
            f"({seconds:.2f} s vs {logit:.2f} s)",
        ))
    return results
