"""The whole book builds with -W, offline, with both notebook editions."""

from __future__ import annotations

import json
import re

import pytest

from conftest import MYST_HEADER

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
    assert not (built_site / "notebooks" / "answers").exists()  # key: local


def test_site_is_lean(built_site):
    size = sum(p.stat().st_size for p in built_site.rglob("*") if p.is_file())
    assert size < 40e6, f"site is {size / 1e6:.0f} MB"


# --- stale pages: a change to the library re-executes every chapter -------

_CHAPTER = MYST_HEADER + """\

# Chapter {name}

```{{code-cell}} ipython3
import tinymod

with open("runs.log", "a") as log:
    print("{name}", tinymod.VALUE, file=log)
```
"""


def _tiny_book(root):
    root.mkdir()
    ext = __import__("conftest").ROOT / "book" / "_ext"
    (root / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ext)!r})\n"
        "extensions = ['myst_nb', 'booktools']\n"
        "nb_execution_mode = 'force'\n"
        "nb_execution_raise_on_error = True\n"
        "booktools_watch = ['lib/*.py']\n"
        "booktools_notebooks = False  # no zip: tinymod is no package\n"
        "exclude_patterns = ['lib']\n"
    )
    (root / "index.md").write_text(
        "# Tiny book\n\n```{toctree}\nch_a\nch_b\n```\n")
    for name in ("a", "b"):
        (root / f"ch_{name}.md").write_text(_CHAPTER.format(name=name))
    (root / "lib").mkdir()
    (root / "lib" / "tinymod.py").write_text("VALUE = 1\n")


def _build_and_count_runs(root):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(root / "lib"))
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
         "-q", str(root), str(root.parent / "build" / "html")],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    log = root / "runs.log"
    runs = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return sorted(runs)


def test_library_change_re_executes_every_chapter(tmp_path):
    tmp_path = tmp_path / "book"
    _tiny_book(tmp_path)
    assert _build_and_count_runs(tmp_path) == ["a 1", "b 1"]
    assert _build_and_count_runs(tmp_path) == []  # nothing changed
    (tmp_path / "lib" / "tinymod.py").write_text("VALUE = 2\n")
    assert _build_and_count_runs(tmp_path) == ["a 2", "b 2"]
    (tmp_path / "lib" / "helper.py").write_text("")  # a new library file
    assert _build_and_count_runs(tmp_path) == ["a 2", "b 2"]
