"""dml: Frisch-Waugh-Lovell, recovery, errors, properties, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from causal_lib import EffectEstimate
from causal_lib._checks import PositivityWarning
from causal_lib.dml import ESTIMAND, dml, partialling_out

COVARIATES = ["age", "visits", "tenure"]
# The correctly specified basis for plm() below.
BASIS = "age + visits + tenure + I(age**2) + I(visits**2) + age:visits"


def plm(n: int, rng: np.random.Generator, theta: float = 1.5,
        binary: bool = False) -> pd.DataFrame:
    """Partially linear model, polynomial confounding in age and visits."""
    age = rng.normal(size=n)
    visits = rng.normal(size=n)
    tenure = rng.normal(size=n)
    m = 0.5 * age + 0.5 * visits**2 - 0.5
    if binary:
        t = rng.binomial(1, 1 / (1 + np.exp(-m)))
    else:
        t = m + rng.normal(size=n)
    g = age**2 + age * visits + 0.5 * tenure
    y = theta * t + g + rng.normal(size=n)
    return pd.DataFrame({"age": age, "visits": visits, "tenure": tenure,
                         "slots": t, "minutes": y})


def nonlinear_plm(n: int, rng: np.random.Generator, theta: float = 1.5):
    """Confounding no polynomial of low degree captures."""
    X = rng.uniform(-2, 2, size=(n, 3))
    m = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2
    g = 2 * np.cos(X[:, 0]) + X[:, 1] ** 2 + np.abs(X[:, 2])
    t = m + rng.normal(size=n)
    y = theta * t + g + rng.normal(size=n)
    return pd.DataFrame({"age": X[:, 0], "visits": X[:, 1],
                         "tenure": X[:, 2], "slots": t, "minutes": y})


def fit(df, **kw):
    kw.setdefault("covariates", COVARIATES)
    return dml(df, treatment="slots", outcome="minutes", **kw)


def tiny() -> pd.DataFrame:
    return plm(40, np.random.default_rng(0)).assign(
        platform=["ios", "android"] * 20
    )


# --- hand-computed ----------------------------------------------------------

def test_partialling_out_by_hand():
    # sum v*y = 2 + 2 + 0 = 4, sum v^2 = 2 -> theta = 2;
    # scores v*(y - 2v) = 0, 0, 0 -> se = 0
    theta, se = partialling_out([2.0, -2.0, 1.0], [1.0, -1.0, 0.0])
    assert (theta, se) == (2.0, 0.0)
    theta, se = partialling_out([1.0, 0.0, 2.0], [1.0, 1.0, 2.0])
    # theta = (1 + 0 + 4) / 6; scores v*(y - theta v)
    v, y = np.array([1.0, 1, 2]), np.array([1.0, 0, 2])
    assert theta == pytest.approx(5 / 6)
    score = v * (y - 5 / 6 * v)
    assert se == pytest.approx(np.sqrt(np.sum(score**2)) / 6)


def test_partialling_out_bad_residuals():
    with pytest.raises(ValueError, match="equal length"):
        partialling_out([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="zero everywhere"):
        partialling_out([1.0, 2.0], [0.0, 0.0])


# --- Frisch-Waugh-Lovell: no splitting + OLS learners = OLS -----------------

@pytest.mark.parametrize("covariates, formula", [
    (COVARIATES, "age + visits + tenure"),
    ("age + visits + C(platform)", "age + visits + C(platform)"),
    (["age", "platform"], "age + C(platform)"),
])
def test_fwl_identity_equals_ols_coefficient_and_hc0_se(covariates, formula):
    df = plm(300, np.random.default_rng(1)).assign(
        platform=lambda d: np.where(d["age"] > 0.3, "ios", "android")
    )
    ols = smf.ols(f"minutes ~ slots + {formula}", data=df).fit(
        cov_type="HC0"
    )
    est = fit(df, covariates=covariates, n_folds=1)
    assert est.estimate == pytest.approx(ols.params["slots"], abs=1e-10)
    assert est.std_error == pytest.approx(ols.bse["slots"], abs=1e-10)
    assert "no sample splitting" in est.method


def test_fwl_identity_through_a_pipeline():
    df = plm(300, np.random.default_rng(2))
    ols = smf.ols("minutes ~ slots + age + visits + tenure", data=df).fit()
    est = fit(df, n_folds=1, outcome_learner=make_pipeline(LinearRegression()),
              treatment_learner=make_pipeline(LinearRegression()))
    assert est.estimate == pytest.approx(ols.params["slots"], abs=1e-10)


@pytest.mark.parametrize("covariates", [COVARIATES, BASIS])
@pytest.mark.parametrize("n_folds", [2, 5])
def test_pipeline_equals_bare_linear_regression(covariates, n_folds):
    df = plm(500, np.random.default_rng(3))
    fast = fit(df, covariates=covariates, n_folds=n_folds, rng=7)
    slow = fit(df, covariates=covariates, n_folds=n_folds, rng=7,
               outcome_learner=make_pipeline(LinearRegression()),
               treatment_learner=make_pipeline(LinearRegression()))
    assert fast.estimate == pytest.approx(slow.estimate, abs=1e-10)
    assert fast.std_error == pytest.approx(slow.std_error, abs=1e-10)


def test_cross_fitting_by_hand():
    df = plm(200, np.random.default_rng(4))
    est = fit(df, n_folds=2, rng=0, covariates=["age", "visits"])
    # The same folds, drawn the way dml draws them: a shuffled KFold
    # seeded by one draw from the generator.
    seed = int(np.random.default_rng(0).integers(2**32))
    folds = KFold(2, shuffle=True, random_state=seed).split(df)
    X = df[["age", "visits"]].to_numpy()
    res = {col: df[col].to_numpy().copy() for col in ("minutes", "slots")}
    for train, test in folds:
        for col in res:
            model = LinearRegression().fit(X[train], df[col].iloc[train])
            res[col][test] -= model.predict(X[test])
    theta = res["slots"] @ res["minutes"] / (res["slots"] @ res["slots"])
    assert est.estimate == pytest.approx(theta, abs=1e-12)


# --- recovery of the truth --------------------------------------------------

def test_recovers_theta_with_correct_basis_and_linear_learners():
    est = fit(plm(3_000, np.random.default_rng(10)), covariates=BASIS, rng=1)
    assert abs(est.estimate - 1.5) < 4 * est.std_error
    assert est.std_error < 0.05
    assert (est.estimand, est.n) == ("PLR θ (variance-weighted)", 3_000)
    assert est.estimand == ESTIMAND


def test_recovers_theta_with_binary_treatment():
    df = plm(3_000, np.random.default_rng(11), binary=True)
    est = fit(df, covariates=BASIS, rng=1)
    assert abs(est.estimate - 1.5) < 4 * est.std_error
    assert est.n_treated == int(df["slots"].sum())


def test_classifier_for_binary_treatment_uses_probabilities():
    df = plm(2_000, np.random.default_rng(12), binary=True)
    # True propensities reach 0.996 here: the overlap check says so (how
    # many units depends on the random folds: 3 with stratified folds).
    with pytest.warns(PositivityWarning,
                      match="within 0.01 of 1 for 3 treated and 0 control"):
        est = fit(df, covariates=BASIS, rng=1,
                  treatment_learner=LogisticRegression())
    assert abs(est.estimate - 1.5) < 4 * est.std_error
    assert "treatment LogisticRegression" in est.method


def test_random_forests_remove_bias_that_linear_learners_leave():
    df = nonlinear_plm(1_000, np.random.default_rng(13))

    def forest():
        return RandomForestRegressor(n_estimators=40, min_samples_leaf=10,
                                     random_state=0, n_jobs=1)

    flexible = fit(df, outcome_learner=forest(), treatment_learner=forest(),
                   rng=1)
    linear = fit(df, rng=1)
    assert abs(flexible.estimate - 1.5) < 4 * flexible.std_error
    assert abs(linear.estimate - 1.5) > 4 * linear.std_error
    assert "RandomForestRegressor" in flexible.method


def test_heterogeneous_effects_give_variance_weighted_average():
    # Three user segments with propensities 0.1, 0.5, 0.9 and effects
    # 0, 1, 4: the ATE is 5/3, but DML weights segments by e(1 - e).
    rng = np.random.default_rng(14)
    n = 30_000
    segment = rng.integers(0, 3, n)
    e = np.array([0.1, 0.5, 0.9])[segment]
    tau = np.array([0.0, 1.0, 4.0])[segment]
    t = rng.binomial(1, e)
    df = pd.DataFrame({"segment": segment, "slots": t,
                       "minutes": segment + tau * t + rng.normal(size=n)})
    est = fit(df, covariates="C(segment)", rng=1)
    w = np.array([0.09, 0.25, 0.09])
    weighted = w @ np.array([0.0, 1.0, 4.0]) / w.sum()
    assert abs(est.estimate - weighted) < 4 * est.std_error
    assert abs(est.estimate - 5 / 3) > 4 * est.std_error


def test_many_covariates():
    rng = np.random.default_rng(15)
    n, p = 2_000, 50
    X = rng.normal(size=(n, p))
    t = X[:, :5].sum(axis=1) + rng.normal(size=n)
    y = 2 * t + X[:, 5:15].sum(axis=1) + rng.normal(size=n)
    names = [f"x{i}" for i in range(p)]
    df = pd.DataFrame(X, columns=names).assign(slots=t, minutes=y)
    est = fit(df, covariates=names, rng=1)
    assert abs(est.estimate - 2.0) < 4 * est.std_error


# --- folds, seeds and repeats ----------------------------------------------

def test_same_seed_same_estimate_other_seed_other_estimate():
    df = plm(500, np.random.default_rng(20))
    a, b = fit(df, rng=3), fit(df, rng=3)
    assert a == b
    assert fit(df, rng=np.random.default_rng(3)) == a
    assert fit(df, rng=4).estimate != a.estimate


def test_repeats_take_the_median_and_widen_by_split_spread():
    df = plm(500, np.random.default_rng(21))
    est = fit(df, n_repeats=3, rng=np.random.default_rng(8))
    # dml draws one fold assignment per repeat from the generator, so three
    # single runs sharing one generator see the same three splits.
    shared = np.random.default_rng(8)
    runs = [fit(df, rng=shared) for _ in range(3)]
    thetas = np.array([r.estimate for r in runs])
    ses = np.array([r.std_error for r in runs])
    median = np.median(thetas)
    assert est.estimate == pytest.approx(median, abs=1e-12)
    assert est.std_error == pytest.approx(
        np.sqrt(np.median(ses**2 + (thetas - median) ** 2)), abs=1e-12
    )
    assert "3 repeats" in est.method


def test_learners_passed_in_are_not_fitted():
    outcome_learner, treatment_learner = LinearRegression(), \
        make_pipeline(LinearRegression())
    fit(tiny(), outcome_learner=outcome_learner,
        treatment_learner=treatment_learner, rng=0)
    for learner in (outcome_learner, treatment_learner):
        with pytest.raises(NotFittedError):
            check_is_fitted(learner)


class MinimalMean:
    """Not scikit-learn: just fit/predict (predicts the training mean)."""

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_any_object_with_fit_and_predict_is_a_learner():
    df = tiny()
    est = fit(df, outcome_learner=MinimalMean(),
              treatment_learner=MinimalMean(), n_folds=1)
    t, y = df["slots"], df["minutes"]
    slope = np.cov(t, y, bias=True)[0, 1] / t.var(ddof=0)
    assert est.estimate == pytest.approx(slope, rel=1e-10)


def test_leave_one_out_folds_allowed():
    df = tiny()
    est = fit(df, n_folds=len(df), rng=0)
    assert np.isfinite(est.estimate)


def test_continuous_treatment_counts_nonzero_as_treated():
    df = tiny().assign(slots=lambda d: np.where(d["age"] > 0, d["slots"], 0))
    est = fit(df, rng=0)
    assert est.n_treated == int((df["slots"] != 0).sum())


@pytest.mark.parametrize("kind", ["bool", "int8", "float32"])
def test_treatment_dtypes(kind):
    df = plm(200, np.random.default_rng(22), binary=True)
    base = fit(df, rng=0)
    assert fit(df.astype({"slots": kind}), rng=0).estimate == \
        pytest.approx(base.estimate, abs=1e-10)


# --- bad input --------------------------------------------------------------

@pytest.mark.parametrize(
    "change, kw, message",
    [
        (lambda d: d.drop(columns="minutes"), {},
         "outcome column 'minutes' not found"),
        (lambda d: d.drop(columns="slots"), {},
         "treatment column 'slots' not found"),
        (lambda d: d.drop(columns="age"), {},
         "covariate column 'age' not found"),
        (lambda d: d, {"covariates": "age + shoe_size"},
         "covariate column 'shoe_size' not found"),
        (lambda d: d.assign(slots=d["slots"].where(d.index != 3)), {},
         "treatment column 'slots' has 1 missing"),
        (lambda d: d.assign(minutes=d["minutes"].where(d.index != 3)), {},
         "outcome column 'minutes' has 1 missing"),
        (lambda d: d.assign(age=d["age"].where(d.index != 3)), {},
         "covariate column 'age' has 1 missing"),
        (lambda d: d.assign(slots=d["slots"].replace(d["slots"][0], np.inf)),
         {}, "treatment column 'slots' holds infinite"),
        (lambda d: d.assign(minutes=np.inf), {},
         "outcome column 'minutes' holds infinite"),
        (lambda d: d.assign(age=-np.inf), {},
         "covariate column 'age' holds infinite"),
        (lambda d: d.assign(slots=d["platform"]), {},
         "treatment column 'slots' must be numeric"),
        (lambda d: d.assign(minutes=d["platform"]), {},
         "outcome column 'minutes' must be numeric"),
        (lambda d: d.assign(slots=3.0), {},
         "treatment column 'slots' is constant"),
        (lambda d: d, {"covariates": ["age", "slots"]},
         "treatment column 'slots' is also among the covariates"),
        (lambda d: d, {"covariates": "age + minutes"},
         "outcome column 'minutes' is also among the covariates"),
        (lambda d: d.assign(copy=d["slots"]), {"covariates": ["age", "copy"]},
         "treatment column 'slots' has no variation left"),
        (lambda d: d, {"covariates": "1"}, "no columns besides an intercept"),
        (lambda d: d, {"covariates": []}, "covariates is empty"),
        (lambda d: d.iloc[:0], {}, "df has no rows"),
        (lambda d: d, {"n_folds": 0}, "n_folds must be between 1 and 40"),
        (lambda d: d, {"n_folds": 41}, "n_folds must be between 1 and 40"),
        (lambda d: d.assign(tenure=1.0), {},
         "covariate column 'tenure' is constant"),
        (lambda d: d.assign(twice=2 * d["age"]),
         {"covariates": ["age", "visits", "twice"]},
         r"covariate column\(s\) '(age|twice)' are collinear"),
        (lambda d: d, {"covariates": "C(platform, Treatment) - 1 + age"},
         "collinear"),
        (lambda d: d, {"n_repeats": 0}, "n_repeats must be at least 1"),
        (lambda d: d, {"n_repeats": 2, "n_folds": 1}, "n_repeats > 1 needs"),
        (lambda d: d, {"alpha": 0.0}, "alpha"),
        (lambda d: d, {"treatment_learner": LogisticRegression()},
         "classifier but column 'slots' is not 0/1"),
    ],
)
def test_bad_input_raises_value_error(change, kw, message):
    with pytest.raises(ValueError, match=message):
        fit(change(tiny()), **kw)


class FitOnly(BaseEstimator, RegressorMixin):
    def fit(self, X, y):
        return self


@pytest.mark.parametrize("role", ["outcome_learner", "treatment_learner"])
@pytest.mark.parametrize("learner, message", [
    (object(), "lacks fit and predict"),
    (FitOnly(), "lacks predict"),
    (LinearRegression, "is a class, not an instance"),
    ("ols", "lacks fit and predict"),
])
def test_learner_without_fit_predict_raises_type_error(role, learner,
                                                       message):
    with pytest.raises(TypeError, match=f"{role} must be .* {message}"):
        fit(tiny(), **{role: learner})


# --- overlap of a classifier's propensities ---------------------------------

class ExactPropensity(ClassifierMixin, BaseEstimator):
    """Scores 1 for age > 1, where controls exist, and 1/2 elsewhere."""

    def fit(self, X, y):
        self.classes_ = np.array([0.0, 1.0])
        return self

    def predict_proba(self, X):
        e = np.where(X[:, 0] > 1, 1.0, 0.5)
        return np.column_stack([1 - e, e])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(float)


@pytest.mark.parametrize("n_folds", [1, 2])
def test_classifier_propensity_of_exactly_1_raises(n_folds):
    df = plm(400, np.random.default_rng(23), binary=True)
    assert ((df["age"] > 1) & (df["slots"] == 0)).any()
    with pytest.raises(ValueError, match="propensity is exactly 1 for"):
        fit(df, treatment_learner=ExactPropensity(), n_folds=n_folds, rng=0)


def test_logistic_propensity_on_separated_data_raises():
    df = plm(400, np.random.default_rng(24)).assign(
        slots=lambda d: (d["age"] + d["visits"] > 0).astype(int))
    with pytest.raises(ValueError, match="quasi-complete separation on "
                       r"covariates \['age', 'visits', 'tenure'\]"):
        fit(df, treatment_learner=LogisticRegression(), rng=0)


@pytest.mark.parametrize("kw, message", [
    ({"n_folds": 2.0}, "n_folds must be an integer"),
    ({"n_folds": True}, "n_folds must be an integer"),
    ({"n_repeats": 1.5}, "n_repeats must be an integer"),
    ({"rng": "seven"}, "rng must be a seed"),
    ({"outcome_learner": MinimalMean()}, "outcome_learner .* no get_params"),
])
def test_wrong_types_raise_type_error(kw, message):
    with pytest.raises(TypeError, match=message):
        fit(tiny(), **kw)


def test_treatment_and_outcome_are_distinct():
    with pytest.raises(ValueError, match="'minutes' is given as both"):
        dml(tiny(), treatment="minutes", outcome="minutes",
            covariates=["age"])


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        dml(tiny().to_dict(), treatment="slots", outcome="minutes",
            covariates=COVARIATES)


def test_input_is_not_modified():
    df = tiny()
    before = df.copy(deep=True)
    fit(df, covariates="age + visits + C(platform)", rng=0)
    fit(df, covariates=["age", "platform"], n_folds=1)
    pd.testing.assert_frame_equal(df, before)


def test_returns_frozen_estimate():
    est = fit(tiny(), rng=0)
    assert isinstance(est, EffectEstimate)
    with pytest.raises(AttributeError):
        est.estimate = 0.0


# --- properties -------------------------------------------------------------

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=40, deadline=None)
@given(seeds, st.floats(-1e4, 1e4))
def test_shifting_outcome_leaves_effect_unchanged(seed, c):
    df = plm(60, np.random.default_rng(seed))
    base = fit(df, rng=seed)
    moved = fit(df.assign(minutes=df["minutes"] + c), rng=seed)
    assert moved.estimate == pytest.approx(base.estimate, abs=1e-8)
    assert moved.std_error == pytest.approx(base.std_error, abs=1e-8)


@settings(max_examples=40, deadline=None)
@given(seeds, st.floats(1e-3, 1e3))
def test_scaling_outcome_scales_effect(seed, k):
    df = plm(60, np.random.default_rng(seed))
    base = fit(df, rng=seed)
    scaled = fit(df.assign(minutes=df["minutes"] * k), rng=seed)
    assert scaled.estimate == pytest.approx(k * base.estimate, rel=1e-8,
                                            abs=1e-10)
    assert scaled.std_error == pytest.approx(k * base.std_error, rel=1e-8)


@settings(max_examples=30, deadline=None)
@given(seeds, st.randoms(use_true_random=False))
def test_row_order_does_not_matter_without_splitting(seed, random):
    df = plm(60, np.random.default_rng(seed))
    order = list(range(len(df)))
    random.shuffle(order)
    base, shuffled = fit(df, n_folds=1), fit(df.iloc[order], n_folds=1)
    assert shuffled.estimate == pytest.approx(base.estimate, abs=1e-10)
    assert shuffled.std_error == pytest.approx(base.std_error, abs=1e-10)


# --- coverage (slow) --------------------------------------------------------

@pytest.mark.slow
def test_interval_covers_theta_in_95_percent_of_simulations():
    rng = np.random.default_rng(20261128)
    reps = 500
    hits = sum(
        fit(plm(1_000, rng), covariates=BASIS, rng=rng).covers(1.5)
        for _ in range(reps)
    )
    assert 0.93 <= hits / reps <= 0.97


# --- review fixes -----------------------------------------------------------

def separated_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = (x > 0).astype(int)
    return pd.DataFrame({"x": x, "t": t, "y": x + t + rng.normal(size=n)})


# Bug: only a bare LogisticRegression was checked; the standard pipeline
# on separated data only warned and returned 0.05.
def test_logistic_pipeline_on_separated_data_raises():
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(ValueError, match=r"separation on covariates \['x'\]"):
        dml(separated_frame(), treatment="t", outcome="y", covariates=["x"],
            treatment_learner=make_pipeline(StandardScaler(),
                                            LogisticRegression()), rng=0)


class Certain(ClassifierMixin, BaseEstimator):
    """Predicts the treatment with certainty where x > 0."""

    def fit(self, X, t):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        e = np.where(np.asarray(X)[:, 0] > 0, 1.0, 0.5)
        return np.column_stack([1 - e, e])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def test_certain_classifier_names_the_covariates():
    df = separated_frame().assign(t=lambda d: (d.x > 0.3).astype(int))
    with pytest.raises(ValueError, match=r"exactly 1 for .*predicts "
                       r"treatment with certainty \(separation\?\) on "
                       r"covariates \['x'\]"):
        dml(df, treatment="t", outcome="y", covariates=["x"],
            treatment_learner=Certain(), rng=0)


# Bug: plain KFold left a training fold without treated units (3 of 100):
# a misleading overlap error.
def test_binary_treatment_folds_are_stratified():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.normal(size=100)})
    df["t"] = 0
    df.loc[[3, 50, 97], "t"] = 1
    df["y"] = df.x + df.t + rng.normal(size=100)
    # Legitimately near 0 for some: 3 treated units of 100.
    with pytest.warns(PositivityWarning):
        est = dml(df, treatment="t", outcome="y", covariates=["x"],
                  n_folds=3, rng=0, treatment_learner=LogisticRegression())
    assert np.isfinite(est.estimate)
    with pytest.raises(ValueError, match="only 3 unit.*fewer than "
                       "n_folds=5.*lower n_folds"):
        dml(df, treatment="t", outcome="y", covariates=["x"], n_folds=5,
            rng=0, treatment_learner=LogisticRegression())


def test_string_treatment_message_has_the_recode_hint():
    df = separated_frame().assign(t=lambda d: np.where(d.t, "a", "b"))
    with pytest.raises(ValueError, match=r"recode it first, e.g. "
                       r"\(df\['t'\] == 'treated'\)"):
        dml(df, treatment="t", outcome="y", covariates=["x"], rng=0)


# Bug: the intercept was appended last, so QR pivoting named it instead of
# the dependent column.
@pytest.mark.parametrize("factor", [2.0, 1.0])
def test_collinear_covariate_is_named_in_order(factor):
    df = plm(300, np.random.default_rng(3)).assign(
        age2=lambda d: factor * d.age)
    with pytest.raises(ValueError, match=r"^covariate column\(s\) 'age2' "):
        fit(df, covariates=["age", "age2"], rng=0)


def test_cross_fitting_by_hand_with_a_binary_treatment():
    from sklearn.model_selection import StratifiedKFold

    df = plm(200, np.random.default_rng(4), binary=True)
    est = fit(df, n_folds=2, rng=0, covariates=["age", "visits"])
    seed = int(np.random.default_rng(0).integers(2**32))
    t = df["slots"].to_numpy()
    folds = StratifiedKFold(2, shuffle=True, random_state=seed).split(t, t)
    X = df[["age", "visits"]].to_numpy()
    res = {col: df[col].to_numpy().astype(float) for col in
           ("minutes", "slots")}
    for train, test in folds:
        for col in res:
            model = LinearRegression().fit(X[train], df[col].iloc[train])
            res[col][test] -= model.predict(X[test])
    theta = res["slots"] @ res["minutes"] / (res["slots"] @ res["slots"])
    assert est.estimate == pytest.approx(theta, abs=1e-12)
