"""uplift: curves, areas and uplift@k by hand, baselines, properties,
error paths, a learned score and the uplift plot (the meta-learners
themselves: test_metalearners.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from causal_lib.plotting import plot_uplift_curve  # noqa: E402
from causal_lib.uplift import (  # noqa: E402
    TLearner,  # re-exported from causal_lib.metalearners
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_auc,
    qini_curve,
    uplift_at_k,
    uplift_auc,
    uplift_curve,
)

COLS = dict(outcome="bought", treatment="coupon", score="score")
METRICS = [uplift_curve, qini_curve, uplift_auc, qini_auc, uplift_at_k]


def tiny() -> pd.DataFrame:
    """Six users; the two scored 0.8 tie (one control, one treated)."""
    return pd.DataFrame({
        "score": [0.9, 0.8, 0.8, 0.5, 0.3, 0.1],
        "coupon": [1, 0, 1, 1, 0, 0],
        "bought": [1, 0, 1, 1, 1, 0],
    })


def experiment(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A randomised coupon test whose effect grows with x (and harms x<0)."""
    x = rng.normal(size=n)
    t = rng.integers(0, 2, n)
    p = 1 / (1 + np.exp(-(-1 + 0.5 * x + 0.8 * t * x)))
    y = (rng.uniform(size=n) < p).astype(np.int64)
    return pd.DataFrame({"score": x, "coupon": t, "bought": y})


def reference_points(df: pd.DataFrame) -> pd.DataFrame:
    """Cumulative sums per distinct score with pandas, independently."""
    g = df.assign(
        t=df["coupon"], yt=df["bought"] * df["coupon"],
        yc=df["bought"] * (1 - df["coupon"]), one=1,
    ).groupby("score").sum()[["one", "t", "yt", "yc"]]
    g = g.sort_index(ascending=False).cumsum()
    out = pd.DataFrame({"n": g["one"], "nt": g["t"], "yt": g["yt"],
                        "yc": g["yc"]}).astype(float)
    out["nc"] = out["n"] - out["nt"]
    return pd.concat([pd.DataFrame([[0.0] * 5], columns=out.columns), out],
                     ignore_index=True)


def reference_uplift(p: pd.DataFrame) -> np.ndarray:
    mt = np.where(p.nt > 0, p.yt / p.nt.where(p.nt > 0, 1), 0)
    mc = np.where(p.nc > 0, p.yc / p.nc.where(p.nc > 0, 1), 0)
    return (mt - mc) * p.n.to_numpy()


def reference_qini(p: pd.DataFrame) -> np.ndarray:
    ratio = np.where(p.nc > 0, p.nt / p.nc.where(p.nc > 0, 1), 0)
    return (p.yt - p.yc * ratio).to_numpy()


# --- curves by hand ----------------------------------------------------------

def test_uplift_curve_by_hand():
    curve = uplift_curve(tiny(), **COLS)
    assert curve.columns.tolist() == [
        "threshold", "n", "n_treated", "n_control", "outcome_treated",
        "outcome_control", "uplift"]
    assert curve["threshold"].tolist() == [np.inf, 0.9, 0.8, 0.5, 0.3, 0.1]
    assert curve["n"].tolist() == [0, 1, 3, 4, 5, 6]
    assert curve["n_treated"].tolist() == [0, 1, 2, 3, 3, 3]
    assert curve["outcome_treated"].tolist() == [0, 1, 2, 3, 3, 3]
    assert curve["outcome_control"].tolist() == [0, 0, 0, 0, 1, 1]
    # k=1: control empty, its mean counts as 0: (1/1 - 0) * 1
    # k=3: (2/2 - 0/1) * 3; k=5: (3/3 - 1/2) * 5; k=6: (1 - 1/3) * 6
    assert curve["uplift"].tolist() == [0, 1, 3, 4, 2.5, 4]


def test_qini_curve_by_hand():
    curve = qini_curve(tiny(), **COLS)
    # y_t - y_c * n_t / n_c; control term 0 while n_c = 0
    # k=5: 3 - 1 * 3/2; k=6: 3 - 1 * 3/3
    assert curve["qini"].tolist() == [0, 1, 2, 3, 1.5, 2]
    assert curve["n"].tolist() == [0, 1, 3, 4, 5, 6]


def test_treated_only_prefix_follows_scikit_uplift():
    # A control unit first: the treated mean counts as 0 -> -y_c
    df = pd.DataFrame({"score": [3.0, 2.0, 1.0], "coupon": [0, 1, 0],
                       "bought": [1, 1, 0]})
    assert uplift_curve(df, **COLS)["uplift"].tolist() == [0, -1, 0, 1.5]
    assert qini_curve(df, **COLS)["qini"].tolist() == [0, 0, 0, 0.5]


def test_ties_enter_together():
    # All four tie: one point after the whole block (the random line)
    df = tiny().assign(score=1.0)
    curve = uplift_curve(df, **COLS)
    assert curve["n"].tolist() == [0, 6]
    assert curve["uplift"].tolist() == [0, 4]
    assert uplift_auc(df, **COLS, normalize=False) == 0.0
    assert qini_auc(df, **COLS) == 0.0
    # A tie of a treated responder and a control non-responder: no point
    # between them, whichever comes first in the rows
    swapped = tiny().iloc[[0, 2, 1, 3, 4, 5]]
    pd.testing.assert_frame_equal(uplift_curve(swapped, **COLS),
                                  uplift_curve(tiny(), **COLS))


def test_curves_match_independent_reference():
    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(5, 300))
        df = pd.DataFrame({
            "score": rng.integers(0, rng.integers(1, 20), n) / 4,
            "coupon": rng.integers(0, 2, n),
            "bought": rng.integers(0, 4, n) * 0.5,  # non-binary outcome too
        })
        df.loc[:1, "coupon"] = [0, 1]
        ref = reference_points(df)
        np.testing.assert_allclose(
            uplift_curve(df, **COLS)["uplift"], reference_uplift(ref),
            rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            qini_curve(df, **COLS)["qini"], reference_qini(ref),
            rtol=1e-12, atol=1e-12)


def test_scores_equal_but_for_their_last_bits():
    # The fast sort drops the low bits of the scores' keys; scores within a
    # few units in the last place must still be ordered exactly.
    rng = np.random.default_rng(1)
    n = 5_000
    base = 1.0 + rng.integers(0, 40, n) * np.finfo(float).eps
    df = pd.DataFrame({"score": np.concatenate([base, -base]),
                       "coupon": rng.integers(0, 2, 2 * n),
                       "bought": rng.integers(0, 2, 2 * n)})
    ref = reference_points(df)
    np.testing.assert_allclose(uplift_curve(df, **COLS)["uplift"],
                               reference_uplift(ref), rtol=1e-12)
    assert uplift_curve(df, **COLS)["threshold"].is_monotonic_decreasing


# --- end points, baselines and perfect curves --------------------------------

def test_end_points():
    df = experiment(2_000, np.random.default_rng(2))
    y, t = df["bought"], df["coupon"]
    diff = y[t == 1].mean() - y[t == 0].mean()
    u, q = uplift_curve(df, **COLS), qini_curve(df, **COLS)
    assert (u.iloc[0]["n"], u.iloc[0]["uplift"]) == (0, 0)
    assert u.iloc[-1]["n"] == len(df)
    assert u.iloc[-1]["uplift"] == pytest.approx(len(df) * diff, rel=1e-12)
    assert q.iloc[-1]["qini"] == pytest.approx(t.sum() * diff, rel=1e-12)


def test_random_baseline_is_the_unnormalised_zero():
    df = tiny()
    x, v = uplift_curve(df, **COLS)[["n", "uplift"]].to_numpy().T
    area = np.trapezoid(v, x)
    random = 6 * 4 / 2
    assert area == 14.5
    assert uplift_auc(df, **COLS, normalize=False) == area - random
    x, v = qini_curve(df, **COLS)[["n", "qini"]].to_numpy().T
    assert qini_auc(df, **COLS, normalize=False) == np.trapezoid(v, x) - 6


def test_perfect_curves_by_hand():
    df = tiny()
    # TR = 3, TN = 0, CR = 1, CN = 2: TR, CN, then CR (1 > 0)
    assert perfect_uplift_curve(df, outcome="bought", treatment="coupon") \
        .to_numpy().tolist() == [[0, 0], [3, 3], [5, 5], [6, 4]]
    # TR; TN + CN together; CR last
    assert perfect_qini_curve(df, outcome="bought", treatment="coupon") \
        .to_numpy().tolist() == [[0, 0], [3, 3], [5, 3], [6, 2]]
    # no negative effects: Q = 3 - 1 * 3 / 3 = 2 persuadables first
    assert perfect_qini_curve(
        df, outcome="bought", treatment="coupon", negative_effect=False
    ).to_numpy().tolist() == [[0, 0], [2, 2], [6, 2]]


def _oracle_uplift_score(df):
    """scikit-uplift's perfect ranking: TR, CN, then the larger of CR/TN."""
    y, t = df["bought"], df["coupon"]
    cr = ((y == 1) & (t == 0)).sum()
    tn = ((y == 0) & (t == 1)).sum()
    return 2 * (y == t) + (y if cr > tn else t)


@pytest.mark.parametrize("seed", range(6))
def test_perfect_curves_are_the_curves_of_the_oracle_ranking(seed):
    rng = np.random.default_rng(seed)
    df = experiment(int(rng.integers(20, 400)), rng)
    # tilt towards more control responders or treated non-responders
    df.loc[df.index[: len(df) // 3], "bought"] = seed % 2
    oracle = df.assign(score=_oracle_uplift_score(df))
    expected = uplift_curve(oracle, **COLS)
    perfect = perfect_uplift_curve(df, outcome="bought", treatment="coupon")
    np.testing.assert_allclose(perfect["n"], expected["n"])
    np.testing.assert_allclose(perfect["uplift"], expected["uplift"])
    assert uplift_auc(oracle, **COLS) == pytest.approx(1, abs=1e-12)
    oracle = df.assign(score=df["bought"] * (2 * df["coupon"] - 1))
    expected = qini_curve(oracle, **COLS)
    perfect = perfect_qini_curve(df, outcome="bought", treatment="coupon")
    np.testing.assert_allclose(perfect["n"], expected["n"])
    np.testing.assert_allclose(perfect["qini"], expected["qini"])
    assert qini_auc(oracle, **COLS) == pytest.approx(1, abs=1e-12)


def test_perfect_uplift_curve_runs_along_the_diagonal():
    df = experiment(1_000, np.random.default_rng(3))
    y, t = df["bought"], df["coupon"]
    perfect = perfect_uplift_curve(df, outcome="bought", treatment="coupon")
    tr, cn = ((y == 1) & (t == 1)).sum(), ((y == 0) & (t == 0)).sum()
    assert perfect["n"].tolist()[1:3] == [tr, tr + cn]
    assert perfect["uplift"].tolist()[1:3] == [tr, tr + cn]


# --- normalised areas --------------------------------------------------------

def test_areas_by_hand():
    df = tiny()
    # (14.5 - 12) / (17 - 12)
    assert uplift_auc(df, **COLS) == 0.5
    # Qini: model 10, random 6, perfect 13 -> 4 / 7
    assert qini_auc(df, **COLS) == pytest.approx(4 / 7, rel=1e-15)
    # perfect without negative effects: 2 + 8 = 10 -> 4 / 4
    assert qini_auc(df, **COLS, negative_effect=False) == 1.0


def test_random_score_has_area_near_zero():
    # The spread of the normalised areas of random scores is about 0.002 at
    # this size (measured over 200 draws); 0.01 is about 4.5 of those.
    rng = np.random.default_rng(11)
    df = experiment(200_000, rng)
    df["random"] = rng.uniform(size=len(df))
    cols = {**COLS, "score": "random"}
    assert abs(uplift_auc(df, **cols)) < 0.01
    assert abs(qini_auc(df, **cols)) < 0.01
    assert uplift_auc(df, **COLS) > 0.1  # the informative score


def test_reversed_score_is_worse_than_random():
    df = experiment(20_000, np.random.default_rng(4))
    flipped = df.assign(score=-df["score"])
    assert uplift_auc(flipped, **COLS) < 0 < uplift_auc(df, **COLS)
    assert qini_auc(flipped, **COLS) < 0 < qini_auc(df, **COLS)


def test_monotone_transformations_leave_everything_unchanged():
    df = experiment(3_000, np.random.default_rng(6))
    df["score"] = df["score"].round(1)  # with ties
    for transformed in (np.exp(df["score"]), 3 * df["score"] - 7,
                        np.arctan(df["score"])):
        other = df.assign(score=transformed)
        for f in (uplift_curve, qini_curve):
            a, b = f(df, **COLS), f(other, **COLS)
            pd.testing.assert_frame_equal(a.drop(columns="threshold"),
                                          b.drop(columns="threshold"))
        for f in (uplift_auc, qini_auc, uplift_at_k):
            assert f(other, **COLS) == f(df, **COLS)


def test_scaling_the_outcome_scales_curves_and_raw_areas():
    df = experiment(500, np.random.default_rng(7))
    scaled = df.assign(bought=2.5 * df["bought"])
    np.testing.assert_allclose(uplift_curve(scaled, **COLS)["uplift"],
                               2.5 * uplift_curve(df, **COLS)["uplift"])
    assert qini_auc(scaled, **COLS, normalize=False) == pytest.approx(
        2.5 * qini_auc(df, **COLS, normalize=False), rel=1e-12)
    assert uplift_at_k(scaled, **COLS) == pytest.approx(
        2.5 * uplift_at_k(df, **COLS), rel=1e-12)


def test_continuous_outcome_unnormalised_area():
    df = tiny().assign(bought=[10.0, 0.0, 6.0, 2.0, 4.0, 0.0])
    curve = uplift_curve(df, **COLS)
    # k = 3: (16/2 - 0/1) * 3 = 24; end: (18/3 - 4/3) * 6 = 28
    assert curve["uplift"].tolist()[2] == 24
    assert curve["uplift"].iloc[-1] == pytest.approx(28)
    area = np.trapezoid(curve["uplift"], curve["n"])
    assert uplift_auc(df, **COLS, normalize=False) == pytest.approx(
        area - 6 * 28 / 2)


# --- uplift at k -------------------------------------------------------------

def test_uplift_at_k_by_hand():
    df = tiny()
    assert uplift_at_k(df, **COLS, k=0.5) == 1.0  # 2/2 - 0/1
    assert uplift_at_k(df, **COLS, k=5 / 6) == 0.5  # 3/3 - 1/2
    # k = 1 is the difference in means: 3/3 - 1/3
    assert uplift_at_k(df, **COLS, k=1) == pytest.approx(2 / 3)
    # by group: top floor(0.67 * 3) = 2 of each arm
    # treated 0.9, 0.8 -> 1; control 0.8 (0), 0.3 (1) -> 0.5
    assert uplift_at_k(df, **COLS, k=0.67, strategy="by_group") == 0.5


def test_uplift_at_k_shares_ties_at_the_cut():
    # Top 3 of 6: 0.9 (treated, 1) and a tie of four at 0.5 sharing the two
    # remaining places, half a unit each.
    df = pd.DataFrame({"score": [0.9, 0.5, 0.5, 0.5, 0.5, 0.1],
                       "coupon": [1, 1, 0, 0, 1, 0],
                       "bought": [1, 0, 1, 0, 1, 0]})
    # treated: (1 + 0.5*0 + 0.5*1) / 2; control: (0.5*1 + 0.5*0) / 1
    assert uplift_at_k(df, **COLS, k=0.5) == pytest.approx(0.75 - 0.5)
    for order in ([5, 4, 3, 2, 1, 0], [2, 0, 4, 1, 5, 3]):
        assert uplift_at_k(df.iloc[order], **COLS, k=0.5) == \
            pytest.approx(0.25)


def test_uplift_at_k_floor_is_robust_to_rounding():
    # 0.29 * 100 = 28.999999999999996 in floating point; 29 units are meant
    df = pd.DataFrame({"score": np.arange(100.0)[::-1],
                       "coupon": [1, 0] * 50,
                       "bought": [1] * 29 + [0] * 71})
    # top 29: 15 treated, 14 control, all responders -> 0; unit 30 would be
    # a control non-responder
    assert uplift_at_k(df, **COLS, k=0.29) == 0.0
    assert uplift_at_k(df, **COLS, k=0.30) == pytest.approx(1 - 14 / 15)


# --- properties --------------------------------------------------------------

@st.composite
def small_experiments(draw):
    n = draw(st.integers(4, 40))
    scores = draw(st.lists(st.sampled_from([-1.5, 0.0, 0.25, 2.0, 7.0]),
                           min_size=n, max_size=n))
    treated = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    treated[:2] = [0, 1]
    bought = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    bought[:2] = [1, 1]
    perm = draw(st.permutations(range(n)))
    df = pd.DataFrame({"score": scores, "coupon": treated, "bought": bought})
    return df, df.iloc[list(perm)]


@settings(max_examples=60, deadline=None)
@given(small_experiments())
def test_row_order_does_not_matter(pair):
    df, shuffled = pair
    for f in (uplift_curve, qini_curve):
        pd.testing.assert_frame_equal(f(df, **COLS), f(shuffled, **COLS))
    for f in (uplift_auc, qini_auc):
        try:
            expected = f(df, **COLS)
        except ValueError:  # perfect curve not above random: both raise
            with pytest.raises(ValueError):
                f(shuffled, **COLS)
            continue
        assert f(shuffled, **COLS) == pytest.approx(expected, abs=1e-12)
    for strategy in ("overall", "by_group"):
        try:
            expected = uplift_at_k(df, **COLS, k=0.5, strategy=strategy)
        except ValueError:
            continue
        assert uplift_at_k(shuffled, **COLS, k=0.5, strategy=strategy) == \
            pytest.approx(expected, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(small_experiments())
def test_curves_end_at_the_difference_in_means(pair):
    df, _ = pair
    y, t = df["bought"], df["coupon"]
    diff = y[t == 1].mean() - y[t == 0].mean()
    assert uplift_curve(df, **COLS)["uplift"].iloc[-1] == pytest.approx(
        len(df) * diff, abs=1e-9)
    assert qini_curve(df, **COLS)["qini"].iloc[-1] == pytest.approx(
        t.sum() * diff, abs=1e-9)


# --- errors and inputs -------------------------------------------------------

@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("role", ["outcome", "treatment", "score"])
def test_missing_column_is_named(metric, role):
    with pytest.raises(ValueError, match=rf"{role} column 'nope' not found"):
        metric(tiny(), **{**COLS, role: "nope"})


@pytest.mark.parametrize("metric", METRICS)
def test_bad_inputs_are_named(metric):
    with pytest.raises(ValueError, match="'coupon' must be 0/1"):
        metric(tiny().assign(coupon=[2, 0, 1, 1, 0, 0]), **COLS)
    for column in ("score", "bought"):
        df = tiny()
        df.loc[3, column] = np.nan
        with pytest.raises(ValueError, match=f"'{column}' has 1 missing"):
            metric(df, **COLS)
    with pytest.raises(ValueError, match="'bought' holds infinite"):
        metric(tiny().assign(bought=[1, 0, np.inf, 1, 1, 0]), **COLS)
    with pytest.raises(ValueError, match=r"'coupon' has 0 control \(0\)"):
        metric(tiny().assign(coupon=1), **COLS)
    with pytest.raises(ValueError, match="'score' must be numeric"):
        metric(tiny().assign(score=list("abcdef")), **COLS)
    with pytest.raises(ValueError, match="no rows"):
        metric(tiny().iloc[:0], **COLS)
    with pytest.raises(TypeError, match="DataFrame"):
        metric(tiny().to_dict(), **COLS)


@pytest.mark.parametrize("k", [0, -0.1, 1.5, np.nan, "0.3", True])
def test_k_outside_the_unit_interval(k):
    with pytest.raises(ValueError, match=r"k must be a share .* \(0, 1\]"):
        uplift_at_k(tiny(), **COLS, k=k)


def test_uplift_at_k_errors():
    with pytest.raises(ValueError, match="strategy must be"):
        uplift_at_k(tiny(), **COLS, strategy="top")
    with pytest.raises(ValueError, match="selects none"):
        uplift_at_k(tiny(), **COLS, k=0.1)  # 0.6 units
    with pytest.raises(ValueError, match="selects none"):
        uplift_at_k(tiny(), **COLS, k=0.2, strategy="by_group")
    # the top unit is treated: no control among the top 1/6
    with pytest.raises(ValueError, match=r"'coupon' has no control \(0\)"):
        uplift_at_k(tiny(), **COLS, k=1 / 6)


def test_normalised_area_needs_a_binary_outcome():
    df = tiny().assign(bought=[1.0, 0, 2, 1, 1, 0])
    for f in (uplift_auc, qini_auc):
        with pytest.raises(ValueError, match="'bought' must be 0/1"):
            f(df, **COLS)
        assert np.isfinite(f(df, **COLS, normalize=False))
    for f in (perfect_uplift_curve, perfect_qini_curve):
        with pytest.raises(ValueError, match="'bought' must be 0/1"):
            f(df, outcome="bought", treatment="coupon")


def test_undefined_normalisations():
    with pytest.raises(ValueError, match="does not rise above the random"):
        uplift_auc(tiny().assign(bought=0), **COLS)
    # negative overall effect: no perfect curve without negative effects
    harmful = tiny().assign(bought=[0, 1, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="positive overall effect"):
        qini_auc(harmful, **COLS, negative_effect=False)
    with pytest.raises(TypeError, match="negative_effect"):
        qini_auc(tiny(), **COLS, negative_effect="yes")


@pytest.mark.parametrize("metric", METRICS + [perfect_uplift_curve])
def test_inputs_are_not_modified(metric):
    df = tiny().assign(score=[0.9, 0.8, 0.8, -0.5, 0.3, 0.1],
                       coupon=[True, False, True, True, False, False])
    before = df.copy()
    kw = dict(COLS) if metric is not perfect_uplift_curve else \
        dict(outcome="bought", treatment="coupon")
    if metric is uplift_at_k:
        kw["k"] = 0.5
    metric(df, **kw)
    pd.testing.assert_frame_equal(df, before)


# --- a learned score, ranked (the learners: test_metalearners.py) ----------

def test_a_learned_score_ranks_better_than_random():
    rng = np.random.default_rng(13)
    train, test = experiment(20_000, rng), experiment(20_000, rng)
    learner = TLearner(LogisticRegression()).fit(
        train[["score"]], train["bought"], treatment=train["coupon"])
    test["tau_hat"] = learner.predict(test[["score"]])
    assert uplift_auc(test, **{**COLS, "score": "tau_hat"}) > 0.1


# --- the plot ----------------------------------------------------------------

def test_plot_uplift_curve():
    df = experiment(2_000, np.random.default_rng(14))
    df["random"] = np.random.default_rng(15).uniform(size=len(df))
    df["effect"] = df["score"]  # stands in for a known true effect
    ax = plot_uplift_curve(df, outcome="bought", treatment="coupon",
                           score=["score", "random"], truth="effect")
    labels = [line.get_label() for line in ax.get_lines()]
    area = uplift_auc(df, **COLS)
    assert labels[0] == f"score (AUUC {area:.2f})"
    assert labels[2].startswith("ranked by true effect")
    assert labels[-2:] == ["random", "perfect"]
    x, v = ax.get_lines()[-2].get_data()
    assert x[-1] == len(df)
    assert v[-1] == pytest.approx(uplift_curve(df, **COLS)["uplift"].iloc[-1])
    plt.close("all")
    ax = plot_uplift_curve(df.assign(bought=df["bought"] * 3.5),
                           outcome="bought", treatment="coupon",
                           score="score", kind="qini")
    assert [line.get_label() for line in ax.get_lines()] == [
        "score", "random"]  # no perfect curve for a non-0/1 outcome
    assert "qini" in ax.get_ylabel()
    plt.close("all")
    with pytest.raises(ValueError, match="kind must be"):
        plot_uplift_curve(df, outcome="bought", treatment="coupon",
                          score="score", kind="gain")
    with pytest.raises(ValueError, match="score is empty"):
        plot_uplift_curve(df, outcome="bought", treatment="coupon",
                          score=[])
    plt.close("all")
