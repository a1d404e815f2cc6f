"""Streaming evaluation in a training loop: torchmetrics' MeanAveragePrecision input convention (lists
of dicts of tensors), its result keys as tensors (values = pycocotools' reference), and a 2-process
gloo run of torch.distributed whose result equals the single-process one bit for bit."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from conftest import DATA, SHARED_REFERENCE

torch = pytest.importorskip("torch")

LOCAL = DATA / "eval" / "detection"
ROOT = LOCAL if (LOCAL / "expected.json").exists() else SHARED_REFERENCE / "detection"
GT = ROOT / "fixtures/cocoapi_fake100/instances_val2014_100.json"
DT = ROOT / "fixtures/cocoapi_fake100/instances_val2014_fakebbox100_results.json"
CASE = "cocoapi_fake100.bbox"

ID_DTYPES = [torch.int64, torch.int32, torch.int16, torch.uint8]


def torchmetrics_batches():
    """The fixture as torchmetrics users hold it: per image dicts of tensors, boxes xyxy, labels of
    varying integer dtypes (category ids <= 90 fit uint8), iscrowd and area given."""
    gt = json.loads(GT.read_text())
    dt = json.loads(DT.read_text())
    images = [im["id"] for im in gt["images"]]
    by_img_gt = {i: [] for i in images}
    by_img_dt = {i: [] for i in images}
    for a in gt["annotations"]:
        by_img_gt[a["image_id"]].append(a)
    for d in dt:
        by_img_dt[d["image_id"]].append(d)

    def xyxy(b):
        b = np.asarray(b, np.float64).reshape(-1, 4)
        return torch.from_numpy(np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], 1))

    preds, targets = [], []
    for k, i in enumerate(images):
        g, d = by_img_gt[i], by_img_dt[i]
        dtype = ID_DTYPES[k % len(ID_DTYPES)]
        targets.append({"boxes": xyxy([a["bbox"] for a in g]),
                        "labels": torch.tensor([a["category_id"] for a in g], dtype=torch.int64).to(dtype),
                        "iscrowd": torch.tensor([a["iscrowd"] for a in g], dtype=torch.int64),
                        "area": torch.tensor([a["area"] for a in g], dtype=torch.float64),
                        "image_id": i})
        preds.append({"boxes": xyxy([x["bbox"] for x in d]), "scores": torch.tensor([x["score"] for x in d]),
                      "labels": torch.tensor([x["category_id"] for x in d], dtype=torch.int64).to(dtype)})
    names = {c["id"]: c["name"] for c in gt["categories"]}
    return preds, targets, sorted(names), names


def reference():
    exp = json.loads((ROOT / "expected.json").read_text())["cases"][CASE]
    arrays = np.load(ROOT / exp["arrays"]["file"])
    return exp, arrays


def need_fixture():
    if not GT.exists():
        pytest.skip("detection fixture absent (tests/data/eval/detection or ../shared/reference)")


KEYS = ["map", "map_50", "map_75", "map_small", "map_medium", "map_large", "mar_1", "mar_10", "mar_100",
        "mar_small", "mar_medium", "mar_large"]


def test_torchmetrics_keys_and_values_equal_pycocotools():
    need_fixture()
    import locuskit.eval as le

    preds, targets, cats, names = torchmetrics_batches()
    ev = le.CocoEvaluator(category_ids=cats)
    for s in range(0, len(preds), 16):  # batches, as a validation loop feeds them
        ev.update(preds[s:s + 16], targets[s:s + 16])
    out = ev.compute_torchmetrics(category_names=names)
    exp, arrays = reference()
    assert set(out) == set(KEYS) | {"map_per_class", "mar_100_per_class", "classes"}
    for k, v in zip(KEYS, exp["stats"]):
        assert isinstance(out[k], torch.Tensor) and out[k].dtype == torch.float32 and out[k].shape == ()
        assert out[k].item() == np.float32(v), k
    # per class: torchmetrics runs COCOeval per class (stats[0], stats[8]); from pycocotools' arrays
    prec, rec = arrays["precision"][:, :, :, 0, -1], arrays["recall"][:, :, 0, -1]
    want_ap = [np.mean(prec[:, :, k][prec[:, :, k] > -1]) if (prec[:, :, k] > -1).any() else -1
               for k in range(len(cats))]
    want_ar = [np.mean(rec[:, k][rec[:, k] > -1]) if (rec[:, k] > -1).any() else -1 for k in range(len(cats))]
    assert torch.equal(out["map_per_class"], torch.tensor(want_ap, dtype=torch.float32))
    assert torch.equal(out["mar_100_per_class"], torch.tensor(want_ar, dtype=torch.float32))
    assert out["classes"].dtype == torch.int32 and out["classes"].tolist() == cats
    # the NumPy result is kept, with the GT's category names
    assert np.array_equal(ev.result.stats, np.asarray(exp["stats"]))
    assert ev.result.per_category()[0]["name"] == names[cats[0]]
    off = le.CocoEvaluator(category_ids=cats)
    off.update(preds, targets)
    assert off.compute_torchmetrics(class_metrics=False)["map_per_class"].item() == -1


def _worker(rank, world, init_file, out_dir, chunks):
    import torch.distributed as dist

    import locuskit.eval as le

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        preds, targets, cats, _ = torchmetrics_batches()
        ev = le.CocoEvaluator(category_ids=cats)
        for i in chunks[rank]:
            ev.update([preds[i]], [targets[i]])
        out = ev.compute_torchmetrics()
        torch.save({k: v for k, v in out.items()}, os.path.join(out_dir, f"rank{rank}.pt"))
        np.save(os.path.join(out_dir, f"precision{rank}.npy"), ev.result.precision)
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("split", ["interleaved", "consecutive"])
def test_two_process_gloo_equals_single_process_bit_for_bit(tmp_path, split):
    need_fixture()
    import torch.distributed as dist
    import torch.multiprocessing as mp

    import locuskit.eval as le

    if not dist.is_available():
        pytest.skip("torch.distributed is not available in this torch build")
    preds, targets, cats, _ = torchmetrics_batches()
    n = len(preds)
    # a DistributedSampler interleaves (image ids given, so the order of images does not matter)
    chunks = [list(range(0, n, 2)), list(range(1, n, 2))] if split == "interleaved" else \
        [list(range(0, n // 2)), list(range(n // 2, n))]
    single = le.CocoEvaluator(category_ids=cats)
    single.update(preds, targets)
    want = single.compute_torchmetrics()
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), str(tmp_path), chunks), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        assert set(got) == set(want)
        for k in want:
            assert torch.equal(got[k], want[k]), (rank, k)
        assert np.array_equal(np.load(tmp_path / f"precision{rank}.npy"), single.result.precision)


def test_sync_is_a_no_op_without_a_process_group():
    import locuskit.eval as le

    ev = le.CocoEvaluator()
    assert ev.sync() is ev and len(ev) == 0


# --- Pascal VOC --------------------------------------------------------------------------------

VOC_CASE = "review_object_detection_metrics.test_case_1"


def voc_batches():
    """The VOC fixture (one class) as per-image torchmetrics dicts, boxes xyxy, image ids given."""
    import locuskit.eval as le

    exp = json.loads((ROOT / "expected.json").read_text())["voc"][VOC_CASE]
    gt, det, names = le.load_voc_dir(ROOT / exp["gt_dir"], ROOT / exp["det_dir"], "xywh")
    (cls,) = set(gt) | set(det)
    preds = [{"boxes": [], "scores": [], "labels": []} for _ in names]
    targets = [{"boxes": [], "labels": [], "image_id": i} for i in range(len(names))]
    for img, box, diff in gt[cls]:
        targets[img]["boxes"].append(box)
        targets[img]["labels"].append(0)
    for img, score, box in det.get(cls, []):
        preds[img]["boxes"].append(box)
        preds[img]["scores"].append(score)
        preds[img]["labels"].append(0)
    to = lambda d: {k: (torch.tensor(v, dtype=torch.float64).reshape(-1, 4) if k == "boxes" else  # noqa: E731
                        torch.tensor(v, dtype=torch.int16) if k == "labels" else
                        torch.tensor(v, dtype=torch.float64) if k == "scores" else v) for k, v in d.items()}
    return [to(p) for p in preds], [to(t) for t in targets], cls, exp


@pytest.mark.parametrize("threshold", ["0.1", "0.3", "0.5"])
def test_voc_evaluator_equals_the_reference(threshold):
    exp_path = ROOT / "expected.json"
    if not exp_path.exists():
        pytest.skip("detection fixture absent")
    import locuskit.eval as le

    preds, targets, cls, exp = voc_batches()
    want = exp["continuous"][threshold]
    ev = le.VocEvaluator(iou_threshold=float(threshold), class_names={0: cls})
    for s in range(0, len(preds), 3):
        ev.update(preds[s:s + 3], targets[s:s + 3])
    out = ev.compute_torchmetrics()
    r = ev.result.classes[cls]
    assert (int(r.tp.sum()), int(r.fp.sum())) == (want["tp"], want["fp"])
    assert r.ap_all_point == want["ap_all_point"] and r.ap_11point == want["ap_11point"]
    assert out["map"].item() == np.float32(want["ap_all_point"])
    assert out["classes"].tolist() == [0] and out["map_per_class"].tolist() == [np.float32(want["ap_all_point"])]
    # update order does not matter (images are evaluated in id order)
    shuffled = le.VocEvaluator(iou_threshold=float(threshold), class_names={0: cls})
    idx = np.random.default_rng(0).permutation(len(preds))
    shuffled.update([preds[i] for i in idx], [targets[i] for i in idx])
    assert shuffled.compute().classes[cls].ap_all_point == r.ap_all_point


def _voc_worker(rank, world, init_file, out_dir):
    import torch.distributed as dist

    import locuskit.eval as le

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        preds, targets, cls, _ = voc_batches()
        ev = le.VocEvaluator(iou_threshold=0.3, class_names={0: cls})
        ev.update(preds[rank::world], targets[rank::world])
        torch.save(ev.compute_torchmetrics(), os.path.join(out_dir, f"voc{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_voc_two_process_gloo_equals_single_process(tmp_path):
    if not (ROOT / "expected.json").exists():
        pytest.skip("detection fixture absent")
    import torch.multiprocessing as mp

    import locuskit.eval as le

    preds, targets, cls, _ = voc_batches()
    single = le.VocEvaluator(iou_threshold=0.3, class_names={0: cls})
    single.update(preds, targets)
    want = single.compute_torchmetrics()
    mp.spawn(_voc_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(tmp_path / f"voc{rank}.pt")
        for k in want:
            assert torch.equal(got[k], want[k]), (rank, k)
