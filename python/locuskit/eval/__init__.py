"""Detection evaluation: COCO mAP (bit for bit as pycocotools), streaming evaluation for training
loops, Pascal VOC AP and precision-recall curves.

- ``coco_evaluate(gt, dt, iou_type="bbox")``: one call, returns a :class:`CocoResult`.
- ``Params(iou_type)``: COCO evaluation parameters (the bound C++ type; pycocotools' names and
  defaults), taken by ``coco_evaluate(params=...)``, ``CocoEvaluator(params=...)`` and, as its
  subclass ``locuskit.coco.Params``, by the drop-in's ``COCOeval``.
- ``CocoEvaluator``: ``update()`` per batch, ``compute()``, ``merge()`` (picklable state).
- ``voc_evaluate(...)`` / ``voc_ap(...)``: VOC2007 11-point and VOC2010+ all-point AP.
- ``VocEvaluator``: streaming VOC (``update()`` per batch, ``compute()``, ``merge()``, ``sync()``).
- ``CocoState`` / ``coco_state(gt, dt, image_ids=...)``: mergeable, serializable evaluation state of
  a shard of images; ``coco_evaluate_sharded``: bounded-memory evaluation of a results file of any
  size (shards, a state file per shard, resumable). ``locuskit.dask`` runs the shards on a cluster.
- Error analysis after mAP: ``tide(gt, dt)`` (tidecv's error types and dAP), ``lrp(gt, dt)``
  (optimal LRP, LRP-Error's numbers, with per-class PR / F1-vs-score curves), ``confusion_matrix``,
  ``analyze(gt, dt, ["tide", "lrp", "confusion"])``; figures: ``plot_tide``,
  ``plot_confusion_matrix``, ``plot_pr_curves``, ``plot_f1_curves``.
- ``locuskit.coco``: the pycocotools drop-in (``COCO``, ``COCOeval``).
- ``lvis_evaluate(gt, dt, iou_type="bbox")`` / ``LVISEval``: LVIS federated evaluation, bit for bit
  as the lvis API (``LvisResult``).
- ``openimages_evaluate(boxes_csv, labels_csv, predictions_csv, labelmap, hierarchy)``: the Open
  Images challenge detection metric (TF Object Detection API), ``OpenImagesResult``.
"""
from __future__ import annotations

from ._analysis import (ClassCurve, ConfusionMatrix, LrpResult, TideResult, analyze, confusion_matrix, lrp,
                        score_curves, tide)
from ._analysis_plots import plot_confusion_matrix, plot_f1_curves, plot_pr_curves, plot_tide
from ._lvis import LVISEval, LvisResult, LvisState, lvis_evaluate, lvis_state
from ._openimages import OpenImagesResult, openimages_evaluate
from ._coco import Params
from ._result import CocoResult, coco_evaluate
from ._shard import coco_evaluate_sharded, coco_state
from ._state import CocoState, load_state, save_state
from ._stream import CocoEvaluator
from ._voc import VocClassResult, VocResult, load_voc_dir, voc_ap, voc_evaluate, voc_evaluate_class
from ._voc_stream import VocEvaluator

__all__ = [
    "ClassCurve",
    "ConfusionMatrix",
    "LrpResult",
    "TideResult",
    "analyze",
    "confusion_matrix",
    "lrp",
    "plot_confusion_matrix",
    "plot_f1_curves",
    "plot_pr_curves",
    "plot_tide",
    "score_curves",
    "tide",
    "CocoEvaluator",
    "CocoResult",
    "CocoState",
    "LVISEval",
    "LvisResult",
    "LvisState",
    "OpenImagesResult",
    "VocClassResult",
    "VocEvaluator",
    "VocResult",
    "Params",
    "coco_evaluate",
    "coco_evaluate_sharded",
    "coco_state",
    "load_state",
    "load_voc_dir",
    "save_state",
    "lvis_evaluate",
    "lvis_state",
    "openimages_evaluate",
    "voc_ap",
    "voc_evaluate",
    "voc_evaluate_class",
]
