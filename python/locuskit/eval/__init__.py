"""Detection evaluation: COCO mAP (bit for bit as pycocotools), streaming evaluation for training
loops, Pascal VOC AP and precision-recall curves.

- ``coco_evaluate(gt, dt, iou_type="bbox")``: one call, returns a :class:`CocoResult`.
- ``CocoEvaluator``: ``update()`` per batch, ``compute()``, ``merge()`` (picklable state).
- ``voc_evaluate(...)`` / ``voc_ap(...)``: VOC2007 11-point and VOC2010+ all-point AP.
- ``VocEvaluator``: streaming VOC (``update()`` per batch, ``compute()``, ``merge()``, ``sync()``).
- ``CocoState`` / ``coco_state(gt, dt, image_ids=...)``: mergeable, serializable evaluation state of
  a shard of images; ``coco_evaluate_sharded``: bounded-memory evaluation of a results file of any
  size (shards, a state file per shard, resumable). ``locuskit.dask`` runs the shards on a cluster.
- ``locuskit.coco``: the pycocotools drop-in (``COCO``, ``COCOeval``).
"""
from __future__ import annotations

from ._result import CocoResult, coco_evaluate
from ._shard import coco_evaluate_sharded, coco_state
from ._state import CocoState, load_state, save_state
from ._stream import CocoEvaluator
from ._voc import VocClassResult, VocResult, load_voc_dir, voc_ap, voc_evaluate, voc_evaluate_class
from ._voc_stream import VocEvaluator

__all__ = [
    "CocoEvaluator",
    "CocoResult",
    "CocoState",
    "VocClassResult",
    "VocEvaluator",
    "VocResult",
    "coco_evaluate",
    "coco_evaluate_sharded",
    "coco_state",
    "load_state",
    "load_voc_dir",
    "save_state",
    "voc_ap",
    "voc_evaluate",
    "voc_evaluate_class",
]
