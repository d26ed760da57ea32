r"""Bandit policies that log their own action probabilities.

A recommender that learns while it serves is a *bandit*: each round a user
arrives, the policy shows one of :math:`K` items (an *arm*), the user
clicks or not, and the policy updates its beliefs before the next round.
What it shows depends on what it has seen, so its logs are adaptively
collected, and they are only usable for causal questions later (off-policy
evaluation, :mod:`causal_lib.ope`) if every round records the probability
:math:`e_t(a) = P(A_t = a \mid H_{t-1}, X_t)` with which the logged item
was chosen, given the history :math:`H_{t-1}` and the context
:math:`X_t`.

Every policy here has the same three methods:

``probabilities(context)``
    the distribution :math:`e_t(\cdot)` the policy would draw the next
    item from, a length-:math:`K` array summing to 1;
``select(context, rng)``
    draws an item from it and returns ``(item, probability)``;
``update(item, reward, context)``
    learns from the reward of the item shown.

The probabilities are **exact** for :class:`EpsilonGreedy`, :class:`UCB`
and :class:`LinUCB`: the greedy or optimistic item gets :math:`1 -
\varepsilon` (split evenly among ties) and every item
:math:`\varepsilon / K`, so with :math:`\varepsilon = 0` UCB and LinUCB are
deterministic and their logs support no other policy. For
:class:`ThompsonSampling` the probability that a posterior draw favours an
item has no closed form. Here the policy draws a *pool* of posterior
samples whenever its posterior changes and picks each round's item with
the share of the pool that item wins: that executed policy's probabilities
are exact, and as the pool grows it becomes Thompson sampling. (The Open
Bandit Pipeline instead draws a fresh posterior sample each round and logs
a Monte Carlo *estimate* of the probability, which is then only
approximately right.)

:func:`run` plays a policy against known click probabilities and returns
the logs in the format :mod:`causal_lib.ope` reads: ``propensity`` is
the logging probability of the logged item and :func:`target_probability`
gives a target policy's probability of it. :func:`evaluation_frame` adds
the sequential reward model and the adaptive weights that
:func:`causal_lib.ope.adaptive_dr` needs.

See :ref:`ch-loop`.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_lib import _checks

__all__ = [
    "BanditRun",
    "EpsilonGreedy",
    "LinUCB",
    "ThompsonSampling",
    "UCB",
    "evaluation_frame",
    "run",
    "target_probability",
]

# Rows summing to 1 within this are distributions (float rounding).
_SUM_TOLERANCE = 1e-8


def _draw(p: np.ndarray, u: float) -> int:
    """Inverse-CDF draw of an index from ``p`` with a uniform ``u``."""
    cumulative = np.cumsum(p)
    item = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    return min(item, len(p) - 1)  # guards u * total rounding up


def _greedy_mixture(scores: np.ndarray, epsilon: float) -> np.ndarray:
    r"""``1 - epsilon`` split over the best scores, ``epsilon / K`` each."""
    n = len(scores)
    best = np.flatnonzero(scores == scores.max())
    p = np.full(n, epsilon / n)
    p[best] += (1.0 - epsilon) / len(best)
    return p


class _Policy:
    """The interface every policy shares. A subclass supplies ``_dist``
    (the whole distribution), ``_learn`` and, for speed, ``_choose``."""

    n_items: int

    def probabilities(self, context=None) -> np.ndarray:
        """The distribution of the next item, a length-``n_items`` array
        summing to 1 (see the class notes for how exact it is)."""
        return self._dist(self._context(context))

    def select(self, context, rng) -> tuple[int, float]:
        r"""Draw the next item; return it and its probability.

        Parameters
        ----------
        context : array-like or None
            The user's features (contextual policies only).
        rng : int or numpy.random.Generator
            Source of the draw.

        Returns
        -------
        (int, float)
            The item and the probability :math:`e_t(a)` with which it was
            chosen.
        """
        rng = _checks.check_rng(rng, allow_none=False)
        return self._choose(self._context(context), rng.random())

    def update(self, item, reward, context=None) -> None:
        """Learn from the reward of ``item`` (shown in ``context``)."""
        item = _checks.check_count(item, "item", minimum=0,
                                   maximum=self.n_items - 1)
        reward = _checks.check_finite(reward, "reward")
        self._learn(item, reward, self._context(context))

    def _context(self, context):
        return None

    def _choose(self, x, u) -> tuple[int, float]:
        """The item a uniform ``u`` selects, and its probability."""
        p = self._dist(x)
        item = _draw(p, u)
        return item, float(p[item])


class _GreedyMixture(_Policy):
    """Best score with probability 1 - epsilon, else a uniform item.

    ``_choose`` draws without building the distribution. On
    bench_bandits (10^5 rounds over 100 items) that is 2-3x faster than
    the inverse-CDF draw of ``_Policy._choose``: UCB 3.6 s -> 1.2 s,
    epsilon-greedy 3.5 s -> 1.6 s of CPU (before its own speed-up).
    """

    def _dist(self, x) -> np.ndarray:
        return _greedy_mixture(self._scores(x), self.epsilon)

    def _choose(self, x, u) -> tuple[int, float]:
        scores = self._scores(x)
        top = scores.max()
        best = (scores == top).nonzero()[0]
        n, eps = self.n_items, self.epsilon
        if u < eps:
            item = min(int(u / eps * n), n - 1)
        else:
            share = (u - eps) / (1.0 - eps)
            item = int(best[min(int(share * len(best)), len(best) - 1)])
        greedy = (1.0 - eps) / len(best) if scores[item] == top else 0.0
        return item, eps / n + greedy


def _check_epsilon(epsilon) -> float:
    return _checks.check_probability(epsilon, "epsilon")


class _Counting(_GreedyMixture):
    """Pulls and summed rewards per item, for the non-contextual policies."""

    def __init__(self, n_items):
        self.n_items = _checks.check_count(n_items, "n_items", minimum=2,
                                           limit=_checks.MAX_ROWS)
        self.pulls_ = np.zeros(self.n_items)
        self.rewards_ = np.zeros(self.n_items)

    def _learn(self, item, reward, context) -> None:
        self.pulls_[item] += 1
        self.rewards_[item] += reward

    def means(self) -> np.ndarray:
        """Mean reward of each item so far (NaN if never shown)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.rewards_ / self.pulls_


class EpsilonGreedy(_Counting):
    r"""Show the best item so far, or with probability ε a random one.

    Parameters
    ----------
    n_items : int
        Number of items (arms), at least 2.
    epsilon : float, default 0.1
        Probability of exploring: a uniformly random item instead of the
        greedy one.

    Attributes
    ----------
    pulls_, rewards_ : numpy.ndarray
        Times each item was shown and its summed reward.

    Notes
    -----
    With :math:`\hat\mu_t(a)` the mean reward of item :math:`a` so far
    (:math:`+\infty` until it has been shown once, so every item is tried)
    and :math:`B_t` the set of items with the largest :math:`\hat\mu_t`,

    .. math::

        e_t(a) = \frac{\varepsilon}{K}
          + (1 - \varepsilon)\,\frac{1\{a \in B_t\}}{|B_t|},

    exactly. A fixed :math:`\varepsilon` explores forever, so its regret
    grows linearly, at a rate near :math:`\varepsilon` times the average
    gap to the best item once the greedy choice is right.

    References
    ----------
    Sutton, R. S. and Barto, A. G. (2018). *Reinforcement Learning: An
    Introduction*, 2nd ed., section 2.2. MIT Press.

    See :ref:`ch-loop`.

    Examples
    --------
    >>> policy = EpsilonGreedy(4, epsilon=0.2)
    >>> for item, reward in [(0, 1), (1, 0), (2, 0), (3, 0)]:
    ...     policy.update(item, reward)
    >>> policy.probabilities().round(3).tolist()  # item 0 leads
    [0.85, 0.05, 0.05, 0.05]
    """

    def __init__(self, n_items, *, epsilon=0.1):
        super().__init__(n_items)
        self.epsilon = _check_epsilon(epsilon)
        self._greedy = np.full(self.n_items, np.inf)  # untried first
        self._top, self._best = np.inf, list(range(self.n_items))

    def _learn(self, item, reward, context) -> None:
        super()._learn(item, reward, context)
        mean = self.rewards_[item] / self.pulls_[item]
        self._greedy[item] = mean
        # Only this item's score changed, so the set of best items is
        # updated in place rather than searched for each round: 2.1x on
        # bench_bandits (1.6 s -> 0.8 s of CPU for 10^5 rounds).
        if mean > self._top:
            self._top, self._best = mean, [item]
        elif mean == self._top:
            if item not in self._best:
                self._best.append(item)
        elif item in self._best:
            self._best.remove(item)
            if not self._best:
                self._top = self._greedy.max()
                self._best = np.flatnonzero(
                    self._greedy == self._top).tolist()

    def _scores(self, x) -> np.ndarray:
        return self._greedy

    def _choose(self, x, u) -> tuple[int, float]:
        n, eps, best = self.n_items, self.epsilon, self._best
        if u < eps:
            item = min(int(u / eps * n), n - 1)
        else:
            share = (u - eps) / (1.0 - eps)
            item = best[min(int(share * len(best)), len(best) - 1)]
        greedy = (1.0 - eps) / len(best) if item in best else 0.0
        return item, eps / n + greedy


class UCB(_Counting):
    r"""Upper confidence bound (UCB1): optimism in the face of uncertainty.

    Parameters
    ----------
    n_items : int
        Number of items (arms), at least 2.
    c : float, default 1.0
        Scale of the exploration bonus; 1 is UCB1 for rewards in [0, 1].
    epsilon : float, default 0.0
        Probability of a uniformly random item instead of the UCB one. With
        0 the policy is deterministic (apart from ties), so its logs carry
        no information about any other policy.

    Attributes
    ----------
    pulls_, rewards_ : numpy.ndarray
        Times each item was shown and its summed reward.

    Notes
    -----
    After :math:`t` rounds, with item :math:`a` shown :math:`n_a` times,
    the index is

    .. math::

        U_t(a) = \hat\mu_t(a) + c\,\sqrt{\frac{2 \ln t}{n_a}},

    :math:`+\infty` for an item never shown. The policy shows the item
    with the largest index (ties split evenly), mixed with uniform
    exploration of weight :math:`\varepsilon`; the logged probability is
    exact. Auer et al. (2002) show that UCB1's expected regret grows only
    logarithmically in :math:`t`.

    References
    ----------
    Auer, P., Cesa-Bianchi, N. and Fischer, P. (2002). Finite-time
    analysis of the multiarmed bandit problem. *Machine Learning* 47,
    235--256.

    See :ref:`ch-loop`.

    Examples
    --------
    >>> policy = UCB(3)
    >>> policy.probabilities().tolist()  # nothing shown yet: a tie
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    >>> for item, reward in [(0, 1), (1, 0), (2, 0)]:
    ...     policy.update(item, reward)
    >>> policy.probabilities().tolist()
    [1.0, 0.0, 0.0]
    """

    def __init__(self, n_items, *, c=1.0, epsilon=0.0):
        super().__init__(n_items)
        self.c = _checks.check_finite(c, "c")
        if self.c < 0:
            raise ValueError(f"c must be non-negative, got {c}")
        self.epsilon = _check_epsilon(epsilon)
        # Kept per item and updated one entry a round, so that the index
        # costs two array operations: 2.5x on bench_bandits against
        # recomputing means and bonuses from the counts (2.9 s -> 1.2 s).
        self._mean = np.zeros(self.n_items)
        self._root = np.zeros(self.n_items)  # 1 / sqrt(pulls)
        self._untried = np.full(self.n_items, np.inf)
        self._t, self._n_untried = 0, self.n_items

    def _learn(self, item, reward, context) -> None:
        super()._learn(item, reward, context)
        self._mean[item] = self.rewards_[item] / self.pulls_[item]
        self._root[item] = self.pulls_[item] ** -0.5
        if self._untried[item]:
            self._untried[item] = 0.0
            self._n_untried -= 1
        self._t += 1

    def _scores(self, x) -> np.ndarray:
        scale = self.c * math.sqrt(2.0 * math.log(max(self._t, 1)))
        index = self._mean + scale * self._root
        return index + self._untried if self._n_untried else index


class ThompsonSampling(_Counting):
    r"""Bernoulli Thompson sampling with exact logged probabilities.

    Parameters
    ----------
    n_items : int
        Number of items (arms), at least 2.
    prior : (float, float), default (1.0, 1.0)
        Beta prior :math:`(\alpha, \beta)` of every item's click rate.
    n_draws : int, default 100
        Size of the pool of posterior draws.
    batch_size : int, default 100
        Updates between refreshes of the pool (a system retrained in
        batches); 1 refreshes after every round.
    epsilon : float, default 0.0
        Weight of uniform exploration mixed in, which keeps every item's
        probability at least :math:`\varepsilon / K` (positivity for
        later off-policy evaluation).
    rng : int or numpy.random.Generator, optional
        Seed or Generator for the posterior draws.

    Attributes
    ----------
    pulls_, rewards_ : numpy.ndarray
        Times each item was shown and its summed reward.
    shares_ : numpy.ndarray
        Share of the current pool in which each item has the largest draw.

    Notes
    -----
    Thompson sampling shows the item that is best under one draw
    :math:`\tilde\mu \sim \mathrm{Beta}(\alpha + s_a, \beta + f_a)` from
    each item's posterior (:math:`s_a, f_a` clicks and non-clicks), so
    :math:`e_t(a)` is the posterior probability that :math:`a` is best,
    which has no closed form. Here, whenever the posterior has changed
    ``batch_size`` times, the policy draws ``n_draws`` posterior samples
    of all items and records the share :math:`s_t(a)` in which each item
    wins; each round it then shows an item drawn from

    .. math::

        e_t(a) = \frac{\varepsilon}{K} + (1 - \varepsilon)\, s_t(a),

    which is the logged probability. It is exact for the policy that is
    executed: with :math:`\varepsilon = 0` that is Thompson sampling whose
    posterior draw is one of the pool's, chosen at random. Items that win
    no draw have probability :math:`\varepsilon / K`. An item whose
    posterior has not changed since the last refresh keeps its draws in
    the pool (they are still draws from its posterior), so pools at
    different times share some draws; the probabilities stay exact.

    References
    ----------
    Thompson, W. R. (1933). On the likelihood that one unknown probability
    exceeds another in view of the evidence of two samples. *Biometrika*
    25(3/4), 285--294.

    Russo, D. J., Van Roy, B., Kazerouni, A., Osband, I. and Wen, Z.
    (2018). A tutorial on Thompson sampling. *Foundations and Trends in
    Machine Learning* 11(1), 1--96.

    See :ref:`ch-loop`.

    Examples
    --------
    >>> policy = ThompsonSampling(2, n_draws=1000, batch_size=1, rng=0)
    >>> for _ in range(20):
    ...     policy.update(0, 1)
    ...     policy.update(1, 0)
    >>> p = policy.probabilities()
    >>> bool(p[0] > 0.99), float(p.sum())
    (True, 1.0)
    """

    def __init__(self, n_items, *, prior=(1.0, 1.0), n_draws=100,
                 batch_size=100, epsilon=0.0, rng=None):
        super().__init__(n_items)
        self.prior = _check_prior(prior)
        self.n_draws = _checks.check_count(n_draws, "n_draws")
        self.batch_size = _checks.check_count(batch_size, "batch_size")
        self.epsilon = _check_epsilon(epsilon)
        self._rng = _checks.check_rng(rng)
        self._draws = None
        self._refresh()

    def _refresh(self) -> None:
        alpha, beta = self.prior
        if self._draws is None:
            changed = np.arange(self.n_items)
            self._draws = np.empty((self.n_draws, self.n_items))
        else:
            changed = np.flatnonzero(self.pulls_ != self._seen)
        # An item whose posterior did not change keeps its draws, which
        # are still draws from that posterior: once the policy has
        # settled on a few items, only they are redrawn (bench_bandits:
        # 10^5 rounds over 100 items, 1.1 s -> 0.46 s of CPU, 2.3x).
        wins, losses = self.rewards_[changed], self.pulls_[changed]
        self._draws[:, changed] = self._rng.beta(
            alpha + wins, beta + losses - wins,
            size=(self.n_draws, len(changed)))
        self._seen = self.pulls_.copy()
        best = np.bincount(self._draws.argmax(axis=1),
                           minlength=self.n_items)
        self.shares_ = best / self.n_draws
        self._p = (self.epsilon / self.n_items
                   + (1.0 - self.epsilon) * self.shares_)
        # Python lists: bisect on a list is cheaper per round than
        # np.searchsorted on an array (bench_bandits: 0.95 s -> 0.46 s of
        # CPU for the whole run, 2.1x).
        self._cumulative = np.cumsum(self._p).tolist()
        self._p_list = self._p.tolist()
        self._pending = 0

    def _learn(self, item, reward, context) -> None:
        if not 0 <= reward <= 1:
            raise ValueError(
                f"reward must lie in [0, 1] for a Beta posterior, got "
                f"{reward}"
            )
        super()._learn(item, reward, context)
        self._pending += 1
        if self._pending >= self.batch_size:
            self._refresh()

    def _dist(self, x) -> np.ndarray:
        return self._p.copy()

    def _choose(self, x, u) -> tuple[int, float]:
        c = self._cumulative
        item = min(bisect.bisect_right(c, u * c[-1]), self.n_items - 1)
        return item, self._p_list[item]


def _check_prior(prior) -> tuple[float, float]:
    try:
        alpha, beta = prior
    except (TypeError, ValueError):
        raise TypeError(
            f"prior must be a pair (alpha, beta), got {prior!r}"
        ) from None
    alpha = _checks.check_finite(alpha, "prior alpha")
    beta = _checks.check_finite(beta, "prior beta")
    if not (alpha > 0 and beta > 0):
        raise ValueError(
            f"prior parameters must be positive, got ({alpha}, {beta})"
        )
    return alpha, beta


class LinUCB(_GreedyMixture):
    r"""LinUCB with disjoint linear models: a contextual bandit.

    Parameters
    ----------
    n_items : int
        Number of items (arms), at least 2.
    n_features : int
        Length of the context vector (include a constant 1 for an
        intercept).
    alpha : float, default 1.0
        Width of the confidence bonus.
    ridge : float, default 1.0
        Ridge penalty :math:`\lambda` of each item's regression.
    epsilon : float, default 0.0
        Weight of uniform exploration mixed in.

    Attributes
    ----------
    theta_ : numpy.ndarray, shape (n_items, n_features)
        Each item's ridge coefficients.

    Notes
    -----
    Each item :math:`a` has its own linear model of the reward given the
    context :math:`x`, fitted by ridge regression on the rounds it was
    shown: :math:`A_a = \lambda I + \sum x x^\top`,
    :math:`\hat\theta_a = A_a^{-1} \sum x r`. The policy shows the item
    with the largest upper confidence bound

    .. math::

        U_t(a) = x_t^\top \hat\theta_a
          + \alpha \sqrt{x_t^\top A_a^{-1} x_t},

    ties split evenly and mixed with uniform exploration of weight
    :math:`\varepsilon`, so the logged probability is exact.
    :math:`A_a^{-1}` is updated by the Sherman--Morrison formula.

    References
    ----------
    Li, L., Chu, W., Langford, J. and Schapire, R. E. (2010). A
    contextual-bandit approach to personalized news article
    recommendation. *WWW '10*, 661--670.

    See :ref:`ch-loop`.

    Examples
    --------
    >>> policy = LinUCB(2, 2, alpha=0.0)
    >>> policy.update(0, 1.0, [1.0, 1.0])   # item 0 clicked by user type 1
    >>> policy.update(1, 1.0, [1.0, -1.0])  # item 1 by user type -1
    >>> policy.probabilities([1.0, 1.0]).tolist()
    [1.0, 0.0]
    >>> policy.probabilities([1.0, -1.0]).tolist()
    [0.0, 1.0]
    """

    def __init__(self, n_items, n_features, *, alpha=1.0, ridge=1.0,
                 epsilon=0.0):
        self.n_items = _checks.check_count(n_items, "n_items", minimum=2,
                                           limit=_checks.MAX_ROWS)
        self.n_features = _checks.check_count(n_features, "n_features")
        self.alpha = _checks.check_finite(alpha, "alpha")
        ridge = _checks.check_finite(ridge, "ridge")
        if not (self.alpha >= 0 and ridge > 0):
            raise ValueError(
                f"alpha must be >= 0 and ridge > 0, got {alpha} and {ridge}"
            )
        self.ridge = ridge
        self.epsilon = _check_epsilon(epsilon)
        eye = np.eye(self.n_features) / ridge
        self._a_inv = np.repeat(eye[None], self.n_items, axis=0)
        self._b = np.zeros((self.n_items, self.n_features))
        self.theta_ = np.zeros((self.n_items, self.n_features))

    def _context(self, context):
        x = np.asarray(context, dtype=float) if context is not None else None
        if x is None or x.shape != (self.n_features,):
            raise ValueError(
                f"context must be a vector of {self.n_features} features, "
                f"got {None if x is None else x.shape}"
            )
        return _checks.finite_values(x, "context")

    def _scores(self, x) -> np.ndarray:
        width = np.sqrt(np.einsum("i,kij,j->k", x, self._a_inv, x))
        return self.theta_ @ x + self.alpha * width

    def _learn(self, item, reward, x) -> None:
        a_inv = self._a_inv[item]
        ax = a_inv @ x
        self._a_inv[item] = a_inv - np.outer(ax, ax) / (1.0 + x @ ax)
        self._b[item] += reward * x
        self.theta_[item] = self._a_inv[item] @ self._b[item]


@dataclass(frozen=True)
class BanditRun:
    r"""The logs of one bandit run.

    Attributes
    ----------
    logs : pandas.DataFrame
        One row per round: ``round``, ``user_id``, ``item_id``,
        ``propensity`` (the policy's probability of the item it showed)
        and ``click`` (0/1).
    probabilities : numpy.ndarray or None
        Shape (rounds, items): the policy's whole distribution each round,
        if :func:`run` was asked to record it.
    """

    logs: pd.DataFrame
    probabilities: np.ndarray | None = field(default=None, repr=False)


def _click_matrix(click_probability, n_items) -> np.ndarray:
    p = np.asarray(click_probability, dtype=float)
    if p.ndim == 1:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] != n_items:
        raise ValueError(
            "click_probability must have one column per item of the policy "
            f"({n_items}), as (items,) or (users, items); got shape "
            f"{np.shape(click_probability)}"
        )
    p = _checks.finite_values(p.ravel(), "click_probability").reshape(
        p.shape)
    if ((p < 0) | (p > 1)).any():
        raise ValueError("click_probability must lie in [0, 1]")
    return p


def _feature_matrix(features, n_users, policy):
    needed = getattr(policy, "n_features", None)
    if features is None:
        if needed is not None:
            raise ValueError(
                f"{type(policy).__name__} needs features=, one row of "
                f"{needed} per user"
            )
        return None
    x = np.asarray(features, dtype=float)
    if needed is not None and (x.ndim != 2 or x.shape[1] != needed):
        raise ValueError(
            f"features must have {needed} columns, the policy's "
            f"n_features; got shape {x.shape}"
        )
    if x.ndim != 2 or x.shape[0] != n_users:
        raise ValueError(
            f"features must have one row per user ({n_users}); got shape "
            f"{x.shape}"
        )
    return _checks.finite_values(x.ravel(), "features").reshape(x.shape)


def _play(policy, p, x, users, draws, coins, kept):
    """The rounds: the policy chooses, the user clicks or not, it learns."""
    items = np.empty(len(users), dtype=np.int64)
    propensity = np.empty(len(users))
    for t in range(len(users)):
        context = None if x is None else x[users[t]]
        if kept is not None:
            kept[t] = policy._dist(context)
        items[t], propensity[t] = policy._choose(context, draws[t])
        click = float(coins[t] < p[users[t], items[t]])
        policy._learn(int(items[t]), click, context)
    return items, propensity


def run(policy, click_probability, *, n_rounds, rng, features=None,
        record_probabilities=False) -> BanditRun:
    r"""Play a policy against known click probabilities; log every round.

    Parameters
    ----------
    policy : EpsilonGreedy, UCB, ThompsonSampling or LinUCB
        A fresh policy; it learns in place during the run.
    click_probability : array-like, shape (n_items,) or (n_users, n_items)
        The true probability that a user clicks each item if shown.
    n_rounds : int
        Number of rounds (visits).
    rng : int or numpy.random.Generator
        Seed or Generator for the visiting users, the policy's draws and
        the clicks.
    features : array-like, shape (n_users, n_features), optional
        Each user's context, passed to the policy (needed by
        :class:`LinUCB`).
    record_probabilities : bool, default False
        Keep the policy's whole distribution each round (needed by
        :func:`evaluation_frame`).

    Returns
    -------
    BanditRun
        ``logs`` (``round``, ``user_id``, ``item_id``, ``propensity``,
        ``click``) and, if recorded, ``probabilities``.

    Raises
    ------
    ValueError
        If ``click_probability`` has the wrong number of items or values
        outside [0, 1], ``features`` the wrong number of rows, or
        ``n_rounds`` is not positive.

    Notes
    -----
    Round :math:`t` draws a user :math:`u_t` uniformly, the item
    :math:`A_t \sim e_t(\cdot)` from the policy, and the click
    :math:`Y_t \sim \mathrm{Bernoulli}(p_{u_t A_t})`; the policy then
    learns :math:`(A_t, Y_t)` before round :math:`t + 1`. The logged
    ``propensity`` is :math:`e_t(A_t)`. The rounds run in plain Python,
    about 10 microseconds each (``bench/bench_bandits.py``).

    See :ref:`ch-loop`.

    Examples
    --------
    >>> result = run(EpsilonGreedy(3, epsilon=0.3), [0.1, 0.5, 0.2],
    ...              n_rounds=500, rng=1)
    >>> list(result.logs.columns)
    ['round', 'user_id', 'item_id', 'propensity', 'click']
    >>> int(result.logs["item_id"].value_counts().idxmax())
    1
    """
    if not isinstance(policy, _Policy):
        raise TypeError(
            f"policy must be one of causal_lib.bandits' policies, got "
            f"{type(policy).__name__}"
        )
    p = _click_matrix(click_probability, policy.n_items)
    x = _feature_matrix(features, p.shape[0], policy)
    n_rounds = _checks.check_count(n_rounds, "n_rounds",
                                   limit=_checks.MAX_ROWS)
    rng = _checks.check_rng(rng)
    users = rng.integers(0, p.shape[0], size=n_rounds)
    draws, coins = rng.random(n_rounds), rng.random(n_rounds)
    kept = np.empty((n_rounds, policy.n_items)) if record_probabilities \
        else None
    items, propensity = _play(policy, p, x, users, draws, coins, kept)
    logs = pd.DataFrame({
        "round": np.arange(n_rounds), "user_id": users, "item_id": items,
        "propensity": propensity,
        "click": (coins < p[users, items]).astype(np.int64)})
    return BanditRun(logs, kept)


def _distribution(values, name, n_items=None) -> np.ndarray:
    """A probability vector, or a matrix whose rows are ones."""
    p = np.asarray(values, dtype=float)
    if p.ndim not in (1, 2) or (n_items is not None
                                and p.shape[-1] != n_items):
        raise ValueError(
            f"{name} must have one entry per item"
            + (f" ({n_items})" if n_items is not None else "")
            + f", as (items,) or (users, items); got shape {p.shape}"
        )
    _checks.probability_values(p.ravel(), name)
    sums = p.sum(axis=-1)
    if np.abs(sums - 1).max() > _SUM_TOLERANCE:
        raise ValueError(
            f"{name} must sum to 1 over the items (a policy's "
            f"distribution); sums range from {sums.min():.6g} to "
            f"{sums.max():.6g}"
        )
    return p


def _logged_items(logs, n_items, n_users=None):
    """Validated ``item_id`` (and ``user_id``) arrays of bandit logs."""
    _checks.require_frame(logs)
    roles = {"item": "item_id"} | ({} if n_users is None
                                   else {"user": "user_id"})
    _checks.require_columns(logs, **roles)
    out = []
    for role, column in roles.items():
        values = _checks.numeric_column(logs, column, role)
        bound = n_items if role == "item" else n_users
        if (values != np.round(values)).any() or values.min() < 0 \
                or values.max() >= bound:
            raise ValueError(
                f"{role} column {column!r} must hold integers from 0 to "
                f"{bound - 1}, the rows of the target's distribution"
            )
        out.append(values.astype(np.int64))
    return out


def target_probability(target, logs) -> np.ndarray:
    r"""A target policy's probability of each logged item.

    Parameters
    ----------
    target : array-like, shape (n_items,) or (n_users, n_items)
        The target policy's distribution over items: the same for every
        user, or one row per user (rows sum to 1).
    logs : pandas.DataFrame
        Logs with ``item_id`` (and ``user_id`` for a per-user target),
        such as :attr:`BanditRun.logs`.

    Returns
    -------
    numpy.ndarray
        The target's probability of each row's item,
        :math:`\pi(A_t \mid X_t)`: the ``target=`` column of the
        estimators in :mod:`causal_lib.ope`.

    Raises
    ------
    ValueError
        If the target is not a distribution over items, or the logs hold
        an item (or user) it has no entry for.

    Notes
    -----
    Row :math:`t` gets :math:`\pi(A_t)` from a single distribution, or
    :math:`\pi(A_t \mid u_t)` from the row of its user :math:`u_t`. A
    target that puts mass on items the logger could not show is not
    detected here; :func:`evaluation_frame` adds a ``support`` column for
    that.

    See :ref:`ch-loop`.

    Examples
    --------
    >>> logs = pd.DataFrame({"user_id": [0, 1], "item_id": [2, 0]})
    >>> target_probability([0.5, 0.0, 0.5], logs).tolist()
    [0.5, 0.5]
    >>> target_probability([[0, 0, 1], [0.2, 0.8, 0]], logs).tolist()
    [1.0, 0.2]
    """
    pi = _distribution(target, "target")
    if pi.ndim == 1:
        (items,) = _logged_items(logs, pi.shape[0])
        return pi[items]
    items, users = _logged_items(logs, pi.shape[1], pi.shape[0])
    return pi[users, items]


def _running_means(items, rewards, n_items) -> np.ndarray:
    """Each item's mean reward over the rounds *before* t (0 if none)."""
    shown = np.zeros((len(items), n_items))
    shown[np.arange(len(items)), items] = 1.0
    pulls = np.cumsum(shown, axis=0) - shown
    sums = np.cumsum(shown * rewards[:, None], axis=0) - shown * rewards[
        :, None]
    return np.divide(sums, pulls, out=np.zeros_like(sums), where=pulls > 0)


def evaluation_frame(result: BanditRun, target) -> pd.DataFrame:
    r"""The columns :mod:`causal_lib.ope` needs to evaluate a target policy.

    Parameters
    ----------
    result : BanditRun
        A run of a non-contextual policy made with
        ``record_probabilities=True``.
    target : array-like, shape (n_items,)
        The target policy's distribution over items, e.g. a one-hot vector
        for the value of a single item.

    Returns
    -------
    pandas.DataFrame
        One row per round, in order: ``reward``, ``propensity``,
        ``target`` (:math:`\pi(A_t)`), ``predicted_reward``
        (:math:`\hat\mu_{t-1}(A_t)`), ``target_reward``
        (:math:`\sum_a \pi(a) \hat\mu_{t-1}(a)`), ``weight`` (:math:`h_t`)
        and ``support`` (the target's mass on items the logger could
        show that round).

    Raises
    ------
    ValueError
        If the run did not record its probabilities or the target is not a
        distribution over its items.

    Notes
    -----
    The reward model :math:`\hat\mu_{t-1}(a)` is the mean reward of item
    :math:`a` in the rounds before :math:`t` (0 before it was first
    shown). It uses only the past, as the adaptive estimators need. The
    weight is the variance-stabilising choice of Hadad et al. for one
    arm, in the form Zhan et al. give it for a policy,

    .. math::

        h_t = \Big(\sum_a \frac{\pi(a)^2}{e_t(a)}\Big)^{-1/2},

    which for the value of one item :math:`a` is :math:`\sqrt{e_t(a)}`;
    it is 0 where the target puts mass on an item the logger could not
    show (``support`` is then below 1). Memory grows with rounds times
    items (three float arrays of that size).

    References
    ----------
    Hadad, V., Hirshberg, D. A., Zhan, R., Wager, S. and Athey, S. (2021).
    Confidence intervals for policy evaluation in adaptive experiments.
    *PNAS* 118(15), e2014602118.

    Zhan, R., Hadad, V., Hirshberg, D. A. and Athey, S. (2021). Off-policy
    evaluation via adaptive weighting with data from contextual bandits.
    *KDD '21*, 2125--2135 (the weight for a policy's value).

    See :ref:`ch-loop`.

    Examples
    --------
    >>> result = run(EpsilonGreedy(2, epsilon=0.5), [0.2, 0.6],
    ...              n_rounds=4, rng=0, record_probabilities=True)
    >>> frame = evaluation_frame(result, [0.0, 1.0])
    >>> list(frame.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['reward', 'propensity', 'target', 'predicted_reward',
     'target_reward', 'weight', 'support']
    >>> bool(np.allclose(frame["weight"] ** 2,
    ...                  result.probabilities[:, 1]))
    True
    """
    if not isinstance(result, BanditRun) or result.probabilities is None:
        raise ValueError(
            "result must be a BanditRun made with "
            "run(..., record_probabilities=True): the weights need every "
            "item's logging probability in every round"
        )
    e = result.probabilities
    pi = _distribution(target, "target", e.shape[1])
    if pi.ndim != 1:
        raise ValueError("target must be one distribution over the items")
    logs = result.logs
    items = logs["item_id"].to_numpy()
    rewards = logs["click"].to_numpy(dtype=float)
    mu = _running_means(items, rewards, e.shape[1])
    rows = np.arange(len(items))
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 is dropped
        spread = np.where(pi > 0, pi**2 / e, 0.0).sum(axis=1)
    return pd.DataFrame({
        "reward": rewards, "propensity": logs["propensity"].to_numpy(),
        "target": pi[items], "predicted_reward": mu[rows, items],
        "target_reward": mu @ pi, "weight": 1.0 / np.sqrt(spread),
        "support": (e > 0) @ pi})
