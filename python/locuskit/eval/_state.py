"""Mergeable, serializable COCO evaluation state (docs/eval.md, "Evaluation state").

A :class:`CocoState` is what accumulation needs from the matching of a set of images, and no
more: per (image, category) unit with GT or results, the non-ignored GT count per area range and
the unit's results (rank order, cut to maxDets[-1]) with their score and per (area range, IoU
threshold) state (0 ignored, 1 true positive, 2 false positive). The GT and result columns and
the per-image matching are dropped once a shard is reduced to it.

States over disjoint image sets merge (``merge``) in any order and grouping; ``compute()`` then
gives pycocotools' precision / recall / scores / stats bit for bit as one process evaluating all
the images, because accumulation orders results by score, then image id, then rank — all kept.
"""
from __future__ import annotations

import io
import json
import os
import tempfile

import numpy as np

from .. import _core
from . import _coco
from ._result import CocoResult

FORMAT = "locuskit.eval.state"
VERSION = 1

# Parameters that must agree for two states to merge (imgIds are the states' own image sets).
_FIXED = ("iouType", "catIds", "iouThrs", "recThrs", "maxDets", "areaRng", "areaRngLbl", "useCats",
          "kpt_oks_sigmas", "dilation_ratio")


def _plain(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def fixed_params(p: dict) -> dict:
    """The parameters a state is bound to (JSON-able; imgIds excluded), normalised as
    ``evaluate()`` normalises them."""
    out = {k: _plain(p[k]) for k in _FIXED if k in p and p[k] is not None}
    if out.get("useCats", 1):
        out["catIds"] = [int(c) for c in np.unique(np.asarray(out["catIds"], dtype=np.int64))]
    out["maxDets"] = sorted(int(m) for m in out["maxDets"])
    out["useCats"] = 1 if out.get("useCats", 1) else 0
    return out


def write_arrays(path, header: dict, arrays: dict) -> None:
    """One state file: an uncompressed ``.npz`` whose ``header`` entry is the UTF-8 JSON header
    (``format``, ``version``, ``kind``, ...). Written to a temporary file and renamed, so a
    reader never sees half a file (a killed run leaves no state for its shard)."""
    head = dict(header, format=FORMAT, version=VERSION)
    buf = {"header": np.frombuffer(json.dumps(head, sort_keys=True).encode(), np.uint8)}
    buf.update(arrays)
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **buf)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_arrays(source, kind: str | None = None):
    """(header, arrays) of a state file or its bytes; ValueError for anything else, another
    kind, or a newer version."""
    name = "state" if isinstance(source, (bytes, bytearray)) else os.fspath(source)
    try:
        with np.load(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source,
                     allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{name}: not a locuskit state file ({exc})") from None
    try:
        header = json.loads(bytes(arrays.pop("header")).decode())
    except (KeyError, ValueError):
        raise ValueError(f"{name}: not a locuskit state file (no JSON header)") from None
    if header.get("format") != FORMAT:
        raise ValueError(f"{name}: not a locuskit state file (format {header.get('format')!r})")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        raise ValueError(f"{name}: state format version {header.get('version')!r}; this locuskit reads up to {VERSION}")
    if kind is not None and header.get("kind") != kind:
        raise ValueError(f"{name}: a {header.get('kind')!r} state, expected {kind!r}")
    return header, arrays


class CocoState:
    """COCO evaluation state of a set of images (see the module docstring).

    Arrays (units sorted by image id, then category index ``k``):
    ``image_ids`` (I,) int64 the images covered (sorted, unique; units may name only these);
    ``unit_image`` (U,) int64; ``unit_cat`` (U,) int32 index into ``params["catIds"]`` (0 when
    useCats is 0); ``npig`` (U, A) uint32 non-ignored GT per area range; ``dt_count`` (U,)
    uint32 results of the unit; ``dt_score`` (D,) float64 and ``dt_state`` (D, A, T) uint8, the
    units' results in unit order, each unit's in rank order.
    """

    kind = "coco"

    def __init__(self, params: dict, image_ids, unit_image, unit_cat, npig, dt_count, dt_score, dt_state,
                 category_names=None):
        self.params = fixed_params(params)
        self.image_ids = np.asarray(image_ids, np.int64)
        self.unit_image = np.asarray(unit_image, np.int64)
        self.unit_cat = np.asarray(unit_cat, np.int32)
        self.npig = np.asarray(npig, np.uint32)
        self.dt_count = np.asarray(dt_count, np.uint32)
        self.dt_score = np.asarray(dt_score, np.float64)
        self.dt_state = np.asarray(dt_state, np.uint8)
        self.category_names = {int(k): str(v) for k, v in (category_names or {}).items()}
        self._check()

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_tables(cls, gt_native: dict, dt_table: dict, params: dict, image_ids=None) -> "CocoState":
        """Matches ``dt_table`` against ``gt_native`` (load_gt) on ``image_ids`` (default: the
        params' imgIds) and keeps only the state. ``params``: pycocotools names (imgIds ignored)."""
        p = dict(params)
        imgs = np.unique(np.asarray(p["imgIds"] if image_ids is None else image_ids, dtype=np.int64))
        p["imgIds"] = [int(i) for i in imgs]
        if p.get("useCats", 1):
            p["catIds"] = [int(c) for c in np.unique(np.asarray(p["catIds"], dtype=np.int64))]
        p["maxDets"] = sorted(int(m) for m in p["maxDets"])
        names = {int(i): str(s) for i, s in zip(gt_native.get("category_ids", []), gt_native.get("category_names", []))}
        if len(imgs) == 0:
            return cls.empty(p, category_names=names)
        ev = _coco.evaluate_tables(gt_native["annotations"], dt_table, p)
        r = ev.records()
        del ev
        return cls(p, imgs, *unit_arrays(imgs, r), category_names=names)

    @classmethod
    def empty(cls, params: dict, category_names=None) -> "CocoState":
        """The state of no images (the identity of ``merge``)."""
        fp = fixed_params(params)
        A, T = len(fp["areaRng"]), len(fp["iouThrs"])
        return cls(fp, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros((0, A), np.uint32),
                   np.zeros(0, np.uint32), np.zeros(0), np.zeros((0, A, T), np.uint8), category_names)

    def _check(self) -> None:
        A, T = len(self.params["areaRng"]), len(self.params["iouThrs"])
        U, D = len(self.unit_image), len(self.dt_score)
        K = len(self.params["catIds"]) if self.params["useCats"] else 1
        ok = (self.image_ids.ndim == 1 and self.unit_cat.shape == (U,) and self.npig.shape == (U, A)
              and self.dt_count.shape == (U,) and self.dt_state.shape == (D, A, T)
              and int(self.dt_count.sum(dtype=np.int64)) == D)
        if not ok:
            raise ValueError("CocoState: inconsistent array shapes")
        if U and (self.unit_cat.min() < 0 or self.unit_cat.max() >= K):
            raise ValueError("CocoState: unit category index out of range")
        if len(self.image_ids) > 1 and not (np.diff(self.image_ids) > 0).all():
            raise ValueError("CocoState: image_ids must be sorted and unique")
        if U and not np.isin(self.unit_image, self.image_ids).all():
            raise ValueError("CocoState: a unit's image is not among image_ids")
        if D and self.dt_state.max() > 2:
            raise ValueError("CocoState: dt_state values must be 0, 1 or 2")

    # --- merging ------------------------------------------------------------------------------
    def merge(self, *others: "CocoState") -> "CocoState":
        """A new state covering this state's images and the others' (disjoint image sets, equal
        parameters: ValueError otherwise). Associative and commutative: any grouping of shards
        gives the same state."""
        states = [self, *others]
        for s in others:
            if not isinstance(s, CocoState):
                raise TypeError(f"merge: expected CocoState, got {type(s).__name__}")
            if s.params != self.params:
                diff = [k for k in _FIXED if s.params.get(k) != self.params.get(k)]
                raise ValueError(f"merge: the states were evaluated with different parameters ({', '.join(diff)})")
        imgs = np.concatenate([s.image_ids for s in states])
        order_i = np.sort(imgs)
        if len(order_i) > 1 and (np.diff(order_i) == 0).any():
            dup = int(order_i[:-1][np.diff(order_i) == 0][0])
            raise ValueError(f"merge: image {dup} is in two states (shard results by image: each image's results "
                             "in one shard)")
        ui = np.concatenate([s.unit_image for s in states])
        uk = np.concatenate([s.unit_cat for s in states])
        counts = np.concatenate([s.dt_count for s in states])
        npig = np.concatenate([s.npig for s in states])
        score = np.concatenate([s.dt_score for s in states])
        state = np.concatenate([s.dt_state for s in states])
        names = {}
        for s in states:
            names.update(s.category_names)
        in_order = len(ui) < 2 or bool(((ui[1:] > ui[:-1]) | ((ui[1:] == ui[:-1]) & (uk[1:] > uk[:-1]))).all())
        if not in_order:  # not given in image order: reorder the units
            order = np.lexsort((uk, ui))  # by image id, then category
            starts = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))[:-1]
            take = _ranges(starts[order], counts[order].astype(np.int64))
            ui, uk, npig, counts, score, state = ui[order], uk[order], npig[order], counts[order], score[take], state[take]
        return CocoState(self.params, order_i, ui, uk, npig, counts, score, state, names)

    @classmethod
    def merge_files(cls, paths) -> "CocoState":
        """``merge`` of the states saved in ``paths``, holding one file at a time besides the
        result (the merged arrays are allocated once, then filled file by file): peak memory is
        the merged state plus one shard, not twice all of them."""
        paths = [os.fspath(p) for p in paths]
        if not paths:
            raise ValueError("merge_files: no state files")
        heads, sizes, imgs = [], [], []
        for p in paths:
            with np.load(p, allow_pickle=False) as z:
                header = json.loads(bytes(z["header"]).decode()) if "header" in z.files else {}
                if header.get("format") != FORMAT or header.get("kind") != cls.kind:
                    raise ValueError(f"{p}: not a locuskit coco state file")
                if not isinstance(header.get("version"), int) or header["version"] > VERSION:
                    raise ValueError(f"{p}: state format version {header.get('version')!r}; this locuskit reads up to "
                                     f"{VERSION}")
                imgs.append(z["image_ids"])
                sizes.append((len(z["unit_image"]), int(z["dt_count"].sum(dtype=np.int64))))
            heads.append(header)
        params = fixed_params(heads[0]["params"])
        for p, h in zip(paths, heads):
            if fixed_params(h["params"]) != params:
                raise ValueError(f"merge: {p} was evaluated with different parameters")
        A, T = len(params["areaRng"]), len(params["iouThrs"])
        U, D = sum(u for u, _ in sizes), sum(d for _, d in sizes)
        out = {"unit_image": np.empty(U, np.int64), "unit_cat": np.empty(U, np.int32), "npig": np.empty((U, A), np.uint32),
               "dt_count": np.empty(U, np.uint32), "dt_score": np.empty(D), "dt_state": np.empty((D, A, T), np.uint8)}
        u0 = d0 = 0
        names = {}
        for p, (nu, nd), h in zip(paths, sizes, heads):
            with np.load(p, allow_pickle=False) as z:
                for k in ("unit_image", "unit_cat", "npig", "dt_count"):
                    out[k][u0:u0 + nu] = z[k]
                out["dt_score"][d0:d0 + nd] = z["dt_score"]
                out["dt_state"][d0:d0 + nd] = z["dt_state"]
            u0, d0 = u0 + nu, d0 + nd
            names.update({int(k): v for k, v in h.get("category_names", {}).items()})
        all_imgs = np.sort(np.concatenate(imgs))
        if len(all_imgs) > 1 and (np.diff(all_imgs) == 0).any():
            dup = int(all_imgs[:-1][np.diff(all_imgs) == 0][0])
            raise ValueError(f"merge: image {dup} is in two states (shard results by image: each image's results "
                             "in one shard)")
        ui, uk = out["unit_image"], out["unit_cat"]
        in_order = len(ui) < 2 or bool(((ui[1:] > ui[:-1]) | ((ui[1:] == ui[:-1]) & (uk[1:] > uk[:-1]))).all())
        merged = cls(params, all_imgs, ui, uk, out["npig"], out["dt_count"], out["dt_score"], out["dt_state"], names)
        return merged if in_order else cls.empty(params).merge(merged)

    # --- results ------------------------------------------------------------------------------
    def accumulate(self, category_block: int = 8):
        """pycocotools' (precision [T, R, K, A, M], recall [T, K, A, M], scores [T, R, K, A, M]),
        computed ``category_block`` categories at a time over the images that have units there
        (categories accumulate independently), so memory follows the state, not images x cats."""
        p = self.params
        T, R, A, M = len(p["iouThrs"]), len(p["recThrs"]), len(p["areaRng"]), len(p["maxDets"])
        K = len(p["catIds"]) if p["useCats"] else 1
        precision = -np.ones((T, R, K, A, M))
        recall = -np.ones((T, K, A, M))
        scores = -np.ones((T, R, K, A, M))
        if T == 0 or M == 0:
            return precision, recall, scores
        by_cat = np.argsort(self.unit_cat, kind="stable")  # keeps (image, k) order inside a block
        cats_sorted = self.unit_cat[by_cat]
        det_start = np.concatenate(([0], np.cumsum(self.dt_count, dtype=np.int64)))
        rec_thrs = [float(r) for r in p["recThrs"]]
        for k0 in range(0, K, category_block):
            k1 = min(K, k0 + category_block)
            lo, hi = np.searchsorted(cats_sorted, [k0, k1])
            if lo == hi:
                continue
            sel = np.sort(by_cat[lo:hi])  # units of the block in (image, k) order
            imgs, inv = np.unique(self.unit_image[sel], return_inverse=True)
            Kc = k1 - k0
            dense = inv.astype(np.int64) * Kc + (self.unit_cat[sel] - k0)
            n_units = len(imgs) * Kc
            present = np.zeros(n_units, np.uint8)
            present[dense] = 1
            npig = np.zeros((n_units, A), np.uint32)
            npig[dense] = self.npig[sel]
            cnt = np.zeros(n_units, np.int64)
            cnt[dense] = self.dt_count[sel]
            offset = np.zeros(n_units + 1, np.int64)
            np.cumsum(cnt, out=offset[1:])
            take = _ranges(det_start[sel], self.dt_count[sel].astype(np.int64))
            prec, rec, sc = _core.eval.coco_accumulate_states(
                len(imgs), Kc, A, T, [int(m) for m in p["maxDets"]], present, npig.reshape(-1), offset,
                np.ascontiguousarray(self.dt_score[take]), np.ascontiguousarray(self.dt_state[take]).reshape(-1),
                rec_thrs)
            precision[:, :, k0:k1] = prec
            recall[:, k0:k1] = rec
            scores[:, :, k0:k1] = sc
        return precision, recall, scores

    def compute(self) -> CocoResult:
        """The :class:`CocoResult` one process gives on the covered images (bit for bit)."""
        precision, recall, scores = self.accumulate()
        p = dict(self.params)
        p["imgIds"] = [int(i) for i in self.image_ids]
        for k in ("iouThrs", "recThrs", "kpt_oks_sigmas"):
            if k in p:
                p[k] = np.asarray(p[k], np.float64)
        try:
            stats, lines = _coco.summarize_arrays(precision, recall, p)
        except IndexError:  # pycocotools' summarize() fails here; the arrays are still valid
            stats, lines = np.array([]), []
        names = _coco.KEYPOINT_STAT_NAMES if p["iouType"] == "keypoints" else _coco.BBOX_STAT_NAMES
        return CocoResult(stats=stats, stat_names=names, precision=precision, recall=recall, scores=scores,
                          params={k: (list(v) if isinstance(v, np.ndarray) else v) for k, v in p.items()},
                          summary_lines=lines, category_names=dict(self.category_names))

    # --- serialization ------------------------------------------------------------------------
    def _arrays(self) -> dict:
        return {"image_ids": self.image_ids, "unit_image": self.unit_image, "unit_cat": self.unit_cat,
                "npig": self.npig, "dt_count": self.dt_count, "dt_score": self.dt_score, "dt_state": self.dt_state}

    def _header(self) -> dict:
        return {"kind": self.kind, "params": self.params,
                "category_names": {str(k): v for k, v in self.category_names.items()}}

    def save(self, path) -> None:
        """Writes the state file (format: docs/eval.md, "Evaluation state"), atomically."""
        write_arrays(path, self._header(), self._arrays())

    def to_bytes(self) -> bytes:
        f = io.BytesIO()
        np.savez(f, header=np.frombuffer(json.dumps(dict(self._header(), format=FORMAT, version=VERSION),
                                                    sort_keys=True).encode(), np.uint8), **self._arrays())
        return f.getvalue()

    @classmethod
    def load(cls, source) -> "CocoState":
        """A state from a file written by ``save`` (or its bytes)."""
        header, a = read_arrays(source, cls.kind)
        try:
            return cls(header["params"], a["image_ids"], a["unit_image"], a["unit_cat"], a["npig"], a["dt_count"],
                       a["dt_score"], a["dt_state"], {int(k): v for k, v in header.get("category_names", {}).items()})
        except KeyError as exc:
            raise ValueError(f"state: missing entry {exc.args[0]!r}") from None

    from_bytes = load

    def __reduce__(self):  # pickling (dask, torch.distributed) goes through the documented format
        return (CocoState.from_bytes, (self.to_bytes(),))

    def __len__(self) -> int:
        return len(self.image_ids)

    def __repr__(self) -> str:
        return (f"CocoState({self.params['iouType']}, {len(self.image_ids)} images, {len(self.unit_image)} units, "
                f"{len(self.dt_score)} results)")


def unit_arrays(image_ids: np.ndarray, r: dict) -> tuple:
    """(unit_image, unit_cat, npig, dt_count, dt_score, dt_state) of the units with GT or results,
    from the evaluator's dense records (units image-major over ``image_ids`` x K)."""
    K = int(r["K"])
    present = np.flatnonzero(r["present"])
    off = r["dt_offset"]
    counts = (off[1:] - off[:-1])[present]
    return (image_ids[present // K], (present % K).astype(np.int32), r["npig"][present], counts, r["dt_score"],
            r["dt_state"])


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + c) over (starts, counts), vectorised."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    base = np.repeat(np.asarray(starts, np.int64) - (ends - counts), counts)
    return base + np.arange(total, dtype=np.int64)


# --- other evaluators in the same file format (kind "voc", "semseg") ------------------------------
def _split(flat: np.ndarray, counts: np.ndarray) -> list:
    return np.split(flat, np.cumsum(counts)[:-1]) if len(counts) else []


def _voc_arrays(ev) -> tuple:
    n_gt = np.asarray([len(g[0]) for g in ev._gt], np.int64)
    n_dt = np.asarray([len(d[0]) for d in ev._dt], np.int64)
    cat = lambda xs, shape, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(shape, dt)  # noqa: E731
    header = {"kind": "voc", "iou_threshold": ev.iou_threshold, "box_format": ev.box_format,
              "class_names": {str(k): v for k, v in ev.class_names.items()}, "plus_one": ev.plus_one,
              "strict_threshold": ev.strict_threshold}
    arrays = {"image_ids": np.asarray(ev._images, np.int64), "auto_id": np.asarray(ev._auto, np.bool_),
              "gt_count": n_gt, "gt_boxes": cat([g[0].reshape(-1, 4) for g in ev._gt], (0, 4), np.float64),
              "gt_labels": cat([g[1] for g in ev._gt], (0,), np.int64),
              "gt_difficult": cat([g[2] for g in ev._gt], (0,), np.uint8),
              "dt_count": n_dt, "dt_boxes": cat([d[0].reshape(-1, 4) for d in ev._dt], (0, 4), np.float64),
              "dt_scores": cat([d[1] for d in ev._dt], (0,), np.float64),
              "dt_labels": cat([d[2] for d in ev._dt], (0,), np.int64)}
    return header, arrays


def _voc_from(header: dict, a: dict):
    from ._voc_stream import VocEvaluator

    ev = VocEvaluator(header["iou_threshold"], header["box_format"],
                      {int(k): v for k, v in header.get("class_names", {}).items()}, header["plus_one"],
                      header["strict_threshold"])
    ev._images = [int(i) for i in a["image_ids"]]
    ev._auto = [bool(x) for x in a["auto_id"]]
    ev._gt = list(zip(_split(a["gt_boxes"], a["gt_count"]), _split(a["gt_labels"], a["gt_count"]),
                      _split(a["gt_difficult"], a["gt_count"])))
    ev._dt = list(zip(_split(a["dt_boxes"], a["dt_count"]), _split(a["dt_scores"], a["dt_count"]),
                      _split(a["dt_labels"], a["dt_count"])))
    if not (len(ev._images) == len(ev._auto) == len(ev._gt) == len(ev._dt)):
        raise ValueError("voc state: inconsistent array lengths")
    return ev


_SEMSEG_ARRAYS = ("full_matrix", "_f32", "_tm_score", "_tm_valid")


def _semseg_arrays(m) -> tuple:
    header = {"kind": "semseg", "num_classes": m.num_classes, "ignore_index": m.ignore_index,
              "reduce_zero_label": m.reduce_zero_label, "tm_invalid": bool(m._tm_invalid),
              "num_images": int(m.num_images)}
    arrays = {k.lstrip("_"): np.asarray(getattr(m, k)) for k in _SEMSEG_ARRAYS}
    arrays["tm_scalar"] = np.asarray([m._tm_scalar_score, m._tm_scalar_valid], np.float32)
    arrays["per_image_mean_iou"] = np.asarray(m.per_image_mean_iou, np.float64)
    return header, arrays


def _semseg_from(header: dict, a: dict):
    from ..semseg import SegmentationMetric

    m = SegmentationMetric(header["num_classes"], header["ignore_index"], header["reduce_zero_label"])
    for k in _SEMSEG_ARRAYS:
        v = a[k.lstrip("_")]
        if v.shape != getattr(m, k).shape or v.dtype != getattr(m, k).dtype:
            raise ValueError(f"semseg state: {k.lstrip('_')} has shape {v.shape} / dtype {v.dtype}")
        setattr(m, k, v.copy())
    m._tm_scalar_score, m._tm_scalar_valid = (np.float32(x) for x in a["tm_scalar"])
    m.per_image_mean_iou = [float(x) for x in a["per_image_mean_iou"]]
    m._tm_invalid = bool(header["tm_invalid"])
    m.num_images = int(header["num_images"])
    return m


def save_state(obj, path) -> None:
    """Writes the state of a :class:`CocoState` (or a :class:`CocoEvaluator`, as its CocoState),
    a :class:`VocEvaluator`, a :class:`locuskit.semseg.SegmentationMetric` or a
    :class:`locuskit.mot.MotState` to ``path`` in the
    versioned state format (docs/eval.md, "Evaluation state"); ``load_state`` reads it back, and
    the loaded objects merge as the originals do."""
    from ..semseg import SegmentationMetric
    from ._stream import CocoEvaluator
    from ._voc_stream import VocEvaluator

    if isinstance(obj, CocoEvaluator):
        obj = obj.state()
    if isinstance(obj, CocoState):
        return obj.save(path)
    if isinstance(obj, VocEvaluator):
        return write_arrays(path, *_voc_arrays(obj))
    if isinstance(obj, SegmentationMetric):
        return write_arrays(path, *_semseg_arrays(obj))
    from ..mot import MotState

    if isinstance(obj, MotState):
        return obj.save(path)
    raise TypeError(f"save_state: no state format for {type(obj).__name__}")


def load_state(source):
    """The object a state file (or its bytes) holds: CocoState, LvisState, VocEvaluator, SegmentationMetric or
    :class:`locuskit.mot.MotState`."""
    header, arrays = read_arrays(source)
    kind = header.get("kind")
    try:
        if kind == "coco":
            return CocoState.load(source)
        if kind == "lvis":
            from ._lvis import LvisState

            return LvisState.load(source)
        if kind == "voc":
            return _voc_from(header, arrays)
        if kind == "semseg":
            return _semseg_from(header, arrays)
        if kind == "mot":
            from ..mot import MotState

            return MotState.load(source)
    except KeyError as exc:
        raise ValueError(f"{kind} state: missing entry {exc.args[0]!r}") from None
    raise ValueError(f"state of kind {kind!r}: this locuskit reads 'coco', 'lvis', 'voc', 'semseg' and 'mot'")
