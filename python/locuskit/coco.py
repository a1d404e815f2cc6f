"""A pycocotools drop-in: ``from locuskit.coco import COCO, COCOeval``.

Same constructor, ``params``, ``loadRes`` (file, list of dicts or (N, 7) array), ``evaluate()``,
``accumulate()``, ``summarize()``, ``stats`` and ``eval['precision' | 'recall' | 'scores']``,
bit for bit equal to pycocotools 2.0.11, computed by locuskit's C++ core (files are parsed with
simdjson, the GIL is released, several threads are used: ``locuskit.set_num_threads``).

iouType "segm" is pycocotools' mask evaluation; "boundary" is the boundary-iou-api's Boundary AP
(``COCOeval(gt, dt, "boundary", dilation_ratio=0.02)``).

``COCOeval.params`` is the bound C++ Params (``Params`` below: pycocotools' fields, types and
defaults; checked assignments). ``evaluate()`` runs the whole evaluation in one call into C++
(matching, accumulation, summary); ``accumulate()`` and ``summarize()`` hand out its result
unless the parameters changed in between.

Differences (see docs/eval.md): ``evalImgs``
is built on first access (once read or assigned, ``accumulate()`` works from it, as pycocotools)
and ``ious`` is not kept; the params fields are properties (``vars(params)`` holds only added
attributes; ``dict(params)`` has the fields); annotation ids must fit int64 (image / category ids of any type are
mapped to int64 codes of the same order); the results dicts passed to
``loadRes`` are not modified; edits of ``dataset`` / ``anns`` count after ``createIndex()``.
"""
from __future__ import annotations

import copy
import datetime
import itertools
import json
import os
import time
from collections import defaultdict

import numpy as np

from .eval import _coco

__all__ = ["COCO", "COCOeval", "Params"]


def _is_array_like(obj) -> bool:
    return hasattr(obj, "__iter__") and hasattr(obj, "__len__")


class COCO:
    """A COCO ground-truth (or results) set: pycocotools' ``COCO`` API.

    ``COCO(path)`` parses the file natively; the Python ``dataset`` dict and the indexes
    (``anns``, ``imgs``, ``cats``, ``imgToAnns``, ``catToImgs``) are built on first access only.
    """

    def __init__(self, annotation_file=None):
        self._path = None
        self._dataset = None
        self._native = None  # column tables from the C++ loader
        self._index = None
        self._results = None  # results table when this object comes from loadRes
        self._idmap = None  # _coco.IdMap when image / category ids do not fit int64 columns
        if annotation_file is not None:
            print("loading annotations into memory...")
            tic = time.time()
            self._path = os.fspath(annotation_file)
            try:
                self._native = _coco.load_gt(self._path)
            except ValueError as exc:
                # String / non-integral / huge image or category ids: pycocotools accepts them;
                # read with Python's json and evaluate through int64 codes (IdMap).
                try:
                    with open(self._path) as f:
                        ds = json.load(f)
                except (ValueError, OSError):
                    raise exc from None
                if not isinstance(ds, dict) or _coco.IdMap.for_dataset(ds) is None:
                    raise
                self._dataset = ds
                self._gt_native()
            print("Done (t={:0.2f}s)".format(time.time() - tic))
        else:
            self._dataset = {}

    # ---------------------------------------------------------------- dataset and index (lazy)
    @property
    def dataset(self) -> dict:
        if self._dataset is None:
            if self._results is not None:
                self._dataset = self._load_res_dataset()
            else:
                with open(self._path) as f:
                    self._dataset = json.load(f)
        return self._dataset

    @dataset.setter
    def dataset(self, value: dict) -> None:
        self._dataset = value
        self._native = None
        self._results = None
        self._index = None

    def createIndex(self):
        """Builds the Python indexes from ``dataset`` (as pycocotools). The native tables are
        rebuilt from ``dataset`` on the next evaluation, so in-place edits of ``dataset`` (or of
        the ``anns`` dicts, which are the same objects) made before ``createIndex()`` count, for
        ground truth and for ``loadRes`` results alike."""
        if self._dataset is not None:
            # Evaluate what the dicts now say (results keep the id / area / score they carry).
            self._native = None
            self._results = None
        self._build_index()

    def _build_index(self):
        print("creating index...")
        anns, cats, imgs = {}, {}, {}
        img_to_anns, cat_to_imgs = defaultdict(list), defaultdict(list)
        ds = self.dataset
        for ann in ds.get("annotations", []):
            img_to_anns[ann["image_id"]].append(ann)
            anns[ann["id"]] = ann
        for img in ds.get("images", []):
            imgs[img["id"]] = img
        for cat in ds.get("categories", []):
            cats[cat["id"]] = cat
        if "annotations" in ds and "categories" in ds:
            for ann in ds["annotations"]:
                cat_to_imgs[ann["category_id"]].append(ann["image_id"])
        print("index created!")
        self._index = (anns, cats, imgs, img_to_anns, cat_to_imgs)

    def _idx(self, i):
        if self._index is None:
            self._build_index()
        return self._index[i]

    anns = property(lambda self: self._idx(0))
    cats = property(lambda self: self._idx(1))
    imgs = property(lambda self: self._idx(2))
    imgToAnns = property(lambda self: self._idx(3))
    catToImgs = property(lambda self: self._idx(4))

    def info(self):
        for key, value in self.dataset.get("info", {}).items():
            print("{}: {}".format(key, value))

    # ---------------------------------------------------------------- queries (pycocotools semantics)
    def getAnnIds(self, imgIds=[], catIds=[], areaRng=[], iscrowd=None):
        imgIds = imgIds if _is_array_like(imgIds) else [imgIds]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if len(imgIds) == len(catIds) == len(areaRng) == 0:
            anns = self.dataset.get("annotations", [])
        else:
            if len(imgIds) != 0:
                lists = [self.imgToAnns[i] for i in imgIds if i in self.imgToAnns]
                anns = list(itertools.chain.from_iterable(lists))
            else:
                anns = self.dataset.get("annotations", [])
            anns = anns if len(catIds) == 0 else [a for a in anns if a["category_id"] in catIds]
            anns = anns if len(areaRng) == 0 else [a for a in anns if areaRng[0] < a["area"] < areaRng[1]]
        if iscrowd is not None:
            return [a["id"] for a in anns if a["iscrowd"] == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms=[], supNms=[], catIds=[]):
        catNms = catNms if _is_array_like(catNms) else [catNms]
        supNms = supNms if _is_array_like(supNms) else [supNms]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if len(catNms) == len(supNms) == len(catIds) == 0:
            if self._native is not None and self._idmap is None:
                return [int(c) for c in self._native["category_ids"]]
            return [c["id"] for c in self.dataset.get("categories", [])]
        cats = self.dataset.get("categories", [])
        cats = cats if len(catNms) == 0 else [c for c in cats if c["name"] in catNms]
        cats = cats if len(supNms) == 0 else [c for c in cats if c["supercategory"] in supNms]
        cats = cats if len(catIds) == 0 else [c for c in cats if c["id"] in catIds]
        return [c["id"] for c in cats]

    def getImgIds(self, imgIds=[], catIds=[]):
        imgIds = imgIds if _is_array_like(imgIds) else [imgIds]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if len(imgIds) == len(catIds) == 0:
            if self._native is not None and self._idmap is None:
                return list(dict.fromkeys(int(i) for i in self._native["image_ids"]))  # as imgs.keys()
            return list(self.imgs.keys())
        ids = set(imgIds)
        for i, cat_id in enumerate(catIds):
            if i == 0 and len(ids) == 0:
                ids = set(self.catToImgs[cat_id])
            else:
                ids &= set(self.catToImgs[cat_id])
        return list(ids)

    def loadAnns(self, ids=[]):
        if _is_array_like(ids):
            return [self.anns[i] for i in ids]
        if isinstance(ids, int):
            return [self.anns[ids]]

    def loadCats(self, ids=[]):
        if _is_array_like(ids):
            return [self.cats[i] for i in ids]
        if isinstance(ids, int):
            return [self.cats[ids]]

    def loadImgs(self, ids=[]):
        if _is_array_like(ids):
            return [self.imgs[i] for i in ids]
        if isinstance(ids, int):
            return [self.imgs[ids]]

    # ---------------------------------------------------------------- native tables
    def _gt_native(self) -> dict:
        if self._native is None:
            ds = self.dataset
            self._idmap = _coco.IdMap.for_dataset(ds) if isinstance(ds, dict) else None
            self._native = _coco.load_gt(self._idmap.encode_dataset(ds) if self._idmap else ds)
        return self._native

    def _require_list(self, key: str) -> None:
        """pycocotools reads dataset['images'] / ['categories'] and fails with KeyError."""
        n = self._native if self._native is not None and self._results is None else None
        present = n["lists"].get(key, False) if n is not None else key in self.dataset
        if not present:
            raise KeyError(key)

    def _table(self) -> dict:
        """Column table of this set's annotations (results if it came from loadRes)."""
        return self._results if self._results is not None else self._gt_native()["annotations"]

    def category_names(self) -> dict:
        n = self._gt_native()
        return {int(i): str(s) for i, s in zip(n["category_ids"], n["category_names"])}

    def loadRes(self, resFile):
        """Loads results (a JSON file, a list of dicts or an (N, 7) array) as pycocotools does:
        id = 1 + index; area = w*h, iscrowd = 0 when the first result has a box; mask area and box
        from a compressed RLE when it has only a mask; box and area from the keypoints otherwise.
        Raises AssertionError for results on images outside the ground truth and IndexError for
        an empty list (as pycocotools)."""
        self._require_list("images")
        print("Loading and preparing results...")
        tic = time.time()
        gt = self._gt_native()
        self._require_list("categories")  # every branch of pycocotools' loadRes copies them
        res = COCO()
        res._gt_ref = self
        res._dataset = None
        res._path = None
        source = resFile
        if self._idmap is not None and not isinstance(resFile, np.ndarray):
            if isinstance(resFile, (str, os.PathLike)):
                with open(resFile) as f:
                    source = json.load(f)
            if not isinstance(source, list):
                raise AssertionError("results in not an array of objects")
            if not source:
                raise IndexError("list index out of range: the results list is empty (as pycocotools' loadRes)")
            source = self._idmap.encode_results(source)
        res._results = _coco.load_results(source, gt["image_ids"], gt=gt)
        res._res_source = resFile
        res._native = {"image_ids": gt["image_ids"], "category_ids": gt["category_ids"],
                       "category_names": gt["category_names"], "annotations": res._results}
        print("DONE (t={:0.2f}s)".format(time.time() - tic))
        return res

    def loadNumpyAnnotations(self, data):
        """(N, 7) array [image_id, x, y, w, h, score, category_id] -> list of result dicts."""
        data = np.asarray(data)
        assert data.ndim == 2 and data.shape[1] == 7
        return [{"image_id": int(r[0]), "bbox": [r[1], r[2], r[3], r[4]], "score": r[5], "category_id": int(r[6])}
                for r in data]

    def annToRLE(self, ann):
        """Compressed RLE of an annotation's segmentation (pycocotools: polygons -> frPyObjects at the
        image size + merge; uncompressed RLE -> frPyObjects; compressed RLE as is)."""
        from . import mask as maskUtils

        img = self.imgs[ann["image_id"]]
        segm = ann["segmentation"]
        if type(segm) == list:  # noqa: E721 - exact type, as pycocotools
            return maskUtils.merge(maskUtils.frPyObjects(segm, img["height"], img["width"]))
        if type(segm["counts"]) == list:  # noqa: E721
            return maskUtils.frPyObjects(segm, img["height"], img["width"])
        return segm

    def annToMask(self, ann):
        """(h, w) uint8 binary mask of an annotation (``decode(annToRLE(ann))``)."""
        from . import mask as maskUtils

        return maskUtils.decode(self.annToRLE(ann))

    def _load_res_dataset(self):
        """pycocotools' res.dataset: the results with the keys its loadRes adds (in its order)."""
        src = self._res_source
        if isinstance(src, (str, os.PathLike)):
            with open(src) as f:
                anns = json.load(f)
        elif isinstance(src, np.ndarray):
            anns = self.loadNumpyAnnotations(src)
        else:
            anns = copy.deepcopy(list(src))
        t = self._results
        area_col, bbox_col = t["area"], t["bbox"]  # one view each (a table lookup builds a view)
        if anns and "bbox" in anns[0] and not anns[0]["bbox"] == []:
            for i, ann in enumerate(anns):
                bb = ann["bbox"]
                x1, x2, y1, y2 = [bb[0], bb[0] + bb[2], bb[1], bb[1] + bb[3]]
                if "segmentation" not in ann:
                    ann["segmentation"] = [[x1, y1, x1, y2, x2, y2, x2, y1]]
                ann["area"] = bb[2] * bb[3]
                ann["id"] = i + 1
                ann["iscrowd"] = 0
        elif anns and "segmentation" in anns[0]:
            for i, ann in enumerate(anns):
                ann["area"] = float(area_col[i])
                if "bbox" not in ann:
                    ann["bbox"] = [float(v) for v in bbox_col[i]]
                ann["id"] = i + 1
                ann["iscrowd"] = 0
        else:  # keypoints: box and area from all keypoints
            for i, ann in enumerate(anns):
                ann["area"] = float(area_col[i])
                ann["id"] = i + 1
                ann["bbox"] = [float(v) for v in bbox_col[i]]
        gtds = self._gt_ref.dataset
        return {"info": copy.deepcopy(gtds.get("info", {})), "images": list(gtds.get("images", [])),
                "categories": copy.deepcopy(gtds.get("categories", [])), "annotations": anns}


class _ListField(list):
    """A list attribute of :class:`Params` as pycocotools' users edit it: in-place changes
    (``p.maxDets[2] = 300``, ``p.imgIds.append(7)``, ``p.areaRng[1][0] = 16``) are written back to
    the parameters (checked like an assignment). Copies and pickles are plain lists."""

    __slots__ = ("_sync",)

    def __init__(self, values, sync):
        super().__init__(values)
        self._sync = sync

    def __reduce_ex__(self, protocol):
        return list, (list(self),)

    def __copy__(self):
        return list(self)

    def __deepcopy__(self, memo):
        return copy.deepcopy(list(self), memo)


def _write_through(name):
    base = getattr(list, name)

    def method(self, *args, **kwargs):
        out = base(self, *args, **kwargs)
        self._sync()
        return out

    method.__name__ = name
    return method


for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop", "remove",
              "clear", "sort", "reverse"):
    setattr(_ListField, _name, _write_through(_name))

_CoreParams = _coco.Params


def _field(name):
    """Params attribute ``name``: the C++ field, read back as a write-through list where it is
    a list. imgIds / catIds that int64 cannot hold (string ids, ...; pycocotools accepts them)
    are kept as given and coded through the ground truth's IdMap at evaluation."""
    core = getattr(_CoreParams, name)
    orig_key = "_orig_" + name if name in ("imgIds", "catIds") else None

    def get(self):
        value = self.__dict__.get(orig_key, None) if orig_key else None
        if value is None:
            value = core.__get__(self)
        if not isinstance(value, list):
            return value  # an ndarray view of the C++ grid (in-place edits reach it)
        out = _ListField(value, None)
        if name == "areaRng":
            out._sync = lambda: setattr(self, name, [list(r) for r in out])
            list.__setitem__(out, slice(None), [_ListField(r, out._sync) if isinstance(r, list) else r for r in out])
        else:
            out._sync = lambda: setattr(self, name, list(out))
        return out

    def set(self, value):
        if orig_key is None:
            core.__set__(self, value)
            return
        try:
            core.__set__(self, value)
        except (TypeError, ValueError):
            if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
                raise
            core.__set__(self, [])
            self.__dict__[orig_key] = list(value)
        else:
            self.__dict__.pop(orig_key, None)

    return property(get, set, doc=core.__doc__)


class Params(_CoreParams):
    """pycocotools' evaluation parameters: the bound C++ Params (``locuskit._core.eval.Params``,
    defaults defined once in C++) with pycocotools' constructor, ``setDetParams`` /
    ``setKpParams``, ``useSegm`` and any attribute you add. Fields read back as pycocotools has
    them (lists; ``iouThrs`` / ``recThrs`` / ``kpt_oks_sigmas`` as NumPy arrays, or lists if you
    assign lists); assignments are checked (TypeError / ValueError naming the field)."""

    imgIds = _field("imgIds")
    catIds = _field("catIds")
    maxDets = _field("maxDets")
    areaRng = _field("areaRng")
    areaRngLbl = _field("areaRngLbl")
    iouThrs = _field("iouThrs")
    recThrs = _field("recThrs")
    kpt_oks_sigmas = _field("kpt_oks_sigmas")

    def __init__(self, iouType="segm"):
        if iouType not in ("segm", "bbox", "keypoints", "boundary"):
            raise Exception("iouType not supported")
        super().__init__(iouType)
        self.useSegm = None

    def _set(self, iou_type):
        d = _CoreParams(iou_type)
        self.imgIds, self.catIds = [], []
        for k in ("iouThrs", "recThrs", "maxDets", "areaRng", "areaRngLbl"):
            setattr(self, k, getattr(d, k))
        self.useCats = 1
        if iou_type == "keypoints":
            self.kpt_oks_sigmas = d.kpt_oks_sigmas

    @classmethod
    def _of(cls, obj):
        """``obj`` if it is a Params, else a Params with its fields and attributes (another
        Params-like object assigned to ``COCOeval.params``, e.g. pycocotools' own)."""
        if isinstance(obj, _CoreParams):
            return obj
        out = cls(getattr(obj, "iouType", "segm"))
        extra = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
        for k in list(extra):
            if k in _CoreParams.__dict__ or k in cls.__dict__:
                setattr(out, k, extra.pop(k))
        out.__dict__.update(extra)
        return out

    def setDetParams(self):
        self._set("bbox")

    def setKpParams(self):
        self._set("keypoints")


class COCOeval:
    """pycocotools' ``COCOeval`` on locuskit's C++ core; results are bit for bit identical.

    Every attribute pycocotools' methods read is honoured: ``params`` (read at each call),
    ``evalImgs`` (once read or assigned, ``accumulate()`` works from it: the torchvision
    reference-script pattern of per-batch ``evaluate()`` + concatenated ``evalImgs``),
    ``_paramsEval`` and ``eval`` (what ``summarize()`` prints).
    """

    def __init__(self, cocoGt=None, cocoDt=None, iouType="segm", dilation_ratio=0.02):
        if not iouType:
            print("iouType not specified. use default iouType segm")
        self.cocoGt = cocoGt
        self.cocoDt = cocoDt
        self._evalImgs = defaultdict(list)
        self._evalImgs_args = None
        self.eval = {}
        self._gts = defaultdict(list)
        self._dts = defaultdict(list)
        self.params = Params(iouType=iouType)
        if iouType == "boundary":  # boundary-iou-api's COCOeval(..., dilation_ratio=0.02)
            self.params.dilation_ratio = dilation_ratio
        self._paramsEval = {}
        self.stats = []
        self.ious = {}
        self._evaluation = None  # native matching state of the last evaluate()
        self._evaluated = None   # (core params it used, the _paramsEval object it set)
        self._run = None         # what evaluate()'s one call into C++ returned
        self._eval_from_run = None
        if cocoGt is not None:
            self.params.imgIds = sorted(cocoGt.getImgIds())
            cocoGt._require_list("categories")  # pycocotools' getCatIds: KeyError 'categories'
            self.params.catIds = sorted(cocoGt.getCatIds())

    def evaluate(self):
        """pycocotools' evaluate() (rewrites params the same way), and with it the whole native
        evaluation in one call into C++: matching, accumulation and summary, which
        ``accumulate()`` and ``summarize()`` then hand out (recomputed only where the parameters
        changed in between)."""
        tic = time.time()
        print("Running per image evaluation...")
        p = self.params = Params._of(self.params)
        if getattr(p, "useSegm", None) is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
            print("useSegm (deprecated) is not None. Running {} evaluation".format(p.iouType))
        print("Evaluate annotation type *{}*".format(p.iouType))
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        self.params = p
        core = _coco.Params(self._core(p))  # the parameters of this evaluation (a snapshot)
        # pycocotools gathers annotations through the id-keyed index (duplicate ids: the last wins)
        gt = _coco.resolve_duplicate_ids(self.cocoGt._table(), core)
        dt = _coco.resolve_duplicate_ids(self.cocoDt._table(), core)
        *arrays, stats, lines, self._evaluation = _coco.evaluate_accumulate(gt, dt, core, keep_evaluation=True)
        self._run = {"params": core, "arrays": arrays, "stats": stats, "lines": lines, "handed_out": False}
        self._evalImgs = None
        self._evalImgs_args = (gt, dt, core)
        self._paramsEval = copy.deepcopy(self.params)
        self._evaluated = (core, self._paramsEval)
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    # -- the pieces of pycocotools' evaluate(), for code that re-implements it (DETR and many
    # -- training repos copy torchvision's older coco_eval.py, which calls these directly).
    def _prepare(self):
        """Runs the native matching for the current ``params`` (pycocotools: gathers the
        annotations per image and category); ``evaluateImg`` then returns its records."""
        p = self.params = Params._of(self.params)
        core = self._core(p)
        gt = _coco.resolve_duplicate_ids(self.cocoGt._table(), core)
        dt = _coco.resolve_duplicate_ids(self.cocoDt._table(), core)
        self._prepared = {"args": (gt, dt, core), "records": None}
        self._evalImgs = defaultdict(list)
        self.eval = {}

    def computeIoU(self, imgId, catId):
        """Not kept (the matching runs natively in ``_prepare``): returns an empty list."""
        return []

    computeOks = computeIoU

    def evaluateImg(self, imgId, catId, aRng, maxDet):
        """pycocotools' per-image record (dict or None) for one image, category and area range,
        from the matching ``_prepare()`` ran; maxDet must be ``params.maxDets[-1]``."""
        prep = getattr(self, "_prepared", None)
        if prep is None:
            raise RuntimeError("evaluateImg() needs _prepare() first (as in pycocotools' evaluate())")
        gt, dt, core = prep["args"]
        if maxDet != sorted(core["maxDets"])[-1]:
            raise NotImplementedError(f"evaluateImg: maxDet {maxDet} (locuskit matches at params.maxDets[-1] "
                                      f"= {sorted(core['maxDets'])[-1]})")
        if prep["records"] is None:
            recs = self._records(gt, dt, core)
            cats = core["catIds"] if core["useCats"] else [-1]
            imgs = sorted(set(core["imgIds"]))
            A, I = len(core["areaRng"]), len(imgs)
            where = {}
            for k, c in enumerate(cats):
                for a, rng in enumerate(core["areaRng"]):
                    for i, img in enumerate(imgs):
                        where.setdefault((img, c, tuple(rng)), k * A * I + a * I + i)
            prep["records"] = (recs, where)
        recs, where = prep["records"]
        idm = self.cocoGt._idmap
        img = idm.img_code(imgId) if idm is not None else int(imgId)
        cat = -1 if not core["useCats"] else idm.cat_code(catId) if idm is not None else int(catId)
        key = (img, cat, tuple(float(v) for v in aRng))
        if key not in where:
            raise KeyError(f"evaluateImg: image {imgId}, category {catId}, area {list(aRng)} not in params")
        return recs[where[key]]

    @property
    def evalImgs(self):
        """pycocotools' per-(category, area, image) records, built on first access (the matching
        is re-run with match recording; as slow as pycocotools for large sets). Once read or
        assigned, ``accumulate()`` works from this list."""
        if self._evalImgs is None:
            self._evalImgs = self._records(*self._evalImgs_args)
        return self._evalImgs

    @evalImgs.setter
    def evalImgs(self, value):
        self._evalImgs = value

    def _core(self, p):
        """``p`` as the native evaluator reads it: ``p`` itself, or a copy with its ids coded
        when the ground truth's image / category ids need an IdMap (string ids, ...)."""
        idm = None
        if self.cocoGt is not None:
            self.cocoGt._gt_native()  # resolves the ground truth's IdMap
            idm = self.cocoGt._idmap
        if idm is not None:
            return idm.encode_params(p)
        for key in ("_orig_imgIds", "_orig_catIds"):
            ids = getattr(p, "__dict__", {}).get(key)
            if ids is not None:
                bad = next(v for v in ids if not _coco._fits_int64_id(v))
                raise ValueError(f"{key[6:]}: {bad!r} is not an id of the ground truth (its ids are integers)")
        return p

    def _records(self, gt, dt, core) -> list:
        recs = _coco.eval_imgs(gt, dt, core)
        idm = self.cocoGt._idmap
        return idm.decode_records(recs) if idm is not None else recs

    def _native_accumulate_mode(self, p):
        """How accumulate(p) can use the last evaluate()'s native result: "same" (its arrays, no
        call into C++), "rec_thrs" (only recThrs changed: re-accumulate its matching state) or
        None (accumulate from evalImgs as pycocotools). Native needs evalImgs untouched,
        _paramsEval as evaluate() left it, and ``p`` selecting the same categories, areas,
        maxDets and images."""
        if self._evaluation is None or self._evalImgs is not None or self._evaluated is None:
            return None
        core, pe_obj = self._evaluated
        if self._paramsEval is not pe_obj or not isinstance(p, _CoreParams):
            return None
        pe, pc = self._core(pe_obj), self._core(p)
        for k in ("iouType", "imgIds", "catIds", "maxDets", "areaRng", "useCats"):
            if getattr(pe, k) != getattr(core, k) or ((k != "catIds" or p.useCats) and getattr(pc, k) != getattr(core, k)):
                return None
        if not (np.array_equal(np.asarray(pe.iouThrs, np.float64), core.iouThrs)
                and np.array_equal(np.asarray(pc.iouThrs, np.float64), core.iouThrs)):
            return None
        same_r = np.array_equal(np.asarray(p.recThrs, np.float64).ravel(), core.recThrs)
        return "same" if same_r else "rec_thrs"

    def accumulate(self, p=None):
        """Precision / recall / scores arrays (pycocotools' accumulate()): those evaluate()
        computed, unless ``p`` / ``params`` / ``evalImgs`` changed since."""
        print("Accumulating evaluation results...")
        tic = time.time()
        if not self._evalImgs and self._evaluation is None:
            print("Please run evaluate() first")
        if p is None:
            p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        pe = self._paramsEval
        if not isinstance(pe, Params) and not all(hasattr(pe, k) for k in ("useCats", "catIds", "areaRng", "maxDets", "imgIds")):
            # pycocotools reads _pe.useCats first: AttributeError on the initial {} (no evaluate())
            raise AttributeError(f"'{type(pe).__name__}' object has no attribute 'useCats' "
                                 "(COCOeval._paramsEval is set by evaluate(): run evaluate() first)")
        mode = self._native_accumulate_mode(p)
        run = self._run
        if mode == "same":
            precision, recall, scores = run["arrays"]
            if run["handed_out"]:  # a second accumulate(): fresh arrays, as pycocotools
                precision, recall, scores = precision.copy(), recall.copy(), scores.copy()
            run["handed_out"] = True
        elif mode == "rec_thrs":
            rec_thrs = [float(r) for r in np.asarray(p.recThrs, dtype=np.float64).ravel()]
            precision, recall, scores = self._evaluation.accumulate(rec_thrs)
        else:
            precision, recall, scores = _coco.accumulate_records(self.evalImgs, p, pe)
        T, R, K, A, M = precision.shape
        self.eval = {
            "params": p,
            "counts": [T, R, K, A, M],
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "precision": precision,
            "recall": recall,
            "scores": scores,
        }
        self._eval_from_run = run if mode == "same" else None
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    def summarize(self):
        """Prints the 12 (10 for keypoints) summary lines and sets ``stats``."""
        if not self.eval:
            raise Exception("Please run accumulate() first")
        run = getattr(self, "_eval_from_run", None)
        core = self._core(self.params)
        if run is not None and run["stats"] is not None and core == run["params"]:
            # the summary of evaluate()'s call, for these very arrays and parameters
            stats, lines = run["stats"].copy(), list(run["lines"])
        else:
            stats, lines = _coco.summarize_arrays(self.eval["precision"], self.eval["recall"], core)
        if not isinstance(self.params.iouThrs, np.ndarray):
            # pycocotools selects IoU=.50 / .75 with np.where(iouThr == p.iouThrs): a list or
            # tuple compares as a whole (False), so those statistics find no cells: -1.
            thr_stats = (1, 2, 6, 7) if self.params.iouType == "keypoints" else (1, 2)
            for i in thr_stats:
                stats[i] = -1.0
                lines[i] = lines[i].rsplit("= ", 1)[0] + "= {:0.3f}".format(-1.0)
        for line in lines:
            print(line)
        self.stats = stats

    def __str__(self):
        self.summarize()
        return ""
