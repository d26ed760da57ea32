r"""The book's figure style and the plots several chapters share.

One style for every figure: the Okabe--Ito colour-blind-safe palette,
readable font sizes, light grids. Call :func:`use_book_style` once at the
top of a chapter.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from causal_lib.estimate import EffectEstimate

#: Okabe & Ito (2008) colours, distinguishable with common colour-vision
#: deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: Colours with fixed meanings across the book.
TRUTH_COLOR = PALETTE["vermillion"]
TREATED_COLOR = PALETTE["blue"]
CONTROL_COLOR = PALETTE["orange"]

_STYLE = {
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE.values())),
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}


def use_book_style() -> None:
    """Apply the book's matplotlib style to every later figure."""
    mpl.rcParams.update(_STYLE)


def plot_estimates(
    estimates: Sequence[EffectEstimate],
    *,
    labels: Sequence[str] | None = None,
    truth: float | None = None,
    ax: plt.Axes | None = None,
    xlabel: str = "estimated effect",
    truth_label: str | None = None,
) -> plt.Axes:
    r"""Dot-and-interval plot of several estimates, with the true value.

    Parameters
    ----------
    estimates : sequence of EffectEstimate
        Drawn top to bottom in the given order.
    labels : sequence of str, optional
        One per estimate; defaults to each estimate's ``method``.
    truth : float, optional
        The true effect, drawn as a vertical line when known.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    xlabel : str
        Label of the horizontal axis, with units.
    truth_label : str, optional
        Legend text for the true value; by default "true value = ..." with
        the value rounded to four significant digits.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> est = EffectEstimate.from_normal(
    ...     "ATE", 1.0, 0.2, n=10, n_treated=5, method="demo")
    >>> ax = plot_estimates([est], truth=1.1)
    >>> len(ax.get_yticks())
    1
    >>> plt.close("all")
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 0.6 + 0.55 * len(estimates)))
    labels = list(labels) if labels is not None else [
        e.method for e in estimates
    ]
    if len(labels) != len(estimates):
        raise ValueError("labels must have one entry per estimate")
    y = np.arange(len(estimates))[::-1]
    for yi, est in zip(y, estimates):
        ax.plot([est.ci_low, est.ci_high], [yi, yi],
                color=PALETTE["blue"], lw=2.5, solid_capstyle="butt")
        ax.plot(est.estimate, yi, "o", color=PALETTE["blue"], ms=7)
    if truth is not None:
        if truth_label is None:
            truth_label = f"true value = {truth:,.4g}" if abs(truth) < 1e4 \
                else f"true value = {truth:,.0f}"
        ax.axvline(truth, color=TRUTH_COLOR, ls="--", lw=1.5,
                   label=truth_label)
        ax.legend(loc="best")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(estimates) - 0.4)
    level = round(100 * (1 - estimates[0].alpha)) if estimates else 95
    ax.set_xlabel(f"{xlabel} (dot: estimate, bar: {level}% interval)")
    ax.grid(axis="y", visible=False)
    return ax


def plot_overlap(
    df,
    *,
    treatment: str,
    propensity,
    ax: plt.Axes | None = None,
    bins=20,
) -> plt.Axes:
    r"""Mirrored histograms of the propensity score in the two arms.

    Treated units are drawn above the axis, controls below it, on a
    common set of bins, so a stretch of scores where one arm has units and
    the other has none is a visible gap: a region without overlap.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        0/1 treatment column.
    propensity : str or pandas.Series
        A column of ``df``, or scores with ``df``'s index (such as
        :func:`causal_lib.propensity_score`'s output).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    bins : int or sequence of float, default 20
        Number of equal-width bins on [0, 1], or the bin edges.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        For a missing column, a treatment that is not 0/1, an empty arm,
        or propensities that are NaN or outside [0, 1].

    Notes
    -----
    Bar heights are counts of units. Identification of the ATE needs
    :math:`0 < e(x) < 1` for every :math:`x` (the ATT only
    :math:`e(x) < 1`); bins holding units of one arm only are where the
    other arm's outcomes must be extrapolated. See
    :func:`causal_lib.matching.trim_by_propensity`.

    See chapter 5 of the book.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 1, 0, 0, 0],
    ...                    "e": [0.7, 0.8, 0.2, 0.3, 0.75]})
    >>> ax = plot_overlap(df, treatment="t", propensity="e", bins=10)
    >>> len(ax.patches)  # 10 bars per arm
    20
    >>> plt.close("all")
    """
    from matplotlib.ticker import FuncFormatter

    from causal_lib import _checks
    from causal_lib.matching import _column_or_values

    _checks.require_frame(df)
    _checks.require_columns(df, treatment=treatment)
    t = _checks.binary_column(df, treatment, "treatment")
    _checks.check_arms(np.bincount(t, minlength=2), treatment)
    e = _column_or_values(df, propensity, "propensity")
    if ((e < 0) | (e > 1)).any():
        name = propensity if isinstance(propensity, str) else "propensity"
        raise ValueError(f"propensity {name!r} has values outside [0, 1]")
    edges = np.histogram_bin_edges(e, bins=bins, range=(0.0, 1.0))
    if ax is None:
        _, ax = plt.subplots()
    for arm, sign, color, label in ((1, 1, TREATED_COLOR, "treated"),
                                    (0, -1, CONTROL_COLOR, "control")):
        counts, _ = np.histogram(e[t == arm], bins=edges)
        ax.bar(edges[:-1], sign * counts, width=np.diff(edges),
               align="edge", color=color, alpha=0.85,
               label=f"{label} (n = {int((t == arm).sum()):,})")
    ax.axhline(0, color=PALETTE["black"], lw=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):g}"))
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("propensity score")
    ax.set_ylabel("units (treated up, control down)")
    ax.legend(loc="best")
    return ax


def plot_balance(
    table,
    *,
    ax: plt.Axes | None = None,
    threshold: float = 0.1,
) -> plt.Axes:
    r"""Love plot: standardised mean differences before and after.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`causal_lib.matching.balance_table`: column
        ``smd`` and, if weights were given, ``weighted_smd``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    threshold : float, default 0.1
        Half-width of the shaded band :math:`|\mathrm{SMD}| \le`
        ``threshold`` commonly read as balance.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``table`` has no ``smd`` column or ``threshold`` is not
        positive.

    Notes
    -----
    One row per covariate, in the table's order from the top. Hollow
    dots are the unadjusted SMDs, filled dots the weighted (matched) ones.
    The SMD is in pooled standard deviations of the unweighted sample, so
    the two are comparable.

    See chapter 5 of the book.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"smd": [0.5, -0.3],
    ...                       "weighted_smd": [0.05, 0.02]},
    ...                      index=["visits", "past_purchases"])
    >>> ax = plot_balance(table)
    >>> len(ax.collections)  # unadjusted and weighted dots
    2
    >>> plt.close("all")
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or "smd" not in table.columns:
        raise ValueError(
            "table must be a balance_table() DataFrame with column 'smd'"
        )
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 1.2 + 0.35 * len(table)))
    y = np.arange(len(table))[::-1]
    ax.axvspan(-threshold, threshold, color=PALETTE["green"], alpha=0.15,
               lw=0, label=f"|SMD| < {threshold:g}")
    ax.axvline(0, color=PALETTE["black"], lw=0.8)
    ax.scatter(table["smd"], y, s=40, facecolors="none",
               edgecolors=PALETTE["black"], label="unadjusted", zorder=3)
    if "weighted_smd" in table.columns:
        ax.scatter(table["weighted_smd"], y, s=40, color=PALETTE["blue"],
                   label="weighted", zorder=3)
    ax.set_yticks(y, [str(label) for label in table.index])
    ax.set_ylim(-0.6, len(table) - 0.4)
    ax.set_xlabel("standardised mean difference (treated - control, SDs)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="best")
    return ax


def _draw_uplift_curves(ax, df, columns, kind, curve_of, named, areas):
    """One curve per ``(score, colour, label)``; returns the end point.

    ``areas`` is ``(area function, its name, its keyword arguments)``, to
    give each score's normalised area in the legend, or ``None``.
    """
    for column, color, label in named:
        points = curve_of(df, **columns, score=column)
        if areas is not None:
            area_of, area_name, extra = areas
            area = area_of(df, **columns, score=column, **extra)
            label = f"{label} ({area_name} {area:.2f})"
        shown = points.iloc[np.unique(np.linspace(
            0, len(points) - 1, min(len(points), 2000)).astype(int))]
        ax.plot(shown["n"], shown[kind], color=color, lw=2, label=label)
    return points.iloc[-1]


def plot_uplift_curve(
    df,
    *,
    outcome: str,
    treatment: str,
    score,
    kind: str = "uplift",
    truth: str | None = None,
    negative_effect: bool = True,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    r"""Uplift or Qini curves of one or more scores, with both baselines.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit of a randomised experiment.
    outcome : str
        Outcome column; the perfect curve and the normalised areas in the
        legend need it to be 0/1.
    treatment : str
        0/1 treatment column.
    score : str or sequence of str
        Column(s) of predicted uplift, one curve each (for instance one per
        meta-learner).
    kind : {"uplift", "qini"}
        :func:`causal_lib.uplift.uplift_curve` or
        :func:`causal_lib.uplift.qini_curve`.
    truth : str, optional
        Column of true individual effects (known in simulations), drawn in
        the book's truth colour as the curve of the ranking by true effect.
    negative_effect : bool, default True
        Which perfect Qini curve to draw (see
        :func:`causal_lib.uplift.perfect_qini_curve`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        For an unknown ``kind``, no score, and every input error of
        :func:`causal_lib.uplift.uplift_curve`.

    Notes
    -----
    The horizontal axis is the number of units targeted, highest score
    first (units with tied scores enter together); the vertical axis the
    curve, in units of the outcome. The dashed line is the random
    baseline, from the origin to the common end point; the dotted curve
    is the perfect ranking's (drawn for a 0/1 outcome only). The legend
    gives each score's normalised area, :func:`causal_lib.uplift.uplift_auc`
    or :func:`causal_lib.uplift.qini_auc`, when the outcome is 0/1. Curves
    with more than 2,000 points are drawn through 2,000 of them (the
    areas use all points).

    See chapter 8 of the book.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.5, 0.3, 0.1],
    ...                    "coupon": [1, 0, 1, 1, 0, 0],
    ...                    "bought": [1, 0, 1, 1, 1, 0]})
    >>> ax = plot_uplift_curve(df, outcome="bought", treatment="coupon",
    ...                        score="score")
    >>> [line.get_label() for line in ax.get_lines()]
    ['score (AUUC 0.50)', 'random', 'perfect']
    >>> plt.close("all")
    """
    from causal_lib import uplift

    kinds = {
        "uplift": (uplift.uplift_curve, uplift.uplift_auc, "AUUC"),
        "qini": (uplift.qini_curve, uplift.qini_auc, "Qini"),
    }
    if kind not in kinds:
        raise ValueError(f"kind must be 'uplift' or 'qini', got {kind!r}")
    curve_of, area_of, area_name = kinds[kind]
    scores = [score] if isinstance(score, str) else list(score)
    if not scores:
        raise ValueError("score is empty; give at least one column")
    columns = dict(outcome=outcome, treatment=treatment)
    extra = {"negative_effect": negative_effect} if kind == "qini" else {}
    binary = df[outcome].isin([0, 1]).all() if outcome in df else False
    if ax is None:
        _, ax = plt.subplots()
    # Orange comes late: it is hard to tell from the truth's vermillion.
    colors = [PALETTE[c] for c in ("blue", "green", "purple", "sky",
                                   "orange", "yellow")]
    named = [(s, colors[i % len(colors)], s) for i, s in enumerate(scores)]
    if truth is not None:
        named.append((truth, TRUTH_COLOR, "ranked by true effect"))
    areas = (area_of, area_name, extra) if binary else None
    end = _draw_uplift_curves(ax, df, columns, kind, curve_of, named, areas)
    ax.plot([0, end["n"]], [0, end[kind]], color=PALETTE["black"], ls="--",
            lw=1.2, label="random")
    if binary:
        perfect = (uplift.perfect_uplift_curve(df, **columns)
                   if kind == "uplift" else
                   uplift.perfect_qini_curve(df, **columns, **extra))
        ax.plot(perfect["n"], perfect[kind], color=PALETTE["black"],
                ls=":", lw=1.5, label="perfect")
    ax.set_xlabel("units targeted, highest score first")
    ax.set_ylabel(f"incremental {outcome} ({kind} curve)")
    ax.legend(loc="best")
    return ax
