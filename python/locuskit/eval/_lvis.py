"""LVIS federated evaluation, bit for bit as the lvis API's ``LVISEval``.

``lvis_evaluate(gt, dt)`` -> :class:`LvisResult`; ``LVISEval`` is a drop-in for
``lvis.LVISEval`` (``run()``, ``results``, ``eval['precision']``, ``print_results()``).
The C++ core is the COCO evaluator with the federated rules (``include/locuskit/eval/lvis_eval.hpp``).
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .. import _core

_PARAM_NAMES = ("img_ids", "cat_ids", "iou_thrs", "rec_thrs", "max_dets", "area_rng", "area_rng_lbl",
                "use_cats", "img_count_lbl")


@dataclass
class LvisResult:
    """Everything one LVIS evaluation produces.

    ``results``: ``LVISEval.results`` (AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300,
    ARs@300, ARm@300, ARl@300 as floats, -1 where undefined); ``precision`` [T, R, K, A] and
    ``recall`` [T, K, A] (``LVISEval.eval``'s layout, -1 where a category has no GT);
    ``per_category_ap`` [K] (mean of precision[:, :, k, all] over cells > -1); ``cat_ids`` the K
    axis; ``freq_groups`` {"r"|"c"|"f": category ids}; ``params`` the evaluated parameters;
    ``counts``: results kept by the 300 cap, results and GT left by the federated filters.
    """

    results: "OrderedDict[str, float]"
    precision: np.ndarray
    recall: np.ndarray
    per_category_ap: np.ndarray
    cat_ids: np.ndarray
    freq_groups: dict
    params: dict
    summary_lines: list
    counts: dict = field(default_factory=dict)
    category_names: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """{metric name: value}, the keys of ``LVISEval.results``."""
        return dict(self.results)

    def summary(self) -> str:
        """``LVISEval.print_results()``' lines."""
        return "\n".join(self.summary_lines)

    def per_category(self) -> list:
        """Per-category rows {category_id, name, frequency, AP} (NaN where the category has no GT)."""
        freq = {int(c): g for g, ids in self.freq_groups.items() for c in ids}
        return [{"category_id": int(c), "name": self.category_names.get(int(c), str(int(c))),
                 "frequency": freq.get(int(c), ""),
                 "AP": float(ap) if ap > -1 else float("nan")}
                for c, ap in zip(self.cat_ids, self.per_category_ap)]


def _json_source(obj, what: str):
    """A path (str / PathLike) or JSON bytes for the C++ loader; dicts / lists are serialised."""
    if isinstance(obj, (str, os.PathLike)):
        return os.fspath(obj)
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    dataset = getattr(obj, "dataset", None)  # lvis.LVIS / LVISResults / locuskit objects
    if dataset is not None:
        obj = dataset["annotations"] if what == "dt" else dataset
    if isinstance(obj, (dict, list)):
        return json.dumps(obj).encode()
    raise TypeError(f"{what}: expected a path, JSON bytes, a dict / list or an object with .dataset, "
                    f"got {type(obj).__name__}")


def _category_names(gt) -> dict:
    try:
        if isinstance(gt, (str, os.PathLike)):
            return {}
        ds = getattr(gt, "dataset", gt)
        return {int(c["id"]): c.get("name", str(c["id"])) for c in ds.get("categories", [])}
    except (AttributeError, TypeError, KeyError, ValueError):
        return {}


def lvis_evaluate(gt, dt, iou_type: str = "bbox", *, max_dets: int = 300, img_ids=None, cat_ids=None,
                  iou_thrs=None, rec_thrs=None, area_rng=None, area_rng_lbl=None, use_cats=None,
                  img_count_lbl=None) -> LvisResult:
    """LVIS evaluation of results ``dt`` against the LVIS ground truth ``gt``, equal to
    ``LVISResults(gt, dt, max_dets)`` + ``LVISEval(gt, dt, iou_type).run()`` bit for bit.

    ``gt``: path, JSON bytes, dataset dict or an object with ``.dataset`` (e.g. ``lvis.LVIS``);
    ``dt``: path, JSON bytes or a results list. ``iou_type``: "bbox" or "segm". Federated
    rules: at most ``max_dets`` results per image (by score, across categories), GT and results
    with area <= 0 dropped, results only in categories that are positive (have GT) or in the
    image's ``neg_category_ids``, unmatched results in ``not_exhaustive_category_ids`` ignored,
    GT ``ignore`` honoured, ``iscrowd`` not used. Keyword overrides take the LVIS ``Params`` names.
    An empty results list evaluates as no detections (the API raises IndexError).
    Raises ValueError (malformed JSON, unsupported iou_type, missing frequency), KeyError
    (missing ``neg_category_ids`` / ``not_exhaustive_category_ids``), AssertionError (a result
    on an image that is not in the GT).
    """
    params = _params(iou_type, max_dets, img_ids, cat_ids, iou_thrs, rec_thrs, area_rng, area_rng_lbl, use_cats,
                     img_count_lbl)
    out = _core.eval.lvis_evaluate(_json_source(gt, "gt"), _json_source(dt, "dt"), iou_type, params)
    return _result_of(out, _category_names(gt), iou_type)


def _params(iou_type, max_dets, img_ids, cat_ids, iou_thrs, rec_thrs, area_rng, area_rng_lbl, use_cats,
            img_count_lbl) -> dict:
    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type: {iou_type} is not supported (LVIS evaluates 'bbox' or 'segm')")
    params = {"max_dets": int(max_dets)}
    for name, v in (("img_ids", img_ids), ("cat_ids", cat_ids), ("iou_thrs", iou_thrs), ("rec_thrs", rec_thrs),
                    ("area_rng", area_rng), ("area_rng_lbl", area_rng_lbl), ("use_cats", use_cats),
                    ("img_count_lbl", img_count_lbl)):
        if v is not None:
            params[name] = np.asarray(v).tolist() if name not in ("area_rng_lbl", "img_count_lbl") else list(v)
    return params


def lvis_state(gt, dt, iou_type: str = "bbox", *, image_ids=None, max_dets: int = 300, cat_ids=None,
               iou_thrs=None, rec_thrs=None, area_rng=None, area_rng_lbl=None, use_cats=None,
               img_count_lbl=None) -> "LvisState":
    """:func:`lvis_evaluate` (same arguments; ``image_ids`` is ``img_ids``, e.g. one worker's
    shard) kept as a mergeable :class:`LvisState`: the COCO units after the federated rules
    (docs/eval.md, "Evaluation state", kind ``lvis``). States of disjoint image shards merge;
    ``compute()`` equals ``lvis_evaluate`` on all the images bit for bit (with each shard's
    results holding only its images' results)."""
    params = _params(iou_type, max_dets, image_ids, cat_ids, iou_thrs, rec_thrs, area_rng, area_rng_lbl, use_cats,
                     img_count_lbl)
    r = _core.eval.lvis_state(_json_source(gt, "gt"), _json_source(dt, "dt"), iou_type, params)
    from ._state import unit_arrays

    imgs = np.asarray(r["img_ids"], np.int64)
    cats = [int(c) for c in r["cat_ids"]]
    pos = {c: k for k, c in enumerate(cats)}
    coco = {"iouType": iou_type, "catIds": cats, "iouThrs": list(r["iou_thrs"]), "recThrs": list(r["rec_thrs"]),
            "maxDets": [_UNBOUNDED], "areaRng": [list(a) for a in r["area_rng"]],
            "areaRngLbl": list(r["area_rng_lbl"]), "useCats": 1 if r["use_cats"] else 0}
    lvis = {"max_dets": int(r["max_dets"]), "img_count_lbl": list(r["img_count_lbl"]),
            "freq_groups": [[pos[int(c)] for c in g] for g in r["freq_groups"]]}
    counts = {k: int(r[k]) for k in _COUNTS}
    return LvisState(coco, imgs, *unit_arrays(imgs, r), category_names=_category_names(gt), lvis=lvis,
                     counts=counts)


_UNBOUNDED = 2 ** 63 - 1  # LVIS accumulates one unbounded maxDet column
_COUNTS = ("num_results_after_cap", "num_dt_evaluated", "num_gt_evaluated")


def _lvis_state_class():
    from ._state import CocoState, read_arrays

    class LvisState(CocoState):
        """LVIS evaluation state of a set of images: :class:`CocoState`'s units after the
        federated rules (one unbounded maxDet), plus ``lvis`` (the per-image cap ``max_dets``,
        ``img_count_lbl``, ``freq_groups`` as K positions) and ``counts`` (summed on merge).
        ``compute()`` gives :class:`LvisResult` (kind ``lvis`` of the state format)."""

        kind = "lvis"

        def __init__(self, params, image_ids, unit_image, unit_cat, npig, dt_count, dt_score, dt_state,
                     category_names=None, lvis=None, counts=None):
            super().__init__(params, image_ids, unit_image, unit_cat, npig, dt_count, dt_score, dt_state,
                             category_names)
            if lvis is None:
                raise ValueError("LvisState: lvis parameters missing")
            self.lvis = {"max_dets": int(lvis["max_dets"]), "img_count_lbl": [str(x) for x in lvis["img_count_lbl"]],
                         "freq_groups": [[int(k) for k in g] for g in lvis["freq_groups"]]}
            self.counts = {k: int((counts or {}).get(k, 0)) for k in _COUNTS}

        def merge(self, *others):
            for o in others:
                if not isinstance(o, LvisState):
                    raise TypeError(f"merge: expected LvisState, got {type(o).__name__}")
                if o.lvis != self.lvis:
                    diff = [k for k in self.lvis if o.lvis[k] != self.lvis[k]]
                    raise ValueError(f"merge: the states were evaluated with different LVIS parameters ({', '.join(diff)})")
            m = CocoState.merge(self, *others)
            counts = {k: sum(s.counts[k] for s in (self, *others)) for k in _COUNTS}
            return LvisState(m.params, m.image_ids, m.unit_image, m.unit_cat, m.npig, m.dt_count, m.dt_score,
                             m.dt_state, m.category_names, self.lvis, counts)

        @classmethod
        def merge_files(cls, paths):
            states = [cls.load(p) for p in paths]
            if not states:
                raise ValueError("merge_files: no state files")
            return states[0].merge(*states[1:])

        def compute(self) -> LvisResult:
            """The :class:`LvisResult` ``lvis_evaluate`` gives on the covered images (bit for bit)."""
            precision, recall, _ = self.accumulate()
            p = self.params
            lp = {"img_ids": [int(i) for i in self.image_ids], "cat_ids": p["catIds"], "iou_thrs": p["iouThrs"],
                  "rec_thrs": p["recThrs"], "area_rng": p["areaRng"], "area_rng_lbl": p["areaRngLbl"],
                  "use_cats": bool(p["useCats"]), "img_count_lbl": self.lvis["img_count_lbl"],
                  "max_dets": self.lvis["max_dets"]}
            out = _core.eval.lvis_summarize(np.ascontiguousarray(precision), np.ascontiguousarray(recall),
                                            p["iouType"], lp, self.lvis["freq_groups"],
                                            *[self.counts[k] for k in _COUNTS])
            return _result_of(out, dict(self.category_names), p["iouType"])

        def _header(self) -> dict:
            return dict(super()._header(), lvis=self.lvis, counts=self.counts)

        @classmethod
        def load(cls, source):
            """A state from a file written by ``save`` (or its bytes)."""
            header, a = read_arrays(source, cls.kind)
            try:
                return cls(header["params"], a["image_ids"], a["unit_image"], a["unit_cat"], a["npig"], a["dt_count"],
                           a["dt_score"], a["dt_state"],
                           {int(k): v for k, v in header.get("category_names", {}).items()}, header["lvis"],
                           header["counts"])
            except KeyError as exc:
                raise ValueError(f"lvis state: missing entry {exc.args[0]!r}") from None

        from_bytes = load

        def __reduce__(self):
            return (LvisState.from_bytes, (self.to_bytes(),))

        def __repr__(self) -> str:
            return (f"LvisState({self.params['iouType']}, {len(self.image_ids)} images, {len(self.unit_image)} units, "
                    f"{len(self.dt_score)} results)")

    LvisState.__qualname__ = "LvisState"  # pickled by reference as locuskit.eval._lvis.LvisState
    return LvisState


def _result_of(out: dict, names: dict, iou_type: str) -> LvisResult:
    results = OrderedDict((k, float(v)) for k, v in zip(out["keys"], out["values"]))
    lbl = list(out["img_count_lbl"])
    groups = {lbl[j] if j < len(lbl) else str(j): np.asarray(g) for j, g in enumerate(out["freq_groups"])}
    params = {k: out[k] for k in ("img_ids", "cat_ids", "iou_thrs", "rec_thrs", "area_rng", "area_rng_lbl",
                                  "max_dets", "use_cats", "img_count_lbl")}
    params["iou_type"] = iou_type
    counts = {k: int(out[k]) for k in ("num_results_after_cap", "num_dt_evaluated", "num_gt_evaluated")}
    return LvisResult(results=results, precision=out["precision"], recall=out["recall"],
                      per_category_ap=out["per_category_ap"], cat_ids=out["cat_ids"], freq_groups=groups,
                      params=params, summary_lines=list(out["lines"]), counts=counts, category_names=names)


class Params:
    """The lvis API's ``Params`` (names and defaults); assign fields before ``evaluate()``."""

    def __init__(self, iou_type: str = "segm"):
        self.img_ids: list = []
        self.cat_ids: list = []
        self.iou_thrs = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
        self.rec_thrs = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
        self.max_dets = 300
        self.area_rng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.area_rng_lbl = ["all", "small", "medium", "large"]
        self.use_cats = 1
        self.img_count_lbl = ["r", "c", "f"]
        self.iou_type = iou_type


class LVISEval:
    """Drop-in for ``lvis.LVISEval``: ``LVISEval(gt, dt, iou_type).run()`` then ``results``,
    ``eval["precision"]`` / ``eval["recall"]``, ``freq_groups``, ``print_results()``.

    ``gt``: path, dict or an object with ``.dataset`` (``lvis.LVIS``); ``dt``: path, results list
    or an object with ``.dataset`` (``lvis.LVISResults``, whose annotations are already capped).
    ``max_dets`` is ``LVISResults``' cap (300), applied here when ``dt`` is a path or list.
    ``evaluate()`` does the whole computation in C++; ``accumulate()`` / ``summarize()`` then only
    expose its outputs (per-image ``eval_imgs`` and ``ious`` are not kept).
    """

    def __init__(self, lvis_gt, lvis_dt, iou_type: str = "segm", max_dets: int = 300):
        if iou_type not in ("bbox", "segm"):
            raise ValueError("iou_type: {} is not supported.".format(iou_type))
        self._gt_src = _json_source(lvis_gt, "gt")
        self._dt_src = _json_source(lvis_dt, "dt")
        self._names = _category_names(lvis_gt)
        self.params = Params(iou_type=iou_type)
        self.params.max_dets = max_dets
        self._ids_from_gt = True
        self.results: OrderedDict = OrderedDict()
        self.eval: dict = {}
        self.freq_groups: list = []
        self._result: LvisResult | None = None

    def evaluate(self) -> None:
        p = self.params
        kw = dict(iou_thrs=p.iou_thrs, rec_thrs=p.rec_thrs, area_rng=p.area_rng, area_rng_lbl=p.area_rng_lbl,
                  use_cats=bool(p.use_cats), img_count_lbl=p.img_count_lbl, max_dets=p.max_dets)
        if len(p.img_ids):
            kw["img_ids"] = p.img_ids
        if len(p.cat_ids):
            kw["cat_ids"] = p.cat_ids
        self._result = r = lvis_evaluate(self._gt_src, self._dt_src, p.iou_type, **kw)
        p.img_ids = [int(i) for i in r.params["img_ids"]]
        p.cat_ids = [int(c) for c in r.params["cat_ids"]]
        self.freq_groups = [[int(np.searchsorted(r.cat_ids, c)) for c in r.freq_groups[g]] for g in r.freq_groups]

    def accumulate(self) -> None:
        if self._result is None:
            raise RuntimeError("Please run evaluate() first.")
        p = self.params
        self.eval = {"params": p, "counts": [len(p.iou_thrs), len(p.rec_thrs), len(p.cat_ids), len(p.area_rng)],
                     "precision": self._result.precision, "recall": self._result.recall}

    def summarize(self) -> None:
        if not self.eval:
            raise RuntimeError("Please run accumulate() first.")
        self.results = OrderedDict(self._result.results)

    def run(self) -> None:
        self.evaluate()
        self.accumulate()
        self.summarize()

    def print_results(self) -> None:
        print(self._result.summary() if self._result else "")

    def get_results(self) -> OrderedDict:
        return self.results

    @property
    def result(self) -> LvisResult | None:
        """The :class:`LvisResult` of the last ``evaluate()``."""
        return self._result


LvisState = _lvis_state_class()
