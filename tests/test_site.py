"""Site options, built on a tiny book: solutions, repository, polish.

Each option changes what the built HTML holds, so each test builds a
two-page book (the front page and one chapter with an exercise) with the
book's own configuration and build helpers, and reads the HTML.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess

import jupytext
import pytest
import yaml

from conftest import BIN, MYST_HEADER, ROOT, chapter_paths
import booktools

pytestmark = [pytest.mark.book]

URL = "https://github.com/example-org/causal-recsys"

_CHAPTER = MYST_HEADER + """\

(ch-tiny)=
# A tiny chapter

The effect is $\\tau = \\frac{1}{2}$ and

$$
\\hat\\tau = \\bar Y_1 - \\bar Y_0 .
$$

```{code-cell} ipython3
:tags: [hide-cell]
import math
```

```{code-cell} ipython3
effect = 0.5
```

```{exercise}
:label: ex-tiny

Double the effect.
```

```{solution-start} ex-tiny
:class: dropdown
```

The SOLUTION-TEXT doubles it:

```{code-cell} ipython3
solution_value = 2 * effect
solution_value
```

```{solution-end}
```

Later text, after the solution, reads `effect` only.

```{code-cell} ipython3
effect + 1
```
"""


def _tiny_book(root, url=""):
    """A two-page copy of the book: front page, one chapter."""
    (root / "book" / "figures").mkdir(parents=True)
    (root / "book" / "_ext").symlink_to(ROOT / "book" / "_ext")
    for name in ("figures/favicon.svg", "references.bib"):
        shutil.copy(ROOT / "book" / name, root / "book" / name)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = url
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\n"
        "chapters:\n  - file: book/tiny\n")
    (root / "book" / "index.md").write_text(
        "# Tiny book\n\n{{ report_error }}\n\n```{tableofcontents}\n```\n")
    (root / "book" / "tiny.md").write_text(_CHAPTER)


def build_tiny(tmp_path, name, *, url="", solutions="fold"):
    """Build a tiny book with -W; return its html/ folder."""
    src = tmp_path / f"{name}-src"
    _tiny_book(src, url)
    env = dict(os.environ, BOOK_SOLUTIONS=solutions)
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(src),
         "--path-output", str(tmp_path / name), "--warningiserror",
         "--keep-going"],
        capture_output=True, text=True, env=env, cwd=src,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0 and "build succeeded" in log, log[-6000:]
    return tmp_path / name / "_build" / "html"


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The tiny book built twice: as is, and a student site with a URL.

    (Two builds, not three, to save a minute: the options are independent.)
    """
    tmp = tmp_path_factory.mktemp("sites")
    student = build_tiny(tmp, "student", url=URL, solutions="hide")
    return {"default": build_tiny(tmp, "default"), "student": student,
            "url": student}


def chapter(site):
    return (site / "book" / "tiny.html").read_text()


# --- without solutions ------------------------------------------------------

def test_without_solutions_removes_the_whole_block():
    text = (
        "```{exercise}\n:label: e\nDo it.\n```\n\n"
        "```{solution-start} e\n:class: dropdown\n```\n\nWords.\n\n"
        "```{code-cell} ipython3\nx = 1\n```\n\n"
        "```{solution-end}\n```\n\nAfter.\n"
    )
    assert booktools.without_solutions(text) == (
        "```{exercise}\n:label: e\nDo it.\n```\n\n\nAfter.\n")


def _names(source):
    """Names a code cell binds and names it reads (magics left out)."""
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    stores, loads = set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (stores if isinstance(node.ctx, ast.Store) else loads).add(
                node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0]
                          for a in node.names)
    return stores, loads


def solution_dependencies(path):
    """Names a non-solution cell reads that only a solution defines."""
    nb = jupytext.read(path, fmt="md:myst")
    in_solution, solution_names, defined, needed = False, set(), set(), []
    for cell in nb.cells:
        if cell.cell_type != "code":
            for line in cell.source.splitlines():
                if booktools.SOLUTION_START.match(line):
                    in_solution = True
                elif booktools.SOLUTION_END.match(line):
                    in_solution = False
            continue
        stores, loads = _names(cell.source)
        if in_solution:
            solution_names |= stores - defined
        else:
            needed += sorted(loads & solution_names - defined)
            defined |= stores
    return needed


def test_solution_dependencies_are_found(tmp_path):
    path = tmp_path / "ch.md"
    path.write_text(_CHAPTER + "\n```{code-cell} ipython3\n"
                    "print(solution_value)\n```\n")
    assert solution_dependencies(path) == ["solution_value"]
    path.write_text(_CHAPTER)
    assert solution_dependencies(path) == []


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.stem)
def test_no_chapter_needs_its_solutions(path):
    # The student site and notebooks drop the solutions, so a later cell
    # that reads a solution's variable would fail there.
    assert solution_dependencies(path) == []


def test_student_site_has_no_solutions(sites):
    page = chapter(sites["student"])
    assert "Double the effect" in page  # the exercise stays
    assert "Later text" in page  # and what follows the solution
    for text in ("SOLUTION-TEXT", "solution_value", 'class="solution'):
        assert text not in page
    assert "nb-full" not in page and "nb-student" in page
    for path in sites["student"].rglob("*"):
        if path.is_file() and path.suffix != ".zip":
            text = path.read_bytes()
            assert b"SOLUTION-TEXT" not in text, path
            assert b"solution_value" not in text, path
    notebooks = sites["student"] / "notebooks"
    assert not (notebooks / "full").exists()
    assert (notebooks / "student" / "tiny.ipynb").exists()


def test_default_site_folds_solutions(sites):
    page = chapter(sites["default"])
    solution = re.search(r'<div class="solution dropdown[^"]*"'
                         r'.*?SOLUTION-TEXT', page, re.S)
    assert solution, "the solution is not in a folded dropdown"
    assert "solution_value" in page and "nb-full" in page


# --- repository, launch buttons, errata -----------------------------------

def test_repository_buttons_exactly_when_the_url_is_set(sites):
    with_url, without = chapter(sites["url"]), chapter(sites["default"])
    binder = ("https://mybinder.org/v2/gh/example-org/causal-recsys/main"
              "?urlpath=lab/tree/book/tiny.md")
    colab = ("https://colab.research.google.com/github/example-org/"
             "causal-recsys/blob/main/book/tiny.md")
    for link in (f'href="{URL}"', f'href="{URL}/issues', binder, colab):
        assert link in with_url, link
    for text in ("example-org", "mybinder", "colab", "github.com"):
        assert text not in without.lower(), text


def test_errata_pointer_follows_the_url(sites):
    front = (sites["url"] / "book" / "index.html").read_text()
    assert f'href="{URL}/issues"' in front
    front = (sites["default"] / "book" / "index.html").read_text()
    assert "Found a mistake? Please tell the authors" in front


def test_favicon_is_served(sites):
    page = chapter(sites["default"])
    assert 'rel="icon" href="../_static/favicon.svg"' in page
    assert (sites["default"] / "_static" / "favicon.svg").exists()


# --- in chromium: download menu, print, search ------------------------------

@pytest.fixture(scope="module")
def default_page(sites):
    """The tiny chapter, open in chromium, served over 127.0.0.1."""
    from test_browser import CHROMIUM, FLAGS, serve

    if CHROMIUM is None:
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with serve(sites["default"]) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and
                errors.append(m.text))
        page.goto(f"{url}/book/tiny.html", wait_until="load")
        yield page, url, errors
        browser.close()


@pytest.mark.browser
def test_tiny_pages_have_no_console_errors(default_page):
    page, url, errors = default_page
    page.goto(f"{url}/book/index.html", wait_until="load")
    page.goto(f"{url}/book/tiny.html", wait_until="load")
    assert errors == []


@pytest.mark.browser
def test_download_menu_offers_the_notebooks(default_page):
    page, url, _ = default_page
    page.locator(".dropdown-download-buttons button").first.click()
    for edition in ("full", "student"):
        link = page.locator(f"a.btn-download-{edition}-notebook")
        link.wait_for(state="visible", timeout=5_000)
        assert link.inner_text().strip() == f".ipynb ({edition})"
        target = page.url.rsplit("/", 1)[0] + "/" + link.get_attribute(
            "href")
        assert "cells" in page.request.get(target).json()


@pytest.mark.browser
def test_printing_unfolds_the_solutions(default_page):
    page, _, _ = default_page
    body = page.locator("div.solution #solution-content")
    button = page.locator("div.solution button.toggle-button")
    setup = page.locator("details.hide").first
    page.emulate_media(media="screen")
    assert not body.is_visible() and button.is_visible()
    assert setup.is_visible()
    page.emulate_media(media="print")
    assert body.is_visible() and not button.is_visible()
    assert not setup.is_visible()  # no "Show code cell content" on paper
    page.emulate_media(media="screen")


@pytest.mark.browser
def test_search_snippets_show_no_tex_delimiters(default_page):
    page, url, _ = default_page
    page.goto(f"{url}/search.html?q=effect", wait_until="load")
    snippets = page.locator("#search-results p.context")
    snippets.first.wait_for(timeout=20_000)
    text = " ".join(snippets.all_inner_texts())
    assert "\\(" not in text and "\\frac" not in text
    assert "τ = (1)/(2)" in text and "τ\u0302 = Y\u0304_1" in text
    cases = {
        r"\(\hat{\tau}_{\text{ATE}}\)": "τ\u0302_ATE",
        r"\[\mathbb{E}[Y(1) - Y(0)]\]": "E[Y(1) - Y(0)]",
        r"\(\frac{a}{b} \le \sqrt{2}\)": "(a)/(b) ≤ √2",
    }
    for tex, shown in cases.items():
        assert page.evaluate("t => Search.plainMath(t)", tex) == shown
