"""Each chapter executed as its own test, so a failure names the chapter.

The course guide (front matter with ``kind: guide``) is executed and kept
canonical like a chapter, but it is not held to the chapter template.
"""

from __future__ import annotations

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from conftest import chapter_paths, notebook_paths

CHAPTERS = chapter_paths()
PAGES = notebook_paths()


@pytest.mark.book
@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_chapter_executes_without_errors_or_warnings(path):
    nb = jupytext.read(path, fmt="md:myst")
    NotebookClient(
        nb, timeout=300, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                pytest.fail(
                    f"{path.name}, cell {index}: output on stderr "
                    f"(a warning?):\n{output['text']}"
                )


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_chapter_is_canonical_myst(path, tmp_path):
    """Authoring form is jupytext's own: a round trip changes nothing."""
    text = path.read_text()
    nb = jupytext.reads(text, fmt="md:myst")
    assert jupytext.writes(nb, fmt="md:myst") == text


def test_every_chapter_has_the_template_parts():
    for path in CHAPTERS:
        text = path.read_text()
        for part in ("Learning goals", "{exercise}", "{solution-start}",
                     "Key ideas", "assert ", "default_rng("):
            assert part in text, f"{path.name} lacks {part!r}"
        cells = jupytext.reads(text, "md:myst").cells
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        assert code.count("default_rng(") == 1, (
            f"{path.name}: one rng per chapter"
        )


MAX_CELL_LINES = 15  # STYLE.md: one idea per cell, at most 15 lines


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_every_code_cell_is_at_most_15_lines(path):
    cells = jupytext.read(path, fmt="md:myst").cells
    long = [
        f"{len(lines)} lines: {lines[0]}"
        for lines in (c.source.splitlines() for c in cells
                      if c.cell_type == "code")
        if len(lines) > MAX_CELL_LINES
    ]
    assert not long, (
        f"{path.name}: code cells longer than {MAX_CELL_LINES} lines "
        "(split them at an idea boundary):\n" + "\n".join(long)
    )
