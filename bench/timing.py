"""Timing helpers: one run's wall time, and the median of several."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timing:
    """Seconds: the median of `runs` (one run: that run)."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def brief(self) -> str:
        return format_seconds(self.median) + (f" (median of {len(self.runs)})"
                                              if len(self.runs) > 1 else "")


def timed(action: Callable[[], object]) -> float:
    """Wall-clock seconds `action()` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(repeats: int, action: Callable[[], object],
              before: Callable[[], object] | None = None) -> Timing:
    """Time `action` `repeats` times (`before` runs untimed ahead of each); the median wins."""
    runs = []
    for _ in range(repeats):
        if before is not None:
            before()
        runs.append(timed(action))
    return Timing(runs)


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:,.0f} ms"
    return f"{seconds:,.2f} s"
