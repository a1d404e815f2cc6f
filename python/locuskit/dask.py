"""COCO, LVIS and MOT evaluation of a sharded result set on a ``dask.distributed`` cluster.

Each shard (a results file, or a piece of one large results file split by image) is matched on a
worker and reduced to a :class:`locuskit.eval.CocoState`; the states come back to the client
(through the documented state format) one at a time, each is kept as a state file (the worker's
in ``state_dir``, else a temporary one), and the files are merged once all have arrived
(``CocoState.merge_files``: the merged state plus one shard in memory, never every shard's state
at once); ``compute()`` of the merged state is the single-process result, bit for bit. See
docs/distributed.md for a real cluster (Kubernetes, SLURM) and how time scales with workers.
:func:`evaluate_lvis` shards by image as COCO (``LvisState``), :func:`evaluate_mot` by sequence
(``locuskit.mot.MotState``); both give their single-process result bit for bit.

Needs Debian's ``python3-distributed`` (imported only when a function here is called).

**Example**::

    from locuskit.dask import evaluate_coco
    r = evaluate_coco("gt.json", ["dt-rank0.json", "dt-rank1.json"], workers=2)   # LocalCluster
    r = evaluate_coco("gt.json", "dt.json", scheduler="tcp://10.0.0.5:8786", shards=64,
                      state_dir="/shared/run1")      # one big file, split by image; resumable
    print(r.summary())
    r = evaluate_lvis("lvis_val.json", ["dt-rank0.json", "dt-rank1.json"], workers=2)
    r = evaluate_mot("gt/mot_challenge", "trackers/mot_challenge", "MOT17", "train", workers=2)
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from typing import Optional, Sequence, Union

import numpy as np

from .eval import _coco
from .eval._shard import (Progress, load_parts, load_state_if_done, params_key, shard_params, split_results,
                          state_path)
from .eval._state import CocoState

__all__ = ["evaluate_coco", "coco_shard_states", "evaluate_lvis", "evaluate_mot"]

_GT_CACHE: dict = {}
_GT_LOCK = threading.Lock()


def _ground_truth(gt):
    """The GT tables, loaded once per worker process (keyed by path, size and mtime)."""
    if isinstance(gt, (bytes, bytearray)):
        return _coco.load_gt(bytes(gt))
    path = os.path.abspath(os.fspath(gt))
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    with _GT_LOCK:
        if key not in _GT_CACHE:
            _GT_CACHE.clear()  # one GT at a time per process
            _GT_CACHE[key] = _coco.load_gt(path)
        return _GT_CACHE[key]


def _shard_task(gt, source, iou_type: str, params: dict, image_ids, out_path):
    """One shard on a worker -> (state, seconds, results, skipped). ``source``: a results JSON
    path, or ("parts", [part files]) of split_results."""
    t0 = time.perf_counter()
    g = _ground_truth(gt)
    p = shard_params(g, iou_type, params)
    done = load_state_if_done(out_path, p)
    if done is not None:
        return done, time.perf_counter() - t0, 0, True
    if isinstance(source, tuple) and source[0] == "parts":
        table = load_parts(g, source[1])
    else:
        table = _coco.load_results(os.fspath(source), g["image_ids"], allow_empty=True, gt=g)
    wanted = np.asarray(p["imgIds"], np.int64)
    if image_ids is None:  # a results file: the shard is the images of its results
        imgs = np.intersect1d(np.unique(table["image_id"]), wanted)
    else:
        imgs = np.intersect1d(np.asarray(image_ids, np.int64), wanted)
    state = CocoState.from_tables(g, table, p, image_ids=imgs)
    n = len(table["id"])
    del table
    if out_path is not None:
        state.save(out_path)
    return state, time.perf_counter() - t0, n, False


def _client(client, scheduler, workers, processes):
    """(client, owned cluster or None)."""
    if client is not None:
        return client, None
    from distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler), None
    # processes=False: in-process transport; else TCP on loopback only
    net = {"host": "127.0.0.1"} if processes else {}
    cluster = LocalCluster(n_workers=int(workers or 2), threads_per_worker=1, processes=processes,
                           dashboard_address=":0", **net)
    return Client(cluster), cluster


def _worker_count(cl, workers) -> int:
    """Workers of the cluster (``workers`` while the scheduler does not know them yet)."""
    return max(1, len(cl.scheduler_info().get("workers", {})) or int(workers or 1))


def _close(cl, cluster, scratch=None) -> None:
    """Closes the client and the cluster that ``_client`` started (not the caller's) and removes
    a scratch folder."""
    if cluster is not None:
        cl.close()
        cluster.close()
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_shards(cl, task, shard_args: list, name: str):
    """Submits ``task(*args)`` for each shard's ``args`` and yields ``(k, result)`` as each
    finishes, dask's copy of the result released first (the caller holds the only one)."""
    from distributed import as_completed

    stamp = time.monotonic_ns()
    futures = {cl.submit(task, *args, pure=False, key=f"locuskit-{name}-shard-{k}-{stamp}"): k
               for k, args in enumerate(shard_args)}
    for f in as_completed(list(futures)):
        k = futures.pop(f)
        result = f.result()
        f.release()
        del f
        yield k, result
        del result


def _prepare(gt, results, iou_type: str, params: dict):
    """(GT source for the workers, its tables, the shard parameters, the results files or None)."""
    if isinstance(results, (str, os.PathLike)):
        sources = None
    else:
        sources = [os.fspath(r) for r in results]
        if not sources:
            raise ValueError("results: an empty list of shards")
    gt_src = gt if isinstance(gt, (bytes, bytearray)) else os.path.abspath(os.fspath(gt))
    g = _ground_truth(gt_src)
    return gt_src, g, shard_params(g, iou_type, params), sources


def _finished_shards(gt_src, g, p, results, sources, iou_type, client, scheduler, workers, shards, state_dir,
                     quiet, processes, params):
    """Submits every shard and yields ``(k, state, timing, state file or None)`` as each finishes;
    dask's copy of a state is released before it is yielded. Closes a cluster it started and
    removes the split's parts once the last shard is done (or the generator is closed)."""
    if state_dir is not None:
        os.makedirs(state_dir, exist_ok=True)
    key = params_key(p)
    cl, cluster = _client(client, scheduler, workers, processes)
    split_tmp = None
    try:
        n_workers = _worker_count(cl, workers)
        if sources is None:  # one file: split by image on the client, the parts go to the workers
            n = int(shards or 4 * n_workers)
            if state_dir is not None:
                split_dir = os.path.join(os.fspath(state_dir), "split")
            else:
                split_dir = split_tmp = tempfile.mkdtemp(prefix="locuskit-split-")
            prog0 = Progress(n, quiet)
            parts = split_results(g, results, n, split_dir, progress=prog0.note)
            from .eval._shard import shard_of_images

            ids, which = shard_of_images(g["image_ids"], n)
            tasks = [(("parts", parts[k]), ids[which == k]) for k in range(n)]
        else:
            tasks = [(s, None) for s in sources]
        total = len(tasks)
        prog = Progress(total, quiet)
        outs = [None if state_dir is None else state_path(state_dir, k, total, key) for k in range(total)]
        shard_args = [(gt_src, src, iou_type, dict(params), imgs, outs[k]) for k, (src, imgs) in enumerate(tasks)]
        for k, (state, sec, n_res, skipped) in _run_shards(cl, _shard_task, shard_args, f"coco-{key}"):
            prog.shard(k, sec, n_res, skipped)
            yield k, state, {"shard": k, "seconds": sec, "results": n_res, "skipped": skipped}, outs[k]
            del state
    finally:
        _close(cl, cluster, split_tmp)


def _uncovered_state(g, p, covered: np.ndarray):
    """The state of the GT images that no shard covers (their GT still counts), or None."""
    rest = np.setdiff1d(np.asarray(p["imgIds"], np.int64), covered)
    if not len(rest):
        return None
    empty = _coco.load_results(b"[]", g["image_ids"], allow_empty=True, gt=g)
    return CocoState.from_tables(g, empty, p, image_ids=rest)


def coco_shard_states(gt, results: Union[str, os.PathLike, Sequence], iou_type: str = "bbox", *, client=None,
                      scheduler: Optional[str] = None, workers: Optional[int] = None, shards: Optional[int] = None,
                      state_dir=None, quiet: bool = False, processes: bool = False, **params):
    """Evaluates every shard on the cluster and returns ``(states, timings)``: one CocoState per
    shard (plus one for GT images that no results file covers) and, per shard, ``{"shard",
    "seconds", "results", "skipped"}`` (worker wall time, for scaling estimates). Arguments as
    :func:`evaluate_coco`. Holds every shard's state in memory (:func:`evaluate_coco` does not)."""
    gt_src, g, p, sources = _prepare(gt, results, iou_type, params)
    done = _finished_shards(gt_src, g, p, results, sources, iou_type, client, scheduler, workers, shards, state_dir,
                            quiet, processes, params)
    states, timings = [], []
    with contextlib.closing(done):
        for k, state, timing, _ in done:
            states.append((k, state))
            timings.append(timing)
    states = [s for _, s in sorted(states, key=lambda ks: ks[0])]
    timings.sort(key=lambda t: t["shard"])
    covered = np.concatenate([s.image_ids for s in states]) if states else np.zeros(0, np.int64)
    rest = _uncovered_state(g, p, covered)
    if rest is not None:
        states.append(rest)
    return states, timings


def evaluate_coco(gt, results: Union[str, os.PathLike, Sequence], iou_type: str = "bbox", *, client=None,
                  scheduler: Optional[str] = None, workers: Optional[int] = None, shards: Optional[int] = None,
                  state_dir=None, quiet: bool = False, processes: bool = False, **params):
    """COCO evaluation on a dask.distributed cluster; returns the :class:`locuskit.eval.CocoResult`
    that ``locuskit.eval.coco_evaluate(gt, all results)`` gives, bit for bit.

    - ``gt``: GT JSON path (read by every worker: on a real cluster a shared path) or its bytes.
    - ``results``: a list of results JSON files, each holding every result of its images (e.g. one
      per inference rank; an image in two files raises ValueError), or one results file of any
      size, split by image into ``shards`` pieces (default 4 per worker) on the client, streaming.
    - cluster: ``client`` (a ``distributed.Client``), else ``scheduler`` ("tcp://host:8786"),
      else a ``LocalCluster`` of ``workers`` (default 2) single-threaded workers, threads of this
      process unless ``processes``.
    - ``state_dir``: a state file per shard (format: docs/eval.md); a rerun skips finished shards.
    - progress per shard and overall on stderr unless ``quiet``.
    - keyword parameters: those of ``coco_evaluate`` (``max_dets``, ``iou_thrs``, ...).

    Memory on the client: one shard's state at a time while shards finish (each is kept as a state
    file: the worker's in ``state_dir`` when the client sees that path, else a temporary file),
    then the merged state plus one shard while the files are merged (``CocoState.merge_files``).
    """
    gt_src, g, p, sources = _prepare(gt, results, iou_type, params)
    done = _finished_shards(gt_src, g, p, results, sources, iou_type, client, scheduler, workers, shards, state_dir,
                            quiet, processes, params)
    with tempfile.TemporaryDirectory(prefix="locuskit-states-") as spill, contextlib.closing(done):
        paths, covered = {}, []
        for k, state, _, out in done:
            covered.append(state.image_ids)
            if out is None or not os.path.exists(out):  # no state_dir, or one the client does not see
                out = os.path.join(spill, f"shard-{k:05d}.state.npz")
                state.save(out)
            paths[k] = out
            del state
        merged = CocoState.merge_files([paths[k] for k in sorted(paths)])  # shard order: image order when split
    rest = _uncovered_state(g, p, np.concatenate(covered) if covered else np.zeros(0, np.int64))
    return (merged if rest is None else merged.merge(rest)).compute()


# ----------------------------------------------------------------------------------------- MOT
def _mot_shard_task(gt_folder, trackers_folder, sequences, kwargs):
    """One shard of sequences on a worker -> (MotState, seconds)."""
    from . import mot

    t0 = time.perf_counter()
    return mot.state(gt_folder, trackers_folder, sequences=list(sequences), **kwargs), time.perf_counter() - t0


def evaluate_mot(gt_folder, trackers_folder, benchmark: str = "MOT17", split: str = "train", *,
                 sequences: Optional[Sequence[str]] = None, seqmap_file=None, skip_split_folder: bool = False,
                 shards: Optional[int] = None, client=None, scheduler: Optional[str] = None,
                 workers: Optional[int] = None, quiet: bool = False, processes: bool = False, **kwargs):
    """:func:`locuskit.mot.evaluate` on a dask.distributed cluster, sharded by sequence; returns the
    :class:`locuskit.mot.MotResults` that ``mot.evaluate`` gives on all the sequences, bit for bit.

    - ``gt_folder``, ``trackers_folder``, ``benchmark``, ``split``, ``sequences``, ``seqmap_file``,
      ``skip_split_folder`` and the keyword arguments (``metrics``, ``trackers``, ``do_preproc``,
      ``tracker_sub_folder``) as ``mot.evaluate`` (TrackEval's conventions only: a
      ``conventions="motmetrics"`` run has no mergeable state). Every worker reads the folders:
      on a real cluster, a path they all see.
    - the sequences (``sequences``, else the seqmap's) are cut into ``shards`` contiguous groups
      (default: one per sequence, at most 4 per worker); each worker computes ``mot.state`` of its
      group, the client merges the states as they arrive (a state is small: per-sequence sums).
    - cluster, ``quiet``, ``processes``: as :func:`evaluate_coco`.
    """
    from . import mot

    split_fol = mot._split_folder(benchmark, split, skip_split_folder)
    sequences = [str(s) for s in mot._sequence_list(gt_folder, split_fol, sequences, seqmap_file)]
    kw = dict(kwargs, benchmark=benchmark, split=split, skip_split_folder=skip_split_folder)
    gt_folder, trackers_folder = os.path.abspath(os.fspath(gt_folder)), os.path.abspath(os.fspath(trackers_folder))
    cl, cluster = _client(client, scheduler, workers, processes)
    try:
        n_workers = _worker_count(cl, workers)
        n = max(1, min(len(sequences), int(shards or 4 * n_workers)))
        groups = [list(g) for g in np.array_split(np.asarray(sequences, dtype=object), n)]
        prog = Progress(n, quiet)
        merged = None
        for k, (state, sec) in _run_shards(cl, _mot_shard_task, [(gt_folder, trackers_folder, g, kw) for g in groups],
                                           "mot"):
            merged = state if merged is None else merged.merge(state)
            prog.done += 1
            prog.note(f"shard {k + 1}/{n} done ({len(groups[k])} sequences, {sec:.2f} s); overall {prog.done}/{n}")
    finally:
        _close(cl, cluster)
    return merged.compute()


# ---------------------------------------------------------------------------------------- LVIS
def _results_list(path) -> list:
    """A results JSON file read with Python's json (ValueError naming it unless it is a list)."""
    import json

    with open(path, "rb") as f:
        dt = json.load(f)
    if not isinstance(dt, list):
        raise ValueError(f"{path}: a results file is a JSON list of results")
    return dt


def _lvis_shard_task(gt, source, iou_type: str, params: dict):
    """One shard on a worker -> (LvisState or None when the shard has no results, seconds,
    results). ``source``: a results JSON file holding every result of its images."""
    from .eval import lvis_state

    t0 = time.perf_counter()
    dt = _results_list(source)
    imgs = sorted({int(d["image_id"]) for d in dt})
    n = len(dt)
    del dt  # the file is read again by the C++ reader, whose messages name it
    state = lvis_state(gt, source, iou_type, image_ids=imgs, **params) if imgs else None
    return state, time.perf_counter() - t0, n


def _split_lvis_results(path, image_ids, n: int, out_dir) -> list:
    """One results file cut by image into ``n`` JSON files (contiguous runs of the sorted GT
    image ids, as the COCO split). A result on an image outside the GT raises AssertionError, as
    ``lvis_evaluate`` does."""
    import json

    from .eval._shard import shard_of_images

    dt = _results_list(path)
    ids, which = shard_of_images(image_ids, n)
    shard_of = dict(zip(ids.tolist(), which.tolist()))
    parts = [[] for _ in range(n)]
    for i, d in enumerate(dt):
        k = shard_of.get(int(d["image_id"]))
        if k is None:
            raise AssertionError(f"Results do not correspond to current coco set: {path}: results[{i}] has image_id "
                                 f"{d['image_id']}, which is not an image of the ground truth")
        parts[k].append(d)
    del dt
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for k, part in enumerate(parts):
        p = os.path.join(os.fspath(out_dir), f"part-{k:05d}-of-{n:05d}.json")
        with open(p, "w") as f:
            json.dump(part, f)
        paths.append(p)
    return paths


def evaluate_lvis(gt, results: Union[str, os.PathLike, Sequence], iou_type: str = "bbox", *, client=None,
                  scheduler: Optional[str] = None, workers: Optional[int] = None, shards: Optional[int] = None,
                  quiet: bool = False, processes: bool = False, **params):
    """:func:`locuskit.eval.lvis_evaluate` on a dask.distributed cluster, sharded by image; returns
    the :class:`locuskit.eval.LvisResult` that ``lvis_evaluate(gt, all results)`` gives, bit for bit.

    - ``gt``: the LVIS GT JSON path (read by every worker: on a real cluster a shared path).
    - ``results``: a list of results JSON files, each holding every result of its images (e.g. one
      per inference rank; an image in two files raises ValueError), or one results file, split by
      image into ``shards`` pieces (default 4 per worker) on the client. The split reads the whole
      file with Python's ``json`` (client memory: the file's results as Python objects); write one
      file per rank for very large result sets.
    - each worker reduces its shard to an :class:`locuskit.eval.LvisState`; the client merges them
      once all have arrived (every shard's state in memory, then the merged one).
    - cluster, ``quiet``, ``processes``: as :func:`evaluate_coco`; keyword parameters: those of
      ``lvis_evaluate`` (``max_dets``, ``iou_thrs``, ...; ``img_ids`` is not supported here).
    """
    from .eval import lvis_state

    if "img_ids" in params or "image_ids" in params:
        raise TypeError("evaluate_lvis: img_ids is not supported (the shards choose the images)")
    gt_src = os.path.abspath(os.fspath(gt))
    all_imgs = np.unique(np.asarray(_ground_truth(gt_src)["image_ids"], np.int64))
    cl, cluster = _client(client, scheduler, workers, processes)
    split_tmp = None
    try:
        if isinstance(results, (str, os.PathLike)):
            n_workers = _worker_count(cl, workers)
            split_tmp = tempfile.mkdtemp(prefix="locuskit-lvis-split-")
            sources = _split_lvis_results(results, all_imgs, int(shards or 4 * n_workers), split_tmp)
        else:
            sources = [os.path.abspath(os.fspath(r)) for r in results]
            if not sources:
                raise ValueError("results: an empty list of shards")
        prog = Progress(len(sources), quiet)
        states = []
        shard_args = [(gt_src, s, iou_type, dict(params)) for s in sources]
        for k, (state, sec, n_res) in _run_shards(cl, _lvis_shard_task, shard_args, "lvis"):
            if state is not None:
                states.append(state)
            prog.shard(k, sec, n_res)
    finally:
        _close(cl, cluster, split_tmp)
    covered = np.concatenate([s.image_ids for s in states]) if states else np.zeros(0, np.int64)
    rest = np.setdiff1d(all_imgs, covered)
    if len(rest) or not states:  # GT images without results in any shard still count their GT
        states.append(lvis_state(gt_src, [], iou_type, image_ids=[int(i) for i in rest], **params))
    return states[0].merge(*states[1:]).compute()
