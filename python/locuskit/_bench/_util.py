"""Helpers shared by the benchmark modules: timing (median wall and CPU time) and the table printer."""
from __future__ import annotations

import os
import resource
import statistics
import time


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed_runs(fn, repeat: int, budget_s: float = 5.0, min_run_s: float = 0.02) -> tuple[list, list, int]:
    """Wall and CPU seconds of up to ``repeat`` runs of ``fn()`` after a warm-up call (fewer runs
    once ``budget_s`` is spent), and the calls per run. CPU time is this process's (all threads),
    from getrusage: steadier than wall time on a loaded machine. Calls shorter than ``min_run_s``
    are batched per run (``calls`` > 1), since CPU time is too coarse for one microsecond call."""
    t0 = time.perf_counter()
    fn()
    calls = max(1, int(min_run_s / max(time.perf_counter() - t0, 1e-7)))
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        c0, t0 = _cpu(), time.perf_counter()
        for _ in range(calls):
            fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        if sum(walls) > budget_s:
            break
    return walls, cpus, calls


def median_time(fn, repeat: int, budget_s: float = 5.0) -> tuple[float, float]:
    """Median (wall, CPU) seconds of one call of ``fn()`` (see ``timed_runs``)."""
    walls, cpus, calls = timed_runs(fn, repeat, budget_s)
    return statistics.median(walls) / calls, statistics.median(cpus) / calls


def load_average() -> str:
    """The 1/5/15-minute load averages, as ``uptime`` prints them."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(rows, headers) -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
