"""Causal Impact on a long series, and the synthetic-control weights.

``causal_impact`` on 1,000 daily points with 5 controls has a budget of
5 s. The synthetic-control weights start SLSQP from a non-negative
least-squares solution; the baseline is the same SLSQP call from equal
weights, over the 51 placebo fits of the Texas panel (the start must earn
at least 2x to stay).
"""

from __future__ import annotations

import time

import causaldata
import numpy as np
import pandas as pd
from scipy import optimize
from threadpoolctl import threadpool_limits

from _timing import Result, best_of
from causal_lib import causal_impact, simulate, synthetic_control
from causal_lib.panel import _panel, _sc_inputs


def _long_series() -> pd.DataFrame:
    data, _ = simulate.launch_series(1_000, rng=0, launch_day=800,
                                     n_controls=5)
    return data


def _equal_start_weights(target, donors):
    """The weights as SLSQP finds them from equal weights."""
    scale = np.sqrt(np.mean(donors ** 2))
    y, X = target / scale, donors / scale
    k = X.shape[1]
    return optimize.minimize(
        lambda w: (y - X @ w) @ (y - X @ w) / len(y), np.full(k, 1 / k),
        jac=lambda w: -2 * X.T @ (y - X @ w) / len(y), method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints={"type": "eq", "fun": lambda w: w.sum() - 1,
                     "jac": lambda w: np.ones(k)},
        options={"ftol": 1e-12, "maxiter": 1000}).x


def _texas_placebos_equal_start(Y, pre):
    for unit in Y.columns:
        donors = Y.drop(columns=unit)[pre].to_numpy()
        _equal_start_weights(Y[unit][pre].to_numpy(), donors)


def run() -> list[Result]:
    # Small problems: one BLAS thread each beats threads that compete for
    # a shared machine's cores (as in the chapters).
    with threadpool_limits(1):
        data = _long_series()
        controls = ["south", "east", "west", "centre", "coast"]
        start = time.perf_counter()
        causal_impact(data, outcome="revenue", controls=controls,
                      pre_period=(0, 799), post_period=(800, 999))
        elapsed = time.perf_counter() - start
        texas = causaldata.texas.load_pandas().data
        ours = best_of(lambda: synthetic_control(
            texas, outcome="bmprison", unit="state", time="year",
            treated_unit="Texas", start=1994), repeat=3)
        Y, pre = _sc_inputs(_panel(texas, "bmprison", "state", "year"),
                            "Texas", 1994)
        equal = best_of(lambda: _texas_placebos_equal_start(Y, pre),
                        repeat=1)
    return [
        Result("causal_impact, 1,000 points x 5 controls", elapsed, 5.0,
               "s"),
        Result("synthetic_control on Texas with placebos / SLSQP from "
               "equal weights", ours / equal, 0.5, "x",
               f"({ours:.2f} s vs {equal:.2f} s)"),
    ]
