"""Checks and predictions for scikit-learn learners (private).

Shared by :mod:`causal_lib.dml` and :mod:`causal_lib.metalearners`: a
learner is an *instance* with ``fit`` and ``predict``; a classifier is
used through ``predict_proba`` (the probability of 1) and needs a 0/1
target; a logistic propensity model must not face separated data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sklearn.base import clone

from causal_lib import _checks
from causal_lib._design import fit_logit


def check_learner(learner, role):
    """``learner`` as given, or ``LinearRegression()`` for ``None``."""
    if learner is None:
        from sklearn.linear_model import LinearRegression

        return LinearRegression()
    missing = [m for m in ("fit", "predict")
               if not callable(getattr(learner, m, None))]
    if missing or isinstance(learner, type):
        what = "is a class, not an instance" if isinstance(learner, type) \
            else f"lacks {' and '.join(missing)}"
        raise TypeError(
            f"{role} must be a scikit-learn style estimator instance with "
            f"fit and predict methods, such as LinearRegression(); got "
            f"{learner!r}, which {what}"
        )
    return learner


def is_classifier(learner) -> bool:
    """A scikit-learn classifier (objects without tags are regressors)."""
    from sklearn.base import is_classifier as sklearn_is_classifier

    # Objects that merely have fit/predict carry no scikit-learn tags.
    return hasattr(learner, "__sklearn_tags__") and \
        sklearn_is_classifier(learner)


def check_classifier_target(learner, role, values, column):
    """A classifier needs a 0/1 target and ``predict_proba``."""
    if not is_classifier(learner):
        return
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(
            f"{role} is a classifier but column {column!r} is not 0/1; "
            "use a regressor"
        )
    if not callable(getattr(learner, "predict_proba", None)):
        raise TypeError(
            f"{role} is a classifier without predict_proba; predicted "
            "probabilities are needed, not labels"
        )


def predict(model, X) -> np.ndarray:
    """Predictions; a classifier's predicted probability of 1."""
    if is_classifier(model):
        classes = list(model.classes_)
        if 1 not in classes:
            return np.zeros(X.shape[0])
        return model.predict_proba(X)[:, classes.index(1)]
    return np.asarray(model.predict(X), dtype=float).ravel()


def feature_names(X) -> list[str]:
    """Column names of a DataFrame, ``x0, x1, ...`` for an array."""
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{j}" for j in range(np.shape(X)[1])]


def _logistic_inputs(model, X, t):
    """What a logistic model (bare, or a pipeline's last step) is fitted
    to, as an array with names; None for any other model."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if type(model) is LogisticRegression:
        return np.asarray(X, dtype=float), feature_names(X)
    if not (isinstance(model, Pipeline)
            and type(model.steps[-1][1]) is LogisticRegression):
        return None
    steps = clone(model[:-1])
    values = steps.fit_transform(X, t)
    values = values.toarray() if hasattr(values, "toarray") else values
    try:
        names = [str(c) for c in steps.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):
        names = [f"x{j}" for j in range(np.shape(values)[1])]
    return np.asarray(values, dtype=float), names


def check_logistic_separation(model, X, t) -> None:
    """A logistic propensity model must not be fitted to separated data.

    scikit-learn's penalised ``LogisticRegression`` returns finite
    coefficients even when some covariate pattern predicts the treatment
    exactly, so its scores look merely extreme. For a
    ``LogisticRegression``, bare or as the last step of a ``Pipeline``
    (whose earlier steps transform ``X`` first, e.g. ``StandardScaler``),
    the unpenalised fit of :func:`_design.fit_logit` decides: perfect or
    quasi-complete separation raises ``ValueError`` naming the
    covariates. Other models show separation as scores of exactly 0 or
    1, which :func:`check_learned_overlap` rejects.
    """
    inputs = _logistic_inputs(model, X, t)
    if inputs is None:
        return
    values, names = inputs
    design = pd.DataFrame(values, columns=names)
    design.insert(0, "Intercept", 1.0)
    # Saturating scores (exp overflow) are the symptom being diagnosed.
    with np.errstate(over="ignore"):
        fit_logit(np.asarray(t, dtype=float), design)


def check_learned_overlap(e, t, names, name: str) -> None:
    """Propensities from a learner: 0 or 1 exactly is separation, named
    by covariates; then the overlap checks and warnings of
    :func:`_checks.check_overlap` (ATE)."""
    e = _checks.probability_values(e, name)
    for bound in (1, 0):
        exact = e == bound
        if exact.any():
            raise ValueError(
                f"{name} is exactly {bound} for "
                f"{_checks.per_arm(exact, np.asarray(t))}: the treatment "
                "learner predicts treatment with certainty (separation?) "
                f"on covariates {list(names)}. Restrict the population to "
                "where both arms occur, coarsen the covariates, or use a "
                "smoother classifier."
            )
    _checks.check_overlap(e, t, estimand="ATE", name=name)
