"""The generated notebooks: full chapter and student edition."""

from __future__ import annotations

import zipfile
from types import SimpleNamespace

import nbformat
import pytest

from conftest import booktools, chapter_paths

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

# A chapter

```{code-cell} ipython3
x = 1
```

```{exercise}
:label: ex-a

Compute y.
```

```{solution-start} ex-a
:class: dropdown
```

The secret reasoning.

```{code-cell} ipython3
y = x + 1
assert y == 2
```

```{solution-end}
```

## Key ideas

- ideas
"""


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "01-sample.md"
    path.write_text(SAMPLE)
    return path


def sources(nb, kind):
    return [c.source for c in nb.cells if c.cell_type == kind]


def test_full_notebook_keeps_everything(sample):
    nb = booktools.full_notebook(sample)
    assert "y = x + 1\nassert y == 2" in sources(nb, "code")
    assert any("secret reasoning" in s for s in sources(nb, "markdown"))


def test_student_notebook_replaces_solutions_with_stubs(sample):
    nb = booktools.student_notebook(sample)
    code = sources(nb, "code")
    assert code[0] == "x = 1"
    assert 'raise NotImplementedError("ex-a' in code[1]
    text = "\n".join(sources(nb, "markdown"))
    assert "secret reasoning" not in text
    assert "solution-start" not in text and "solution-end" not in text
    assert "Compute y." in text and "## Key ideas" in text
    assert "y = x + 1" not in "\n".join(code)


def test_write_notebooks_makes_both_editions_and_zip(sample, tmp_path):
    out = tmp_path / "out"
    booktools.write_notebooks([sample], out)
    for edition in ("full", "student"):
        nb = nbformat.read(out / edition / "01-sample.ipynb", as_version=4)
        nbformat.validate(nb)
    with zipfile.ZipFile(out / "student-notebooks.zip") as zf:
        assert zf.namelist() == ["student-notebooks/01-sample.ipynb"]


@pytest.mark.parametrize("path", chapter_paths(),
                         ids=[p.stem for p in chapter_paths()])
def test_every_solution_is_stubbed_in_the_student_edition(path):
    full = booktools.full_notebook(path)
    student = booktools.student_notebook(path)
    n_solutions = path.read_text().count("```{solution-start}")
    stubs = [s for s in sources(student, "code")
             if "NotImplementedError" in s]
    assert n_solutions >= 1 and len(stubs) >= n_solutions
    assert len(sources(student, "code")) <= len(sources(full, "code"))


def test_a_guide_is_executed_but_is_neither_chapter_nor_notebook(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text(SAMPLE.replace("---\n\n#", "kind: guide\n---\n\n#", 1))
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
    app = SimpleNamespace(env=SimpleNamespace(doc2path=lambda doc: doc))
    for path, linked in ((guide, False), (tmp_path / "01-sample.md", True)):
        source = [path.read_text()]
        booktools._link_notebooks(app, str(path), source)
        assert ("student edition" in source[0]) == linked
