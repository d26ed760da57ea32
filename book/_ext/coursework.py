r"""Chapter notebooks for readers, students and instructors.

Run by ``make notebooks`` and ``make grade``, and called by booktools'
Sphinx hook to put the notebooks beside the built site::

    python book/_ext/coursework.py notebooks OUTDIR [EXECUTED_DIR]
    python book/_ext/coursework.py grade SUBMISSIONS

Three editions of every chapter, all plain CommonMark with ``$``/``$$``
math, so they read correctly in Colab, VS Code and classic Jupyter:

``full``
    the chapter as the book shows it, solutions included;
``student``
    each exercise's solution replaced by ONE stub cell, followed by the
    exercise's check cells;
``answers``
    the student edition with the solutions in place (the answer key, and
    the nbgrader source).

MyST is converted by hand: equations get their book number as a
``\tag``, exercises become "### Exercise 4.2 — title" sections, and
``{ref}``/``{numref}``/``{eq}``/``{cite}``/``{term}`` become text
("chapter 5", "Fig. 4.1", "(4.2)", "Pearl (2009)"). A ``{glue:text}``
number is taken from the executed notebooks of the book's build when
given (``_build/jupyter_execute``); without them the name of the glued
value is printed with "(computed when you run the notebook)", because a
plain notebook cannot evaluate a role. Cell ids are derived from the cell's
place in the chapter, so two runs write identical files.

The exercise convention (authors, read this)
--------------------------------------------
An exercise's statement ends with a paragraph naming what the student must
compute, e.g. ``**Define:** `sweep`, a DataFrame with the columns ...``;
its names are the backticked ones that the model solution binds at top
level (here ``sweep``, not the column names). Its solution sits
between ``{solution-start}`` and ``{solution-end}``; in it, code cells
tagged ``check`` (``:tags: [check]``) hold only the assertions on those
names, the other code cells are the model solution. An assertion about the
chapter's own state belongs in the model solution: a check that passes on
a blank notebook gives marks for nothing. An exercise with a written
answer has no "Define" line and no check cell. In the student edition the
solution's prose and code become one stub (``# Define: sweep, best_k`` and
``raise NotImplementedError``), then the check cells ("Check your answer:
run this cell"). Stub and checks carry nbgrader metadata (stub: solution;
checks: graded, locked, one point each), so ``make grade`` can autograde
submitted notebooks; see :func:`grade`.
"""

from __future__ import annotations

import ast
import codecs
import copy
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat

EDITIONS = ("full", "student", "answers")
CHECK_TAG = "check"
_FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})\{([\w:-]+)\}\s*(.*)$")
_OPTION = re.compile(r"^:([\w-]+):\s*(.*)$")
_LABEL = re.compile(r"^\((\S+)\)=\s*$")
_HEADING = re.compile(r"^(#+)\s+(.*)$")
_ROLE = re.compile(r"(?<!`)\{([\w:-]+)\}`([^`]*)`")
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_TITLE = re.compile(r"^\*\*(.+?)\*\*\s*", re.S)
_DEFINE = re.compile(r"\*\*Define:\*\*(.*?)(?:\n\s*\n|$)", re.S)
_NAME = re.compile(r"`([A-Za-z_]\w*)`")
_NUMREF_KINDS = {"fig": "Fig. %s", "eq": "(%s)", "ex": "Exercise %s"}


# --- the book's labels ------------------------------------------------------

@dataclass
class Exercise:
    """An exercise; ``names`` are the backticked names of its "Define:"
    paragraph (:func:`defined_names` keeps those the solution binds)."""

    label: str
    number: str
    title: str
    names: list[str]


@dataclass
class Chapter:
    path: Path
    number: str | None
    notebook: nbformat.NotebookNode
    title: str = ""
    exercises: dict[str, Exercise] = field(default_factory=dict)


@dataclass
class Book:
    """What a reference can point to, across all chapters."""

    chapters: dict[str, Chapter]
    labels: dict[str, tuple[str, str, str]]  # label -> (kind, text, stem)
    citations: dict[str, tuple[str, str]]     # key -> (authors, year)
    glued: dict[str, dict[str, str]]          # stem -> name -> text/plain

    def chapter_text(self, stem: str) -> str:
        """How a reference names a chapter: "chapter 5" or its title."""
        chapter = self.chapters.get(stem)
        if chapter is None or not chapter.number:
            return f"“{chapter.title}”" if chapter else stem
        return f"chapter {chapter.number}"


def chapter_numbers(root: Path) -> dict[str, str | None]:
    """Each chapter's number as ``_toc.yml`` numbers it (None: unnumbered)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    numbers, count = {}, 0
    for part in toc["parts"]:
        for entry in part["chapters"]:
            stem = Path(entry["file"]).name
            if part.get("numbered"):
                count += 1
                numbers[stem] = str(count)
            else:
                numbers[stem] = None
    return numbers


def _number(chapter: Chapter, k: int) -> str:
    return f"{chapter.number}.{k}" if chapter.number else str(k)


def _index_chapter(chapter: Chapter, labels: dict) -> None:
    stem, counts = chapter.path.stem, {"eq": 0, "fig": 0, "ex": 0}
    pending = None
    for cell in chapter.notebook.cells:
        if cell.cell_type == "code":
            fig = cell.metadata.get("mystnb", {}).get("figure", {})
            if "name" in fig:
                counts["fig"] += 1
                number = _number(chapter, counts["fig"])
                labels[fig["name"]] = ("fig", number, stem)
            continue
        for block in _walk(cell.source.splitlines()):
            if isinstance(block, str):
                pending = _index_line(chapter, block, pending, labels)
                continue
            name, arg, options, body, _ = block
            label = options.get("label")
            if name == "math" and label:
                counts["eq"] += 1
                labels[label] = ("eq", _number(chapter, counts["eq"]), stem)
            elif name == "exercise" and label:
                counts["ex"] += 1
                number = _number(chapter, counts["ex"])
                labels[label] = ("ex", number, stem)
                chapter.exercises[label] = _exercise(label, number, arg,
                                                     body)


def _walk(lines: list[str]):
    """Like :func:`_blocks`, also yielding directives nested in bodies."""
    for block in _blocks(lines):
        yield block
        if not isinstance(block, str):
            yield from (b for b in _walk(block[3].splitlines())
                        if not isinstance(b, str))


def _index_line(chapter, line, pending, labels):
    label = _LABEL.match(line)
    if label:
        return label.group(1)
    heading = _HEADING.match(line)
    if heading and pending:
        level, title = len(heading.group(1)), heading.group(2).strip()
        if level == 1:
            chapter.title = title
            text = (f"chapter {chapter.number}" if chapter.number
                    else f"“{title}”")
            labels[pending] = ("ch", text, chapter.path.stem)
        else:
            labels[pending] = ("sec", f"“{title}”", chapter.path.stem)
        return None
    return pending if not line.strip() else None


def _exercise(label: str, number: str, arg: str, body: str) -> Exercise:
    title = arg.strip()
    match = _TITLE.match(body.strip())
    if not title and match:
        title = match.group(1).rstrip(".")
    define = _DEFINE.search(body)
    names = _NAME.findall(define.group(1)) if define else []
    return Exercise(label, number, title, names)


def read_citations(bib: Path) -> dict[str, tuple[str, str]]:
    """``key -> (authors, year)`` as author-year citations print them."""
    import latexcodec  # noqa: F401  (registers the "ulatex" codec)
    from pybtex.database import parse_file

    cited = {}
    for key, entry in parse_file(str(bib)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor")
        last = [codecs.decode(" ".join(p.last_names), "ulatex")
                .replace("{", "").replace("}", "") for p in people or []]
        if len(last) > 2:
            authors = f"{last[0]} et al."
        else:
            authors = " and ".join(last)
        cited[key] = (authors, entry.fields.get("year", "n.d."))
    return cited


def read_glued(executed: Path | None, stem: str) -> dict[str, str]:
    """The values a chapter glued, from myst-nb's cache if present.

    myst-nb writes each executed page's glued outputs to
    ``jupyter_execute/<docname>.glue.json`` (keyed by name).
    """
    path = executed / "book" / f"{stem}.glue.json" if executed else None
    if path is None or not path.exists():
        return {}
    cache = json.loads(path.read_text(encoding="utf-8"))
    return {name: out.get("data", {}).get("text/plain")
            for name, out in cache.items()}


def load_book(chapters: list[Path], executed: Path | None = None,
              root: Path | None = None) -> Book:
    """Read the chapters and index every label, citation and glued value."""
    root = root or Path(__file__).resolve().parents[2]
    toc = root / "_toc.yml"
    numbers = chapter_numbers(root) if toc.exists() else {}
    book = Book({}, {}, {}, {})
    for path in chapters:
        number = numbers.get(path.stem, _stem_number(path.stem))
        chapter = Chapter(path, number, jupytext.read(path, fmt="md:myst"))
        _index_chapter(chapter, book.labels)
        book.chapters[path.stem] = chapter
        book.glued[path.stem] = read_glued(executed, path.stem)
    bib = root / "book" / "references.bib"
    if bib.exists():
        book.citations = read_citations(bib)
    return book


def _stem_number(stem: str) -> str | None:
    head = stem.split("-")[0]
    return str(int(head)) if head.isdigit() else None


# --- MyST to CommonMark -----------------------------------------------------

def _blocks(lines: list[str]):
    """Yield plain lines and ``(name, argument, options, body)`` directives.

    A directive's body ends at a bare fence of the same character at least
    as long as the opening one; fences opened inside it nest. An indented
    directive (in a list item) yields its body unindented, with the indent
    as the fifth item.
    """
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            yield lines[i]
            i += 1
            continue
        indent, fence, name, arg = match.groups()
        i, options = i + 1, {}
        while i < len(lines) and _OPTION.match(lines[i].strip()):
            key, value = _OPTION.match(lines[i].strip()).groups()
            options[key] = value
            i += 1
        body, depth = [], 0
        while i < len(lines):
            line = lines[i].strip()
            if line.startswith(fence[0] * len(fence)):
                if line.strip(fence[0]) == "":
                    if depth == 0:
                        break
                    depth -= 1
                else:
                    depth += 1
            body.append(lines[i][len(indent):])
            i += 1
        yield name, arg, options, "\n".join(body).strip("\n"), indent
        i += 1


class Converter:
    """Turns one chapter's MyST Markdown into plain CommonMark."""

    def __init__(self, book: Book, stem: str):
        self.book, self.stem = book, stem
        self.chapter = book.chapters[stem]

    def markdown(self, text: str) -> str:
        text = self.plain(text)
        text = _ROLE.sub(lambda m: self.role(m, text), text)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")

    def plain(self, text: str) -> str:
        """``text`` with its directives (and labels) made CommonMark."""
        out = []
        for block in _blocks(text.splitlines()):
            if isinstance(block, str):
                if not _LABEL.match(block.strip()):
                    out.append(block)
                continue
            name, arg, options, body, indent = block
            done = self.directive(name, arg, options, self.plain(body))
            out.extend((indent + line).rstrip()
                       for line in done.splitlines())
        return "\n".join(out)

    def directive(self, name, arg, options, body) -> str:
        if name == "math":
            label = options.get("label")
            tag = self.book.labels.get(label, (None, None))[1]
            tag = f"\n\\tag{{{tag}}}" if tag else ""
            return f"$$\n{body}{tag}\n$$"
        if name == "exercise":
            return self.exercise_heading(options.get("label"), arg, body)
        if name in ("solution-start", "solution-end"):
            return ""
        title = arg.strip() or name.capitalize()
        quoted = "\n".join(f"> {line}".rstrip()
                           for line in body.splitlines())
        return f"> **{title}**\n>\n{quoted}"

    def exercise_heading(self, label, arg, body) -> str:
        ex = self.chapter.exercises.get(label)
        if ex is None:
            return f"### Exercise\n\n{body}"
        heading = f"### Exercise {ex.number}"
        if ex.title:
            heading += f" — {ex.title}"
            match = _TITLE.match(body.strip())
            if not arg.strip() and match:
                body = body.strip()[match.end():]
        return f"{heading}\n\n{body}"

    def role(self, match: re.Match, text: str) -> str:
        name, content = match.groups()
        explicit = _EXPLICIT.match(content)
        shown, target = (explicit.groups() if explicit
                         else (None, content.strip()))
        if name == "term":
            return shown or target
        if name.startswith("cite"):
            return self.cite(name, target)
        if name == "glue:text":
            return self.glue(target)
        if name in ("ref", "numref", "eq"):
            return self.reference(name, shown, target, match.start(), text)
        return shown or target

    def cite(self, name: str, keys: str) -> str:
        found = [self.book.citations.get(k.strip(), (k.strip(), "n.d."))
                 for k in keys.split(",")]
        if name == "cite:t":
            return "; ".join(f"{a} ({y})" for a, y in found)
        return "(" + "; ".join(f"{a}, {y}" for a, y in found) + ")"

    def glue(self, target: str) -> str:
        key = target.split("::")[-1]
        key, _, spec = key.partition(":")
        plain = self.book.glued.get(self.stem, {}).get(key)
        if plain is None:
            return f"`{key}` (computed when you run the notebook)"
        return format_plain_text(plain, spec)

    def reference(self, name, shown, target, where, text) -> str:
        kind, number, stem = self.book.labels.get(
            target, (None, target, self.stem))
        if name == "eq":
            return f"({number})"
        if name == "numref":
            fmt = shown or _NUMREF_KINDS.get(kind, "%s")
            text_ = fmt.replace("%s", number).replace("{number}", number)
            return text_
        if shown:
            return shown
        if kind == "ex":
            number = f"Exercise {number}"
        elif kind == "sec" and stem != self.stem:
            number += f" ({self.book.chapter_text(stem)})"
        before = text[:where].rstrip()
        if number[0].islower() and (not before or before[-1] in ".!?\n"):
            number = number[0].upper() + number[1:]
        return number


def format_plain_text(text: str, spec: str) -> str:
    """Format a glued ``text/plain`` value as myst-nb's glue role does."""
    from ast import literal_eval

    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    if spec[-1] in "bcdoxX":
        value = int(value)
    elif spec[-1] in "eEfFgGn%":
        value = float(value)
    elif spec[-1] == "s":
        value = str(value)
    return format(value, spec)


# --- cells, exercises and the three editions --------------------------------

@dataclass
class Part:
    """A piece of the chapter: a cell, or the part of one outside/inside a
    solution. ``kind`` is text, code, solution-text, solution-code or check.
    """

    kind: str
    source: str
    key: str
    exercise: str | None = None
    metadata: dict = field(default_factory=dict)


SOLUTION_START = re.compile(r"^```\{solution-start\}\s*(\S*)")
SOLUTION_END = re.compile(r"^```\{solution-end\}")


def split_parts(nb: nbformat.NotebookNode) -> list[Part]:
    """The chapter's cells, Markdown cells cut where solutions start/end."""
    parts, label = [], None
    for cell in nb.cells:
        if cell.cell_type == "code":
            kind = "code" if label is None else (
                "check" if CHECK_TAG in cell.metadata.get("tags", [])
                else "solution-code")
            parts.append(Part(kind, cell.source, "", label,
                              dict(cell.metadata)))
            continue
        lines, chunk = cell.source.splitlines(), []
        i = 0
        while i < len(lines):
            start = SOLUTION_START.match(lines[i])
            end = SOLUTION_END.match(lines[i])
            if start or end:
                parts.append(_text_part(chunk, label))
                label = (start.group(1) or "exercise") if start else None
                i = _skip_fence(lines, i + 1)
                chunk = []
                continue
            chunk.append(lines[i])
            i += 1
        parts.append(_text_part(chunk, label))
    parts = [p for p in parts if p.source.strip()]
    for k, part in enumerate(parts):
        part.key = f"cell-{k:03d}"
    return parts


def _text_part(lines: list[str], label: str | None) -> Part:
    kind = "text" if label is None else "solution-text"
    return Part(kind, "\n".join(lines).strip("\n"), "", label)


def _skip_fence(lines: list[str], i: int) -> int:
    while i < len(lines) and _OPTION.match(lines[i]):
        i += 1
    return i + 1 if i < len(lines) and lines[i].strip() == "```" else i


def _md(source: str, key: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = key
    return cell


def _code(source: str, key: str, metadata=None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = key
    cell.metadata = copy.deepcopy(metadata or {})
    return cell


def _grader(cell, grade_id: str, *, solution=False, points=0):
    if points:  # as nbgrader's generate_assignment locks a test cell
        cell.metadata.update(deletable=False, editable=False)
    cell.metadata["nbgrader"] = {
        "grade": bool(points), "grade_id": grade_id, "locked": bool(points),
        "schema_version": 3, "solution": solution,
        **({"points": points} if points else {}),
    }
    return cell


def _full_cells(parts: list[Part], conv: Converter) -> list:
    cells, seen = [], set()
    for part in parts:
        heading = None
        if part.exercise and part.exercise not in seen:
            seen.add(part.exercise)
            heading = f"#### {_solution_title(part.exercise, conv)}"
        if part.kind in ("text", "solution-text"):
            text = conv.markdown(part.source)
            text = f"{heading}\n\n{text}" if heading else text
            cells.append(_md(text, part.key))
            continue
        if heading:
            cells.append(_md(heading, f"{part.key}-heading"))
        cells.append(_code(part.source, part.key, part.metadata))
        cells.extend(_caption(part, conv))
    return cells


def _course_cells(parts: list[Part], conv: Converter, answers: bool):
    cells, i = [], 0
    while i < len(parts):
        part = parts[i]
        if part.exercise is None:
            if part.kind == "text":
                cells.append(_md(conv.markdown(part.source), part.key))
            else:
                cells.append(_code(part.source, part.key, part.metadata))
                cells.extend(_caption(part, conv))
            i += 1
            continue
        j = i
        while j < len(parts) and parts[j].exercise == part.exercise:
            j += 1
        cells.extend(_solution_cells(parts[i:j], conv, answers))
        i = j
    return cells


def defined_names(ex: Exercise, parts: list[Part]) -> list[str]:
    """The "Define:" names that the model solution assigns, in order."""
    assigned = set()
    for part in parts:
        if part.kind == "solution-code":
            assigned |= top_level_names(part.source)
    return [n for n in dict.fromkeys(ex.names) if n in assigned]


def top_level_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, loops, defs)."""
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        for target in _targets(node):
            names |= {n.id for n in ast.walk(target)
                      if isinstance(n, ast.Name)}
    return names


def _targets(node) -> list:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return [node.target]
    return []


def _solution_cells(parts: list[Part], conv: Converter, answers: bool):
    label = parts[0].exercise
    ex = conv.chapter.exercises.get(label) or Exercise(label, "", "", [])
    ex = Exercise(ex.label, ex.number, ex.title, defined_names(ex, parts))
    key = re.sub(r"[^A-Za-z0-9_-]", "-", label)
    prose = "\n\n".join(conv.markdown(p.source) for p in parts
                         if p.kind == "solution-text")
    code = "\n\n\n".join(p.source for p in parts
                          if p.kind == "solution-code")
    checks = [p for p in parts if p.kind == "check"]
    cells = []
    if not ex.names:  # a written answer: no stub to run, nothing to check
        text = f"**Model answer:**\n\n{prose}" if answers else (
            "**Your answer:** (write it here)")
        cells.append(_md(text, f"{key}-answer"))
        if answers and code:
            cells.append(_code(code, f"{key}-answer-code"))
        return cells
    define = "# Define: " + ", ".join(ex.names)
    if answers:
        if prose:
            cells.append(_md(f"**Model solution:**\n\n{prose}",
                             f"{key}-solution-text"))
        answer = f"{define}\n{code}"
    else:
        answer = (f"{define}\n"
                  f'raise NotImplementedError("Exercise {ex.number}: '
                  'your solution goes here")')
    cells.append(_grader(_code(answer, f"{key}-answer"), f"{key}-answer",
                         solution=True))
    if checks:
        cells.append(_md("**Check your answer:** run this cell.",
                         f"{key}-check-note"))
    for n, part in enumerate(checks, 1):
        cell = _code(part.source, f"{key}-check-{n}", part.metadata)
        cells.append(_grader(cell, f"{key}-check-{n}", points=1))
    return cells


def notebook(path: Path, book: Book, edition: str) -> nbformat.NotebookNode:
    """One edition (``full``, ``student`` or ``answers``) of a chapter."""
    conv = Converter(book, path.stem)
    nb = copy.deepcopy(conv.chapter.notebook)
    parts = split_parts(nb)
    if edition == "full":
        nb.cells = _full_cells(parts, conv)
    else:
        nb.cells = _course_cells(parts, conv, edition == "answers")
    nb.metadata.pop("jupytext", None)
    nb.metadata["coursework"] = {"chapter": path.stem, "edition": edition}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def _solution_title(label: str, conv: Converter) -> str:
    ex = conv.chapter.exercises.get(label)
    return f"Solution to exercise {ex.number}" if ex else "Solution"


def _caption(part: Part, conv: Converter) -> list:
    fig = part.metadata.get("mystnb", {}).get("figure", {})
    if "name" not in fig:
        return []
    number = conv.book.labels[fig["name"]][1]
    text = conv.markdown(fig.get("caption", "").strip())
    return [_md(f"**Fig. {number}.** {text}", f"{part.key}-caption")]


def write_notebooks(chapters: list[Path], outdir: Path,
                    executed: Path | None = None,
                    editions: tuple[str, ...] = EDITIONS,
                    wheel: Path | None = None) -> list[Path]:
    """Write the editions and the student zip; return the files.

    ``wheel`` is causal_lib's wheel to put in the zip; by default it is
    built (or taken from the cache) by :func:`build_wheel`.
    """
    book = load_book(chapters, executed)
    written = []
    for edition in editions:
        folder = outdir / edition
        folder.mkdir(parents=True, exist_ok=True)
        for path in chapters:
            target = folder / (path.stem + ".ipynb")
            nbformat.write(notebook(path, book, edition), target)
            written.append(target)
    root = Path(__file__).resolve().parents[2]
    archive = outdir / "student-notebooks.zip"
    write_handout(archive, root, sorted((outdir / "student").glob("*.ipynb")),
                  wheel or build_wheel(root),
                  sorted((outdir / "full").glob("*.ipynb")))
    written.append(archive)
    return written


# --- the students' zip -------------------------------------------------------
# Everything a student needs on a machine with Python 3.11+: the student
# notebooks, causal_lib's wheel, requirements.txt (causal_lib's
# dependencies, JupyterLab and what the notebooks import, at the versions
# of requirements.lock), a README with the two commands, and the licences.

HANDOUT = "student-notebooks"
ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # a fixed date: identical zips
LICENCES = ("LICENSE", "LICENSE-text")
RUNNER = "jupyterlab"  # what opens the notebooks
# What the wheel is built from, relative to the root, besides causal_lib/.
WHEEL_INPUTS = ("pyproject.toml", "README.md", *LICENCES)
README = """\
# Causal Inference for Recommender Systems: student notebooks

One notebook per chapter, each exercise's solution replaced by a cell for
you to fill in and followed by a cell that checks your answer. You need
Python 3.11 or newer. In this folder, run

```
{install}
.venv/bin/jupyter lab
```

The first command installs into `.venv` the book's helper library
`causal_lib` (its wheel is in this folder) and, from `requirements.txt`,
the versions of its dependencies and of JupyterLab that the book was
tested with; the second opens JupyterLab on the notebooks. On Windows
write `py` for `python` and `.venv\\Scripts\\` for `.venv/bin/`.

The code (`causal_lib` and the notebooks' code cells) is under the MIT
licence (`LICENSE`); the text and figures under CC BY 4.0
(`LICENSE-text`).
"""


def write_handout(archive: Path, root: Path, notebooks: list[Path],
                  wheel: Path, imported: list[Path] | None = None) -> None:
    """The students' zip, every file in one ``student-notebooks/`` folder.

    ``imported``: the notebooks whose imports ``requirements.txt`` must
    cover (by default ``notebooks``; pass the full editions, whose
    solutions may import more).
    """
    files = {path.name: path.read_bytes() for path in notebooks}
    files[wheel.name] = wheel.read_bytes()
    files["requirements.txt"] = requirements(
        root, imported or notebooks).encode()
    files["README.md"] = README.format(install=(
        "python -m venv .venv && .venv/bin/pip install "
        f"-r requirements.txt {wheel.name}")).encode()
    for name in LICENCES:
        files[name] = (root / name).read_bytes()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{HANDOUT}/{name}", ZIP_DATE)
            info.external_attr = 0o644 << 16
            packed = name.endswith(".whl")  # a wheel is a zip already
            zf.writestr(info, files[name], zipfile.ZIP_STORED if packed
                        else zipfile.ZIP_DEFLATED)


def requirements(root: Path, notebooks: list[Path]) -> str:
    """``requirements.txt``: what the notebooks need, pinned as locked."""
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text())
    needed = {_dist_name(dep) for dep in project["project"]["dependencies"]}
    needed |= {_dist_name(d) for d in notebook_distributions(notebooks)}
    needed.add(_dist_name(RUNNER))
    locked = {}
    for line in (root / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            locked[_dist_name(line.split("==")[0])] = line.strip()
    missing = sorted(needed - locked.keys())
    if missing:
        raise ValueError(f"not in requirements.lock: {', '.join(missing)}")
    return ("# causal_lib's dependencies, JupyterLab and what the notebooks"
            "\n# import, at the versions the book was tested with.\n"
            + "".join(locked[name] + "\n" for name in sorted(needed)))


def _dist_name(requirement: str) -> str:
    name = re.match(r"\s*([A-Za-z0-9._-]+)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


def notebook_distributions(notebooks: list[Path]) -> set[str]:
    """The installed distributions whose modules the notebooks import
    (the standard library and causal_lib left out)."""
    from importlib.metadata import packages_distributions

    modules = set()
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                modules |= imported_modules(cell.source)
    modules -= set(sys.stdlib_module_names) | {"causal_lib", "__future__"}
    provided = packages_distributions()
    unknown = sorted(modules - provided.keys())
    if unknown:
        raise ValueError("the notebooks import modules that no installed "
                         f"distribution provides: {', '.join(unknown)}")
    return {provided[module][0] for module in modules}


def imported_modules(source: str) -> set[str]:
    """The top-level modules a cell imports (magics skipped)."""
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module.split(".")[0])
    return found


def build_wheel(root: Path, cache: Path | None = None) -> Path:
    """causal_lib's wheel, built by pip from a copy of its sources.

    The build is isolated: pip fetches the ``setuptools>=77`` that
    pyproject.toml asks for (PyPI or pip's cache must be reachable). The
    wheel is kept in ``cache`` (default ``_build/wheel``) under a hash of
    its sources, so a build needs the network only after they change.
    """
    sources = wheel_sources(root)
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    folder = (cache or root / "_build" / "wheel") / digest.hexdigest()[:16]
    found = sorted(folder.glob("causal_lib-*.whl"))
    if found:
        return found[0]
    with tempfile.TemporaryDirectory(prefix="wheel-") as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "out"
        for path in sources:
            target = src / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
             "--disable-pip-version-check", "-w", str(out), str(src)],
            capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise RuntimeError("building causal_lib's wheel failed (pip "
                               "needs PyPI or its cache for setuptools):\n"
                               + result.stdout[-4000:] + result.stderr[-4000:])
        (built,) = out.glob("causal_lib-*.whl")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(built, folder / f".{built.name}.tmp")
        os.replace(folder / f".{built.name}.tmp", folder / built.name)
    return folder / built.name


def wheel_sources(root: Path) -> list[Path]:
    """The files causal_lib's wheel is built from, sorted."""
    package = [path for path in (root / "causal_lib").rglob("*")
               if path.is_file() and "__pycache__" not in path.parts
               and path.suffix != ".pyc"]
    return sorted([root / name for name in WHEEL_INPUTS] + package)


# --- grading with nbgrader ---------------------------------------------------
# nbgrader wants a course folder: source/<assignment>/ (our answer key, with
# its nbgrader metadata), submitted/<student>/<assignment>/. Each chapter is
# an assignment; each submitted file is one student's notebook, the student
# being named after the file. Everything lives in a temporary folder with a
# SQLite gradebook, so grading needs no server and leaves nothing behind.

GRADES_COLUMNS = ["notebook", "chapter", "score", "max_score"]


def grade(submissions: Path, chapters: list[Path]) -> Path:
    """Autograde every ``.ipynb`` in ``submissions``; write grades.csv."""
    stems = {path.stem: path for path in chapters}
    found = _submissions(submissions, stems)
    book = load_book(chapters)
    rows = []
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        course = Path(tmp)
        for stem in sorted({stem for _, _, stem in found}):
            source = course / "source" / stem / f"{stem}.ipynb"
            source.parent.mkdir(parents=True)
            nbformat.write(notebook(stems[stem], book, "answers"), source)
            _nbgrader(course, "generate_assignment", stem)
        for path, student, stem in found:
            target = course / "submitted" / student / stem
            target.mkdir(parents=True)
            shutil.copy(path, target / f"{stem}.ipynb")
        for stem in sorted({stem for _, _, stem in found}):
            _nbgrader(course, "autograde", stem)
        _nbgrader(course, "export", "--to", str(course / "export.csv"))
        with open(course / "export.csv", newline="") as f:
            scores = {(r["assignment"], r["student_id"]): r
                      for r in csv.DictReader(f)}
    for path, student, stem in found:
        score = scores[(stem, student)]
        rows.append({"notebook": path.name, "chapter": stem,
                     "score": float(score["raw_score"]),
                     "max_score": float(score["max_score"])})
    out = submissions / "grades.csv"
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, GRADES_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return out


def _submissions(folder: Path, stems: dict) -> list[tuple[Path, str, str]]:
    """``(file, student id, chapter)`` for each submitted notebook."""
    found, students = [], set()
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        stem = nb.metadata.get("coursework", {}).get("chapter")
        if stem not in stems:
            named = [s for s in stems if s in path.stem]
            if not named:
                raise ValueError(f"{path}: which chapter is this? Its "
                                 "metadata names none and its file name "
                                 "contains no chapter's name.")
            stem = max(named, key=len)
        student = re.sub(r"[^A-Za-z0-9_-]", "_", path.stem)
        while student in students:
            student += "_"
        students.add(student)
        found.append((path, student, stem))
    return found


def _nbgrader(course: Path, *args: str) -> None:
    command = [
        str(Path(sys.executable).parent / "nbgrader"), *args,
        f"--CourseDirectory.root={course}",
        f"--CourseDirectory.db_url=sqlite:///{course}/gradebook.db",
        "--Execute.timeout=600",
        "--force", "--log-level=WARN",
    ]
    if args[0] == "export":
        command.remove("--force")
        command.remove("--Execute.timeout=600")
    # nbgrader runs ``alembic`` from PATH: put this environment's first.
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent),
                                   env.get("PATH", "")])
    result = subprocess.run(command, capture_output=True, text=True,
                            cwd=course, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {args[0]} failed:\n"
                           + result.stdout[-4000:] + result.stderr[-4000:])


# --- command line ------------------------------------------------------------

def main(argv: list[str]) -> int:
    from booktools import toc_chapters  # booktools imports this module

    root = Path(__file__).resolve().parents[2]
    chapters = toc_chapters(root)
    if len(argv) in (2, 3) and argv[0] == "notebooks":
        executed = Path(argv[2]) if len(argv) == 3 else None
        for path in write_notebooks(chapters, Path(argv[1]), executed):
            print(path)
        return 0
    if len(argv) == 2 and argv[0] == "grade":
        print(grade(Path(argv[1]), chapters))
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
