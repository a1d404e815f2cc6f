"""Streaming COCO evaluation for training loops: update() per batch, compute(), merge()."""
from __future__ import annotations

import numpy as np

from .. import _arrays
from . import _coco, _stream_masks as _masks
from ._result import CocoResult, evaluate_prepared


def _boxes(x, name, box_format):
    a = np.asarray(_arrays.as_array(x, name), dtype=np.float64).reshape(-1, 4)
    if box_format == "xyxy":
        return np.stack([a[:, 0], a[:, 1], a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]], axis=1)
    if box_format == "xywh":
        return a.copy()
    raise ValueError(f"box_format: expected 'xyxy' or 'xywh', got {box_format!r}")


class CocoEvaluator:
    """Accumulates predictions and targets image by image; ``compute()`` gives exactly what
    ``coco_evaluate`` gives on the same data written as COCO JSON (images in update order,
    results in order, categories = ``category_ids`` or every label seen).

    ``update(preds, targets)``: two lists (one entry per image) of dicts; predictions
    ``{"boxes" (N, 4), "scores" (N,), "labels" (N,)}``, targets ``{"boxes", "labels",
    "iscrowd" (optional, 0), "area" (optional: box area), "image_id" (optional: running
    number)}``; torch tensors or NumPy arrays. ``iou_type="keypoints"`` adds ``"keypoints"``
    ((N, K, 3) or (N, 3K)) to both and optionally ``"num_keypoints"`` to targets (default: count of
    v > 0); prediction boxes are then optional (without them box and area come from the
    keypoints, as ``loadRes`` does). ``iou_type="segm"`` / ``"boundary"`` takes ``"masks"`` in
    predictions and targets: an (N, H, W) binary array (bool / uint8, torchmetrics' form) or a
    list of N COCO segmentations (compressed or uncompressed RLE dicts; polygons for targets, with
    ``"image_size"`` (H, W) in the target); boxes are then optional (a prediction with boxes keeps
    them and its area is w*h, as ``loadRes``; target area defaults to the mask area).
    ``box_format`` "xyxy" (default, as torchmetrics)
    or "xywh" (COCO). ``merge(other)`` appends another evaluator's images (state is plain NumPy:
    picklable, e.g. for torch.distributed.all_gather_object).
    """

    def __init__(self, iou_type="bbox", box_format="xyxy", category_ids=None, **params):
        if iou_type not in ("bbox", "keypoints", "segm", "boundary"):
            raise ValueError(f"CocoEvaluator: iou_type must be 'bbox', 'segm', 'boundary' or 'keypoints', got {iou_type!r}")
        self.iou_type = iou_type
        self.box_format = box_format
        self.category_ids = None if category_ids is None else [int(c) for c in category_ids]
        self.params = params
        self._params(None, [])  # checks the parameters now (TypeError / ValueError naming them)
        self.reset()

    def reset(self) -> None:
        self._images: list = []        # image ids, in update order
        self._auto: list = []          # True where the id was assigned here
        self._gt: list = []            # per image: (boxes xywh, labels, iscrowd, area[, keypoints, num_keypoints])
        self._dt: list = []            # per image: (boxes xywh, scores, labels[, keypoints, has_boxes])

    def __len__(self) -> int:
        return len(self._images)

    def update(self, preds, targets) -> None:
        if len(preds) != len(targets):
            raise ValueError(f"preds and targets: {len(preds)} vs {len(targets)} images")
        masks = self.iou_type in ("segm", "boundary")
        for p, t in zip(preds, targets):
            gl = np.asarray(_arrays.as_array(t["labels"], "targets['labels']")).astype(np.int64).reshape(-1)
            if masks:
                g_rle = _masks.rles(t.get("masks"), len(gl), "targets['masks']", t.get("image_size"))
                gb = _masks.boxes(g_rle) if t.get("boxes") is None else _boxes(t["boxes"], "targets['boxes']",
                                                                                self.box_format)
            else:
                gb = _boxes(t["boxes"], "targets['boxes']", self.box_format)
            n = len(gb)
            if len(gl) != n:
                raise ValueError(f"targets: {n} boxes but {len(gl)} labels")
            crowd = np.zeros(n) if t.get("iscrowd") is None else \
                np.asarray(_arrays.as_array(t["iscrowd"], "targets['iscrowd']"), np.float64).reshape(-1)
            if t.get("area") is not None:
                area = np.asarray(_arrays.as_array(t["area"], "targets['area']"), np.float64).reshape(-1)
            else:
                area = _masks.areas(g_rle) if masks else gb[:, 2] * gb[:, 3]
            if masks:
                n_dt = len(np.asarray(_arrays.as_array(p["scores"], "preds['scores']")).reshape(-1))
                d_rle = _masks.rles(p.get("masks"), n_dt, "preds['masks']", t.get("image_size"))
                # loadRes: a result with a box keeps it (area w*h); without, box and area of the mask
                db = _masks.boxes(d_rle) if p.get("boxes") is None else _boxes(p["boxes"], "preds['boxes']",
                                                                                self.box_format)
            elif p.get("boxes") is None and self.iou_type == "keypoints":
                db = np.zeros((len(np.asarray(_arrays.as_array(p["scores"], "preds['scores']")).reshape(-1)), 4))
            else:
                db = _boxes(p["boxes"], "preds['boxes']", self.box_format)
            ds = np.asarray(_arrays.as_array(p["scores"], "preds['scores']"), np.float64).reshape(-1)
            dl = np.asarray(_arrays.as_array(p["labels"], "preds['labels']")).astype(np.int64).reshape(-1)
            if not (len(ds) == len(dl) == len(db)):
                raise ValueError(f"preds: {len(db)} boxes, {len(ds)} scores, {len(dl)} labels")
            if not (np.isfinite(ds).all() and np.isfinite(db).all() and np.isfinite(gb).all()):
                raise ValueError("preds/targets: NaN or infinite boxes or scores (the streaming evaluator "
                                 "needs finite values)")
            gt_rec = (gb, gl, crowd, area)
            dt_rec = (db, ds, dl)
            if masks:
                gt_rec = gt_rec + (g_rle,)
                dt_rec = dt_rec + (d_rle, p.get("boxes") is not None)
            if self.iou_type == "keypoints":
                gk = self._kpts(t.get("keypoints"), n, "targets['keypoints']")
                nk = (gk[:, 2::3] > 0).sum(axis=1).astype(np.int64) if t.get("num_keypoints") is None else \
                    np.asarray(_arrays.as_array(t["num_keypoints"], "targets['num_keypoints']")).astype(np.int64).reshape(-1)
                dk = self._kpts(p.get("keypoints"), len(ds), "preds['keypoints']")
                has_boxes = p.get("boxes") is not None
                gt_rec = gt_rec + (gk, nk)
                dt_rec = dt_rec + (dk, has_boxes)
            if "image_id" in t and t["image_id"] is not None:
                self._images.append(int(np.asarray(_arrays.as_array(t["image_id"], "image_id")).reshape(-1)[0]))
                self._auto.append(False)
            else:
                self._images.append(self._next_auto_id())
                self._auto.append(True)
            self._gt.append(gt_rec)
            self._dt.append(dt_rec)

    @staticmethod
    def _kpts(x, n, name):
        if x is None:
            raise ValueError(f"{name}: required for iou_type='keypoints'")
        k = np.asarray(_arrays.as_array(x, name), dtype=np.float64).reshape(n, -1)
        if k.shape[1] % 3:
            raise ValueError(f"{name}: expected (N, K, 3) or (N, 3K) x, y, v values, got {k.shape}")
        return k

    def _next_auto_id(self) -> int:
        used = [i for i, a in zip(self._images, self._auto) if a]
        return (max(used) + 1) if used else 1

    def merge(self, other: "CocoEvaluator") -> "CocoEvaluator":
        """Appends ``other``'s images (its automatic image ids are renumbered after ours)."""
        off = (max([i for i, a in zip(self._images, self._auto) if a], default=0))
        for img, auto, g, d in zip(other._images, other._auto, other._gt, other._dt):
            self._images.append(img + off if auto else img)
            self._auto.append(auto)
            self._gt.append(g)
            self._dt.append(d)
        return self

    def state(self):
        """This evaluator's images as a :class:`locuskit.eval.CocoState` (mergeable with the
        states of other processes or shards, serializable; docs/eval.md, "Evaluation state")."""
        from ._state import CocoState

        native, dt, cats = self.tables()
        return CocoState.from_tables(native, dt, self._params(native, cats))

    def _params(self, native, cats):
        """The Params of an evaluation: ``params=`` (a Params, copied) or the defaults, with the
        other keyword parameters (pycocotools' names) on top."""
        base = self.params.get("params")
        if base is not None:
            if not isinstance(base, _coco.Params):
                raise TypeError(f"CocoEvaluator: params: expected a Params, got {type(base).__name__}")
            if base.iouType != self.iou_type:
                raise ValueError(f"CocoEvaluator: params.iouType {base.iouType!r} differs from iou_type {self.iou_type!r}")
            p = _coco.Params(base)
        else:
            p = _coco.default_params(self.iou_type)
        if native is not None:
            p.imgIds = sorted(int(i) for i in native["image_ids"])
        p.catIds = list(cats)
        for k, v in self.params.items():
            if k == "params":
                continue
            try:
                p[k] = v
            except KeyError:
                raise TypeError(f"CocoEvaluator: unexpected parameter {k!r} (pycocotools' Params names: "
                                f"{', '.join(_coco.Params('keypoints').keys())})") from None
        return p

    def tables(self):
        """(ground-truth tables, results table, category ids) as compute() evaluates them."""
        imgs = np.asarray(self._images, np.int64)
        if len(np.unique(imgs)) != len(imgs):
            raise ValueError("image ids are not unique across updates (pass distinct 'image_id's)")
        ng = [len(g[0]) for g in self._gt]
        nd = [len(d[0]) for d in self._dt]
        G, D = sum(ng), sum(nd)
        cat = lambda xs, shape: np.concatenate(xs) if xs else np.zeros(shape)  # noqa: E731
        gl = cat([g[1] for g in self._gt], (0,)).astype(np.int64)
        dl = cat([d[2] for d in self._dt], (0,)).astype(np.int64)
        cats = self.category_ids if self.category_ids is not None else sorted(set(gl.tolist()) | set(dl.tolist()))
        gt = {
            "id": np.arange(1, G + 1, dtype=np.int64),
            "image_id": np.repeat(imgs, ng).astype(np.int64),
            "category_id": gl,
            "bbox": np.ascontiguousarray(cat([g[0] for g in self._gt], (0, 4)).reshape(-1, 4)),
            "area": cat([g[3] for g in self._gt], (0,)).astype(np.float64),
            "iscrowd": cat([g[2] for g in self._gt], (0,)).astype(np.float64),
            "score": None, "num_keypoints": np.zeros(G, np.int64), "keypoints": np.zeros((G, 0)),
            "missing": {"keypoints": 0, "num_keypoints": 0, "score": 0},
        }
        bbox = np.ascontiguousarray(cat([d[0] for d in self._dt], (0, 4)).reshape(-1, 4))
        dt = {
            "id": np.arange(1, D + 1, dtype=np.int64),
            "image_id": np.repeat(imgs, nd).astype(np.int64),
            "category_id": dl,
            "bbox": bbox,
            "area": bbox[:, 2] * bbox[:, 3],
            "iscrowd": np.zeros(D),
            "score": cat([d[1] for d in self._dt], (0,)).astype(np.float64),
            "num_keypoints": np.zeros(D, np.int64), "keypoints": np.zeros((D, 0)),
            "missing": {"keypoints": 0},
        }
        if self.iou_type == "keypoints":
            K3 = len(self._params(None, []).kpt_oks_sigmas) * 3
            gt["keypoints"] = np.ascontiguousarray(cat([g[4] for g in self._gt], (0, K3)).reshape(-1, K3))
            gt["num_keypoints"] = cat([g[5] for g in self._gt], (0,)).astype(np.int64)
            gt["missing"] = {"score": 0}
            dk = np.ascontiguousarray(cat([d[3] for d in self._dt], (0, K3)).reshape(-1, K3))
            flags = {bool(d[4]) for d in self._dt if len(d[1])}
            if len(flags) > 1:
                raise ValueError("preds: give 'boxes' for every image or for none (COCO's loadRes takes the "
                                 "first result's form for all)")
            dt["keypoints"] = dk
            dt["missing"] = {}
            if flags == {False}:  # loadRes' keypoint branch: box and area from all keypoints
                x, y = dk[:, 0::3], dk[:, 1::3]
                x0, x1, y0, y1 = x.min(axis=1), x.max(axis=1), y.min(axis=1), y.max(axis=1)
                dt["bbox"] = np.ascontiguousarray(np.stack([x0, y0, x1 - x0, y1 - y0], axis=1))
                dt["area"] = (x1 - x0) * (y1 - y0)
        if self.iou_type in ("segm", "boundary"):
            flags = {bool(d[4]) for d in self._dt if len(d[1])}
            if len(flags) > 1:
                raise ValueError("preds: give 'boxes' for every image or for none (COCO's loadRes takes the "
                                 "first result's form for all)")
            _masks.add_column(gt, [g[4] for g in self._gt])
            _masks.add_column(dt, [d[3] for d in self._dt])
            if flags == {False}:
                dt["area"] = _masks.areas(_masks.concat([d[3] for d in self._dt]))
        native = {"image_ids": imgs, "category_ids": np.asarray(cats, np.int64),
                  "category_names": [str(c) for c in cats], "annotations": gt}
        return native, dt, cats

    def compute(self) -> CocoResult:
        native, dt, cats = self.tables()
        return evaluate_prepared(native, dt, self._params(native, cats))

    def sync(self, group=None) -> "CocoEvaluator":
        """Gathers every process's images into this evaluator with ``torch.distributed`` (no-op
        without a process group); every rank then computes the single-process result."""
        from . import _torch

        return _torch.sync(self, group)

    def compute_torchmetrics(self, class_metrics: bool = True, category_names=None, sync: bool = True,
                             group=None) -> dict:
        """``sync()``, ``compute()`` and the result as torchmetrics' ``MeanAveragePrecision`` dict of
        tensors (``map``, ``map_50``, ..., ``map_per_class``, ``classes``); the NumPy result is
        kept as ``self.result``. See locuskit.eval._torch."""
        from . import _torch

        return _torch.compute_torchmetrics(self, class_metrics=class_metrics, category_names=category_names,
                                           sync_processes=sync, group=group)

    def __getstate__(self):
        return dict(self.__dict__)

    def __setstate__(self, state):
        self.__dict__.update(state)
