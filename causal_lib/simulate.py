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


# --- off-policy evaluation: logs of an exploring recommender ---------------


@dataclass(frozen=True)
class PolicyTruth:
    r"""What a simulated widget's click rates say about its policies.

    A *policy* here is an ``(n_users, n_items)`` array whose row ``u``
    holds the probabilities :math:`\pi(a \mid u)` with which it shows each
    item to user ``u`` (rows sum to 1). The arrays are read-only.

    Attributes
    ----------
    value : float
        The exact value (click rate per visit) of ``target``.
    logging_value : float
        The exact value of ``logging``.
    click_rate : numpy.ndarray
        :math:`q(u, a)`, the probability that user ``u`` clicks item
        ``a`` when shown it. Hidden from the shop.
    logging : numpy.ndarray
        The logging policy :math:`\pi_0` that chose the logged items.
    target : numpy.ndarray
        The new recommender :math:`\pi`, whose value is to be estimated.
    params : dict
        The parameters the data were drawn with.
    """

    value: float
    logging_value: float
    click_rate: np.ndarray = field(repr=False)
    logging: np.ndarray = field(repr=False)
    target: np.ndarray = field(repr=False)
    params: dict = field(default_factory=dict)

    def value_of(self, policy) -> float:
        r"""The exact value of any policy over the same users and items.

        Parameters
        ----------
        policy : array_like
            Shape ``(n_users, n_items)``; row ``u`` holds the probability
            of showing each item to user ``u`` and sums to 1.

        Returns
        -------
        float
            :math:`V(\pi) = \frac{1}{U} \sum_u \sum_a \pi(a \mid u)\,
            q(u, a)`, the expected clicks per visit when every visit
            comes from a user drawn uniformly at random.

        Raises
        ------
        ValueError
            If ``policy`` has the wrong shape, holds values outside
            [0, 1] or NaN, or a row does not sum to 1.
        """
        policy = _checks.probability_values(
            np.asarray(policy, dtype=float), "policy")
        if policy.shape != self.click_rate.shape:
            raise ValueError(
                f"policy must have shape {self.click_rate.shape} (users, "
                f"items), got {policy.shape}"
            )
        sums = policy.sum(axis=1)
        if not np.allclose(sums, 1.0, rtol=0, atol=1e-9):
            worst = int(np.argmax(np.abs(sums - 1)))
            raise ValueError(
                f"each row of policy must sum to 1 (a distribution over "
                f"items); row {worst} sums to {sums[worst]:.6g}"
            )
        return float((policy * self.click_rate).sum(axis=1).mean())


def policy_logs(
    n: int = 50_000,
    *,
    rng: int | np.random.Generator,
    n_users: int = 1_000,
    n_items: int = 20,
    epsilon: float = 0.2,
    sharpness: float = 3.0,
) -> tuple[pd.DataFrame, PolicyTruth]:
    r"""Logs of a recommendation widget that explores with probability ε.

    A fashion shop's home page has one widget that shows one item per
    visit. The deployed recommender, the *logging policy*, is
    epsilon-greedy: with probability ``epsilon`` it shows an item drawn
    uniformly at random, otherwise the item it believes best for the
    user's segment, and it logs the probability of what it showed. The
    team has a new, personalised recommender, the *target policy*, and
    wants its click rate before running it.

    Parameters
    ----------
    n : int
        Number of logged visits.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
        The users, items and click rates are drawn first, so the same
        seed gives the same shop whatever ``n``, ``epsilon`` and
        ``sharpness``.
    n_users, n_items : int
        Size of the shop: visits come from ``n_users`` users, each drawn
        uniformly at random, and the widget chooses among ``n_items``.
    epsilon : float
        The logging policy's exploration probability, in [0, 1]; 0 makes
        it deterministic, so that no other item is ever logged for a user
        (the target then leaves the logger's support).
    sharpness : float
        How greedily the target policy follows its predicted click
        rates, at least 0; 0 makes it uniform.

    Returns
    -------
    logs : pandas.DataFrame
        One row per visit: ``user_id``, ``taste`` (the user's style
        score, from past purchases), ``item_id`` (the item shown),
        ``style`` (the item's style score), ``click`` (0/1),
        ``propensity`` (the logging policy's probability of the item
        shown) and ``target`` (the target policy's probability of it).
    truth : PolicyTruth
        The click rates, both policies as arrays and their exact values.

    Notes
    -----
    User :math:`u` has a taste :math:`t_u \sim U(-1, 1)`; item :math:`a`
    has a style :math:`s_a`, evenly spaced on :math:`[-1, 1]`, and an
    appeal :math:`b_a \sim N(0, 0.3^2)`. The click rate falls with the
    distance between taste and style:

    .. math::

        q(u, a) = \mathrm{expit}\bigl(-2.5 + b_a - 8 (t_u - s_a)^2\bigr).

    The logging policy splits users into two segments by the sign of
    :math:`t_u` and prefers, in each, the item with the highest average
    click rate there, :math:`g(u)`:

    .. math::

        \pi_0(a \mid u) = \frac{\varepsilon}{K}
        + (1 - \varepsilon)\, 1\{a = g(u)\}.

    The target policy is a softmax of the click log-odds,
    :math:`\pi(a \mid u) \propto \exp\bigl(\beta\,
    \mathrm{logit}\, q(u, a)\bigr)` with :math:`\beta` the
    ``sharpness``: it knows each user's taste. Values are exact,
    :math:`V(\pi) = \frac1U \sum_u \sum_a \pi(a \mid u)\, q(u, a)`
    (see :meth:`PolicyTruth.value_of`), not averages of simulated clicks.

    A reward model additive in the item and the user's taste,
    ``C(item_id) + taste + I(taste**2)`` in a logistic regression, is
    wrong: the log-odds are
    :math:`(-2.5 + b_a - 8 s_a^2) + 16 s_a t_u - 8 t_u^2`, so the
    interaction ``C(item_id):taste`` is missing; with it the model is
    right.

    See :ref:`ch-ope`.

    Examples
    --------
    >>> logs, truth = policy_logs(2_000, rng=np.random.default_rng(0))
    >>> list(logs.columns)
    ['user_id', 'taste', 'item_id', 'style', 'click', 'propensity', 'target']
    >>> truth.click_rate.shape, bool(truth.value > truth.logging_value)
    ((1000, 20), True)
    >>> bool(truth.value_of(truth.target) == truth.value)
    True
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2, limit=_checks.MAX_ROWS)
    n_users = _checks.check_count(n_users, "n_users", minimum=2,
                                  limit=_checks.MAX_ROWS)
    n_items = _checks.check_count(n_items, "n_items", minimum=2,
                                  limit=10_000)
    epsilon = _checks.check_probability(epsilon, "epsilon")
    sharpness = _checks.check_finite(sharpness, "sharpness")
    if sharpness < 0:
        raise ValueError(f"sharpness must be at least 0, got {sharpness}")
    # The shop first, then the visits: the same seed, the same shop.
    taste, style, logit = _shop(rng, n_users, n_items)
    click_rate = _expit(logit)
    best = _segment_best(click_rate, taste)
    logging = np.full((n_users, n_items), epsilon / n_items)
    logging[np.arange(n_users), best] += 1 - epsilon
    target = _softmax(sharpness * logit)
    user = rng.integers(n_users, size=n)
    explore = rng.uniform(size=n) < epsilon
    shown = np.where(explore, rng.integers(n_items, size=n), best[user])
    click = (rng.uniform(size=n) < click_rate[user, shown]).astype(np.int64)
    logs = pd.DataFrame({
        "user_id": user, "taste": taste[user], "item_id": shown,
        "style": style[shown], "click": click,
        "propensity": logging[user, shown], "target": target[user, shown],
    })
    for array in (click_rate, logging, target):
        array.flags.writeable = False
    value = float((target * click_rate).sum(axis=1).mean())
    truth = PolicyTruth(
        value=value,
        logging_value=float((logging * click_rate).sum(axis=1).mean()),
        click_rate=click_rate, logging=logging, target=target,
        params={"n": n, "n_users": n_users, "n_items": n_items,
                "epsilon": epsilon, "sharpness": sharpness})
    return logs, truth


def _shop(rng, n_users, n_items):
    """Users' tastes, items' styles and the click log-odds (users, items)."""
    appeal = rng.normal(0.0, 0.3, size=n_items)
    taste = rng.uniform(-1.0, 1.0, size=n_users)
    style = np.linspace(-1.0, 1.0, n_items)
    logit = -2.5 + appeal - 8.0 * (taste[:, None] - style) ** 2
    return taste, style, logit


def _segment_best(click_rate, taste):
    """Each user's greedy item: the best on average in their segment."""
    segment = (taste >= 0).astype(int)
    best = np.zeros(2, dtype=int)
    for s in (0, 1):
        if (segment == s).any():
            best[s] = click_rate[segment == s].mean(axis=0).argmax()
    return best[segment]


def _softmax(scores):
    """Row-wise softmax of a (users, items) array."""
    z = np.exp(scores - scores.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


# --- experiments in practice (chapter 13) ------------------------------------

#: The compliance types of :func:`noncompliance`, by
#: (exposed if not assigned, exposed if assigned): (1, 1), (0, 0), (0, 1).
COMPLIANCE_TYPES = ("always-taker", "never-taker", "complier")


def noncompliance(
    n: int = 20_000,
    *,
    rng: int | np.random.Generator,
    late: float = 10.0,
    always_share: float = 0.2,
    never_share: float = 0.35,
    direct_effect: float = 0.0,
) -> tuple[pd.DataFrame, Truth]:
    r"""An experiment whose users decide whether they take the treatment.

    A music app randomises a new "because you listened" carousel to the
    top of the home page (``assigned = 1``) or leaves it at the bottom.
    What changes listening is *seeing* it (``exposed = 1``: the user
    scrolled to it), and users choose that. Engaged users scroll to the
    bottom anyway (*always-takers*), some never open the home page
    (*never-takers*), and the rest see the carousel only if it is at the
    top (*compliers*). There are no defiers. The outcome is ``minutes``
    listened in the test week.

    Parameters
    ----------
    n : int
        Number of users.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    late : float
        Expected effect of exposure among compliers, in minutes.
    always_share, never_share : float
        Expected shares of always-takers and never-takers; compliers are
        the rest (their sum must leave compliers a positive share).
    direct_effect : float
        Minutes the top placement adds *without* being seen (a violation
        of the exclusion restriction); 0 satisfies it.

    Returns
    -------
    data : pandas.DataFrame
        ``user_id``, ``past_minutes`` (listening in the week before the
        test), ``assigned`` (0/1, random with probability 1/2),
        ``exposed`` (0/1) and ``minutes``.
    truth : Truth
        ``potential_outcomes`` has ``y0`` and ``y1`` (minutes unexposed
        and exposed, at the user's own assignment), ``d0`` and ``d1``
        (exposure if not assigned and if assigned) and ``type``, one of
        ``COMPLIANCE_TYPES``. ``truth.ate``, ``att`` and ``atc`` average
        :math:`Y(1) - Y(0)` over everyone, the exposed and the unexposed;
        the LATE is its mean over compliers.

    Notes
    -----
    Engagement :math:`e_i \sim N(0, 1)` drives both the type and the
    outcome. With :math:`s_i = e_i + N(0, 1)`, a user is a never-taker
    if :math:`s_i < \sqrt 2\, \Phi^{-1}(\pi_n)`, an always-taker if
    :math:`s_i > \sqrt 2\, \Phi^{-1}(1 - \pi_a)`, a complier otherwise.
    Minutes are :math:`Y_i(0) = \max(0, 150 + 40 e_i + \varepsilon_i)`,
    :math:`\varepsilon_i \sim N(0, 30^2)`, and :math:`Y_i(1) = \max(0,
    Y_i(0) + \tau_i)` with :math:`\tau_i = \kappa_{t}\,\mathrm{late} +
    N(0, 5^2)`, :math:`\kappa` = 1 for compliers, 0.4 for always-takers
    (they know the app's music already) and 2 for never-takers; the
    direct effect :math:`\delta Z_i` is added to both. So the exposed are
    more engaged (confounding), and the ATE, the ATT and the LATE
    differ. ``past_minutes`` is :math:`150 + 40 e_i + N(0, 20^2)`,
    clipped at 0 and rounded.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> data, truth = noncompliance(20_000, rng=0)
    >>> po = truth.potential_outcomes
    >>> round(float((po["type"] == "complier").mean()), 2)
    0.45
    >>> bool(((po["d1"] - po["d0"]) >= 0).all())  # no defiers
    True
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2, limit=_checks.MAX_ROWS)
    late = _checks.check_finite(late, "late")
    direct_effect = _checks.check_finite(direct_effect, "direct_effect")
    always = _open_share(always_share, "always_share")
    never = _open_share(never_share, "never_share")
    if always + never >= 1:
        raise ValueError(
            f"always_share + never_share must leave compliers a share, "
            f"got {always} + {never} >= 1"
        )
    from scipy import stats

    engagement = rng.standard_normal(n)
    latent = engagement + rng.standard_normal(n)
    low = np.sqrt(2) * stats.norm.ppf(never)
    high = np.sqrt(2) * stats.norm.ppf(1 - always)
    code = np.where(latent > high, 0, np.where(latent < low, 1, 2))
    d0 = (code == 0).astype(np.int64)
    d1 = (code != 1).astype(np.int64)
    base = 150 + 40 * engagement + rng.normal(0, 30, n)
    tau = np.array([0.4, 2.0, 1.0])[code] * late + rng.normal(0, 5, n)
    past = np.clip(150 + 40 * engagement + rng.normal(0, 20, n), 0, None)
    assigned = (rng.uniform(size=n) < 0.5).astype(np.int64)
    y0 = np.maximum(0, base) + direct_effect * assigned
    y1 = np.maximum(0, base + tau) + direct_effect * assigned
    exposed = np.where(assigned == 1, d1, d0)
    data = pd.DataFrame({
        "user_id": np.arange(n), "past_minutes": past.round(),
        "assigned": assigned, "exposed": exposed,
        "minutes": np.where(exposed == 1, y1, y0),
    })
    params = {"n": n, "late": late, "always_share": always,
              "never_share": never, "direct_effect": direct_effect}
    truth = _truth(y0, y1, exposed, data.index, params)
    po = truth.potential_outcomes
    po["d0"], po["d1"] = d0, d1
    po["type"] = pd.Categorical.from_codes(code, categories=COMPLIANCE_TYPES)
    return data, truth


def ctr_experiment(
    n: int = 20_000,
    *,
    rng: int | np.random.Generator,
    lift: float = 0.05,
    mean_impressions: float = 20.0,
    ctr: float = 0.05,
    concentration: float = 4.0,
) -> tuple[pd.DataFrame, Truth]:
    r"""A randomised test of a ranker on click-through rate per impression.

    Users, not impressions, are randomised: each user sees a random
    number of recommendation slots (impressions) in the week and clicks
    on each with a probability of their own, so one user's impressions
    are far from independent trials.

    Parameters
    ----------
    n : int
        Number of users.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    lift : float
        Relative increase of every user's click probability under the
        new ranker (0.05 is +5%).
    mean_impressions : float
        Mean impressions per user (at least 1).
    ctr : float
        Mean click probability per impression without the new ranker.
    concentration : float
        :math:`a + b` of the Beta distribution of users' click
        probabilities; smaller means users differ more.

    Returns
    -------
    data : pandas.DataFrame
        ``user_id``, ``treated`` (0/1, probability 1/2),
        ``impressions`` and ``clicks``.
    truth : Truth
        ``potential_outcomes`` has ``y0`` and ``y1`` (clicks under each
        ranker, coupled so that :math:`Y(1) \ge Y(0)`), ``p0`` and
        ``p1`` (click probabilities) and ``impressions``; the true
        difference in click-through rates of this sample is
        ``(y1.sum() - y0.sum()) / impressions.sum()``.

    Notes
    -----
    Impressions are :math:`1 + \mathrm{Geometric}`, mean
    ``mean_impressions``; click probabilities :math:`p_{0i} \sim
    \mathrm{Beta}(c\,\bar p, c\,(1 - \bar p))` with :math:`c` the
    concentration, independent of the impressions, and :math:`p_{1i} =
    \min(1, p_{0i}(1 + \mathrm{lift}))`. Clicks are
    :math:`Y_i(0) \sim \mathrm{Bin}(N_i, p_{0i})` and
    :math:`Y_i(1) = Y_i(0) + \mathrm{Bin}(N_i - Y_i(0), (p_{1i} -
    p_{0i})/(1 - p_{0i}))`, which is :math:`\mathrm{Bin}(N_i, p_{1i})`.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> data, truth = ctr_experiment(1_000, rng=0)
    >>> bool((data["clicks"] <= data["impressions"]).all())
    True
    """
    rng = _generator(rng)
    n = _checks.check_count(n, "n", minimum=2, limit=_checks.MAX_ROWS)
    lift = _checks.check_finite(lift, "lift")
    if lift < 0:
        raise ValueError(f"lift must be non-negative, got {lift}")
    mean_imp = _checks.check_finite(mean_impressions, "mean_impressions")
    if mean_imp < 1:
        raise ValueError(
            f"mean_impressions must be at least 1, got {mean_impressions}")
    ctr = _open_share(ctr, "ctr")
    concentration = _checks.check_finite(concentration, "concentration")
    if concentration <= 0:
        raise ValueError(
            f"concentration must be positive, got {concentration}")
    impressions = rng.geometric(1 / mean_imp, size=n)
    p0 = rng.beta(concentration * ctr, concentration * (1 - ctr), size=n)
    p1 = np.minimum(1.0, p0 * (1 + lift))
    y0 = rng.binomial(impressions, p0)
    extra = np.where(p0 < 1, (p1 - p0) / np.maximum(1 - p0, 1e-12), 0.0)
    y1 = y0 + rng.binomial(impressions - y0, extra)
    treated = (rng.uniform(size=n) < 0.5).astype(np.int64)
    data = pd.DataFrame({
        "user_id": np.arange(n), "treated": treated,
        "impressions": impressions, "clicks": np.where(treated == 1, y1, y0),
    })
    params = {"n": n, "lift": lift, "mean_impressions": mean_imp,
              "ctr": ctr, "concentration": concentration}
    truth = _truth(y0, y1, treated, data.index, params, np.full(n, 0.5))
    po = truth.potential_outcomes
    po["p0"], po["p1"], po["impressions"] = p0, p1, impressions
    return data, truth


#: The designs :func:`marketplace` can randomise by.
MARKET_DESIGNS = ("user", "market", "switchback")


def marketplace(
    n_markets: int = 40,
    n_days: int = 14,
    *,
    rng: int | np.random.Generator,
    design: str = "user",
    lift: float = 0.06,
    users_per_day: int = 100,
) -> tuple[pd.DataFrame, Truth]:
    r"""A two-sided marketplace whose buyers compete for limited stock.

    In each market (a city) and day, buyers arrive and each wants to buy
    a listed item with a probability that the new ranker raises. Sellers
    have a limited number of items per market and day; when more buyers
    want one than there are, buyers are served in random order and the
    rest leave empty-handed. Treated buyers therefore take stock from
    control buyers in the same market and day: their outcomes interfere.

    Parameters
    ----------
    n_markets, n_days : int
        Markets and days; a cell is one market on one day.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    design : {"user", "market", "switchback"}
        What is randomised (probability 1/2 each): each buyer, each
        market for the whole test, or each market-day cell.
    lift : float
        Increase in each buyer's probability of wanting to buy.
    users_per_day : int
        Mean buyers per cell (Poisson).

    Returns
    -------
    data : pandas.DataFrame
        ``user_id``, ``market``, ``day``, ``cell`` (market-day index),
        ``stock`` (items available in the cell), ``treated`` (0/1) and
        ``purchased`` (0/1).
    truth : Truth
        ``potential_outcomes`` holds each buyer's purchase in the two
        *global* worlds: ``y0`` if every buyer had the old ranker, ``y1``
        if every buyer had the new one (same buyers, wishes and queue
        order). ``truth.ate`` is the global treatment effect per buyer,
        the effect of launching; with interference the observed outcome
        of a user-randomised buyer is neither ``y0`` nor ``y1``.

    Notes
    -----
    Buyer :math:`i` in cell :math:`c` of market :math:`m` wants an item
    if :math:`V_i < a_m p_i + \mathrm{lift}\, T_i`, with :math:`p_i \sim
    \mathrm{Beta}(3, 7)` (mean 0.3), a market appetite :math:`a_m \sim
    U(0.7, 1.3)` and one uniform :math:`V_i` shared by every world. The
    cell's stock is :math:`\mathrm{round}(\kappa_m \cdot 0.3\, U_c)`, with
    :math:`U_c` the cell's buyers and a market tightness :math:`\kappa_m
    \sim U(0.8, 1.4)`: some markets cannot serve even the control world's
    demand. Buyers who want an item queue in a random order shared by
    every world; the first :math:`S_c` get one. A buyer-level difference
    in means then measures how much more treated buyers get *given* the
    others' treatments, which exceeds the global effect where stock
    binds; randomising whole markets or market-days removes the
    interference between arms (if buyers and stock do not cross market
    borders, and a day's treatment does not carry over to the next).

    See :ref:`ch-exp`.

    Examples
    --------
    >>> data, truth = marketplace(10, 5, rng=0, design="market")
    >>> int(data.groupby("market")["treated"].nunique().max())
    1
    """
    rng = _generator(rng)
    n_markets = _checks.check_count(n_markets, "n_markets", minimum=2)
    n_days = _checks.check_count(n_days, "n_days", minimum=1)
    users_per_day = _checks.check_count(users_per_day, "users_per_day",
                                        minimum=1, limit=10**6)
    lift = _checks.check_finite(lift, "lift")
    if design not in MARKET_DESIGNS:
        raise ValueError(
            f"design must be one of {', '.join(MARKET_DESIGNS)}; got "
            f"{design!r}"
        )
    n_cells = n_markets * n_days
    sizes = rng.poisson(users_per_day, n_cells)
    cell = np.repeat(np.arange(n_cells), sizes)
    tight = rng.uniform(0.8, 1.4, n_markets)
    appetite = rng.uniform(0.7, 1.3, n_markets)
    stock = np.round(tight[np.arange(n_cells) // n_days] * 0.3 * sizes)
    p = rng.beta(3.0, 7.0, len(cell)) * appetite[cell // n_days]
    v = rng.uniform(size=len(cell))
    queue = rng.uniform(size=len(cell))
    if design == "user":
        treated = rng.uniform(size=len(cell)) < 0.5
    elif design == "market":
        markets = rng.permutation(n_markets) < n_markets // 2
        treated = markets[cell // n_days]
    else:
        treated = (rng.uniform(size=n_cells) < 0.5)[cell]
    treated = treated.astype(np.int64)
    worlds = [_served(cell, queue, v < p + lift * arm, stock[cell])
              for arm in (np.zeros_like(treated), np.ones_like(treated),
                          treated)]
    data = pd.DataFrame({
        "user_id": np.arange(len(cell)), "market": cell // n_days,
        "day": cell % n_days, "cell": cell, "stock": stock[cell],
        "treated": treated, "purchased": worlds[2],
    })
    params = {"n_markets": n_markets, "n_days": n_days, "design": design,
              "lift": lift, "users_per_day": users_per_day}
    return data, _truth(worlds[0], worlds[1], treated, data.index, params)


def _served(cell, queue, wants, stock):
    """Who gets an item: buyers who want one, in queue order within their
    cell, while the cell's stock lasts (0/1 per buyer)."""
    order = np.lexsort((queue, cell))
    wanting = wants[order].astype(np.int64)
    before = np.cumsum(wanting)
    starts = np.r_[0, np.flatnonzero(np.diff(cell[order])) + 1]
    offset = np.repeat(before[starts] - wanting[starts],
                       np.diff(np.r_[starts, len(order)]))
    rank = before - offset  # position among the cell's wanting buyers
    served = np.empty(len(order), dtype=np.int64)
    served[order] = (wanting == 1) & (rank <= stock[order])
    return served


# --- biased feedback: ratings missing not at random, position bias ---------

@dataclass(frozen=True)
class FeedbackTruth:
    r"""What feedback logs hide, for the simulators of biased feedback.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per row of the data (same index): the full-information
        values the logs show only in part. :func:`mnar_ratings` gives
        ``rating`` (every pair's rating) and ``propensity`` (its
        probability of being rated); :func:`click_logs` gives
        ``relevance`` (the click probability if examined), ``interest``
        (the same without the pull of popularity) and ``examination``
        (the examination probability of the row's position).
    params : dict
        The parameters the data were drawn with (for :func:`click_logs`
        also ``coefficients``, the linear relevance model).
    examination : pandas.Series or None
        The examination probability of every position (index 1, 2, ...),
        for click logs.
    catalogue : pandas.DataFrame or None
        For click logs, every user-item pair (not only those shown) with
        its features, ``interest`` and ``relevance``: the truth of any
        ranking of the whole catalogue.
    """

    pairs: pd.DataFrame = field(repr=False)
    params: dict = field(default_factory=dict)
    examination: pd.Series | None = field(default=None, repr=False)
    catalogue: pd.DataFrame | None = field(default=None, repr=False)


#: Share of 1, 2, 3, 4 and 5 stars among all pairs of
#: :func:`mnar_ratings` (full information).
RATING_SHARES = (0.10, 0.17, 0.30, 0.26, 0.17)


def mnar_ratings(
    n_users: int = 1_000,
    n_items: int = 200,
    *,
    rng: int | np.random.Generator,
    selection: float = 0.8,
    exposure: float = 0.8,
    observed_share: float = 0.05,
    survey_size: int = 5,
) -> tuple[pd.DataFrame, FeedbackTruth]:
    r"""A catalogue whose ratings are missing not at random, with a survey.

    Every user has a rating in mind for every item, but rates only some
    items of their own accord: more often the items they love and the
    items the shop shows everywhere (popular ones). In addition, every
    user rated ``survey_size`` items drawn uniformly at random in a
    survey, whose ratings are missing completely at random.

    Parameters
    ----------
    n_users, n_items : int
        Size of the catalogue; the data have ``n_users * n_items`` rows.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    selection : float
        Self-selection: the log-odds of rating an item rise by this much
        per star of the user's rating. 0 makes observation independent
        of the rating given popularity.
    exposure : float
        The log-odds of rating rise by this much per standard deviation
        of the item's popularity.
    observed_share : float
        The expected share of pairs rated by the users themselves, in
        (0, 1).
    survey_size : int
        Items per user in the random survey (0 for no survey).

    Returns
    -------
    data : pandas.DataFrame
        One row per pair, sorted by user then item: ``user_id``,
        ``item_id``, ``item_views`` (views of the item last month, a noisy
        record of its popularity), ``rated`` (0/1: rated by the user's own
        choice), ``surveyed`` (0/1: in the survey) and ``rating`` (1 to 5
        stars where rated or surveyed, NaN elsewhere).
    truth : FeedbackTruth
        ``truth.pairs`` has every pair's ``rating`` and ``propensity``,
        its probability of being rated.

    Notes
    -----
    User :math:`u` has a taste :math:`\theta_u \sim N(0, I_3/3)` and a
    leniency :math:`b_u \sim N(0, 0.5^2)`; item :math:`i` a profile
    :math:`\phi_i \sim N(0, I_3)`, a quality :math:`q_i \sim N(0,
    0.6^2)` and a popularity :math:`z_i = q_i + 0.8\, \varepsilon_i`
    (standard normal, correlation 0.6 with quality). The
    affinity :math:`a_{ui} = \theta_u^\top\phi_i + b_u + q_i +
    N(0, 0.5^2)` is cut at its quantiles into 1 to 5 stars with the
    shares :data:`RATING_SHARES`. The user rates the item with
    probability

    .. math::

        p_{ui} = \mathrm{expit}\bigl(c + s\,(Y_{ui} - 3) + e\, z_i\bigr),

    with :math:`s` ``selection``, :math:`e` ``exposure`` and :math:`c`
    solved so that the mean of :math:`p_{ui}` is ``observed_share``.
    The rating is missing not at random (it depends on the rating
    itself), so no model of observation from observed features alone
    removes the bias; the survey can. ``item_views`` is Poisson with
    mean :math:`50 e^{z_i}`.

    References
    ----------
    Schnabel, T., Swaminathan, A., Singh, A., Chandak, N. and Joachims,
    T. (2016). Recommendations as treatments: debiasing learning and
    evaluation. *ICML*, 1670--1679.

    See :ref:`ch-bias`.

    Examples
    --------
    >>> data, truth = mnar_ratings(200, 50, rng=np.random.default_rng(0))
    >>> data.shape
    (10000, 6)
    >>> rated = data["rated"] == 1
    >>> bool(data.loc[rated, "rating"].mean() > truth.pairs["rating"].mean())
    True
    """
    rng = _generator(rng)
    n_users = _checks.check_count(n_users, "n_users", minimum=2,
                                  limit=_checks.MAX_ROWS)
    n_items = _checks.check_count(n_items, "n_items", minimum=2,
                                  limit=_checks.MAX_ROWS)
    selection = _checks.check_finite(selection, "selection")
    exposure = _checks.check_finite(exposure, "exposure")
    observed_share = _open_share(observed_share, "observed_share")
    survey_size = _checks.check_count(survey_size, "survey_size",
                                      minimum=0, maximum=n_items)
    affinity, popularity = _rating_factors(rng, n_users, n_items)
    cuts = np.quantile(affinity, np.cumsum(RATING_SHARES)[:-1])
    stars = 1 + np.searchsorted(cuts, affinity.ravel()).reshape(
        affinity.shape)
    logit = selection * (stars - 3) + exposure * popularity
    propensity = _expit(logit + _calibrate(logit, observed_share))
    rated = rng.uniform(size=stars.shape) < propensity
    order = np.argsort(rng.uniform(size=stars.shape), axis=1)
    surveyed = np.zeros(stars.shape, dtype=bool)
    np.put_along_axis(surveyed, order[:, :survey_size], True, axis=1)
    views = rng.poisson(50 * np.exp(popularity))
    data = pd.DataFrame({
        "user_id": np.repeat(np.arange(n_users), n_items),
        "item_id": np.tile(np.arange(n_items), n_users),
        "item_views": np.tile(views, n_users),
        "rated": rated.ravel().astype(np.int64),
        "surveyed": surveyed.ravel().astype(np.int64),
        "rating": np.where((rated | surveyed).ravel(), stars.ravel(),
                           np.nan),
    })
    pairs = pd.DataFrame({"rating": stars.ravel(),
                          "propensity": propensity.ravel()},
                         index=data.index)
    params = {"n_users": n_users, "n_items": n_items,
              "selection": selection, "exposure": exposure,
              "observed_share": observed_share, "survey_size": survey_size}
    return data, FeedbackTruth(pairs=pairs, params=params)


def _rating_factors(rng, n_users, n_items):
    """Affinity (n_users, n_items) and item popularity (n_items,)."""
    taste = rng.standard_normal((n_users, 3)) / np.sqrt(3)
    leniency = rng.normal(0.0, 0.5, size=(n_users, 1))
    profile = rng.standard_normal((n_items, 3))
    quality = rng.normal(0.0, 0.6, size=n_items)
    popularity = quality + 0.8 * rng.standard_normal(n_items)
    noise = rng.normal(0.0, 0.5, size=(n_users, n_items))
    return taste @ profile.T + leniency + quality + noise, popularity


def _calibrate(logit, share):
    """The shift c with mean(expit(logit + c)) == share."""
    from scipy.optimize import brentq

    return brentq(lambda c: _expit(logit + c).mean() - share, -60.0, 60.0,
                  xtol=1e-12)


#: The relevance model of :func:`click_logs`: the click probability of an
#: examined item is ``intercept + match * m + quality * q`` (the interest)
#: plus ``conformity * popularity``.
CLICK_COEFFICIENTS = {"intercept": 0.05, "match": 0.35, "quality": 0.25}


def click_logs(
    n_sessions: int = 20_000,
    *,
    rng: int | np.random.Generator,
    n_users: int = 500,
    n_items: int = 30,
    list_length: int = 5,
    examination_decay: float = 1.0,
    popularity_boost: float = 2.0,
    conformity: float = 0.15,
    swap_share: float = 0.2,
) -> tuple[pd.DataFrame, FeedbackTruth]:
    r"""Click logs of ranked lists under the position-based click model.

    In every session a user opens a shop's list of ``list_length`` items,
    chosen and ordered by the production ranker, which favours popular
    items. The user examines position :math:`k` with probability
    :math:`\theta_k = k^{-\eta}` and clicks an examined item with
    probability equal to its relevance. In a share ``swap_share`` of the
    sessions the shop runs a swap experiment: the items at position 1
    and at a position :math:`k` drawn uniformly from 2 to
    ``list_length`` change places with probability 1/2.

    Parameters
    ----------
    n_sessions : int
        Number of sessions; the data have ``n_sessions * list_length``
        rows.
    rng : int or numpy.random.Generator
        A seed or a Generator; required, so every draw can be reproduced
        (a seed gives the same data as ``np.random.default_rng(seed)``).
    n_users, n_items : int
        Size of the catalogue; each session's user is drawn uniformly.
    list_length : int
        Items shown per session (at least 2, at most ``n_items``).
    examination_decay : float
        :math:`\eta \ge 0`; 0 means every position is examined.
    popularity_boost : float
        Weight of popularity in the production ranker (0: it ranks by
        match, quality and noise only).
    conformity : float
        The direct effect of popularity on the click probability of an
        examined item, in [0, 0.35]: a bestseller badge, social proof.
    swap_share : float
        Share of sessions in the swap experiment, in [0, 1].

    Returns
    -------
    data : pandas.DataFrame
        One row per item shown, sorted by session then position:
        ``session_id``, ``user_id``, ``item_id``, ``position`` (1 = top),
        ``match`` (content match of user and item, in [0, 1]),
        ``quality`` (the item's quality score, in [0, 1]),
        ``popularity`` (its popularity percentile, in [0, 1]),
        ``swap_with`` (the position swapped with position 1 in a swap
        session, whether or not the coin swapped them; 0 otherwise) and
        ``click`` (0/1).
    truth : FeedbackTruth
        ``truth.pairs`` has each row's ``relevance``, ``interest`` and
        ``examination``; ``truth.examination`` is :math:`\theta_k` by
        position; ``truth.catalogue`` holds every user-item pair;
        ``truth.params["coefficients"]`` the relevance model.

    Notes
    -----
    Users and items sit on a circle of tastes (angles :math:`\alpha_u`,
    :math:`\beta_i` uniform), and the match is :math:`m_{ui} = (1 +
    \cos(\alpha_u - \beta_i))/2`. Quality is :math:`q_i \sim
    \mathrm{Beta}(2, 2)`; popularity is :math:`z_i = \Phi(0.8\,
    \Phi^{-1}(q_i) + 0.6\,\varepsilon_i)`, uniform and correlated with
    quality. The relevance of an examined item is linear in the
    observed features,

    .. math::

        r_{ui} = \underbrace{0.05 + 0.35\, m_{ui} + 0.25\, q_i}_{
        \text{interest}} + \gamma\, z_i,

    with :math:`\gamma` ``conformity``, and a click at position
    :math:`k` is Bernoulli(:math:`\theta_k r_{ui}`). The production
    ranker orders items by :math:`0.35\, m_{ui} + 0.25\, q_i +
    0.3\,\kappa\, z_i + N(0, 0.1^2)` (:math:`\kappa`
    ``popularity_boost``, fresh noise per session) and shows the top
    ``list_length``. Which items are shown,
    and where, depends on observed features and independent noise only,
    so regressions of :math:`C/\theta_k` on the features are unbiased
    for the relevance model.

    References
    ----------
    Joachims, T., Swaminathan, A. and Schnabel, T. (2017). Unbiased
    learning-to-rank with biased feedback. *WSDM '17*, 781--789.

    Zhang, Y., Feng, F., He, X., Wei, T., Song, C., Ling, G. and Zhang,
    Y. (2021). Causal intervention for leveraging popularity bias in
    recommendation. *SIGIR '21*, 11--20.

    See :ref:`ch-bias`.

    Examples
    --------
    >>> data, truth = click_logs(1_000, rng=np.random.default_rng(0))
    >>> data.shape
    (5000, 9)
    >>> truth.examination.round(2).tolist()
    [1.0, 0.5, 0.33, 0.25, 0.2]
    >>> bool(data.groupby("position")["click"].mean().is_monotonic_decreasing)
    True
    """
    rng = _generator(rng)
    n_sessions = _checks.check_count(n_sessions, "n_sessions", minimum=2,
                                     limit=_checks.MAX_ROWS)
    n_users = _checks.check_count(n_users, "n_users", minimum=1)
    n_items = _checks.check_count(n_items, "n_items", minimum=2)
    list_length = _checks.check_count(list_length, "list_length",
                                      minimum=2, maximum=n_items)
    decay = _checks.check_finite(examination_decay, "examination_decay")
    if decay < 0:
        raise ValueError(
            f"examination_decay must be non-negative, got {decay}")
    boost = _checks.check_finite(popularity_boost, "popularity_boost")
    conformity = _checks.check_probability(conformity, "conformity",
                                           high=0.35)
    swap_share = _checks.check_probability(swap_share, "swap_share")
    catalogue = _click_catalogue(rng, n_users, n_items, conformity)
    data = _ranked_sessions(rng, catalogue, n_sessions, list_length, boost,
                            swap_share)
    theta = np.arange(1, list_length + 1, dtype=float) ** -decay
    examination = theta[data["position"].to_numpy() - 1]
    row = data["user_id"].to_numpy() * n_items + data["item_id"].to_numpy()
    relevance = catalogue["relevance"].to_numpy()[row]
    data["click"] = (rng.uniform(size=len(data))
                     < examination * relevance).astype(np.int64)
    pairs = pd.DataFrame({"relevance": relevance,
                          "interest": catalogue["interest"].to_numpy()[row],
                          "examination": examination}, index=data.index)
    params = {"n_sessions": n_sessions, "n_users": n_users,
              "n_items": n_items, "list_length": list_length,
              "examination_decay": decay, "popularity_boost": boost,
              "conformity": conformity, "swap_share": swap_share,
              "coefficients": {**CLICK_COEFFICIENTS,
                               "popularity": conformity}}
    positions = pd.Index(np.arange(1, list_length + 1), name="position")
    return data, FeedbackTruth(
        pairs=pairs, params=params, catalogue=catalogue,
        examination=pd.Series(theta, index=positions, name="examination"))


def _click_catalogue(rng, n_users, n_items, conformity) -> pd.DataFrame:
    """Every user-item pair: features, interest and relevance."""
    from scipy.special import ndtr, ndtri

    taste = rng.uniform(0, 2 * np.pi, size=n_users)
    angle = rng.uniform(0, 2 * np.pi, size=n_items)
    quality = rng.beta(2.0, 2.0, size=n_items)
    popularity = ndtr(0.8 * ndtri(quality)
                      + 0.6 * rng.standard_normal(n_items))
    match = (1 + np.cos(taste[:, None] - angle[None, :])) / 2
    c = CLICK_COEFFICIENTS
    interest = c["intercept"] + c["match"] * match + c["quality"] * quality
    return pd.DataFrame({
        "user_id": np.repeat(np.arange(n_users), n_items),
        "item_id": np.tile(np.arange(n_items), n_users),
        "match": match.ravel(),
        "quality": np.tile(quality, n_users),
        "popularity": np.tile(popularity, n_users),
        "interest": interest.ravel(),
        "relevance": (interest + conformity * popularity).ravel(),
    })


def _ranked_sessions(rng, catalogue, n_sessions, list_length, boost,
                     swap_share) -> pd.DataFrame:
    """The production ranker's lists, with the swap experiment applied."""
    n_items = int(catalogue["item_id"].max()) + 1
    n_users = len(catalogue) // n_items
    users = rng.integers(0, n_users, size=n_sessions)
    match = catalogue["match"].to_numpy().reshape(n_users, n_items)
    popularity = catalogue["popularity"].to_numpy()[:n_items]
    quality = catalogue["quality"].to_numpy()[:n_items]
    score = (0.35 * match[users] + 0.25 * quality + 0.3 * boost * popularity
             + rng.normal(0.0, 0.1, size=(n_sessions, n_items)))
    shown = np.argsort(-score, axis=1, kind="stable")[:, :list_length]
    swap_with = np.where(rng.uniform(size=n_sessions) < swap_share,
                         rng.integers(2, list_length + 1, size=n_sessions),
                         0)
    flip = (swap_with > 0) & (rng.uniform(size=n_sessions) < 0.5)
    rows = np.flatnonzero(flip)
    other = swap_with[rows] - 1
    top = shown[rows, 0].copy()
    shown[rows, 0] = shown[rows, other]
    shown[rows, other] = top
    items = shown.ravel()
    row = np.repeat(users, list_length) * n_items + items
    return pd.DataFrame({
        "session_id": np.repeat(np.arange(n_sessions), list_length),
        "user_id": np.repeat(users, list_length),
        "item_id": items,
        "position": np.tile(np.arange(1, list_length + 1), n_sessions),
        "match": catalogue["match"].to_numpy()[row],
        "quality": catalogue["quality"].to_numpy()[row],
        "popularity": catalogue["popularity"].to_numpy()[row],
        "swap_with": np.repeat(swap_with, list_length),
    })


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
    :math:`\phi_i \sim N(0, 0.6^2 I_d)`, drawn the same way for new and
    established providers, so the two have equal merit in expectation.
    Clicks are independent Bernoulli draws with

    .. math::

        p_{ui} = \mathrm{expit}(-3 + b_i + x_u^\top \phi_i).

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
