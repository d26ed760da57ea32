r"""Biased feedback: ratings missing not at random, and position bias.

Users rate what they choose to rate, click on what they look at, and look
at what the recommender put on top. The ratings and clicks a recommender
learns from are a biased sample of what users think of the catalogue.
This module evaluates rating predictions and rankings from such feedback
as if every user had judged every item, and estimates the probabilities
that make this possible.

**Observation propensities.** For a user :math:`u` and an item :math:`i`
let :math:`Y_{ui}` be the user's rating (or relevance) and
:math:`O_{ui} = 1` if it was observed, with probability
:math:`p_{ui} = P(O_{ui} = 1)`, the *propensity of observation*. A metric
that averages a per-pair quantity :math:`\delta_{ui}` over all :math:`N`
pairs (a squared error, a rank-discounted gain) has the full-information
value :math:`R = N^{-1} \sum_{u,i} \delta_{ui}`, and three estimates from
the observed pairs (Schnabel et al., 2016):

.. math::

    \hat R_{\text{naive}} = \frac{\sum O_{ui}\,\delta_{ui}}{\sum O_{ui}},
    \qquad
    \hat R_{\text{IPS}} = \frac1N \sum \frac{O_{ui}\,\delta_{ui}}{p_{ui}},
    \qquad
    \hat R_{\text{SNIPS}} = \frac{\sum O_{ui}\,\delta_{ui}/p_{ui}}
                                 {\sum O_{ui}/p_{ui}}.

Because :math:`E[O_{ui}/p_{ui}] = 1`, IPS is unbiased whenever every
pair can be observed (:math:`p_{ui} > 0`) and :math:`p_{ui}` is the true
probability, whatever it depends on, the rating itself included. The
naive average is unbiased only if ratings are missing completely at
random. SNIPS divides by an estimate of :math:`N` instead of :math:`N`;
it is slightly biased and unchanged when every propensity is multiplied
by the same constant. It is less variable than IPS when the large weights
fall on pairs with large :math:`\delta_{ui}`, and more variable when they
fall on pairs with :math:`\delta_{ui}` near 0.

**Position bias.** In the position-based model a user examines position
:math:`k` of a list with probability :math:`\theta_k` (the *examination
probability*), independently of the item, and clicks an examined item
with probability :math:`r_{ui}`, its relevance. A click is then
:math:`C = E\,R` with :math:`E \sim \text{Bernoulli}(\theta_k)`, and
:math:`E[C/\theta_k] = r_{ui}`: a click divided by the examination
probability of the position where it happened is an unbiased estimate of
the relevance (Joachims, Swaminathan and Schnabel, 2017). The metrics
below accept click logs as they are (``observed=None``, ``relevance`` the
click, ``propensity`` :math:`\theta_k` of the logged position).
:func:`position_propensities` estimates :math:`\theta_k / \theta_1` from
randomised swaps or from uniformly random logs.

The columns, passed by keyword:

=========================  ==================================================
argument                   the column holds, for row (pair) :math:`u, i`
=========================  ==================================================
``observed``               :math:`O_{ui}`, 0/1; ``None`` counts every row as
                           observed (full information, or click logs)
``propensity``             :math:`p_{ui}` or :math:`\theta_k`, in (0, 1]; it
                           may be missing (NaN) where ``observed`` is 0
``rating``, ``relevance``  :math:`Y_{ui}`; missing (NaN) where ``observed``
                           is 0, finite where it is 1
``prediction``             the model's predicted rating (NaN allowed where
                           ``observed`` is 0)
``user_id``                the list a row belongs to (a user or a session)
``score``                  the ranking to evaluate, higher first
=========================  ==================================================

``weighting`` chooses ``"naive"``, ``"ips"`` (the default) or
``"snips"``; ``cap`` replaces propensities below it by ``cap``
(propensity clipping: less variance, some bias). Each metric returns an
:class:`~causal_lib.estimate.EffectEstimate` with a normal interval. This
module imports no simulator. See :ref:`ch-bias`.

References
----------
Schnabel, T., Swaminathan, A., Singh, A., Chandak, N. and Joachims, T.
(2016). Recommendations as treatments: debiasing learning and
evaluation. *ICML*, 1670--1679.

Joachims, T., Swaminathan, A. and Schnabel, T. (2017). Unbiased
learning-to-rank with biased feedback. *WSDM '17*, 781--789.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate
from causal_lib.evaluation import in_top_k

__all__ = ["dcg_at_k", "gini_coefficient", "mean_jaccard", "mse",
           "naive_bayes_propensity",
           "position_propensities", "recall_at_k"]

WEIGHTINGS = ("naive", "ips", "snips")

_METHODS = {
    "naive": "naive (observed pairs only)",
    "ips": "IPS (inverse propensity scoring)",
    "snips": "SNIPS (self-normalised IPS)",
}


# --- input checks ------------------------------------------------------------

def _check_weighting(weighting) -> str:
    if weighting not in WEIGHTINGS:
        raise ValueError(
            f"weighting must be one of {', '.join(WEIGHTINGS)}; got "
            f"{weighting!r}"
        )
    return weighting


def _check_cap(cap):
    if cap is None:
        return None
    return _checks.check_probability(cap, "cap", open_low=True)


def _partly_missing(df, column, role, observed):
    """Floats that may be NaN where ``observed`` is False, finite where
    it is True, and never infinite."""
    series = df[column]
    if not (pd.api.types.is_numeric_dtype(series)
            or pd.api.types.is_bool_dtype(series)):
        raise ValueError(
            f"{role} column {column!r} must be numeric, got dtype "
            f"{series.dtype}"
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise ValueError(
            f"{role} column {column!r} holds infinite values ({n_inf} of "
            "them); drop or transform them first"
        )
    missing = np.isnan(values) & observed
    if missing.any():
        raise ValueError(
            f"{role} column {column!r} is missing (NaN) on "
            f"{int(missing.sum())} row(s) that need it; it may be missing "
            "only where the row is not observed"
        )
    return values


def _propensity_values(df, column, observed):
    """Propensities in (0, 1]; NaN allowed only on unobserved rows."""
    p = _partly_missing(df, column, "propensity", observed)
    given = p[~np.isnan(p)]
    zero = int(np.sum(given == 0))
    if zero:
        raise ValueError(
            f"propensity column {column!r} is 0 on {zero} row(s): a pair "
            "that can never be observed leaves its share of the metric "
            "out of every weighted estimate (positivity fails). Check the "
            "propensities, or restrict the evaluation to pairs that can "
            "be observed"
        )
    outside = (given < 0) | (given > 1)
    if outside.any():
        examples = np.unique(given[outside])[:5].tolist()
        raise ValueError(
            f"propensity column {column!r} must hold probabilities in "
            f"(0, 1]; found {int(outside.sum())} value(s) such as "
            f"{examples}"
        )
    return p


def _observation(df, observed, propensity, weighting, cap):
    """The 0/1 observation mask and each row's weight.

    The weight is :math:`O/p` for IPS and SNIPS and :math:`O` for the
    naive estimate, whose propensities (if given) are checked but unused.
    Without ``observed`` and ``propensity`` every weight is 1: the
    full-information value, whatever the weighting.
    """
    if observed is None:
        o = np.ones(len(df), dtype=bool)
    else:
        o = _checks.binary_column(df, observed, "observed").astype(bool)
    if propensity is None:
        if weighting != "naive" and observed is not None:
            raise ValueError(
                f"weighting={weighting!r} needs propensity=, the column "
                "of observation (or examination) probabilities; use "
                "weighting='naive' to ignore them"
            )
        return o, o.astype(float)
    if weighting == "snips" and observed is None:
        raise ValueError(
            "weighting='snips' needs observed=: it divides by the sum of "
            "O/p over all rows, and without the observation events (click "
            "logs record clicks, not examinations) that sum is not an "
            "estimate of the number of rows; use weighting='ips'"
        )
    p = _propensity_values(df, propensity, o)
    if weighting == "naive":
        return o, o.astype(float)
    if cap is not None:
        p = np.maximum(p, cap)
    # p may be NaN on unobserved rows, which get weight 0.
    return o, np.where(o, 1.0 / np.where(o, p, 1.0), 0.0)


def _roles(df, alpha, weighting, cap, **roles):
    """Check the frame, the role columns, alpha, weighting and cap."""
    _checks.require_frame(df)
    roles = {role: col for role, col in roles.items() if col is not None}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    return (_checks.check_alpha(alpha), _check_weighting(weighting),
            _check_cap(cap))


def _user_codes(df, user_id):
    column = df[user_id]
    _checks.no_missing(column, f"user_id column {user_id!r}")
    codes, uniques = pd.factorize(column)
    if len(uniques) < 2:
        raise ValueError(
            f"user_id column {user_id!r} has 1 list; at least 2 are "
            "needed for a standard error"
        )
    return codes, len(uniques)


# --- the estimate ------------------------------------------------------------

def _mean_or_ratio(a, b, self_normalize):
    r"""Mean of ``a`` (IPS) or :math:`\bar a / \bar b` (self-normalised),
    with the standard error over the units (rows or lists).

    The ratio's standard error is the delta-method one, the standard
    deviation of :math:`(a - \hat R\, b) / \bar b` over :math:`\sqrt n`.
    """
    n = len(a)
    if not self_normalize:
        return float(a.mean()), float(a.std(ddof=1) / math.sqrt(n))
    if b.sum() == 0:
        raise ValueError(
            "no observed row carries any weight, so the self-normalised "
            "estimate is 0/0; check the observed column"
        )
    estimate = a.sum() / b.sum()
    psi = (a - estimate * b) / b.mean()
    return float(estimate), float(psi.std(ddof=1) / math.sqrt(n))


def _result(estimand, estimate, std_error, n, weighting, cap, alpha,
            unit):
    if not (np.isfinite(estimate) and np.isfinite(std_error)):
        raise ValueError(
            "the weighted metric overflows to infinity (propensities too "
            "close to 0 for the values' scale); pass cap= or rescale"
        )
    method = _METHODS[weighting]
    if cap is not None and weighting != "naive":
        method += f", propensities capped at {cap:g}"
    return EffectEstimate.from_normal(
        estimand, estimate, std_error, n=n, n_treated=None,
        method=f"{method}; SE across {unit}", alpha=alpha,
    )


def mse(
    df: pd.DataFrame,
    *,
    rating: str,
    prediction: str,
    observed: str | None = None,
    propensity: str | None = None,
    weighting: str = "ips",
    cap: float | None = None,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Mean squared error of rating predictions over every user-item pair.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per user-item pair of the catalogue, observed or not.
    rating : str
        The user's rating, NaN where it was not observed.
    prediction : str
        The model's predicted rating (NaN allowed where not observed).
    observed : str, optional
        0/1, whether the rating was observed; None means every row was.
    propensity : str, optional
        The probability that the row's rating is observed, in (0, 1];
        required unless ``weighting="naive"``. NaN is allowed on
        unobserved rows, which IPS never divides by.
    weighting : {"ips", "snips", "naive"}, default "ips"
        Inverse propensity scoring, its self-normalised version, or the
        plain average over observed rows (propensities unused).
    cap : float, optional
        Replace propensities below ``cap`` by ``cap`` (at most a weight
        of ``1/cap``); biased towards the observed pairs.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    EffectEstimate
        Estimand ``"MSE"``, ``n`` the number of rows (pairs) for IPS and
        SNIPS and the number of observed rows for the naive estimate,
        ``n_treated`` None.

    Raises
    ------
    ValueError
        If a column is missing, plays two roles or is not numeric; a
        rating, prediction or propensity is NaN on an observed row or
        infinite anywhere; ``observed`` is not 0/1; a propensity is 0 or
        outside (0, 1]; IPS or SNIPS lacks ``propensity`` or SNIPS lacks
        ``observed``; fewer than two rows are observed; ``weighting``,
        ``cap`` or ``alpha`` is invalid.

    Notes
    -----
    With :math:`\delta_{ui} = (Y_{ui} - \hat Y_{ui})^2` and weights
    :math:`w_{ui} = O_{ui}/p_{ui}`,

    .. math::

        \widehat{\mathrm{MSE}}_{\text{IPS}} = \frac1N \sum_{u,i} w_{ui}\,
        \delta_{ui}, \qquad
        \widehat{\mathrm{MSE}}_{\text{SNIPS}} =
        \frac{\sum w_{ui}\,\delta_{ui}}{\sum w_{ui}},

    and the naive estimate is the mean of :math:`\delta` over observed
    pairs (SNIPS with every :math:`p_{ui}` equal). IPS is unbiased for
    the full-information MSE if the propensities are the true
    observation probabilities, all positive, and the predictions do not
    depend on which pairs were observed (fit them on other data). Pairs
    are observed independently, so the standard error is the standard
    deviation of the :math:`N` terms :math:`w_{ui}\delta_{ui}` over
    :math:`\sqrt N` (delta method for the ratios); it treats the
    propensities as known. When a few observed pairs with tiny
    propensities carry most of the sum, the estimate is skewed and the
    normal interval covers less than its level in small samples (in a
    simulation, about 87% for a 95% interval with 500 observed ratings
    and weights over 1,000, and 94% with 10,000 observed ratings).

    References
    ----------
    Schnabel, T., Swaminathan, A., Singh, A., Chandak, N. and Joachims,
    T. (2016). Recommendations as treatments: debiasing learning and
    evaluation. *ICML*, 1670--1679.

    See :ref:`ch-bias`.

    Examples
    --------
    >>> pairs = pd.DataFrame({"y": [5, 1, np.nan, np.nan],
    ...                       "pred": [4.0, 3.0, 4.0, 2.0],
    ...                       "o": [1, 1, 0, 0],
    ...                       "p": [0.5, 0.25, 0.5, 0.25]})
    >>> kw = dict(rating="y", prediction="pred", observed="o",
    ...           propensity="p")
    >>> mse(pairs, **kw, weighting="naive").estimate  # (1 + 4) / 2
    2.5
    >>> mse(pairs, **kw).estimate  # (1 / 0.5 + 4 / 0.25) / 4
    4.5
    >>> round(mse(pairs, **kw, weighting="snips").estimate, 4)  # 18 / 6
    3.0
    """
    alpha, weighting, cap = _roles(
        df, alpha, weighting, cap, rating=rating, prediction=prediction,
        observed=observed, propensity=propensity)
    o, w = _observation(df, observed, propensity, weighting, cap)
    if o.sum() < 2:
        raise ValueError(
            f"{int(o.sum())} row(s) observed; at least 2 are needed"
        )
    y = _partly_missing(df, rating, "rating", o)
    y_hat = _partly_missing(df, prediction, "prediction", o)
    loss = np.where(o, (y - y_hat) ** 2, 0.0)  # NaN only where unobserved
    with np.errstate(over="ignore", invalid="ignore"):
        if weighting == "naive":
            estimate, std_error = _mean_or_ratio(loss[o], None, False)
            n = int(o.sum())
        else:
            estimate, std_error = _mean_or_ratio(
                w * loss, w, weighting == "snips")
            n = len(df)
    unit = "observed pairs" if weighting == "naive" else "pairs"
    return _result("MSE", estimate, std_error, n, weighting, cap, alpha,
                   unit)


# --- rankings ----------------------------------------------------------------

def _mean_discount(df, codes, score, k):
    r"""Each row's DCG discount :math:`1/\log_2(1 + \text{rank})`, zero
    beyond ``k``, averaged over the ranks its ties could take."""
    s = _checks.numeric_column(df, score, "score", allow_inf=True)
    by_list = pd.Series(s).groupby(codes)
    first = by_list.rank(method="min", ascending=False).to_numpy(int)
    last = by_list.rank(method="max", ascending=False).to_numpy(int)
    ranks = np.arange(1, last.max() + 1)
    discount = 1.0 / np.log2(ranks + 1.0)
    if k is not None:
        discount[ranks > k] = 0.0
    cumulative = np.r_[0.0, np.cumsum(discount)]
    return (cumulative[last] - cumulative[first - 1]) / (last - first + 1)


def _check_k(k):
    return None if k is None else _checks.check_count(k, "k", minimum=1)


def dcg_at_k(
    df: pd.DataFrame,
    *,
    user_id: str,
    score: str,
    relevance: str,
    observed: str | None = None,
    propensity: str | None = None,
    k: int | None = 10,
    weighting: str = "ips",
    cap: float | None = None,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Average DCG@k of a ranking over every list, from biased feedback.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per item that the ranking orders within its list: every
        user-item pair of the catalogue, or every item shown in a
        session.
    user_id : str
        The column grouping rows into lists (a user, or a session).
    score : str
        The ranking to evaluate: higher first within each list.
    relevance : str
        The relevance of the row's item to the user (a rating, a 0/1
        "liked", or a click), NaN allowed where it was not observed.
    observed, propensity, weighting, cap, alpha
        As in :func:`mse`. With click logs, leave ``observed=None`` and
        pass the click as ``relevance`` and the examination probability
        of the logged position as ``propensity``; SNIPS needs the
        examination events, which click logs lack, and raises.
    k : int or None, default 10
        Only the top ``k`` places of each list count; None counts all.

    Returns
    -------
    EffectEstimate
        Estimand ``"DCG@k"`` (``"DCG"`` for ``k=None``), ``n`` the number
        of lists, ``n_treated`` None.

    Raises
    ------
    ValueError
        As :func:`mse`, and if there are fewer than two lists, ``k`` is
        below 1, or the user column has missing values.

    Notes
    -----
    With :math:`\mathrm{rank}_{ui}` the place of item :math:`i` in list
    :math:`u` by ``score`` and :math:`d(r) = 1/\log_2(1 + r)` for
    :math:`r \le k` (0 beyond), the full-information value is

    .. math::

        \mathrm{DCG@k} = \frac{1}{|U|} \sum_u \sum_i
        d(\mathrm{rank}_{ui})\, Y_{ui},

    IPS replaces :math:`Y_{ui}` by :math:`O_{ui} Y_{ui} / p_{ui}` and is
    unbiased under the conditions of :func:`mse`; the naive and SNIPS
    versions divide by :math:`\sum O_{ui}` or :math:`\sum O_{ui}/p_{ui}`
    and multiply by the mean list length, as in Schnabel et al. (2016).
    Tied scores share their places: each tied item gets the mean
    discount of the places the tie occupies, its expected discount when
    ties are broken at random. Lists are independent, so the standard
    error is the standard deviation of the per-list terms over
    :math:`\sqrt{|U|}` (delta method for the ratios).

    References
    ----------
    Schnabel, T., Swaminathan, A., Singh, A., Chandak, N. and Joachims,
    T. (2016). Recommendations as treatments: debiasing learning and
    evaluation. *ICML*, 1670--1679.

    Joachims, T., Swaminathan, A. and Schnabel, T. (2017). Unbiased
    learning-to-rank with biased feedback. *WSDM '17*, 781--789.

    See :ref:`ch-bias`.

    Examples
    --------
    Two sessions of two shown items; the second item of session 1 was
    clicked at position 2, examined with probability 0.5:

    >>> logs = pd.DataFrame({"session": [1, 1, 2, 2],
    ...                      "new_score": [1.0, 2.0, 2.0, 1.0],
    ...                      "click": [0, 1, 1, 0],
    ...                      "theta": [1.0, 0.5, 1.0, 0.5]})
    >>> est = dcg_at_k(logs, user_id="session", score="new_score",
    ...                relevance="click", propensity="theta", k=None)
    >>> est.estimate  # mean of 1 / 0.5 (now at place 1) and 1
    1.5
    """
    alpha, weighting, cap = _roles(
        df, alpha, weighting, cap, user_id=user_id, score=score,
        relevance=relevance, observed=observed, propensity=propensity)
    k = _check_k(k)
    codes, n_lists = _user_codes(df, user_id)
    discount = _mean_discount(df, codes, score, k)
    o, w = _observation(df, observed, propensity, weighting, cap)
    y = _partly_missing(df, relevance, "relevance", o)
    gain = np.where(o, y, 0.0) * discount
    with np.errstate(over="ignore", invalid="ignore"):
        a = np.bincount(codes, weights=w * gain, minlength=n_lists)
        b = np.bincount(codes, weights=w, minlength=n_lists) * (
            n_lists / len(df))
        estimate, std_error = _mean_or_ratio(a, b, weighting != "ips")
    estimand = "DCG" if k is None else f"DCG@{k}"
    return _result(estimand, estimate, std_error, n_lists, weighting, cap,
                   alpha, "lists")


def recall_at_k(
    df: pd.DataFrame,
    *,
    user_id: str,
    score: str,
    relevance: str,
    observed: str | None = None,
    propensity: str | None = None,
    k: int = 10,
    weighting: str = "ips",
    cap: float | None = None,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Share of all relevant pairs that land in their user's top ``k``.

    Parameters
    ----------
    df, user_id, score, relevance, observed, propensity, cap, alpha
        As in :func:`dcg_at_k`; ``relevance`` is 0/1 (liked or not), or
        any non-negative weight.
    k : int, default 10
        Length of each list.
    weighting : {"ips", "snips", "naive"}, default "ips"
        IPS and SNIPS give the same estimate here (see Notes).

    Returns
    -------
    EffectEstimate
        Estimand ``"recall@k"``, ``n`` the number of lists, ``n_treated``
        None.

    Raises
    ------
    ValueError
        As :func:`dcg_at_k`, and if a relevance is negative or no observed
        row is relevant.

    Notes
    -----
    The recall over all pairs (micro-averaged) is a ratio of two sums,

    .. math::

        \mathrm{recall@k} = \frac{\sum_{u,i} t_{ui}\, Y_{ui}}
                                 {\sum_{u,i} Y_{ui}},

    with :math:`t_{ui}` 1 for the top :math:`k` of each list (a share for
    ties at the cut-off, as in
    :func:`~causal_lib.evaluation.in_top_k`). Each sum is estimated by
    IPS; any normalisation of the weights cancels in the ratio, so IPS and
    SNIPS coincide. The ratio of two unbiased estimates is consistent,
    not unbiased; the standard error is the delta-method one over lists.
    The naive version uses the weights :math:`O_{ui}`: it is unbiased
    only if, among relevant pairs, observation is unrelated to the rank.

    See :ref:`ch-bias`.

    Examples
    --------
    >>> pairs = pd.DataFrame({"user": [1, 1, 1, 2, 2, 2],
    ...                       "score": [3, 2, 1, 3, 2, 1],
    ...                       "liked": [1, np.nan, 1, 0, 1, 1],
    ...                       "o": [1, 0, 1, 1, 1, 1],
    ...                       "p": [0.5, 0.5, 0.25, 0.5, 0.5, 0.25]})
    >>> est = recall_at_k(pairs, user_id="user", score="score",
    ...                   relevance="liked", observed="o", propensity="p",
    ...                   k=2)
    >>> est.estimate  # (2 + 2) / (2 + 4 + 2 + 4)
    0.3333333333333333
    """
    alpha, weighting, cap = _roles(
        df, alpha, weighting, cap, user_id=user_id, score=score,
        relevance=relevance, observed=observed, propensity=propensity)
    k = _check_k(k)
    codes, n_lists = _user_codes(df, user_id)
    top = in_top_k(df, user_id=user_id, score=score, k=k).to_numpy()
    o, w = _observation(df, observed, propensity, weighting, cap)
    y = np.where(o, _partly_missing(df, relevance, "relevance", o), 0.0)
    if (y < 0).any():
        raise ValueError(
            f"relevance column {relevance!r} has {int((y < 0).sum())} "
            "negative value(s); recall needs relevance >= 0"
        )
    if not (w * y).any():
        raise ValueError(
            f"no observed row is relevant (relevance column {relevance!r} "
            "is 0 wherever observed), so recall is 0/0"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        a = np.bincount(codes, weights=w * top * y, minlength=n_lists)
        b = np.bincount(codes, weights=w * y, minlength=n_lists)
        estimate, std_error = _mean_or_ratio(a, b, True)
    return _result(f"recall@{k}", estimate, std_error, n_lists, weighting,
                   cap, alpha, "lists")


# --- propensities ------------------------------------------------------------

def naive_bayes_propensity(
    df: pd.DataFrame,
    *,
    rating: str,
    observed: str,
    survey: str,
) -> pd.Series:
    r"""Observation propensities by rating, from a small random survey.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per user-item pair of the catalogue.
    rating : str
        The rating (a few discrete levels, e.g. 1 to 5 stars), known on
        observed and surveyed rows and NaN elsewhere.
    observed : str
        0/1: the user rated the item of their own accord.
    survey : str
        0/1: the pair belongs to a survey in which users rated items
        drawn uniformly at random (missing completely at random).

    Returns
    -------
    pandas.Series
        Named ``"propensity"``, on ``df``'s index: the estimate for every
        observed row, NaN for the others (IPS never divides by them).

    Raises
    ------
    ValueError
        If a column is missing, plays two roles or is not 0/1 (observed,
        survey) or numeric (rating); a rating is NaN on an observed or
        surveyed row; the survey or the observed rows are empty; or a
        rating level that was observed never occurs in the survey.

    Notes
    -----
    By Bayes' rule, if observation depends on the rating alone,

    .. math::

        \hat p(r) = \hat P(O = 1 \mid Y = r) =
        \frac{\hat P(Y = r \mid O = 1)\, \hat P(O = 1)}{\hat P(Y = r)},

    where :math:`\hat P(Y = r \mid O = 1)` and :math:`\hat P(O = 1)` come
    from the observed ratings and :math:`\hat P(Y = r)`, the share of
    rating :math:`r` among *all* pairs, from the survey, which the
    observed ratings cannot give. An estimate above 1, possible when the
    survey is small, is set to 1. If observation also depends on other
    things (the item's popularity, say), :math:`\hat p(r)` is their
    average within rating level and IPS with it stays biased.

    References
    ----------
    Schnabel, T., Swaminathan, A., Singh, A., Chandak, N. and Joachims,
    T. (2016). Recommendations as treatments: debiasing learning and
    evaluation. *ICML*, 1670--1679.

    See :ref:`ch-bias`.

    Examples
    --------
    Half of all pairs are rated 5, yet 3 of the 4 observed ratings are:

    >>> pairs = pd.DataFrame({
    ...     "y": [5, 5, 5, 1, np.nan, np.nan, np.nan, np.nan, 5, 1],
    ...     "o": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    ...     "s": [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]})
    >>> p = naive_bayes_propensity(pairs, rating="y", observed="o",
    ...                            survey="s")
    >>> p.round(3).tolist()[:5]  # 0.75 * 0.4 / 0.5 and 0.25 * 0.4 / 0.5
    [0.6, 0.6, 0.6, 0.2, nan]
    """
    _checks.require_frame(df)
    _checks.require_columns(df, rating=rating, observed=observed,
                            survey=survey)
    _checks.distinct_columns(rating=rating, observed=observed,
                             survey=survey)
    o = _checks.binary_column(df, observed, "observed").astype(bool)
    s = _checks.binary_column(df, survey, "survey").astype(bool)
    for mask, name, column in ((o, "observed", observed),
                               (s, "survey", survey)):
        if not mask.any():
            raise ValueError(f"{name} column {column!r} has no row set to 1")
    y = _partly_missing(df, rating, "rating", o | s)
    given_observed = pd.Series(y[o]).value_counts(normalize=True)
    in_survey = pd.Series(y[s]).value_counts(normalize=True)
    absent = given_observed.index.difference(in_survey.index)
    if len(absent):
        raise ValueError(
            f"rating level(s) {absent.tolist()[:5]} occur among observed "
            "ratings but never in the survey, so their share among all "
            "pairs is estimated as 0; survey more pairs or merge levels"
        )
    by_level = (given_observed * o.mean()
                / in_survey.reindex(given_observed.index)).clip(upper=1.0)
    out = np.full(len(df), np.nan)
    out[o] = by_level.reindex(y[o]).to_numpy()
    return pd.Series(out, index=df.index, name="propensity")


def _table(rows, name):
    table = pd.DataFrame(rows).set_index("position").sort_index()
    table.index.name = name
    return table


def _wald(row, z):
    row["ci_low"] = row["propensity"] - z * row["std_error"]
    row["ci_high"] = row["propensity"] + z * row["std_error"]
    return row


def _independent_rows(pos, c, reference):
    """Ratio of click-through rates, positions sampled independently."""
    positions, counts = np.unique(pos, return_counts=True)
    if (counts < 2).any():
        raise ValueError(
            f"position {positions[counts < 2][0]} has 1 impression; at "
            "least 2 per position are needed for a standard error"
        )
    rows = []
    ref = pos == reference
    ctr_ref = c[ref].mean()
    var_ref = c[ref].var(ddof=1) / ref.sum()
    for k in positions:
        at = pos == k
        ctr, n = c[at].mean(), int(at.sum())
        if k == reference:
            ratio, var = 1.0, 0.0
        else:
            ratio = ctr / ctr_ref
            var = (c[at].var(ddof=1) / n / ctr_ref**2
                   + ctr**2 * var_ref / ctr_ref**4)
        rows.append({"position": k, "impressions": n,
                     "clicks": int(c[at].sum()), "ctr": ctr,
                     "propensity": ratio, "std_error": math.sqrt(var)})
    return rows


def _paired_rows(df, session, pos, c, reference):
    """Ratio of click totals within swap sessions (a pair of rows each)."""
    codes, n = pd.factorize(df[session])[0], df[session].nunique()
    sizes = np.bincount(codes, minlength=n)
    at_ref = pos == reference
    refs = np.bincount(codes, weights=at_ref, minlength=n)
    if (sizes != 2).any() or (refs != 1).any():
        bad = int(((sizes != 2) | (refs != 1)).sum())
        raise ValueError(
            f"session column {session!r}: each session must hold exactly "
            f"two rows, one at the reference position {reference} and "
            f"one at another position; {bad} session(s) do not"
        )
    b, a = np.zeros(n), np.zeros(n)
    k_of = np.zeros(n, dtype=pos.dtype)
    b[codes[at_ref]] = c[at_ref]
    a[codes[~at_ref]], k_of[codes[~at_ref]] = c[~at_ref], pos[~at_ref]
    rows = [{"position": reference, "impressions": n, "clicks": int(b.sum()),
             "ctr": b.mean(), "propensity": 1.0, "std_error": 0.0}]
    for k in np.unique(k_of):
        m = k_of == k
        if m.sum() < 2 or b[m].sum() == 0:
            raise ValueError(
                f"position {k:g} has {int(m.sum())} swap session(s) with "
                f"{int(b[m].sum())} click(s) at the reference position; "
                "at least 2 sessions and 1 such click are needed"
            )
        ratio, se = _mean_or_ratio(a[m], b[m], True)
        rows.append({"position": k, "impressions": int(m.sum()),
                     "clicks": int(a[m].sum()), "ctr": a[m].mean(),
                     "propensity": ratio, "std_error": se})
    return rows


def position_propensities(
    df: pd.DataFrame,
    *,
    position: str,
    click: str,
    session: str | None = None,
    reference: int = 1,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Examination probability of each position, relative to a reference.

    Parameters
    ----------
    df : pandas.DataFrame
        Impressions from a randomised design (see Notes): one row per
        item shown.
    position : str
        The position where the item was shown (1 = top).
    click : str
        0/1, whether it was clicked.
    session : str, optional
        For a swap experiment: the column identifying each swap, whose
        two rows are the reference position and the position it was
        swapped with. None for impressions whose items were placed
        uniformly at random, independently of each other.
    reference : int, default 1
        The position whose examination probability is set to 1.
    alpha : float, default 0.05
        One minus the confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per position (the index): ``impressions``, ``clicks``,
        ``ctr`` (clicks per impression), ``propensity``
        (:math:`\hat\theta_k / \theta_{\text{ref}}`), ``std_error``,
        ``ci_low`` and ``ci_high`` (normal interval). The reference row
        has propensity 1 and standard error 0 by definition.

    Raises
    ------
    ValueError
        If a column is missing, plays two roles, is not numeric or 0/1;
        the reference position never occurs or has no click; a swap
        session does not hold exactly one row at the reference and one
        elsewhere; or a position has fewer than two swap sessions.

    Notes
    -----
    In the position-based model :math:`P(C = 1 \mid \text{item } i
    \text{ at } k) = \theta_k\, r_i`. Comparing click-through rates by
    position in ordinary logs confounds :math:`\theta_k` with the
    relevance of what the ranker puts at :math:`k`. Two designs remove
    the confounding:

    * **Swap experiment** (Joachims et al., 2017; "RandPair" in Wang et
      al., 2018). The items at the reference position and at position
      :math:`k` change places with probability 1/2. Over the sessions
      :math:`S_k` that swapped with :math:`k`, each item is equally
      likely to be at either place, so

      .. math::

          \frac{\theta_k}{\theta_{\text{ref}}} \approx
          \frac{\sum_{s \in S_k} C_{s,k}}{\sum_{s \in S_k} C_{s,\text{ref}}},

      with the delta-method standard error over sessions.
    * **Uniformly random placement** (``session=None``), as in the Open
      Bandit Dataset's random policy: every position shows items drawn
      from the same distribution, so the ratio of click-through rates is
      the causal effect of the position. Its standard error treats the
      positions' rates as independent.

    Only ratios are identified: clicks cannot tell how often the
    reference position itself is skipped. For IPS that is enough, since a
    common factor in every propensity rescales IPS and cancels in SNIPS.
    Agarwal et al. (2019) show how to harvest such comparisons from the
    logs of several rankers without intervening.

    References
    ----------
    Joachims, T., Swaminathan, A. and Schnabel, T. (2017). Unbiased
    learning-to-rank with biased feedback. *WSDM '17*, 781--789.

    Wang, X., Golbandi, N., Bendersky, M., Metzler, D. and Najork, M.
    (2018). Position bias estimation for unbiased learning to rank in
    personal search. *WSDM '18*, 610--618.

    Agarwal, A., Zaitsev, I., Wang, X., Li, C., Najork, M. and Joachims,
    T. (2019). Estimating position bias without intrusive interventions.
    *WSDM '19*, 474--482.

    See :ref:`ch-bias`.

    Examples
    --------
    Four swap sessions between positions 1 and 3:

    >>> swaps = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                       "pos": [1, 3, 1, 3, 1, 3, 1, 3],
    ...                       "c": [1, 0, 1, 1, 0, 0, 1, 0]})
    >>> table = position_propensities(swaps, position="pos", click="c",
    ...                               session="s")
    >>> table["propensity"].tolist()  # 1 click at 3 against 3 at 1
    [1.0, 0.3333333333333333]
    """
    _checks.require_frame(df)
    roles = {"position": position, "click": click, "session": session}
    roles = {role: col for role, col in roles.items() if col is not None}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    z = stats.norm.ppf(1 - _checks.check_alpha(alpha) / 2)
    pos = _checks.numeric_column(df, position, "position")
    if np.all(pos == np.round(pos)):
        pos = pos.astype(np.int64)
    c = _checks.binary_column(df, click, "click").astype(float)
    at_ref = pos == reference
    if not at_ref.any() or c[at_ref].sum() == 0:
        raise ValueError(
            f"position column {position!r}: the reference position "
            f"{reference} has {int(at_ref.sum())} impression(s) and "
            f"{int(c[at_ref].sum())} click(s); it needs at least one click"
        )
    if session is None:
        rows = _independent_rows(pos, c, reference)
    else:
        rows = _paired_rows(df, session, pos, c, reference)
    return _table([_wald(row, z) for row in rows], position)


# --- what a recommender shows: concentration and overlap (chapter 14) ------

def gini_coefficient(values) -> float:
    r"""Gini coefficient of non-negative amounts, such as items' exposure.

    Parameters
    ----------
    values : array-like, 1-D
        Non-negative amounts, not all 0 (e.g. how often each item was
        shown).

    Returns
    -------
    float
        0 when every amount is equal, :math:`1 - 1/n` when one holds all.

    Raises
    ------
    ValueError
        If ``values`` is not 1-D with at least two amounts, holds NaN,
        infinite or negative values, or sums to 0.

    Notes
    -----
    With the amounts sorted, :math:`x_{(1)} \le \dots \le x_{(n)}`,

    .. math::

        G = \frac{\sum_{i=1}^{n} (2i - n - 1)\, x_{(i)}}
                 {n \sum_{i=1}^{n} x_{(i)}},

    half the mean absolute difference of all pairs over the mean.

    See :ref:`ch-loop`.

    Examples
    --------
    >>> float(gini_coefficient([1, 1, 1, 1]))
    0.0
    >>> float(gini_coefficient([0, 0, 0, 4]))
    0.75
    """
    x = _checks.finite_values(values, "values")
    if x.ndim != 1 or len(x) < 2:
        raise ValueError("values must be a 1-D array of at least two "
                         "amounts")
    if (x < 0).any() or x.sum() == 0:
        raise ValueError("values must be non-negative and not all 0")
    x, n = np.sort(x), len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def mean_jaccard(lists, n_items: int) -> float:
    r"""Mean Jaccard similarity of all pairs of users' lists of items.

    Parameters
    ----------
    lists : array-like of int, shape (n_users, k)
        Each row the ``k`` distinct items shown to one user.
    n_items : int
        Number of items in the catalogue (ids ``0`` to ``n_items - 1``).

    Returns
    -------
    float
        0 if no two users share an item, 1 if all see the same items.

    Raises
    ------
    ValueError
        If ``lists`` is not 2-D with at least two rows, an id is out of
        range, or a row repeats an item.

    Notes
    -----
    .. math::

        \bar J = \binom{n}{2}^{-1} \sum_{u < v}
          \frac{|L_u \cap L_v|}{|L_u \cup L_v|},
        \qquad |L_u \cup L_v| = 2k - |L_u \cap L_v| .

    See :ref:`ch-loop`.

    Examples
    --------
    >>> round(mean_jaccard([[0, 1], [1, 2], [0, 1]], n_items=3), 6)
    0.555556
    """
    n_items = _checks.check_count(n_items, "n_items")
    grids = np.asarray(lists)
    if grids.ndim != 2 or len(grids) < 2:
        raise ValueError("lists must be 2-D: one row of items per user, "
                         "at least two users")
    if not np.issubdtype(grids.dtype, np.integer) or grids.min() < 0 \
            or grids.max() >= n_items:
        raise ValueError(f"lists must hold item ids from 0 to "
                         f"{n_items - 1}")
    member = np.zeros((len(grids), n_items))
    np.put_along_axis(member, grids, 1.0, axis=1)
    k, n = grids.shape[1], len(grids)
    if (member.sum(axis=1) != k).any():
        raise ValueError("each row of lists must hold distinct items")
    shared = member @ member.T
    return float(((shared / (2 * k - shared)).sum() - n) / (n * (n - 1)))
