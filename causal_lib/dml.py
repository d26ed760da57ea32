r"""Double machine learning (DML) for the partially linear model.

:func:`dml` estimates the effect :math:`\theta` in

.. math::

    Y = \theta T + g(X) + \varepsilon, \qquad T = m(X) + V,

by partialling out: predict the outcome and the treatment from the
covariates with any scikit-learn regressors, fitted on other folds of the
data (cross-fitting with :class:`~sklearn.model_selection.KFold`, or
:class:`~sklearn.model_selection.StratifiedKFold` by arm for a 0/1
treatment, and :func:`~sklearn.model_selection.cross_val_predict`), and
regress the outcome's residual on the treatment's residual. With
``n_folds=1`` and linear learners this is exactly the Frisch--Waugh--Lovell
construction of the OLS coefficient, which is how the book introduces it.

When effects vary, :math:`\theta` is not the ATE but a variance-weighted
average of the effects, hence the estimand's label
``"PLR θ (variance-weighted)"``; :func:`causal_lib.aipw` estimates the ATE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    cross_val_predict,
)

from causal_lib import _checks
from causal_lib._design import check_design, covariate_matrix
from causal_lib._learners import (
    check_classifier_target,
    check_learned_overlap,
    check_learner,
    check_logistic_separation,
    is_classifier,
    predict,
)
from causal_lib.estimate import EffectEstimate

#: What :func:`dml` estimates: the partially linear model's coefficient,
#: which under varying effects is a variance-weighted average of them.
ESTIMAND = "PLR θ (variance-weighted)"


def dml(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    covariates,
    outcome_learner=None,
    treatment_learner=None,
    n_folds: int = 5,
    n_repeats: int = 1,
    rng=None,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Cross-fitted double machine learning (partialling out).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        Numeric treatment column: 0/1 (shown a recommendation or not) or
        continuous (a dose, such as the number of promoted slots).
    outcome : str
        Numeric outcome column.
    covariates : list of str or str
        Column names (string or categorical columns become 0/1
        indicators), or a formula right-hand side such as
        ``"C(platform) + visits + I(visits**2)"``. No intercept column is
        needed: the default learners fit their own.
    outcome_learner, treatment_learner : scikit-learn regressor, optional
        Models for :math:`\ell(x) = E[Y \mid X = x]` and
        :math:`m(x) = E[T \mid X = x]`; anything with ``fit(X, y)`` and
        ``predict(X)``. Default ``LinearRegression()``. Each is copied with
        :func:`sklearn.base.clone` for every fold, so the objects passed are
        never fitted; with ``n_folds >= 2`` it must therefore have
        ``get_params`` (every scikit-learn estimator has). A classifier is
        used through ``predict_proba`` (the probability of 1) and needs a
        0/1 target; as ``treatment_learner`` its cross-fitted probabilities
        are propensities, checked for overlap.
    n_folds : int, default 5
        Number of cross-fitting folds, between 1 and the number of rows.
        ``n_folds=1`` means no sample splitting: the learners are fitted and
        evaluated on the full sample (see Notes: with linear learners this
        reproduces OLS exactly; with flexible learners the in-sample
        predictions are overfitted and the guarantees below are lost).
    n_repeats : int, default 1
        Repeat the cross-fitting with this many random fold assignments and
        aggregate by the median (see Notes). Needs ``n_folds >= 2``.
    rng : None, int or numpy.random.Generator
        Seed or generator for the fold assignment (each repeat draws the
        ``random_state`` of a shuffled ``KFold``, or ``StratifiedKFold``
        for a 0/1 treatment, from it); pass one for a reproducible
        estimate.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"PLR θ (variance-weighted)"``: the coefficient
        :math:`\theta` of the partially linear model, the effect if it is
        constant and a variance-weighted average of the effects if they
        vary (see Notes; it is not the ATE then). ``n_treated`` counts
        units with a nonzero treatment.

    Raises
    ------
    ValueError
        If a column is missing, non-numeric, or holds NaN or infinite
        values; if the treatment or outcome is also a covariate; if a
        covariate is constant or collinear with others; if the treatment
        has no variation left once the covariates are partialled out; if
        ``n_folds`` or ``n_repeats`` is out of range (for a 0/1 treatment,
        ``n_folds`` may not exceed the smaller arm); if a classifier is
        given for a column that is not 0/1; or if a classifier
        ``treatment_learner`` gives propensities of exactly 0 or 1 (the
        message names the covariates), or is a ``LogisticRegression``,
        bare or ending a ``Pipeline``, facing separated data (propensities
        within 0.01 of 0 or 1 warn, ``PositivityWarning``).
    TypeError
        If a learner lacks ``fit`` or ``predict`` (or, for a classifier,
        ``predict_proba``; or, with ``n_folds >= 2``, ``get_params``); if
        ``n_folds`` or ``n_repeats`` is not an integer or ``rng`` not a
        seed or Generator.

    Notes
    -----
    **Model.** The partially linear model is
    :math:`Y = \theta T + g(X) + \varepsilon` with
    :math:`E[\varepsilon \mid T, X] = 0` and :math:`T = m(X) + V` with
    :math:`E[V \mid X] = 0`: the covariates :math:`X` may affect both
    treatment and outcome in any way (:math:`g`, :math:`m` unknown), but the
    effect of the treatment is one number :math:`\theta`. Identification
    needs unconfoundedness given :math:`X` and treatment variation left
    given :math:`X` (:math:`\mathrm{Var}(T \mid X) > 0`: overlap). The
    treatment may be binary or continuous; for a 0/1 treatment a regressor
    fitted to :math:`T` estimates :math:`m(x) = P(T = 1 \mid X = x)`.

    **Estimator.** Split the rows at random into :math:`K` folds. For the
    units of fold :math:`k`, predict with learners fitted on the other
    folds, :math:`\hat\ell_{-k}` and :math:`\hat m_{-k}`, and form the
    residuals :math:`\tilde y_i = Y_i - \hat\ell_{-k}(X_i)` and
    :math:`\tilde v_i = T_i - \hat m_{-k}(X_i)`. Solving the orthogonal
    (Neyman) score :math:`\frac1n \sum_i (\tilde y_i - \theta \tilde v_i)
    \tilde v_i = 0`, pooled over folds ("DML2"), gives

    .. math::

        \hat\theta = \frac{\sum_i \tilde v_i \tilde y_i}
                          {\sum_i \tilde v_i^2}, \qquad
        \hat\sigma^2 = \frac{\frac1n \sum_i \tilde v_i^2
                       (\tilde y_i - \hat\theta \tilde v_i)^2}
                      {\bigl(\frac1n \sum_i \tilde v_i^2\bigr)^2}, \qquad
        \widehat{\mathrm{se}} = \sqrt{\hat\sigma^2 / n},

    the standard error coming from the score's influence function
    (heteroskedasticity-robust). Because the score is orthogonal, errors in
    :math:`\hat\ell` and :math:`\hat m` affect :math:`\hat\theta` only
    through their product, so learners converging faster than
    :math:`n^{-1/4}` leave :math:`\sqrt n(\hat\theta - \theta)`
    asymptotically normal; cross-fitting removes the overfitting bias of
    evaluating a learner on its own training rows.

    **Frisch--Waugh--Lovell.** With ``n_folds=1`` and ``LinearRegression``
    learners, :math:`\tilde y` and :math:`\tilde v` are the OLS residuals of
    :math:`Y` and :math:`T` on :math:`(1, X)`, so :math:`\hat\theta` is
    exactly the coefficient on :math:`T` in the OLS regression
    :math:`Y \sim 1 + T + X`, and :math:`\widehat{\mathrm{se}}` is its HC0
    robust standard error. DML replaces the two auxiliary regressions by
    machine learning and adds cross-fitting.

    **Heterogeneous effects.** If the effect varies, :math:`\tau(X)`, the
    estimand is not the ATE but the variance-weighted average

    .. math::

        \theta = \frac{E[\mathrm{Var}(T \mid X)\,\tau(X)]}
                      {E[\mathrm{Var}(T \mid X)]},

    which for a 0/1 treatment weights by :math:`e(X)(1 - e(X))`: strata
    where treatment is a coin flip count most (as with OLS, Angrist 1998).
    Use :func:`causal_lib.aipw` for the ATE itself.

    **Repeated cross-fitting.** With ``n_repeats`` :math:`= S > 1`, the
    estimate is the median :math:`\tilde\theta` of the :math:`S` estimates
    :math:`\hat\theta_s` and the standard error is
    :math:`\sqrt{\mathrm{median}_s(\widehat{\mathrm{se}}_s^2 +
    (\hat\theta_s - \tilde\theta)^2)}`: the spread due to the random split
    is added on the scale of the estimator's variance, the conservative
    reading of Chernozhukov et al. (2018, section 3.4).

    References
    ----------
    Chernozhukov, V., Chetverikov, D., Demirer, M., Duflo, E., Hansen, C.,
    Newey, W. and Robins, J. (2018). Double/debiased machine learning for
    treatment and structural parameters. *The Econometrics Journal* 21(1),
    C1--C68. Robinson, P. M. (1988). Root-N-consistent semiparametric
    regression. *Econometrica* 56(4), 931--954. Angrist, J. D. (1998).
    Estimating the labor market impact of voluntary military service using
    social security data. *Econometrica* 66(2), 249--288.

    See :ref:`ch-dml`.

    Examples
    --------
    Promoted slots ``t`` are given to heavy users ``x``, who also watch
    more; each slot adds 2 minutes of watch time ``y``:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2_000)
    >>> t = np.sin(x) + rng.normal(size=2_000)
    >>> df = pd.DataFrame({"x": x, "t": t,
    ...                    "y": 2 * t + x**2 + rng.normal(size=2_000)})
    >>> est = dml(df, treatment="t", outcome="y",
    ...           covariates="x + I(x**2) + np.sin(x)", rng=1)
    >>> round(est.estimate, 1), est.estimand
    (2.0, 'PLR θ (variance-weighted)')

    Without sample splitting and with linear learners it is OLS
    (Frisch--Waugh--Lovell):

    >>> design = np.column_stack([np.ones(2_000), t, x])
    >>> beta = np.linalg.lstsq(design, df["y"], rcond=None)[0]
    >>> fwl = dml(df, treatment="t", outcome="y", covariates=["x"],
    ...           n_folds=1)
    >>> bool(np.isclose(fwl.estimate, beta[1], rtol=1e-12))
    True
    """
    alpha = _checks.check_alpha(alpha)
    t, y, matrix = _dml_inputs(df, treatment, outcome, covariates)
    X = matrix.to_numpy(dtype=np.float64)
    n_folds = _checks.check_count(n_folds, "n_folds", minimum=1,
                                  maximum=len(y))
    n_repeats = _checks.check_count(n_repeats, "n_repeats")
    if n_repeats > 1 and n_folds == 1:
        raise ValueError(
            "n_repeats > 1 needs n_folds >= 2: without sample splitting "
            "every repeat gives the same estimate"
        )
    learners = _dml_learners(outcome_learner, treatment_learner, n_folds,
                             (y, outcome), (t, treatment))
    if is_classifier(learners[1]):
        check_logistic_separation(learners[1], matrix, t)
    generator = _checks.check_rng(rng)
    thetas, std_errors = [], []
    for _ in range(n_repeats):
        folds = _folds(t, n_folds, generator, treatment)
        theta, std_error = _partial_out(learners, X, y, t, folds,
                                        (treatment, list(matrix.columns)))
        thetas.append(theta)
        std_errors.append(std_error)
    thetas, std_errors = np.array(thetas), np.array(std_errors)
    theta = np.median(thetas)
    std_error = np.sqrt(np.median(std_errors**2 + (thetas - theta) ** 2))
    return EffectEstimate.from_normal(
        ESTIMAND, theta, std_error, n=len(y),
        n_treated=int(np.count_nonzero(t)),
        method=_method(n_folds, n_repeats, learners), alpha=alpha,
    )


def partialling_out(
    outcome_residual, treatment_residual
) -> tuple[float, float]:
    r"""The partialling-out estimate and its standard error from residuals.

    Parameters
    ----------
    outcome_residual, treatment_residual : array_like
        :math:`\tilde y_i = Y_i - \hat\ell(X_i)` and
        :math:`\tilde v_i = T_i - \hat m(X_i)`, one per unit.

    Returns
    -------
    (float, float)
        :math:`\hat\theta = \sum_i \tilde v_i \tilde y_i / \sum_i
        \tilde v_i^2` and :math:`\widehat{\mathrm{se}} =
        \sqrt{\sum_i \tilde v_i^2 (\tilde y_i - \hat\theta\tilde v_i)^2}
        / \sum_i \tilde v_i^2`, the same formulas as in :func:`dml`
        written with sums.

    Notes
    -----
    This is the final step of :func:`dml`, exposed so a chapter can build
    the residuals itself (by hand, or with in-sample fits to show the
    Frisch--Waugh--Lovell theorem) and finish with the same arithmetic.

    See :ref:`ch-dml`.

    Examples
    --------
    >>> theta, se = partialling_out([2.0, -2.0, 1.0], [1.0, -1.0, 0.0])
    >>> theta
    2.0
    """
    y_res = np.asarray(outcome_residual, dtype=float)
    t_res = np.asarray(treatment_residual, dtype=float)
    if y_res.shape != t_res.shape or y_res.ndim != 1:
        raise ValueError(
            "outcome_residual and treatment_residual must be 1-d and of "
            f"equal length, got shapes {y_res.shape} and {t_res.shape}"
        )
    sum_v2 = t_res @ t_res
    if not sum_v2 > 0:
        raise ValueError("treatment_residual is zero everywhere")
    theta = (t_res @ y_res) / sum_v2
    score = t_res * (y_res - theta * t_res)
    return float(theta), float(np.sqrt(score @ score) / sum_v2)


# --- helpers ----------------------------------------------------------------

def _dml_inputs(df, treatment, outcome, covariates):
    """Finite treatment and outcome columns and the covariate matrix."""
    _checks.require_frame(df)
    _checks.require_columns(df, treatment=treatment, outcome=outcome)
    _checks.distinct_columns(treatment=treatment, outcome=outcome)
    _checks.not_covariates(covariates, df.columns, treatment=treatment,
                           outcome=outcome)
    t = _checks.numeric_column(df, treatment, "treatment",
                               hint=_checks.recode_hint(treatment))
    y = _checks.numeric_column(df, outcome, "outcome")
    if np.ptp(t) == 0:
        raise ValueError(
            f"treatment column {treatment!r} is constant; its effect "
            "cannot be estimated"
        )
    matrix = covariate_matrix(df, covariates, intercept=False)
    if matrix.shape[1] == 0:
        raise ValueError(
            f"covariates {covariates!r} give no columns besides an intercept"
        )
    # Checked with an intercept, which the learners fit themselves, so a
    # full set of category indicators counts as collinear.
    # The intercept goes first so that a dependent column is named, not
    # the intercept.
    design = matrix.copy()
    design.insert(0, "Intercept", 1.0)
    check_design(design, covariates)
    return t, y, matrix


def _dml_learners(outcome_learner, treatment_learner, n_folds, *targets):
    """Checked (outcome, treatment) learners; ``targets`` are
    ``(values, column)`` pairs in the same order."""
    checked = []
    for learner, role, (values, column) in zip(
            (outcome_learner, treatment_learner),
            ("outcome_learner", "treatment_learner"), targets):
        learner = check_learner(learner, role)
        check_classifier_target(learner, role, values, column)
        if n_folds > 1 and not callable(getattr(learner, "get_params", None)):
            raise TypeError(
                f"{role} {learner!r} has no get_params, so it cannot be "
                "copied for each fold (sklearn.base.clone); subclass "
                "sklearn.base.BaseEstimator, or use n_folds=1"
            )
        checked.append(learner)
    return tuple(checked)


def _folds(t, n_folds, generator, treatment):
    """Train/test splits, None without splitting. A 0/1 treatment is
    split by arm (``StratifiedKFold``) so every training fold holds
    treated and control units; a dose by ``KFold``."""
    if n_folds == 1:
        return None
    seed = int(generator.integers(2**32))
    binary = np.isin(t, (0.0, 1.0)).all()
    if not binary:
        return list(KFold(n_folds, shuffle=True, random_state=seed).split(t))
    smaller = int(min(np.count_nonzero(t), np.count_nonzero(t == 0)))
    if smaller < n_folds:
        raise ValueError(
            f"treatment column {treatment!r} has only {smaller} unit(s) in "
            f"one arm, fewer than n_folds={n_folds}: each fold needs units "
            "of both arms; lower n_folds"
        )
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    return list(splitter.split(t, t))


def _cross_fit(learner, X, target, folds) -> np.ndarray:
    """Out-of-fold predictions; in-sample ones when ``folds`` is None."""
    if folds is None:
        return predict(clone(learner, safe=False).fit(X, target), X)
    if is_classifier(learner):
        # Columns follow the sorted classes of the 0/1 target: 1 is last.
        proba = cross_val_predict(learner, X, target, cv=folds,
                                  method="predict_proba")
        return proba[:, -1]
    fitted = cross_val_predict(learner, X, target, cv=folds)
    return np.asarray(fitted, dtype=float).ravel()


def _partial_out(learners, X, y, t, folds, columns):
    """One cross-fitting pass: residualise, check, solve the score.
    ``columns`` is the treatment's name and the covariates' names."""
    outcome_learner, treatment_learner = learners
    treatment, names = columns
    y_res = y - _cross_fit(outcome_learner, X, y, folds)
    m = _cross_fit(treatment_learner, X, t, folds)
    if is_classifier(treatment_learner):
        check_learned_overlap(
            m, t, names, "in-sample propensity"
            if folds is None else "cross-fitted propensity")
    t_res = t - m
    if not t_res @ t_res > 1e-20 * np.sum((t - t.mean()) ** 2):
        raise ValueError(
            f"treatment column {treatment!r} has no variation left "
            "once the covariates are partialled out: the covariates "
            "predict it exactly (is it, or a copy, among them?)"
        )
    return partialling_out(y_res, t_res)


def _method(n_folds, n_repeats, learners) -> str:
    split = (
        "no sample splitting" if n_folds == 1
        else f"{n_folds}-fold cross-fitting"
        + (f" x {n_repeats} repeats, median" if n_repeats > 1 else "")
    )
    names = [type(learner).__name__ for learner in learners]
    return (f"DML partialling out ({split}; outcome {names[0]}, "
            f"treatment {names[1]})")
