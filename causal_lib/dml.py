r"""Double machine learning (DML) for the partially linear model.

:func:`dml` estimates the effect :math:`\theta` in

.. math::

    Y = \theta T + g(X) + \varepsilon, \qquad T = m(X) + V,

by partialling out: predict the outcome and the treatment from the
covariates with any scikit-learn regressors, fitted on other folds of the
data (cross-fitting), and regress the outcome's residual on the treatment's
residual. With ``n_folds=1`` and linear learners this is exactly the
Frisch--Waugh--Lovell construction of the OLS coefficient, which is how the
book introduces it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate


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
        never fitted. A classifier is used through ``predict_proba`` (the
        probability of 1) and needs a 0/1 target.
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
        Seed or generator for the fold assignment; pass one for a
        reproducible estimate.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"ATE"``: the constant effect :math:`\theta` of the
        partially linear model (see Notes for what it means when effects
        vary). ``n_treated`` counts units with a nonzero treatment.

    Raises
    ------
    ValueError
        If a column is missing, non-numeric, or holds NaN or infinite
        values; if the treatment or outcome is also a covariate; if the
        treatment has no variation left once the covariates are partialled
        out; if ``n_folds`` or ``n_repeats`` is out of range; or if a
        classifier is given for a column that is not 0/1.
    TypeError
        If a learner lacks ``fit`` or ``predict`` (or, for a classifier,
        ``predict_proba``).

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
    evaluating a learner on its own training rows. (Bare
    ``LinearRegression`` learners, the default, are fitted from per-fold QR
    factors in one pass: the same numbers, several times faster.)

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

    See chapter 7 of the book.

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
    (2.0, 'ATE')

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
    _checks.require_frame(df)
    _checks.require_columns(df, treatment=treatment, outcome=outcome)
    t = _finite_column(df, treatment, "treatment")
    y = _finite_column(df, outcome, "outcome")
    X = _covariate_array(df, covariates, treatment, outcome)
    n = len(y)
    n_folds = _check_count(n_folds, "n_folds", 1, n)
    n_repeats = _check_count(n_repeats, "n_repeats", 1, None)
    if n_repeats > 1 and n_folds == 1:
        raise ValueError(
            "n_repeats > 1 needs n_folds >= 2: without sample splitting "
            "every repeat gives the same estimate"
        )
    if np.ptp(t) == 0:
        raise ValueError(
            f"treatment column {treatment!r} is constant; its effect "
            "cannot be estimated"
        )
    outcome_learner = _check_learner(outcome_learner, "outcome_learner")
    treatment_learner = _check_learner(treatment_learner, "treatment_learner")
    _check_classifier_target(outcome_learner, "outcome_learner", y, outcome)
    _check_classifier_target(
        treatment_learner, "treatment_learner", t, treatment
    )

    generator = np.random.default_rng(rng)
    thetas, std_errors = [], []
    for _ in range(n_repeats):
        folds = _fold_ids(n, n_folds, generator)
        if _plain_ols(outcome_learner) and _plain_ols(treatment_learner):
            ell, m = _ols_cross_fit(X, y, t, folds, n_folds)
        else:
            ell = _cross_fit(outcome_learner, X, y, folds, n_folds)
            m = _cross_fit(treatment_learner, X, t, folds, n_folds)
        y_res, t_res = y - ell, t - m
        if not t_res @ t_res > 1e-20 * np.sum((t - t.mean()) ** 2):
            raise ValueError(
                f"treatment column {treatment!r} has no variation left "
                "once the covariates are partialled out: the covariates "
                "predict it exactly (is it, or a copy, among them?)"
            )
        theta, std_error = partialling_out(y_res, t_res)
        thetas.append(theta)
        std_errors.append(std_error)
    thetas, std_errors = np.array(thetas), np.array(std_errors)
    theta = np.median(thetas)
    std_error = np.sqrt(np.median(std_errors**2 + (thetas - theta) ** 2))

    split = (
        "no sample splitting" if n_folds == 1
        else f"{n_folds}-fold cross-fitting"
        + (f" x {n_repeats} repeats, median" if n_repeats > 1 else "")
    )
    names = (type(outcome_learner).__name__,
             type(treatment_learner).__name__)
    return EffectEstimate.from_normal(
        "ATE", theta, std_error, n=n, n_treated=int(np.count_nonzero(t)),
        method=f"DML partialling out ({split}; outcome {names[0]}, "
               f"treatment {names[1]})",
        alpha=alpha,
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

def _finite_column(df, column, role) -> np.ndarray:
    values = _checks.numeric_column(df, column, role)
    if not np.isfinite(values).all():
        raise ValueError(f"{role} column {column!r} holds infinite values")
    return values


def _covariate_array(df, covariates, treatment, outcome) -> np.ndarray:
    from causal_lib._design import covariate_matrix

    X = covariate_matrix(df, covariates, intercept=False)
    for role, column in (("treatment", treatment), ("outcome", outcome)):
        if column in X.columns:
            raise ValueError(
                f"{role} column {column!r} is also among the covariates; "
                "adjust only for variables determined before treatment"
            )
    if X.shape[1] == 0:
        raise ValueError(
            f"covariates {covariates!r} give no columns besides an intercept"
        )
    values = X.to_numpy(dtype=np.float64)
    finite = np.isfinite(values).all(axis=0)
    if not finite.all():
        raise ValueError(
            f"covariate column {X.columns[~finite][0]!r} holds infinite "
            "values"
        )
    return values


def _check_count(value, name, low, high) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high} (the number of rows)" \
            if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def _check_learner(learner, role):
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


def _is_classifier(learner) -> bool:
    from sklearn.base import is_classifier

    # Objects that merely have fit/predict carry no scikit-learn tags.
    return hasattr(learner, "__sklearn_tags__") and is_classifier(learner)


def _check_classifier_target(learner, role, values, column):
    if not _is_classifier(learner):
        return
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(
            f"{role} is a classifier but column {column!r} is not 0/1; "
            "use a regressor"
        )
    if not callable(getattr(learner, "predict_proba", None)):
        raise TypeError(
            f"{role} is a classifier without predict_proba; DML needs "
            "predicted probabilities, not labels"
        )


def _fold_ids(n: int, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """Random fold labels 0..n_folds-1 whose sizes differ by at most one."""
    folds = np.empty(n, dtype=np.intp)
    folds[rng.permutation(n)] = np.arange(n) % n_folds
    return folds


def _cross_fit(learner, X, target, folds, n_folds) -> np.ndarray:
    """Out-of-fold predictions (in-sample ones when ``n_folds == 1``)."""
    from sklearn.base import clone

    def predict(model, rows):
        if _is_classifier(model):
            proba = model.predict_proba(rows)
            return proba[:, list(model.classes_).index(1.0)]
        return model.predict(rows)

    if n_folds == 1:
        model = clone(learner, safe=False).fit(X, target)
        return np.asarray(predict(model, X), dtype=float).ravel()
    fitted = np.empty_like(target)
    for k in range(n_folds):
        test = folds == k
        model = clone(learner, safe=False).fit(X[~test], target[~test])
        fitted[test] = np.asarray(predict(model, X[test]), float).ravel()
    return fitted


def _plain_ols(learner) -> bool:
    from sklearn.linear_model import LinearRegression

    if type(learner) is not LinearRegression:
        return False
    params = learner.get_params()
    return params["fit_intercept"] and not params["positive"]


def _ols_cross_fit(X, y, t, folds, n_folds):
    r"""Out-of-fold OLS predictions of ``y`` and ``t``, both at once.

    The same numbers as cloning ``LinearRegression`` per fold, several
    times faster: each fold's rows of :math:`A = [1, X, y, t]` are reduced
    once to the triangular factor :math:`R_k` of a Householder QR. Since
    :math:`A_{-k}^\top A_{-k} = \sum_{j \ne k} R_j^\top R_j`, the fit on the
    other folds is the small least-squares problem on their stacked
    factors, as stable as one on the rows themselves.
    """
    A = np.column_stack([np.ones_like(y), X, y, t])
    p = A.shape[1] - 2
    factors = [np.linalg.qr(A[folds == k], mode="r") for k in range(n_folds)]
    fitted = np.empty((len(y), 2))
    for k in range(n_folds):
        train = factors[:k] + factors[k + 1:] if n_folds > 1 else factors
        stacked = np.vstack(train)
        coef = np.linalg.lstsq(stacked[:, :p], stacked[:, p:], rcond=None)[0]
        rows = folds == k
        fitted[rows] = A[rows, :p] @ coef
    return fitted[:, 0], fitted[:, 1]
