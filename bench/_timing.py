"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass


@dataclass
class Result:
    """One benchmark figure and its target (``measured <= target``)."""

    name: str
    measured: float
    target: float
    unit: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.measured <= self.target

    def line(self) -> str:
        mark = "ok  " if self.ok else "MISS"
        return (
            f"{mark} {self.name}: {self.measured:.3g} {self.unit} "
            f"(target <= {self.target:.3g} {self.unit}) {self.detail}"
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def best_of(func, repeat: int = 5) -> float:
    """Fastest of ``repeat`` wall-clock timings of ``func()``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best
