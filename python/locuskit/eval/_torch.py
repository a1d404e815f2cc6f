"""Training-loop side of the streaming evaluator: torchmetrics' ``MeanAveragePrecision`` result
dict (same key names, tensors) and synchronisation across processes with ``torch.distributed``.

Kept apart from the evaluator itself so that NumPy-only users never import torch; the evaluator
calls in here through two small methods (``CocoEvaluator.sync`` / ``compute_torchmetrics``).
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence, Tuple

import numpy as np

# pycocotools' 12 bbox statistics in order, by torchmetrics' key names (max_dets 1, 10, 100).
_KEYS = ["map", "map_50", "map_75", "map_small", "map_medium", "map_large",
         "mar_{0}", "mar_{1}", "mar_{2}", "mar_small", "mar_medium", "mar_large"]


def _stat_keys(max_dets: Sequence[int]) -> list:
    md = list(max_dets)
    if len(md) < 3:
        md = md + [md[-1]] * (3 - len(md))
    return [k.format(*md[:3]) for k in _KEYS]


def per_class(result) -> Tuple[np.ndarray, np.ndarray]:
    """(AP (K,), AR@maxDets[-1] (K,)) per category over area "all", torchmetrics' ``map_per_class`` /
    ``mar_<last>_per_class``: means of pycocotools' precision / recall cells > -1, -1 where a class
    has no valid cell (no GT)."""
    p = result.params
    a = list(p["areaRngLbl"]).index("all") if "all" in p["areaRngLbl"] else 0
    prec = result.precision[:, :, :, a, -1] if result.precision.size else np.zeros((0, 0, 0))
    rec = result.recall[:, :, a, -1] if result.recall.size else np.zeros((0, 0))
    k = prec.shape[2] if prec.ndim == 3 else 0
    ap = np.full(k, -1.0)
    ar = np.full(k, -1.0)
    for c in range(k):
        s = prec[:, :, c]
        s = s[s > -1]
        if s.size:
            ap[c] = np.mean(s)
        r = rec[:, c]
        r = r[r > -1]
        if r.size:
            ar[c] = np.mean(r)
    return ap, ar


def torchmetrics_dict(result, *, class_metrics: bool = True, as_tensors: bool = True) -> dict:
    """``result`` (a bbox :class:`CocoResult`) as torchmetrics' ``MeanAveragePrecision.compute()``
    dict: ``map``, ``map_50``, ``map_75``, ``map_small``, ``map_medium``, ``map_large``, ``mar_1``,
    ``mar_10``, ``mar_100``, ``mar_small``, ``mar_medium``, ``mar_large`` (0-d float32),
    ``map_per_class`` and ``mar_100_per_class`` ((K,) float32; -1 without ``class_metrics``, as
    torchmetrics), ``classes`` ((K,) int32 category ids). Values are pycocotools' (-1 where
    undefined). Only these keys, so the dict can go to a logger as is (names of the classes:
    ``result.category_names``). ``as_tensors=False`` keeps NumPy."""
    p = result.params
    keys = _stat_keys(p["maxDets"])
    stats = np.asarray(result.stats, np.float64)
    if stats.size != len(keys):
        raise ValueError("torchmetrics_dict: needs the 12 bbox statistics (iou_type='bbox', 3 maxDets)")
    out = {k: np.float32(v) for k, v in zip(keys, stats)}
    cats = list(p["catIds"]) if p.get("useCats", 1) else []
    last = keys[8]  # mar_<maxDets[-1]>
    if class_metrics:
        ap, ar = per_class(result)
        out["map_per_class"] = ap.astype(np.float32)
        out[f"{last}_per_class"] = ar.astype(np.float32)
    else:
        out["map_per_class"] = np.float32(-1)
        out[f"{last}_per_class"] = np.float32(-1)
    out["classes"] = np.asarray(cats, np.int32)
    if as_tensors:
        import torch

        out = {k: torch.as_tensor(v) for k, v in out.items()}
    return out


def compute_torchmetrics(evaluator, *, class_metrics: bool = True, category_names: Optional[Mapping] = None,
                         sync_processes: bool = True, group=None) -> dict:
    """``sync`` (if ``sync_processes``), ``compute()``, then :func:`torchmetrics_dict`. The NumPy
    :class:`CocoResult` is kept as ``evaluator.result`` (with ``category_names``: id -> name, e.g.
    from the GT's categories, for its summary and per-category table)."""
    if sync_processes:
        sync(evaluator, group)
    result = evaluator.compute()
    if category_names is not None:
        names = dict(category_names.items()) if hasattr(category_names, "items") else dict(category_names)
        result.category_names.update({int(k): str(v) for k, v in names.items()})
    evaluator.result = result
    return torchmetrics_dict(result, class_metrics=class_metrics)


def sync(evaluator, group=None):
    """Gathers every process's images into ``evaluator`` (in rank order) with
    ``torch.distributed.all_gather_object``; a no-op without an initialised process group.

    After it every rank holds the same state, so ``compute()`` gives every rank the result a single
    process gets from the same images updated in rank order: bit for bit when image ids are given
    (or ranks hold consecutive chunks), since the evaluation orders images by id.
    Returns ``evaluator``.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return evaluator
    world = dist.get_world_size(group)
    if world == 1:
        return evaluator
    states = [None] * world
    mine = {k: v for k, v in evaluator.__getstate__().items() if k != "result"}  # the images only
    dist.all_gather_object(states, mine, group=group)
    merged = type(evaluator).__new__(type(evaluator))
    merged.__setstate__(states[0])
    for s in states[1:]:
        other = type(evaluator).__new__(type(evaluator))
        other.__setstate__(s)
        merged.merge(other)
    evaluator.__dict__.pop("result", None)
    evaluator.__setstate__(merged.__getstate__())
    return evaluator
