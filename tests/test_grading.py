"""Autograding with nbgrader: the answer key earns every mark, a blank
student notebook none. Two short chapters keep it to a minute or two."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, chapter_paths

import coursework

GRADED = ["02-potential-outcomes", "03a-flawed-analysis"]
HAS_NBGRADER = (Path(sys.executable).parent / "nbgrader").exists()


@pytest.mark.book
@pytest.mark.skipif(not HAS_NBGRADER and not os.environ.get("CI"),
                    reason="nbgrader (the instructor extra) not installed")
def test_answer_key_gets_full_marks_and_blank_notebook_zero(tmp_path):
    chapters = [p for p in chapter_paths() if p.stem in GRADED]
    book = coursework.load_book(chapters, root=ROOT)
    for path in chapters:
        for edition, who in (("answers", "key"), ("student", "blank")):
            nb = coursework.notebook(path, book, edition)
            nbformat.write(nb, tmp_path / f"{who}-{path.stem}.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook")
    out = coursework.grade(tmp_path, chapters)
    with open(out, newline="") as f:
        rows = {r["notebook"]: r for r in csv.DictReader(f)}
    assert len(rows) == 2 * len(GRADED)
    for stem in GRADED:
        key, blank = rows[f"key-{stem}.ipynb"], rows[f"blank-{stem}.ipynb"]
        assert key["chapter"] == blank["chapter"] == stem
        assert float(key["max_score"]) >= 1
        assert float(key["score"]) == float(key["max_score"])
        assert float(blank["score"]) == 0
        assert blank["max_score"] == key["max_score"]
