r"""Offline causal evaluation of a recommender from logged recommendations.

A new ranking is judged by the purchases its recommendations would
*cause*, not by the purchases of the items it ranks first. The logs of
the deployed recommender say, for every user-item pair, whether it was
recommended (the treatment :math:`Z`), with what probability
(the propensity :math:`P`), and whether the item was bought (the
outcome :math:`Y`). Inverse propensity scoring turns each pair into an
unbiased estimate of its own causal effect, and averaging those over the
top of a new ranking estimates the effect of recommending that ranking.

This module imports no simulator. See :ref:`ch-urec`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate


def _check_cap(cap) -> float:
    return _checks.check_probability(cap, "cap", open_low=True, high=0.5)


def _propensity_values(df, treatment, outcome, propensity, cap):
    """Validated treatment, outcome and (capped) propensity arrays."""
    _checks.require_frame(df)
    _checks.require_columns(df, treatment=treatment, outcome=outcome,
                            propensity=propensity)
    _checks.distinct_columns(treatment=treatment, outcome=outcome,
                             propensity=propensity)
    z = _checks.treatment_column(df, treatment)
    y = _checks.numeric_column(df, outcome, "outcome")
    p = _checks.probability_values(
        _checks.numeric_column(df, propensity, "propensity"),
        f"propensity column {propensity!r}")
    if cap is not None:
        cap = _check_cap(cap)
        return z, y, np.clip(p, cap, 1 - cap)
    for value, arm, weight in ((0, 1, "1/P"), (1, 0, "1/(1 - P)")):
        hit = p == value
        divided = hit & (z == arm)
        if divided.any():
            raise ValueError(
                f"propensity column {propensity!r} is {value} for "
                f"{int(divided.sum())} pair(s) with treatment {arm}; their "
                f"weight {weight} is infinite. Pass cap= to clip propensities"
            )
        if hit.any():
            raise ValueError(
                f"propensity column {propensity!r} is {value} for "
                f"{int(hit.sum())} pair(s): positivity fails (they could "
                f"never be in the other arm), so IPS is biased. Pass cap= "
                f"to clip propensities, or drop those pairs"
            )
    return z, y, p


def _ips_values(df, treatment, outcome, propensity, cap):
    """Validated treatment and the finite per-pair IPS effects."""
    z, y, p = _propensity_values(df, treatment, outcome, propensity, cap)
    with np.errstate(over="ignore"):
        # Two terms rather than one np.where, so Y = 0 gives 0.0, not -0.0.
        effect = (np.where(z == 1, y / p, 0.0)
                  - np.where(z == 0, y / (1 - p), 0.0))
    if not np.isfinite(effect).all():
        raise ValueError(
            f"outcome column {outcome!r} divided by propensity column "
            f"{propensity!r} overflows to infinity for "
            f"{int((~np.isfinite(effect)).sum())} pair(s); rescale the "
            "outcome or pass a larger cap="
        )
    return z, effect


def ips_effect(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    propensity: str,
    cap: float | None = None,
) -> pd.Series:
    r"""Unbiased estimate of every pair's causal effect, by inverse propensity.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per user-item pair of the logs.
    treatment : str
        0/1 column: was the pair recommended by the logging policy.
    outcome : str
        Numeric outcome column, e.g. 0/1 purchase.
    propensity : str
        The logging policy's probability of recommending the pair.
    cap : float, optional
        Clip propensities to ``[cap, 1 - cap]`` before dividing by them
        (``0 < cap <= 0.5``). Without it every propensity must lie
        strictly between 0 and 1.

    Returns
    -------
    pandas.Series
        Named ``"ips_effect"``, on the index of ``df``.

    Raises
    ------
    ValueError
        If a column is missing or plays two roles, ``treatment`` is not
        0/1 numbers or booleans, a used column has NaN or infinite values,
        a propensity lies outside [0, 1], (without ``cap``) a propensity
        is exactly 0 or 1, ``cap`` is outside (0, 0.5], or an outcome
        divided by its propensity overflows.
    TypeError
        If ``cap`` is not a number.

    Notes
    -----
    For pair :math:`(u, i)` with treatment :math:`Z_{ui}`, outcome
    :math:`Y_{ui}` and propensity :math:`P_{ui} = P(Z_{ui} = 1 \mid
    X_{ui})`,

    .. math::

        \hat\tau_{ui} = \frac{Z_{ui} Y_{ui}}{P_{ui}}
                      - \frac{(1 - Z_{ui}) Y_{ui}}{1 - P_{ui}} .

    Since :math:`Z Y = Z\,Y(1)` and :math:`E[Z \mid X] = P`,
    :math:`E[\hat\tau_{ui} \mid Y(0), Y(1), X] = Y_{ui}(1) - Y_{ui}(0)`:
    each pair's estimate is unbiased for its own effect when the logging
    propensity is known and :math:`0 < P < 1` (Sato et al., 2020). A
    single estimate is very noisy (it is :math:`Y/P`, :math:`-Y/(1 - P)`
    or 0), so it is only useful averaged over many pairs.

    Capping replaces :math:`P` by :math:`\tilde P = \min(\max(P, c),
    1 - c)`. Then :math:`E[\hat\tau] = (P/\tilde P)\,Y(1) -
    ((1 - P)/(1 - \tilde P))\,Y(0)`: pairs with :math:`P < c` (rarely
    recommended) have their :math:`Y(1)` shrunk, pairs with
    :math:`P > 1 - c` their :math:`Y(0)`. Capping trades this bias for a
    smaller variance, since no weight exceeds :math:`1/c`.

    References
    ----------
    Sato, M., Takemori, S., Singh, J. and Ohkuma, T. (2020). Unbiased
    learning for the causal effect of recommendation. *RecSys '20*,
    378--387.

    See :ref:`ch-urec`.

    Examples
    --------
    >>> logs = pd.DataFrame({"z": [1, 1, 0, 0], "y": [1, 0, 1, 0],
    ...                      "p": [0.5, 0.5, 0.2, 0.9]})
    >>> ips_effect(logs, treatment="z", outcome="y", propensity="p").tolist()
    [2.0, 0.0, -1.25, 0.0]
    >>> ips_effect(logs, treatment="z", outcome="y", propensity="p",
    ...            cap=0.25).tolist()
    [2.0, 0.0, -1.3333333333333333, 0.0]
    """
    _, effect = _ips_values(df, treatment, outcome, propensity, cap)
    return pd.Series(effect, index=df.index, name="ips_effect")


def _user_codes(df, user_id):
    """Integer code of each row's user, and the number of users."""
    column = df[user_id]
    _checks.no_missing(column, f"user_id column {user_id!r}")
    codes, uniques = pd.factorize(column)
    return codes, len(uniques)


def _top_k_weights(df, user_id, score, k):
    """List membership in [0, 1] of every row, user codes, user count, k."""
    _checks.require_frame(df)
    _checks.require_columns(df, user_id=user_id, score=score)
    k = _checks.check_count(k, "k", minimum=1)
    codes, n_users = _user_codes(df, user_id)
    s = _checks.numeric_column(df, score, "score", allow_inf=True)
    by_user = pd.Series(s).groupby(codes)
    # An item's first and last possible place in its user's list: one
    # more than the items scored higher, and that plus its ties after it.
    first = by_user.rank(method="min", ascending=False).to_numpy()
    last = by_user.rank(method="max", ascending=False).to_numpy()
    ties = last - first + 1
    # The places left above the tie group are shared evenly by the tied
    # items (the average over every way of breaking the tie). A k beyond
    # the longest list lists every item, so cap it there (no overflow).
    places = min(k, int(by_user.size().max()))
    weights = np.clip(places - (first - 1), 0, ties) / ties
    return weights, codes, n_users, k


def in_top_k(
    df: pd.DataFrame,
    *,
    user_id: str,
    score: str,
    k: int = 10,
) -> pd.Series:
    r"""Which pairs are in each user's top-``k`` list by ``score``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per user-item pair.
    user_id : str
        Column identifying the user.
    score : str
        Numeric column; higher scores are recommended first.
    k : int, default 10
        Length of each user's list (a count of positions, at least 1); a
        ``k`` beyond the longest list lists every item.

    Returns
    -------
    pandas.Series
        Named ``"in_top_k"``, on the index of ``df``: 1.0 for pairs in the
        user's list, 0.0 for the others, and a fraction for items tied at
        the cut-off.

    Notes
    -----
    Items tied on ``score`` share the list positions left for them
    evenly: if 3 items tie for the last 2 places, each gets weight 2/3,
    its probability of being listed when ties are broken at random. So
    the result does not depend on row order. A user with fewer than
    ``k`` items has all of them listed.

    See :ref:`ch-urec`.

    Examples
    --------
    >>> df = pd.DataFrame({"user": [1, 1, 1, 1, 2],
    ...                    "score": [0.9, 0.5, 0.5, 0.5, 0.1]})
    >>> in_top_k(df, user_id="user", score="score", k=2).round(3).tolist()
    [1.0, 0.333, 0.333, 0.333, 1.0]
    """
    weights, *_ = _top_k_weights(df, user_id, score, k)
    return pd.Series(weights, index=df.index, name="in_top_k")


def precision_at_k(
    df: pd.DataFrame,
    *,
    user_id: str,
    score: str,
    outcome: str,
    k: int = 10,
) -> float:
    r"""Average of ``outcome`` over every user's top-``k`` list.

    With a purchase column this is the usual accuracy metric,
    precision@K. With the true individual effect from a simulator
    (:math:`Y(1) - Y(0)`, or :math:`p_1 - p_0`) it is the true causal
    precision@K that :func:`causal_precision_at_k` estimates from logs.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per user-item pair.
    user_id, score : str
        User column and ranking score (higher first), as in
        :func:`in_top_k`.
    outcome : str
        Numeric column averaged over the lists.
    k : int, default 10
        Length of each user's list (a count of positions, at least 1); a
        ``k`` beyond the longest list lists every item.

    Returns
    -------
    float

    Notes
    -----
    With :math:`\mathrm{top}_K(u)` the user's list,

    .. math::

        \mathrm{P@K} = \frac{1}{|U|} \sum_{u \in U} \frac{1}{K}
                       \sum_{i \in \mathrm{top}_K(u)} V_{ui},

    where :math:`V` is ``outcome``. Dividing by :math:`K` even for users
    with fewer than :math:`K` items counts an empty place as contributing
    nothing. Ties at the cut-off are shared as in :func:`in_top_k`.

    References
    ----------
    Sato, M., Singh, J., Takemori, S., Sonoda, T., Zhang, Q. and Ohkuma,
    T. (2019). Uplift-based evaluation and optimization of recommenders.
    *RecSys '19*, 296--304.

    See :ref:`ch-urec`.

    Examples
    --------
    >>> df = pd.DataFrame({"user": [1, 1, 1, 2, 2, 2],
    ...                    "score": [3, 2, 1, 3, 2, 1],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> precision_at_k(df, user_id="user", score="score", outcome="bought",
    ...                k=2)
    0.75
    """
    weights, codes, n_users, k = _top_k_weights(df, user_id, score, k)
    _checks.require_columns(df, outcome=outcome)
    values = _checks.numeric_column(df, outcome, "outcome")
    return float(np.sum(weights * values) / (n_users * k))


def causal_precision_at_k(
    df: pd.DataFrame,
    *,
    user_id: str,
    score: str,
    treatment: str,
    outcome: str,
    propensity: str,
    k: int = 10,
    cap: float | None = None,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Causal effect of recommending each user's top-``k`` items, from logs.

    Parameters
    ----------
    df : pandas.DataFrame
        Logs of the deployed recommender: one row per user-item pair,
        ideally every pair of the catalogue.
    user_id : str
        Column identifying the user.
    score : str
        The new ranking to evaluate (higher first).
    treatment, outcome, propensity : str
        Logged recommendation (0/1), outcome and the logging policy's
        probability of recommending the pair.
    k : int, default 10
        Length of each user's list (a count of positions, at least 1); a
        ``k`` beyond the longest list lists every item.
    cap : float, optional
        Clip propensities to ``[cap, 1 - cap]``; see :func:`ips_effect`.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"causal precision@K"`` (with K the list length), ``n``
        the number of users, ``n_treated`` the number of listed pairs the
        logging policy had recommended.

    Raises
    ------
    ValueError
        For bad columns (see :func:`ips_effect`), ``k < 1``, or fewer than
        two users.
    TypeError
        If ``k`` is not an integer or ``cap`` not a number.

    Notes
    -----
    Causal precision@K is the average effect per list position of
    recommending every user the top :math:`K` items of the ranking,

    .. math::

        \mathrm{CP@K} = \frac{1}{|U|} \sum_{u \in U} \frac{1}{K}
            \sum_{i \in \mathrm{top}_K(u)} \bigl(Y_{ui}(1) - Y_{ui}(0)\bigr),

    the expected number of extra purchases per recommended item. The
    estimate replaces each effect by its unbiased IPS estimate
    :math:`\hat\tau_{ui}` from :func:`ips_effect`, so it is unbiased for
    any ranking that does not use the logged treatments or outcomes,
    provided the propensities are the logging policy's and lie strictly
    between 0 and 1 (no capping). Pairs are assigned independently, so the
    per-user averages :math:`\hat c_u = K^{-1} \sum_{i \in \mathrm{top}_K
    (u)} \hat\tau_{ui}` are independent, and the standard error is
    :math:`\mathrm{sd}(\hat c_u) / \sqrt{|U|}`. It also counts the
    variation of the true per-user values between users, so it is exact
    for users sampled from a larger population and conservative for the
    fixed set of users.

    Sato et al. (2020) define this metric, and causal DCG, as targets for
    learning to rank by causal effect; precision@K of purchases, by
    contrast, rewards ranking the sure things first.

    References
    ----------
    Sato, M., Takemori, S., Singh, J. and Ohkuma, T. (2020). Unbiased
    learning for the causal effect of recommendation. *RecSys '20*,
    378--387.

    See :ref:`ch-urec`.

    Examples
    --------
    >>> logs = pd.DataFrame({
    ...     "user": [1, 1, 1, 2, 2, 2], "score": [3, 2, 1, 3, 2, 1],
    ...     "z": [1, 0, 1, 0, 1, 1], "y": [1, 1, 0, 0, 1, 0],
    ...     "p": [0.5, 0.5, 0.5, 0.25, 0.5, 0.5]})
    >>> est = causal_precision_at_k(logs, user_id="user", score="score",
    ...     treatment="z", outcome="y", propensity="p", k=2)
    >>> est.estimate  # user 1: (2 - 2) / 2, user 2: (0 + 2) / 2
    0.5
    >>> est.n, est.n_treated
    (2, 2)
    """
    alpha = _checks.check_alpha(alpha)
    weights, codes, n_users, k = _top_k_weights(df, user_id, score, k)
    if n_users < 2:
        raise ValueError(
            f"user_id column {user_id!r} has {n_users} user; at least 2 "
            "are needed for a standard error"
        )
    z, tau = _ips_values(df, treatment, outcome, propensity, cap)
    per_user = np.bincount(codes, weights=weights * tau,
                           minlength=n_users) / k
    capped = "" if cap is None else f", propensities capped at {cap}"
    return EffectEstimate.from_normal(
        f"causal precision@{k}",
        per_user.mean(),
        per_user.std(ddof=1) / np.sqrt(n_users),
        n=n_users,
        n_treated=int(np.sum((weights > 0) & (z == 1))),
        method=f"IPS over top-{k} lists{capped}, SE across users",
        alpha=alpha,
    )


def _arm_weights(df, treatment, outcome, propensity, weights):
    """Treatment, outcome, weights of the treated and control pairs."""
    if propensity is None:
        _checks.require_columns(df, treatment=treatment, outcome=outcome)
        _checks.distinct_columns(treatment=treatment, outcome=outcome)
        z = _checks.treatment_column(df, treatment)
        y = _checks.numeric_column(df, outcome, "outcome")
        return z, y, weights, weights, "Uplift@N (difference in means)"
    z, y, p = _propensity_values(df, treatment, outcome, propensity, None)
    return (z, y, weights / p, weights / (1 - p),
            "UpliftSNIPS@N (self-normalised IPS)")


def _per_user_contrasts(codes, n_users, z, y, w1, w0):
    """Weighted treated minus control mean per user, for users with both.

    Returns the contrasts of the kept users and the mask of kept users.
    """
    arms = []
    for arm, w in ((1, w1), (0, w0)):
        w = np.where(z == arm, w, 0.0)
        total = np.bincount(codes, weights=w, minlength=n_users)
        with np.errstate(over="ignore", invalid="ignore"):
            sums = np.bincount(codes, weights=w * y, minlength=n_users)
        has = total > 0
        arms.append((np.divide(sums, total, out=np.zeros(n_users),
                               where=has), has))
    (mean1, has1), (mean0, has0) = arms
    keep = has1 & has0
    with np.errstate(invalid="ignore"):
        return (mean1 - mean0)[keep], keep


def uplift_at_n(
    df: pd.DataFrame,
    *,
    user_id: str,
    score: str,
    treatment: str,
    outcome: str,
    propensity: str | None = None,
    k: int = 10,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Uplift@N and UpliftSNIPS@N of Sato et al. (2019), per-user contrasts.

    Within each user's top-``k`` list, compare the outcomes of the items
    the logging policy recommended with those of the items it did not,
    then average over users. Sato et al. write N for the list length; it
    is ``k`` here, as in :func:`causal_precision_at_k`.

    Parameters
    ----------
    df : pandas.DataFrame
        Logs: one row per user-item pair.
    user_id, score : str
        User column and the ranking to evaluate (higher first).
    treatment, outcome : str
        Logged recommendation (0/1) and outcome.
    propensity : str, optional
        Without it, Uplift@N: plain means in each arm. With it,
        UpliftSNIPS@N: means weighted by :math:`1/P` (recommended items)
        and :math:`1/(1 - P)` (the others).
    k : int, default 10
        Length of each user's list (a count of positions, at least 1); a
        ``k`` beyond the longest list lists every item.
    alpha : float, default 0.05

    Returns
    -------
    EffectEstimate
        Estimand ``"causal precision@K"``; ``n`` is the number of users
        whose list holds both recommended and not recommended items (the
        others are dropped), ``n_treated`` the recommended pairs in their
        lists.

    Raises
    ------
    ValueError
        For bad columns (see :func:`ips_effect`), ``k < 1``, or when no
        user's list has items in both arms.
    TypeError
        If ``k`` is not an integer.

    Notes
    -----
    With :math:`L_u` the user's list, :math:`w_{ui} = 1` (Uplift@N) or
    :math:`w_{ui} = 1/P_{ui}` for :math:`Z_{ui} = 1` and
    :math:`1/(1 - P_{ui})` for :math:`Z_{ui} = 0` (UpliftSNIPS@N),

    .. math::

        \hat\tau_u = \frac{\sum_{i \in L_u} w_{ui} Z_{ui} Y_{ui}}
                          {\sum_{i \in L_u} w_{ui} Z_{ui}}
                   - \frac{\sum_{i \in L_u} w_{ui} (1 - Z_{ui}) Y_{ui}}
                          {\sum_{i \in L_u} w_{ui} (1 - Z_{ui})}, \qquad
        \widehat{\mathrm{Uplift@N}} = \frac{1}{|U'|}
                   \sum_{u \in U'} \hat\tau_u,

    over the users :math:`U'` whose list has items in both arms. Both
    target the average effect of the listed items, the causal precision
    of :func:`causal_precision_at_k` when every list is full. Uplift@N is
    unbiased only if the logging policy recommended the listed items
    independently of their potential outcomes (e.g. at random); when it
    favoured items users would buy anyway, it is biased. UpliftSNIPS@N
    corrects for known propensities, but as a ratio of sums over a short
    list it keeps a bias that shrinks as the lists grow, not as users
    are added; dropping users with an empty arm can bias both. The
    standard error is :math:`\mathrm{sd}(\hat\tau_u)/\sqrt{|U'|}`. Prefer
    :func:`causal_precision_at_k`, which is unbiased; comparing the two
    is a check on the evaluation (Sato et al., 2019).

    References
    ----------
    Sato, M., Singh, J., Takemori, S., Sonoda, T., Zhang, Q. and Ohkuma,
    T. (2019). Uplift-based evaluation and optimization of recommenders.
    *RecSys '19*, 296--304.

    See :ref:`ch-urec`.

    Examples
    --------
    >>> logs = pd.DataFrame({
    ...     "user": [1, 1, 1, 2, 2, 2], "score": [3, 2, 1, 3, 2, 1],
    ...     "z": [1, 0, 1, 0, 1, 1], "y": [1, 1, 0, 0, 1, 0]})
    >>> est = uplift_at_n(logs, user_id="user", score="score",
    ...                   treatment="z", outcome="y", k=2)
    >>> est.estimate  # user 1: 1 - 1, user 2: 1 - 0
    0.5
    """
    alpha = _checks.check_alpha(alpha)
    weights, codes, n_users, k = _top_k_weights(df, user_id, score, k)
    z, y, w1, w0, kind = _arm_weights(df, treatment, outcome, propensity,
                                      weights)
    per_user, keep = _per_user_contrasts(codes, n_users, z, y, w1, w0)
    if not keep.any():
        raise ValueError(
            f"no user's top-{k} list holds both recommended and not "
            f"recommended items (treatment column {treatment!r})"
        )
    if not np.isfinite(per_user).all():
        raise ValueError(
            f"the weighted sums of outcome column {outcome!r} overflow to "
            "infinity; rescale the outcome"
        )
    n_kept = len(per_user)
    std_error = (per_user.std(ddof=1) / np.sqrt(n_kept) if n_kept > 1
                 else np.nan)
    listed_treated = (weights > 0) & (z == 1) & keep[codes]
    return EffectEstimate.from_normal(
        f"causal precision@{k}",
        per_user.mean(),
        std_error,
        n=n_kept,
        n_treated=int(listed_treated.sum()),
        method=(f"{kind} over top-{k} lists, SE across users; "
                f"{n_users - n_kept} user(s) without both arms dropped"),
        alpha=alpha,
    )
