"""Off-policy evaluation: hand-computed cases, double robustness, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from causal_lib import ope
from causal_lib.simulate import policy_logs

Z = stats.norm.ppf(0.975)
LOGGED = dict(reward="click", propensity="p", target="pi")
MODEL = dict(predicted_reward="q", target_reward="v")


@pytest.fixture
def tiny():
    # Weights w = pi / p = [2, 2, 0, 0.5].
    return pd.DataFrame({
        "click": [1, 0, 1, 0],
        "p": [0.5, 0.25, 0.5, 0.8],
        "pi": [1.0, 0.5, 0.0, 0.4],
        "q": [0.6, 0.2, 0.4, 0.1],
        "v": [0.6, 0.3, 0.5, 0.2],
    })


def check_estimate(est, estimate, std_error, n=4):
    assert est.estimand == "policy value"
    assert est.n == n and est.n_treated is None
    assert est.estimate == pytest.approx(estimate, rel=1e-12)
    assert est.std_error == pytest.approx(std_error, rel=1e-12)
    assert est.ci_low == pytest.approx(estimate - Z * std_error, rel=1e-9)
    assert est.ci_high == pytest.approx(estimate + Z * std_error, rel=1e-9)


# --- hand-computed tiny cases ------------------------------------------------

def test_ipw_by_hand(tiny):
    # w * click = [2, 0, 0, 0]: mean 1/2, sd 1.
    est = ope.ipw(tiny, **LOGGED)
    check_estimate(est, 0.5, 1 / 2)
    assert est.method.startswith("IPW")


def test_snipw_by_hand(tiny):
    # 2 / (2 + 2 + 0 + 0.5) = 4/9; mean weight 9/8, so the linearised
    # terms are (8/9) w (click - 4/9) = [80, -64, 0, -16] / 81.
    est = ope.snipw(tiny, **LOGGED)
    psi_squares = (80**2 + 64**2 + 16**2) / 81**2
    check_estimate(est, 4 / 9, np.sqrt(psi_squares / 3) / 2)
    assert est.method.startswith("SNIPW")


def test_dm_by_hand(tiny):
    # v = [0.6, 0.3, 0.5, 0.2]: mean 0.4, squared deviations sum to 0.1.
    est = ope.dm(tiny, target_reward="v")
    check_estimate(est, 0.4, np.sqrt(0.1 / 3) / 2)
    assert est.method.startswith("DM")


def test_dr_by_hand(tiny):
    # v + w (click - q) = [0.6 + 0.8, 0.3 - 0.4, 0.5 + 0, 0.2 - 0.05].
    terms = np.array([1.4, -0.1, 0.5, 0.15])
    est = ope.dr(tiny, **LOGGED, **MODEL)
    check_estimate(est, 0.4875, np.std(terms, ddof=1) / 2)
    assert est.method.startswith("DR")


def test_dr_shrinkage_by_hand(tiny):
    # lambda = 4 shrinks w = [2, 2, 0, 1/2] to 4w / (w^2 + 4) =
    # [1, 1, 0, 8/17].
    terms = np.array([0.6 + 0.4, 0.3 - 0.2, 0.5, 0.2 - 0.1 * 8 / 17])
    est = ope.dr_shrinkage(tiny, **LOGGED, **MODEL, shrinkage=4.0)
    check_estimate(est, terms.mean(), np.std(terms, ddof=1) / 2)
    assert "lambda=4" in est.method


def test_alpha_sets_the_level(tiny):
    est = ope.ipw(tiny, **LOGGED, alpha=0.1)
    z = stats.norm.ppf(0.95)
    assert est.alpha == 0.1
    assert est.ci_high == pytest.approx(0.5 + z * 0.5)


# --- identities --------------------------------------------------------------

def test_on_policy_value_is_the_mean_reward(tiny):
    # Evaluating the logging policy itself: every weight is 1.
    logs = tiny.assign(pi=tiny["p"])
    mean = tiny["click"].mean()
    se = tiny["click"].std() / 2
    for estimator in (ope.ipw, ope.snipw):
        check_estimate(estimator(logs, **LOGGED), mean, se)


def test_dr_with_a_zero_model_is_ipw(tiny):
    logs = tiny.assign(q=0.0, v=0.0)
    a, b = ope.ipw(logs, **LOGGED), ope.dr(logs, **LOGGED, **MODEL)
    assert (a.estimate, a.std_error) == (b.estimate, b.std_error)


def test_shrinkage_runs_from_dr_to_dm(tiny):
    dr = ope.dr(tiny, **LOGGED, **MODEL)
    inf = ope.dr_shrinkage(tiny, **LOGGED, **MODEL, shrinkage=np.inf)
    assert (inf.estimate, inf.std_error) == (dr.estimate, dr.std_error)
    huge = ope.dr_shrinkage(tiny, **LOGGED, **MODEL, shrinkage=1e12)
    assert huge.estimate == pytest.approx(dr.estimate, rel=1e-9)
    tiny_lam = ope.dr_shrinkage(tiny, **LOGGED, **MODEL, shrinkage=1e-12)
    assert tiny_lam.estimate == pytest.approx(
        ope.dm(tiny, target_reward="v").estimate, rel=1e-9)


def test_input_left_untouched(tiny):
    before = tiny.copy()
    tiny["s"] = 1.0
    before["s"] = 1.0
    ope.ipw(tiny, **LOGGED, support="s")
    ope.snipw(tiny, **LOGGED)
    ope.dm(tiny, target_reward="v")
    ope.dr(tiny, **LOGGED, **MODEL)
    ope.dr_shrinkage(tiny, **LOGGED, **MODEL, shrinkage=1.0)
    pd.testing.assert_frame_equal(tiny, before)


def test_full_support_passes(tiny):
    logs = tiny.assign(s=[1.0, 1.0, 1 - 1e-12, 1.0])
    assert ope.ipw(logs, **LOGGED, support="s").estimate == 0.5
    assert ope.dr(logs, **LOGGED, **MODEL, support="s").estimate == \
        pytest.approx(0.4875)


def test_booleans_and_nullable_numbers(tiny):
    for click in (tiny["click"].astype(bool),
                  tiny["click"].astype("Int64"),
                  tiny["click"].astype("Float64")):
        logs = tiny.assign(click=click)
        assert ope.ipw(logs, **LOGGED).estimate == 0.5
        assert ope.snipw(logs, **LOGGED).estimate == pytest.approx(4 / 9)
        assert ope.dr(logs, **LOGGED, **MODEL).estimate == \
            pytest.approx(0.4875)


def test_many_blocks_agree_with_whole_columns():
    # More rows than one block (ope._CHUNK), and a mean far from 0 relative
    # to the spread, where a naive sum of squares would lose digits.
    rng = np.random.default_rng(5)
    n = 3 * ope._CHUNK + 17
    logs = pd.DataFrame({
        "click": rng.integers(0, 2, n), "p": rng.uniform(0.1, 1, n),
        "pi": rng.uniform(0, 1, n), "q": rng.uniform(0, 1, n),
        "v": 1e6 + rng.normal(0, 1e-3, n),
    })
    w = (logs["pi"] / logs["p"]).to_numpy()
    r, q, v = (logs[c].to_numpy() for c in ("click", "q", "v"))
    snips = (w * r).sum() / w.sum()
    cases = [
        (ope.ipw(logs, **LOGGED), w * r, None),
        (ope.dm(logs, target_reward="v"), v, None),
        (ope.dr(logs, **LOGGED, **MODEL), v + w * (r - q), None),
        (ope.snipw(logs, **LOGGED), w * (r - snips) / w.mean(), snips),
    ]
    for est, terms, point in cases:
        point = terms.mean() if point is None else point
        assert est.estimate == pytest.approx(point, rel=1e-12)
        se = terms.std(ddof=1) / np.sqrt(n)
        assert est.std_error == pytest.approx(se, rel=1e-8)


# --- properties --------------------------------------------------------------

@st.composite
def logs_and_scale(draw):
    n = draw(st.integers(2, 30))
    unit = st.floats(0.01, 1.0)
    rows = draw(st.lists(st.tuples(st.floats(-10, 10), unit, unit),
                         min_size=n, max_size=n))
    scale = draw(st.floats(0.01, 1.0))
    frame = pd.DataFrame(rows, columns=["click", "p", "pi"])
    return frame, scale


@settings(max_examples=100, deadline=None)
@given(logs_and_scale())
def test_snipw_ignores_a_rescaling_of_the_weights(case):
    logs, scale = case
    est = ope.snipw(logs, **LOGGED)
    scaled = ope.snipw(logs.assign(pi=logs["pi"] * scale), **LOGGED)
    assert scaled.estimate == pytest.approx(est.estimate, rel=1e-9,
                                            abs=1e-12)
    assert scaled.std_error == pytest.approx(est.std_error, rel=1e-7,
                                             abs=1e-12)
    # ... while IPW scales with them.
    assert ope.ipw(logs.assign(pi=logs["pi"] * scale),
                   **LOGGED).estimate == pytest.approx(
        scale * ope.ipw(logs, **LOGGED).estimate, rel=1e-9, abs=1e-12)
    # A weighted average stays within the rewards' range.
    low, high = logs["click"].min(), logs["click"].max()
    assert low - 1e-9 <= est.estimate <= high + 1e-9


@settings(max_examples=40, deadline=None)
@given(logs_and_scale(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(case, random):
    logs, _ = case
    logs = logs.assign(q=logs["click"] / 2, v=logs["pi"])
    order = list(range(len(logs)))
    random.shuffle(order)
    shuffled = logs.iloc[order]
    for name in ("ipw", "snipw", "dr"):
        kw = {**LOGGED, **MODEL} if name == "dr" else LOGGED
        a = getattr(ope, name)(logs, **kw)
        b = getattr(ope, name)(shuffled, **kw)
        assert b.estimate == pytest.approx(a.estimate, rel=1e-9, abs=1e-12)
        assert b.std_error == pytest.approx(a.std_error, rel=1e-9,
                                            abs=1e-12)


# --- a small simulator with a known truth ------------------------------------

N_CONTEXTS, N_ACTIONS = 5, 4


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def world():
    """Click rates q[x, a], a logging and a target policy (rows: x).

    The target sharpens the logger's preferences and favours high click
    rates; both are positive everywhere (weights up to about 1.6).
    """
    rng = np.random.default_rng(11)
    q = rng.uniform(0.05, 0.5, size=(N_CONTEXTS, N_ACTIONS))
    logits = rng.normal(0, 0.7, size=(N_CONTEXTS, N_ACTIONS))
    logger = _softmax(logits)
    target = _softmax(2 * logits + 2 * q)
    return q, logger, target


def simulate(n_rows, n_reps, seed):
    """Logs of ``n_reps`` replications: columns per row, rep index.

    Each row has the true model (``q``, ``v``) and a wrong one (``q_bad``,
    ``v_bad``, off by +0.15), and the true logging propensity (``p``)
    and a wrong one (``p_bad``, uniform over the actions).
    """
    q, logger, target = world()
    rng = np.random.default_rng(seed)
    size = n_rows * n_reps
    x = rng.integers(0, N_CONTEXTS, size)
    u = rng.uniform(size=size)
    a = (u[:, None] > logger.cumsum(axis=1)[x]).sum(axis=1)
    a = np.minimum(a, N_ACTIONS - 1)  # guards rounding in cumsum
    click = (rng.uniform(size=size) < q[x, a]).astype(float)
    q_bad = q + 0.15
    logs = pd.DataFrame({
        "click": click, "p": logger[x, a], "pi": target[x, a],
        "p_bad": np.full(size, 1 / N_ACTIONS),
        "q": q[x, a], "v": (target * q).sum(axis=1)[x],
        "q_bad": q_bad[x, a], "v_bad": (target * q_bad).sum(axis=1)[x],
    })
    return logs, np.repeat(np.arange(n_reps), n_rows)


def true_value():
    q, _, target = world()
    return float((target * q).sum(axis=1).mean())


def expected_dr(propensity, model):
    """E[DR] in closed form: V + E_x sum_a pi (p0/p' - 1)(q - q_hat)."""
    q, logger, target = world()
    used = logger if propensity == "p" else np.full_like(logger,
                                                         1 / N_ACTIONS)
    q_hat = q if model == "q" else q + 0.15
    bias = (target * (logger / used - 1) * (q - q_hat)).sum(axis=1)
    return true_value() + float(bias.mean())


def replicate(estimator, n_rows, n_reps, seed, **columns):
    logs, rep = simulate(n_rows, n_reps, seed)
    return [estimator(group, **columns)
            for _, group in logs.groupby(rep, sort=False)]


@pytest.fixture(scope="module")
def sims():
    return simulate(400, 300, seed=2024)


def _mean_and_mc_se(estimates):
    values = np.array([e.estimate for e in estimates])
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


@pytest.mark.parametrize(("propensity", "model"), [
    ("p", "q"), ("p", "q_bad"), ("p_bad", "q"), ("p_bad", "q_bad"),
])
def test_dr_is_unbiased_when_either_model_is_right(sims, propensity,
                                                   model):
    logs, rep = sims
    v_col = "v" if model == "q" else "v_bad"
    estimates = [
        ope.dr(group, reward="click", propensity=propensity, target="pi",
               predicted_reward=model, target_reward=v_col)
        for _, group in logs.groupby(rep, sort=False)
    ]
    mean, mc_se = _mean_and_mc_se(estimates)
    expected = expected_dr(propensity, model)
    assert abs(mean - expected) < 4 * mc_se
    truth = true_value()
    if propensity == "p" or model == "q":
        assert expected == pytest.approx(truth, abs=1e-12)  # identity
    else:
        # Both wrong: biased, by far more than the simulation's noise,
        # so the test above could see a bias.
        assert abs(expected - truth) > 10 * mc_se
        assert abs(mean - truth) > 6 * mc_se


def test_ipw_unbiased_and_dm_only_with_the_right_model(sims):
    logs, rep = sims
    groups = [g for _, g in logs.groupby(rep, sort=False)]
    truth = true_value()
    for estimates in ([ope.ipw(g, **LOGGED) for g in groups],
                      [ope.snipw(g, **LOGGED) for g in groups],
                      [ope.dm(g, target_reward="v") for g in groups]):
        mean, mc_se = _mean_and_mc_se(estimates)
        assert abs(mean - truth) < 4 * mc_se
    mean, mc_se = _mean_and_mc_se(
        [ope.dm(g, target_reward="v_bad") for g in groups])
    assert mean - truth == pytest.approx(0.15, abs=4 * mc_se)


def test_shrinkage_trades_variance_for_bias(sims):
    logs, rep = sims
    groups = [g for _, g in logs.groupby(rep, sort=False)]
    kw = dict(**LOGGED, predicted_reward="q_bad", target_reward="v_bad")
    dr = np.array([ope.dr(g, **kw).estimate for g in groups])
    shrunk = np.array([ope.dr_shrinkage(g, **kw, shrinkage=1.0).estimate
                       for g in groups])
    assert shrunk.std() < dr.std()
    truth, mc_se = true_value(), shrunk.std() / np.sqrt(len(shrunk))
    assert abs(shrunk.mean() - truth) > 4 * mc_se  # biased towards DM


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ipw", "snipw", "dr"])
def test_interval_coverage_near_95_percent(name):
    n_reps = 2_000
    kw = dict(LOGGED)
    if name == "dr":
        kw.update(predicted_reward="q_bad", target_reward="v_bad")
    estimates = replicate(getattr(ope, name), 500, n_reps, seed=7, **kw)
    covered = np.mean([e.covers(true_value()) for e in estimates])
    assert abs(covered - 0.95) < 3 * np.sqrt(0.95 * 0.05 / n_reps)


@pytest.mark.slow
def test_coverage_over_weeks_of_the_chapter_simulator():
    # Chapter 11's claim: on a week of 50,000 visits of policy_logs
    # (effective sample about 5% of the visits, clicks near 7%), the 95%
    # intervals of IPW and DR cover near 95%. Each call draws a new shop;
    # every interval is judged against its own shop's exact value.
    n, per_call, n_reps = 50_000, 20, 1_000
    rng = np.random.default_rng(2011)
    covered = {"ipw": 0, "dr": 0}
    for _ in range(n_reps // per_call):
        logs, truth = policy_logs(n * per_call, rng=rng)
        item_mean = truth.click_rate.mean(axis=0)  # a fixed, wrong model
        logs["q"] = item_mean[logs["item_id"]]
        logs["v"] = (truth.target * item_mean).sum(axis=1)[logs["user_id"]]
        kw = dict(reward="click", propensity="propensity", target="target")
        for _, week in logs.groupby(np.arange(len(logs)) // n):
            covered["ipw"] += ope.ipw(week, **kw).covers(truth.value)
            covered["dr"] += ope.dr(week, **kw, predicted_reward="q",
                                    target_reward="v").covers(truth.value)
    for count in covered.values():
        assert abs(count / n_reps - 0.95) < 3 * np.sqrt(0.95 * 0.05 / n_reps)


# --- every error path --------------------------------------------------------

def test_rejects_a_non_frame_and_too_few_rows(tiny):
    with pytest.raises(TypeError, match="DataFrame"):
        ope.ipw(tiny.to_dict(), **LOGGED)
    with pytest.raises(ValueError, match="no rows"):
        ope.ipw(tiny.iloc[:0], **LOGGED)
    for call in (lambda d: ope.ipw(d, **LOGGED),
                 lambda d: ope.dm(d, target_reward="v")):
        with pytest.raises(ValueError, match="at least 2"):
            call(tiny.iloc[:1])


@pytest.mark.parametrize("role", ["reward", "propensity", "target",
                                  "predicted_reward", "target_reward",
                                  "support"])
def test_missing_column_named(tiny, role):
    kw = {**LOGGED, **MODEL, role: "nope"}
    with pytest.raises(ValueError, match=f"{role} column 'nope' not found"):
        ope.dr(tiny, **kw)


def test_dm_missing_column(tiny):
    with pytest.raises(ValueError, match="target_reward column 'x'"):
        ope.dm(tiny, target_reward="x")
    with pytest.raises(TypeError, match="column name"):
        ope.dm(tiny, target_reward=3)


def test_a_column_in_two_roles(tiny):
    with pytest.raises(ValueError, match="both propensity and target"):
        ope.ipw(tiny, reward="click", propensity="p", target="p")
    with pytest.raises(ValueError, match="both target and support"):
        ope.snipw(tiny, **LOGGED, support="pi")
    with pytest.raises(ValueError, match="both predicted_reward and"):
        ope.dr(tiny, **LOGGED, predicted_reward="q", target_reward="q")


@pytest.mark.parametrize(("column", "value", "match"), [
    ("click", np.nan, "reward column 'click' has 1 missing"),
    ("click", np.inf, "reward column 'click' holds infinite"),
    ("q", np.nan, "predicted_reward column 'q' has 1 missing"),
    ("v", -np.inf, "target_reward column 'v' holds infinite"),
    ("p", np.nan, "propensity column 'p' has 1 missing"),
    ("pi", np.inf, "target column 'pi' holds infinite"),
])
@pytest.mark.parametrize("row", [1, 2])  # row 2 has weight 0
def test_non_finite_values_named(tiny, column, value, match, row):
    logs = tiny.astype(float)
    logs.loc[row, column] = value
    with pytest.raises(ValueError, match=match):
        ope.dr(logs, **LOGGED, **MODEL)


def test_missing_values_in_nullable_columns(tiny):
    logs = tiny.assign(click=pd.array([1, None, 1, 0], dtype="Int64"))
    with pytest.raises(ValueError, match="reward column 'click' has 1 "
                                         "missing"):
        ope.snipw(logs, **LOGGED)


def test_non_numeric_columns(tiny):
    with pytest.raises(ValueError, match="reward column 'click' must be "
                                         "numeric"):
        ope.ipw(tiny.assign(click=list("abcd")), **LOGGED)
    with pytest.raises(ValueError, match="target_reward column 'v' must"):
        ope.dm(tiny.assign(v=list("abcd")), target_reward="v")


@pytest.mark.parametrize("estimator", ["ipw", "snipw", "dr",
                                       "dr_shrinkage"])
@pytest.mark.parametrize(("column", "value", "match"), [
    ("p", 1.5, "propensity column 'p' must hold probabilities in "
               r"\[0, 1\]; found 1 value\(s\) such as \[1.5\]"),
    ("p", -0.2, "propensity column 'p' must hold probabilities"),
    ("p", 0.0, "propensity column 'p' is 0 on 1 row.*impossible for a "
               "logged action"),
    ("pi", 1.01, "target column 'pi' must hold probabilities"),
    ("pi", -0.01, "target column 'pi' must hold probabilities"),
])
def test_probabilities_checked(tiny, estimator, column, value, match):
    logs = tiny.copy()
    logs.loc[2, column] = value  # row 2 has target 0
    kw = {**LOGGED, **MODEL} if estimator.startswith("dr") else LOGGED
    if estimator == "dr_shrinkage":
        kw["shrinkage"] = 1.0
    with pytest.raises(ValueError, match=match):
        getattr(ope, estimator)(logs, **kw)


def test_zero_propensity_with_target_mass_explains_support(tiny):
    logs = tiny.assign(p=[0.5, 0.0, 0.0, 0.8])
    with pytest.raises(ValueError, match=r"is 0 on 1 row\(s\) where target "
                                         "column 'pi' is positive.*common "
                                         "support fails.*dm\\(\\)"):
        ope.dr(logs, **LOGGED, **MODEL)


def test_support_below_one_raises(tiny):
    logs = tiny.assign(s=[1.0, 0.7, 1.0, 0.9])
    with pytest.raises(ValueError, match=r"support column 's' is below 1 "
                                         r"on 2 row\(s\) \(as low as 0.7\)"
                                         ".*common support fails"):
        ope.ipw(logs, **LOGGED, support="s")


def test_support_out_of_range(tiny):
    logs = tiny.assign(s=[1.0, 1.2, 1.0, 1.0])
    with pytest.raises(ValueError, match="support column 's' must hold"):
        ope.snipw(logs, **LOGGED, support="s")


def test_snipw_all_zero_target(tiny):
    with pytest.raises(ValueError, match="0/0"):
        ope.snipw(tiny.assign(pi=0.0), **LOGGED)


def test_overflow_is_explained(tiny):
    logs = tiny.assign(p=[1e-310, 0.25, 0.5, 0.8], click=[1e300, 0, 1, 0])
    for estimator in (ope.ipw, ope.snipw):
        with pytest.raises(ValueError, match="overflow"):
            estimator(logs, **LOGGED)


@pytest.mark.parametrize(("alpha", "error"), [
    (0.0, ValueError), (1.0, ValueError), ("0.05", TypeError),
])
def test_bad_alpha(tiny, alpha, error):
    with pytest.raises(error, match="alpha"):
        ope.ipw(tiny, **LOGGED, alpha=alpha)
    with pytest.raises(error, match="alpha"):
        ope.dm(tiny, target_reward="v", alpha=alpha)


@pytest.mark.parametrize(("shrinkage", "error"), [
    (0.0, ValueError), (-1.0, ValueError), (np.nan, ValueError),
    ("1", TypeError), (True, TypeError), (None, TypeError),
])
def test_bad_shrinkage(tiny, shrinkage, error):
    with pytest.raises(error, match="shrinkage"):
        ope.dr_shrinkage(tiny, **LOGGED, **MODEL, shrinkage=shrinkage)


# --- adaptive_dr (adaptively collected logs) ---------------------------------

WEIGHTED = dict(LOGGED, **MODEL, weight="h")


def test_adaptive_dr_by_hand(tiny):
    # DR terms [1.4, -0.1, 0.5, 0.15] with weights [1, 1, 2, 0]:
    # (1.4 - 0.1 + 1.0) / 4 = 0.575.
    logs = tiny.assign(h=[1.0, 1.0, 2.0, 0.0])
    terms = np.array([1.4, -0.1, 0.5, 0.15])
    h = logs["h"].to_numpy()
    est = ope.adaptive_dr(logs, **WEIGHTED)
    se = np.sqrt((h**2 * (terms - 0.575) ** 2).sum()) / h.sum()
    check_estimate(est, 0.575, se)
    assert est.method.startswith("adaptively weighted DR")


def test_adaptive_dr_with_equal_weights_is_dr(tiny):
    # Identity: h = 1 gives the DR estimate; the standard error divides
    # by n instead of n - 1.
    dr = ope.dr(tiny, **LOGGED, **MODEL)
    for h in (1.0, 3.5):
        est = ope.adaptive_dr(tiny.assign(h=h), **WEIGHTED)
        assert est.estimate == pytest.approx(dr.estimate, rel=1e-12)
        assert est.std_error == pytest.approx(
            dr.std_error * np.sqrt(3 / 4), rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(logs_and_scale())
def test_adaptive_dr_ignores_a_rescaling_of_the_weights(case):
    logs, scale = case
    logs = logs.assign(q=logs["click"] / 2, v=logs["pi"],
                       h=np.linspace(0.1, 1.0, len(logs)))
    a = ope.adaptive_dr(logs, **WEIGHTED)
    b = ope.adaptive_dr(logs.assign(h=logs["h"] * scale), **WEIGHTED)
    assert b.estimate == pytest.approx(a.estimate, rel=1e-9, abs=1e-12)
    assert b.std_error == pytest.approx(a.std_error, rel=1e-9, abs=1e-12)


def test_adaptive_dr_is_consistent_on_simulated_logs(sims):
    logs, rep = sims
    logs = logs.assign(h=np.sqrt(logs["p"]))
    estimates = [ope.adaptive_dr(g, **WEIGHTED)
                 for _, g in logs.groupby(rep, sort=False)]
    mean, mc_se = _mean_and_mc_se(estimates)
    assert abs(mean - true_value()) < 4 * mc_se


def test_adaptive_dr_weights_checked(tiny):
    with pytest.raises(ValueError, match="weight column 'h' has 1 negative"):
        ope.adaptive_dr(tiny.assign(h=[1.0, -1.0, 1.0, 1.0]), **WEIGHTED)
    with pytest.raises(ValueError, match="weight column 'h' is 0 on every"):
        ope.adaptive_dr(tiny.assign(h=0.0), **WEIGHTED)
    with pytest.raises(ValueError, match="weight column 'h' has 1 missing"):
        ope.adaptive_dr(tiny.assign(h=[1.0, np.nan, 1.0, 1.0]), **WEIGHTED)
    with pytest.raises(ValueError, match="weight column 'h' not found"):
        ope.adaptive_dr(tiny, **WEIGHTED)
    with pytest.raises(ValueError, match="support column 's' is below 1"):
        ope.adaptive_dr(tiny.assign(h=1.0, s=0.5), **WEIGHTED, support="s")
    with pytest.raises(ValueError, match="propensity column 'p' is 0"):
        ope.adaptive_dr(tiny.assign(h=1.0, p=[0.5, 0.0, 0.5, 0.8]),
                        **WEIGHTED)
