"""Shared by the benchmark scripts: finding the live peers, timing (wall and CPU), load, JSON.

Peers that Debian does not ship (pycocotools, evo) are built from their public source outside the
project (see ../shared/peers/README.md and bench/README.md) under one folder named by the
environment variable ``LOCUSKIT_PEERS``:

    $LOCUSKIT_PEERS/cocoapi/PythonAPI        pycocotools built in place (setup.py build_ext --inplace)
    $LOCUSKIT_PEERS/evo-venv/bin/evo_ape     evo in a --system-site-packages venv (also evo_rpe)

torchvision, OpenCV and scipy are Debian's and imported directly. A peer that is missing is
reported with what to do, and its rows are left out (never replaced by other figures).
"""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _shared() -> pathlib.Path:
    """../shared next to the checkout (or next to the worktrees' folder): fixtures, data generators."""
    env = os.environ.get("LOCUSKIT_SHARED")
    cands = [pathlib.Path(env)] if env else [ROOT.parent / "shared", ROOT.parent.parent / "shared"]
    return next((c for c in cands if c.is_dir()), cands[0])


SHARED = _shared()


# --------------------------------------------------------------------------------------- peers
def peers_dir() -> pathlib.Path | None:
    p = os.environ.get("LOCUSKIT_PEERS")
    return pathlib.Path(p) if p else None


def pycocotools_path() -> tuple[str | None, str]:
    """(folder to put on PYTHONPATH, or None; a message saying what was found or what to do)."""
    base = peers_dir()
    if base is None:
        return None, "pycocotools: LOCUSKIT_PEERS is not set (e.g. LOCUSKIT_PEERS=/work/peers): rows skipped"
    api = base / "cocoapi" / "PythonAPI"
    if not any((api / "pycocotools").glob("_mask*.so")):
        return None, (f"pycocotools: not built at {api} (clone ppwwyyxx/cocoapi there and run "
                      f"'/usr/bin/python3 setup.py build_ext --inplace' in PythonAPI): rows skipped")
    return str(api), f"pycocotools: {api}"


def evo_bin(tool: str) -> tuple[str | None, str]:
    base = peers_dir()
    cand = base / "evo-venv" / "bin" / tool if base else None
    if cand is not None and cand.exists():
        return str(cand), f"evo: {cand}"
    found = shutil.which(tool)
    if found:
        return found, f"evo: {found} (from PATH)"
    where = f"{cand}" if cand else "$LOCUSKIT_PEERS/evo-venv/bin (LOCUSKIT_PEERS is not set)"
    return None, f"evo: {tool} not found at {where} nor on PATH (see bench/README.md): rows skipped"


def peer_versions() -> dict:
    """Versions (and source commits) of the peers found, for the record."""
    out = {}
    api, _ = pycocotools_path()
    if api:
        m = re.search(r"version=['\"]([^'\"]+)", (pathlib.Path(api) / "setup.py").read_text())
        out["pycocotools"] = (m.group(1) if m else "?") + _source_commit(api)
    ape, _ = evo_bin("evo_ape")
    if ape:
        r = subprocess.run([ape.replace("evo_ape", "python"), "-c", "import evo, os; print(evo.__version__); "
                            "print(os.path.dirname(os.path.dirname(evo.__file__)))"], capture_output=True, text=True)
        lines = r.stdout.split()
        out["evo"] = (lines[0] + _source_commit(lines[1])) if len(lines) == 2 else "?"
    return out


def _source_commit(folder) -> str:
    r = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True)
    return f" (source {r.stdout.strip()})" if r.returncode == 0 else ""


def locuskit_cli() -> list[str]:
    """The installed ``locuskit`` console script next to this interpreter (as a user runs it)."""
    script = pathlib.Path(sys.executable).with_name("locuskit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "locuskit"]


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git_commit()}


# -------------------------------------------------------------------------------------- timing
def load() -> list[float]:
    """The 1/5/15-minute load averages (what ``uptime`` prints)."""
    return [round(x, 2) for x in os.getloadavg()]


def summary(walls, cpus, inner=1, extra=None) -> dict:
    out = {"wall_s": statistics.median(walls) / inner, "wall_min_s": min(walls) / inner,
           "cpu_s": statistics.median(cpus) / inner, "runs": len(walls), "calls_per_run": inner}
    out.update(extra or {})
    return out


def time_call(fn, repeat: int, budget_s: float = 60.0) -> dict:
    """Median wall and CPU time of one call of ``fn`` (locuskit.benchmarks.timed_runs: one warm-up
    call, short calls batched so that a run lasts >= 20 ms, fewer runs once ``budget_s`` is spent)."""
    from locuskit.benchmarks import timed_runs

    walls, cpus, calls = timed_runs(fn, repeat, budget_s)
    return summary(walls, cpus, calls)


def run_cli(argv, env=None, cwd=None) -> dict:
    """Runs a command once in a fresh process: wall time and the child's CPU time (os.wait4), its
    peak RSS, exit code and stdout. The peak comes from /usr/bin/time (Debian package ``time``)
    when present, else it is None: a child forked from this (large) process keeps this process's
    resident size in its ru_maxrss across exec, so wait4's figure would be wrong."""
    timer = shutil.which("time", path="/usr/bin")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        cmd = [timer, "-f", "%M", "-o", peak.name, *map(str, argv)] if timer else list(argv)
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        kib = peak.read().strip().splitlines()[-1:] if timer else []
        return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
                "peak_rss_mb": int(kib[0]) / 1024 if kib and kib[0].isdigit() else None,
                "rc": p.returncode, "stdout": out.read(), "stderr": err.read()}


def time_cli(argv, repeat: int, env=None, cwd=None, budget_s: float = 600.0) -> tuple[dict, list[dict]]:
    """Median over ``repeat`` fresh-process runs (fewer when over ``budget_s``); raises on failure."""
    runs = []
    spent = 0.0
    for _ in range(max(1, repeat)):
        r = run_cli(argv, env, cwd)
        if r["rc"] != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} failed (exit {r['rc']}):\n{r['stderr'][-2000:]}")
        runs.append(r)
        spent += r["wall_s"]
        if spent > budget_s:
            break
    s = summary([r["wall_s"] for r in runs], [r["cpu_s"] for r in runs],
                extra={"peak_rss_mb": max((r["peak_rss_mb"] or 0) for r in runs) or None})
    return s, runs


# ------------------------------------------------------------------------------------ recording
class Recorder:
    """Collects rows (ours vs peer, same inputs, same run), prints them and writes JSON."""

    def __init__(self, title: str, path=None):
        self.title = title
        self.path = path  # rewritten after every row, so that an interrupted run keeps what it measured
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.meta = machine()

    def note(self, msg: str) -> None:
        print(msg, flush=True)
        self.notes.append(msg)

    def add(self, section, case, kind, ours, peer_name, peer, agree="-", load_before=None, **extra) -> dict:
        row = {"section": section, "case": case, "kind": kind, "locuskit": ours, "peer_name": peer_name,
               "peer": peer, "agree": agree, "load_before": load_before, "load_after": load()}
        if peer:
            row["ratio_wall"] = peer["wall_s"] / ours["wall_s"]
            row["ratio_cpu"] = peer["cpu_s"] / ours["cpu_s"] if ours["cpu_s"] > 0 else None
        row.update(extra)
        self.rows.append(row)
        print(self.format_row(row), flush=True)
        if self.path:
            self.write(self.path, quiet=True)
        return row

    @staticmethod
    def _t(s):
        if s >= 1:
            return f"{s:.2f} s"
        if s >= 1e-3:
            return f"{s * 1e3:.3g} ms"
        return f"{s * 1e6:.3g} us"

    def format_row(self, r) -> str:
        o, p = r["locuskit"], r["peer"]
        ours = f"{self._t(o['wall_s'])} (CPU {self._t(o['cpu_s'])})"
        peer = f"{self._t(p['wall_s'])} (CPU {self._t(p['cpu_s'])})" if p else "-"
        rw = f"{r['ratio_wall']:.1f}x" if p else "-"
        rc = f"{r['ratio_cpu']:.1f}x" if p and r.get("ratio_cpu") else "-"
        ld = "/".join(f"{x:.1f}" for x in r["load_after"])
        return (f"{r['case']}\n    locuskit {ours:28s} {r['peer_name'] + ' ' + peer:58s} ratio wall {rw:>7s} "
                f"CPU {rc:>7s}  {r['agree']:10s} load {ld}")

    def markdown(self) -> str:
        """The rows as a Markdown table (for bench/README.md), CPU-time ratio first."""
        t = self._t
        out = ["| case | kind | locuskit wall (CPU) | peer | peer wall (CPU) | ratio CPU (wall) | result "
               "| load 1/5/15 |",
               "|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            o, p = r["locuskit"], r["peer"]
            ratio = (f"**{r['ratio_cpu']:.1f}×** ({r['ratio_wall']:.1f}×)" if p and r.get("ratio_cpu")
                     else "-")
            ld = "/".join(f"{x:.1f}" for x in r["load_after"])
            cells = [r["case"], r["kind"], f"{t(o['wall_s'])} ({t(o['cpu_s'])})", r["peer_name"],
                     f"{t(p['wall_s'])} ({t(p['cpu_s'])})" if p else "-", ratio, r["agree"], ld]
            out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        return "\n".join(out)

    def print_table(self) -> None:
        print(f"\n== {self.title}: locuskit vs peers, same inputs, same run (median per call; load = 1/5/15 min)")
        print(f"   {self.meta}")
        for r in self.rows:
            print(self.format_row(r))

    def write(self, path, quiet=False) -> None:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as f:
            json.dump({"title": self.title, "meta": self.meta, "notes": self.notes, "rows": self.rows}, f, indent=1)
        if not quiet:
            print(f"wrote {path}")
