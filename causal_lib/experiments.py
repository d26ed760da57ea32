r"""Tools for running A/B tests in production.

The difference in means of :func:`~causal_lib.difference_in_means` is the
core of every online experiment; this module adds what a recommender
team needs around it:

* :func:`srm_test`, the sample-ratio-mismatch check that the split of
  users between arms matches the design;
* :func:`ratio_metric`, a metric such as clicks per impression whose
  unit of analysis (the impression) is not the unit of randomisation
  (the user), with its delta-method standard error;
* :func:`sequential_test`, an always-valid p-value and confidence
  sequence (the mixture sequential probability ratio test), so that the
  dashboard can be watched continuously without inflating false
  positives;
* :func:`team_draft` and :func:`interleaving_preference`, team-draft
  interleaving for comparing two rankers within one user's list.

Corrections for many metrics reuse statsmodels'
:func:`statsmodels.stats.multitest.multipletests`.

See :ref:`ch-exp`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate

__all__ = [
    "interleaving_preference",
    "ratio_metric",
    "sequential_test",
    "srm_test",
    "team_draft",
]


def srm_test(
    df: pd.DataFrame, *, treatment: str, expected_share: float = 0.5
) -> pd.Series:
    r"""Sample-ratio mismatch: is the split consistent with the design?

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit that entered the analysis.
    treatment : str
        0/1 column: the arm each unit is logged in.
    expected_share : float, default 0.5
        The designed probability of the treatment arm, in (0, 1).

    Returns
    -------
    pandas.Series
        ``n``, ``n_treated``, ``share_treated`` (observed),
        ``expected_share`` and ``p_value``, the two-sided exact binomial
        test of the treated count against ``expected_share``.

    Raises
    ------
    ValueError
        If the column is missing, not 0/1 or holds NaN, or
        ``expected_share`` is not strictly between 0 and 1.

    Notes
    -----
    Under the design the number of treated units is
    :math:`\mathrm{Binomial}(n, p)`; a tiny p-value (teams often use
    0.001, since the check runs on every experiment) says the logged
    arms are not the randomised ones: some users were lost or added
    selectively, and the difference in means is no longer an
    experimental comparison. Find the cause; do not reweight.

    References
    ----------
    Kohavi, R., Tang, D. and Xu, Y. (2020). *Trustworthy Online
    Controlled Experiments*, chapter 21. Cambridge University Press.

    See :ref:`ch-ab` and :ref:`ch-exp`.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": [1] * 5_200 + [0] * 4_800})
    >>> check = srm_test(df, treatment="arm")
    >>> float(check["share_treated"])
    0.52
    >>> bool(check["p_value"] < 0.001)
    True
    """
    _checks.require_frame(df)
    _checks.require_columns(df, treatment=treatment)
    t = _checks.treatment_column(df, treatment)
    p = _checks.check_probability(expected_share, "expected_share",
                                  open_low=True, open_high=True)
    n, n1 = len(t), int(t.sum())
    return pd.Series({
        "n": n, "n_treated": n1, "share_treated": n1 / n,
        "expected_share": p,
        "p_value": stats.binomtest(n1, n, p=p).pvalue,
    }, dtype=object)


def ratio_metric(
    df: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    treatment: str,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Difference in a ratio metric between arms, delta-method SE.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per randomised unit (a user), with that unit's totals.
    numerator, denominator : str
        Numeric columns summed over the unit's events, such as clicks and
        impressions; the metric of arm :math:`a` is
        :math:`R_a = \sum_{i \in a} Y_i / \sum_{i \in a} N_i`.
    treatment : str
        0/1 column.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"difference in ratios"``, :math:`R_1 - R_0`; ``n``
        counts units (users), not events.

    Raises
    ------
    ValueError
        If a column is missing or plays two roles, holds NaN or infinite
        values, the denominator is negative or sums to zero in an arm,
        the treatment is not 0/1, or an arm has fewer than two units.

    Notes
    -----
    Users, not impressions, are randomised and independent; one user's
    impressions share that user's taste, so treating them as independent
    trials (the "naive" binomial standard error
    :math:`\sqrt{R(1 - R)/\sum N}`) understates the variance. The delta
    method linearises the ratio around the arm's means
    :math:`\bar Y_a, \bar N_a`:

    .. math::

        R_a - \rho_a \approx \frac{1}{n_a} \sum_{i \in a}
            \frac{Y_i - \rho_a N_i}{\bar N_a}, \qquad
        \widehat{\mathrm{var}}(R_a) = \frac{s_a^2(U)}{n_a},\quad
        U_i = \frac{Y_i - R_a N_i}{\bar N_a},

    with :math:`s_a^2` the sample variance (divisor :math:`n_a - 1`)
    over the arm's units, and the two arms' variances add. It is the
    standard error of a cluster bootstrap over users, to first order.

    References
    ----------
    Deng, A., Knoblich, U. and Lu, J. (2018). Applying the delta method
    in metric analytics: a practical guide with novel ideas. *KDD '18*,
    233--242.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> df = pd.DataFrame({"shown": [0, 0, 1, 1],
    ...                    "clicks": [1, 3, 2, 6],
    ...                    "views": [10, 10, 10, 10]})
    >>> est = ratio_metric(df, numerator="clicks", denominator="views",
    ...                    treatment="shown")
    >>> round(est.estimate, 10)  # 8 / 20 - 4 / 20
    0.2
    """
    _checks.require_frame(df)
    roles = {"numerator": numerator, "denominator": denominator,
             "treatment": treatment}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    alpha = _checks.check_alpha(alpha)
    t = _checks.treatment_column(df, treatment) == 1
    _checks.check_arms(np.bincount(t, minlength=2), treatment, minimum=2)
    y = _checks.numeric_column(df, numerator, "numerator")
    x = _checks.numeric_column(df, denominator, "denominator")
    if (x < 0).any():
        raise ValueError(
            f"denominator column {denominator!r} has negative values; it "
            "must count events (impressions, sessions)"
        )
    ratios, variances = [], []
    for arm, name in ((~t, "control (0)"), (t, "treated (1)")):
        x_bar = x[arm].mean()
        if x_bar == 0:
            raise ValueError(
                f"denominator column {denominator!r} sums to zero in the "
                f"{name} arm: its ratio is undefined"
            )
        ratio = y[arm].sum() / x[arm].sum()
        u = (y[arm] - ratio * x[arm]) / x_bar
        ratios.append(ratio)
        variances.append(u.var(ddof=1) / arm.sum())
    return EffectEstimate.from_normal(
        "difference in ratios", ratios[1] - ratios[0],
        np.sqrt(sum(variances)), n=len(t), n_treated=int(t.sum()),
        method="ratio of sums (delta-method SE)", alpha=alpha,
    )


def _look_sizes(looks, n: int) -> np.ndarray:
    """The sample sizes at which the data are examined."""
    if isinstance(looks, (int, np.integer)) and not isinstance(looks,
                                                               bool):
        k = _checks.check_count(looks, "looks", minimum=1, maximum=n)
        return np.unique(np.ceil(np.arange(1, k + 1) * n / k).astype(int))
    sizes = np.asarray(looks)
    if sizes.ndim != 1 or len(sizes) == 0 or sizes.dtype.kind not in "iu":
        raise TypeError(
            "looks must be a number of looks or a sequence of sample "
            f"sizes (integers), got {looks!r}"
        )
    if (np.diff(sizes) <= 0).any() or sizes[0] < 1 or sizes[-1] > n:
        raise ValueError(
            f"looks must be increasing sample sizes between 1 and len(df) "
            f"= {n}, got {sizes.tolist()[:5]}..."
        )
    return sizes.astype(int)


def _arm_paths(t, y, sizes, treatment):
    """Counts, means and variances (divisor n - 1) of each arm at each
    look, from cumulative sums of the centred outcome."""
    y = y - y.mean()  # centring keeps the running sums of squares exact
    paths = []
    for arm in (t == 0, t == 1):
        count = np.cumsum(arm)[sizes - 1]
        total = np.cumsum(np.where(arm, y, 0.0))[sizes - 1]
        squares = np.cumsum(np.where(arm, y * y, 0.0))[sizes - 1]
        if count.min() < 2:
            look = int(sizes[np.argmax(count < 2)])
            raise ValueError(
                f"treatment column {treatment!r}: at the look after "
                f"{look} rows an arm has fewer than two units; look later "
                "or less often"
            )
        mean = total / count
        var = np.maximum(squares - count * mean**2, 0.0) / (count - 1)
        paths.append((count, mean, var))
    return paths


def sequential_test(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    mixture_sd: float,
    looks=100,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Always-valid p-values for an A/B test watched as data arrive.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit, **in the order the units arrived**.
    treatment : str
        0/1 column.
    outcome : str
        Numeric outcome column.
    mixture_sd : float
        :math:`\tau`, the standard deviation of the normal mixture over
        effect sizes, in the outcome's units: the size of effect the test
        is tuned to detect fastest (a plausible effect, not a tiny one).
    looks : int or sequence of int, default 100
        A number of equally spaced looks, or the sample sizes (rows
        seen) at which the dashboard is read.
    alpha : float, default 0.05
        The level of the test and of the confidence sequence.

    Returns
    -------
    pandas.DataFrame
        One row per look: ``n`` (rows seen), ``estimate`` and
        ``std_error`` (difference in means, Neyman), ``likelihood_ratio``
        (:math:`\Lambda_n`), ``p_value`` (always valid), ``ci_low`` and
        ``ci_high`` (the confidence sequence) and ``reject``
        (``p_value <= alpha``).

    Raises
    ------
    ValueError
        If a column is missing or plays two roles, holds NaN or infinite
        values, the treatment is not 0/1, ``mixture_sd`` is not positive,
        the looks are not increasing sizes within ``len(df)``, or an arm
        has fewer than two units at a look.

    Notes
    -----
    The mixture sequential probability ratio test (mSPRT) of Johari et
    al. (2017) treats the difference in means after :math:`n` units as
    :math:`\hat\theta_n \sim N(\theta, V_n)` and averages the likelihood
    ratio of :math:`\theta` against 0 over :math:`\theta \sim N(0,
    \tau^2)`:

    .. math::

        \Lambda_n = \sqrt{\frac{V_n}{V_n + \tau^2}}\,
            \exp\!\left(\frac{\tau^2 \hat\theta_n^2}
                             {2 V_n (V_n + \tau^2)}\right), \qquad
        p_n = \min\Bigl(1, \min_{m \le n} 1/\Lambda_m\Bigr).

    Under the null :math:`\Lambda_n` is a martingale with mean 1, so by
    Ville's inequality :math:`P(\sup_n \Lambda_n \ge 1/\alpha) \le
    \alpha`: stopping the first time :math:`p_n \le \alpha`, however often
    one looks, keeps the false-positive rate at :math:`\alpha`. The
    confidence sequence, intersected over looks, is
    :math:`\hat\theta_n \pm \sqrt{V_n (V_n + \tau^2)/\tau^2\,
    (\log((V_n + \tau^2)/V_n) - 2 \log \alpha)}`. The guarantee is exact
    for normal data of known variance; here :math:`V_n` is Neyman's
    estimate, so it holds approximately, once each arm has a few dozen
    units. The price is power: at a fixed sample size the always-valid
    test rejects less often than the fixed-horizon z-test.

    References
    ----------
    Johari, R., Koomen, P., Pekelis, L. and Walsh, D. (2017). Peeking at
    A/B tests: why it matters, and what to do about it. *KDD '17*,
    1517--1525.

    Robbins, H. (1970). Statistical methods related to the law of the
    iterated logarithm. *Annals of Mathematical Statistics* 41(5),
    1397--1409.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> t = rng.integers(0, 2, 2_000)
    >>> df = pd.DataFrame({"t": t, "y": rng.normal(size=2_000) + 0.3 * t})
    >>> path = sequential_test(df, treatment="t", outcome="y",
    ...                        mixture_sd=0.3, looks=20)
    >>> bool(path["p_value"].is_monotonic_decreasing)
    True
    >>> bool(path["reject"].iloc[-1])
    True
    """
    _checks.require_frame(df)
    roles = {"treatment": treatment, "outcome": outcome}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    alpha = _checks.check_alpha(alpha)
    tau2 = _checks.check_finite(mixture_sd, "mixture_sd") ** 2
    if tau2 == 0 or mixture_sd < 0:
        raise ValueError(f"mixture_sd must be positive, got {mixture_sd}")
    t = _checks.treatment_column(df, treatment)
    y = _checks.numeric_column(df, outcome, "outcome")
    sizes = _look_sizes(looks, len(y))
    (n0, mean0, var0), (n1, mean1, var1) = _arm_paths(t, y, sizes,
                                                      treatment)
    estimate = mean1 - mean0
    v = np.maximum(var1 / n1 + var0 / n0, np.finfo(float).tiny)
    log_lr = (0.5 * np.log(v / (v + tau2))
              + tau2 * estimate**2 / (2 * v * (v + tau2)))
    p_value = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lr)))
    half = np.sqrt(v * (v + tau2) / tau2
                   * (np.log((v + tau2) / v) - 2 * np.log(alpha)))
    return pd.DataFrame({
        "n": sizes, "estimate": estimate, "std_error": np.sqrt(v),
        "likelihood_ratio": np.exp(log_lr), "p_value": p_value,
        "ci_low": np.maximum.accumulate(estimate - half),
        "ci_high": np.minimum.accumulate(estimate + half),
        "reject": p_value <= alpha,
    })


def team_draft(
    ranking_a,
    ranking_b,
    *,
    length: int,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    r"""Interleave two rankings by team draft.

    Parameters
    ----------
    ranking_a, ranking_b : sequence or 2-d array
        Item identifiers, best first, as ranker A and ranker B would show
        them to a user; or one row per user (both with the same number of
        rows), to interleave many users' lists at once.
    length : int
        Length of each list shown (shorter if the rankings run out).
    rng : int or numpy.random.Generator, optional
        The coin that decides who picks first when the teams are even.

    Returns
    -------
    pandas.DataFrame
        One row per shown item, list by list in display order: ``list``
        (the row of the rankings, 0 for a single pair), ``position`` (1 =
        top), ``item`` and ``team`` (``"A"`` or ``"B"``, the ranker that
        contributed the item; a click on it is credited to that ranker).

    Raises
    ------
    ValueError
        If a ranking repeats an item, the two rankings have different
        numbers of rows, or ``length`` is not a positive integer.

    Notes
    -----
    Like two captains choosing players (Radlinski, Kurup and Joachims,
    2008): the team with fewer picks so far, or the winner of a coin
    flip when they have as many, adds its highest-ranked item not yet in
    the list. Each ranker's items thus appear near the positions its own
    ranking gives them, and neither ranker is favoured by position on
    average. Credit a user's clicks to the teams; the ranker with more
    credited clicks wins the impression (:func:`interleaving_preference`).

    References
    ----------
    Chapelle, O., Joachims, T., Radlinski, F. and Yue, Y. (2012).
    Large-scale validation and analysis of interleaved search evaluation.
    *ACM Transactions on Information Systems* 30(1), 6:1--6:41.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> shown = team_draft([1, 2, 3, 4], [3, 1, 5, 6], length=4, rng=0)
    >>> sorted(shown["item"].tolist())  # both top picks and two more
    [1, 2, 3, 5]
    >>> shown["team"].value_counts().tolist()
    [2, 2]
    """
    length = _checks.check_count(length, "length", minimum=1)
    rng = _checks.check_rng(rng)
    rows_a, rows_b = np.asarray(ranking_a), np.asarray(ranking_b)
    if rows_a.ndim == 1 and rows_b.ndim == 1:
        rows_a, rows_b = [ranking_a], [ranking_b]
    elif rows_a.ndim != 2 or rows_b.ndim != 2 or len(rows_a) != len(
            rows_b):
        raise ValueError(
            "ranking_a and ranking_b must both be one ranking, or both "
            "hold one ranking per row with the same number of rows"
        )
    lists, items, teams = [], [], []
    for row, (a, b) in enumerate(zip(rows_a, rows_b)):
        shown, team = _draft(list(a), list(b), length, rng)
        lists.append(np.full(len(shown), row))
        items.extend(shown)
        teams.extend(team)
    lists = np.concatenate(lists)
    starts = np.r_[0, np.flatnonzero(np.diff(lists)) + 1]
    position = np.arange(len(lists)) - np.repeat(
        starts, np.diff(np.r_[starts, len(lists)])) + 1
    return pd.DataFrame({"list": lists, "position": position,
                         "item": items, "team": teams})


def _draft(ranking_a: list, ranking_b: list, length: int, rng):
    """One team-draft list: the items and the team that picked each."""
    rankings = {"A": ranking_a, "B": ranking_b}
    for name, ranking in rankings.items():
        if len(set(ranking)) != len(ranking):
            raise ValueError(f"ranking_{name.lower()} repeats an item")
    shown, teams, picks = [], [], {"A": 0, "B": 0}
    seen, cursor = set(), {"A": 0, "B": 0}
    while len(shown) < length:
        first = "A" if picks["A"] < picks["B"] or (
            picks["A"] == picks["B"] and rng.random() < 0.5) else "B"
        for team in (first, "B" if first == "A" else "A"):
            ranking = rankings[team]
            while cursor[team] < len(ranking) and \
                    ranking[cursor[team]] in seen:
                cursor[team] += 1
            if cursor[team] < len(ranking):
                break
        else:  # both rankings exhausted
            break
        item = ranking[cursor[team]]
        seen.add(item)
        shown.append(item)
        teams.append(team)
        picks[team] += 1
    return shown, teams


def interleaving_preference(
    df: pd.DataFrame,
    *,
    impression: str,
    team: str,
    click: str,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Which ranker users prefer, from clicks on interleaved lists.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per shown item: the impression (list shown to one user)
        it belongs to, the team that contributed it and its clicks.
    impression : str
        Column identifying the impression.
    team : str
        Column holding ``"A"`` or ``"B"`` (as :func:`team_draft` writes).
    click : str
        Numeric column: clicks on the item (0/1 or counts).
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"interleaving preference"``: the share of impressions
        that ranker B wins minus the share it loses (positive favours B);
        ``n`` counts impressions.

    Raises
    ------
    ValueError
        If a column is missing or plays two roles, ``click`` holds NaN,
        infinite or negative values, ``team`` holds anything but
        ``"A"``/``"B"``, or there are fewer than two impressions.

    Notes
    -----
    Each impression :math:`j` scores :math:`s_j = \mathrm{sign}(c_{jB} -
    c_{jA})`, the sign of the difference between the clicks credited to
    B and to A, and

    .. math::

        \hat\Delta = \frac{1}{m} \sum_{j=1}^m s_j, \qquad
        \widehat{\mathrm{se}} = \frac{s(s_j)}{\sqrt m},

    over :math:`m` impressions, treated as independent (one per user, or
    cluster by user otherwise). With :math:`w_A, w_B` wins and :math:`t`
    ties, :math:`\hat\Delta = (w_B - w_A)/m`, so :math:`-\hat\Delta/2 =
    (w_A + t/2)/m - 1/2`, the :math:`\Delta_{AB}` of Chapelle et al.
    (2012) when the same impressions are counted. Impressions without
    clicks score 0 (ties); they dilute the estimate but hardly change its
    z statistic.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> df = pd.DataFrame({"imp": [1, 1, 2, 2, 3, 3],
    ...                    "team": ["A", "B", "A", "B", "B", "A"],
    ...                    "click": [0, 1, 0, 1, 1, 1]})
    >>> est = interleaving_preference(df, impression="imp", team="team",
    ...                               click="click")
    >>> round(est.estimate, 4)  # B wins twice, one tie
    0.6667
    """
    _checks.require_frame(df)
    roles = {"impression": impression, "team": team, "click": click}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    alpha = _checks.check_alpha(alpha)
    _checks.no_missing(df[impression], f"impression column {impression!r}")
    clicks = _checks.numeric_column(df, click, "click")
    if (clicks < 0).any():
        raise ValueError(f"click column {click!r} has negative values")
    teams = df[team].to_numpy()
    if not np.isin(teams, ["A", "B"]).all():
        raise ValueError(
            f"team column {team!r} must hold 'A' or 'B' only, as "
            "team_draft writes it"
        )
    signed = np.where(teams == "B", clicks, -clicks)
    scores = np.sign(pd.Series(signed, index=df.index)
                     .groupby(df[impression].to_numpy()).sum())
    m = len(scores)
    if m < 2:
        raise ValueError("interleaving_preference needs two impressions")
    return EffectEstimate.from_normal(
        "interleaving preference", scores.mean(),
        scores.std(ddof=1) / np.sqrt(m), n=m, n_treated=None,
        method="team-draft interleaving (B wins minus A wins)",
        alpha=alpha,
    )
