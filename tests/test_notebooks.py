"""The generated notebooks: full chapter, student edition and answer key."""

from __future__ import annotations

import json
import re
import zipfile
from types import SimpleNamespace

import nbformat
import pytest

from conftest import ROOT, booktools, chapter_paths

import coursework

SAMPLE = """\
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

(ch-sample)=
# A chapter

:::{admonition} Learning goals
:class: tip

- add {term}`one <Effect>`
:::

```{math}
:label: eq-sample
y = x + 1
```

```{code-cell} ipython3
x = 1
```

See {eq}`eq-sample`, {cite:t}`pearl2009causality` and {ref}`ch-sample`;
x is {glue:text}`x_value:.1f`.

```{exercise}
:label: ex-a

**Add one.** Compute y.

**Define:** `y`, the sum.
```

```{solution-start} ex-a
:class: dropdown
```

The secret reasoning.

```{code-cell} ipython3
y = x + 1
```

```{code-cell} ipython3
:tags: [check]

assert y == 2
```

```{solution-end}
```

```{exercise}
:label: ex-b

Why?
```

```{solution-start} ex-b
:class: dropdown
```

Because.

```{solution-end}
```

## Key ideas

- ideas
"""
# What a plain notebook must not contain: roles, directive fences, colon
# fences and target labels (a role inside inline code is fine).
MYST = re.compile(r"(?<!`)\{[\w:-]+\}`|^\s*(`{3,}|:{3,})\{|^:::|^\(\S+\)=$",
                  re.M)
CHAPTERS = chapter_paths()


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "01-sample.md"
    path.write_text(SAMPLE)
    return path


def editions(path):
    book = coursework.load_book([path], root=ROOT)
    return {e: coursework.notebook(path, book, e)
            for e in coursework.EDITIONS}


def sources(nb, kind):
    return [c.source for c in nb.cells if c.cell_type == kind]


def test_full_notebook_is_plain_markdown_with_everything(sample):
    nb = editions(sample)["full"]
    text = "\n".join(sources(nb, "markdown"))
    assert not MYST.search(text)
    assert "$$\ny = x + 1\n\\tag{1.1}\n$$" in text
    assert "See (1.1), Pearl (2009) and chapter 1;" in text
    assert "`x_value` (computed when you run the notebook)" in text
    assert "> **Learning goals**\n>\n> - add one" in text
    assert "### Exercise 1.1 — Add one\n\nCompute y." in text
    assert "#### Solution to exercise 1.1\n\nThe secret reasoning." in text
    assert ["x = 1", "y = x + 1", "assert y == 2"] == sources(nb, "code")


def test_glued_values_come_from_the_build(sample, tmp_path):
    executed = tmp_path / "jupyter_execute" / "book"
    executed.mkdir(parents=True)
    cache = {"x_value": {"output_type": "display_data",
                         "data": {"text/plain": "1.25"}}}
    (executed / "01-sample.glue.json").write_text(json.dumps(cache))
    book = coursework.load_book([sample], executed.parent, root=ROOT)
    text = "\n".join(sources(coursework.notebook(sample, book, "full"),
                             "markdown"))
    assert "x is 1.2." in text


def test_student_edition_has_one_stub_and_the_checks(sample):
    nb = editions(sample)["student"]
    code = sources(nb, "code")
    assert code[0] == "x = 1"
    assert code[1].startswith("# Define: y\nraise NotImplementedError(")
    assert code[2] == "assert y == 2"
    assert len(code) == 3
    text = "\n".join(sources(nb, "markdown"))
    assert "secret reasoning" not in text and "Because." not in text
    assert "**Your answer:**" in text and "## Key ideas" in text
    stub, check = nb.cells[[c.source for c in nb.cells].index(code[1]):][:3:2]
    assert stub.metadata.nbgrader["solution"] is True
    assert check.metadata.nbgrader["points"] == 1
    assert check.metadata.nbgrader["locked"] is True


def test_answer_key_is_the_student_edition_with_solutions(sample):
    nbs = editions(sample)
    assert_answers_extend_student(nbs["student"], nbs["answers"])
    answers = {c.id: c.source for c in nbs["answers"].cells}
    assert answers["ex-a-answer"] == "# Define: y\ny = x + 1"
    assert "The secret reasoning." in answers["ex-a-solution-text"]
    assert "Because." in answers["ex-b-answer"]


def assert_answers_extend_student(student, answers):
    """Same cells in the same order, but for solutions and stubs."""
    by_id = {c.id: c for c in answers.cells}
    assert [c.id for c in student.cells] == [
        c.id for c in answers.cells if c.id in
        {s.id for s in student.cells}]
    for cell in student.cells:
        if not cell.id.endswith("-answer"):
            assert by_id[cell.id] == cell
    extra = {c.id for c in answers.cells} - {c.id for c in student.cells}
    assert all(i.endswith(("-solution-text", "-answer-code"))
               for i in extra)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("notebooks")
    coursework.write_notebooks(CHAPTERS, out)
    return out


def test_write_notebooks_makes_three_valid_editions_and_zip(written):
    for edition in coursework.EDITIONS:
        for path in CHAPTERS:
            nb = nbformat.read(written / edition / f"{path.stem}.ipynb",
                               as_version=4)
            nbformat.validate(nb)
    with zipfile.ZipFile(written / "student-notebooks.zip") as zf:
        assert zf.namelist() == [f"student-notebooks/{p.stem}.ipynb"
                                 for p in sorted(CHAPTERS)]


def test_no_myst_remains_in_any_generated_notebook(written):
    for path in sorted(written.glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                found = MYST.search(cell.source)
                assert not found, f"{path}: {cell.source[:300]}"


def test_a_second_run_writes_identical_files(written, tmp_path):
    coursework.write_notebooks(CHAPTERS, tmp_path)
    for path in sorted(written.rglob("*.*")):
        again = tmp_path / path.relative_to(written)
        assert again.read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_one_stub_per_exercise_and_answers_extend_it(path, written):
    student, answers = (
        nbformat.read(written / e / f"{path.stem}.ipynb", as_version=4)
        for e in ("student", "answers"))
    n_exercises = path.read_text().count("```{solution-start}")
    stubs = [c for c in student.cells if c.id.endswith("-answer")]
    assert n_exercises >= 1 and len(stubs) == n_exercises
    raising = [s for s in sources(student, "code")
               if "NotImplementedError" in s]
    assert len(raising) <= n_exercises
    assert_answers_extend_student(student, answers)


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_checks_cannot_pass_on_a_blank_notebook(path):
    """Each check uses a name that only the student's solution defines."""
    book = coursework.load_book([path], root=ROOT)
    parts = coursework.split_parts(book.chapters[path.stem].notebook)
    chapter_names = set().union(*(
        coursework.top_level_names(p.source) for p in parts
        if p.kind == "code"))
    for ex in book.chapters[path.stem].exercises.values():
        mine = [p for p in parts if p.exercise == ex.label]
        names = set(coursework.defined_names(ex, mine))
        assert not names & chapter_names, (ex.label, names & chapter_names)
        for check in (p for p in mine if p.kind == "check"):
            used = set(re.findall(r"\w+", check.source))
            assert used & names, (ex.label, check.source)


def test_a_guide_is_executed_but_is_neither_chapter_nor_notebook(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text(SAMPLE.replace("---\n\n", "kind: guide\n---\n\n", 1))
    (tmp_path / "01-sample.md").write_text(SAMPLE)
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: guide\nparts:\n  - chapters:\n"
        "      - file: guide\n      - file: 01-sample\n"
    )
    assert booktools.is_guide(guide.read_text())
    assert not booktools.is_guide(SAMPLE)
    assert not booktools.is_guide("# kind: guide\n")
    assert not booktools.is_guide("---\nkind: guide\n")  # unterminated
    assert booktools.is_notebook(guide) and not booktools.is_chapter(guide)
    assert booktools.toc_notebooks(tmp_path) == [
        guide, tmp_path / "01-sample.md"]
    assert booktools.toc_chapters(tmp_path) == [tmp_path / "01-sample.md"]
    app = SimpleNamespace(env=SimpleNamespace(doc2path=lambda doc: doc),
                          config=SimpleNamespace(booktools_solutions="fold"))
    for path, linked in ((guide, False), (tmp_path / "01-sample.md", True)):
        source = [path.read_text()]
        booktools._link_notebooks(app, str(path), source)
        assert ("student edition" in source[0]) == linked
