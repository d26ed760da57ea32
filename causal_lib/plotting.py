r"""The book's figure style and the plots several chapters share.

One style for every figure: the Okabe--Ito colour-blind-safe palette,
readable font sizes, light grids. Call :func:`use_book_style` once at the
top of a chapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from causal_lib.dag import DAG
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

    See :ref:`ch-conf`.

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
    from causal_lib._checks import column_or_values as _column_or_values

    _checks.require_frame(df)
    _checks.require_columns(df, treatment=treatment)
    t = _checks.binary_column(df, treatment, "treatment")
    _checks.check_arms(np.bincount(t, minlength=2), treatment)
    e = _column_or_values(df, propensity, "propensity")
    name = propensity if isinstance(propensity, str) else "propensity"
    e = _checks.probability_values(e, f"propensity {name!r}")
    if not isinstance(bins, str) and np.ndim(bins) == 0:
        bins = _checks.check_count(bins, "bins", limit=10_000)
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

    See :ref:`ch-conf`.

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

    See :ref:`ch-upl`.

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


# --- causal graphs -----------------------------------------------------------

# Inches per unit of layout: layers are 1.6 in apart, rows 0.9 in.
_INCH_X, _INCH_Y = 1.6, 0.9
_DAG_FONT_SIZE = 11


def dag_layout(dag: DAG) -> dict:
    r"""Default node positions for :func:`draw_dag`: layers, left to right.

    Each node sits one layer to the right of its latest parent (nodes
    without parents move right, next to their earliest child), and the
    nodes of a layer are ordered by the mean height of their neighbours,
    which untangles most crossings.

    Parameters
    ----------
    dag : causal_lib.dag.DAG

    Returns
    -------
    dict
        Node to ``(x, y)``.

    Examples
    --------
    >>> dag_layout(DAG("X -> T -> Y; X -> Y"))
    {'X': (0.0, 0.0), 'T': (1.0, 0.0), 'Y': (2.0, 0.0)}
    """
    _check_dag(dag)
    layer = {}
    for node in dag.topological_order:
        ps = dag.parents(node)
        layer[node] = 1 + max(layer[p] for p in ps) if ps else 0
    for node in reversed(dag.topological_order):
        children = dag.children(node)
        if not dag.parents(node) and children:
            layer[node] = min(layer[c] for c in children) - 1
    depth = max(layer.values(), default=-1) + 1
    rows = [[v for v in dag.nodes if layer[v] == i] for i in range(depth)]
    height = {}

    def place():
        for row in rows:
            for i, v in enumerate(row):
                height[v] = (len(row) - 1) / 2 - i

    def barycentre(v):
        # Sorting a layer by its nodes' mean neighbour height (highest
        # first) pulls connected nodes level, which removes crossings.
        near = [height[u] for u in (*dag.parents(v), *dag.children(v))
                if layer[u] != layer[v]]
        return -float(np.mean(near)) if near else -height[v]

    place()
    for sweep in range(4):
        # Alternate directions so that parents and children both pull.
        for row in (rows if sweep % 2 == 0 else rows[::-1]):
            row.sort(key=barycentre)
            place()
    return {v: (float(layer[v]), height[v]) for v in dag.nodes}


def draw_dag(dag: DAG, ax: plt.Axes | None = None, pos=None, *,
             labels=None, node_colors=None, edge_colors=None,
             latent=()) -> plt.Axes:
    r"""Draw a causal graph with matplotlib (no Graphviz needed).

    Nodes are rounded boxes, arrows are clipped at the boxes' outlines and
    bend where a straight arrow would cross another box.

    Parameters
    ----------
    dag : causal_lib.dag.DAG
        The graph; ``dag.draw(...)`` calls this function.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the graph if omitted.
    pos : mapping, optional
        Node to ``(x, y)``; defaults to :func:`dag_layout`.
    labels : mapping, optional
        Node to the text shown (default: the node's name).
    node_colors : mapping, optional
        Node to a fill colour (default: white).
    edge_colors : mapping, optional
        ``(parent, child)`` to a line colour (default: dark grey).
    latent : node or iterable of nodes, default ()
        Unobserved nodes, drawn with a dashed outline; the arrows out of
        them are dashed too.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``pos`` misses a node or ``latent`` names an unknown node.

    Notes
    -----
    See :ref:`ch-dag`.

    Examples
    --------
    >>> ax = draw_dag(DAG("X -> T; X -> Y; T -> Y"), latent="X")
    >>> sorted(t.get_text() for t in ax.texts if t.get_text())
    ['T', 'X', 'Y']
    >>> plt.close("all")
    """
    _check_dag(dag)
    pos = dag_layout(dag) if pos is None else dict(pos)
    missing = [v for v in dag.nodes if v not in pos]
    if missing:
        raise ValueError(
            f"pos has no position for {missing[0]!r}; give every node an "
            "(x, y) or leave pos out"
        )
    hidden = _latent_nodes(dag, latent)
    text = {v: str((labels or {}).get(v, v)) for v in dag.nodes}
    half = {v: _box_half_size(text[v]) for v in dag.nodes}
    scale = _inches_per_unit(ax, [pos[v] for v in dag.nodes])
    bends = {e: _bend(*e, pos, half, scale) for e in dag.edges}
    xlim, ylim = _dag_limits(pos, half, bends, scale)
    if ax is None:
        fig, ax = plt.subplots(figsize=(
            min((xlim[1] - xlim[0]) * _INCH_X, 12),
            min((ylim[1] - ylim[0]) * _INCH_Y, 9),
        ))
        fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    node_colors = dict(node_colors or {})
    boxes = {}
    for v in dag.nodes:
        boxes[v] = ax.text(
            *pos[v], text[v], ha="center", va="center",
            zorder=3, fontsize=_DAG_FONT_SIZE,
            bbox=dict(boxstyle="round,pad=0.4",
                      fc=node_colors.get(v, "white"), ec="0.2",
                      lw=1.2, ls="--" if v in hidden else "-"),
        )
    edge_colors = dict(edge_colors or {})
    for parent, child in dag.edges:
        _draw_arrow(ax, boxes[parent], boxes[child], bends[(parent, child)],
                    color=edge_colors.get((parent, child), "0.25"),
                    dashed=parent in hidden)
    return ax


def _check_dag(dag) -> None:
    if not isinstance(dag, DAG):
        raise TypeError(
            f"dag must be a causal_lib.dag.DAG, got {type(dag).__name__}; "
            "build one with DAG('X -> T; X -> Y; T -> Y')"
        )


def _latent_nodes(dag: DAG, latent) -> frozenset:
    """``latent`` (a node or an iterable of nodes) as a checked set."""
    if latent in dag:
        return frozenset([latent])
    if isinstance(latent, str) or not isinstance(latent, Iterable):
        latent = [latent]
    for node in latent:
        if node not in dag:
            raise ValueError(
                f"unknown node {node!r} in latent; the graph's nodes are "
                f"{', '.join(map(repr, dag.nodes[:12]))}"
            )
    return frozenset(latent)


def _inches_per_unit(ax, points) -> tuple[float, float]:
    """Inches per unit of layout along x and y on ``ax`` (or a new one)."""
    if ax is None:
        return _INCH_X, _INCH_Y
    box = ax.get_position()
    width, height = ax.figure.get_size_inches()
    span_x = np.ptp([x for x, _ in points] or [0]) + 1
    span_y = np.ptp([y for _, y in points] or [0]) + 1
    return box.width * width / span_x, box.height * height / span_y


def _dag_limits(pos, half, bends, scale) -> tuple[tuple, tuple]:
    """Axis limits that hold every box and every curved arrow."""
    xs, ys = [0.0], [0.0]
    if half:
        xs = [pos[v][0] + s * (w + 0.1) / scale[0]
              for v, (w, _) in half.items() for s in (-1, 1)]
        ys = [pos[v][1] + s * (h + 0.1) / scale[1]
              for v, (_, h) in half.items() for s in (-1, 1)]
    for (parent, child), rad in bends.items():
        px, py = _arc(pos[parent], pos[child], rad, scale)
        xs.extend(px / scale[0])
        ys.extend(py / scale[1])
    return (min(xs), max(xs)), (min(ys) - 0.05, max(ys) + 0.05)


def _draw_arrow(ax, start, end, rad, *, color, dashed) -> None:
    """An arrow between two node boxes (text artists), bent by ``rad``."""
    ax.annotate(
        "", xy=end.get_position(), xytext=start.get_position(), zorder=4,
        arrowprops=dict(
            arrowstyle="-|>", mutation_scale=14, lw=1.4,
            ls="--" if dashed else "-", color=color, shrinkA=3, shrinkB=3,
            # Clip the arrow at the two boxes' outlines.
            patchA=start.get_bbox_patch(), patchB=end.get_bbox_patch(),
            connectionstyle=f"arc3,rad={rad}",
        ),
    )


def _box_half_size(label: str) -> tuple[float, float]:
    """Approximate half width and height, in inches, of a node's box."""
    lines = label.split("\n")
    em = _DAG_FONT_SIZE / 72
    pad = 0.4 * em
    width = 0.6 * em * max(len(line) for line in lines) + 2 * pad
    height = 1.2 * em * len(lines) + 2 * pad
    return width / 2, height / 2


def _arc(start, end, rad, scale) -> tuple[np.ndarray, np.ndarray]:
    """Points, in inches, along matplotlib's arc3 curve from start to end.

    arc3 is a quadratic Bezier curve whose control point sits ``rad``
    times the chord's length off the chord's midpoint.
    """
    sx, sy = scale
    x0, y0, x1, y1 = start[0] * sx, start[1] * sy, end[0] * sx, end[1] * sy
    cx = (x0 + x1) / 2 + rad * (y1 - y0)
    cy = (y0 + y1) / 2 - rad * (x1 - x0)
    t = np.linspace(0.08, 0.92, 22)
    px = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t ** 2 * x1
    py = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t ** 2 * y1
    return px, py


def _bend(parent, child, pos, half, scale) -> float:
    """The arc3 curvature that keeps an arrow clear of the other boxes.

    Straight if possible, else the gentlest bend (either side) whose curve
    crosses the fewest boxes; computed in inches so it matches the screen.
    """
    sx, sy = scale
    others = [
        (pos[v][0] * sx, pos[v][1] * sy, *half[v])
        for v in pos if v not in (parent, child) and v in half
    ]
    best, fewest = 0.0, None
    for rad in (0.0, 0.2, -0.2, 0.35, -0.35, 0.5, -0.5):
        px, py = _arc(pos[parent], pos[child], rad, scale)
        hits = sum(
            bool(np.any((abs(px - ox) < hw + 0.05)
                        & (abs(py - oy) < hh + 0.05)))
            for ox, oy, hw, hh in others
        )
        if fewest is None or hits < fewest:
            best, fewest = rad, hits
        if hits == 0:
            break
    return best


# --- launches over time (chapter 12) ----------------------------------------

def _band(ax, x, low, high, color, label=None) -> None:
    ax.fill_between(x, low, high, color=color, alpha=0.2, lw=0, label=label)


def plot_causal_impact(result, *, truth=None, axes=None,
                       ylabel: str = "outcome", xlabel: str = "time"):
    r"""The three panels of a Causal Impact analysis.

    Top: the observed series and the model's prediction (one step ahead
    before the intervention, the counterfactual forecast after it) with
    its interval. Middle: the pointwise effect. Bottom: the cumulative
    effect over the post-period. A dashed line marks the start.

    Parameters
    ----------
    result : causal_lib.timeseries.CausalImpactResult
        What :func:`causal_lib.timeseries.causal_impact` returned.
    truth : array-like, optional
        The true pointwise effect, one value per row of ``result.path``
        (0 before the intervention), drawn in the truth colour in the
        middle and bottom panels.
    axes : sequence of three matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    ylabel, xlabel : str
        Labels of the outcome, with units, and of the time axis. Dates on
        the time axis are labelled concisely.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes

    See :ref:`ch-time`.

    Examples
    --------
    >>> import pandas as pd
    >>> from causal_lib.timeseries import causal_impact
    >>> rng = np.random.default_rng(1)
    >>> x = 10 + np.cumsum(rng.normal(size=40))
    >>> df = pd.DataFrame({"y": 2 * x + rng.normal(size=40), "x": x})
    >>> res = causal_impact(df, outcome="y", controls=["x"],
    ...                     pre_period=(0, 29), post_period=(30, 39))
    >>> axes = plot_causal_impact(res)
    >>> len(axes)
    3
    >>> plt.close("all")
    """
    path = result.path
    if axes is None:
        _, axes = plt.subplots(3, 1, figsize=(7.5, 7.5), sharex=True)
    axes = np.asarray(axes)
    x = path.index
    post = (path["period"] == "post").to_numpy()
    level = round(100 * (1 - result.alpha))
    top, middle, bottom = axes
    top.plot(x, path["observed"], color=PALETTE["black"], lw=1.2,
             label="observed")
    top.plot(x, path["predicted"], color=PALETTE["blue"], ls="--", lw=1.2,
             label="prediction without the launch")
    _band(top, x, path["predicted_low"], path["predicted_high"],
          PALETTE["blue"], f"{level}% interval")
    middle.plot(x, path["effect"], color=PALETTE["blue"], ls="--", lw=1.2,
                label="estimated effect")
    _band(middle, x, path["effect_low"], path["effect_high"],
          PALETTE["blue"])
    bottom.plot(x[post], path["cumulative"][post], color=PALETTE["blue"],
                ls="--", lw=1.2, label="estimated cumulative effect")
    _band(bottom, x[post], path["cumulative_low"][post],
          path["cumulative_high"][post], PALETTE["blue"])
    if truth is not None:
        truth = np.asarray(truth, dtype=float)
        if truth.shape != (len(path),):
            raise ValueError(
                f"truth must hold one value per row of result.path "
                f"({len(path)}), got shape {truth.shape}")
        middle.plot(x, truth, color=TRUTH_COLOR, lw=1.5,
                    label="true effect")
        bottom.plot(x[post], np.cumsum(truth[post]), color=TRUTH_COLOR,
                    lw=1.5, label="true cumulative effect")
    start = x[post][0]
    for ax, label in zip(axes, (ylabel, "pointwise effect",
                                "cumulative effect")):
        ax.axvline(start, color=PALETTE["black"], ls=":", lw=1)
        ax.set_ylabel(label)
        ax.legend(loc="upper left", fontsize=9)
    top.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=9,
               ncols=3)
    for ax in (middle, bottom):
        ax.axhline(0, color="0.3", lw=0.8)
    _steady_limits(path, top, middle)
    _time_axis(bottom, x, xlabel)
    return axes


def _steady_limits(path, top, middle) -> None:
    """Keep the first predictions, whose intervals are huge while the
    filter learns the level and the coefficients, out of the y-range."""
    width = path["predicted_high"] - path["predicted_low"]
    steady = (width <= 3 * width.median()).to_numpy()
    for ax, low, high, also in (
            (top, "predicted_low", "predicted_high", path["observed"]),
            (middle, "effect_low", "effect_high", np.zeros(1))):
        lo = min(path[low][steady].min(), np.min(also))
        hi = max(path[high][steady].max(), np.max(also))
        pad = 0.08 * (hi - lo)
        ax.set_ylim(lo - pad, hi + pad)


def _time_axis(ax, x, xlabel: str) -> None:
    """Concise date labels for dates, whole numbers for periods."""
    import matplotlib.dates as mdates
    import pandas as pd
    from matplotlib.ticker import MaxNLocator

    if isinstance(x, pd.DatetimeIndex):
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    elif pd.api.types.is_integer_dtype(x):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)


def plot_event_study(table, *, truth=None, ax: plt.Axes | None = None,
                     ylabel: str = "effect",
                     xlabel: str = "periods since the start"):
    r"""Event-study coefficients with their intervals, by relative period.

    Parameters
    ----------
    table : pandas.DataFrame
        What :func:`causal_lib.panel.event_study` returned.
    truth : pandas.Series or dict, optional
        The true effect by relative period, drawn in the truth colour.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    ylabel, xlabel : str
        Axis labels, with units.

    Returns
    -------
    matplotlib.axes.Axes

    See :ref:`ch-time`.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"estimate": [0.1, 0.0, 1.0],
    ...                       "ci_low": [-0.2, np.nan, 0.6],
    ...                       "ci_high": [0.4, np.nan, 1.4]},
    ...                      index=[-2, -1, 0])
    >>> ax = plot_event_study(table, truth={-2: 0, -1: 0, 0: 1})
    >>> plt.close("all")
    """
    if ax is None:
        _, ax = plt.subplots()
    k = table.index.to_numpy()
    est = table["estimate"].to_numpy()
    err = np.vstack([est - table["ci_low"], table["ci_high"] - est])
    ax.errorbar(k, est, yerr=np.nan_to_num(err), fmt="o",
                color=PALETTE["blue"], capsize=3,
                label="estimate and interval")
    if truth is not None:
        truth = _series(truth)
        ax.plot(truth.index, truth.to_numpy(), "D", color=TRUTH_COLOR,
                ms=5, label="true effect")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.axvline(-0.5, color=PALETTE["black"], ls=":", lw=1)
    _time_axis(ax, table.index, xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left")
    return ax


def _series(values):
    """A dict or Series as a Series (for the truth arguments)."""
    import pandas as pd

    return values if isinstance(values, pd.Series) else pd.Series(values)


def plot_synthetic_control(result, *, truth=None, axes=None,
                           ylabel: str = "outcome", xlabel: str = "period"):
    r"""Treated unit against its synthetic control, and the gap against
    the placebo gaps.

    Parameters
    ----------
    result : causal_lib.panel.SyntheticControlResult
        What :func:`causal_lib.panel.synthetic_control` returned.
    truth : pandas.Series, optional
        The true effect by period, drawn on the gap panel.
    axes : sequence of two matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    ylabel, xlabel : str
        Labels of the outcome, with units, and of the periods.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes

    See :ref:`ch-time`.
    """
    path = result.path
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    left, right = np.asarray(axes)
    left.plot(path.index, path["treated"], color=PALETTE["black"],
              label="treated unit")
    left.plot(path.index, path["synthetic"], color=PALETTE["blue"],
              ls="--", label="synthetic control")
    if result.gaps is not None:  # the first column is the treated unit
        placebo = result.gaps.iloc[:, 1:]
        for i, c in enumerate(placebo.columns):
            right.plot(placebo.index, placebo[c], color="0.75", lw=0.8,
                       label="placebo units" if i == 0 else None)
    right.plot(path.index, path["gap"], color=PALETTE["black"], lw=1.8,
               label="treated unit")
    if truth is not None:
        truth = _series(truth)
        right.plot(truth.index, truth.to_numpy(), color=TRUTH_COLOR,
                   lw=1.5, ls="--", label="true effect")
    start = path.index[(path["period"] == "post").to_numpy()][0]
    for ax, label in ((left, ylabel), (right, "gap: treated - synthetic")):
        ax.axvline(start, color=PALETTE["black"], ls=":", lw=1)
        ax.set_ylabel(label)
        ax.legend(loc="upper left", fontsize=9)
        _time_axis(ax, path.index, xlabel)
    right.axhline(0, color="0.3", lw=0.8)
    return np.asarray(axes)
