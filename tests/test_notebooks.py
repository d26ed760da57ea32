"""The generated notebooks: full chapter, student edition and answer key."""

from __future__ import annotations

import json
import os
import re
import zipfile
from types import SimpleNamespace

import nbformat
import pytest

from conftest import MYST_HEADER, ROOT, booktools, chapter_paths

import coursework

SAMPLE = MYST_HEADER + """\

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
WHEEL = "causal_lib-0.1.0-py3-none-any.whl"


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
def wheel(tmp_path_factory):
    """A stand-in for causal_lib's wheel (building it needs PyPI)."""
    path = tmp_path_factory.mktemp("wheel") / WHEEL
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("causal_lib/__init__.py", "")
    return path


@pytest.fixture(scope="module")
def written(tmp_path_factory, wheel):
    out = tmp_path_factory.mktemp("notebooks")
    coursework.write_notebooks(CHAPTERS, out, wheel=wheel)
    return out


def test_write_notebooks_makes_three_valid_editions_and_zip(written):
    for edition in coursework.EDITIONS:
        for path in CHAPTERS:
            nb = nbformat.read(written / edition / f"{path.stem}.ipynb",
                               as_version=4)
            nbformat.validate(nb)
    with zipfile.ZipFile(written / "student-notebooks.zip") as zf:
        names = zf.namelist()
        handout = {name: zf.read(name) for name in names}
    files = sorted([f"{p.stem}.ipynb" for p in CHAPTERS] + [
        WHEEL, "requirements.txt", "README.md", "LICENSE", "LICENSE-text"])
    assert names == [f"student-notebooks/{name}" for name in files]
    for path in CHAPTERS:
        student = written / "student" / f"{path.stem}.ipynb"
        assert (handout[f"student-notebooks/{path.stem}.ipynb"]
                == student.read_bytes())
    for name in ("LICENSE", "LICENSE-text"):
        assert handout[f"student-notebooks/{name}"] == (
            ROOT / name).read_bytes()
    readme = handout["student-notebooks/README.md"].decode()
    assert readme_commands(readme) == [
        "python -m venv .venv && .venv/bin/pip install "
        f"-r requirements.txt {WHEEL}", ".venv/bin/jupyter lab"]


def test_no_myst_remains_in_any_generated_notebook(written):
    for path in sorted(written.glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                found = MYST.search(cell.source)
                assert not found, f"{path}: {cell.source[:300]}"


def test_a_second_run_writes_identical_files(written, wheel, tmp_path):
    coursework.write_notebooks(CHAPTERS, tmp_path, wheel=wheel)
    for path in sorted(written.rglob("*.*")):
        again = tmp_path / path.relative_to(written)
        assert again.read_bytes() == path.read_bytes(), path.name


def readme_commands(readme: str) -> list[str]:
    """The lines of the README's one fenced block: what a student types."""
    block = re.search(r"^```\n(.*?)^```$", readme, re.S | re.M)
    return block.group(1).splitlines()


def test_requirements_pin_what_the_notebooks_need_as_locked(written):
    with zipfile.ZipFile(written / "student-notebooks.zip") as zf:
        text = zf.read("student-notebooks/requirements.txt").decode()
    pins = [line for line in text.splitlines()
            if line and not line.startswith("#")]
    locked = set((ROOT / "requirements.lock").read_text().splitlines())
    assert pins and set(pins) <= locked
    names = {coursework._dist_name(pin.split("==")[0]) for pin in pins}
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for dep in project["project"]["dependencies"]:
        assert coursework._dist_name(dep) in names, dep
    # JupyterLab runs them; the chapters glue values with myst_nb.
    assert {"jupyterlab", "myst-nb", "scikit-learn"} <= names
    assert "causal-lib" not in names


def test_imported_modules_are_the_top_level_absolute_imports():
    source = ("%matplotlib inline\nimport numpy as np, os.path\n"
              "from sklearn.linear_model import Ridge\nfrom . import x\n"
              "def f():\n    import yaml\n")
    assert coursework.imported_modules(source) == {
        "numpy", "os", "sklearn", "yaml"}


def test_a_notebook_importing_an_unknown_module_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import no_such_module_here")]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="no_such_module_here"):
        coursework.notebook_distributions([path])


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
        assert ("student-notebooks.zip" in source[0]) == linked


# --- the hand-out runs -------------------------------------------------------

HANDOUT_CHAPTER = "02-potential-outcomes"
PROBE = ("import sys, causal_lib\n"
         "print('prefix', sys.prefix)\nprint('lib', causal_lib.__file__)")


@pytest.mark.slow
def test_the_handout_installs_and_runs_a_chapter(tmp_path):
    """Unpack the zip, install as its README says, run a full chapter.

    Needs PyPI or a warm pip cache (the wheel's build, the requirements).
    """
    import subprocess

    chapter = ROOT / "book" / f"{HANDOUT_CHAPTER}.md"
    out = tmp_path / "notebooks"
    coursework.write_notebooks([chapter], out)
    with zipfile.ZipFile(out / "student-notebooks.zip") as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "student-notebooks"
    install, run = readme_commands((folder / "README.md").read_text())
    assert run == ".venv/bin/jupyter lab"
    env = handout_env(tmp_path)
    subprocess.run(["bash", "-ec", install], cwd=folder, env=env,
                   check=True, capture_output=True)
    full = nbformat.read(out / "full" / f"{chapter.stem}.ipynb", 4)
    full.cells.append(nbformat.v4.new_code_cell(PROBE))
    nbformat.write(full, folder / "full.ipynb")
    subprocess.run([".venv/bin/jupyter", "nbconvert", "--to", "notebook",
                    "--execute", "--output", "ran-full.ipynb",
                    "full.ipynb"], cwd=folder, env=env, check=True,
                   capture_output=True)
    ran = nbformat.read(folder / "ran-full.ipynb", 4)
    probe = "".join(o.get("text", "") for o in ran.cells[-1].outputs)
    venv = str((folder / ".venv").resolve())
    assert f"prefix {venv}" in probe
    assert f"lib {venv}" in probe  # from the wheel, not the repository
    subprocess.run([".venv/bin/jupyter", "nbconvert", "--to", "notebook",
                    "--execute", "--allow-errors", "--output",
                    "ran-student.ipynb", f"{chapter.stem}.ipynb"],
                   cwd=folder, env=env, check=True, capture_output=True)
    student = nbformat.read(folder / "ran-student.ipynb", 4)
    errors = [o.ename for c in student.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    # Everything runs up to the first stub; only stubs and their checks
    # (which read the names the stubs leave undefined) fail.
    assert errors[:1] == ["NotImplementedError"], errors
    assert set(errors) <= {"NotImplementedError", "NameError"}, errors


def handout_env(tmp_path) -> dict:
    """A student's shell: ``python`` on PATH, no repository on
    PYTHONPATH, Jupyter's own folders empty."""
    import os
    import sys

    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join([str(bin_), env.get("PATH", "")])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for name in ("DATA", "CONFIG", "RUNTIME"):
        env[f"JUPYTER_{name}_DIR"] = str(tmp_path / f"jupyter-{name}")
    return env


# --- a rebuild with nothing changed leaves the site's notebooks alone -------

def _touch(path, ns):
    path.write_text("x")
    os.utime(path, ns=(ns, ns))
    return path


def test_notebooks_are_rewritten_only_when_out_of_date(tmp_path):
    source = _touch(tmp_path / "01-a.md", 10**18)
    made = [_touch(tmp_path / "a.ipynb", 2 * 10**18),
            _touch(tmp_path / "b.zip", 2 * 10**18)]
    assert booktools.up_to_date(made, [source, tmp_path / "gone.md"])
    os.utime(source, ns=(3 * 10**18, 3 * 10**18))  # the chapter changed
    assert not booktools.up_to_date(made, [source])
    assert not booktools.up_to_date(made + [tmp_path / "missing.ipynb"],
                                    [])
