"""COCO ``segm`` (mask IoU, pycocotools 2.0.11) and ``boundary`` (Boundary AP, boundary-iou-api
@37d2558) evaluation: the segmentation column of the data model (polygons / uncompressed RLE
converted at load, box-only results rasterised as loadRes' 4-corner polygon), stored peer outputs
compared bitwise, and the errors for segmentations that are not masks. The stored pycocotools
segm cases themselves run in test_coco_parity.py."""
from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE

DET = DATA / "eval" / "detection"
BOUNDARY = SHARED_REFERENCE / "masks" / "boundary_iou"
EXPECTED = json.loads((DET / "expected.json").read_text())["cases"]


def _quiet():
    return contextlib.redirect_stdout(io.StringIO())


def _boundary_case():
    if not (BOUNDARY / "expected.json").exists():
        pytest.skip("../shared/reference/masks/boundary_iou is absent (boundary AP fixture, 0.6 MB, not copied)")
    return json.loads((BOUNDARY / "expected.json").read_text())["boundary_ap"]


def test_boundary_ap_matches_boundary_iou_api_bitwise():
    from locuskit.coco import COCO, COCOeval

    case = _boundary_case()
    ref = np.load(BOUNDARY / case["arrays"])
    with _quiet():
        gt = COCO(str(BOUNDARY / case["gt"]))
        dt = gt.loadRes(str(BOUNDARY / case["dt"]))
        E = COCOeval(gt, dt, "boundary")
        E.evaluate()
        E.accumulate()
        E.summarize()
    assert np.array_equal(np.asarray(E.stats), np.asarray(case["stats"]["boundary"]))
    assert np.array_equal(np.asarray(E.stats), ref["stats"])
    for name in ("precision", "recall", "scores"):
        assert E.eval[name].shape == ref[name].shape
        assert np.array_equal(E.eval[name], ref[name]), name


def test_boundary_and_segm_one_call_match_the_peers():
    import locuskit.eval as le

    case = _boundary_case()
    gt, dt = str(BOUNDARY / case["gt"]), str(BOUNDARY / case["dt"])
    r = le.coco_evaluate(gt, dt, "boundary")
    assert np.array_equal(r.stats, np.asarray(case["stats"]["boundary"]))
    # segm on the same data equals pycocotools (stored by the fixture's script)
    r = le.coco_evaluate(gt, dt, "segm")
    assert np.array_equal(r.stats, np.asarray(case["stats"]["segm_pycocotools"]))
    # a coarser boundary changes the result; ratio 0 still erodes 1 pixel (d = max(1, ...))
    r2 = le.coco_evaluate(gt, dt, "boundary", dilation_ratio=0.05)
    assert not np.array_equal(r2.stats, np.asarray(case["stats"]["boundary"]))


def _gt(segmentation, **img):
    image = {"id": 1, "height": 20, "width": 30, **img}
    return {"images": [image], "categories": [{"id": 1, "name": "a"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 50.0, "iscrowd": 0,
                             "bbox": [2, 2, 10, 5], "segmentation": segmentation}]}


POLY = [[2, 2, 12, 2, 12, 7, 2, 7]]


# pycocotools 2.0.11 stats of the tiny cases below (run live on this data: segm, default params)
PEER_BOX = [0.9999999999999998, 0.9999999999999999, 0.9999999999999999, 0.9999999999999998, -1.0, -1.0, 1.0, 1.0,
            1.0, 1.0, -1.0, -1.0]
PEER_SHIFT2 = [0.39999999999999997, 0.9999999999999999, 0.0, 0.39999999999999997, -1.0, -1.0, 0.4, 0.4, 0.4, 0.4,
               -1.0, -1.0]
PEER_DUP = [0.5049504950495048, 0.5049504950495048, 0.5049504950495048, 0.5049504950495048, -1.0, -1.0, 0.5, 0.5,
            0.5, 0.5, -1.0, -1.0]


def test_box_results_are_rasterised_as_load_res_polygons():
    """A segm evaluation of results that carry only boxes: pycocotools gives each the polygon
    [[x1,y1, x1,y2, x2,y2, x2,y1]] at its image size (here the GT's own rectangle)."""
    import locuskit.eval as le

    gt = _gt(POLY)
    dts = [{"image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 5], "score": 0.9}]
    r = le.coco_evaluate(gt, dts, "segm")
    assert r.stats.tolist() == PEER_BOX
    r_arr = le.coco_evaluate(gt, np.array([[1, 2, 2, 10, 5, 0.9, 1]], np.float64), "segm")
    assert np.array_equal(r.precision, r_arr.precision)
    dts = [{"image_id": 1, "category_id": 1, "bbox": [4, 2, 10, 5], "score": 0.9}]  # IoU 40/60
    assert le.coco_evaluate(gt, dts, "segm").stats.tolist() == PEER_SHIFT2


def test_gt_polygons_uncompressed_and_compressed_rle_give_the_same_mask():
    import locuskit.eval as le
    from locuskit import mask as M

    rle = M.merge(M.frPyObjects(POLY, 20, 30))
    dense = M.decode(rle)
    counts = []
    flat = dense.reshape(-1, order="F")
    cur, run = 0, 0
    for v in flat:
        if v != cur:
            counts.append(run)
            cur, run = v, 0
        run += 1
    counts.append(run)
    dts = [{"image_id": 1, "category_id": 1, "segmentation": {"size": [20, 30], "counts": rle["counts"].decode()},
            "score": 0.9}]
    stats = [le.coco_evaluate(_gt(s), dts, "segm").stats for s in
             (POLY, {"size": [20, 30], "counts": counts}, {"size": [20, 30], "counts": rle["counts"].decode()})]
    assert np.array_equal(stats[0], stats[1]) and np.array_equal(stats[0], stats[2])
    assert stats[0][0] > 0.99


def test_segmentations_that_are_not_masks_raise():
    import locuskit.eval as le

    dts = [{"image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 5], "score": 0.9}]
    # pycocotools' frPyObjects reads a first polygon of 4 numbers as a box and raises TypeError
    with pytest.raises(ValueError, match="4 numbers"):
        le.coco_evaluate(_gt([[2, 2, 12, 2]]), dts, "segm")
    with pytest.raises(ValueError, match="height"):
        le.coco_evaluate(_gt(POLY, height=None), dts, "segm")
    gt = _gt(POLY)
    del gt["annotations"][0]["segmentation"]
    with pytest.raises(KeyError, match="segmentation"):
        le.coco_evaluate(gt, dts, "segm")
    le.coco_evaluate(gt, dts, "bbox")  # box evaluation does not need it
    with pytest.raises(ValueError, match="iou_type"):
        le.coco_evaluate(_gt(POLY), dts, "mask")


def test_duplicate_annotation_ids_keep_their_masks():
    """pycocotools gathers annotations through the id-keyed index (the last of a repeated id
    wins); the ragged mask column must follow the rows it belongs to."""
    from locuskit.coco import COCO, COCOeval

    ds = _gt(POLY)
    far = [[20, 10, 29, 10, 29, 19, 20, 19]]
    ds["annotations"].append(dict(ds["annotations"][0], segmentation=far, bbox=[20, 10, 9, 9]))
    dts = [{"image_id": 1, "category_id": 1, "segmentation": None, "bbox": [20, 10, 9, 9], "score": 0.9}]
    for d in dts:
        del d["segmentation"]
    with _quiet():
        gt = COCO()
        gt.dataset = ds
        gt.createIndex()
        E = COCOeval(gt, gt.loadRes(dts), "segm")
        E.evaluate()
        E.accumulate()
        E.summarize()
    # both rows are the last annotation (the far square), so the result matches one of them
    assert list(E.stats) == PEER_DUP


def test_cli_iou_type_segm_and_boundary(tmp_path):
    import subprocess
    import sys

    case = EXPECTED["detectron2.segm"]
    gt, dt = str(DET / case["gt"]), str(DET / case["dt"])
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "locuskit", "eval", "coco", gt, dt, "--iou-type", "segm", "--json",
                        str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:12] == case["summary_lines"]
    assert json.loads(out.read_text())["stats"]["AP"] == case["stats"][0]
    r = subprocess.run([sys.executable, "-m", "locuskit", "eval", "coco", gt, dt, "--iou-type", "boundary"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Average Precision" in r.stdout


def test_polygon_with_a_repeated_vertex_rasterises_as_pycocotools():
    """A repeated vertex made rle_from_polygon cast 0/0 to int (undefined behaviour, found by
    fuzz_coco_results once polygons were rasterised at load; the UBSan regression is the corpus
    entry tests/fuzz/corpus/fuzz_coco_results/repeated-polygon-vertex-nan-slope). This pins that
    the fix keeps pycocotools' masks. Expected strings: pycocotools 2.0.11
    ``frPyObjects(poly, 20, 30)[0]["counts"]``, run live."""
    from locuskit import mask as M

    cases = [([[2, 2, 2, 2, 12, 2, 12, 7, 2, 7]], b"Z15?00000000000000000V;"),
             ([[2, 2, 12, 2, 12, 2, 12, 7, 2, 7, 2, 7]], b"Z15?00000000000000000V;"),
             ([[3.3, 4.1, 3.3, 4.1, 10, 1, 14.6, 9.2, 14.6, 9.2, 5, 12]], b"P21c04K4M0O010O11N3N1O2Mj9")]
    for poly, counts in cases:
        assert M.frPyObjects(poly, 20, 30)[0]["counts"] == counts, poly
