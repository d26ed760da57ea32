r"""Uplift modelling: learning whom to target, and checking the ranking.

Evaluation of uplift scores, as :ref:`ch-upl` uses it.

**Evaluation.** A *score* ranks users by how much we expect a treatment
(a coupon, a recommendation slot, a push notification) to change their
outcome. On a randomised experiment, :func:`uplift_curve` and
:func:`qini_curve` trace the incremental outcome as ever more users are
targeted from the top of the ranking; :func:`uplift_auc` and
:func:`qini_auc` summarise a curve in one number, normalised as in
scikit-uplift; :func:`uplift_at_share` estimates the effect among the
top share of users (scikit-uplift's ``uplift_at_k``). All take
``(df, *, outcome, treatment, score)``.

**Learning** a score is the job of the meta-learners in
:mod:`causal_lib.metalearners` (S, T, X and DR learners), re-exported here
for compatibility.

See :ref:`ch-upl`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from causal_lib import _checks
from causal_lib.estimate import EffectEstimate

__all__ = [
    "DRLearner",
    "SLearner",
    "TLearner",
    "XLearner",
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "qini_auc",
    "qini_curve",
    "uplift_at_share",
    "uplift_auc",
    "uplift_curve",
]

_CURVE_COLUMNS = ("threshold", "n", "n_treated", "n_control",
                  "outcome_treated", "outcome_control")


# --- evaluation: curves ------------------------------------------------------

def _experiment_arrays(df, outcome, treatment, *, score=None):
    """Validated 0/1 treatment, finite outcome and (if given) score arrays.

    The score may hold +/-inf ("always first", "always last"); the outcome
    may not.
    """
    _checks.require_frame(df)
    roles = dict(outcome=outcome, treatment=treatment)
    if score is not None:
        roles["score"] = score
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    t = _checks.treatment_column(df, treatment)
    y = _checks.numeric_column(df, outcome, "outcome")
    n_treated = int(np.count_nonzero(t))
    _checks.check_arms(np.array([len(t) - n_treated, n_treated]), treatment)
    if score is None:
        return t, y
    s = _checks.numeric_column(df, score, "score", allow_inf=True)
    return s, t, y


def _at_block_ends(running, last, origin) -> np.ndarray:
    """``running[last]`` with ``origin`` in front, in one new array."""
    out = np.empty(len(last) + 1)
    out[0] = origin
    out[1:] = running[last]
    return out


def _cumulate(s, t, y):
    r"""Points of the curves: cumulative counts and outcome sums.

    Returns ``(x, n_t, y_t, y_c, threshold)``: float arrays with one entry
    for the origin (nobody targeted, threshold :math:`+\infty`) and one
    per distinct score, from the highest down, after the whole block of
    units sharing it. Counts are exact below :math:`2^{53}`.
    """
    # Tied units enter together, so their order does not matter: the
    # default sort will do, and a stable one is 1.6x slower here.
    order = np.argsort(-s)
    ranked = s[order]
    treated = t[order]
    y_sorted = y[order]
    # Running sums over every unit, read at the last unit of each block of
    # ties (the order within a block is irrelevant); the control sum is
    # the total minus the treated one.
    block_end = np.empty(len(s), dtype=bool)
    np.not_equal(ranked[1:], ranked[:-1], out=block_end[:-1])
    block_end[-1] = True
    last = np.flatnonzero(block_end)
    y_all = _at_block_ends(np.cumsum(y_sorted), last, 0.0)
    y_sorted *= treated  # now the treated units' outcomes, 0 elsewhere
    y_t = _at_block_ends(np.cumsum(y_sorted), last, 0.0)
    x = np.zeros(len(last) + 1)
    x[1:] = last + 1.0
    return (x, _at_block_ends(np.cumsum(treated), last, 0.0), y_t,
            y_all - y_t, _at_block_ends(ranked, last, np.inf))


def _empty_arm_prefix(n_t, n_c) -> int:
    """Points before both arms have a unit: a prefix, as counts only grow."""
    return int(max(np.searchsorted(n_t, 0, side="right"),
                   np.searchsorted(n_c, 0, side="right")))


def _uplift_values(n_t, n_c, y_t, y_c) -> np.ndarray:
    """(y_t/n_t - y_c/n_c)(n_t + n_c); an empty arm's mean counts as 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        values = y_t / n_t
        values -= y_c / n_c
        values *= n_t + n_c
    head = _empty_arm_prefix(n_t, n_c)
    # There one arm is empty, so its sum is 0 and the other arm's mean,
    # times the units, is that arm's sum: y_t, or -y_c.
    values[:head] = y_t[:head] - y_c[:head]
    return values


def _qini_values(n_t, n_c, y_t, y_c) -> np.ndarray:
    """y_t - y_c n_t / n_c; the control term is 0 while n_c = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        values = n_t / n_c
        values *= y_c
    np.subtract(y_t, values, out=values)
    # While an arm is empty the control term is 0: y_c = 0 if n_c = 0,
    # and n_t / n_c = 0 if n_t = 0.
    head = _empty_arm_prefix(n_t, n_c)
    values[:head] = y_t[:head]
    return values


_VALUES = {"uplift": _uplift_values, "qini": _qini_values}


def _curve(kind, df, outcome, treatment, score) -> pd.DataFrame:
    s, t, y = _experiment_arrays(df, outcome, treatment, score=score)
    x, n_t, y_t, y_c, threshold = _cumulate(s, t, y)
    n_c = x - n_t
    columns = dict(zip(_CURVE_COLUMNS, (
        threshold, x.astype(np.int64), n_t.astype(np.int64),
        n_c.astype(np.int64), y_t, y_c)))
    columns[kind] = _VALUES[kind](n_t, n_c, y_t, y_c)
    return pd.DataFrame(columns, copy=False)


def uplift_curve(
    df: pd.DataFrame, *, outcome: str, treatment: str, score: str
) -> pd.DataFrame:
    r"""Uplift curve: incremental outcome among the top-scored units.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment, held out from the
        data the score was learned on. The curve compares raw arm means,
        so treatment must be assigned at random (independently of the
        score and the outcome's other causes).
    outcome : str
        Numeric outcome column, such as ``purchased`` (0/1) or ``spend``.
    treatment : str
        Column holding 0 (control) or 1 (treated).
    score : str
        Column of predicted uplift (any real numbers; higher means "target
        first"), for instance a meta-learner's ``predict`` output.

    Returns
    -------
    pandas.DataFrame
        One row for the origin and one per distinct score, from the highest
        score down, with columns ``threshold`` (the score of the units that
        enter at this point; :math:`+\infty` at the origin), ``n`` (units
        targeted so far, :math:`k`), ``n_treated`` and ``n_control``
        (:math:`n_t(k)`, :math:`n_c(k)`), ``outcome_treated`` and
        ``outcome_control`` (the outcome sums :math:`y_t(k)`, :math:`y_c(k)`)
        and ``uplift`` (the curve, :math:`u(k)`).

    Raises
    ------
    ValueError
        If a column is missing, the treatment is not 0/1 numbers or
        booleans (recode a categorical or string column first), the
        outcome holds NaN or infinite values, the score NaN (+/-inf rank
        first or last), or an arm is empty.

    Notes
    -----
    Let :math:`s_{(1)} > s_{(2)} > \dots > s_{(m)}` be the distinct
    scores. The :math:`j`-th point targets every unit with
    :math:`s_i \ge s_{(j)}`: :math:`k_j = \#\{i : s_i \ge s_{(j)}\}`
    units, :math:`n_t(k_j)` of them treated and :math:`n_c(k_j)` control,
    whose outcomes sum to :math:`y_t(k_j)` and :math:`y_c(k_j)`; with the
    origin :math:`k_0 = 0` that makes :math:`m + 1` points, the last at
    :math:`k_m = N`. Writing :math:`k` for :math:`k_j`, the uplift curve
    is

    .. math::

        u(k) = \left(\frac{y_t(k)}{n_t(k)} - \frac{y_c(k)}{n_c(k)}\right)
               \bigl(n_t(k) + n_c(k)\bigr),

    the difference in mean outcomes among the targeted units, scaled to
    their number: the estimated *extra* outcomes (purchases, euros) if
    those :math:`k` units were treated rather than not. While an arm is
    still empty its mean is taken as 0, as in scikit-uplift, so
    :math:`u(k) = y_t(k)` while no control unit is targeted and
    :math:`u(k) = -y_c(k)` while no treated unit is. The curve starts
    at the origin :math:`(0, 0)` and ends at
    :math:`N(\bar Y_1 - \bar Y_0)`, the difference in means times the
    number of units.

    **Ties.** Units with equal scores cannot be ranked against each other,
    so they enter *together*: the curve has one point per distinct score,
    after the whole block of tied units (never a point inside a block),
    and is the straight line between consecutive points, which is the
    polygon the trapezoidal rule of :func:`uplift_auc` integrates. The
    curve therefore does not depend on row order; a constant score gives
    the two points :math:`(0, 0)` and :math:`(N, u(N))`, the random
    baseline. This is scikit-uplift's convention (and scikit-learn's for
    ROC curves).

    The *random* baseline is the straight line from :math:`(0, 0)` to the
    end point: targeting a random share :math:`k/N` of units gains that
    share of the total. The *perfect* curve is in
    :func:`perfect_uplift_curve`.

    References
    ----------
    Gutierrez, P. and Gérardy, J.-Y. (2017). Causal inference and uplift
    modelling: a review of the literature. *Proceedings of Machine
    Learning Research* 67, 1--13. Shevchenko, M. and Elisova, I.
    scikit-uplift documentation, ``sklift.metrics.uplift_curve``,
    https://www.uplift-modeling.com.

    See :ref:`ch-upl`.

    Examples
    --------
    Six users; the two scored 0.8 tie and enter together:

    >>> df = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.5, 0.3, 0.1],
    ...                    "coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> curve = uplift_curve(df, outcome="bought", treatment="coupon",
    ...                      score="score")
    >>> curve[["n", "n_treated", "n_control", "uplift"]]
       n  n_treated  n_control  uplift
    0  0          0          0     0.0
    1  1          1          0     1.0
    2  3          2          1     3.0
    3  4          3          1     4.0
    4  5          3          2     2.5
    5  6          3          3     4.0

    At :math:`k = 5`: :math:`(3/3 - 1/2) \times 5 = 2.5`.
    """
    return _curve("uplift", df, outcome, treatment, score)


def qini_curve(
    df: pd.DataFrame, *, outcome: str, treatment: str, score: str
) -> pd.DataFrame:
    r"""Qini curve: incremental outcome, control sums rescaled to the treated.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment.
    outcome : str
        Numeric outcome column.
    treatment : str
        Column holding 0 (control) or 1 (treated).
    score : str
        Column of predicted uplift; higher means "target first".

    Returns
    -------
    pandas.DataFrame
        As :func:`uplift_curve`, with the curve in column ``qini``.

    Raises
    ------
    ValueError
        As :func:`uplift_curve`.

    Notes
    -----
    With the notation of :func:`uplift_curve`, Radcliffe's (2007) Qini
    curve is

    .. math::

        q(k) = y_t(k) - y_c(k)\,\frac{n_t(k)}{n_c(k)},

    the treated outcomes among the targeted units minus the control
    outcomes rescaled to the same number of units: the extra outcomes
    among the *treated* targeted units. While an arm is empty the control
    term is 0 (:math:`y_c(k) = 0` if :math:`n_c(k) = 0`, and
    :math:`n_t(k) = 0` otherwise), so :math:`q(k) = y_t(k)` there, as in
    scikit-uplift. It differs from the
    uplift curve only in its scale: :math:`q(k) = u(k)\,n_t(k)/k` when both
    arms are non-empty, so with a balanced experiment it is about half the
    uplift curve. It ends at :math:`N_1(\bar Y_1 - \bar Y_0)`.

    Ties are handled as in :func:`uplift_curve`: tied units enter together,
    one point per distinct score. The random baseline is the straight line
    to the end point; the perfect curve is in :func:`perfect_qini_curve`.

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted
    lift: building and assessing uplift models. *Direct Marketing
    Analytics Journal* 1, 14--21. Shevchenko, M. and Elisova, I.
    scikit-uplift documentation, ``sklift.metrics.qini_curve``,
    https://www.uplift-modeling.com.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.5, 0.3, 0.1],
    ...                    "coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> qini_curve(df, outcome="bought", treatment="coupon",
    ...            score="score")["qini"].tolist()
    [0.0, 1.0, 2.0, 3.0, 1.5, 2.0]
    """
    return _curve("qini", df, outcome, treatment, score)


# --- evaluation: perfect curves and areas -----------------------------------

def _binary_outcome(y, outcome, what) -> None:
    if not ((y == 0) | (y == 1)).all():
        raise ValueError(
            f"outcome column {outcome!r} must be 0/1 for {what}, as in "
            "scikit-uplift (the perfect curve is defined for responders and "
            "non-responders); use normalize=False for the area between the "
            "curve and the random line, in outcome units"
        )


def _perfect_points(kind, totals, negative_effect):
    r"""The perfect curve's points ``(x, value)``.

    ``totals`` are the numbers of treated responders, treated
    non-responders, control responders and control non-responders.
    """
    tr, tn, cr, cn = totals
    # Blocks of units entering together: (treated, treated responders,
    # control, control responders).
    TR, TN, CR, CN = (tr, tr, 0, 0), (tn, 0, 0, 0), (0, 0, cr, cr), \
        (0, 0, cn, 0)
    if kind == "uplift":
        blocks = [TR, CN] + ([CR, TN] if cr > tn else [TN, CR])
    elif negative_effect:
        blocks = [TR, (tn, 0, cn, 0), CR]
    else:
        final = tr - cr * (tr + tn) / (cr + cn)
        if not final > 0:
            raise ValueError(
                "the perfect Qini curve without negative effects needs a "
                f"positive overall effect; here the Qini curve ends at "
                f"{final:.4g}. Use negative_effect=True"
            )
        n = float(tr + tn + cr + cn)
        return np.array([0.0, final, n]), np.array([0.0, final, final])
    steps = np.array([b for b in blocks if b[0] + b[2] > 0])
    n_t, y_t, n_c, y_c = np.vstack([np.zeros(4), np.cumsum(steps, 0)]).T
    return n_t + n_c, _VALUES[kind](n_t, n_c, y_t, y_c)


def _totals(n_t, y_t, y_c, x):
    """Treated and control responders and non-responders, from the end."""
    return (y_t[-1], n_t[-1] - y_t[-1], y_c[-1], x[-1] - n_t[-1] - y_c[-1])


def _perfect_curve(kind, df, outcome, treatment, negative_effect):
    t, y = _experiment_arrays(df, outcome, treatment)
    _binary_outcome(y, outcome, "a perfect curve")
    responded = y == 1
    n_treated = int(np.count_nonzero(t))
    tr = int(np.count_nonzero(responded[t == 1]))
    cr = int(np.count_nonzero(responded)) - tr
    totals = (tr, n_treated - tr, cr, len(y) - n_treated - cr)
    x, values = _perfect_points(kind, totals, negative_effect)
    return pd.DataFrame({"n": x, kind: values})


def perfect_uplift_curve(
    df: pd.DataFrame, *, outcome: str, treatment: str
) -> pd.DataFrame:
    r"""The uplift curve of an oracle that knows every unit's outcome.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment.
    outcome : str
        0/1 outcome column.
    treatment : str
        0/1 treatment column.

    Returns
    -------
    pandas.DataFrame
        Columns ``n`` (units targeted) and ``uplift``, one row for the
        origin and one per non-empty group below.

    Raises
    ------
    ValueError
        As :func:`uplift_curve`, and if the outcome is not 0/1.

    Notes
    -----
    Split the units into treated responders (TR, :math:`T = 1, Y = 1`),
    treated non-responders (TN), control responders (CR) and control
    non-responders (CN). The oracle ranks whole groups, each entering
    together as a block of ties, in the order

    .. math::

        \text{TR},\ \text{CN},\ \text{then CR, TN if } |\text{CR}| >
        |\text{TN}| \text{, else TN, CR},

    and the perfect curve is :func:`uplift_curve` of that ranking: the
    ranking scikit-uplift's ``perfect_uplift_curve`` builds, reproduced
    here so normalised areas agree with it. Why: the uplift curve is
    :math:`u(k) = k(\bar y_t - \bar y_c) \le k` for a 0/1 outcome, and
    while the targeted set holds only treated responders and control
    non-responders :math:`\bar y_t = 1` and :math:`\bar y_c = 0` (an empty
    arm's mean counting as 0), so the curve runs along the line
    :math:`u = k`, the largest value possible, up to
    :math:`k = |\text{TR}| + |\text{CN}|`. The remaining units can only
    lower it; scikit-uplift lets the larger of the two groups enter first.
    That last choice is a convention, not an optimum (for about a quarter
    of random group sizes the other order encloses a larger area), and
    the perfect curve is a reference, not an upper bound on every
    ranking's curve: on small samples, or when the treatment does harm on
    average, a score's normalised area can exceed 1.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> df = pd.DataFrame({"coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> perfect_uplift_curve(df, outcome="bought",
    ...                      treatment="coupon").to_numpy().tolist()
    [[0.0, 0.0], [3.0, 3.0], [5.0, 5.0], [6.0, 4.0]]

    Three treated responders, then two control non-responders, each
    raising the curve by 1; the control responder enters last (there is
    no treated non-responder).
    """
    return _perfect_curve("uplift", df, outcome, treatment, True)


def perfect_qini_curve(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    negative_effect: bool = True,
) -> pd.DataFrame:
    r"""The Qini curve of an oracle that knows every unit's outcome.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment.
    outcome : str
        0/1 outcome column.
    treatment : str
        0/1 treatment column.
    negative_effect : bool, default True
        Whether the oracle allows for units the treatment harms ("sleeping
        dogs"); see Notes. scikit-uplift's parameter of the same name.

    Returns
    -------
    pandas.DataFrame
        Columns ``n`` (units targeted; fractional for
        ``negative_effect=False``) and ``qini``.

    Raises
    ------
    ValueError
        As :func:`uplift_curve`; if the outcome is not 0/1; and, for
        ``negative_effect=False``, if the Qini curve does not end above 0.

    Notes
    -----
    With the groups of :func:`perfect_uplift_curve` and
    :math:`Q = y_t(N) - y_c(N) N_1 / N_0` the end point of every Qini
    curve on these data:

    * ``negative_effect=True``: the oracle ranks by
      :math:`Y` for treated units and :math:`-Y` for control units, so
      the treated responders enter first, then all non-responders together
      (a block of ties), then the control responders. Each treated
      responder adds 1 to :math:`q(k) = y_t(k)` (no control unit yet), the
      most any unit can add, so the curve rises along :math:`q = k` to
      :math:`|\text{TR}|`, stays there while non-responders enter, and
      falls to :math:`Q` as the control responders enter last.
    * ``negative_effect=False``: assuming nobody is harmed, there are
      exactly :math:`Q` persuadable units; the oracle targets them first,
      so the curve is the polygon :math:`(0, 0), (Q, Q), (N, Q)`: a rise
      of one extra outcome per unit, then flat. This needs :math:`Q > 0`.

    Both are scikit-uplift's ``perfect_qini_curve``, reproduced so
    :func:`qini_auc` agrees with ``qini_auc_score``.

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted
    lift: building and assessing uplift models. *Direct Marketing
    Analytics Journal* 1, 14--21.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> df = pd.DataFrame({"coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> perfect_qini_curve(df, outcome="bought",
    ...                    treatment="coupon")["qini"].tolist()
    [0.0, 3.0, 3.0, 2.0]
    >>> perfect_qini_curve(df, outcome="bought", treatment="coupon",
    ...                    negative_effect=False).to_numpy().tolist()
    [[0.0, 0.0], [2.0, 2.0], [6.0, 2.0]]
    """
    if not isinstance(negative_effect, (bool, np.bool_)):
        raise TypeError(
            f"negative_effect must be True or False, got {negative_effect!r}"
        )
    return _perfect_curve("qini", df, outcome, treatment,
                          bool(negative_effect))


def _area(x, values) -> float:
    """Trapezoidal area under the polygon through the points."""
    return float(np.diff(x) @ (values[1:] + values[:-1]) / 2)


def _auc(kind, df, outcome, treatment, score, normalize, negative_effect):
    s, t, y = _experiment_arrays(df, outcome, treatment, score=score)
    x, n_t, y_t, y_c, _ = _cumulate(s, t, y)
    values = _VALUES[kind](n_t, x - n_t, y_t, y_c)
    random = x[-1] * values[-1] / 2
    model = _area(x, values) - random
    if not normalize:
        return float(model)
    _binary_outcome(y, outcome, "the normalised area")
    totals = _totals(n_t, y_t, y_c, x)
    perfect = _area(*_perfect_points(kind, totals, negative_effect)) - random
    if not perfect > 0:
        raise ValueError(
            f"the perfect {kind} curve does not rise above the random line "
            f"(area {perfect:.4g}; does outcome column {outcome!r} have "
            "responders in only one arm, or none?): the normalised area is "
            "undefined"
        )
    return float(model / perfect)


def uplift_auc(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    score: str,
    normalize: bool = True,
) -> float:
    r"""Normalised area under the uplift curve (AUUC).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment.
    outcome : str
        Outcome column: 0/1 when ``normalize=True``, any numbers otherwise.
    treatment : str
        0/1 treatment column.
    score : str
        Predicted uplift; higher means "target first".
    normalize : bool, default True
        Divide by the perfect curve's area (see Notes); ``False`` returns
        the area between the curve and the random line, in outcome units
        times units.

    Returns
    -------
    float
        1 for the oracle's ranking, about 0 for a random one, negative for
        a ranking worse than random.

    Raises
    ------
    ValueError
        As :func:`uplift_curve`; if ``normalize=True`` and the outcome is
        not 0/1 or the perfect curve is not above the random line.

    Notes
    -----
    With :math:`A(\cdot)` the trapezoidal area under a curve's points
    (:math:`x` = units targeted, from 0 to :math:`N`; tied scores enter
    together as in :func:`uplift_curve`),

    .. math::

        \mathrm{AUUC} = \frac{A(\text{model}) - A(\text{random})}
                             {A(\text{perfect}) - A(\text{random})},
        \qquad A(\text{random}) = \tfrac12 N\, u(N),

    the random curve being the straight line to the common end point and
    the perfect curve :func:`perfect_uplift_curve`. This is the
    normalisation of scikit-uplift's ``uplift_auc_score``, and the numbers
    agree with it (see Diemert et al. 2021 for these metrics on a large
    benchmark). The score enters
    only through its ranking, so any strictly increasing transformation
    of it leaves the area unchanged.

    References
    ----------
    Diemert, E., Betlei, A., Renaudin, C., Amini, M.-R., Gregoir, T. and
    Rahier, T. (2021). A large scale benchmark for individual treatment
    effect prediction and uplift modeling. arXiv:2111.10106. Shevchenko,
    M. and Elisova, I. scikit-uplift documentation,
    ``sklift.metrics.uplift_auc_score``, https://www.uplift-modeling.com.
    Gutierrez, P. and Gérardy, J.-Y. (2017). Causal inference and uplift
    modelling: a review of the literature. *Proceedings of Machine
    Learning Research* 67, 1--13.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.5, 0.3, 0.1],
    ...                    "coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> auc = uplift_auc(df, outcome="bought", treatment="coupon",
    ...                  score="score")
    >>> auc  # (14.5 - 12) / (17 - 12), random area 6 * 4 / 2 = 12
    0.5
    """
    return _auc("uplift", df, outcome, treatment, score, normalize, True)


def qini_auc(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    score: str,
    normalize: bool = True,
    negative_effect: bool = True,
) -> float:
    r"""Normalised area under the Qini curve (the Qini coefficient).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment.
    outcome : str
        Outcome column: 0/1 when ``normalize=True``, any numbers otherwise.
    treatment : str
        0/1 treatment column.
    score : str
        Predicted uplift; higher means "target first".
    normalize : bool, default True
        Divide by the perfect curve's area; ``False`` returns the area
        between the Qini curve and the random line.
    negative_effect : bool, default True
        Which perfect curve to normalise by (see
        :func:`perfect_qini_curve`); scikit-uplift's parameter.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`uplift_auc`.

    Notes
    -----
    .. math::

        \mathrm{Qini} = \frac{A(\text{model}) - A(\text{random})}
                             {A(\text{perfect}) - A(\text{random})},
        \qquad A(\text{random}) = \tfrac12 N\, q(N),

    with trapezoidal areas over the points of :func:`qini_curve` and
    :func:`perfect_qini_curve`: scikit-uplift's ``qini_auc_score``.
    Radcliffe (2007) defines the unnormalised Qini coefficient as the area
    between the curve and the random line (``normalize=False``, up to his
    division by :math:`N^2` to make it a share).

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted
    lift: building and assessing uplift models. *Direct Marketing
    Analytics Journal* 1, 14--21. Shevchenko, M. and Elisova, I.
    scikit-uplift documentation, ``sklift.metrics.qini_auc_score``,
    https://www.uplift-modeling.com.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.5, 0.3, 0.1],
    ...                    "coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> qini_auc(df, outcome="bought", treatment="coupon",
    ...          score="score")  # (10 - 6) / (13 - 6)
    0.5714285714285714
    """
    if not isinstance(negative_effect, (bool, np.bool_)):
        raise TypeError(
            f"negative_effect must be True or False, got {negative_effect!r}"
        )
    return _auc("qini", df, outcome, treatment, score, normalize,
                bool(negative_effect))


# --- evaluation: uplift in the top share -------------------------------------

def _top_weights(s, share, what) -> np.ndarray:
    """Weight 1 for the top floor(share * n) scores, ties at the cut shared."""
    n = len(s)
    # Rounding first keeps 0.29 * 100 = 28.999999999999996 at 29.
    m = math.floor(round(share * n, 9))
    if m < 1:
        raise ValueError(
            f"share = {share:g} of the {n} units{what} selects none "
            f"(share * n = {share * n:.3g} < 1); increase share"
        )
    cut = np.partition(s, n - m)[n - m]  # the m-th highest score
    above = s > cut
    at = s == cut
    weights = above.astype(float)
    weights[at] = (m - np.count_nonzero(above)) / np.count_nonzero(at)
    return weights


def _selection_weights(s, treated, share, strategy):
    """Selection weights of the treated and the control units."""
    if strategy == "overall":
        w = _top_weights(s, share, "")
        return np.where(treated, w, 0.0), np.where(treated, 0.0, w)
    w_t, w_c = np.zeros(len(s)), np.zeros(len(s))
    w_t[treated] = _top_weights(s[treated], share, " in the treated arm")
    w_c[~treated] = _top_weights(s[~treated], share, " in the control arm")
    return w_t, w_c


def _weighted_mean(w, y):
    """Weighted mean and its squared standard error (NaN if sum(w) <= 1)."""
    total = w.sum()
    mean = w @ y / total
    if not total > 1:
        return mean, np.nan
    variance = w @ (y - mean) ** 2 / (total - 1)
    return mean, variance / total


def uplift_at_share(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    score: str,
    share: float = 0.3,
    strategy: str = "overall",
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Difference in mean outcomes among the top ``share`` of units by score.

    This is scikit-uplift's ``uplift_at_k``, whose ``k`` is a share of the
    units; in this library ``k`` always counts list positions, so the
    share is called ``share``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment.
    outcome : str
        Numeric outcome column.
    treatment : str
        0/1 treatment column (numbers or booleans).
    score : str
        Predicted uplift; higher means "target first" (+/-inf allowed).
    share : float, default 0.3
        Share of units targeted, in :math:`(0, 1]`; ``share=1`` gives the
        difference in means of the whole experiment.
    strategy : {"overall", "by_group"}
        ``"overall"``: take the top :math:`\lfloor sN \rfloor` units of the
        whole sample (:math:`s` the share), then compare the treated and
        control units among them. ``"by_group"``: take the top
        :math:`\lfloor s N_1 \rfloor` treated and the top
        :math:`\lfloor s N_0 \rfloor` control units separately, so both
        arms contribute the same share (scikit-uplift's two strategies).
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"uplift@30%"`` (for ``share=0.3``): :math:`\bar y_t -
        \bar y_c` among the selected units, with Neyman's standard error
        (NaN when an arm's selected weight is at most 1). ``n`` counts the
        units with positive weight, ``n_treated`` the treated among them.

    Raises
    ------
    ValueError
        As :func:`uplift_curve`; if ``share`` is not in :math:`(0, 1]` or
        selects no unit; if ``strategy`` is unknown; or if the selected
        units hold no treated or no control unit.
    TypeError
        If ``share`` is not a number.

    Notes
    -----
    With selection weights :math:`w_i`, :math:`W_1 = \sum_i w_i T_i` and
    :math:`W_0 = \sum_i w_i (1 - T_i)`,

    .. math::

        \widehat{\mathrm{uplift}}@s = \bar y_t - \bar y_c =
        \frac{\sum_i w_i T_i Y_i}{W_1} -
        \frac{\sum_i w_i (1 - T_i) Y_i}{W_0},
        \qquad
        \widehat{\mathrm{SE}}^2 = \frac{s_t^2}{W_1} + \frac{s_c^2}{W_0},

    with :math:`s_t^2 = \sum_i w_i T_i (Y_i - \bar y_t)^2 / (W_1 - 1)`
    and :math:`s_c^2` likewise: the difference in means of the selected
    units and Neyman's standard error, treating them as the randomised
    experiment they are. The selection uses the score only, so if the
    score was learned on other data the comparison is unbiased for the
    average effect of the selected units.

    For the top :math:`m` units of a set (:math:`m = \lfloor sN \rfloor`,
    or per arm), let :math:`s_{(m)}` be the :math:`m`-th highest score:
    units scoring above it have :math:`w_i = 1`, units below
    :math:`w_i = 0`. **Ties at the cut:** if :math:`a` units score above
    :math:`s_{(m)}` and :math:`b` units score exactly :math:`s_{(m)}`, the
    tied units cannot be ranked, so each gets
    :math:`w_i = (m - a)/b`: the :math:`m - a` remaining places are shared
    equally among them (the sums are the averages over every order of the
    tied units). The result does not depend on row order, and exactly
    :math:`m` units are counted. scikit-uplift instead breaks such ties by
    row order; without ties at the cut the point estimates agree.
    :math:`m` is :math:`sN` rounded down (after rounding :math:`sN` to 9
    decimals, so that ``0.29 * 100`` counts as 29).

    References
    ----------
    Shevchenko, M. and Elisova, I. scikit-uplift documentation,
    ``sklift.metrics.uplift_at_k``, https://www.uplift-modeling.com.

    See :ref:`ch-upl`.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.5, 0.3, 0.1],
    ...                    "coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> est = uplift_at_share(df, outcome="bought", treatment="coupon",
    ...                       score="score", share=5/6)
    >>> est.estimate  # top 5: 3/3 - 1/2
    0.5
    >>> est.std_error  # sqrt(0/3 + 0.5/2)
    0.5

    With ``share = 1/3`` the two users tied at 0.8 share the second place,
    half a unit each:

    >>> uplift_at_share(df, outcome="bought", treatment="coupon",
    ...                 score="score", share=1/3).estimate
    1.0

    That is :math:`(1 + 0.5) / 1.5 - 0 / 0.5`.
    """
    s, t, y = _experiment_arrays(df, outcome, treatment, score=score)
    share = _checks.check_share(share, "share")
    alpha = _checks.check_alpha(alpha)
    if strategy not in ("overall", "by_group"):
        raise ValueError(
            f"strategy must be 'overall' or 'by_group', got {strategy!r}"
        )
    w_t, w_c = _selection_weights(s, t == 1, share, strategy)
    for weight, name in ((w_t, "treated (1)"), (w_c, "control (0)")):
        if not weight.sum() > 0:
            raise ValueError(
                f"treatment column {treatment!r} has no {name} unit among "
                f"the top share = {share:g} of units by score {score!r}; "
                "increase share or use strategy='by_group'"
            )
    (mean_t, var_t), (mean_c, var_c) = (_weighted_mean(w_t, y),
                                        _weighted_mean(w_c, y))
    return EffectEstimate.from_normal(
        f"uplift@{100 * share:.4g}%",
        mean_t - mean_c,
        np.sqrt(var_t + var_c),
        n=np.count_nonzero(w_t + w_c),
        n_treated=np.count_nonzero(w_t),
        method=(f"difference in means among the top {share:.4g} by "
                f"{score!r} ({strategy}), Neyman SE"),
        alpha=alpha,
    )


# The meta-learners live in causal_lib.metalearners; kept importable from
# here for compatibility.
from causal_lib.metalearners import (  # noqa: E402
    DRLearner,
    SLearner,
    TLearner,
    XLearner,
)
