r"""CATE learners with scikit-learn's protocol.

The meta-learners :class:`SLearner`, :class:`TLearner`, :class:`XLearner`
and :class:`DRLearner` turn any scikit-learn regressor or classifier into
an estimator of the conditional average treatment effect (CATE)
:math:`\tau(x) = E[Y(1) - Y(0) \mid X = x]`:
``learner.fit(X, y, treatment=t)``, then ``learner.predict(X_new)``
returns :math:`\hat\tau(x)`, which is also an uplift score to rank users
by (:mod:`causal_lib.uplift` evaluates such rankings).

Every learner needs unconfoundedness given :math:`X` and overlap; the
X- and DR-learners estimate a propensity and refuse scores of 0 or 1
and a logistic model of separated data (scores near 0 or 1 warn,
``PositivityWarning``).

See :ref:`ch-upl`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from causal_lib import _checks
from causal_lib._learners import (
    check_classifier_target,
    check_learned_overlap,
    check_learner,
    check_logistic_separation,
    feature_names,
    is_classifier,
    predict,
)
from causal_lib._scores import aipw_ate_scores

__all__ = ["DRLearner", "SLearner", "TLearner", "XLearner"]

#: Name of the treatment feature the S-learner appends to a DataFrame ``X``.
TREATMENT_FEATURE = "treatment"


def _features(X):
    """``X`` as given if a DataFrame (keeps names for pipelines), else 2-d;
    either way numeric and finite, each bad column named."""
    if isinstance(X, pd.DataFrame):
        for column in X.columns:
            _checks.numeric_column(X, column, "X")
        return X
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-dimensional (units x features), got shape "
            f"{X.shape}; use X.reshape(-1, 1) for a single feature"
        )
    if X.dtype.kind not in "biuf":
        try:
            values = X.astype(float)
        except (TypeError, ValueError):
            raise ValueError(
                f"X must hold numbers, got dtype {X.dtype} with values "
                "that are not numbers; encode categories first"
            ) from None
    else:
        values = X
    for j in range(X.shape[1]):
        _checks.finite_values(values[:, j], f"X column {j}")
    return X


def _vector(values, role, n_rows):
    """A 1-d input as a one-column frame named after it, for _checks.

    A Series or pandas array keeps its dtype, so a categorical or a
    boolean-with-NA treatment meets the same rule as a DataFrame column.
    """
    name = getattr(values, "name", None)
    name = name if isinstance(name, str) else role
    if isinstance(values, (pd.Series, pd.Index,
                           pd.api.extensions.ExtensionArray)):
        series = pd.Series(np.asarray(values) if isinstance(values, pd.Index)
                           else values).reset_index(drop=True)
    else:
        array = np.asarray(values)
        if array.ndim != 1:
            raise ValueError(
                f"{role} {name!r} must be 1-dimensional, got shape "
                f"{array.shape}"
            )
        series = pd.Series(array)
    if len(series) != n_rows:
        raise ValueError(
            f"{role} {name!r} has {len(series)} values but X has {n_rows} "
            "rows"
        )
    return series.to_frame(name), name


def _fit_inputs(X, y, treatment):
    """Validated ``X``, outcome, 0/1 treatment and the outcome's name."""
    X = _features(X)
    y_frame, y_name = _vector(y, "outcome", X.shape[0])
    t_frame, t_name = _vector(treatment, "treatment", X.shape[0])
    y = _checks.numeric_column(y_frame, y_name, "outcome")
    t = _checks.binary_column(t_frame, t_name, "treatment")
    _checks.check_arms(np.bincount(t, minlength=2), t_name, minimum=2)
    return X, y, t, y_name


def _rows(X, mask):
    return X.iloc[mask] if isinstance(X, pd.DataFrame) else X[mask]


def _fit_clone(estimator, X, target):
    return clone(estimator, safe=False).fit(X, target)


def _outcome_learner(estimator, y, y_name):
    estimator = check_learner(estimator, "estimator")
    check_classifier_target(estimator, "estimator", y, y_name)
    return estimator


def _effect_learner(effect_estimator, estimator):
    """The second-stage model: a regressor (effects are not 0/1)."""
    if effect_estimator is None:
        if is_classifier(estimator):
            raise ValueError(
                f"estimator {estimator!r} is a classifier; the effect model "
                "regresses continuous effects, so give a regressor as "
                "effect_estimator="
            )
        return estimator
    effect_estimator = check_learner(effect_estimator, "effect_estimator")
    if is_classifier(effect_estimator):
        raise ValueError(
            "effect_estimator must be a regressor: it is fitted to "
            f"continuous effects, got the classifier {effect_estimator!r}"
        )
    return effect_estimator


def _propensity_learner(propensity_estimator):
    if propensity_estimator is None:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()
    if not (is_classifier(propensity_estimator) and callable(
            getattr(propensity_estimator, "predict_proba", None))):
        raise TypeError(
            "propensity_estimator must be a scikit-learn classifier with "
            f"predict_proba, such as LogisticRegression(); got "
            f"{propensity_estimator!r}"
        )
    return propensity_estimator


class _MetaLearner(BaseEstimator):
    """Shared predict-time checks; subclasses define ``fit`` and ``_cate``."""

    def predict(self, X) -> np.ndarray:
        r"""Estimated CATE :math:`\hat\tau(x)` for each row of ``X``.

        Parameters
        ----------
        X : array-like or pandas.DataFrame, shape (n_units, n_features)
            Covariates of the units to score, with the columns used in
            ``fit``.

        Returns
        -------
        numpy.ndarray, shape (n_units,)
        """
        check_is_fitted(self)
        X = _features(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} "
                f"was fitted with {self.n_features_in_}"
            )
        return self._cate(X)


def _with_treatment(X, value):
    """``X`` with the treatment appended as the last feature."""
    t = np.broadcast_to(np.asarray(value, dtype=np.intp), (X.shape[0],))
    if isinstance(X, pd.DataFrame):
        if TREATMENT_FEATURE in X.columns:
            raise ValueError(
                f"X already has a column {TREATMENT_FEATURE!r}; the "
                "S-learner appends the treatment under that name"
            )
        return X.assign(**{TREATMENT_FEATURE: np.array(t)})
    return np.column_stack([X, t])


class SLearner(_MetaLearner):
    r"""S-learner: one outcome model with the treatment as a feature.

    Parameters
    ----------
    estimator : scikit-learn regressor or classifier, optional
        Model of :math:`\mu(x, t) = E[Y \mid X = x, T = t]`, fitted to
        ``X`` with the treatment appended as the last column (named
        ``"treatment"`` when ``X`` is a DataFrame). A classifier needs a
        0/1 outcome and is used through ``predict_proba``. Default
        ``LinearRegression()``. It is cloned, never fitted itself.

    Attributes
    ----------
    estimator_ : fitted clone of ``estimator``
    n_features_in_ : int
        Number of columns of ``X`` (without the treatment).

    Notes
    -----
    .. math::

        \hat\tau(x) = \hat\mu(x, 1) - \hat\mu(x, 0).

    The effect is whatever the model lets the treatment do: a linear model
    without interaction terms gives the same :math:`\hat\tau` for every
    unit (the coefficient on :math:`T`), and a regularised or tree model
    may shrink the treatment's role towards zero when it is a weak
    predictor of the outcome: the S-learner's known bias (Künzel et al.
    2019). Include interactions (``PolynomialFeatures``, a pipeline) to let
    the effect vary. Identification needs unconfoundedness given
    :math:`X` and overlap, as for every learner here.

    References
    ----------
    Künzel, S. R., Sekhon, J. S., Bickel, P. J. and Yu, B. (2019).
    Metalearners for estimating heterogeneous treatment effects using
    machine learning. *PNAS* 116(10), 4156--4165.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import PolynomialFeatures
    >>> x = np.linspace(0, 1, 20)
    >>> t = np.tile([0, 1], 10)
    >>> y = 1 + x + t * (2 + 3 * x)  # tau(x) = 2 + 3x
    >>> model = make_pipeline(
    ...     PolynomialFeatures(2, interaction_only=True), LinearRegression())
    >>> s = SLearner(model).fit(x.reshape(-1, 1), y, treatment=t)
    >>> s.predict([[0.0], [1.0]]).round(6)
    array([2., 5.])
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, *, treatment):
        r"""Fit the outcome model on :math:`(X, T)`.

        Parameters
        ----------
        X : array-like or pandas.DataFrame, shape (n_units, n_features)
            Covariates, measured before treatment.
        y : array-like, shape (n_units,)
            Outcomes; 0/1 if ``estimator`` is a classifier.
        treatment : array-like, shape (n_units,)
            0/1 treatment, at least two units in each arm.

        Returns
        -------
        self
        """
        X, y, t, y_name = _fit_inputs(X, y, treatment)
        estimator = _outcome_learner(self.estimator, y, y_name)
        self.estimator_ = _fit_clone(estimator, _with_treatment(X, t), y)
        self.n_features_in_ = X.shape[1]
        return self

    def _cate(self, X):
        return (predict(self.estimator_, _with_treatment(X, 1))
                - predict(self.estimator_, _with_treatment(X, 0)))


class TLearner(_MetaLearner):
    r"""T-learner: one outcome model per arm.

    Parameters
    ----------
    estimator : scikit-learn regressor or classifier, optional
        Model of :math:`\mu_a(x) = E[Y \mid X = x, T = a]`, cloned and
        fitted separately to the treated and the control units. A
        classifier needs a 0/1 outcome and is used through
        ``predict_proba``. Default ``LinearRegression()``.

    Attributes
    ----------
    estimator_control_, estimator_treated_ : fitted clones of ``estimator``
        :math:`\hat\mu_0` and :math:`\hat\mu_1`.
    n_features_in_ : int

    Notes
    -----
    .. math::

        \hat\tau(x) = \hat\mu_1(x) - \hat\mu_0(x).

    Each model sees one arm only, so when one arm is small its model is
    rough and the difference inherits that error, even where the true
    effect is simple (Künzel et al. 2019). With a constant model (such as
    ``DummyRegressor()``) on a randomised experiment it is the difference
    in means.

    References
    ----------
    Künzel, S. R., Sekhon, J. S., Bickel, P. J. and Yu, B. (2019).
    Metalearners for estimating heterogeneous treatment effects using
    machine learning. *PNAS* 116(10), 4156--4165.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> x = np.linspace(0, 1, 20).reshape(-1, 1)
    >>> t = np.tile([0, 1], 10)
    >>> y = 1 + x[:, 0] + t * (2 + 3 * x[:, 0])
    >>> TLearner().fit(x, y, treatment=t).predict([[0.0], [1.0]]).round(6)
    array([2., 5.])
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, *, treatment):
        r"""Fit :math:`\hat\mu_0` on the controls, :math:`\hat\mu_1` on the
        treated.

        Parameters
        ----------
        X : array-like or pandas.DataFrame, shape (n_units, n_features)
            Covariates, measured before treatment.
        y : array-like, shape (n_units,)
            Outcomes; 0/1 if ``estimator`` is a classifier.
        treatment : array-like, shape (n_units,)
            0/1 treatment, at least two units in each arm.

        Returns
        -------
        self
        """
        X, y, t, y_name = _fit_inputs(X, y, treatment)
        estimator = _outcome_learner(self.estimator, y, y_name)
        self.estimator_control_ = _fit_clone(
            estimator, _rows(X, t == 0), y[t == 0])
        self.estimator_treated_ = _fit_clone(
            estimator, _rows(X, t == 1), y[t == 1])
        self.n_features_in_ = X.shape[1]
        return self

    def _cate(self, X):
        return (predict(self.estimator_treated_, X)
                - predict(self.estimator_control_, X))


class XLearner(_MetaLearner):
    r"""X-learner: imputed effects per arm, weighted by the propensity.

    Parameters
    ----------
    estimator : scikit-learn regressor or classifier, optional
        First-stage outcome models :math:`\mu_0, \mu_1`, as in
        :class:`TLearner`. Default ``LinearRegression()``.
    effect_estimator : scikit-learn regressor, optional
        Second-stage models :math:`\tau_0, \tau_1` of the imputed effects.
        Default: ``estimator`` (which must then be a regressor).
    propensity_estimator : scikit-learn classifier, optional
        Model of :math:`e(x) = P(T = 1 \mid X = x)`, used through
        ``predict_proba``. Default ``LogisticRegression()``.

    Attributes
    ----------
    estimator_control_, estimator_treated_ : fitted outcome models
        :math:`\hat\mu_0`, :math:`\hat\mu_1`.
    effect_estimator_control_, effect_estimator_treated_ : fitted models
        :math:`\hat\tau_0` (fitted on the control units) and
        :math:`\hat\tau_1` (on the treated units).
    propensity_estimator_ : fitted propensity model
    n_features_in_ : int

    Raises
    ------
    ValueError
        In ``fit``, if the estimated propensity is exactly 0 or 1 for a
        training unit, or if a ``LogisticRegression`` propensity model
        faces perfect or quasi-complete separation (its covariates named);
        within 0.01 of 0 or 1 it warns (``PositivityWarning``).

    Notes
    -----
    Künzel et al.'s (2019) three stages:

    1. Fit :math:`\hat\mu_0` on the controls and :math:`\hat\mu_1` on the
       treated, as the T-learner does.
    2. Impute each unit's effect with the other arm's model,
       :math:`D_i^1 = Y_i - \hat\mu_0(X_i)` for treated and
       :math:`D_i^0 = \hat\mu_1(X_i) - Y_i` for control units, and regress
       them on :math:`X` within each arm, giving :math:`\hat\tau_1` and
       :math:`\hat\tau_0`.
    3. Combine them with the propensity score:

    .. math::

        \hat\tau(x) = \hat e(x)\,\hat\tau_0(x) + \bigl(1 - \hat e(x)\bigr)
                      \,\hat\tau_1(x).

    The weights go this way round because :math:`\hat\tau_0` rests on
    :math:`\hat\mu_1`, fitted on the treated: where treated units are rare
    (:math:`e(x)` small) that model is poor, so :math:`\hat\tau_0` gets the
    small weight :math:`e(x)` and :math:`\hat\tau_1`, built from the
    well-estimated :math:`\hat\mu_0`, the large weight :math:`1 - e(x)`.
    (The weighting has been printed inverted; the tests check its
    direction.) No division by :math:`\hat e` occurs, but a score of 0 or
    1 says some units have no comparable unit in the other arm, whose
    effects both :math:`\hat\tau_0` and :math:`\hat\tau_1` would then
    extrapolate: ``fit`` checks the propensity on the training units as
    the DR-learner does.

    References
    ----------
    Künzel, S. R., Sekhon, J. S., Bickel, P. J. and Yu, B. (2019).
    Metalearners for estimating heterogeneous treatment effects using
    machine learning. *PNAS* 116(10), 4156--4165, equations (4)--(6).

    See :ref:`ch-upl`.

    Examples
    --------
    >>> x = np.linspace(0, 1, 40).reshape(-1, 1)
    >>> t = np.tile([0, 1], 20)
    >>> y = 1 + x[:, 0] + t * (2 + 3 * x[:, 0])
    >>> XLearner().fit(x, y, treatment=t).predict([[0.0], [1.0]]).round(6)
    array([2., 5.])
    """

    def __init__(self, estimator=None, *, effect_estimator=None,
                 propensity_estimator=None):
        self.estimator = estimator
        self.effect_estimator = effect_estimator
        self.propensity_estimator = propensity_estimator

    def fit(self, X, y, *, treatment):
        r"""Fit the three stages.

        Parameters
        ----------
        X : array-like or pandas.DataFrame, shape (n_units, n_features)
            Covariates, measured before treatment.
        y : array-like, shape (n_units,)
            Outcomes; 0/1 if ``estimator`` is a classifier.
        treatment : array-like, shape (n_units,)
            0/1 treatment, at least two units in each arm.

        Returns
        -------
        self
        """
        X, y, t, y_name = _fit_inputs(X, y, treatment)
        estimator = _outcome_learner(self.estimator, y, y_name)
        effect = _effect_learner(self.effect_estimator, estimator)
        propensity = _propensity_learner(self.propensity_estimator)
        X0, X1 = _rows(X, t == 0), _rows(X, t == 1)
        self.estimator_control_ = _fit_clone(estimator, X0, y[t == 0])
        self.estimator_treated_ = _fit_clone(estimator, X1, y[t == 1])
        imputed_treated = y[t == 1] - predict(self.estimator_control_, X1)
        imputed_control = predict(self.estimator_treated_, X0) - y[t == 0]
        self.effect_estimator_control_ = _fit_clone(
            effect, X0, imputed_control)
        self.effect_estimator_treated_ = _fit_clone(
            effect, X1, imputed_treated)
        check_logistic_separation(propensity, X, t)
        self.propensity_estimator_ = _fit_clone(propensity, X, t)
        check_learned_overlap(predict(self.propensity_estimator_, X), t,
                              feature_names(X), "estimated propensity")
        self.n_features_in_ = X.shape[1]
        return self

    def _cate(self, X):
        e = predict(self.propensity_estimator_, X)
        return (e * predict(self.effect_estimator_control_, X)
                + (1 - e) * predict(self.effect_estimator_treated_, X))


def _stratified_folds(t, n_folds, rng) -> np.ndarray:
    """Fold labels with each arm spread evenly over the folds."""
    order = np.concatenate([rng.permutation(np.flatnonzero(t == arm))
                            for arm in (1, 0)])
    folds = np.empty(len(t), dtype=np.intp)
    folds[order] = np.arange(len(t)) % n_folds
    return folds


def _training_rows(folds, k):
    """Rows the fold-``k`` models learn from (all rows without splitting)."""
    n_folds = folds.max() + 1
    return folds != k if n_folds > 1 else np.ones(len(folds), dtype=bool)


def _cross_fit_outcomes(estimator, X, y, t, folds):
    r"""Out-of-fold :math:`\hat\mu_0(X_i), \hat\mu_1(X_i)`."""
    mu0, mu1 = np.empty(len(y)), np.empty(len(y))
    for k in range(folds.max() + 1):
        test, train = folds == k, _training_rows(folds, k)
        for arm, mu in ((0, mu0), (1, mu1)):
            rows = train & (t == arm)
            model = _fit_clone(estimator, _rows(X, rows), y[rows])
            mu[test] = predict(model, _rows(X, test))
    return mu0, mu1


def _cross_fit_propensity(propensity, X, t, folds) -> np.ndarray:
    r"""Out-of-fold :math:`\hat e(X_i)`."""
    e = np.empty(len(t))
    for k in range(folds.max() + 1):
        test, train = folds == k, _training_rows(folds, k)
        model = _fit_clone(propensity, _rows(X, train), t[train])
        e[test] = predict(model, _rows(X, test))
    return e


def _known_propensity(propensity, t, propensity_estimator) -> np.ndarray:
    """Given propensities, checked like a column and for overlap."""
    if propensity_estimator is not None:
        raise ValueError(
            "give either propensity= (known propensities) or a "
            "propensity_estimator, not both"
        )
    if isinstance(propensity, str):
        raise TypeError(
            f"propensity must be an array or a column such as "
            f"df[{propensity!r}], not the column name {propensity!r}"
        )
    frame, name = _vector(propensity, "propensity", len(t))
    e = _checks.numeric_column(frame, name, "propensity")
    _checks.check_overlap(e, t, estimand="ATE", name=f"propensity {name!r}")
    return e


class DRLearner(_MetaLearner):
    r"""DR-learner: regress a doubly robust pseudo-outcome on covariates.

    Parameters
    ----------
    estimator : scikit-learn regressor or classifier, optional
        Outcome models :math:`\mu_0, \mu_1`, one per arm. Default
        ``LinearRegression()``.
    effect_estimator : scikit-learn regressor, optional
        Final model of the pseudo-outcome on :math:`X`. Default:
        ``estimator`` (which must then be a regressor).
    propensity_estimator : scikit-learn classifier, optional
        Model of :math:`e(x)`, used through ``predict_proba``. Default
        ``LogisticRegression()``.
    n_folds : int, default 5
        Cross-fitting folds for the nuisance models :math:`\mu_0, \mu_1,
        e`; 1 fits and predicts them on the same rows (no splitting).
    rng : None, int or numpy.random.Generator
        Seed or generator for the fold assignment.

    Attributes
    ----------
    effect_estimator_ : fitted final model
    pseudo_outcome_ : numpy.ndarray, shape (n_units,)
        :math:`\hat\varphi_i` of the training units; its mean is the AIPW
        estimate of the ATE.
    propensity_ : numpy.ndarray, shape (n_units,)
        The training units' cross-fitted (or given) propensities.
    n_features_in_ : int

    Raises
    ------
    ValueError
        In ``fit``, if a propensity (estimated or given) is exactly 0 or
        1, where the ATE needs the unit's other potential outcome, or if
        a ``LogisticRegression`` propensity model faces perfect or
        quasi-complete separation (its covariates named); a
        ``PositivityWarning`` warns of values within 0.01 of 0 or 1.

    Notes
    -----
    Split the units at random into :math:`K` folds, each holding the same
    share of treated units. For the units of fold :math:`k`, fit
    :math:`\hat\mu_0, \hat\mu_1` (on the control and treated units) and
    :math:`\hat e` on the other folds, and form the pseudo-outcome

    .. math::

        \hat\varphi_i = \hat\mu_1(X_i) - \hat\mu_0(X_i)
          + \frac{T_i\,(Y_i - \hat\mu_1(X_i))}{\hat e(X_i)}
          - \frac{(1 - T_i)\,(Y_i - \hat\mu_0(X_i))}{1 - \hat e(X_i)}.

    Given :math:`X = x` its expectation is :math:`\tau(x)` if *either* the
    outcome models *or* the propensity model are correct, and its error
    is a product of the two models' errors; regressing
    :math:`\hat\varphi` on :math:`X` with ``effect_estimator`` (on all
    units) gives :math:`\hat\tau(x)` (Kennedy 2023). Kennedy fits the
    final regression on a separate fold; using every unit's cross-fitted
    pseudo-outcome in one regression, as here, is the common variant
    (EconML's ``DRLearner`` does the same). The average of
    :math:`\hat\varphi` is the AIPW estimator of the ATE. Identification
    needs unconfoundedness given :math:`X` and overlap
    (:math:`0 < e(x) < 1`). The pseudo-outcome is the AIPW score that
    :func:`causal_lib.aipw` averages, computed by the same code. Known
    propensities (``fit(..., propensity=...)``, as logged by a randomised
    recommender) replace :math:`\hat e`; with them the pseudo-outcome's
    conditional mean is :math:`\tau(x)` whatever the outcome models.

    References
    ----------
    Kennedy, E. H. (2023). Towards optimal doubly robust estimation of
    heterogeneous causal effects. *Electronic Journal of Statistics*
    17(2), 3008--3049. Künzel, S. R., Sekhon, J. S., Bickel, P. J. and Yu,
    B. (2019). Metalearners for estimating heterogeneous treatment effects
    using machine learning. *PNAS* 116(10), 4156--4165.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, size=(4_000, 1))
    >>> t = rng.binomial(1, 1 / (1 + np.exp(-x[:, 0])))
    >>> y = x[:, 0] + t * (1 + 2 * x[:, 0]) + rng.normal(size=4_000)
    >>> dr = DRLearner(rng=1).fit(x, y, treatment=t)
    >>> dr.predict([[0.0], [0.5]]).round(1)
    array([1., 2.])
    """

    def __init__(self, estimator=None, *, effect_estimator=None,
                 propensity_estimator=None, n_folds=5, rng=None):
        self.estimator = estimator
        self.effect_estimator = effect_estimator
        self.propensity_estimator = propensity_estimator
        self.n_folds = n_folds
        self.rng = rng

    def fit(self, X, y, *, treatment, propensity=None):
        r"""Cross-fit the nuisance models and regress the pseudo-outcome.

        Parameters
        ----------
        X : array-like or pandas.DataFrame, shape (n_units, n_features)
            Covariates, measured before treatment.
        y : array-like, shape (n_units,)
            Outcomes; 0/1 if ``estimator`` is a classifier.
        treatment : array-like, shape (n_units,)
            0/1 treatment, at least two units in each arm.
        propensity : array-like, shape (n_units,), optional
            Known propensities :math:`e(X_i)`, such as a logging policy's
            probabilities of showing the item (an array or a column,
            ``df["propensity"]``). They replace the propensity model,
            so ``propensity_estimator`` must then be left at ``None``.

        Returns
        -------
        self
        """
        X, y, t, y_name = _fit_inputs(X, y, treatment)
        n_folds = _checks.check_count(self.n_folds, "n_folds", minimum=1,
                                      maximum=len(y))
        estimator = _outcome_learner(self.estimator, y, y_name)
        effect = _effect_learner(self.effect_estimator, estimator)
        if propensity is None:
            model = _propensity_learner(self.propensity_estimator)
        else:
            e = _known_propensity(propensity, t, self.propensity_estimator)
        folds = _stratified_folds(t, n_folds, _checks.check_rng(self.rng))
        mu0, mu1 = _cross_fit_outcomes(estimator, X, y, t, folds)
        if propensity is None:
            check_logistic_separation(model, X, t)
            e = _cross_fit_propensity(model, X, t, folds)
            check_learned_overlap(e, t, feature_names(X),
                                  "estimated propensity")
        self.propensity_ = e
        self.pseudo_outcome_ = aipw_ate_scores(y, t, mu0, mu1, e)
        self.effect_estimator_ = _fit_clone(effect, X, self.pseudo_outcome_)
        self.n_features_in_ = X.shape[1]
        return self

    def _cate(self, X):
        return predict(self.effect_estimator_, X)
