"""Shared fixtures: paths and the built book (built once per test session)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import booktools  # noqa: E402

# The front matter of a MyST notebook, for the tiny books and chapters
# the tests write.
MYST_HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

BIN = Path(sys.executable).parent

# Property tests are reproducible: the "ci" profile, loaded by default,
# derandomizes hypothesis (the examples follow from each test's code, so a
# run fails on every machine or on none), keeps no example database and
# prints the blob that replays a failure (@reproduce_failure). To search
# afresh with random examples, set HYPOTHESIS_PROFILE=explore, e.g.
#     HYPOTHESIS_PROFILE=explore python -m pytest tests/test_dag.py
# A test's own @settings (max_examples...) still applies under either.
# Both profiles name every setting they rely on: when the CI variable is
# set, hypothesis starts from its own CI defaults (derandomized), and a
# profile inherits whatever it leaves out.
settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True,
)
settings.register_profile(
    "explore", max_examples=500, derandomize=False, deadline=None,
    database=None, print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def chapter_paths() -> list[Path]:
    """Every chapter (a MyST notebook with code cells) listed in the TOC."""
    return booktools.toc_chapters(ROOT)


def notebook_paths() -> list[Path]:
    """Every executed page in the TOC: the chapters and the course guide."""
    return booktools.toc_notebooks(ROOT)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the whole book with -W into a temporary folder; return html/.

    Under pytest-xdist every worker asks for the site; the first builds it
    and the others wait on a lock and reuse it, so the book is built once.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by all workers of this run
    out = base / "book"
    status = base / "book-build.log"
    with open(base / "book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not status.exists():
            result = subprocess.run(
                [str(BIN / "jupyter-book"), "build", str(ROOT),
                 "--path-output", str(out), "--warningiserror",
                 "--keep-going"],
                capture_output=True, text=True, cwd=ROOT,
            )
            log = result.stdout + result.stderr
            ok = result.returncode == 0 and "build succeeded" in log
            status.write_text(("OK\n" if ok else "FAILED\n") + log)
    log = status.read_text()
    if not log.startswith("OK"):
        pytest.fail("book build failed:\n" + log[-8000:], pytrace=False)
    return out / "_build" / "html"
