"""locuskit.mask against pycocotools 2.0.11's recorded outputs (tests/data/masks, a lean copy of
../shared/reference/masks/mask_api; the two largest cases are read from the shared reference when
present). Every RLE string, area, box, IoU double and decoded mask must be identical."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE
from locuskit import mask as M

LEAN = DATA / "masks"
FULL = SHARED_REFERENCE / "masks" / "mask_api"


def _load():
    expected = json.loads((LEAN / "mask_api_expected.json").read_text())
    arrays = dict(np.load(LEAN / "mask_api_masks.npz"))
    if (FULL / "expected.json").exists():
        full = json.loads((FULL / "expected.json").read_text())
        for k in expected["omitted_cases"]:
            expected["cases"][k] = full["cases"][k]
        arrays.update(np.load(FULL / "masks.npz"))
    return expected["cases"], arrays, expected["omitted_cases"]


CASES, ARRAYS, OMITTED = _load()


def mask_of(key):
    bits, shape = ARRAYS[key], ARRAYS[key + "__shape"]
    h, w = (int(v) for v in shape)
    return np.unpackbits(bits)[: h * w].reshape(h, w)


def rle(d):
    return {"size": list(d["size"]), "counts": d["counts"].encode() if isinstance(d["counts"], str) else d["counts"]}


def assert_rle_equal(actual, expected):
    assert actual["size"] == list(expected["size"])
    assert type(actual["counts"]) is bytes
    assert actual["counts"] == expected["counts"].encode()


def cases(prefix):
    names = [k for k in CASES if k.startswith(prefix)]
    return [pytest.param(k, marks=pytest.mark.skipif(k in OMITTED and not (FULL / "expected.json").exists(),
                                                    reason="bulky case: needs ../shared/reference")) for k in names]


@pytest.mark.parametrize("name", cases("encode."))
def test_encode_decode_area_bbox(name):
    c = CASES[name]
    if name == "encode.batch_hwn":
        base = mask_of("in__checker_8x8")
        stack = np.asfortranarray(np.stack([base, 1 - base, np.zeros((8, 8), np.uint8)], axis=2))
        out = M.encode(stack)
        assert len(out) == 3
        for a, e in zip(out, c["rles"]):
            assert_rle_equal(a, e)
        assert np.array_equal(M.area(out), c["area"]) and M.area(out).dtype == np.uint32
        assert np.array_equal(M.toBbox(out), np.array(c["toBbox"]))
        dec = M.decode(out)
        assert dec.shape == (8, 8, 3) and dec.flags.f_contiguous and np.array_equal(dec, stack)
        return
    if name == "encode.values_012":  # packbits in masks.npz cannot hold the 2s: make_mask_api.py's literal
        m = np.asfortranarray(np.array([[0, 1, 2, 2, 1, 0, 2, 0]], np.uint8).T)
    elif name == "encode.values_02":
        m = np.asfortranarray(np.array(c["mask_column"], np.uint8).reshape(-1, 1))
    elif name == "encode.bool_dtype_accepted":
        m = np.asfortranarray(mask_of("in__checker_8x8").astype(bool))
    elif name == "encode.c_order_1xN_and_Nx1_ok":
        row = np.ascontiguousarray(mask_of("in__row_1x9"))
        assert_rle_equal(M.encode(row), c["row"])
        assert_rle_equal(M.encode(np.ascontiguousarray(row.reshape(9, 1))), c["col"])
        return
    else:
        m = np.asfortranarray(mask_of(c["mask"]))
    r = M.encode(m)
    assert_rle_equal(r, c["rle"])
    if "area" in c:
        a = M.area(r)
        assert a == c["area"] and type(a) is np.uint32
    if "toBbox" in c:
        assert M.toBbox(r).tolist() == c["toBbox"]
    d = M.decode(r)
    assert d.dtype == np.uint8 and d.flags.f_contiguous and d.shape == m.shape
    if c.get("decode_equals_input"):
        assert np.array_equal(d, m)
    if "decode_column" in c:
        assert d[:, 0].tolist() == c["decode_column"]


def test_encode_errors_match_pycocotools():
    m = mask_of("in__checker_8x8")
    with pytest.raises(ValueError, match="ndarray is not Fortran contiguous"):
        M.encode(np.ascontiguousarray(m))
    with pytest.raises(ValueError, match="ndarray is not Fortran contiguous"):
        M.encode(np.ascontiguousarray(m.reshape(8, 8, 1)))
    with pytest.raises(ValueError, match="Buffer dtype mismatch"):
        M.encode(np.asfortranarray(m.astype(np.int64)))
    for name in ("error.encode_c_order_2d", "error.encode_c_order_3d", "error.encode_int64"):
        assert CASES[name]["error"]["type"] == "ValueError"


def test_decode_overlong_raises():
    c = CASES["error.decode_overlong"]
    with pytest.raises(ValueError, match=c["error"]["message"]):
        M.decode(c["rle"])


def test_codec_uncompressed_to_string():
    for item in CASES["codec.uncompressed_to_string"]["items"]:
        r = M.frPyObjects({"counts": item["counts"], "size": item["size"]}, 0, 0)
        assert r["counts"] == item["string"].encode(), item
        assert r["size"] == item["size"]
        if item["area"] is not None:
            assert M.area(r) == item["area"]


def test_codec_string_roundtrip():
    for item in CASES["codec.string_roundtrip"]["items"]:
        r = {"size": item["size"], "counts": item["string"]}
        assert M.area(r) == item["area"]
        assert M.merge([r])["counts"] == item["reencoded"].encode()
        assert M.merge([{"size": item["size"], "counts": item["string"].encode()}])["counts"] == item["reencoded"].encode()


@pytest.mark.parametrize("name", [k for k in CASES if k.startswith("poly.") and "error" not in CASES[k]])
def test_polygons(name):
    c = CASES[name]
    rles = M.frPyObjects(c["polygons"], c["h"], c["w"])
    assert len(rles) == len(c["rles"])
    for a, e in zip(rles, c["rles"]):
        assert_rle_equal(a, e)
    assert M.area(rles).tolist() == c["area_each"]
    assert M.toBbox(rles).tolist() == c["toBbox_each"]
    merged = M.merge(rles)
    assert_rle_equal(merged, c["merged"])
    assert M.area(merged) == c["merged_area"]
    assert M.toBbox(merged).tolist() == c["merged_toBbox"]
    assert np.array_equal(M.decode(merged), mask_of(c["decoded_merged"]))
    # polygons given as ndarrays take the same path
    rles_np = M.frPyObjects([np.array(p, dtype=np.float64) for p in c["polygons"]], c["h"], c["w"])
    assert [r["counts"] for r in rles_np] == [r["counts"] for r in rles]


@pytest.mark.parametrize("name", [k for k in CASES if "error" in CASES[k] and CASES[k]["op"].startswith("frPyObjects")]
                         + ["bbox.list_of_lists", "bbox.single_list"])
def test_frpyobjects_dispatch_errors(name):
    c = CASES[name]
    obj = c.get("input", c.get("polygon"))
    exc = {"TypeError": TypeError, "ValueError": ValueError}[c["error"]["type"]]
    with pytest.raises(exc) as info:
        M.frPyObjects(obj, c.get("h", 10), c.get("w", 10))
    assert str(info.value) == c["error"]["message"]


def test_bbox_ndarray():
    c = CASES["bbox.ndarray"]
    boxes = np.array([it["bbox"] for it in c["items"]], dtype=np.float64)
    rles = M.frPyObjects(boxes, c["h"], c["w"])
    for r, it in zip(rles, c["items"]):
        assert_rle_equal(r, it["rle"])
        assert M.area(r) == it["area"]
        assert M.toBbox(r).tolist() == it["toBbox"]
        assert np.array_equal(M.decode(r), mask_of(it["decoded"]))


def test_uncompressed():
    c = CASES["uncompressed.items"]
    for it in c["items"]:
        r = M.frPyObjects(it["input"], 99, 99)  # h, w are ignored for uncompressed RLE
        assert_rle_equal(r, it["rle"])
        assert M.area(r) == it["area"]
        assert M.toBbox(r).tolist() == it["toBbox"]
        assert np.array_equal(M.decode(r), mask_of(it["decoded"]))
    listed = M.frPyObjects([it["input"] for it in c["items"][:3]], 0, 0)
    for a, e in zip(listed, c["list_input_rles"]):
        assert_rle_equal(a, e)
    m = np.asfortranarray(mask_of("in__rand_blob_0"))
    flat = m.reshape(-1, order="F")
    change = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    counts = np.diff(np.concatenate([[0], change])).tolist()
    assert M.frPyObjects({"size": list(m.shape), "counts": counts}, 0, 0) == M.encode(m)


@pytest.mark.parametrize("name", [k for k in cases("iou.case")])
def test_rle_iou(name):
    c = CASES[name.values[0] if hasattr(name, "values") else name]
    dt = [rle(r) for r in c["dt_rles"]]
    gt = [rle(r) for r in c["gt_rles"]]
    crowd = M.iou(dt, gt, c["iscrowd"])
    assert crowd.dtype == np.float64 and crowd.shape == (len(dt), len(gt))
    assert np.array_equal(crowd, np.array(c["iou_crowd"]))
    assert np.array_equal(M.iou(dt, gt, [0] * len(gt)), np.array(c["iou_nocrowd"]))
    key = c["arrays"][0].split(".")[0]
    assert np.array_equal(crowd, ARRAYS[key + ".crowd"])
    boxes_dt, boxes_gt = M.toBbox(dt), M.toBbox(gt)
    assert np.array_equal(M.iou(boxes_dt, boxes_gt, c["iscrowd"]), np.array(c["bbox_iou_crowd_of_toBbox"]))
    # rows on several threads give the same doubles
    import locuskit
    n = locuskit.get_num_threads()
    try:
        locuskit.set_num_threads(3)
        assert np.array_equal(M.iou(dt * 40, gt, c["iscrowd"]), np.tile(crowd, (40, 1)))
    finally:
        locuskit.set_num_threads(n)


def test_iou_size_mismatch_bbox_empty_and_errors():
    c = CASES["iou.size_mismatch"]
    assert M.iou(c["dt"], c["gt"], c["iscrowd"]).tolist() == c["iou"]
    c = CASES["iou.bbox_ndarray"]
    assert M.iou(np.array(c["dt"]), np.array(c["gt"]), c["iscrowd"]).tolist() == c["iou"]
    assert M.iou(c["dt"], c["gt"], c["iscrowd"]).tolist() == c["iou_list_input"]
    c = CASES["iou.empty"]
    assert M.iou(c["dt"], c["gt"], c["iscrowd"]) == []
    r = {"size": [10, 10], "counts": b"0T3"}
    with pytest.raises(AssertionError, match=re.escape(CASES["error.iou_crowd_length"]["error"]["message"])):
        M.iou([r], [r], [0, 0])
    with pytest.raises(Exception, match=re.escape(CASES["error.iou_mixed_types"]["error"]["message"])):
        M.iou([r], np.array([[0, 0, 1, 1.0]]), [0])


def test_merge():
    c = CASES["merge.items"]
    for it in c["items"]:
        rles = [M.encode(np.asfortranarray(mask_of(k))) for k in it["inputs"]]
        out = M.merge(rles, intersect=it["intersect"])
        assert_rle_equal(out, it["rle"])
        assert M.area(out) == it["area"]
        assert np.array_equal(M.decode(out), mask_of(it["decoded"]))
    assert M.merge([]) == {"size": [0, 0], "counts": b""}
    c = CASES["merge.size_mismatch"]
    assert M.merge(c["inputs"]) == {"size": [0, 0], "counts": b""}
    c = CASES["merge.zero_length_runs_kept_for_n1"]
    r = M.frPyObjects(c["input"], 0, 0)
    assert_rle_equal(M.merge([r]), c["result_n1"])
    empty = M.encode(np.zeros((4, 5), np.uint8, order="F"))
    assert_rle_equal(M.merge([r, empty]), c["result_n2_with_empty"])


@pytest.mark.parametrize("bad", [b"0T3!", "0T3\x7f", b"0`", b"\x00"])
def test_corrupt_rle_strings_raise_valueerror(bad):
    with pytest.raises(ValueError, match="corrupt RLE counts string"):
        M.decode({"size": [10, 10], "counts": bad})
    with pytest.raises(ValueError, match="corrupt RLE counts string"):
        M.area([{"size": [10, 10], "counts": bad}])


def test_bad_rle_objects():
    with pytest.raises(TypeError, match="counts"):
        M.area([{"size": [2, 2], "counts": [1, 2, 1]}])
    with pytest.raises(ValueError, match="'size'"):
        M.area([{"size": [2], "counts": b"4"}])
    with pytest.raises(ValueError, match="empty"):
        M.decode([])


def test_coco_ann_to_rle_and_mask(tmp_path):
    """COCO.annToRLE / annToMask: polygons (merged at the image size), uncompressed and compressed
    RLE, with pycocotools' recorded strings."""
    from locuskit.coco import COCO

    poly = CASES["poly.multi_part"]
    unc = CASES["uncompressed.items"]["items"][0]
    dataset = {
        "images": [{"id": 1, "height": poly["h"], "width": poly["w"]}, {"id": 2, "height": 4, "width": 5}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": poly["polygons"], "area": 1.0,
             "bbox": [0, 0, 1, 1], "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 1, "segmentation": unc["input"], "area": 1.0,
             "bbox": [0, 0, 1, 1], "iscrowd": 1},
            {"id": 3, "image_id": 2, "category_id": 1, "segmentation": unc["rle"], "area": 1.0,
             "bbox": [0, 0, 1, 1], "iscrowd": 1},
        ],
    }
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(dataset))
    coco = COCO(str(path))
    a1, a2, a3 = coco.loadAnns([1, 2, 3])
    assert_rle_equal(coco.annToRLE(a1), poly["merged"])
    assert np.array_equal(coco.annToMask(a1), mask_of(poly["decoded_merged"]))
    assert_rle_equal(coco.annToRLE(a2), unc["rle"])
    assert coco.annToRLE(a3) == unc["rle"]  # compressed RLE is returned as is
    assert np.array_equal(coco.annToMask(a3), mask_of(unc["decoded"]))


def test_corrupt_counts_summing_short_terminate():
    # pycocotools loops forever on these (its run sweep never ends); locuskit stops the sweep.
    short = M.frPyObjects({"size": [10, 10], "counts": [5, 5]}, 0, 0)
    full = M.frPyObjects({"size": [10, 10], "counts": [0, 100]}, 0, 0)
    assert M.iou([short], [full], [0]).tolist() == [[0.5]]
    assert M.merge([short, full]) == {"size": [10, 10], "counts": M.frPyObjects({"size": [10, 10], "counts": [0, 10]}, 0, 0)["counts"]}
