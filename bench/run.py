"""Run every benchmark in ``bench/bench_*.py`` and print a table.

Each benchmark module defines ``run() -> list[Result]``. Results are also
written to ``bench/results.json`` (not committed). Speed is measured here,
never in the test suite: timings on a shared machine are too noisy for a
pass/fail test, so this prints the figures next to their targets.

    python bench/run.py [NAME ...]   # e.g. python bench/run.py estimators
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _timing import Result  # noqa: E402


def main(names: list[str]) -> int:
    modules = sorted(HERE.glob("bench_*.py"))
    if names:
        modules = [
            m for m in modules if m.stem.removeprefix("bench_") in names
        ]
    results: list[Result] = []
    for path in modules:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}", flush=True)
        for result in module.run():
            print("  " + result.line(), flush=True)
            results.append(result)
    (HERE / "results.json").write_text(
        json.dumps([r.as_dict() for r in results], indent=2)
    )
    missed = [r for r in results if not r.ok]
    print(f"{len(results) - len(missed)} of {len(results)} within target")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
