"""Streaming Pascal VOC evaluation for training loops: update() per batch (torchmetrics' input
convention), compute(), merge(), sync() across processes, a dict of tensors."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

from .. import _arrays
from ._stream import CocoEvaluator
from ._voc import VocResult, voc_evaluate_class


def _xyxy(x, name: str, box_format: str) -> np.ndarray:
    a = np.asarray(_arrays.as_array(x, name), dtype=np.float64).reshape(-1, 4)
    if box_format == "xyxy":
        return a.copy()
    if box_format == "xywh":
        return np.stack([a[:, 0], a[:, 1], a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]], axis=1)
    raise ValueError(f"box_format: expected 'xyxy' or 'xywh', got {box_format!r}")


def _ids(x, name: str) -> np.ndarray:
    return np.asarray(_arrays.as_ids(x, name)).reshape(-1)


class VocEvaluator:
    """Accumulates per-image predictions and targets; ``compute()`` gives the per-class VOC AP of
    ``voc_evaluate_class`` on all images (a :class:`VocResult`, classes keyed by name).

    ``update(preds, targets)``: two lists (one entry per image) of dicts, torchmetrics'
    ``MeanAveragePrecision`` convention: predictions ``{"boxes" (N, 4), "scores" (N,), "labels"
    (N,)}``, targets ``{"boxes", "labels", "difficult" (optional; else "iscrowd"; else 0),
    "image_id" (optional: running number)}``; tensors or NumPy, labels of any integer dtype.
    Images are evaluated in image-id order (detections of one image in their given order), so
    the result does not depend on the order of ``update`` calls or on how images were split across
    processes. ``class_names`` maps label -> name (default ``str(label)``).
    """

    def __init__(self, iou_threshold: float = 0.5, box_format: str = "xyxy", class_names: Optional[Mapping] = None,
                 plus_one: bool = False, strict_threshold: bool = False):
        self.iou_threshold = float(iou_threshold)
        self.box_format = box_format
        self.class_names = {} if class_names is None else {int(k): str(v) for k, v in dict(class_names).items()}
        self.plus_one = bool(plus_one)
        self.strict_threshold = bool(strict_threshold)
        self.reset()

    def reset(self) -> None:
        self._images: list = []  # image ids, in update order
        self._auto: list = []    # True where the id was assigned here
        self._gt: list = []      # per image: (boxes xyxy, labels, difficult)
        self._dt: list = []      # per image: (boxes xyxy, scores, labels)

    # Image bookkeeping (ids, automatic numbering, merge, pickling, torch.distributed sync) is
    # CocoEvaluator's: the same fields, so the same methods.
    __len__ = CocoEvaluator.__len__
    _next_auto_id = CocoEvaluator._next_auto_id
    merge = CocoEvaluator.merge
    sync = CocoEvaluator.sync
    __getstate__ = CocoEvaluator.__getstate__
    __setstate__ = CocoEvaluator.__setstate__

    def update(self, preds: Sequence[Mapping], targets: Sequence[Mapping]) -> None:
        if len(preds) != len(targets):
            raise ValueError(f"preds and targets: {len(preds)} vs {len(targets)} images")
        for p, t in zip(preds, targets):
            gb = _xyxy(t["boxes"], "targets['boxes']", self.box_format)
            gl = _ids(t["labels"], "targets['labels']")
            flag = t.get("difficult", t.get("iscrowd"))
            gd = np.zeros(len(gb), np.uint8) if flag is None else \
                (np.asarray(_arrays.as_array(flag, "targets['difficult']")).reshape(-1) != 0).astype(np.uint8)
            db = _xyxy(p["boxes"], "preds['boxes']", self.box_format)
            ds = np.asarray(_arrays.as_array(p["scores"], "preds['scores']"), np.float64).reshape(-1)
            dl = _ids(p["labels"], "preds['labels']")
            if not (len(gl) == len(gd) == len(gb)):
                raise ValueError(f"targets: {len(gb)} boxes, {len(gl)} labels, {len(gd)} difficult flags")
            if not (len(ds) == len(dl) == len(db)):
                raise ValueError(f"preds: {len(db)} boxes, {len(ds)} scores, {len(dl)} labels")
            if np.isnan(ds).any() or not np.isfinite(db).all() or not np.isfinite(gb).all():
                raise ValueError("preds/targets: NaN or infinite boxes or scores")
            if t.get("image_id") is not None:
                self._images.append(int(np.asarray(_arrays.as_array(t["image_id"], "image_id")).reshape(-1)[0]))
                self._auto.append(False)
            else:
                self._images.append(self._next_auto_id())
                self._auto.append(True)
            self._gt.append((gb, gl, gd))
            self._dt.append((db, ds, dl))

    def compute(self) -> VocResult:
        imgs = np.asarray(self._images, np.int64)
        if len(np.unique(imgs)) != len(imgs):
            raise ValueError("image ids are not unique across updates (pass distinct 'image_id's)")
        order = np.argsort(imgs, kind="stable")
        cat = lambda xs, shape: np.concatenate(xs) if xs else np.zeros(shape)  # noqa: E731
        gt = [self._gt[i] for i in order]
        dt = [self._dt[i] for i in order]
        g_img = np.repeat(imgs[order], [len(g[0]) for g in gt])
        d_img = np.repeat(imgs[order], [len(d[0]) for d in dt])
        gb, gl, gd = cat([g[0] for g in gt], (0, 4)), cat([g[1] for g in gt], (0,)).astype(np.int64), \
            cat([g[2] for g in gt], (0,)).astype(np.uint8)
        db, ds, dl = cat([d[0] for d in dt], (0, 4)), cat([d[1] for d in dt], (0,)), \
            cat([d[2] for d in dt], (0,)).astype(np.int64)
        res = VocResult(iou_threshold=self.iou_threshold)
        for c in sorted(set(gl.tolist()) | set(dl.tolist())):
            gm, dm = gl == c, dl == c
            name = self.class_names.get(c, str(c))
            r = voc_evaluate_class(d_img[dm], ds[dm], db[dm], g_img[gm], gb[gm], gd[gm],
                                   iou_threshold=self.iou_threshold, plus_one=self.plus_one,
                                   strict_threshold=self.strict_threshold, name=name)
            if r.npos == 0:
                res.skipped.append(name)
            res.classes[name] = r
        res.labels = {self.class_names.get(c, str(c)): c for c in sorted(set(gl.tolist()) | set(dl.tolist()))}
        return res

    def compute_torchmetrics(self, rule: str = "all_point", sync: bool = True, group=None) -> dict:
        """``sync()``, ``compute()`` and a dict of tensors with torchmetrics' key names: ``map`` (the
        VOC mAP over classes with GT, by ``rule``: "all_point" or "11point"), ``map_per_class``
        ((K,) float32, -1 for a class without GT) and ``classes`` ((K,) int32 labels). The
        :class:`VocResult` is kept as ``self.result``."""
        import torch

        if sync:
            self.sync(group)
        res = self.compute()
        self.result = res
        names = list(res.classes)
        per = [getattr(res.classes[n], "ap_" + rule) if res.classes[n].npos > 0 else -1.0 for n in names]
        m = res.mAP(rule)
        return {"map": torch.tensor(-1.0 if np.isnan(m) else m, dtype=torch.float32),
                "map_per_class": torch.tensor(per, dtype=torch.float32),
                "classes": torch.tensor([res.labels[n] for n in names], dtype=torch.int32)}
