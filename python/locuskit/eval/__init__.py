"""Detection evaluation: COCO mAP (bit for bit as pycocotools), streaming evaluation for training
loops, Pascal VOC AP and precision-recall curves.

- ``coco_evaluate(gt, dt, iou_type="bbox")``: one call, returns a :class:`CocoResult`.
- ``CocoEvaluator``: ``update()`` per batch, ``compute()``, ``merge()`` (picklable state).
- ``voc_evaluate(...)`` / ``voc_ap(...)``: VOC2007 11-point and VOC2010+ all-point AP.
- ``VocEvaluator``: streaming VOC (``update()`` per batch, ``compute()``, ``merge()``, ``sync()``).
- ``locuskit.coco``: the pycocotools drop-in (``COCO``, ``COCOeval``).
- ``lvis_evaluate(gt, dt, iou_type="bbox")`` / ``LVISEval``: LVIS federated evaluation, bit for bit
  as the lvis API (``LvisResult``).
- ``openimages_evaluate(boxes_csv, labels_csv, predictions_csv, labelmap, hierarchy)``: the Open
  Images challenge detection metric (TF Object Detection API), ``OpenImagesResult``.
"""
from __future__ import annotations

from ._lvis import LVISEval, LvisResult, lvis_evaluate
from ._openimages import OpenImagesResult, openimages_evaluate
from ._result import CocoResult, coco_evaluate
from ._stream import CocoEvaluator
from ._voc import VocClassResult, VocResult, load_voc_dir, voc_ap, voc_evaluate, voc_evaluate_class
from ._voc_stream import VocEvaluator

__all__ = [
    "CocoEvaluator",
    "CocoResult",
    "LVISEval",
    "LvisResult",
    "OpenImagesResult",
    "VocClassResult",
    "VocEvaluator",
    "VocResult",
    "coco_evaluate",
    "load_voc_dir",
    "lvis_evaluate",
    "openimages_evaluate",
    "voc_ap",
    "voc_evaluate",
    "voc_evaluate_class",
]
