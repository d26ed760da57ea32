r"""Instrumental variables: the Wald estimator and two-stage least squares.

An experiment randomises *assignment* :math:`Z` (a new carousel placed at
the top of the home page), but users decide whether they take the
treatment :math:`D` (scroll to the carousel). Comparing users by the
treatment they took mixes its effect with who chooses to take it; the
assignment is clean but measures the effect of being *offered* the
treatment (intention to treat). Used as an instrument, the assignment
identifies the average effect of the treatment among the *compliers*,
the users whose treatment the assignment changes (Imbens and Angrist,
1994): the local average treatment effect (LATE),

.. math::

    \tau_{\mathrm{LATE}} = E[Y(1) - Y(0) \mid D(1) > D(0)]
    = \frac{E[Y \mid Z = 1] - E[Y \mid Z = 0]}
           {E[D \mid Z = 1] - E[D \mid Z = 0]},

under four assumptions: the instrument is as good as random
(independence), moves the treatment (relevance), affects the outcome
only through the treatment (exclusion) and pushes nobody away from it
(monotonicity: no defiers). :func:`wald` computes the ratio for a 0/1
instrument; :func:`tsls` generalises it to several instruments and
covariates. Both warn with a
:class:`~causal_lib.iv.WeakInstrumentWarning` when the instrument
barely moves the treatment, and raise when it does not move it at all.

See :ref:`ch-exp`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_lib import _checks
from causal_lib._checks import WEAK_INSTRUMENT_F, WeakInstrumentWarning
from causal_lib._design import check_design, covariate_matrix
from causal_lib.estimate import EffectEstimate

__all__ = [
    "WEAK_INSTRUMENT_F",
    "WeakInstrumentWarning",
    "first_stage_f",
    "tsls",
    "wald",
]


def _binary_count(d) -> int | None:
    """Number of units with treatment 1, or None for a treatment that is
    not 0/1 (years of schooling, minutes watched)."""
    if np.isin(d, (0.0, 1.0)).all():
        return int(d.sum())
    return None


def wald(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    instrument: str,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""The Wald (ratio) estimator of the local average treatment effect.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    treatment : str
        The treatment actually taken: a numeric column, 0/1 (exposed or
        not) or a dose (years of schooling).
    instrument : str
        A 0/1 column, such as the randomised assignment.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"LATE"``; ``n_treated`` counts units with treatment 1
        (None for a treatment that is not 0/1). ``method`` gives the
        first-stage F statistic.

    Raises
    ------
    ValueError
        If a column is missing or plays two roles, a used column holds
        NaN or infinite values, the instrument is not 0/1, an arm of the
        instrument has fewer than two units, or the mean treatment is the
        same in both arms (the instrument does not move the treatment:
        the ratio divides by zero).

    Warns
    -----
    WeakInstrumentWarning
        If the first-stage F statistic, :math:`(\Delta_D /
        \widehat{\mathrm{se}}(\Delta_D))^2`, is below 10. The standard
        error is Neyman's, with each arm's own variance, so this F allows
        for heteroskedasticity; :func:`first_stage_f` pools the variance
        by default, and the two differ slightly.

    Notes
    -----
    With :math:`\Delta_Y = \bar Y_{Z=1} - \bar Y_{Z=0}` (the intention-to-
    treat effect) and :math:`\Delta_D = \bar D_{Z=1} - \bar D_{Z=0}` (the
    first stage, the complier share when the treatment is 0/1),

    .. math::

        \hat\tau = \frac{\Delta_Y}{\Delta_D}, \qquad
        \widehat{\mathrm{se}}(\hat\tau) = \frac{1}{|\Delta_D|}
        \sqrt{\frac{s_{1}^2(U)}{n_1} + \frac{s_{0}^2(U)}{n_0}},
        \quad U_i = Y_i - \hat\tau D_i,

    the delta-method standard error: :math:`\hat\tau - \tau` is, to first
    order, the difference in means of :math:`Y - \tau D` divided by
    :math:`\Delta_D`, and that difference gets Neyman's unpooled
    variance (:math:`s_a^2` has divisor :math:`n_a - 1`). Without
    covariates the estimate equals two-stage least squares with the
    instrument (:func:`tsls`); the standard errors agree to first order.
    It estimates the LATE under independence, relevance, exclusion and
    monotonicity; with a violated exclusion restriction it is off by the
    instrument's direct effect divided by :math:`\Delta_D`.

    References
    ----------
    Wald, A. (1940). The fitting of straight lines if both variables are
    subject to error. *Annals of Mathematical Statistics* 11(3), 284--300.

    Imbens, G. W. and Angrist, J. D. (1994). Identification and estimation
    of local average treatment effects. *Econometrica* 62(2), 467--475.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> z = np.repeat([0, 1], 100)
    >>> d = np.r_[np.arange(100) < 20, np.arange(100) < 70].astype(int)
    >>> df = pd.DataFrame({"z": z, "d": d, "y": 1.0 + 2.0 * d})
    >>> est = wald(df, outcome="y", treatment="d", instrument="z")
    >>> round(est.estimate, 10)  # (0.7 * 2 - 0.2 * 2) / (0.7 - 0.2)
    2.0
    """
    _checks.require_frame(df)
    roles = {"outcome": outcome, "treatment": treatment,
             "instrument": instrument}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    alpha = _checks.check_alpha(alpha)
    y = _checks.numeric_column(df, outcome, "outcome")
    d = _checks.numeric_column(df, treatment, "treatment")
    z = _checks.binary_column(df, instrument, "instrument") == 1
    _checks.check_arms(np.bincount(z, minlength=2), instrument, minimum=2)
    first = d[z].mean() - d[~z].mean()
    if first == 0:
        raise ValueError(
            f"instrument {instrument!r} does not move treatment "
            f"{treatment!r}: its mean is the same in both arms, so the "
            "effect is not identified (the Wald ratio divides by zero)"
        )
    estimate = (y[z].mean() - y[~z].mean()) / first
    u = y - estimate * d
    std_error = np.sqrt(u[z].var(ddof=1) / z.sum()
                        + u[~z].var(ddof=1) / (~z).sum()) / abs(first)
    first_se = np.sqrt(d[z].var(ddof=1) / z.sum()
                       + d[~z].var(ddof=1) / (~z).sum())
    f_stat = (first / first_se) ** 2 if first_se > 0 else np.inf
    _checks.warn_weak_instrument(
        f_stat, f"instrument {instrument!r} for {treatment!r}")
    return EffectEstimate.from_normal(
        "LATE", estimate, std_error, n=len(y), n_treated=_binary_count(d),
        method=f"Wald ratio (delta-method SE; first-stage F = "
               f"{f_stat:.4g})",
        alpha=alpha,
    )


def _iv_arrays(df, outcome, treatment, instruments, covariates):
    """Checked outcome, treatment, covariate design (with intercept) and
    instrument matrix; ``outcome`` may be None (first stage only)."""
    _checks.require_frame(df)
    if isinstance(instruments, str):
        instruments = [instruments]
    instruments = list(instruments)
    if not instruments:
        raise ValueError("instruments is empty; give at least one column")
    roles = {"outcome": outcome, "treatment": treatment}
    roles |= {f"instrument {i + 1}": col for i, col in enumerate(instruments)}
    roles = {role: col for role, col in roles.items() if col is not None}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    _checks.not_covariates(covariates, df.columns, **roles)
    y = None if outcome is None else _checks.numeric_column(
        df, outcome, "outcome")
    d = _checks.numeric_column(df, treatment, "treatment")
    z = np.column_stack([_checks.numeric_column(df, col, "instrument")
                         for col in instruments])
    for col, values in zip(instruments, z.T):
        if values.min() == values.max():
            raise ValueError(
                f"instrument column {col!r} is constant: it cannot move "
                f"treatment {treatment!r}, so it identifies nothing"
            )
    if covariates is None:
        matrix = pd.DataFrame({"Intercept": 1.0}, index=df.index)
    else:
        matrix = covariate_matrix(df, covariates)
        if "Intercept" not in matrix.columns:  # a formula with "- 1"
            matrix.insert(0, "Intercept", 1.0)
    full = pd.concat([matrix, pd.DataFrame(z, columns=instruments,
                                           index=df.index)], axis=1)
    try:
        check_design(full, covariates)
    except ValueError as error:
        raise ValueError(
            f"in the first stage (covariates and instruments together), "
            f"{error}"
        ) from None
    return y, d, full.to_numpy()[:, :matrix.shape[1]], z, instruments


def _first_stage(d, w, z):
    """Conventional F statistic of the excluded instruments and the
    share of the treatment's residual variance (given the covariates)
    they explain."""
    f = np.column_stack([w, z])
    rss_full = _rss(f, d)
    rss_covariates = _rss(w, d)
    q, dof = z.shape[1], len(d) - f.shape[1]
    gain = rss_covariates - rss_full
    partial_r2 = gain / rss_covariates if rss_covariates > 0 else 0.0
    f_stat = (gain / q) / (rss_full / dof) if rss_full > 0 else np.inf
    return f_stat, partial_r2


def _rss(x, v):
    """Residual sum of squares of the least-squares fit of v on x."""
    coef = np.linalg.solve(x.T @ x, x.T @ v)
    r = v - x @ coef
    return float(r @ r)


def first_stage_f(
    df: pd.DataFrame,
    *,
    treatment: str,
    instruments,
    covariates=None,
    robust: bool = False,
) -> float:
    r"""The first-stage F statistic of the excluded instruments.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        Numeric treatment column (the endogenous variable).
    instruments : str or list of str
        The excluded instrument column(s).
    covariates : list of str or str, optional
        Exogenous covariates (column names or a formula right-hand side),
        included in both stages; an intercept is always included.
    robust : bool, default False
        False gives the conventional F test that the instruments'
        coefficients are all zero in the regression of the treatment on
        instruments and covariates; True gives the
        heteroskedasticity-robust (HC0) Wald statistic divided by the
        number of instruments.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`tsls`.

    Notes
    -----
    With :math:`q` instruments, :math:`m` first-stage regressors and
    residual sums of squares :math:`\mathrm{RSS}_W` (treatment on the
    covariates alone) and :math:`\mathrm{RSS}_{WZ}` (on covariates and
    instruments),

    .. math::

        F = \frac{(\mathrm{RSS}_W - \mathrm{RSS}_{WZ}) / q}
                 {\mathrm{RSS}_{WZ} / (n - m)}.

    Below about 10 (Staiger and Stock, 1997) two-stage least squares is
    biased towards OLS and its interval unreliable. The robust version
    is :math:`\hat\pi^\top \hat V_{\pi}^{-1} \hat\pi / q`, with
    :math:`\hat V_{\pi}` the HC0 covariance of the instruments'
    coefficients; with one instrument it is the squared robust
    t statistic (the effective F of Montiel Olea and Pflueger, 2013).

    References
    ----------
    Staiger, D. and Stock, J. H. (1997). Instrumental variables
    regression with weak instruments. *Econometrica* 65(3), 557--586.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> z = np.repeat([0, 1], 100)
    >>> d = np.r_[np.arange(100) < 20, np.arange(100) < 70].astype(int)
    >>> df = pd.DataFrame({"z": z, "d": d})
    >>> # 0.5**2 / (37 / 198 * (1/100 + 1/100)): a squared pooled t
    >>> round(first_stage_f(df, treatment="d", instruments="z"), 2)
    66.89
    """
    _, d, w, z, _ = _iv_arrays(df, None, treatment, instruments, covariates)
    if not robust:
        return float(_first_stage(d, w, z)[0])
    f = np.column_stack([z, w])
    bread = np.linalg.inv(f.T @ f)
    coef = bread @ (f.T @ d)
    scores = f * (d - f @ coef)[:, None]
    q = z.shape[1]
    cov = (bread @ (scores.T @ scores) @ bread)[:q, :q]
    pi = coef[:q]
    return float(pi @ np.linalg.solve(cov, pi) / q)


def tsls(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    instruments,
    covariates=None,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Two-stage least squares with heteroskedasticity-robust errors.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    treatment : str
        Numeric treatment column, the one endogenous regressor (0/1, or a
        dose such as years of schooling).
    instruments : str or list of str
        The excluded instrument column(s), at least one.
    covariates : list of str or str, optional
        Exogenous covariates, as column names or a formula right-hand side
        (patsy syntax), included in both stages; an intercept is always
        included.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"LATE"``: the coefficient on the treatment, with its
        HC0 robust standard error; ``method`` gives the first-stage F
        statistic (:func:`first_stage_f`). ``n_treated`` counts units
        with treatment 1 (None for a treatment that is not 0/1).

    Raises
    ------
    ValueError
        If a column is missing or plays two roles, a used column holds
        NaN or infinite values, an instrument is constant, a covariate or
        instrument is constant or collinear with the others (named), or
        the instruments explain none of the treatment's variation left
        after the covariates (the effect is not identified).

    Warns
    -----
    WeakInstrumentWarning
        If the first-stage F statistic is below 10.

    Notes
    -----
    With :math:`X = [D, W]` (treatment and covariates with an intercept)
    and the instrument set :math:`F = [Z, W]`, the first stage projects
    :math:`X` on :math:`F`, :math:`\hat X = F (F^\top F)^{-1} F^\top X`,
    and the second regresses :math:`Y` on :math:`\hat X`:

    .. math::

        \hat\beta = (\hat X^\top X)^{-1} \hat X^\top Y, \qquad
        \hat V = (\hat X^\top \hat X)^{-1}
            \Bigl(\sum_i \hat x_i \hat x_i^\top \hat e_i^2\Bigr)
            (\hat X^\top \hat X)^{-1},

    with residuals :math:`\hat e = Y - X\hat\beta` computed with the
    *actual* treatment (the second stage's own residuals would give wrong
    standard errors). The estimator and its HC0 covariance match
    linearmodels' ``IV2SLS(...).fit(cov_type="robust")``. With one 0/1
    instrument and no covariates the estimate is the Wald ratio
    (:func:`wald`); with covariates and a heterogeneous effect it is a
    weighted average of covariate-specific LATEs. Everything is computed
    from the cross products :math:`F^\top F, F^\top X, F^\top Y` (the
    textbook formula), one pass over the data each: on :math:`10^6` rows
    with ten covariates, checks included, it takes about 1.5 times one
    statsmodels OLS fit of the same size, which factorises the full data
    matrix (``bench/bench_iv.py``; two such fits would take 2 times).

    References
    ----------
    Angrist, J. D. and Pischke, J.-S. (2009). *Mostly Harmless
    Econometrics*, chapter 4. Princeton University Press.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = np.repeat([0, 1], 100)
    >>> d = np.r_[np.arange(100) < 20, np.arange(100) < 70].astype(int)
    >>> x = rng.normal(size=200)
    >>> df = pd.DataFrame({"z": z, "d": d, "x": x, "y": 1 + 2 * d + x})
    >>> est = tsls(df, outcome="y", treatment="d", instruments="z",
    ...            covariates=["x"])
    >>> round(est.estimate, 10)
    2.0
    """
    alpha = _checks.check_alpha(alpha)
    y, d, w, z, names = _iv_arrays(df, outcome, treatment, instruments,
                                   covariates)
    f_stat, partial_r2 = _first_stage(d, w, z)
    what = f"instrument(s) {names} for {treatment!r}"
    if partial_r2 < 1e-12:
        raise ValueError(
            f"{what}: the instruments explain none of the treatment's "
            "variation left after the covariates (first-stage F = "
            f"{f_stat:.3g}), so the effect is not identified"
        )
    _checks.warn_weak_instrument(f_stat, what)
    beta, cov = _tsls_fit(y, d, w, z)
    return EffectEstimate.from_normal(
        "LATE", beta[0], np.sqrt(cov[0, 0]), n=len(y),
        n_treated=_binary_count(d),
        method=f"2SLS (HC0 SE; first-stage F = {f_stat:.4g})", alpha=alpha,
    )


def _tsls_fit(y, d, w, z):
    """Coefficients of ``[d, w]`` and their HC0 covariance."""
    x = np.column_stack([d, w])
    f = np.column_stack([z, w])
    projection = np.linalg.solve(f.T @ f, f.T @ x)  # first-stage coefs
    x_hat = f @ projection
    bread = np.linalg.inv(x_hat.T @ x)
    beta = bread @ (x_hat.T @ y)
    scores = x_hat * (y - x @ beta)[:, None]
    return beta, bread @ (scores.T @ scores) @ bread.T
