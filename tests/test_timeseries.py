"""Causal Impact: statsmodels' forecasts, the cumulative variance, recovery
of a known effect, a reference implementation, and every error path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.tsa.arima_process import ArmaProcess
from statsmodels.tsa.statespace.structural import UnobservedComponents

from causal_lib import causal_impact, simulate
from causal_lib.timeseries import _fit_and_forecast, _system_matrix

CONTROLS = ["south", "east", "west", "centre"]
PERIODS = dict(pre_period=("2025-01-01", "2025-03-25"),
               post_period=("2025-03-26", "2025-04-30"))


def launch(seed=3, **kw):
    data, truth = simulate.launch_series(rng=seed, **kw)
    return data, truth, causal_impact(data, outcome="revenue",
                                      controls=CONTROLS, time="date",
                                      **PERIODS)


def readme_example():
    """The getting-started example of pycausalimpact's README (seed 12345,
    a +5 effect from point 70), drawn from a RandomState, not the global
    generator; tfcausalimpact ships the same data as arma_data.csv."""
    draws = np.random.RandomState(12345)
    arma = ArmaProcess(np.r_[1, 0.9], np.array([1]))
    x = 100 + arma.generate_sample(nsample=100,
                                   distrvs=draws.standard_normal)
    y = 1.2 * x + draws.normal(size=100)
    y[70:] += 5
    return pd.DataFrame({"y": y, "X": x})


@pytest.fixture(scope="module")
def example():
    df = readme_example()
    return df, causal_impact(df, outcome="y", controls=["X"],
                             pre_period=(0, 69), post_period=(70, 99))


# --- agreement with statsmodels and with the algebra -------------------------

def test_readme_data_are_tfcausalimpacts_fixture():
    df = readme_example()
    # First rows of tests/fixtures/arma_data.csv in tfcausalimpact.
    assert df["X"].iloc[0] == pytest.approx(99.79529234051529, rel=1e-12)
    assert df["y"].iloc[1] == pytest.approx(120.23327608983782, rel=1e-12)
    # Published "Actual" post-period mean 125.23 (its README, +5 applied).
    assert round(df["y"].iloc[70:].mean(), 2) == 125.23


def test_post_period_matches_statsmodels_forecast(example):
    """The same model on the raw (unstandardised) series, filtered with
    our variances, forecast by statsmodels' own get_forecast."""
    df, result = example
    model = UnobservedComponents(df["y"][:70].to_numpy(), level="llevel",
                                 exog=df[["X"]][:70].to_numpy(),
                                 mle_regression=False)
    forecast = model.filter(result.params.to_numpy()).get_forecast(
        30, exog=df[["X"]][70:].to_numpy())
    post = result.path[result.path["period"] == "post"]
    np.testing.assert_allclose(post["predicted"], forecast.predicted_mean,
                               rtol=1e-7)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(
        (post["predicted_high"] - post["predicted"]) / z,
        np.sqrt(forecast.var_pred_mean), rtol=1e-5)
    # Maximum likelihood on the raw series finds the same variances.
    raw = model.fit(disp=False, method="nm", maxiter=2000)
    np.testing.assert_allclose(result.params, raw.params, rtol=1e-2)


@pytest.mark.parametrize("level", ["llevel", "lltrend", "dconstant"])
def test_cumulative_variance_is_the_sum_of_the_joint_covariance(level):
    """The recursion against the forecast errors' full covariance matrix,
    Cov(y_h, y_k) = Z_k T^(k-h) V_h Z_h' (+ sigma2 if h = k), summed."""
    data, _ = simulate.launch_series(80, rng=7, launch_day=60,
                                     n_controls=2)
    controls = ["south", "east"]
    result = causal_impact(data, outcome="revenue", controls=controls,
                           pre_period=(0, 59), post_period=(60, 79),
                           level=level)
    pre = (result.path["period"] == "pre").to_numpy()
    res, (_, scale), _ = _fit_and_forecast(
        data["revenue"].to_numpy(), data[controls].to_numpy(), pre, level,
        1000)
    ssm, post = res.model.ssm, np.flatnonzero(~pre)
    T = _system_matrix(ssm, "transition", 0)
    cov = np.empty((len(post), len(post)))
    for i, h in enumerate(post):
        for j, k in enumerate(post):
            lo, hi = min(h, k), max(h, k)
            state = np.linalg.matrix_power(T, hi - lo) \
                @ res.predicted_state_cov[:, :, lo]
            cov[i, j] = (_system_matrix(ssm, "design", hi)[0] @ state
                         @ _system_matrix(ssm, "design", lo)[0])
    cov += np.eye(len(post)) * _system_matrix(ssm, "obs_cov", 0)[0, 0]
    cov *= scale**2  # the model runs on the standardised outcome
    partial = [cov[:m, :m].sum() for m in range(1, len(post) + 1)]
    z = stats.norm.ppf(0.975)
    sd = (result.path["cumulative_high"] - result.path["cumulative"]) / z
    np.testing.assert_allclose(sd[~pre] ** 2, partial, rtol=1e-8)
    assert result.cumulative.std_error == pytest.approx(
        np.sqrt(partial[-1]), rel=1e-8)


def test_effects_add_up(example):
    _, result = example
    path, post = result.path, result.path["period"] == "post"
    np.testing.assert_allclose(path["effect"],
                               path["observed"] - path["predicted"])
    np.testing.assert_allclose(path.loc[post, "cumulative"],
                               path.loc[post, "effect"].cumsum())
    assert path.loc[~post, "cumulative"].isna().all()
    assert result.average.estimate == pytest.approx(
        result.cumulative.estimate / 30, rel=1e-12)
    assert result.average.std_error == pytest.approx(
        result.cumulative.std_error / 30, rel=1e-12)
    assert (result.average.n, result.average.n_treated) == (100, 30)
    table = result.summary()
    assert table.loc["average", "actual"] == pytest.approx(
        path.loc[post, "observed"].mean())
    assert table.loc["cumulative", "effect"] == result.cumulative.estimate


def test_correlated_errors_widen_the_interval(example):
    """The post-period forecast errors share the level and coefficient
    uncertainty: the sum's variance exceeds the sum of the variances."""
    _, result = example
    post = result.path[result.path["period"] == "post"]
    z = stats.norm.ppf(0.975)
    naive = np.sqrt((((post["predicted_high"] - post["predicted"]) / z)
                     ** 2).sum())
    assert result.cumulative.std_error > 1.2 * naive


def test_first_points_have_no_prediction(example):
    _, result = example
    assert np.isnan(result.path["predicted"].iloc[0])
    assert np.isnan(result.path["predicted_low"].iloc[0])
    assert result.path["predicted"].iloc[5:].notna().all()


# --- recovering the truth ----------------------------------------------------

def test_readme_example_recovers_the_known_effect(example):
    _, result = example
    assert abs(result.average.estimate - 5) < 4 * result.average.std_error
    assert abs(result.cumulative.estimate - 150) < \
        4 * result.cumulative.std_error
    assert result.coefficients["X"] == pytest.approx(1.2, abs=0.1)


@pytest.mark.parametrize("seed", [3, 11, 19])
def test_recovers_a_simulated_launch(seed):
    _, truth, result = launch(seed)
    assert abs(result.average.estimate - truth.att) < \
        4 * result.average.std_error
    tau = truth.effects[truth.potential_outcomes.index >= 84]
    assert abs(result.cumulative.estimate - tau.sum()) < \
        4 * result.cumulative.std_error


def test_placebo_in_time_finds_nothing():
    data, _ = simulate.launch_series(rng=5)
    before = data.iloc[:84]
    result = causal_impact(before, outcome="revenue", controls=CONTROLS,
                           pre_period=(0, 59), post_period=(60, 83))
    assert abs(result.average.estimate) < 4 * result.average.std_error


def test_a_contaminated_control_biases_the_estimate():
    _, truth, clean = launch(3)
    _, _, dirty = launch(3, spillover=1.5)
    assert dirty.average.estimate < clean.average.estimate - \
        2 * clean.average.std_error
    assert truth.att - dirty.average.estimate > 3 * dirty.average.std_error
    assert dirty.average.ci_low < 0 < clean.average.ci_low


def test_gap_rows_are_neither_fitted_nor_counted():
    data, truth = simulate.launch_series(rng=3)
    result = causal_impact(data, outcome="revenue", controls=CONTROLS,
                           pre_period=(0, 79), post_period=(84, 119))
    period = result.path["period"]
    assert (period == "gap").sum() == 4 and (period == "post").sum() == 36
    assert result.cumulative.n_treated == 36
    assert abs(result.average.estimate - truth.att) < \
        4 * result.average.std_error


def test_shifting_the_outcome_leaves_the_effect_unchanged(example):
    df, result = example
    shifted = causal_impact(df.assign(y=df["y"] + 1000), outcome="y",
                            controls=["X"], pre_period=(0, 69),
                            post_period=(70, 99))
    assert shifted.average.estimate == pytest.approx(
        result.average.estimate, abs=1e-3)
    assert shifted.average.std_error == pytest.approx(
        result.average.std_error, rel=1e-3)


def test_caller_frame_is_not_modified(example):
    df, _ = example
    before = df.copy()
    causal_impact(df, outcome="y", controls=["X"], pre_period=(0, 69),
                  post_period=(70, 99))
    pd.testing.assert_frame_equal(df, before)


# --- a reference implementation ---------------------------------------------

def test_agrees_with_bsts_causalimpact(example):
    """bsts-causalimpact runs R's Bayesian model (a Gibbs sampler, priors on
    the variances); ours plugs in maximum-likelihood variances. On the
    README example the two differ by much less than either's standard
    error, and their standard errors agree to 20%."""
    causal_impact_pkg = pytest.importorskip("causal_impact")
    df, result = example
    theirs = causal_impact_pkg.CausalImpact(
        df, [0, 69], [70, 99], model_args={"seed": 1})
    stats_ = theirs.summary_stats
    their_sd = (stats_["ci_upper"] - stats_["ci_lower"]) / (2 * 1.96)
    assert abs(result.average.estimate - stats_["point_effect_mean"]) < \
        0.5 * their_sd
    assert 0.8 < result.average.std_error / their_sd < 1.25


# --- errors ------------------------------------------------------------------

def call(df, **kw):
    args = dict(outcome="y", controls=["X"], pre_period=(0, 69),
                post_period=(70, 99))
    return causal_impact(df, **(args | kw))


@pytest.mark.parametrize("kw, message", [
    (dict(outcome="sales"), "outcome column 'sales' not found"),
    (dict(controls=["X", "Z"]), r"controls\[1\] column 'Z' not found"),
    (dict(controls=[]), "controls is empty"),
    (dict(controls=["X", "X"]), "lists a column twice"),
    (dict(controls=["y"]), "given as both outcome and control"),
    (dict(pre_period=(0, 3)), "at least 5 are needed"),
    (dict(pre_period=(0,)), "must be a pair"),
    (dict(pre_period="0-69"), "must be a pair"),
    (dict(post_period=(200, 300)), "holds no time point"),
    (dict(post_period=(50, 99)), "must start after pre_period"),
    (dict(pre_period=("a", "b")), "cannot be compared"),
    (dict(level="seasonal"), "level must be one of"),
    (dict(alpha=1.5), "alpha must lie strictly between 0 and 1"),
    (dict(maxiter=0), "maxiter must be at least 1"),
    (dict(time="when"), "time column 'when' not found"),
])
def test_rejects_bad_arguments(example, kw, message):
    df, _ = example
    with pytest.raises(ValueError, match=message):
        call(df, **kw)


def test_rejects_wrong_types(example):
    df, _ = example
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        call(df.to_numpy())
    with pytest.raises(TypeError, match="controls must be a list"):
        call(df, controls="X")


def test_rejects_bad_values(example):
    df, _ = example
    with pytest.raises(ValueError, match="control column 'c' is constant"):
        call(df.assign(c=1.0), controls=["X", "c"])
    with pytest.raises(ValueError, match="control column 'X' has 1 missing"):
        call(df.assign(X=df["X"].where(df.index != 3)))
    with pytest.raises(ValueError, match="outcome column 'y' holds infin"):
        call(df.assign(y=df["y"].where(df.index != 3, np.inf)))
    with pytest.raises(ValueError, match="outcome column 'y' must be numer"):
        call(df.assign(y="many"))


def test_rejects_dates_out_of_order():
    data, _ = simulate.launch_series(rng=3)
    shuffled = data.iloc[[1, 0, *range(2, len(data))]]
    kw = dict(outcome="revenue", controls=CONTROLS, time="date", **PERIODS)
    with pytest.raises(ValueError, match="'date' is not strictly increasing"):
        causal_impact(shuffled, **kw)
    repeated = data.assign(date=data["date"].where(data.index != 5,
                                                   data["date"][4]))
    with pytest.raises(ValueError, match="row 5"):
        causal_impact(repeated, **kw)
    missing = data.assign(date=data["date"].where(data.index != 5))
    with pytest.raises(ValueError, match="'date' has 1 missing"):
        causal_impact(missing, **kw)
    with pytest.raises(ValueError, match="the index is not strictly"):
        causal_impact(data.iloc[::-1], outcome="revenue", controls=CONTROLS,
                      pre_period=(0, 83), post_period=(84, 119))


def test_plot_checks_the_truth(example):
    import matplotlib.pyplot as plt

    _, result = example
    axes = result.plot(truth=np.r_[np.zeros(70), np.full(30, 5.0)])
    assert len(axes) == 3
    with pytest.raises(ValueError, match="one value per row"):
        result.plot(truth=np.zeros(3))
    plt.close("all")


# --- the simulator -----------------------------------------------------------

def test_launch_series_truth():
    data, truth = simulate.launch_series(rng=2, spillover=0.5)
    po = truth.potential_outcomes
    post = data.index >= 84
    np.testing.assert_allclose(data["revenue"],
                               np.where(post, po["y1"], po["y0"]))
    assert truth.att == pytest.approx(truth.effects[post].mean())
    assert truth.atc == 0
    again, _ = simulate.launch_series(rng=np.random.default_rng(2),
                                      spillover=0.5)
    pd.testing.assert_frame_equal(data, again)
    clean, _ = simulate.launch_series(rng=2)
    contamination = data["centre"] - clean["centre"]
    np.testing.assert_allclose(contamination, 0.5 * truth.effects)


@pytest.mark.parametrize("kw, error, message", [
    (dict(n_controls=9), ValueError, "n_controls must be between 1 and 8"),
    (dict(launch_day=120), ValueError, "launch_day must be between 5"),
    (dict(effect=np.inf), ValueError, "effect must be finite"),
    (dict(spillover="some"), TypeError, "spillover must be a number"),
])
def test_launch_series_rejects_bad_arguments(kw, error, message):
    with pytest.raises(error, match=message):
        simulate.launch_series(rng=0, **kw)


# --- coverage (slow) ---------------------------------------------------------

@pytest.mark.slow
def test_average_effect_interval_covers():
    """Series drawn from the model itself (local level plus regression),
    an effect of 1 over 20 points. Plugging in estimated variances, rather
    than integrating over them as the Bayesian R package does, costs
    coverage: the 95% interval covered in 177 of these 200 draws
    (88.5%), so the bound is a guard against losing more."""
    rng = np.random.default_rng(2024)
    covered, reps = 0, 200
    for _ in range(reps):
        x = 20 + np.cumsum(rng.normal(0, 1, 100))
        level = np.cumsum(rng.normal(0, 0.2, 100))
        y = 2 + 0.8 * x + level + rng.normal(0, 0.5, 100)
        y[80:] += 1
        result = causal_impact(pd.DataFrame({"y": y, "x": x}), outcome="y",
                               controls=["x"], pre_period=(0, 79),
                               post_period=(80, 99))
        covered += result.average.covers(1.0)
    assert 0.85 <= covered / reps <= 0.99
