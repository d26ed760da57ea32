"""Real data sets ship inside installed packages, match published numbers."""

from __future__ import annotations

import pytest

from causal_lib.datasets import load_nsw


def test_nsw_experimental_sample_and_benchmark():
    nsw = load_nsw()
    assert nsw.shape == (445, 10)
    assert nsw["treat"].value_counts().to_dict() == {0: 260, 1: 185}
    means = nsw.groupby("treat")["re78"].mean()
    # Dehejia and Wahba (1999), Table 3: experimental estimate $1,794.
    assert means[1] - means[0] == pytest.approx(1794, abs=1)
    assert not nsw.isna().any().any()


def test_nsw_cps_controls():
    cps = load_nsw("cps")
    assert cps["treat"].value_counts().to_dict() == {0: 15_992, 1: 185}
    assert list(cps.columns) == list(load_nsw().columns)


def test_fresh_copy_each_call():
    a = load_nsw()
    a.loc[0, "re78"] = -1.0
    assert load_nsw().loc[0, "re78"] != -1.0


def test_bad_controls():
    with pytest.raises(ValueError, match="controls must be"):
        load_nsw("psid")
