"""Build helpers for the book: offline MathJax and chapter notebooks.

Loaded by Sphinx as a local extension (see ``_config.yml``). The notebooks
themselves are made by ``coursework`` (also run by ``make notebooks``).

It does four things:

* re-executes every chapter when the library, the build helpers or the
  configuration changed (see "Stale pages" below);
* serves MathJax 3 from the site itself, copied at build time from the
  installed ``django-static-mathjax`` package, so math renders offline;
* writes each chapter as plain Jupyter notebooks (``coursework``): the
  full chapter, a student edition with stubs and an answer key;
* puts links to both notebooks at the top of every chapter page.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from coursework import write_notebooks

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
    box = (
        "\n\n```{admonition} Run this chapter yourself\n"
        ":class: tip run-this-chapter\n"
        f'Download it as a notebook: <a class="nb-full" '
        f'href="{up}{NOTEBOOK_DIR}/full/{name}" download>full chapter</a> '
        f'or <a class="nb-student" '
        f'href="{up}{NOTEBOOK_DIR}/student/{name}" download>student '
        "edition</a> (solutions replaced by stubs). It needs `causal_lib`: "
        "see the preface for the one-command set-up.\n```\n"
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
    chapters = [
        Path(app.env.doc2path(doc)) for doc in sorted(app.env.found_docs)
    ]
    chapters = [p for p in chapters if p.suffix == ".md" and is_chapter(p)]
    executed = Path(app.outdir).parent / "jupyter_execute"
    # The answer key stays off the site: instructors make it locally.
    write_notebooks(chapters, Path(app.outdir) / NOTEBOOK_DIR, executed,
                    editions=("full", "student"))


def setup(app):
    app.add_config_value("booktools_watch", WATCH, "env")
    app.connect("env-get-outdated", _outdated_by_watch)
    app.connect("build-finished", _store_fingerprint)
    app.connect("builder-inited", _setup_mathjax)
    app.connect("source-read", _link_notebooks)
    app.connect("html-page-context", _drop_thebe)
    app.connect("build-finished", _write_site_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
