"""locuskit.mask against pycocotools run live on random inputs (fixed seeds): masks, polygons,
boxes, uncompressed RLE, merges and IoU matrices must give identical strings and doubles.

pycocotools is not a Debian package: build it from source (../shared/peers/README.md) and point
LOCUSKIT_PYCOCOTOOLS at its PythonAPI folder (default: <work>/peers/cocoapi/PythonAPI). Skipped
without it."""
from __future__ import annotations

import importlib
import os
import pathlib
import sys

import numpy as np
import pytest

from conftest import ROOT
from locuskit import mask as M


def _pycocotools_mask():
    candidates = [os.environ.get("LOCUSKIT_PYCOCOTOOLS")] + [
        str(p / "peers" / "cocoapi" / "PythonAPI") for p in (ROOT.parent, ROOT.parent.parent)]
    for c in candidates:
        if c and (pathlib.Path(c) / "pycocotools").is_dir() and c not in sys.path:
            sys.path.append(c)
    try:
        return importlib.import_module("pycocotools.mask")
    except ImportError:
        return None


P = _pycocotools_mask()
pytestmark = pytest.mark.skipif(P is None, reason="pycocotools not built here (set LOCUSKIT_PYCOCOTOOLS)")


def random_mask(rng, h, w, kind):
    if kind == "noise":
        return (rng.random((h, w)) < rng.uniform(0.01, 0.9)).astype(np.uint8)
    m = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(1, 4)):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        m[y0:y0 + rng.integers(1, h + 1), x0:x0 + rng.integers(1, w + 1)] = 1
    return m


def test_encode_decode_area_bbox_random():
    rng = np.random.default_rng(101)
    for _ in range(300):
        h, w = int(rng.integers(1, 60)), int(rng.integers(1, 60))
        m = np.asfortranarray(random_mask(rng, h, w, ["noise", "rects"][int(rng.integers(0, 2))]))
        ours, ref = M.encode(m), P.encode(m)
        assert ours == ref
        assert np.array_equal(M.decode(ours), P.decode(ref))
        assert M.area(ours) == P.area(ref)
        assert np.array_equal(M.toBbox(ours), P.toBbox(ref))
    batch = np.asfortranarray(np.stack([random_mask(rng, 31, 17, "noise") for _ in range(5)], axis=2))
    assert M.encode(batch) == P.encode(batch)


def test_polygons_and_boxes_random():
    rng = np.random.default_rng(202)
    for _ in range(400):
        h, w = int(rng.integers(1, 120)), int(rng.integers(1, 120))
        k = int(rng.integers(3, 12))
        scale = rng.choice([1.0, 0.1, 10.0])
        polys = [list(rng.uniform(-10, max(h, w) + 10, 2 * k) * scale / scale.round(6))
                 for _ in range(int(rng.integers(1, 4)))]
        polys = [[float(np.round(v, int(rng.integers(0, 4)))) for v in p] for p in polys]
        ours, ref = M.frPyObjects(polys, h, w), P.frPyObjects(polys, h, w)
        assert ours == ref
        assert M.merge(ours) == P.merge(ref)
        assert M.merge(ours, intersect=1) == P.merge(ref, intersect=1)
        boxes = np.column_stack([rng.uniform(-5, w, 4), rng.uniform(-5, h, 4), rng.uniform(0, w, 4), rng.uniform(0, h, 4)])
        assert M.frPyObjects(boxes, h, w) == P.frPyObjects(boxes, h, w)


def test_uncompressed_and_codec_random():
    rng = np.random.default_rng(303)
    for _ in range(300):
        counts = [int(c) for c in rng.integers(0, rng.choice([3, 40, 70000]), int(rng.integers(1, 30)))]
        obj = {"size": [int(sum(counts)), 1], "counts": counts}
        ours, ref = M.frPyObjects(obj, 0, 0), P.frPyObjects(obj, 0, 0)
        assert ours == ref
        assert M.area(ours) == P.area(ref)
        assert np.array_equal(M.toBbox(ours), P.toBbox(ref))
        assert M.merge([ours]) == P.merge([ref])


def test_iou_random_with_crowd():
    rng = np.random.default_rng(404)
    for _ in range(40):
        h, w = int(rng.integers(5, 80)), int(rng.integers(5, 80))
        dt = [M.encode(np.asfortranarray(random_mask(rng, h, w, "rects"))) for _ in range(int(rng.integers(1, 12)))]
        gt = [M.encode(np.asfortranarray(random_mask(rng, h, w, "rects"))) for _ in range(int(rng.integers(1, 12)))]
        crowd = list(rng.integers(0, 2, len(gt)))
        assert np.array_equal(M.iou(dt, gt, crowd), P.iou(dt, gt, crowd))
        bd, bg = M.toBbox(dt), M.toBbox(gt)
        assert np.array_equal(M.iou(bd, bg, crowd), P.iou(bd, bg, crowd))
