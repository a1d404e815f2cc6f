"""NMS and batched NMS: parity with torchvision (CPU) and OpenCV on randomized, tie-heavy cases."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit as lk
from conftest import random_boxes

torch = pytest.importorskip("torch")
tv_ops = pytest.importorskip("torchvision.ops")

THRESHOLDS = [0.0, 0.1, 0.3, 0.5, 0.55, 0.6, 0.7, 0.8, 0.85, 1.0]


def tv_nms(boxes, scores, thr):
    return tv_ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), thr).numpy()


def random_case(rng, dtype):
    n = int(rng.integers(0, 160))
    boxes = random_boxes(rng, n, dtype, extent=float(rng.choice([10.0, 100.0, 1000.0])),
                         negative=bool(rng.random() < 0.3))
    if rng.random() < 0.3:  # integer-valued boxes: many exact-threshold IoUs
        boxes = np.round(boxes).astype(dtype)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])
    levels = int(rng.choice([2, 5, 1000]))  # heavy exact ties in score
    scores = (rng.integers(0, levels, n) / levels).astype(dtype)
    return np.ascontiguousarray(boxes), scores


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nms_equals_torchvision_randomized(dtype):
    rng = np.random.default_rng(2024 if dtype == np.float32 else 2025)
    for case in range(1500):
        boxes, scores = random_case(rng, dtype)
        thr = float(rng.choice(THRESHOLDS)) if case % 3 else float(rng.random())
        got = lk.nms(boxes, scores, thr)
        want = tv_nms(boxes, scores, thr)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want, err_msg=f"case {case}, thr {thr}, n {len(boxes)}")


@pytest.mark.parametrize("arch", lk.available_simd_archs())
def test_nms_every_simd_arch_large(arch):
    rng = np.random.default_rng(7)
    try:
        lk.set_simd_arch(arch)
        for n, dtype, spread in [(5000, np.float32, 1), (3000, np.float64, 1), (20000, np.float32, 1),
                                 (20000, np.float32, 40), (8000, np.float64, 40)]:
            boxes = random_boxes(rng, n, dtype, extent=1000.0)
            if spread > 1:  # small boxes in a large scene: the spatial-grid path
                boxes[:, 2:] -= boxes[:, :2]
                boxes[:, :2] *= spread
                boxes[:, 2:] += boxes[:, :2]
            scores = rng.random(n).astype(dtype)
            for thr in (0.3, 0.6):
                np.testing.assert_array_equal(lk.nms(boxes, scores, thr), tv_nms(boxes, scores, thr))
    finally:
        lk.set_simd_arch(lk.available_simd_archs()[0])


def test_threshold_precision_rules():
    # IoU([0,0,10,1], [0,0,6,1]) = 0.6 exactly in float32: f32(0.6) > 0.6, so torchvision CPU suppresses.
    boxes = np.array([[0, 0, 10, 1], [0, 0, 6, 1]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    assert tv_nms(boxes, scores, 0.6).tolist() == [0]
    assert lk.nms(boxes, scores, 0.6).tolist() == [0]
    assert lk.nms(boxes, scores, 0.6, rule="cuda").tolist() == [0, 1]       # iou > f32(0.6)
    assert lk.nms(boxes, scores, 0.6, rule=">=").tolist() == [0]
    b64, s64 = boxes.astype(np.float64), scores.astype(np.float64)
    assert tv_nms(b64, s64, 0.6).tolist() == [0, 1]
    assert lk.nms(b64, s64, 0.6).tolist() == [0, 1]
    # IoU exactly 0.5 (representable): '>' keeps, '>=' suppresses.
    half = np.array([[0, 0, 2, 1], [0, 0, 1, 1]], np.float32)
    assert lk.nms(half, scores, 0.5).tolist() == [0, 1]
    assert lk.nms(half, scores, 0.5, rule=">=").tolist() == [0]


def test_identical_boxes_and_ties():
    boxes = np.tile(np.array([[1, 2, 5, 7]], np.float32), (50, 1))
    scores = np.ones(50, np.float32)
    assert lk.nms(boxes, scores, 0.5).tolist() == [0]
    assert lk.nms(boxes, scores, 1.0).tolist() == list(range(50))  # IoU 1 is not > 1
    zero = np.zeros((4, 4), np.float32)  # zero-area boxes: NaN IoU never suppresses (torchvision)
    assert lk.nms(zero, np.arange(4, dtype=np.float32), 0.0).tolist() == [3, 2, 1, 0]
    assert tv_nms(zero, np.arange(4, dtype=np.float32), 0.0).tolist() == [3, 2, 1, 0]


def test_max_output_is_a_prefix():
    rng = np.random.default_rng(3)
    boxes = random_boxes(rng, 500, np.float32)
    scores = rng.random(500).astype(np.float32)
    full = lk.nms(boxes, scores, 0.5)
    np.testing.assert_array_equal(lk.nms(boxes, scores, 0.5, max_output=7), full[:7])
    assert lk.nms(boxes, scores, 0.5, max_output=0).shape == (0,)


def test_torch_tensor_input_and_empty():
    b = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    assert lk.nms(b, torch.tensor([0.5]), 0.5).tolist() == [0]
    out = lk.nms(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5)
    assert out.shape == (0,) and out.dtype == np.int64
    out = lk.batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64), 0.5)
    assert out.shape == (0,) and out.dtype == np.int64


def test_nms_tensor_fast_path_equals_general_path_and_torchvision():
    """Contiguous CPU float tensors go straight to the kernel (issue 16's training-loop call);
    every other tensor input takes the general path. Both return torchvision's indices as an int64
    tensor and raise the same errors, naming the argument."""
    rng = np.random.default_rng(16)
    for dtype in (torch.float32, torch.float64):
        b = torch.from_numpy(random_boxes(rng, 600, np.float64, extent=100.0)).to(dtype)
        s = torch.from_numpy(rng.random(600)).to(dtype)
        want = tv_ops.nms(b, s, 0.5)
        two_columns = torch.stack([s, s], 1)
        variants = {
            "contiguous": (b, s),
            "fortran-order boxes": (b.t().contiguous().t(), s),
            "column-slice scores": (b, two_columns[:, 1]),
            "boxes requiring grad": (b.clone().requires_grad_(True), s),
            "parameter": (torch.nn.Parameter(b.clone(), requires_grad=False), s),
            "negated view": (torch._neg_view(-b), s) if hasattr(torch, "_neg_view") else (b, s),
        }
        for name, (bb, ss) in variants.items():
            got = lk.nms(bb, ss, 0.5)
            assert isinstance(got, torch.Tensor) and got.dtype == torch.int64, name
            assert torch.equal(got, want), name
            assert torch.equal(lk.nms(bb, ss, torch.tensor(0.5)), want), name
    b = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]])
    s = torch.tensor([0.9, 0.8])
    with pytest.raises(ValueError, match="boxes"):
        lk.nms(torch.tensor([[0.0, 0.0, float("nan"), 2.0], [0.0, 0.0, 2.0, 2.0]]), s, 0.5)
    with pytest.raises(ValueError, match="boxes"):
        lk.nms(torch.tensor([[0.0, 0.0, -1.0, 2.0], [0.0, 0.0, 2.0, 2.0]]), s, 0.5)  # inverted
    with pytest.raises(ValueError, match="scores"):
        lk.nms(b, torch.tensor([0.9, float("nan")]), 0.5)
    with pytest.raises(TypeError, match="scores"):
        lk.nms(b, s.double(), 0.5)
    with pytest.raises(ValueError, match="boxes"):
        lk.nms(b[:, :3].contiguous(), s, 0.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        lk.nms(b, s, 1.5)
    with pytest.raises(ValueError, match="rule"):
        lk.nms(b, s, 0.5, rule="bogus")



def test_private_buffer_entry_refuses_null_and_misaligned_addresses():
    """The tensor fast path's private entry takes raw addresses; a direct call with a null or
    misaligned one raises instead of crashing."""
    from locuskit import _core
    with pytest.raises(ValueError, match="address"):
        _core.nms.nms_buffers(0, 0, 3, False, 0.5)
    b = torch.zeros(8, 4)
    s = torch.zeros(9)
    with pytest.raises(ValueError, match="address"):
        _core.nms.nms_buffers(b.data_ptr(), s.data_ptr() + 1, 2, False, 0.5)
    assert _core.nms.nms_buffers(0, 0, 0, False, 0.5).shape == (0,)

def test_bad_input_raises():
    b = np.array([[0, 0, 1, 1], [0, 0, 2, 2]], np.float32)
    s = np.array([0.5, 0.4], np.float32)
    with pytest.raises(ValueError, match="iou_threshold"):
        lk.nms(b, s, -0.1)
    with pytest.raises(ValueError, match="iou_threshold"):
        lk.nms(b, s, 1.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        lk.nms(b, s, float("nan"))
    with pytest.raises(ValueError, match="scores"):
        lk.nms(b, np.array([np.nan, 0.1], np.float32), 0.5)
    with pytest.raises(ValueError, match="boxes"):
        lk.nms(np.array([[0, 0, np.nan, 1], [0, 0, 1, 1]], np.float32), s, 0.5)
    with pytest.raises(ValueError, match="inverted"):
        lk.nms(np.array([[2, 0, 1, 1], [0, 0, 1, 1]], np.float32), s, 0.5)
    with pytest.raises(ValueError, match="scores"):
        lk.nms(b, s[:1], 0.5)
    with pytest.raises(ValueError, match="boxes"):
        lk.nms(b[:, :3].copy(), s, 0.5)
    with pytest.raises(TypeError, match="scores"):
        lk.nms(b, s.astype(np.float64), 0.5)
    # float16 (computed in float32) and any layout (copied once) are accepted (issue 16)
    assert lk.nms(np.asfortranarray(b), s, 0.5).tolist() == lk.nms(b, s, 0.5).tolist()
    with pytest.raises(TypeError, match="boxes"):
        lk.nms(b.astype(np.complex64), s, 0.5)
    with pytest.raises(ValueError, match="rule"):
        lk.nms(b, s, 0.5, rule="<")
    with pytest.raises(ValueError, match="idxs"):
        lk.batched_nms(b, s, np.zeros(3, np.int64), 0.5)
    with pytest.raises(TypeError, match="idxs"):  # any integer dtype is accepted, floats are not
        lk.batched_nms(b, s, np.zeros(2, np.float32), 0.5)
    # Infinite scores are ordinary values (torchvision sorts them).
    assert lk.nms(b, np.array([-np.inf, np.inf], np.float32), 0.9).tolist() == [1, 0]


def per_class_loop(boxes, scores, idxs, thr):
    """torchvision's per-class loop with stable ties: nms per class, merged by score then index."""
    keep = []
    for c in np.unique(idxs):
        sel = np.nonzero(idxs == c)[0]
        keep.append(sel[tv_nms(boxes[sel], scores[sel], thr)])
    keep = np.concatenate(keep) if keep else np.zeros(0, np.int64)
    return keep[np.lexsort((keep, -scores[keep].astype(np.float64)))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_nms_equals_per_class_loop(dtype):
    rng = np.random.default_rng(99 if dtype == np.float32 else 100)
    for case in range(700):
        boxes, scores = random_case(rng, dtype)
        n = len(boxes)
        num_classes = int(rng.choice([1, 3, 20]))
        idxs = rng.integers(-2, num_classes, n).astype(np.int64)
        if case % 10 == 0:
            idxs = idxs * 1_000_000_007  # sparse ids: radix path
        thr = float(rng.choice(THRESHOLDS))
        got = lk.batched_nms(boxes, scores, idxs, thr)
        np.testing.assert_array_equal(got, per_class_loop(boxes, scores, idxs, thr), err_msg=f"case {case}")
        # torchvision's own batched_nms: same set (its loop path orders ties arbitrarily).
        if dtype == np.float64 or n <= 0:
            want = tv_ops.batched_nms(torch.from_numpy(boxes), torch.from_numpy(scores),
                                      torch.from_numpy(idxs), thr).numpy()
            if len(np.unique(scores)) == n and (idxs >= 0).all():
                np.testing.assert_array_equal(got, want)
            elif (idxs >= 0).all() and abs(boxes).max(initial=0) < 1e3:
                assert sorted(got.tolist()) == sorted(want.tolist())


def test_batched_nms_negative_coordinates_never_cross_classes():
    # Offsetting by class * (max + 1) overlaps classes when coordinates are negative: [-10,-10,-5,-5]
    # in class 1 lands on class 0's box. Exact per-class NMS keeps both.
    boxes = np.array([[-10, -10, -5, -5], [-10, -10, -5, -5], [-20, -20, -15, -15]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    idxs = np.array([0, 1, 0], np.int64)
    assert lk.batched_nms(boxes, scores, idxs, 0.5).tolist() == [0, 1, 2]


def test_batched_nms_large_many_classes():
    rng = np.random.default_rng(11)
    n = 20000
    boxes = random_boxes(rng, n, np.float32, extent=1000.0)
    scores = rng.random(n).astype(np.float32)
    idxs = rng.integers(0, 80, n).astype(np.int64)
    got = lk.batched_nms(boxes, scores, idxs, 0.5)
    np.testing.assert_array_equal(got, per_class_loop(boxes, scores, idxs, 0.5))



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_nms_large_classes_through_the_grid_equal_torchvision(dtype):
    # Classes of >= 1024 boxes run the grid kernel per class (a sweep along x up to 16k boxes, the
    # square grid above): kept indices equal torchvision's per-class nms, merged by score then index,
    # with tied scores and integer boxes (IoUs exactly on the thresholds).
    rng = np.random.default_rng(17)
    n = 20000
    boxes = random_boxes(rng, n, dtype, extent=3000.0)
    boxes[n // 2:] = np.round(boxes[n // 2:])
    scores = (rng.integers(0, 50, n) / 50).astype(dtype)
    idxs = np.where(np.arange(n) < 17000, 7, rng.integers(0, 3, n)).astype(np.int64)  # 17000 / ~1000 each
    for thr in [0.0, 0.5, 0.7]:
        got = lk.batched_nms(boxes, scores, idxs, thr)
        np.testing.assert_array_equal(got, per_class_loop(boxes, scores, idxs, thr), err_msg=f"thr {thr}")
    idxs = rng.integers(0, 6, n).astype(np.int64)  # ~3300 per class
    got = lk.batched_nms(boxes, scores, idxs, 0.5)
    np.testing.assert_array_equal(got, per_class_loop(boxes, scores, idxs, 0.5))

cv2 = None
try:
    import cv2  # noqa: F811
except ImportError:  # pragma: no cover
    pass


@pytest.mark.skipif(cv2 is None, reason="OpenCV not installed")
def test_nms_equals_opencv_nmsboxes_on_integer_boxes():
    # OpenCV: candidates with score > score_threshold, stable order, suppress iff IoU > thr (its IoU
    # in double then rounded to float: equal to ours away from exact-threshold pairs).
    rng = np.random.default_rng(5)
    for case in range(300):
        n = int(rng.integers(1, 120))
        xy = rng.integers(0, 200, (n, 2))
        wh = rng.integers(1, 60, (n, 2))
        boxes = np.concatenate([xy, xy + wh], 1).astype(np.float64)
        scores = (0.01 + 0.99 * rng.random(n)).astype(np.float32)  # all > score_threshold 0
        thr = float(rng.choice([0.3, 0.45, 0.7]))
        rects = [[float(x), float(y), float(w), float(h)] for (x, y), (w, h) in zip(xy, wh)]
        want = np.asarray(cv2.dnn.NMSBoxes(rects, scores.tolist(), 0.0, thr)).reshape(-1)
        got = lk.nms(boxes, scores.astype(np.float64), thr)
        np.testing.assert_array_equal(got, want, err_msg=f"case {case}")


def test_cli_bench_nms_quick(capsys):
    from locuskit import cli

    assert cli.main(["bench", "nms", "--quick", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "batched_nms" in out and "soft_nms" in out and "DIFFERENT" not in out
    assert cli.main(["bench"]) == 2  # no area: help


def test_batched_nms_class_ids_at_both_ends_of_int64():
    # Issue 10 item 1: INT64_MIN and INT64_MAX in one call wrapped the class range to 0 and the
    # counting sort wrote out of bounds (the interpreter aborted).
    rng = np.random.default_rng(5)
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    for case in range(60):
        boxes, scores = random_case(rng, np.float32)
        pool = np.array([lo, hi] if case % 2 else [lo, lo + 1, hi - 1, hi, 0, -1], np.int64)
        idxs = pool[rng.integers(0, len(pool), len(boxes))]
        got = lk.batched_nms(boxes, scores, idxs, 0.5)
        np.testing.assert_array_equal(got, per_class_loop(boxes, scores, idxs, 0.5), err_msg=f"case {case}")


@pytest.mark.parametrize("value, error, needle", [
    (2.7, TypeError, "max_output: expected an integer or None, got float"),
    ("3", TypeError, "max_output: expected an integer or None, got str"),
    (2**70, ValueError, "max_output: must lie in"),
    (-1, ValueError, "max_output: must lie in"),
])
def test_integer_parameters_are_checked_and_named(value, error, needle):
    # Issue 10 item 6: these raised RuntimeError (pybind11's cast error) without the argument's name.
    boxes = np.array([[0, 0, 1, 1], [0, 0, 1, 1.1]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    with pytest.raises(error, match=needle):
        lk.nms(boxes, scores, 0.5, max_output=value)
    with pytest.raises(error, match=needle):
        lk.batched_nms(boxes, scores, np.zeros(2, np.int64), 0.5, max_output=value)
    with pytest.raises(error, match=needle):
        lk.soft_nms(boxes, scores, max_output=value)
    with pytest.raises(error, match=needle):
        lk.matrix_nms(boxes, scores, max_output=value)
    # The compiled layer checks too (no RuntimeError when called directly).
    with pytest.raises(error, match=needle):
        lk._core.nms.nms(boxes, scores, 0.5, "torchvision", value)
    assert lk.nms(boxes, scores, 0.5, max_output=np.int64(1)).tolist() == [0]


def test_integer_parameters_of_every_area_are_checked_and_named():
    from locuskit import anchors, coders, match, ops, pose, traj
    boxes = np.array([[0, 0, 1, 1], [0, 0, 2, 2]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    calls = {
        "top_k": lambda v: ops.fast_nms(boxes, scores, 0.5, top_k=v),
        "pre_top_k": lambda v: ops.matrix_nms(boxes, scores, pre_top_k=v),
        "max_total": lambda v: ops.multiclass_nms(boxes[None], scores[None, :, None], max_total=v),
        "max_candidates": lambda v: ops.multiclass_nms(boxes[None], scores[None, :, None], max_candidates=v),
        "max_output_per_class": lambda v: ops.multiclass_nms(boxes[None], scores[None, :, None],
                                                             max_output_per_class=v),
        "k": lambda v: anchors.kmeans_anchors(np.ones((10, 2), np.float32), v),
        "reg_max": lambda v: coders.yolov8_decode(np.zeros((1, 65, 2, 2), np.float32), 8.0, reg_max=v),
        "topk": lambda v: match.ATSSAssigner(topk=v),
        "max_iterations": lambda v: pose.se3_average(np.eye(4)[None], max_iterations=v),
        "n_to_align": lambda v: traj.umeyama_alignment(np.eye(4)[None].repeat(3, 0), np.eye(4)[None].repeat(3, 0),
                                                       n_to_align=v),
    }
    for name, call in calls.items():
        with pytest.raises(TypeError, match=f"{name}: expected an integer"):
            call(2.7)
        with pytest.raises(ValueError, match=f"{name}: must lie in"):
            call(2**70)


def test_set_num_threads_is_bounded():
    # Issue 10 item 6 / issue 15: 10**6 was accepted and every call then started ~1500 threads.
    old = lk.get_num_threads()
    try:
        with pytest.raises(ValueError, match=r"set_num_threads: n must lie in \[1, 256\]"):
            lk.set_num_threads(10**6)
        with pytest.raises(ValueError, match="set_num_threads: n must lie in"):
            lk.set_num_threads(0)
        lk.set_num_threads(lk.max_threads)
        assert lk.get_num_threads() == lk.max_threads == 256
    finally:
        lk.set_num_threads(old)


def test_thread_pool_is_persistent():
    # Threads come from one pool: repeated multi-threaded calls do not start new OS threads.
    import os
    if not os.path.isdir("/proc/self/task"):
        pytest.skip("needs /proc")
    old = lk.get_num_threads()
    a = random_boxes(np.random.default_rng(1), 600, np.float32)
    try:
        lk.set_num_threads(4)
        lk.box_iou(a, a)  # warms the pool
        before = set(os.listdir("/proc/self/task"))
        for _ in range(20):
            lk.box_iou(a, a)
        assert set(os.listdir("/proc/self/task")) == before
    finally:
        lk.set_num_threads(old)


def test_reused_workspace_gives_the_same_results_across_sizes_and_threads():
    # The bindings keep a per-thread NMS workspace: results must not depend on its history.
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(3)
    cases = [random_case(rng, dt) for dt in (np.float32, np.float64) for _ in range(30)]
    cases.append((random_boxes(rng, 6000, np.float32, extent=5000.0), rng.random(6000).astype(np.float32)))
    want = [per_class_loop(b, s, np.zeros(len(b), np.int64), 0.5) for b, s in cases]
    for order in (cases, cases[::-1]):
        for (b, s), w in zip(order, want if order is cases else want[::-1]):
            np.testing.assert_array_equal(lk.nms(b, s, 0.5), w)
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda c: lk.nms(c[0], c[1], 0.5), cases * 3))
    for g, w in zip(got, want * 3):
        np.testing.assert_array_equal(g, w)


def test_thread_pool_works_in_a_forked_child():
    # The pool's workers do not survive fork(); the child must get a fresh pool, not hang.
    import multiprocessing as mp
    old = lk.get_num_threads()
    try:
        lk.set_num_threads(4)
        a = random_boxes(np.random.default_rng(2), 1500, np.float32)
        want = lk.box_iou(a, a)  # the parent's pool is warm now
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=lambda: q.put(bool(np.array_equal(lk.box_iou(a, a), want))))
        p.start()
        assert q.get(timeout=60)
        p.join(timeout=60)
    finally:
        lk.set_num_threads(old)
