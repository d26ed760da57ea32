"""The whole book builds with -W, offline, with both notebook editions."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = [pytest.mark.book]


def pages(site):
    return sorted(site.rglob("*.html"))


def test_every_chapter_page_exists(built_site):
    from conftest import chapter_paths

    for path in chapter_paths():
        assert (built_site / "book" / f"{path.stem}.html").exists()


def test_mathjax_is_served_from_the_site(built_site):
    assert (built_site / "_static" / "mathjax" / "tex-chtml.js").exists()
    fonts = built_site / "_static" / "mathjax" / "output" / "chtml" / "fonts"
    assert any(fonts.rglob("*.woff"))
    loaders = set()
    for page in pages(built_site):
        for src in re.findall(r'<script[^>]*src="([^"]*)"', page.read_text()):
            if "mathjax" in src.lower():
                loaders.add(re.sub(r"^(\.\./)+|\?.*$", "", src))
    assert loaders == {"_static/mathjax/tex-chtml.js"}


def test_no_page_references_another_origin(built_site):
    remote = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")
    for page in pages(built_site):
        html = page.read_text()
        # Links a reader clicks are fine; resources the page loads are not.
        for tag in re.findall(r"<(?:script|link|img|iframe)[^>]*>", html):
            assert not remote.search(tag), f"{page.name}: {tag}"


def test_both_notebook_editions_for_every_chapter(built_site):
    from conftest import chapter_paths

    for path in chapter_paths():
        for edition in ("full", "student"):
            nb = built_site / "notebooks" / edition / f"{path.stem}.ipynb"
            cells = json.loads(nb.read_text())["cells"]
            assert cells, nb
        page = (built_site / "book" / f"{path.stem}.html").read_text()
        assert f"../notebooks/student/{path.stem}.ipynb" in page
        assert f"../notebooks/full/{path.stem}.ipynb" in page
    assert (built_site / "notebooks" / "student-notebooks.zip").exists()


def test_site_is_lean(built_site):
    size = sum(p.stat().st_size for p in built_site.rglob("*") if p.is_file())
    assert size < 40e6, f"site is {size / 1e6:.0f} MB"
