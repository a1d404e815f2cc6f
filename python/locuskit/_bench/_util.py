"""Helpers shared by the benchmark modules: timing and the table printer."""
from __future__ import annotations

import time


def best_time(fn, repeat: int, budget_s: float = 5.0) -> float:
    """Best wall time of ``fn()`` in seconds over up to ``repeat`` runs (fewer if over budget)."""
    best = float("inf")
    spent = 0.0
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        spent += dt
        if spent > budget_s:
            break
    return best


def print_table(rows, headers) -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
