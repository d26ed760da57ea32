"""EffectEstimate and the shared plotting helpers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from causal_lib import EffectEstimate  # noqa: E402
from causal_lib.plotting import (  # noqa: E402
    TRUTH_COLOR,
    plot_estimates,
    use_book_style,
)


def make(estimate=1.0, se=0.5, **kw):
    return EffectEstimate.from_normal(
        "ATT", estimate, se, n=10, n_treated=4, method="m", **kw
    )


def test_from_normal_interval_and_fields():
    est = make()
    assert est.conf_int() == pytest.approx((1 - 0.98, 1 + 0.98), abs=1e-3)
    assert est.covers(1.9) and not est.covers(2.0)
    row = est.summary()
    assert list(row.columns) == [
        "estimand", "estimate", "std_error", "ci_low", "ci_high", "alpha",
        "n", "n_treated", "method",
    ]
    assert len(row) == 1


def test_text_and_html():
    est = make(alpha=0.1)
    assert "90% CI" in str(est) and "ATT" in str(est)
    html = est._repr_html_()
    assert "<table" in html and "90% CI" in html


def test_html_escapes_method():
    est = EffectEstimate.from_normal(
        "ATE", 0, 1, n=2, n_treated=1, method="<b>x</b>"
    )
    assert "<b>x</b>" not in est._repr_html_()


def test_plot_draws_interval_and_truth():
    use_book_style()
    ax = plot_estimates([make(), make(2.0)], labels=["a", "b"], truth=1.5)
    truth_lines = [ln for ln in ax.get_lines()
                   if ln.get_color() == TRUTH_COLOR]
    assert len(truth_lines) == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    plt.close("all")


def test_plot_label_count_must_match():
    with pytest.raises(ValueError, match="one entry per estimate"):
        plot_estimates([make()], labels=["a", "b"])
    plt.close("all")
