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


# --- chapter 14: a recommender retrained on its own logs ---------------------

@dataclass(frozen=True)
class LoopTruth:
    r"""The world of :func:`feedback_loop`.

    Attributes
    ----------
    click_probability : numpy.ndarray, shape (n_users, n_items)
        :math:`p_{ui}`, the true probability that user :math:`u` clicks
        item :math:`i` when it is shown; hidden from the platform.
    user_features : pandas.DataFrame
        ``x0`` ... ``x{d-1}``, what the platform knows about each user (the
        recommender's inputs), one row per ``user_id``.
    items : pandas.DataFrame
        One row per ``item_id``: ``provider``, ``new_provider`` (True for
        providers that joined after the launch week; known to the
        platform) and ``merit``, the item's mean click probability over
        all users (hidden).
    params : dict
        The parameters the world and the loop were drawn with.
    """

    click_probability: np.ndarray = field(repr=False)
    user_features: pd.DataFrame = field(repr=False)
    items: pd.DataFrame = field(repr=False)
    params: dict = field(default_factory=dict)


def feedback_loop(
    n_users: int = 1_000,
    n_items: int = 200,
    *,
    rng: int | np.random.Generator,
    n_rounds: int = 30,
    k: int = 5,
    exploration: float = 0.0,
    n_providers: int = 20,
    new_share: float = 0.3,
    n_features: int = 3,
) -> tuple[pd.DataFrame, LoopTruth]:
    r"""A recommender retrained every week on the logs it produced.

    A shop shows each user a grid of ``k`` items every week (round).
    After the launch week, whose grids were drawn at random from the
    catalogue of the established providers, the recommender is retrained
    each week on *all* its logs so far and shows each user the ``k`` items
    it predicts they are most likely to click. With ``exploration`` above
    0, a randomised slice of users (that share, drawn afresh each week)
    sees ``k`` items drawn uniformly from the whole catalogue instead.
    Every shown item is logged with the probability that it would be
    shown to that user that week.

    Parameters
    ----------
    n_users, n_items : int
        Size of the shop.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced.
    n_rounds : int
        Weeks after the launch week.
    k : int
        Items per grid (all of them are seen).
    exploration : float
        Share of users in the randomised slice each week, in [0, 1).
    n_providers : int
        Number of providers; items are dealt to them in turn.
    new_share : float
        Share of providers that are new: their items did not exist in the
        launch week.
    n_features : int
        Number of user features :math:`d`.

    Returns
    -------
    logs : pandas.DataFrame
        One row per shown item: ``round`` (0 is the launch week),
        ``user_id``, ``item_id``, ``position`` (1 to ``k``),
        ``explore`` (1 if the grid was random), ``propensity`` (the
        probability that this item was shown to this user that week) and
        ``click`` (0/1).
    truth : LoopTruth
        The click probabilities, user features and items.

    Notes
    -----
    Users have features :math:`x_u \sim N(0, I_d)`; items have a quality
    :math:`b_i \sim N(0, 0.3^2)` and a profile
    :math:`\phi_i \sim N(0, I_d)`, drawn the same way for new and
    established providers, so the two have equal merit in expectation.
    Clicks are independent Bernoulli draws with

    .. math::

        p_{ui} = \mathrm{expit}(-2.5 + b_i + x_u^\top \phi_i).

    The recommender fits, for each item, a ridge regression (penalty 5)
    of the click on :math:`z_u = (1, x_u)` over the weeks in which the
    item was shown, shrunk towards 0, and ranks items by
    :math:`z_u^\top \hat\theta_i`; ties, such as between items never
    shown, are broken by a fixed random order of the items. It learns
    only about items it shows, so an item never shown keeps the score 0.
    A grid is the top ``k`` unless the user is in the slice, so

    .. math::

        P(\text{item } i \text{ shown to } u \text{ in week } t)
        = \varepsilon \frac{k}{n_{\text{items}}}
          + (1 - \varepsilon)\, 1\{i \in \mathrm{top}_k(u, t)\},

    the logged ``propensity`` (:math:`\varepsilon` is ``exploration``;
    in the launch week, :math:`k` over the number of established items).

    References
    ----------
    Chaney, A. J. B., Stewart, B. M. and Engelhardt, B. E. (2018). How
    algorithmic confounding in recommendation systems increases
    homogeneity and decreases utility. *RecSys '18*, 224--232.

    See :ref:`ch-loop`.

    Examples
    --------
    >>> logs, truth = feedback_loop(100, 40, rng=0, n_rounds=3, k=4)
    >>> sorted(logs["round"].unique().tolist())
    [0, 1, 2, 3]
    >>> logs.groupby("round").size().tolist()  # every user, k items
    [400, 400, 400, 400]
    >>> truth.click_probability.shape
    (100, 40)
    """
    rng = _generator(rng)
    n_users = _checks.check_count(n_users, "n_users", minimum=2,
                                  limit=_checks.MAX_ROWS)
    n_items = _checks.check_count(n_items, "n_items", minimum=2,
                                  limit=_checks.MAX_ROWS)
    n_rounds = _checks.check_count(n_rounds, "n_rounds", minimum=0)
    k = _checks.check_count(k, "k", maximum=n_items - 1)
    n_providers = _checks.check_count(n_providers, "n_providers",
                                      maximum=n_items)
    n_features = _checks.check_count(n_features, "n_features")
    exploration = _checks.check_probability(exploration, "exploration",
                                            open_high=True)
    new_share = _checks.check_probability(new_share, "new_share",
                                          open_high=True)
    truth = _loop_world(rng, n_users, n_items, n_features, n_providers,
                        new_share)
    established = np.flatnonzero(~truth.items["new_provider"].to_numpy())
    if len(established) < k:
        raise ValueError(
            f"only {len(established)} items belong to established "
            f"providers, fewer than k = {k}: lower new_share"
        )
    params = {"n_users": n_users, "n_items": n_items, "n_rounds": n_rounds,
              "k": k, "exploration": exploration,
              "n_providers": n_providers, "new_share": new_share,
              "n_features": n_features}
    logs = _run_loop(rng, truth, established, n_rounds, k, exploration)
    return logs, LoopTruth(truth.click_probability, truth.user_features,
                           truth.items, params)


def _loop_world(rng, n_users, n_items, n_features, n_providers,
                new_share) -> LoopTruth:
    """Users, items and click probabilities of :func:`feedback_loop`."""
    x = rng.standard_normal((n_users, n_features))
    quality = rng.normal(0.0, 0.3, size=n_items)
    profile = rng.standard_normal((n_items, n_features)) * 0.6
    p = _expit(-3.0 + quality + x @ profile.T)
    new = rng.permutation(n_providers) < round(new_share * n_providers)
    provider = np.arange(n_items) % n_providers
    items = pd.DataFrame({"item_id": np.arange(n_items),
                          "provider": provider,
                          "new_provider": new[provider],
                          "merit": p.mean(axis=0)})
    features = pd.DataFrame(x, columns=[f"x{j}" for j in range(n_features)])
    return LoopTruth(p, features, items)


def _run_loop(rng, truth, established, n_rounds, k, exploration):
    """The launch week and ``n_rounds`` retrained weeks, as logs."""
    p = truth.click_probability
    n_users, n_items = p.shape
    z = np.column_stack([np.ones(n_users), truth.user_features.to_numpy()])
    gram = np.repeat(5.0 * np.eye(z.shape[1])[None], n_items, axis=0)
    moment = np.zeros((n_items, z.shape[1]))
    tie_break = rng.permutation(n_items) * 1e-9
    frames = []
    for week in range(n_rounds + 1):
        if week == 0:
            keys = rng.random((n_users, len(established)))
            grids = established[np.argsort(keys, axis=1)[:, :k]]
            explore = np.ones(n_users, dtype=bool)
            top = np.zeros((n_users, n_items), dtype=bool)
            share = k / len(established)
        else:
            theta = np.linalg.solve(gram, moment[..., None])[..., 0]
            scores = z @ theta.T + tie_break
            grids = np.argsort(-scores, axis=1)[:, :k]
            top = np.zeros((n_users, n_items), dtype=bool)
            np.put_along_axis(top, grids, True, axis=1)
            explore = rng.random(n_users) < exploration
            keys = rng.random((int(explore.sum()), n_items))
            grids[explore] = np.argsort(keys, axis=1)[:, :k]
            share = k / n_items
        users = np.repeat(np.arange(n_users), k)
        items = grids.ravel()
        eps = 1.0 if week == 0 else exploration
        clicks = (rng.random(len(items)) < p[users, items]).astype(np.int64)
        np.add.at(gram, items, z[users, :, None] * z[users, None, :])
        np.add.at(moment, items, z[users] * clicks[:, None])
        frames.append(pd.DataFrame({
            "round": week, "user_id": users, "item_id": items,
            "position": np.tile(np.arange(1, k + 1), n_users),
            "explore": np.repeat(explore, k).astype(np.int64),
            "propensity": eps * share + (1 - eps) * top[users, items],
            "click": clicks}))
    return pd.concat(frames, ignore_index=True)


#: Words of the item descriptions of :func:`described_items`, by topic;
#: ``"common"`` words appear in any description.
VOCABULARY = {
    "outdoor": ("tent", "hiking", "trail", "waterproof", "camping",
                "backpack", "lantern", "rugged", "summit", "weatherproof",
                "compass", "thermal"),
    "kitchen": ("pan", "knife", "nonstick", "oven", "recipe", "chef",
                "baking", "skillet", "spatula", "dishwasher", "cutting",
                "kettle"),
    "kids": ("toy", "kids", "colourful", "puzzle", "playful", "toddler",
             "learning", "building", "crayons", "plush", "game", "school"),
    "premium": ("luxury", "handcrafted", "leather", "elegant", "gift",
                "premium", "artisan", "signature", "walnut", "silk",
                "exclusive", "polished"),
    "common": ("new", "quality", "design", "easy", "use", "great", "size",
               "colour", "durable", "perfect", "classic", "set", "home",
               "everyday", "light", "compact"),
}


def described_items(
    n: int = 3_000,
    *,
    rng: int | np.random.Generator,
    effect: float = 1.0,
    kids_bonus: float = 1.5,
) -> tuple[pd.DataFrame, Truth]:
    r"""Items whose description reveals why the editors featured them.

    Last month a shop's editors chose items to feature on the home page
    (``featured = 1``). They favoured premium and children's items, which
    sell more anyway, and the only record of what an item is, is its
    free-text ``description``. The outcome is ``sales`` next month (units,
    on a continuous scale).

    Parameters
    ----------
    n : int
        Number of items.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced.
    effect : float
        Effect of featuring on sales for an item with no children's
        topic.
    kids_bonus : float
        Extra effect per unit of the children's topic share.

    Returns
    -------
    data : pandas.DataFrame
        ``item_id``, ``description`` (words separated by spaces), ``price``
        (euros), ``featured`` (0/1) and ``sales``.
    truth : Truth
        Potential outcomes with ``y0``, ``y1`` and the topic shares
        ``outdoor``, ``kitchen``, ``kids``, ``premium``; the true
        propensity.

    Notes
    -----
    Each item has topic shares :math:`w_i \sim \mathrm{Dirichlet}(0.4,
    \dots, 0.4)` over the four topics of :data:`VOCABULARY`. Its
    description has 40 to 79 words: each is a common word with probability
    0.4 and otherwise a word of a topic drawn from :math:`w_i`. The price
    is :math:`\exp(3 + 1.2\, w_{\text{premium}} + N(0, 0.4^2))`. With
    :math:`w_o, w_c, w_k, w_p` the outdoor, kitchen, kids and premium
    shares,

    .. math::

        e(w) &= \mathrm{expit}(-1.5 + 2.5\, w_p + 2\, w_k - w_c), \\
        Y(0) &= 10 + 6\, w_p + 4\, w_k - 2\, w_o + \varepsilon, \quad
        \varepsilon \sim N(0, 2^2), \\
        Y(1) &= Y(0) + \tau + \tau_k\, w_k,

    (:math:`\tau` is ``effect``, :math:`\tau_k` ``kids_bonus``). Given
    the topic shares, featuring is random, so the shares are a sufficient
    adjustment set; they are not observed, but the description is a noisy
    record of them (the price, of the premium share only).

    See :ref:`ch-loop`.

    Examples
    --------
    >>> data, truth = described_items(200, rng=0)
    >>> data["description"].str.split().str.len().between(40, 79).all()
    np.True_
    >>> round(truth.ate, 2) == round(float(truth.effects.mean()), 2)
    True
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2, limit=_checks.MAX_ROWS)
    effect = _checks.check_finite(effect, "effect")
    kids_bonus = _checks.check_finite(kids_bonus, "kids_bonus")
    topics = ("outdoor", "kitchen", "kids", "premium")
    w = rng.dirichlet(np.full(len(topics), 0.4), size=n)
    descriptions = _descriptions(rng, w, topics)
    o, c, kid, prem = w.T
    price = np.exp(3.0 + 1.2 * prem + rng.normal(0.0, 0.4, n)).round(2)
    propensity = _expit(-1.5 + 2.5 * prem + 2.0 * kid - 1.0 * c)
    featured = (rng.uniform(size=n) < propensity).astype(np.int64)
    y0 = 10 + 6 * prem + 4 * kid - 2 * o + rng.normal(0.0, 2.0, n)
    y1 = y0 + effect + kids_bonus * kid
    data = pd.DataFrame({"item_id": np.arange(n),
                         "description": descriptions, "price": price,
                         "featured": featured,
                         "sales": np.where(featured == 1, y1, y0)})
    params = {"n": n, "effect": effect, "kids_bonus": kids_bonus}
    truth = _truth(y0, y1, featured, data.index, params, propensity)
    for j, topic in enumerate(topics):
        truth.potential_outcomes[topic] = w[:, j]
    return data, truth


def _descriptions(rng, w, topics) -> list[str]:
    """Bag-of-words descriptions drawn from each item's topic shares."""
    vocab = np.array([VOCABULARY[t] for t in topics])  # topics x words
    common = np.array(VOCABULARY["common"])
    lengths = rng.integers(40, 80, size=len(w))
    owner = np.repeat(np.arange(len(w)), lengths)
    # Each word's topic by inverse CDF of its item's shares.
    u = rng.uniform(size=len(owner))
    topic = np.minimum((u[:, None] > np.cumsum(w, axis=1)[owner]).sum(1),
                       len(topics) - 1)
    words = np.where(
        rng.uniform(size=len(owner)) < 0.4,
        common[rng.integers(0, len(common), size=len(owner))],
        vocab[topic, rng.integers(0, vocab.shape[1], size=len(owner))])
    return [" ".join(chunk) for chunk in
            np.split(words, np.cumsum(lengths)[:-1])]
