"""Shared fixtures: paths and the built book (built once per test session)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def chapter_paths() -> list[Path]:
    """Every chapter (a MyST notebook with code cells) listed in the TOC."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [
        entry["file"]
        for part in toc["parts"]
        for entry in part["chapters"]
    ]
    paths = [ROOT / f"{f}.md" for f in files]
    return [p for p in paths if "```{code-cell}" in p.read_text()]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the whole book with -W into a temporary folder; return html/."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(ROOT), "--path-output",
         str(out), "--warningiserror", "--keep-going"],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": ""},
    )
    log = result.stdout + result.stderr
    if result.returncode != 0 or "build succeeded" not in log:
        pytest.fail("book build failed:\n" + log[-8000:], pytrace=False)
    return out / "_build" / "html"
