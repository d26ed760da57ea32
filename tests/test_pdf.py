"""The whole book prints to one PDF (``make pdf``) with math typeset.

Builds the PDF the way ``make pdf`` does (jupyter-book's pdfhtml builder,
printed by Debian's chromium) into a temporary folder and reads its text
with poppler's ``pdftotext``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import BIN, ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import pdfbrowser  # noqa: E402

pytestmark = [pytest.mark.book, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOTEXT = shutil.which("pdftotext")
if (CHROMIUM is None or PDFTOTEXT is None) and not os.environ.get("CI"):
    pytest.skip("needs chromium and pdftotext (apt-get install chromium "
                "poppler-utils)", allow_module_level=True)


def toc_titles():
    """The title of every page in the table of contents."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"]
                             for c in part["chapters"]]
    titles = []
    for name in files:
        text = (ROOT / f"{name}.md").read_text()
        title = re.search(r"^# (.+)$", text, re.M).group(1)
        titles.append(re.sub(r"[*`]", "", title))
    return titles


@pytest.fixture(scope="module")
def pdf_text(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf")
    pdfbrowser.link_browser(tmp / "browsers", Path(CHROMIUM))
    env = dict(os.environ, PLAYWRIGHT_BROWSERS_PATH=str(tmp / "browsers"))
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(ROOT), "--builder",
         "pdfhtml", "--path-output", str(tmp / "out"), "--warningiserror",
         "--keep-going"],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    log = result.stdout + result.stderr
    pdf = tmp / "out" / "_build" / "pdf" / "book.pdf"
    assert result.returncode == 0 and pdf.exists(), log[-6000:]
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    # Sphinx prints typographic quotes: LaLonde's is set as LaLonde’s.
    return " ".join(text.replace("\u2019", "'").split())


def test_pdf_has_every_title(pdf_text):
    missing = [t for t in toc_titles() if " ".join(t.split()) not in pdf_text]
    assert missing == []


def test_pdf_math_is_typeset(pdf_text):
    for tex in ("\\frac", "\\(", "\\[", "\\hat", "\\mathbb"):
        assert tex not in pdf_text, tex


def test_pdf_shows_the_solutions(pdf_text):
    assert pdf_text.count("Solution to") >= 10
    assert "Click to show" not in pdf_text
    assert "Show code cell" not in pdf_text
