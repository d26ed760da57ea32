"""Build helpers for the book: offline MathJax and chapter notebooks.

Loaded by Sphinx as a local extension (see ``_config.yml``). The notebooks
themselves are made by ``coursework`` (also run by ``make notebooks``).

It does five things:

* re-executes every chapter when the library, the build helpers or the
  configuration changed (see "Stale pages" below);
* serves MathJax 3 from the site itself, copied at build time from the
  installed ``django-static-mathjax`` package, so math renders offline;
* writes each chapter as plain Jupyter notebooks (``coursework``): the
  full chapter, a student edition with stubs and an answer key;
* puts links to both notebooks at the top of every chapter page;
* sets the site's options (see "site options" below): the student site
  without solutions, the repository and launch buttons, the one-page
  build ``make pdf`` prints, print rules and readable search snippets.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from coursework import (
    SOLUTION_END, SOLUTION_START, WHEEL_INPUTS, write_notebooks,
)

NOTEBOOK_DIR = "notebooks"
# Parts of MathJax's es5 build that the CommonHTML TeX renderer loads.
_MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "ui", "a11y"]
_TITLE = re.compile(r"^# \S", re.M)
# Files whose change can change any executed page, relative to the book's
# root (absolute globs work too); the config value ``booktools_watch``.
WATCH = [
    "causal_lib/**/*.py",
    "book/_ext/*.py",
    "_config.yml",
    "_toc.yml",
    "requirements.lock",
]
_FINGERPRINT = "booktools-watch.sha256"


# --- chapters and their notebooks ------------------------------------------

def is_notebook(path: Path) -> bool:
    """A MyST notebook: a Markdown file with code cells."""
    return path.suffix == ".md" and "```{code-cell}" in path.read_text(
        encoding="utf-8"
    )


def is_guide(text: str) -> bool:
    """A page whose front matter says ``kind: guide`` (the course guide).

    A guide computes its tables, so it is executed and tested like a
    chapter, but it is front matter: no chapter template, no notebooks.
    """
    import yaml

    end = text.find("\n---\n", 3)
    if not text.startswith("---\n") or end < 0:
        return False
    meta = yaml.safe_load(text[4:end])
    return isinstance(meta, dict) and meta.get("kind") == "guide"


def is_chapter(path: Path) -> bool:
    """A chapter is a MyST notebook that is not a guide."""
    return is_notebook(path) and not is_guide(
        path.read_text(encoding="utf-8")
    )


def toc_notebooks(root: Path) -> list[Path]:
    """The MyST notebooks in ``root/_toc.yml`` (chapters and guides)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [p for p in (root / f"{f}.md" for f in files) if is_notebook(p)]


def toc_chapters(root: Path) -> list[Path]:
    """The chapters listed in ``root/_toc.yml``, in reading order."""
    return [p for p in toc_notebooks(root) if is_chapter(p)]


# --- stale pages -------------------------------------------------------------
# Sphinx re-reads (and myst-nb re-executes) only the documents whose source
# changed, so an edit to causal_lib alone re-executed nothing. The hooks
# below keep a fingerprint of the watched files next to the doctrees: when
# it differs from the last successful build's, every document is re-read.

def watched_files(root: str | Path, patterns: list[str]) -> list[Path]:
    """The files matched by ``patterns`` under ``root``, sorted."""
    found = set()
    for pattern in patterns:
        for name in glob.glob(os.path.join(root, pattern), recursive=True):
            path = Path(name)
            if path.is_file() and "__pycache__" not in path.parts:
                found.add(path.resolve())
    return sorted(found)


def fingerprint(root: str | Path, patterns: list[str]) -> str:
    """A hash of the names and contents of the watched files."""
    digest = hashlib.sha256()
    for path in watched_files(root, patterns):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _outdated_by_watch(app, env, added, changed, removed) -> list[str]:
    now = fingerprint(app.srcdir, app.config.booktools_watch)
    app.booktools_fingerprint = now
    stored = Path(app.doctreedir) / _FINGERPRINT
    before = stored.read_text() if stored.exists() else None
    if before == now:
        return []
    return sorted(env.found_docs)


def _store_fingerprint(app, exception) -> None:
    # Stored only after a clean build: one that failed (or warned, which
    # -W turns into a failure) re-executes everything next time.
    now = getattr(app, "booktools_fingerprint", None)
    if exception is None and now and not getattr(app, "_warncount", 0):
        (Path(app.doctreedir) / _FINGERPRINT).write_text(now)


# --- Sphinx hooks -----------------------------------------------------------

def _setup_mathjax(app) -> None:
    import mathjax  # the django-static-mathjax package, no Django needed

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    staging = Path(tempfile.mkdtemp(prefix="mathjax-")) / "mathjax"
    for part in _MATHJAX_PARTS:
        source = es5 / part
        target = staging / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    app.config.html_static_path.append(str(staging.parent))
    app.config.mathjax_path = "mathjax/tex-chtml.js"


def _link_notebooks(app, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))
    text = source[0]
    if "```{code-cell}" not in text or is_guide(text):
        return
    title = _TITLE.search(text)
    if title is None:
        return
    up = "../" * docname.count("/")
    name = path.stem + ".ipynb"
    full = (
        f'<a class="nb-full" href="{up}{NOTEBOOK_DIR}/full/{name}" '
        "download>full chapter</a> or "
    )
    if "full" not in chapter_editions(app):
        full = ""  # the student site publishes no solutions
    box = (
        "\n\n```{admonition} Run this chapter yourself\n"
        ":class: tip run-this-chapter\n"
        f"Download it as a notebook: {full}<a class=\"nb-student\" "
        f'href="{up}{NOTEBOOK_DIR}/student/{name}" download>student '
        "edition</a> (solutions replaced by stubs). Its code needs the "
        "book's library, `causal_lib`: the <a class=\"nb-zip\" "
        f'href="{up}{NOTEBOOK_DIR}/student-notebooks.zip" download>'
        "students' zip</a> holds every student notebook, causal_lib's "
        "wheel, the pinned requirements and a README with the two "
        "commands that install them and open JupyterLab.\n```\n"
    )
    end = text.index("\n", title.start()) if "\n" in text[title.start():] \
        else len(text)
    source[0] = text[:end] + box + text[end:]


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    # Jupyter Book 1 always loads sphinx-thebe, which registers its scripts
    # twice (a redeclaration error in every page's console) and points at a
    # CDN. The book is read offline and run locally, so thebe is left out.
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [s for s in scripts if not _is_thebe(s)]


def _is_thebe(script) -> bool:
    name = str(getattr(script, "filename", script) or "")
    body = getattr(script, "attributes", {}).get("body", "")
    return "thebe" in name.lower() or "THEBE" in body


def _write_site_notebooks(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    if not app.config.booktools_notebooks:
        return  # a book without downloadable notebooks (the tests' own)
    chapters = [
        Path(app.env.doc2path(doc)) for doc in sorted(app.env.found_docs)
    ]
    chapters = [p for p in chapters if p.suffix == ".md" and is_chapter(p)]
    executed = Path(app.outdir).parent / "jupyter_execute"
    out = Path(app.outdir) / NOTEBOOK_DIR
    # The site offers what its readers may see: never the answer key (the
    # instructors make it locally), no full edition on the student site.
    editions = chapter_editions(app)
    made = [out / edition / f"{path.stem}.ipynb" for edition in editions
            for path in chapters] + [out / "student-notebooks.zip"]
    sources = [*chapters, *executed.rglob("*.ipynb"),
               *watched_files(app.srcdir, app.config.booktools_watch),
               *(Path(app.srcdir) / name for name in WHEEL_INPUTS)]
    # A rebuild with nothing changed spent 9.7 s of its 12.2 s rewriting
    # the same notebooks (bench_book: target 10 s).
    if not up_to_date(made, sources):
        write_notebooks(chapters, out, executed, editions=editions)


def up_to_date(made: list[Path], sources: list[Path]) -> bool:
    """Whether every file in ``made`` exists and is newer than every one
    of ``sources`` that exists (make's rule)."""
    if not all(path.exists() for path in made):
        return False
    newest = max((path.stat().st_mtime_ns for path in sources
                  if path.exists()), default=0)
    return newest < min(path.stat().st_mtime_ns for path in made)


# --- site options: solutions, repository, PDF, polish ----------------------
# Everything a reader of the site sees beyond the chapters themselves. The
# options come from _config.yml (``repository: url``) or from the
# environment (``BOOK_SOLUTIONS=hide``, set by ``make book SOLUTIONS=hide``).

SOLUTIONS = ("fold", "hide")
# Launch services switched on when the repository URL is set.
LAUNCH_URLS = {
    "binderhub_url": "https://mybinder.org",
    "colab_url": "https://colab.research.google.com",
}
_STATIC = Path(__file__).resolve().parent / "static"
_NO_URL_ERRATA = (
    "Found a mistake? Please tell the authors, or your instructor, naming "
    "the page and the paragraph."
)


def without_solutions(text: str) -> str:
    """``text`` without its ``{solution-start}``...``{solution-end}`` blocks.

    The block goes from the ``{solution-start}`` fence to the fence that
    closes ``{solution-end}``, the solution's code cells included; the
    exercise's statement stays.
    """
    kept, skipping, closing = [], False, False
    for line in text.splitlines(keepends=True):
        if closing:
            closing = False
            if line.strip() == "```":
                continue
        if SOLUTION_START.match(line):
            skipping = True
        elif skipping and SOLUTION_END.match(line):
            skipping, closing = False, True
        elif not skipping:
            kept.append(line)
    return "".join(kept)


def errata_text(url: str) -> str:
    """The preface's "report an error" sentence, in Markdown."""
    if not url:
        return _NO_URL_ERRATA
    issues = url.rstrip("/") + "/issues"
    return (
        f"Found a mistake? Please [report it in the book's issue tracker]"
        f"({issues}), naming the page and the paragraph."
    )


def _site_options(app, config) -> None:
    choice = config.booktools_solutions
    if choice not in SOLUTIONS:
        from sphinx.errors import ConfigError

        raise ConfigError(
            f"booktools_solutions (BOOK_SOLUTIONS) is {choice!r}; "
            f"use one of {SOLUTIONS}"
        )
    config.hide_solutions = choice == "hide"  # sphinx-exercise's option
    if choice == "hide":
        # Sphinx copies each page's source, solutions and all, to _sources.
        config.html_copy_source = False
    url = ""
    if config.html_theme == "sphinx_book_theme":  # other themes warn
        url = _repository_buttons(config.html_theme_options)
    if "myst_substitutions" in config:
        subs = dict(config.myst_substitutions or {})
        subs["report_error"] = errata_text(url)
        config.myst_substitutions = subs


def _repository_buttons(opts: dict) -> str:
    # jupyter-book copies repository.url to the theme's repository_url.
    url = (opts.get("repository_url") or "").strip()
    opts["repository_url"] = url
    for button in ("use_repository_button", "use_issues_button"):
        opts[button] = bool(url)
    launch = opts.setdefault("launch_buttons", {})
    for key, default in LAUNCH_URLS.items():
        launch[key] = (launch.get(key) or default) if url else ""
    return url


def _drop_solutions(app, docname: str, source: list[str]) -> None:
    if app.config.booktools_solutions == "hide":
        source[0] = without_solutions(source[0])


def _add_static(app) -> None:
    # Print rules (solutions unfolded on paper), readable search snippets.
    app.config.html_static_path.append(str(_STATIC))
    app.add_css_file("booktools.css")
    app.add_js_file("booktools.js", loading_method="defer")


def chapter_editions(app) -> tuple[str, ...]:
    """The notebook editions the site offers: no full one without solutions."""
    if app.config.booktools_solutions == "hide":
        return ("student",)
    return ("full", "student")


def _offer_notebooks(app, pagename, templatename, context, doctree) -> None:
    # The theme's download menu offers the page's .md and a print-to-PDF;
    # readers want the notebook, which _write_site_notebooks puts on the site.
    groups = [b for b in context.get("header_buttons", [])
              if b.get("label") == "download-buttons"]
    if not groups or pagename not in app.env.found_docs:
        return
    if not is_chapter(Path(app.env.doc2path(pagename))):
        return
    stem = Path(pagename).name
    dropped = {"download-notebook-button"}
    if not context.get("sourcename"):
        dropped.add("download-source-button")  # no _sources to link
    buttons = [b for b in groups[0]["buttons"]
               if b.get("label") not in dropped]
    offers = []
    for edition in chapter_editions(app):
        url = context["pathto"](f"{NOTEBOOK_DIR}/{edition}/{stem}.ipynb", 1)
        offers.append({
            "type": "link", "url": url, "text": f".ipynb ({edition})",
            "icon": "fas fa-code", "label": f"download-{edition}-notebook",
            "tooltip": f"Download the {edition} notebook",
        })
    groups[0]["buttons"] = offers + buttons


def _borrow_html_handlers(app) -> None:
    # jupyter-book's pdfhtml builds one page with the singlehtml builder.
    # Sphinx gives a builder the node handlers registered under its name
    # and falls back to its format ("html") only when there are none;
    # sphinx-exercise registers some for singlehtml, so the html-only ones
    # (sphinx-jupyterbook-latex's HiddenCellNode...) went missing.
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, pair in handlers.get("html", {}).items():
        single.setdefault(name, pair)


def _single_page_root(app, exception) -> None:
    # jupyter-book #2204: with the root document in book/, singlehtml
    # writes the whole book to book/index.html, but links its _static and
    # _images as if the page were at the top, so the page jupyter-book
    # prints has no styles, math or figures. A copy at the top fixes those;
    # the links written by hand relative to a chapter (``../notebooks``)
    # are rebased for it.
    if exception is not None or app.builder.name != "singlehtml":
        return
    root = app.config.root_doc
    depth = root.count("/")
    if not depth:
        return
    page = Path(app.outdir) / f"{root}.html"
    html = page.read_text(encoding="utf-8")
    html = re.sub(r'((?:href|src|data)=")(?:\.\./){%d}' % depth,
                  r"\1", html)
    (Path(app.outdir) / "index.html").write_text(html, encoding="utf-8")


def setup(app):
    app.add_config_value("booktools_watch", WATCH, "env")
    app.add_config_value("booktools_notebooks", True, "env")
    app.connect("env-get-outdated", _outdated_by_watch)
    app.connect("build-finished", _store_fingerprint)
    app.connect("builder-inited", _setup_mathjax)
    app.connect("source-read", _link_notebooks)
    app.connect("html-page-context", _drop_thebe)
    app.connect("build-finished", _write_site_notebooks)
    # site options
    app.add_config_value(
        "booktools_solutions", os.environ.get("BOOK_SOLUTIONS", "fold"),
        "env",
    )
    app.connect("config-inited", _site_options)
    app.connect("source-read", _drop_solutions, priority=400)
    app.connect("builder-inited", _add_static)
    app.connect("builder-inited", _borrow_html_handlers)
    app.connect("html-page-context", _offer_notebooks, priority=502)
    app.connect("build-finished", _single_page_root)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
