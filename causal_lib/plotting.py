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
        ax.axvline(truth, color=TRUTH_COLOR, ls="--", lw=1.5,
                   label=f"true value = {truth:.3g}")
        ax.legend(loc="best")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(estimates) - 0.4)
    level = round(100 * (1 - estimates[0].alpha)) if estimates else 95
    ax.set_xlabel(f"{xlabel} (dot: estimate, bar: {level}% interval)")
    ax.grid(axis="y", visible=False)
    return ax
