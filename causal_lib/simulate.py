r"""Simulated recommender data with known causal truth.

Every simulator draws *both* potential outcomes for every unit, returns
the observed data (only the outcome of the arm each unit was in) and a
:class:`Truth` computed from those potential outcomes. This module imports
no estimator: the truth never comes from an estimate.

Every simulator needs ``rng``, a seed (int) or a
:class:`numpy.random.Generator`, and has no default: ``rng=7`` draws
exactly what ``rng=np.random.default_rng(7)`` draws, and a chapter that
makes one Generator and passes it down gets the same numbers every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_lib import _checks


@dataclass(frozen=True)
class Truth:
    r"""The causal quantities of one simulated data set.

    Attributes
    ----------
    ate, att, atc : float
        Sample averages of :math:`Y_i(1) - Y_i(0)` over all units, the
        treated units and the control units of this draw.
    potential_outcomes : pandas.DataFrame
        Columns ``y0`` and ``y1``, one row per row of the data (same index).
    params : dict
        The parameters the data were drawn with.
    propensity : pandas.Series or None
        The true probability of treatment of every unit, where the
        simulator assigns treatment by a known probability.
    """

    ate: float
    att: float
    atc: float
    potential_outcomes: pd.DataFrame = field(repr=False)
    params: dict = field(default_factory=dict)
    propensity: pd.Series | None = field(default=None, repr=False)

    @property
    def effects(self) -> pd.Series:
        """Individual effects :math:`Y_i(1) - Y_i(0)`."""
        po = self.potential_outcomes
        return (po["y1"] - po["y0"]).rename("effect")


def _truth(y0, y1, treated, index, params, propensity=None) -> Truth:
    effect = y1 - y0
    treated = treated.astype(bool)
    po = pd.DataFrame({"y0": y0, "y1": y1}, index=index)
    if propensity is not None:
        propensity = pd.Series(propensity, index=index, name="propensity")
    return Truth(
        ate=float(effect.mean()),
        att=float(effect[treated].mean()) if treated.any() else np.nan,
        atc=float(effect[~treated].mean()) if (~treated).any() else np.nan,
        potential_outcomes=po,
        params=dict(params),
        propensity=propensity,
    )


def _generator(rng) -> np.random.Generator:
    # Unlike the estimators, a simulator has no default and refuses None:
    # its data and truth are only worth printing if they can be redrawn.
    return _checks.check_rng(rng, allow_none=False)


def _open_share(value, name: str) -> float:
    return _checks.check_probability(value, name, open_low=True,
                                     open_high=True)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def targeted_recommendations(
    n: int = 20_000,
    *,
    rng: int | np.random.Generator,
    lift: float = 0.02,
    targeting: float = 2.5,
) -> tuple[pd.DataFrame, Truth]:
    r"""A shop whose recommender targets users who were likely to buy anyway.

    Each user has a purchase intent driven by two observed features,
    ``visits`` (sessions in the last 30 days) and ``past_purchases`` (in
    the last 90 days). The recommender shows a personalised "picked for
    you" carousel (``recommended = 1``) mostly to high-intent users. A
    recommendation raises the purchase probability by ``lift`` on the
    probability scale for the typical user, a little more for users in the
    middle of the intent range.

    Parameters
    ----------
    n : int
        Number of users.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    lift : float
        Size of the causal effect on purchase probability, roughly the
        true ATE.
    targeting : float
        How strongly exposure follows intent; 0 assigns at random.

    Returns
    -------
    data : pandas.DataFrame
        ``user_id``, ``visits``, ``past_purchases``, ``recommended`` (0/1)
        and ``purchased`` (0/1, the observed outcome).
    truth : Truth
        Both potential outcomes of every user, and the ATE, ATT and ATC.

    Notes
    -----
    With intent :math:`u_i = -3.0 + 0.12\,\mathrm{visits}_i +
    0.35\,\mathrm{past}_i`, the baseline probability is
    :math:`p_{0i} = \mathrm{expit}(u_i)` and
    :math:`p_{1i} = \min(1, p_{0i} + \mathrm{lift}\cdot 4 p_{0i}(1 - p_{0i})
    / \bar q)`, where :math:`\bar q` normalises the bump to average
    ``lift``. One uniform draw :math:`v_i` per user couples the outcomes:
    :math:`Y_i(a) = 1\{v_i < p_{ai}\}`. So every user is a *sure thing*
    (buys either way), a *persuadable* (buys only if recommended) or a
    *lost cause*; the coupling keeps individual effects in {0, 1}.
    Exposure is :math:`D_i \sim \mathrm{Bernoulli}(\mathrm{expit}(
    \mathrm{targeting}\cdot(u_i - \bar u) - 0.8))`, which depends on the
    observed features only, so adjusting for them identifies the effect.

    See :ref:`ch-why` and :ref:`ch-po`.

    Examples
    --------
    >>> data, truth = targeted_recommendations(
    ...     1_000, rng=np.random.default_rng(1))
    >>> sorted(data.columns)
    ['past_purchases', 'purchased', 'recommended', 'user_id', 'visits']
    >>> bool((truth.effects >= 0).all())
    True
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2,
                            limit=_checks.MAX_ROWS)
    lift = _checks.check_finite(lift, "lift")
    targeting = _checks.check_finite(targeting, "targeting")
    visits = rng.poisson(rng.gamma(2.0, 4.0, n))
    past = rng.poisson(0.4 + 0.08 * visits)
    intent = -3.0 + 0.12 * visits + 0.35 * past
    p0 = _expit(intent)
    bump = 4 * p0 * (1 - p0)
    p1 = np.minimum(1.0, p0 + lift * bump / bump.mean())
    v = rng.uniform(size=n)
    y0 = (v < p0).astype(np.int64)
    y1 = (v < p1).astype(np.int64)
    score = targeting * (intent - intent.mean()) - 0.8
    recommended = (rng.uniform(size=n) < _expit(score)).astype(np.int64)
    purchased = np.where(recommended == 1, y1, y0)
    data = pd.DataFrame(
        {
            "user_id": np.arange(n),
            "visits": visits,
            "past_purchases": past,
            "recommended": recommended,
            "purchased": purchased,
        }
    )
    params = {"n": n, "lift": lift, "targeting": targeting}
    return data, _truth(y0, y1, recommended, data.index, params,
                        _expit(score))


def ab_test(
    n: int = 20_000,
    *,
    rng: int | np.random.Generator,
    ate: float = 0.5,
    share_treated: float = 0.5,
) -> tuple[pd.DataFrame, Truth]:
    r"""An A/B test of a new ranking model on weekly spend.

    Users are split at random between the current ranker
    (``new_ranker = 0``) and a new one (``new_ranker = 1``); the outcome is
    ``spend`` in euros during the test week. ``pre_spend`` is the same
    user's weekly spend before the test, which the new ranker cannot have
    affected, so it is a valid covariate for CUPED or regression
    adjustment.

    Parameters
    ----------
    n : int
        Number of users in the experiment.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    ate : float
        Average effect in euros per user per week in the population.
    share_treated : float
        Probability that a user gets the new ranker.

    Returns
    -------
    data : pandas.DataFrame
        ``user_id``, ``platform`` ("android", "ios", "web"),
        ``tenure_months``, ``pre_spend``, ``new_ranker`` (0/1), ``spend``.
    truth : Truth
        Both potential outcomes; ``truth.ate`` is the sample ATE.

    Notes
    -----
    Baseline spend is :math:`Y_i(0) = 4 + 0.8\,\mathrm{pre}_i +
    1.5\,\mathrm{ios}_i + \varepsilon_i` with
    :math:`\varepsilon_i \sim N(0, 6^2)`, and the effect grows with past
    spend, :math:`Y_i(1) - Y_i(0) = \mathrm{ate}\,(0.5 + 0.5\,
    \mathrm{pre}_i / 20)`, whose population mean is ``ate`` because
    :math:`E[\mathrm{pre}] = 20`. Assignment is Bernoulli(``share_treated``)
    independently of everything else.

    See :ref:`ch-ab`.

    Examples
    --------
    >>> data, truth = ab_test(2_000, rng=np.random.default_rng(3), ate=1.0)
    >>> round(truth.ate, 1)
    1.0
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2,
                            limit=_checks.MAX_ROWS)
    ate = _checks.check_finite(ate, "ate")
    share_treated = _open_share(share_treated, "share_treated")
    platform = rng.choice(["android", "ios", "web"], size=n, p=[0.5, 0.3, 0.2])
    tenure = rng.integers(1, 61, size=n)
    pre_spend = rng.gamma(2.0, 10.0, size=n)
    ios = (platform == "ios").astype(float)
    y0 = 4 + 0.8 * pre_spend + 1.5 * ios + rng.normal(0, 6, size=n)
    y1 = y0 + ate * (0.5 + 0.5 * pre_spend / 20)
    new_ranker = (rng.uniform(size=n) < share_treated).astype(np.int64)
    data = pd.DataFrame(
        {
            "user_id": np.arange(n),
            "platform": pd.Series(platform, dtype="category"),
            "tenure_months": tenure,
            "pre_spend": pre_spend.round(2),
            "new_ranker": new_ranker,
            "spend": np.where(new_ranker == 1, y1, y0).round(2),
        }
    )
    params = {"n": n, "ate": ate, "share_treated": share_treated}
    return data, _truth(
        np.round(y0, 2), np.round(y1, 2), new_ranker, data.index, params,
        np.full(n, share_treated),
    )


def recommendation_logs(
    n: int = 20_000,
    *,
    rng: int | np.random.Generator,
    confounding: float = 1.0,
) -> tuple[pd.DataFrame, Truth]:
    r"""Logs of a "recommended for you" slot that targets engaged users.

    Each row is a user in one week. The recommender featured a new
    product line in the user's slot (``recommended = 1``) with a
    probability that rises with the user's engagement, past spend and use
    of the app. ``spend`` next week is the outcome. Engaged users spend
    more anyway *and* respond more to the recommendation, so the naive
    comparison is biased and the ATT exceeds the ATE.

    Parameters
    ----------
    n : int
        Number of users.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    confounding : float
        Scales how strongly exposure depends on the features; 0 makes
        exposure random (probability about one third).

    Returns
    -------
    data : pandas.DataFrame
        ``user_id``, ``engagement`` (sessions per week), ``past_spend``
        (euros in the last four weeks), ``tenure_months``, ``device``
        ("app" or "web"), ``recommended`` (0/1) and ``spend`` (euros).
    truth : Truth
        Both potential outcomes, ATE, ATT, ATC and the true propensity.

    Notes
    -----
    With engagement :math:`g`, past spend :math:`s` and app use :math:`a`,
    exposure is Bernoulli with probability

    .. math::

        e(x) = \mathrm{expit}\bigl(c\,(-2.6 + 0.3 g + 0.01 s + 0.6 a)
               - 0.7 (1 - c)\bigr),

    where :math:`c` is ``confounding``: logistic and linear in the
    features, so a logistic propensity model on them is correct. Outcomes
    are :math:`Y(0) = 3 + 0.4 s + g + 0.3 g^2 + \varepsilon` with
    :math:`\varepsilon \sim N(0, 6^2)` and :math:`Y(1) = Y(0) + 0.5 +
    0.3 g`: the outcome is quadratic in engagement, so an outcome model
    linear in the features is wrong unless it includes
    ``I(engagement**2)``, and the effect grows with engagement.

    See :ref:`ch-conf`.

    Examples
    --------
    >>> data, truth = recommendation_logs(5_000, rng=np.random.default_rng(0))
    >>> bool(truth.att > truth.ate)
    True
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2,
                            limit=_checks.MAX_ROWS)
    confounding = _checks.check_finite(confounding, "confounding")
    engagement = np.minimum(rng.gamma(2.0, 2.0, size=n), 12.0).round(1)
    past_spend = rng.gamma(2.0, 15.0, size=n).round(2)
    tenure = rng.integers(1, 61, size=n)
    app = (rng.uniform(size=n) < 0.6).astype(float)
    index = -2.6 + 0.3 * engagement + 0.01 * past_spend + 0.6 * app
    score = confounding * index - (1 - confounding) * 0.7
    propensity = _expit(score)
    recommended = (rng.uniform(size=n) < propensity).astype(np.int64)
    y0 = (3 + 0.4 * past_spend + 1.0 * engagement + 0.3 * engagement**2
          + rng.normal(0, 6, size=n))
    y1 = y0 + 0.5 + 0.3 * engagement
    data = pd.DataFrame(
        {
            "user_id": np.arange(n),
            "engagement": engagement,
            "past_spend": past_spend,
            "tenure_months": tenure,
            "device": pd.Series(np.where(app == 1, "app", "web"),
                                dtype="category"),
            "recommended": recommended,
            "spend": np.where(recommended == 1, y1, y0).round(2),
        }
    )
    params = {"n": n, "confounding": confounding}
    return data, _truth(np.round(y0, 2), np.round(y1, 2), recommended,
                        data.index, params, propensity)


def partially_linear(
    n: int = 2_000,
    *,
    rng: int | np.random.Generator,
    n_features: int = 20,
    effect: float = 1.0,
) -> tuple[pd.DataFrame, Truth]:
    r"""Many user features, a nonlinear targeting rule, a constant effect.

    The setting of double machine learning: a recommendation
    (``recommended``) is shown by a rule that depends nonlinearly on a few
    of many user features ``x0``, ``x1``, ..., and the outcome ``minutes``
    (watch time) depends nonlinearly on the same features, plus a
    constant effect of the recommendation.

    Parameters
    ----------
    n : int
        Number of users.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    n_features : int
        Number of features (at least 3); only the first three matter.
    effect : float
        The constant effect :math:`\theta` of a recommendation.

    Returns
    -------
    data : pandas.DataFrame
        ``x0`` ... ``x{p-1}``, ``recommended`` (0/1), ``minutes``.
    truth : Truth
        Potential outcomes; every individual effect equals ``effect``.

    Notes
    -----
    Features are standard normal with correlation :math:`0.5^{|j-k|}`.
    The partially linear model
    :math:`Y = \theta T + g(X) + \varepsilon` holds with
    :math:`g(x) = 2\sin(x_0) + x_1^2 + x_2`, and
    :math:`P(T = 1 \mid X) = \mathrm{expit}(1.5 \sin(x_0) + x_1 - 0.5
    x_2^2)`, :math:`\varepsilon \sim N(0, 1)`.

    See :ref:`ch-dml`.

    Examples
    --------
    >>> data, truth = partially_linear(500, rng=np.random.default_rng(0))
    >>> truth.ate
    1.0
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2,
                            limit=_checks.MAX_ROWS)
    n_features = _checks.check_count(n_features, "n_features", minimum=3)
    effect = _checks.check_finite(effect, "effect")
    lags = np.abs(np.subtract.outer(np.arange(n_features),
                                    np.arange(n_features)))
    chol = np.linalg.cholesky(0.5 ** lags)
    x = rng.standard_normal((n, n_features)) @ chol.T
    propensity = _expit(1.5 * np.sin(x[:, 0]) + x[:, 1] - 0.5 * x[:, 2] ** 2)
    recommended = (rng.uniform(size=n) < propensity).astype(np.int64)
    y0 = 2 * np.sin(x[:, 0]) + x[:, 1] ** 2 + x[:, 2] + rng.normal(size=n)
    y1 = y0 + effect
    data = pd.DataFrame(x, columns=[f"x{j}" for j in range(n_features)])
    data["recommended"] = recommended
    data["minutes"] = np.where(recommended == 1, y1, y0)
    params = {"n": n, "n_features": n_features, "effect": effect}
    return data, _truth(y0, y1, recommended, data.index, params, propensity)


TYPES = ("persuadable", "sure thing", "lost cause", "sleeping dog")


def catalogue(
    n_users: int = 2_000,
    n_items: int = 50,
    *,
    rng: int | np.random.Generator,
    targeting: float = 1.5,
    persuasion: float = 0.6,
    reactance: float = 0.15,
) -> tuple[pd.DataFrame, Truth]:
    r"""Every user-item pair of a shop, with logged recommendations.

    Each row is one user-item pair in one week. The shop's current
    recommender put the item in the user's "picked for you" list
    (``recommended = 1``) with a known probability, ``propensity``, that
    rises with the predicted relevance of the item to the user: it
    favours items the user is likely to buy anyway. ``purchased`` is
    whether the user bought the item that week. Both potential outcomes
    are drawn for every pair, so each pair is a *persuadable* (buys only
    if recommended), a *sure thing* (buys either way), a *lost cause*
    (never buys) or a *sleeping dog* (buys only if *not* recommended).

    Parameters
    ----------
    n_users, n_items : int
        Size of the catalogue; the data have ``n_users * n_items`` rows.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    targeting : float
        How strongly the logging policy follows predicted relevance;
        0 recommends every pair with the same probability (about 0.14).
    persuasion : float
        Probability, for the median user and item, that a recommendation
        makes an interested user who did not know the item aware of it.
    reactance : float
        Share of would-be purchases of already known items that a
        recommendation puts off, for the median user (at most 0.5).

    Returns
    -------
    data : pandas.DataFrame
        One row per pair, sorted by user then item: ``user_id``,
        ``item_id``, ``user_activity`` (the user's purchases in the
        previous 90 days), ``item_popularity`` (share of users who bought
        the item in the previous week), ``affinity`` (the current
        recommender's predicted log-odds of purchase without
        recommendation, a noisy estimate of :math:`\mathrm{logit}\,p_0`),
        ``propensity`` (the logging policy's probability of recommending
        the pair, stored with the logs), ``recommended`` (0/1) and
        ``purchased`` (0/1).
    truth : Truth
        ``truth.potential_outcomes`` has ``y0`` and ``y1`` plus ``p0`` and
        ``p1``, the true purchase probabilities without and with
        recommendation, and ``type``, one of ``TYPES``. ``truth.ate`` and
        ``truth.effects`` use :math:`Y(1) - Y(0)` only; the expected
        effect of a pair is ``p1 - p0``. ``truth.propensity`` is the
        logging policy's probability.

    Notes
    -----
    Users :math:`u` have an activity :math:`a_u`, a receptiveness
    :math:`r_u` and a taste :math:`\theta_u \in \mathbb{R}^3`; items
    :math:`i` have a popularity :math:`b_i`, an appeal :math:`c_i` and a
    profile :math:`\phi_i`, all independent normal
    (:math:`\theta_u \sim N(0, I/3)`, the others standard), and
    :math:`s_{ui} = \theta_u^\top \phi_i` is the match of taste and item.
    A purchase needs interest and awareness:

    .. math::

        q_{ui} = \mathrm{expit}(-2 + 0.5 a_u + s_{ui}), \qquad
        w_{ui} = \mathrm{expit}(-1 + b_i + 1.5 s_{ui}),

    the probability that the user wants the item and that they know it
    without being told. A recommendation makes an unaware user aware with
    probability :math:`\rho_{ui} = \mathrm{expit}(\mathrm{logit}(\pi) +
    0.8 r_u + 0.5 c_i)` (:math:`\pi` is ``persuasion``) and puts off an
    aware one with probability :math:`\kappa_u = 2 \kappa\,
    \mathrm{expit}(-2.5 r_u)` (:math:`\kappa` is ``reactance``), so

    .. math::

        p_{0,ui} = q_{ui} w_{ui}, \qquad
        p_{1,ui} = q_{ui}\bigl(w_{ui}(1 - \kappa_u)
                   + (1 - w_{ui})\rho_{ui}\bigr), \qquad
        p_{1,ui} - p_{0,ui} = q_{ui}\bigl((1 - w_{ui})\rho_{ui}
                   - w_{ui}\kappa_u\bigr).

    Relevance :math:`p_0` grows with awareness but the uplift shrinks with
    it: the items a user would buy anyway are the ones a recommendation
    helps least, and it can even hurt them.

    One uniform :math:`V_{ui}` per pair couples the potential outcomes,
    :math:`Y_{ui}(z) = 1\{V_{ui} < p_{z,ui}\}`. The type of a pair follows
    from :math:`(Y(0), Y(1))`: (0, 1) persuadable, (1, 1) sure thing,
    (0, 0) lost cause, (1, 0) sleeping dog. Because both outcomes use the
    same :math:`V`, a pair with :math:`p_1 \ge p_0` is never a sleeping
    dog and one with :math:`p_1 < p_0` never a persuadable: the shares
    are :math:`(p_1 - p_0)^+`, :math:`\min(p_0, p_1)`,
    :math:`1 - \max(p_0, p_1)` and :math:`(p_0 - p_1)^+`, the fewest
    persuadables and sleeping dogs compatible with :math:`p_0, p_1`.

    The observed features record the latent ones with noise:
    ``user_activity`` is Poisson with mean :math:`4 e^{0.5 a_u - 1/8}`,
    ``item_popularity`` is a binomial share of ``n_users`` draws with
    probability :math:`\bar p_{0,i}` (the item's mean :math:`p_0`), and
    ``affinity`` is :math:`\mathrm{logit}\,p_{0,ui} + N(0, 0.5^2)`,
    rounded to three decimals.

    The logging policy recommends each pair independently with
    probability

    .. math::

        P(Z_{ui} = 1) = 0.02 + 0.88\,\mathrm{expit}(-1.8 + \gamma
                        \tilde A_{ui}),

    where :math:`\tilde A` is ``affinity`` standardised and
    :math:`\gamma` is ``targeting``; it stays inside [0.02, 0.9]. It
    depends on observed data only and is stored in the logs, so inverse
    propensity weighting with the ``propensity`` column is unbiased.

    With the defaults about 4% of pairs are persuadables, 0.5% sleeping
    dogs and 8% sure things; the average effect is about 0.03. Each
    user's top 10 items by :math:`p_1 - p_0` have an average effect near
    0.08, a random 10 near 0.03, and the top 10 by relevance :math:`p_0`
    under 0.01: they are mostly sure things, and they hold most of the
    sleeping dogs.

    References
    ----------
    Sato, M., Singh, J., Takemori, S., Sonoda, T., Zhang, Q. and Ohkuma,
    T. (2019). Uplift-based evaluation and optimization of recommenders.
    *RecSys '19*, 296--304.

    See :ref:`ch-urec`.

    Examples
    --------
    >>> data, truth = catalogue(200, 20, rng=np.random.default_rng(0))
    >>> data.shape
    (4000, 8)
    >>> po = truth.potential_outcomes
    >>> sorted(po["type"].unique())
    ['lost cause', 'persuadable', 'sleeping dog', 'sure thing']
    >>> persuadable = (po["y0"] == 0) & (po["y1"] == 1)
    >>> bool((persuadable == (po["type"] == "persuadable")).all())
    True
    """
    rng = _generator(rng)
    n_users = _checks.check_count(n_users, "n_users", minimum=2,
                            limit=_checks.MAX_ROWS)
    n_items = _checks.check_count(n_items, "n_items", minimum=2,
                            limit=_checks.MAX_ROWS)
    persuasion = _open_share(persuasion, "persuasion")
    reactance = _checks.check_finite(reactance, "reactance")
    if not 0 <= reactance <= 0.5:
        raise ValueError(
            f"reactance must lie between 0 and 0.5, got {reactance}"
        )
    targeting = _checks.check_finite(targeting, "targeting")
    # The order of the draws below is the random stream the chapters'
    # numbers depend on: latent factors, V, observed features, exposure.
    activity, p0, p1 = _purchase_probabilities(
        rng, n_users, n_items, persuasion, reactance)
    v = rng.uniform(size=p0.shape)
    y0 = (v < p0).astype(np.int64).ravel()
    y1 = (v < p1).astype(np.int64).ravel()
    data = _observed_features(rng, activity, p0)
    data["propensity"] = _logging_policy(data["affinity"], targeting)
    data["recommended"] = (
        rng.uniform(size=len(data)) < data["propensity"]).astype(np.int64)
    data["purchased"] = np.where(data["recommended"] == 1, y1, y0)
    params = {"n_users": n_users, "n_items": n_items,
              "targeting": targeting, "persuasion": persuasion,
              "reactance": reactance}
    truth = _truth(y0, y1, data["recommended"].to_numpy(), data.index,
                   params, data["propensity"].to_numpy())
    po = truth.potential_outcomes
    po["p0"] = p0.ravel()
    po["p1"] = p1.ravel()
    # TYPES[j] has (y0, y1) = (0, 1), (1, 1), (0, 0), (1, 0); the lookup
    # maps 2 * y0 + y1 to j.
    codes = np.array([2, 0, 3, 1], dtype=np.int8)[2 * y0 + y1]
    po["type"] = pd.Categorical.from_codes(codes, categories=TYPES)
    return data, truth


def _purchase_probabilities(rng, n_users, n_items, persuasion, reactance):
    """Latent factors -> p0 and p1, (n_users, n_items) arrays."""
    activity = rng.standard_normal(n_users)[:, None]
    receptive = rng.standard_normal(n_users)[:, None]
    taste = rng.standard_normal((n_users, 3)) / np.sqrt(3)
    popularity = rng.standard_normal(n_items)
    appeal = rng.standard_normal(n_items)
    profile = rng.standard_normal((n_items, 3))
    match = taste @ profile.T
    interest = _expit(-2.0 + 0.5 * activity + match)
    aware = _expit(-1.0 + popularity + 1.5 * match)
    persuade = _expit(np.log(persuasion / (1 - persuasion))
                      + 0.8 * receptive + 0.5 * appeal)
    put_off = 2 * reactance * _expit(-2.5 * receptive)
    p0 = interest * aware
    p1 = interest * (aware * (1 - put_off) + (1 - aware) * persuade)
    return activity, p0, p1


def _observed_features(rng, activity, p0) -> pd.DataFrame:
    """Noisy records of the latent factors, one row per user-item pair."""
    n_users, n_items = p0.shape
    past = rng.poisson(4.0 * np.exp(0.5 * activity[:, 0] - 0.125))
    last_week = rng.binomial(n_users, p0.mean(axis=0)) / n_users
    affinity = (np.log(p0 / (1 - p0))
                + rng.normal(0.0, 0.5, size=p0.shape)).round(3)
    return pd.DataFrame(
        {
            "user_id": np.repeat(np.arange(n_users), n_items),
            "item_id": np.tile(np.arange(n_items), n_users),
            "user_activity": np.repeat(past, n_items),
            "item_popularity": np.tile(last_week, n_users),
            "affinity": affinity.ravel(),
        }
    )


def _logging_policy(affinity: pd.Series, targeting: float) -> np.ndarray:
    """The old recommender's probability, in [0.02, 0.9], of each pair."""
    affinity = affinity.to_numpy()
    z_score = (affinity - affinity.mean()) / affinity.std()
    return 0.02 + 0.88 * _expit(-1.8 + targeting * z_score)


# --- launches over time (chapter 12) ----------------------------------------

#: Names of the control regions of :func:`launch_series`.
REGIONS = ("south", "east", "west", "centre", "coast", "valley", "lakes",
           "hills")


def launch_series(
    n_days: int = 120,
    *,
    rng: int | np.random.Generator,
    launch_day: int = 84,
    n_controls: int = 4,
    effect: float = 2.0,
    spillover: float = 0.0,
) -> tuple[pd.DataFrame, Truth]:
    r"""Daily revenue of a region that gets a new recommender, and of
    regions that do not.

    A shop sells in several regions. On day ``launch_day`` the launch
    region switches to a new recommender; the other regions keep the old
    one. All regions ride the same national demand (a weekly cycle and a
    slow random walk), so their revenues move together.

    Parameters
    ----------
    n_days : int
        Number of days.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced.
    launch_day : int
        First day with the new recommender (0-based); days before it form
        the pre-period.
    n_controls : int
        Number of untouched regions, 1 to 8.
    effect : float
        Long-run daily effect on revenue, in thousand euros. The effect
        ramps up as customers discover the new recommendations,
        :math:`\tau_t = \text{effect}\,(1 - e^{-(t - T_0 + 1)/5})`.
    spillover : float
        Share of the effect that also reaches the last control region
        (shoppers near the border see the new recommender too); 0 keeps
        every control clean. Its revenue is then contaminated.

    Returns
    -------
    data : pandas.DataFrame
        ``date`` (daily from 2025-01-01), ``revenue`` (the launch region,
        thousand euros) and one column per control region (``south``,
        ``east``, ...).
    truth : Truth
        Both potential outcomes of the launch region's revenue, one row
        per day; ``truth.att`` is the mean effect over the post-period
        (``ate`` averages over all days, ``atc`` is 0).

    Notes
    -----
    With demand :math:`d_t = 1.5 \sin(2\pi t / 7) + w_t`, :math:`w_t` a
    random walk with steps :math:`N(0, 0.3^2)`, control :math:`j` earns
    :math:`x_{jt} = b_j + c_j d_t + N(0, 0.4^2)` and the launch region
    :math:`Y_t(0) = 30 + 1.2\, d_t + \mu_t + N(0, 0.4^2)`, where
    :math:`\mu_t` is a slow local drift (a random walk with steps
    :math:`N(0, 0.05^2)`): a local level plus a regression on demand,
    which the controls measure with noise.

    See :ref:`ch-time`.

    Examples
    --------
    >>> data, truth = launch_series(rng=0)
    >>> data.shape
    (120, 6)
    >>> round(truth.atc, 6)
    0.0
    """
    rng = _generator(rng)
    n_days = _checks.check_count(n_days, "n_days", minimum=10,
                                 limit=_checks.MAX_ROWS)
    launch_day = _checks.check_count(launch_day, "launch_day", minimum=5,
                                     maximum=n_days - 1)
    n_controls = _checks.check_count(n_controls, "n_controls",
                                     maximum=len(REGIONS))
    effect = _checks.check_finite(effect, "effect")
    spillover = _checks.check_finite(spillover, "spillover")
    t = np.arange(n_days)
    demand = 1.5 * np.sin(2 * np.pi * t / 7) + np.cumsum(
        rng.normal(0, 0.3, n_days))
    base = rng.uniform(15, 40, n_controls)
    load = rng.uniform(0.6, 1.4, n_controls)
    controls = base + np.outer(demand, load) + rng.normal(
        0, 0.4, (n_days, n_controls))
    drift = np.cumsum(rng.normal(0, 0.05, n_days))
    y0 = 30 + 1.2 * demand + drift + rng.normal(0, 0.4, n_days)
    post = (t >= launch_day).astype(np.int64)
    tau = post * effect * (1 - np.exp(-(t - launch_day + 1) / 5))
    controls[:, -1] += spillover * tau
    data = pd.DataFrame(
        {"date": pd.date_range("2025-01-01", periods=n_days, freq="D"),
         "revenue": y0 + tau})
    for j, name in enumerate(REGIONS[:n_controls]):
        data[name] = controls[:, j]
    params = {"n_days": n_days, "launch_day": launch_day,
              "launch_date": data["date"][launch_day],
              "n_controls": n_controls, "effect": effect,
              "spillover": spillover}
    return data, _truth(y0, y0 + tau, post, data.index, params)


def rollout_panel(
    n_regions: int = 60,
    n_weeks: int = 20,
    *,
    rng: int | np.random.Generator,
    cohorts: dict | None = None,
    effect: float = 1.0,
    growth: float = 0.0,
    pretrend: float = 0.0,
) -> tuple[pd.DataFrame, Truth]:
    r"""Weekly revenue of regions that get a new recommender, some at
    different times, and of regions that never do.

    Parameters
    ----------
    n_regions : int
        Number of regions.
    n_weeks : int
        Number of weeks, numbered 0 to ``n_weeks - 1``.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced.
    cohorts : dict, optional
        ``{first week: number of regions}`` for each launch wave; the
        remaining regions never launch. Default ``{n_weeks // 2:
        n_regions // 3}``: one wave, a block design.
    effect : float
        Effect in the launch week, thousand euros a week.
    growth : float
        Added to the effect for every week since the launch, so the
        effect of a region launched :math:`e` weeks ago is ``effect +
        growth * e``.
    pretrend : float
        Extra revenue growth per week of the regions that will launch,
        before and after: 0 makes trends parallel.

    Returns
    -------
    data : pandas.DataFrame
        One row per region and week: ``region``, ``week``, ``launch_week``
        (the region's first week with the new recommender; missing if
        never), ``launched`` (0/1, 1 from the launch week on) and
        ``revenue`` (thousand euros).
    truth : Truth
        Both potential outcomes per row; ``truth.att`` is the mean effect
        over launched region-weeks.

    Notes
    -----
    :math:`Y_{it}(0) = \alpha_i + \lambda_t + \text{pretrend}\cdot t\cdot
    1[i \text{ launches}] + \varepsilon_{it}` with region effects
    :math:`\alpha_i \sim N(50, 5^2)`, a common week effect
    :math:`\lambda_t` (trend, season and shocks) and AR(1) noise within a
    region (correlation 0.5, standard deviation 1), which is why standard
    errors must be clustered by region. Regions join the waves in order of
    :math:`\alpha_i + N(0, 5^2)`, largest first: launched regions earn more
    than the others, a difference in level that difference in differences
    removes.

    See :ref:`ch-time`.

    Examples
    --------
    >>> data, truth = rollout_panel(rng=0)
    >>> data.shape
    (1200, 5)
    >>> round(truth.att, 6)
    1.0
    """
    rng = _generator(rng)
    n_regions = _checks.check_count(n_regions, "n_regions", minimum=2,
                                    limit=10**6)
    n_weeks = _checks.check_count(n_weeks, "n_weeks", minimum=2,
                                  limit=10**4)
    cohorts = _rollout_cohorts(cohorts, n_regions, n_weeks)
    effect = _checks.check_finite(effect, "effect")
    growth = _checks.check_finite(growth, "growth")
    pretrend = _checks.check_finite(pretrend, "pretrend")
    size = rng.normal(50, 5, n_regions)
    # Bigger regions go first: launch waves differ from the others in
    # level (which differences remove), not in trend.
    order = np.argsort(-(size + rng.normal(0, 5, n_regions)))
    start = np.full(n_regions, -1)
    taken = 0
    for week, count in cohorts.items():
        start[order[taken:taken + count]] = week
        taken += count
    weeks = np.arange(n_weeks)
    shocks = 0.3 * weeks + np.sin(2 * np.pi * weeks / 13) + rng.normal(
        0, 0.5, n_weeks)
    noise = _ar1(rng, n_regions, n_weeks, rho=0.5)
    ever = (start >= 0)[:, None]
    y0 = size[:, None] + shocks + noise + pretrend * weeks * ever
    since = weeks - start[:, None]
    launched = (ever & (since >= 0)).astype(np.int64)
    y1 = y0 + effect + growth * np.maximum(since, 0)
    data = pd.DataFrame({
        "region": np.repeat([f"R{i:02d}" for i in range(n_regions)], n_weeks),
        "week": np.tile(weeks, n_regions),
        "launch_week": pd.array(np.repeat(np.where(start >= 0, start, -1),
                                          n_weeks), dtype="Int64"),
        "launched": launched.ravel(),
    })
    data.loc[data["launch_week"] < 0, "launch_week"] = pd.NA
    data["revenue"] = np.where(launched, y1, y0).ravel()
    params = {"n_regions": n_regions, "n_weeks": n_weeks,
              "cohorts": dict(cohorts), "effect": effect, "growth": growth,
              "pretrend": pretrend}
    return data, _truth(y0.ravel(), y1.ravel(), launched.ravel(),
                        data.index, params)


def _rollout_cohorts(cohorts, n_regions, n_weeks) -> dict:
    """Check ``{first week: regions}``; the default is one wave."""
    if cohorts is None:
        return {n_weeks // 2: max(n_regions // 3, 1)}
    if not isinstance(cohorts, dict) or not cohorts:
        raise TypeError(
            "cohorts must be a non-empty dict {first week: regions}, e.g. "
            "{8: 10, 12: 10}")
    checked = {}
    for week, count in cohorts.items():
        week = _checks.check_count(week, "a cohort's first week",
                                   minimum=1, maximum=n_weeks - 1)
        checked[week] = _checks.check_count(count, "a cohort's size")
    if sum(checked.values()) > n_regions:
        raise ValueError(
            f"the cohorts hold {sum(checked.values())} regions but there "
            f"are only {n_regions}")
    return dict(sorted(checked.items()))


def _ar1(rng, n_units, n_periods, rho):
    """Stationary AR(1) noise with unit variance, one series per row."""
    e = rng.normal(0, 1, (n_units, n_periods))
    out = np.empty_like(e)
    out[:, 0] = e[:, 0]
    for t in range(1, n_periods):
        out[:, t] = rho * out[:, t - 1] + np.sqrt(1 - rho**2) * e[:, t]
    return out


def synthetic_launch(
    n_regions: int = 30,
    n_weeks: int = 40,
    *,
    rng: int | np.random.Generator,
    start: int = 30,
    effect: float = 3.0,
) -> tuple[pd.DataFrame, Truth]:
    r"""One region gets a new recommender; regions follow different
    trends, so no single region, nor their average, is a fair comparison.

    Parameters
    ----------
    n_regions : int
        Number of regions (the first, ``"launch"``, is treated).
    n_weeks : int
        Number of weeks, numbered 0 to ``n_weeks - 1``.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced.
    start : int
        The launch week.
    effect : float
        Long-run weekly effect on revenue, thousand euros, reached
        gradually: :math:`\tau_t = \text{effect}\,(1 - 0.5^{t - T_0 + 1})`.

    Returns
    -------
    data : pandas.DataFrame
        ``region``, ``week``, ``launched`` (0/1) and ``revenue``.
    truth : Truth
        Both potential outcomes per row; ``truth.att`` is the mean effect
        over the launch region's post-launch weeks.

    Notes
    -----
    A two-factor model, :math:`Y_{it}(0) = 40 + \lambda_i^\top f_t +
    \varepsilon_{it}` with :math:`\varepsilon_{it} \sim N(0, 0.5^2)`: a
    common trend and a cycle :math:`f_t`, weighted by region loadings
    :math:`\lambda_i`, uniform on :math:`[0, 2]^2`. The launch region's
    loadings are a random convex combination of three other regions'
    (so a synthetic control can reproduce it), with a trend loading of
    1.5 to 1.9 against the average region's 1 (so parallel trends fail).

    See :ref:`ch-time`.

    Examples
    --------
    >>> data, truth = synthetic_launch(rng=0)
    >>> data.shape
    (1200, 4)
    """
    rng = _generator(rng)
    n_regions = _checks.check_count(n_regions, "n_regions", minimum=5,
                                    limit=10**5)
    n_weeks = _checks.check_count(n_weeks, "n_weeks", minimum=4,
                                  limit=10**4)
    start = _checks.check_count(start, "start", minimum=2,
                                maximum=n_weeks - 1)
    effect = _checks.check_finite(effect, "effect")
    weeks = np.arange(n_weeks)
    factors = np.column_stack([
        weeks / 10 + np.cumsum(rng.normal(0, 0.3, n_weeks)),
        3 * np.sin(2 * np.pi * weeks / 26)])
    anchors = np.array([[1.9, 1.8], [1.7, 0.2], [1.5, 1.2]])
    loadings = rng.uniform(0, 2, (n_regions, 2))
    loadings[1:4] = anchors
    loadings[0] = rng.dirichlet(np.ones(3)) @ anchors
    y0 = 40 + loadings @ factors.T + rng.normal(0, 0.5, (n_regions, n_weeks))
    launched = np.zeros((n_regions, n_weeks), dtype=np.int64)
    launched[0, start:] = 1
    tau = launched * effect * (1 - 0.5 ** (weeks - start + 1))
    names = ["launch"] + [f"R{i:02d}" for i in range(1, n_regions)]
    data = pd.DataFrame({
        "region": np.repeat(names, n_weeks),
        "week": np.tile(weeks, n_regions),
        "launched": launched.ravel(),
        "revenue": (y0 + tau).ravel()})
    params = {"n_regions": n_regions, "n_weeks": n_weeks, "start": start,
              "effect": effect}
    return data, _truth(y0.ravel(), (y0 + tau).ravel(), launched.ravel(),
                        data.index, params)
