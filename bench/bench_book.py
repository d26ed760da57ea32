"""Chapter execution times, and `make book` from a fresh clone.

Targets (foundation issue): each chapter executes in <= 30 s; `make book`
in a fresh clone, install included, <= 3 min; running it again with
nothing changed <= 10 s. The fresh-clone build takes minutes, so it runs
only when BENCH_FRESH_CLONE=1 is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

from _timing import Result

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from booktools import toc_chapters  # noqa: E402


def run() -> list[Result]:
    results = []
    for path in toc_chapters(ROOT):
        nb = jupytext.read(path, fmt="md:myst")
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={
            "metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
        results.append(Result(f"execute {path.stem}", seconds, 30.0, "s",
                              "(kernel start included)"))
    if os.environ.get("BENCH_FRESH_CLONE") == "1":
        results += fresh_clone()
    return results


def fresh_clone() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "book"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)],
                       check=True)
        timings = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(["make", "book"], cwd=clone, check=True,
                           capture_output=True)
            timings.append(time.perf_counter() - start)
        # Past make's check: Sphinx itself must find nothing to re-execute.
        start = time.perf_counter()
        subprocess.run([str(clone / ".venv" / "bin" / "jupyter-book"),
                        "build", ".", "--warningiserror", "--keep-going"],
                       cwd=clone, check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return [
        Result("make book, fresh clone (install + build)", timings[0],
               180.0, "s"),
        Result("make book again, nothing changed", timings[1], 10.0, "s"),
        Result("jupyter-book build again, nothing changed", timings[2],
               10.0, "s"),
    ]
