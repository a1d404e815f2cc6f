"""Bounded-memory and sharded COCO evaluation: results streamed from disk, split by image into
shards, each shard matched and reduced to a :class:`CocoState`, the states merged.

- ``split_results``: one pass over a results JSON of any size (C++ ``CocoResultsReader``, a
  million rows at a time) into per-shard column files, by image.
- ``coco_state``: one shard (a results file, table or list on a set of images) -> CocoState.
- ``coco_evaluate_sharded``: both, with a state file per shard on disk (a rerun skips the shards
  whose state exists), progress per shard on stderr, peak memory ~ one shard + the states.
Used by ``locuskit.dask`` (the same shard tasks on a dask cluster) and ``locuskit eval coco
--shards``.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time

import numpy as np

from .. import _core
from . import _coco
from ._state import CocoState, read_arrays, write_arrays

CHUNK_ROWS = 1 << 20


def shard_of_images(image_ids: np.ndarray, n_shards: int) -> np.ndarray:
    """Shard index of each GT image: contiguous runs of the sorted image ids (shard s holds the
    ids of ranks [s*I/S, (s+1)*I/S))."""
    ids = np.unique(np.asarray(image_ids, np.int64))
    rank = np.arange(len(ids), dtype=np.int64)
    return ids, (rank * n_shards // max(len(ids), 1)).astype(np.int64)


def concat_tables(tables: list) -> dict:
    """Row-wise concatenation of column tables (the ragged segmentation column included); the
    ``missing`` / ``segm_error`` of the first table that has one."""
    if len(tables) == 1:
        return tables[0]
    out = {}
    first = tables[0]
    for k, v in first.items():
        if k in ("segm_offset", "missing", "segm_error"):
            continue
        if isinstance(v, np.ndarray):
            out[k] = np.ascontiguousarray(np.concatenate([t[k] for t in tables]))
        else:
            out[k] = v
    if "segm_offset" in first:
        lens = np.concatenate([np.diff(t["segm_offset"].astype(np.int64)) for t in tables])
        off = np.zeros(len(lens) + 1, np.uint64)
        np.cumsum(lens, out=off[1:])
        out["segm_offset"] = off
    missing = {}
    for t in tables:
        for f, i in t.get("missing", {}).items():
            missing.setdefault(f, i)
    out["missing"] = missing
    out["segm_error"] = next((t["segm_error"] for t in tables if t.get("segm_error")), None)
    return out


def _save_table(path, table: dict) -> None:
    arrays = {k: v for k, v in table.items() if isinstance(v, np.ndarray)}
    nones = [k for k, v in table.items() if v is None and k not in ("segm_error",)]
    write_arrays(path, {"kind": "coco_results_part", "missing": table.get("missing", {}),
                        "segm_error": table.get("segm_error"), "none": nones}, arrays)


def _load_table(path) -> dict:
    header, arrays = read_arrays(path, "coco_results_part")
    t = dict(arrays)
    for k in header.get("none", []):
        t[k] = None
    t["missing"] = {k: int(v) for k, v in header.get("missing", {}).items()}
    t["segm_error"] = header.get("segm_error")
    return t


def _fingerprint(path) -> dict:
    st = os.stat(path)
    return {"path": os.path.abspath(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def split_results(gt_native: dict, results_path, n_shards: int, out_dir, chunk_rows: int = CHUNK_ROWS,
                  progress=None) -> list:
    """Streams ``results_path`` (a COCO results JSON of any size) into ``n_shards`` shards by
    image (``shard_of_images``): ``out_dir/part-<shard>-<chunk>.npz`` column files. Returns, per
    shard, the list of its part files. Memory: one chunk of ``chunk_rows`` results. The rules and
    errors are ``loadRes``' (load_coco_results), raised when the bad row is reached. Done once: a
    ``split.json`` records the results file's size and mtime, and a rerun reuses the parts."""
    os.makedirs(out_dir, exist_ok=True)
    done_path = os.path.join(out_dir, "split.json")
    fp = dict(_fingerprint(results_path), shards=int(n_shards))
    if os.path.exists(done_path):
        with open(done_path) as f:
            done = json.load(f)
        if done.get("fingerprint") == fp:
            return [[os.path.join(out_dir, p) for p in parts] for parts in done["parts"]]
    ids, shard = shard_of_images(gt_native["image_ids"], n_shards)
    h = w = None
    if len(gt_native["image_height"]) == len(gt_native["image_ids"]):
        h = np.ascontiguousarray(gt_native["image_height"], dtype=np.float64)
        w = np.ascontiguousarray(gt_native["image_width"], dtype=np.float64)
    reader = _core.eval.CocoResultsReader(os.fspath(results_path),
                                          np.ascontiguousarray(gt_native["image_ids"], dtype=np.int64), True, h, w)
    parts: list = [[] for _ in range(n_shards)]
    chunk = 0
    t0 = time.perf_counter()
    while True:
        table = reader.next(chunk_rows)
        n = len(table["id"])
        if n == 0:
            break
        s = shard[np.searchsorted(ids, table["image_id"])]
        order = np.argsort(s, kind="stable")  # file order kept inside a shard
        bounds = np.searchsorted(s[order], np.arange(n_shards + 1))
        for k in range(n_shards):
            if bounds[k] == bounds[k + 1]:
                continue
            name = f"part-{k:05d}-{chunk:05d}.npz"
            _save_table(os.path.join(out_dir, name), _coco.take_rows(table, order[bounds[k]:bounds[k + 1]]))
            parts[k].append(name)
        chunk += 1
        if progress:
            progress(f"split: {reader.rows} results read ({time.perf_counter() - t0:.1f} s)")
    empty = reader.rows == 0
    with open(done_path + ".tmp", "w") as f:
        json.dump({"fingerprint": fp, "parts": parts, "empty": empty}, f)
    os.replace(done_path + ".tmp", done_path)
    return [[os.path.join(out_dir, p) for p in ps] for ps in parts]


def load_parts(gt_native: dict, parts: list) -> dict:
    """The results table of one shard from its part files (an empty table when it has none)."""
    if not parts:
        return _coco.load_results(b"[]", gt_native["image_ids"], allow_empty=True, gt=gt_native)
    return concat_tables([_load_table(p) for p in parts])


def shard_params(gt_native: dict, iou_type: str, params: dict) -> dict:
    """pycocotools' defaults for this GT with the keyword overrides (coco_evaluate's names)."""
    p = _coco.default_params(iou_type)
    p["imgIds"] = sorted(int(i) for i in gt_native["image_ids"])
    p["catIds"] = sorted(int(c) for c in gt_native["category_ids"])
    names = {"img_ids": "imgIds", "cat_ids": "catIds", "iou_thrs": "iouThrs", "rec_thrs": "recThrs",
             "max_dets": "maxDets", "area_rng": "areaRng", "area_rng_lbl": "areaRngLbl",
             "kpt_oks_sigmas": "kpt_oks_sigmas", "dilation_ratio": "dilation_ratio"}
    for k, v in params.items():
        if k == "use_cats":
            p["useCats"] = 1 if v else 0
        elif k in names:
            if v is not None:
                p[names[k]] = v
        else:
            raise TypeError(f"unexpected keyword argument {k!r}")
    return p


def coco_state(gt, dt, iou_type: str = "bbox", *, image_ids=None, **params) -> CocoState:
    """The :class:`CocoState` of results ``dt`` (path, bytes, list, (N, 7) array or a column
    table) on the images ``image_ids`` (default: every GT image) — one shard of a distributed
    evaluation. ``gt``: path, bytes, dataset dict or a loaded table (``_coco.load_gt``)."""
    g = gt if isinstance(gt, dict) and "annotations" in gt and "image_ids" in gt else _coco.load_gt(gt)
    if isinstance(dt, dict) and "image_id" in dt:
        table = dt
    elif (isinstance(dt, (list, tuple)) and len(dt) == 0) or (isinstance(dt, np.ndarray) and dt.size == 0):
        table = _coco.load_results(b"[]", g["image_ids"], allow_empty=True, gt=g)
    else:
        table = _coco.load_results(dt, g["image_ids"], allow_empty=True, gt=g)
    p = shard_params(g, iou_type, params)
    imgs = p["imgIds"] if image_ids is None else np.intersect1d(np.asarray(image_ids, np.int64),
                                                                np.asarray(p["imgIds"], np.int64))
    return CocoState.from_tables(g, table, p, image_ids=imgs)


class Progress:
    """Per-shard and overall progress on stderr (``quiet``: nothing)."""

    def __init__(self, total: int, quiet: bool = False, stream=None):
        self.total, self.done, self.quiet = total, 0, quiet
        self.stream = sys.stderr if stream is None else stream
        self.t0 = time.perf_counter()

    def note(self, msg: str) -> None:
        if not self.quiet:
            self.stream.write(f"locuskit: {msg}\n")
            self.stream.flush()

    def shard(self, index: int, seconds: float, results: int, skipped: bool = False) -> None:
        self.done += 1
        el = time.perf_counter() - self.t0
        eta = el / self.done * (self.total - self.done)
        what = "state on disk, skipped" if skipped else f"{results} results, {seconds:.2f} s"
        self.note(f"shard {index + 1}/{self.total} done ({what}); overall {self.done}/{self.total}, "
                  f"{el:.1f} s elapsed, ~{eta:.0f} s left")


def state_path(state_dir, index: int, total: int, key: str) -> str:
    """The state file of shard ``index`` of ``total`` made with parameters hashed to ``key``."""
    return os.path.join(os.fspath(state_dir), f"shard-{index:05d}-of-{total:05d}.{key}.state.npz")


def load_state_if_done(path, params: dict):
    """The shard's state if its file exists and was made with ``params``, else None."""
    if path is None or not os.path.exists(path):
        return None
    try:
        s = CocoState.load(path)
    except ValueError:
        return None
    from ._state import fixed_params

    return s if s.params == fixed_params(params) else None


def params_key(p: dict) -> str:
    from ._state import fixed_params

    return hashlib.sha256(json.dumps(fixed_params(p), sort_keys=True).encode()).hexdigest()[:12]


def coco_evaluate_sharded(gt, results, iou_type: str = "bbox", *, shards: int = 16, state_dir=None,
                          quiet: bool = False, chunk_rows: int = CHUNK_ROWS, **params):
    """``coco_evaluate`` in bounded memory: ``results`` (a results JSON path of any size) is
    streamed into ``shards`` shards by image, each shard matched and reduced to a CocoState,
    the states merged: the same :class:`CocoResult`, bit for bit. ``results`` may also be a list
    of results files, one shard each, each holding every result of its images (an image in two
    files raises ValueError). Peak memory ~ the GT + one
    shard's results and matching + the states (docs/eval.md, "Bounded memory").

    ``state_dir``: where the shard files and a state file per shard are kept (default: a
    temporary folder, removed at the end); a rerun with the same folder skips finished shards.
    Progress per shard and overall on stderr unless ``quiet``."""
    import shutil
    import tempfile

    g = gt if isinstance(gt, dict) and "annotations" in gt else _coco.load_gt(gt)
    p = shard_params(g, iou_type, params)
    files = None if isinstance(results, (str, os.PathLike)) else [os.fspath(r) for r in results]
    if files is not None:
        if not files:
            raise ValueError("results: an empty list of shards")
        shards = len(files)
    own = state_dir is None
    sdir = tempfile.mkdtemp(prefix="locuskit-shards-") if own else os.fspath(state_dir)
    os.makedirs(sdir, exist_ok=True)
    prog = Progress(shards, quiet)
    try:
        key = params_key(p)
        paths = [state_path(sdir, k, shards, key) for k in range(shards)]
        # Only whether a shard is done is kept in memory: the states are merged from their files.
        done = [load_state_if_done(pth, p) is not None for pth in paths]
        todo = [k for k, d in enumerate(done) if not d]
        if todo and files is None:
            parts = split_results(g, results, shards, os.path.join(sdir, "split"), chunk_rows, prog.note)
        ids, shard = shard_of_images(g["image_ids"], shards)
        wanted = np.asarray(p["imgIds"], np.int64)
        for k in range(shards):
            if done[k]:
                prog.shard(k, 0.0, 0, skipped=True)
                continue
            t = time.perf_counter()
            if files is None:
                table = load_parts(g, parts[k])
                imgs = np.intersect1d(ids[shard == k], wanted)
            else:  # a results file holds every result of its images
                table = _coco.load_results(files[k], g["image_ids"], allow_empty=True, gt=g)
                imgs = np.intersect1d(np.unique(table["image_id"]), wanted)
            s = CocoState.from_tables(g, table, p, image_ids=imgs)
            n = len(table["id"])
            del table
            s.save(paths[k])
            del s
            prog.shard(k, time.perf_counter() - t, n)
        merged = CocoState.merge_files(paths)
        # Images no shard covers (outside the GT, or without results in any file) count their GT.
        extra = np.setdiff1d(wanted, merged.image_ids)
        if len(extra):
            merged = merged.merge(CocoState.from_tables(g, load_parts(g, []), p, image_ids=extra))
        return merged.compute()
    finally:
        if own:
            shutil.rmtree(sdir, ignore_errors=True)
