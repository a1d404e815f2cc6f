"""Coverage-guided mutational fuzzing of locuskit's Python-level parsers.

libFuzzer instruments C++ only, and atheris (its Python counterpart) is not packaged for Debian, so
the parsers written in Python (VOC XML/txt folders) get this small fuzzer instead: libFuzzer's loop
in miniature. Coverage is the set of line arcs (previous line, line) executed inside the locuskit
package, collected with ``sys.settrace``; an input that reaches a new arc joins the corpus, and
inputs are made by mutating corpus members (bit flips, byte and chunk insertion/deletion, splicing,
tokens from a dictionary). A target is a callable taking bytes; it must return normally or raise
one of the documented exceptions, anything else is a finding (the input is saved and re-raised).

    /usr/bin/python3 tests/fuzz/pyfuzz.py voc [--seconds 3600 | --runs N] [--seed 1] [--work DIR]

CI runs a fixed seed and input count through pytest (tests/python/test_fuzz_voc.py), so its result
is reproducible; docs/fuzzing.md records the longer runs.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import random
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent


class Finding(Exception):
    """An input made the target raise something it must not; ``path`` holds the saved input."""

    def __init__(self, path, exc):
        super().__init__(f"{type(exc).__name__}: {exc} (input saved to {path})")
        self.path = path


def _package_dir():
    import locuskit

    return os.path.dirname(os.path.abspath(locuskit.__file__))


class ArcCoverage:
    """Line arcs executed in files under ``root`` while active (a ``sys.settrace`` tracer)."""

    def __init__(self, root):
        self.root = root
        self.arcs = set()
        self._prev = {}

    def _local(self, frame, event, arg):
        if event == "line":
            code = frame.f_code
            key = id(frame)
            self.arcs.add((code.co_filename, self._prev.get(key, -code.co_firstlineno), frame.f_lineno))
            self._prev[key] = frame.f_lineno
        elif event == "return":
            self._prev.pop(id(frame), None)
        return self._local

    def _global(self, frame, event, arg):
        return self._local if frame.f_code.co_filename.startswith(self.root) else None

    def run(self, fn, data):
        self.arcs = set()
        sys.settrace(self._global)
        try:
            fn(data)
        finally:
            sys.settrace(None)
            self._prev.clear()
        return self.arcs


DICTIONARY = [
    b"<annotation>", b"</annotation>", b"<object>", b"</object>", b"<name>", b"</name>", b"<bndbox>",
    b"</bndbox>", b"<xmin>", b"</xmin>", b"<ymax>", b"</ymax>", b"<difficult>1</difficult>", b"<!--",
    b"<![CDATA[", b"&amp;", b"&#0;", b"nan", b"inf", b"-inf", b"1e400", b"-0", b"0x10", b"1_0", b"\xef\xbb\xbf",
    b"\r\n", b"\t", b"\x00", b"\xff", b" ", b"\n", b"9223372036854775808", b"-1", b"0.5",
]


def mutate(rng, data, corpus, max_len):
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = min(rng.randrange(10), 7)  # token replacement (7) weighted 3 of 10: the parsers are line/token based
        pos = rng.randint(0, len(out))
        if op == 0 and out:
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[pos:pos] = bytes([rng.randrange(256)])
        elif op == 2 and out:
            end = min(len(out), pos + rng.randint(1, 16))
            del out[pos:end]
        elif op == 3 and out:
            start = rng.randrange(len(out))
            chunk = out[start:start + rng.randint(1, 64)]
            out[pos:pos] = chunk
        elif op == 4:
            out[pos:pos] = rng.choice(DICTIONARY)
        elif op == 5 and corpus:
            other = rng.choice(corpus)
            cut = rng.randint(0, len(other))
            out = out[:pos] + other[cut:]
        elif op == 6 and out:
            i = rng.randrange(len(out))
            out[i] = rng.choice(b"0123456789.-+eE ")
        elif op == 7:
            # replace one whitespace-separated token: numbers become nan/inf/huge, names become tags
            lines = bytes(out).split(b"\n")
            k = rng.randrange(len(lines))
            tokens = lines[k].split(b" ")
            tokens[rng.randrange(len(tokens))] = rng.choice(DICTIONARY)
            lines[k] = b" ".join(tokens)
            out = bytearray(b"\n".join(lines))
    return bytes(out[:max_len])


def fuzz(target, seeds, *, runs=None, seconds=None, seed=1, max_len=4096, work=None, log=None):
    """Runs ``target`` on mutated inputs until ``runs`` inputs or ``seconds`` have passed. Returns a
    dict of statistics; raises Finding on the first input that makes the target raise something
    it must not."""
    rng = random.Random(seed)
    cov = ArcCoverage(_package_dir())
    work = pathlib.Path(work or tempfile.mkdtemp(prefix="pyfuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    seen = set()
    corpus = []

    def execute(data):
        try:
            arcs = cov.run(target, data)
        except Exception as exc:  # noqa: BLE001 - every unexpected exception is the finding
            path = work / f"crash-{hashlib.sha1(data).hexdigest()}"
            path.write_bytes(data)
            raise Finding(path, exc) from exc
        new = arcs - seen
        if new:
            seen.update(new)
            corpus.append(data)
        return bool(new)

    start = time.monotonic()
    for s in seeds:
        execute(s)
    n = 0
    while True:
        if runs is not None and n >= runs:
            break
        if seconds is not None and time.monotonic() - start >= seconds:
            break
        base = rng.choice(corpus) if corpus else b""
        execute(mutate(rng, base, corpus, max_len))
        n += 1
        if log and n % 10000 == 0:
            print(f"#{n} arcs: {len(seen)} corpus: {len(corpus)} exec/s: {n / (time.monotonic() - start):.0f}",
                  file=log, flush=True)
    elapsed = time.monotonic() - start
    return {"runs": n, "seconds": elapsed, "arcs": len(seen), "corpus": len(corpus),
            "exec_per_sec": n / elapsed if elapsed else 0.0, "corpus_inputs": corpus}


# ---------------------------------------------------------------------------------------------
# Targets


class VocTarget:
    """One input = one VOC evaluation: bytes → a ground-truth file (XML or ``class [difficult] x y w h``
    text, chosen by the first byte) and a detections file ``class score x y w h``, split at the first
    ``\\n===\\n``; box format and +1 convention from the first byte. ``voc_evaluate`` must return
    per-class results whose AP is NaN or in [0, 1 + 4 ulp] (the devkit's 11-point AP adds p/11 eleven
    times: 1.0000000000000002 for a perfect class, reproduced bit for bit), or raise ValueError
    naming the file."""

    SEPARATOR = b"\n===\n"

    def __init__(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="pyfuzz-voc-"))
        (self.dir / "gt").mkdir()
        (self.dir / "det").mkdir()

    def __call__(self, data: bytes):
        import math

        from locuskit.eval import voc_evaluate

        mode = data[0] if data else 0
        gt_bytes, _, det_bytes = data[1:].partition(self.SEPARATOR)
        for sub in ("gt", "det"):
            for p in (self.dir / sub).iterdir():
                p.unlink()
        (self.dir / "gt" / ("img.xml" if mode & 1 else "img.txt")).write_bytes(gt_bytes)
        (self.dir / "det" / "img.txt").write_bytes(det_bytes)
        try:
            res = voc_evaluate(self.dir / "gt", self.dir / "det", box_format="xyxy" if mode & 2 else "xywh",
                               plus_one=bool(mode & 4))
        except ValueError as exc:
            if str(self.dir) not in str(exc):
                raise AssertionError(f"ValueError that does not name the file: {exc}") from exc
            return
        for name, r in res.classes.items():
            for ap in (r.ap_all_point, r.ap_11point):
                if not (math.isnan(ap) or 0.0 <= ap <= 1.0 + 4 * 2.0**-52):
                    raise AssertionError(f"class {name!r}: AP {ap} outside [0, 1]")

    @staticmethod
    def seeds():
        corpus = HERE / "corpus" / "pyfuzz_voc"
        return [p.read_bytes() for p in sorted(corpus.iterdir())] if corpus.is_dir() else []


TARGETS = {"voc": VocTarget}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("target", choices=sorted(TARGETS))
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", help="where findings are saved (default: a temporary folder)")
    args = ap.parse_args(argv)
    if args.seconds is None and args.runs is None:
        args.seconds = 60.0
    t = TARGETS[args.target]
    cpu0 = time.process_time()
    stats = fuzz(t(), t.seeds(), runs=args.runs, seconds=args.seconds, seed=args.seed, work=args.work,
                 log=sys.stderr)
    stats.pop("corpus_inputs")
    stats["cpu_seconds"] = time.process_time() - cpu0
    print(" ".join(f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}" for k, v in stats.items()))


if __name__ == "__main__":
    main()
