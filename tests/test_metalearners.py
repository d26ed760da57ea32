"""metalearners: S, T, X and DR learners by hand and on simulations,
overlap and separation in the propensity step, known propensities, the
scikit-learn protocol, error paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import make_column_transformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils.validation import check_is_fitted

from causal_lib import aipw, difference_in_means
from causal_lib._checks import PositivityWarning
from causal_lib.metalearners import DRLearner, SLearner, TLearner, XLearner


def rct(n: int, rng: np.random.Generator, share: float = 0.5):
    x = rng.uniform(0, 1, size=(n, 2))
    t = (rng.uniform(size=n) < share).astype(np.int64)
    tau = 1 + 2 * x[:, 0]
    y = x[:, 0] + x[:, 1] + t * tau + rng.normal(0, 0.5, n)
    return x, t, y, tau


def test_t_learner_with_constant_models_is_the_difference_in_means():
    x, t, y, _ = rct(1_000, np.random.default_rng(0))
    tau = TLearner(DummyRegressor()).fit(x, y, treatment=t).predict(x)
    assert np.all(tau == y[t == 1].mean() - y[t == 0].mean())
    df = pd.DataFrame({"t": t, "y": y})
    est = difference_in_means(df, treatment="t", outcome="y")
    assert tau[0] == pytest.approx(est.estimate, rel=1e-12)


def test_s_learner_recovers_an_interaction():
    rng = np.random.default_rng(1)
    x, t, _, _ = rct(4_000, rng)
    y = 1 + 2 * x[:, 0] + t * (3 + 4 * x[:, 0]) + rng.normal(0, 0.1, 4_000)
    model = make_pipeline(PolynomialFeatures(2, interaction_only=True),
                          LinearRegression())
    s = SLearner(model).fit(x[:, :1], y, treatment=t)
    grid = np.linspace(0, 1, 5).reshape(-1, 1)
    np.testing.assert_allclose(s.predict(grid), 3 + 4 * grid[:, 0],
                               atol=0.02)
    # without the interaction term the S-learner's effect is constant
    flat = SLearner(LinearRegression()).fit(x[:, :1], y, treatment=t)
    assert np.ptp(flat.predict(grid)) < 1e-12


class KnownPropensity(ClassifierMixin, BaseEstimator):
    """e(x) = 0.1 + 0.8 x_0, known in advance: fit learns nothing."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        e = 0.1 + 0.8 * np.asarray(X)[:, 0]
        return np.column_stack([1 - e, e])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def test_x_learner_weights_tau0_by_the_propensity():
    # Constant first-stage models make tau_0 and tau_1 differ: in the
    # controls y = 3x, in the treated y = 1 + x (no noise), so
    # tau_1(x) = 1 + x - mean(y_0) and tau_0(x) = mean(y_1) - 3x.
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, size=(1_000, 1))
    t = np.zeros(1_000, dtype=np.int64)
    t[:200] = 1  # e = 0.2 exactly, as DummyClassifier estimates it
    y = np.where(t == 1, 1 + x[:, 0], 3 * x[:, 0])
    xl = XLearner(DummyRegressor(), effect_estimator=LinearRegression(),
                  propensity_estimator=DummyClassifier()).fit(
        x, y, treatment=t)
    grid = np.array([[0.0], [1.0]])
    tau1 = 1 + grid[:, 0] - y[t == 0].mean()
    tau0 = y[t == 1].mean() - 3 * grid[:, 0]
    np.testing.assert_allclose(
        xl.effect_estimator_treated_.predict(grid), tau1, atol=1e-10)
    np.testing.assert_allclose(
        xl.effect_estimator_control_.predict(grid), tau0, atol=1e-10)
    right = 0.2 * tau0 + 0.8 * tau1
    inverted = 0.8 * tau0 + 0.2 * tau1
    np.testing.assert_allclose(xl.predict(grid), right, atol=1e-10)
    assert np.abs(xl.predict(grid) - inverted).max() > 1


def test_x_learner_weights_pointwise_with_a_known_propensity():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, size=(2_000, 1))
    e = 0.1 + 0.8 * x[:, 0]
    t = (rng.uniform(size=2_000) < e).astype(np.int64)
    y = np.where(t == 1, 1 + x[:, 0], 3 * x[:, 0])
    xl = XLearner(DummyRegressor(), effect_estimator=LinearRegression(),
                  propensity_estimator=KnownPropensity()).fit(
        x, y, treatment=t)
    grid = np.array([[0.0], [0.5], [1.0]])
    e_grid = 0.1 + 0.8 * grid[:, 0]
    tau0 = xl.effect_estimator_control_.predict(grid)
    tau1 = xl.effect_estimator_treated_.predict(grid)
    np.testing.assert_allclose(
        xl.predict(grid), e_grid * tau0 + (1 - e_grid) * tau1, rtol=1e-12)
    inverted = (1 - e_grid) * tau0 + e_grid * tau1
    assert np.abs(xl.predict(grid) - inverted)[[0, 2]].min() > 0.5


def test_x_learner_recovers_the_cate_with_few_treated():
    x, t, y, _ = rct(6_000, np.random.default_rng(4), share=0.1)
    grid = np.column_stack([np.linspace(0, 1, 5), np.full(5, 0.5)])
    tau = XLearner().fit(x, y, treatment=t).predict(grid)
    # over seeds 0-9 the largest error on this grid is about 0.09
    np.testing.assert_allclose(tau, 1 + 2 * grid[:, 0], atol=0.15)


def confounded(n: int, rng: np.random.Generator):
    """Treatment more likely for large x_0; effect 1 + 2 x_0 - x_1^2."""
    x = rng.uniform(-1, 1, size=(n, 2))
    e = 1 / (1 + np.exp(-1.5 * x[:, 0]))
    t = (rng.uniform(size=n) < e).astype(np.int64)
    tau = 1 + 2 * x[:, 0] - x[:, 1] ** 2
    y = 2 * x[:, 0] + x[:, 1] ** 2 + t * tau + rng.normal(size=n)
    return x, t, y, tau


def test_dr_learner_recovers_a_known_cate():
    x, t, y, tau = confounded(20_000, np.random.default_rng(5))
    quadratic = make_pipeline(PolynomialFeatures(2), LinearRegression())
    dr = DRLearner(quadratic, rng=0).fit(x, y, treatment=t)
    grid = np.array([[a, b] for a in (-0.5, 0, 0.5) for b in (-0.5, 0.5)])
    truth = 1 + 2 * grid[:, 0] - grid[:, 1] ** 2
    # over seeds 0-9 the largest error on this grid is 0.02-0.08
    np.testing.assert_allclose(dr.predict(grid), truth, atol=0.2)
    assert np.mean(np.abs(dr.predict(x) - tau)) < 0.1
    # the mean pseudo-outcome is the AIPW estimate of the ATE
    se = dr.pseudo_outcome_.std() / np.sqrt(len(y))
    assert abs(dr.pseudo_outcome_.mean() - tau.mean()) < 4 * se


def test_dr_learner_is_seeded():
    x, t, y, _ = confounded(500, np.random.default_rng(6))
    a = DRLearner(rng=1).fit(x, y, treatment=t).predict(x)
    b = DRLearner(rng=1).fit(x, y, treatment=t).predict(x)
    c = DRLearner(rng=2).fit(x, y, treatment=t).predict(x)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_dr_learner_without_splitting_and_positivity():
    x, t, y, _ = confounded(500, np.random.default_rng(7))
    DRLearner(n_folds=1).fit(x, y, treatment=t)
    with pytest.raises(ValueError, match="n_folds must be"):
        DRLearner(n_folds=0).fit(x, y, treatment=t)

    class Extreme(KnownPropensity):
        def predict_proba(self, X):
            e = np.where(np.asarray(X)[:, 0] > 0.9, 1.0, 0.5)
            return np.column_stack([1 - e, e])

    has_control_above = ((x[:, 0] > 0.9) & (t == 0)).any()
    assert has_control_above
    with pytest.raises(ValueError,
                       match=r"exactly 1 for \d+ treated and \d+ control"):
        DRLearner(propensity_estimator=Extreme()).fit(x, y, treatment=t)

    class NearlyExtreme(KnownPropensity):
        def predict_proba(self, X):
            e = np.where(np.asarray(X)[:, 0] > 0.9, 0.995, 0.5)
            return np.column_stack([1 - e, e])

    with pytest.warns(PositivityWarning):
        DRLearner(propensity_estimator=NearlyExtreme()).fit(
            x, y, treatment=t)


def test_classifiers_give_differences_in_probabilities():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3_000, 2))
    t = rng.integers(0, 2, 3_000)
    p = 1 / (1 + np.exp(-(x[:, 0] + t * (0.5 + x[:, 1]))))
    y = (rng.uniform(size=3_000) < p).astype(np.int64)
    # the S-learner's model needs the treatment-x_1 interaction
    interacted = make_pipeline(PolynomialFeatures(2, interaction_only=True),
                               LogisticRegression())
    for learner in (SLearner(interacted),
                    TLearner(LogisticRegression()),
                    XLearner(LogisticRegression(),
                             effect_estimator=LinearRegression()),
                    DRLearner(LogisticRegression(),
                              effect_estimator=LinearRegression(), rng=0)):
        tau = learner.fit(x, y, treatment=t).predict(x)
        assert tau.shape == (3_000,)
        assert np.corrcoef(tau, x[:, 1])[0, 1] > 0.5, type(learner)
        assert np.all(np.abs(tau) < 1.5)
    tau = TLearner(LogisticRegression()).fit(x, y, treatment=t).predict(x)
    assert np.all(np.abs(tau) <= 1)


def test_learners_follow_the_scikit_learn_protocol():
    x, t, y, _ = rct(300, np.random.default_rng(9))
    base = LinearRegression()
    for learner in (SLearner(base), TLearner(base),
                    XLearner(base, propensity_estimator=LogisticRegression()),
                    DRLearner(base, n_folds=3, rng=0)):
        assert learner.estimator is base  # stored as given
        copy = clone(learner)
        assert copy.get_params()["estimator"] is not base
        with pytest.raises(NotFittedError):
            learner.predict(x)
        assert learner.fit(x, y, treatment=t) is learner
        check_is_fitted(learner)
        assert learner.n_features_in_ == 2
        with pytest.raises(NotFittedError):
            check_is_fitted(base)  # clones were fitted, not the estimator
        with pytest.raises(ValueError, match="X has 1 features"):
            learner.predict(x[:, :1])
        assert learner.predict(x).shape == (300,)


def test_learners_accept_dataframes_and_pipelines():
    x, t, y, tau = rct(2_000, np.random.default_rng(10))
    X = pd.DataFrame({"visits": x[:, 0], "tenure": x[:, 1]})
    # a column transformer selecting by name keeps "treatment" for S
    s_model = make_pipeline(
        make_column_transformer(
            (PolynomialFeatures(2, interaction_only=True),
             ["visits", "treatment"]),
            remainder="passthrough"),
        LinearRegression())
    s = SLearner(s_model).fit(X, pd.Series(y, name="minutes"),
                              treatment=pd.Series(t, name="promoted"))
    np.testing.assert_allclose(s.predict(X), tau, atol=0.1)
    t_model = make_pipeline(make_column_transformer(
        ("passthrough", ["visits"])), LinearRegression())
    tl = TLearner(t_model).fit(X, y, treatment=t)
    np.testing.assert_allclose(tl.predict(X), tau, atol=0.1)
    with pytest.raises(ValueError, match="already has a column 'treatment'"):
        SLearner().fit(X.assign(treatment=t), y, treatment=t)


def test_learner_input_errors():
    x, t, y, _ = rct(50, np.random.default_rng(11))
    learner = TLearner()
    with pytest.raises(ValueError, match="'promoted' must be 0/1"):
        learner.fit(x, y, treatment=pd.Series(t + 1, name="promoted"))
    with pytest.raises(ValueError, match="'treatment' must be 0/1"):
        learner.fit(x, y, treatment=t * 0.5)
    with pytest.raises(ValueError, match="'outcome' has 1 missing"):
        learner.fit(x, np.r_[np.nan, y[1:]], treatment=t)
    with pytest.raises(ValueError, match="has 49 values but X has 50"):
        learner.fit(x, y[1:], treatment=t)
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        learner.fit(x[:, 0], y, treatment=t)
    one_treated = np.r_[1, np.zeros(49, dtype=int)]
    with pytest.raises(ValueError, match=r"1 treated \(1\) unit"):
        learner.fit(x, y, treatment=one_treated)
    with pytest.raises(ValueError, match="classifier but column 'outcome'"):
        TLearner(LogisticRegression()).fit(x, y, treatment=t)
    binary = (y > y.mean()).astype(int)
    with pytest.raises(ValueError, match="give a regressor"):
        XLearner(LogisticRegression()).fit(x, binary, treatment=t)
    with pytest.raises(ValueError, match="effect_estimator must be a reg"):
        DRLearner(effect_estimator=LogisticRegression()).fit(
            x, y, treatment=t)
    with pytest.raises(TypeError, match="propensity_estimator must be"):
        XLearner(propensity_estimator=LinearRegression()).fit(
            x, y, treatment=t)
    with pytest.raises(TypeError, match="scikit-learn style estimator"):
        SLearner(LinearRegression).fit(x, y, treatment=t)


def test_learners_do_not_modify_inputs():
    x, t, y, _ = rct(200, np.random.default_rng(12))
    X = pd.DataFrame(x, columns=["a", "b"])
    copies = (X.copy(), t.copy(), y.copy())
    for learner in (SLearner(), TLearner(), XLearner(), DRLearner(rng=0)):
        learner.fit(X, y, treatment=t).predict(X)
    pd.testing.assert_frame_equal(X, copies[0])
    assert np.array_equal(t, copies[1]) and np.array_equal(y, copies[2])


# --- overlap and separation in the propensity step --------------------------

class Extreme(KnownPropensity):
    """e = 1 exactly for x_0 > 0.9, where controls exist too."""

    def predict_proba(self, X):
        e = np.where(np.asarray(X)[:, 0] > 0.9, 1.0, 0.5)
        return np.column_stack([1 - e, e])


class NearlyExtreme(KnownPropensity):
    def predict_proba(self, X):
        e = np.where(np.asarray(X)[:, 0] > 0.9, 0.995, 0.5)
        return np.column_stack([1 - e, e])


def test_x_learner_checks_overlap_of_its_propensity():
    # It used to return CATEs silently with scores of exactly 0 or 1.
    x, t, y, _ = confounded(500, np.random.default_rng(7))
    with pytest.raises(ValueError, match="propensity is exactly 1 for"):
        XLearner(propensity_estimator=Extreme()).fit(x, y, treatment=t)
    with pytest.warns(PositivityWarning, match="within 0.01 of 1"):
        XLearner(propensity_estimator=NearlyExtreme()).fit(
            x, y, treatment=t)


def separated(n, rng, quasi=False):
    """Treatment decided by the covariates: by a line, or (quasi) for
    every unit with x_0 = 1 while the others are mixed."""
    x = rng.uniform(-1, 1, size=(n, 2))
    if quasi:
        x[:, 0] = rng.integers(0, 2, n)
        t = np.where(x[:, 0] == 1, 1, rng.integers(0, 2, n))
    else:
        t = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    y = x[:, 0] + t + rng.normal(size=n)
    return x, t, y


@pytest.mark.parametrize("quasi", [False, True])
@pytest.mark.parametrize("learner", [
    XLearner(), DRLearner(rng=0), DRLearner(n_folds=1),
    XLearner(propensity_estimator=LogisticRegression(C=0.5)),
])
def test_logistic_propensity_on_separated_data_raises(learner, quasi):
    # scikit-learn's penalised logit gives finite, merely extreme scores
    # here; they used to pass (DR with a warning, X silently).
    x, t, y = separated(500, np.random.default_rng(30), quasi)
    with pytest.raises(ValueError, match="quasi-complete separation on "
                       r"covariates \['x0', 'x1'\]"):
        clone(learner).fit(x, y, treatment=t)


def test_separation_names_dataframe_columns():
    x, t, y = separated(300, np.random.default_rng(31))
    X = pd.DataFrame(x, columns=["visits", "tenure"])
    with pytest.raises(ValueError, match=r"\['visits', 'tenure'\]"):
        DRLearner(rng=0).fit(X, y, treatment=t)


# --- the DR pseudo-outcome is the AIPW score ---------------------------------

def test_dr_pseudo_outcome_is_aipw_and_its_mean_the_aipw_estimate():
    # Without splitting, per-arm OLS outcome models and a known propensity
    # the DR-learner's mean pseudo-outcome is causal_lib.aipw's estimate.
    x, t, y, _ = confounded(2_000, np.random.default_rng(32))
    e = 1 / (1 + np.exp(-1.5 * x[:, 0]))
    df = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "t": t, "y": y, "e": e})
    dr = DRLearner(n_folds=1).fit(x, y, treatment=t, propensity=df["e"])
    est = aipw(df, treatment="t", outcome="y", covariates=["x0", "x1"],
               propensity="e")
    assert dr.pseudo_outcome_.mean() == pytest.approx(est.estimate,
                                                      abs=1e-10)
    mu = {a: LinearRegression().fit(x[t == a], y[t == a]).predict(x)
          for a in (0, 1)}
    by_hand = (mu[1] - mu[0] + t * (y - mu[1]) / e
               - (1 - t) * (y - mu[0]) / (1 - e))
    np.testing.assert_allclose(dr.pseudo_outcome_, by_hand, atol=1e-10)
    np.testing.assert_array_equal(dr.propensity_, e)


# --- known propensities -----------------------------------------------------

def test_dr_learner_with_known_propensities_recovers_the_cate():
    x, t, y, tau = confounded(20_000, np.random.default_rng(33))
    e = 1 / (1 + np.exp(-1.5 * x[:, 0]))
    quadratic = make_pipeline(PolynomialFeatures(2), LinearRegression())
    # Outcome models that ignore x: only the propensity is right.
    dr = DRLearner(DummyRegressor(), effect_estimator=quadratic,
                   rng=0).fit(x, y, treatment=t, propensity=e)
    assert np.mean(np.abs(dr.predict(x) - tau)) < 0.15
    assert not hasattr(dr, "propensity_estimator_")


def test_known_propensity_errors():
    x, t, y, _ = confounded(200, np.random.default_rng(34))
    e = np.full(200, 0.5)
    dr = DRLearner(rng=0)
    with pytest.raises(ValueError, match="not both"):
        DRLearner(propensity_estimator=LogisticRegression()).fit(
            x, y, treatment=t, propensity=e)
    with pytest.raises(TypeError, match=r"such as df\['e'\]"):
        dr.fit(x, y, treatment=t, propensity="e")
    with pytest.raises(ValueError, match="has 199 values but X has 200"):
        dr.fit(x, y, treatment=t, propensity=e[1:])
    with pytest.raises(ValueError, match="'logged' has 1 missing"):
        dr.fit(x, y, treatment=t,
               propensity=pd.Series(np.r_[np.nan, e[1:]], name="logged"))
    with pytest.raises(ValueError, match="outside"):
        dr.fit(x, y, treatment=t, propensity=e + 0.6)
    with pytest.raises(ValueError, match="exactly 0 for"):
        dr.fit(x, y, treatment=t, propensity=np.r_[0.0, e[1:]])
    with pytest.warns(PositivityWarning, match="within 0.01 of 1"):
        dr.fit(x, y, treatment=t, propensity=np.r_[0.995, e[1:]])


# --- rng --------------------------------------------------------------------

def test_rng_is_a_seed_or_a_generator():
    x, t, y, _ = confounded(300, np.random.default_rng(35))
    seeded = DRLearner(rng=3).fit(x, y, treatment=t).pseudo_outcome_
    generator = DRLearner(rng=np.random.default_rng(3)).fit(
        x, y, treatment=t).pseudo_outcome_
    np.testing.assert_array_equal(seeded, generator)
    with pytest.raises(TypeError, match="rng must be a seed"):
        DRLearner(rng="three").fit(x, y, treatment=t)
    with pytest.raises(TypeError, match="n_folds must be an integer"):
        DRLearner(n_folds=2.0).fit(x, y, treatment=t)


# --- review fixes -----------------------------------------------------------

def test_dr_learner_logistic_pipeline_on_separated_data_raises():
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 1))
    t = (x[:, 0] > 0).astype(int)
    y = x[:, 0] + t + rng.normal(size=300)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    for learner in (DRLearner(propensity_estimator=model, rng=0),
                    XLearner(propensity_estimator=model)):
        with pytest.raises(ValueError,
                           match=r"separation on covariates \['x0'\]"):
            learner.fit(x, y, treatment=t)


# Bug: the treatment went through np.asarray, so a Categorical passed and
# a boolean with NA gave "got dtype object".
@pytest.mark.parametrize("learner", [SLearner(), TLearner(), XLearner(),
                                     DRLearner(rng=0)])
def test_treatment_follows_the_column_rule(learner):
    x, t, y, _ = rct(60, np.random.default_rng(11))
    with pytest.raises(ValueError, match="must hold 0/1 numbers or "
                       "booleans, got dtype category; recode"):
        learner.fit(x, y, treatment=pd.Categorical(t))
    with_na = pd.array(t.astype(bool), dtype="boolean")
    with_na[3] = None
    with pytest.raises(ValueError, match="treatment .* has 1 missing"):
        learner.fit(x, y, treatment=pd.Series(with_na))


@pytest.mark.parametrize("bad, message", [
    (np.nan, "column 1 has 1 missing"), (np.inf, "column 1 holds infinite"),
])
def test_x_must_be_finite(bad, message):
    x, t, y, _ = rct(60, np.random.default_rng(11))
    x = x.copy()
    x[5, 1] = bad
    with pytest.raises(ValueError, match=message):
        TLearner().fit(x, y, treatment=t)
    with pytest.raises(ValueError, match=message.replace("column 1",
                                                         "column 'b'")):
        TLearner().fit(pd.DataFrame(x, columns=["a", "b"]), y, treatment=t)


def test_x_string_column_is_named():
    x, t, y, _ = rct(60, np.random.default_rng(11))
    X = pd.DataFrame(x, columns=["a", "b"]).assign(c="web")
    with pytest.raises(ValueError, match="X column 'c' must be numeric"):
        TLearner().fit(X, y, treatment=t)
    with pytest.raises(ValueError, match="X must hold numbers"):
        TLearner().fit(X.to_numpy(), y, treatment=t)
