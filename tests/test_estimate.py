"""EffectEstimate and the shared plotting helpers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

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


# --- intervals at other levels -----------------------------------------------

def test_conf_int_default_and_stored_alpha_give_the_stored_interval():
    est = make(alpha=0.1)
    assert est.conf_int() == (est.ci_low, est.ci_high)
    assert est.conf_int(alpha=0.1) == (est.ci_low, est.ci_high)
    assert est.conf_int(0.1) == est.conf_int()


def test_conf_int_at_another_level_is_the_normal_interval():
    est = make(estimate=1.0, se=0.5)  # stored at 95%
    for alpha in (0.01, 0.1, 0.2, 0.5):
        z = stats.norm.ppf(1 - alpha / 2)
        low, high = est.conf_int(alpha=alpha)
        assert low == pytest.approx(1.0 - 0.5 * z, rel=1e-12)
        assert high == pytest.approx(1.0 + 0.5 * z, rel=1e-12)
        # ... which is the interval from_normal stores at that level.
        assert (low, high) == pytest.approx(
            make(alpha=alpha).conf_int(), rel=1e-12)
    # Hand-computed: z_0.95 = 1.6449, z_0.995 = 2.5758.
    assert est.conf_int(0.1) == pytest.approx((0.17757, 1.82243), abs=1e-5)
    assert est.conf_int(0.01) == pytest.approx((-0.28791, 2.28791),
                                               abs=1e-5)


def test_conf_int_at_the_stored_level_agrees_with_the_formula():
    # Returned from storage, but equal to the normal interval recomputed
    # from estimate and std_error at the stored alpha.
    for alpha in (0.05, 0.1, 0.32):
        est = make(estimate=-2.0, se=0.3, alpha=alpha)
        z = stats.norm.ppf(1 - alpha / 2)
        assert est.conf_int(alpha) == pytest.approx(
            (-2.0 - 0.3 * z, -2.0 + 0.3 * z), rel=1e-12)


def test_conf_int_narrows_as_alpha_grows():
    est = make()
    widths = [np.diff(est.conf_int(a))[0] for a in (0.01, 0.05, 0.2, 0.5)]
    assert widths == sorted(widths, reverse=True)


def test_conf_int_rejects_bad_alpha():
    est = make()
    for bad in (0, 1, -0.1, 1.5, np.nan):
        with pytest.raises(ValueError, match="alpha must lie"):
            est.conf_int(alpha=bad)
    for bad in ("5%", True):
        with pytest.raises(TypeError, match="alpha must be a number"):
            est.conf_int(alpha=bad)


# --- estimates without a binary treatment ------------------------------------

def policy_value():
    return EffectEstimate.from_normal(
        "policy value", 0.12, 0.01, n=500, n_treated=None, method="IPS")


def test_n_treated_none():
    value = policy_value()
    assert value.n_treated is None
    text = str(value)
    assert "policy value = 0.12" in text and "n = 500" in text
    html = value._repr_html_()
    assert "<th>n</th>" in html and "<td>500</td>" in html
    assert "treated" not in html and "None" not in html
    treated_html = make()._repr_html_()
    assert "<th>n (treated)</th>" in treated_html
    assert "<td>10 (4)</td>" in treated_html


def test_summary_stacks_with_and_without_n_treated():
    rows = pd.concat([make().summary(), policy_value().summary()],
                     ignore_index=True)
    assert str(rows["n_treated"].dtype) == "Int64"
    assert rows["n_treated"].iloc[0] == 4
    assert rows["n_treated"].isna().tolist() == [False, True]
    assert rows["n"].tolist() == [10, 500]
    assert policy_value().summary().loc[0, "n_treated"] is pd.NA


# --- the fields are checked --------------------------------------------------

GOOD = {"estimand": "ATE", "estimate": 1.0, "std_error": 0.5,
        "ci_low": 0.0, "ci_high": 2.0, "alpha": 0.05, "n": 10,
        "n_treated": 4, "method": "m"}


@pytest.mark.parametrize("field, bad, error, message", [
    ("estimand", None, TypeError, "estimand must be a string"),
    ("method", 3, TypeError, "method must be a string"),
    ("estimate", "1.0", TypeError, "estimate must be a number"),
    ("std_error", None, TypeError, "std_error must be a number"),
    ("ci_low", True, TypeError, "ci_low must be a number"),
    ("std_error", -0.1, ValueError, "std_error must be non-negative"),
    ("ci_low", 3.0, ValueError, r"ci_low \(3.0\) is above ci_high"),
    ("alpha", 1.0, ValueError, "alpha must lie"),
    ("alpha", "0.05", TypeError, "alpha must be a number"),
    ("n", 0, ValueError, "n must be at least 1"),
    ("n", 10.0, TypeError, "n must be an integer"),
    ("n_treated", -1, ValueError, "n_treated must be at least 0"),
    ("n_treated", 4.5, TypeError, "n_treated must be an integer"),
])
def test_fields_are_checked(field, bad, error, message):
    with pytest.raises(error, match=message):
        EffectEstimate(**{**GOOD, field: bad})


def test_from_normal_checks_its_arguments():
    with pytest.raises(ValueError, match="alpha must lie"):
        make(alpha=0.0)
    with pytest.raises(ValueError, match="std_error must be non-negative"):
        make(se=-1.0)
    with pytest.raises(TypeError, match="n_treated must be an integer"):
        EffectEstimate.from_normal("ATE", 1.0, 0.5, n=10, n_treated="4",
                                   method="m")
    with pytest.raises(ValueError, match="n must be at least 1"):
        EffectEstimate.from_normal("ATE", 1.0, 0.5, n=0, n_treated=0,
                                   method="m")


def test_nan_standard_error_is_allowed():
    # Some estimators have no standard error in degenerate cases.
    est = EffectEstimate(**{**GOOD, "std_error": np.nan,
                            "ci_low": np.nan, "ci_high": np.nan})
    assert not est.covers(1.0)
    assert all(np.isnan(est.conf_int(0.1)))
