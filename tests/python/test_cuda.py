"""locuskit.cuda: error paths (run everywhere) and GPU parity (skipped without a CUDA device).

GPU references: torchvision's CPU ``nms`` (the parity target: same stable tie order, same
threshold rule), torchvision's CUDA ``nms`` / ``batched_nms`` (where their documented differences
cannot matter: no ties, threshold 0.5 exactly representable), locuskit's CPU ``box_iou`` (bitwise),
and locuskit's CPU ``nms`` when it is present in the build.
"""
from __future__ import annotations

import numpy as np
import pytest

import locuskit
import locuskit.cuda as lc

from conftest import random_boxes

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

HAS_GPU = lc.available() and torch.cuda.is_available()
gpu = pytest.mark.skipif(not HAS_GPU, reason="needs locuskit built with CUDA and a CUDA device")


# ---------------------------------------------------------------- errors without a GPU
def test_available_is_a_bool():
    assert isinstance(lc.available(), bool)
    if lc._cuda is None:
        assert lc.available() is False


def test_without_cuda_build_every_function_says_so(monkeypatch):
    # As in a build without CUDA, where importing locuskit._cuda fails.
    monkeypatch.setattr(lc, "_cuda", None)
    monkeypatch.setattr(lc, "_IMPORT_ERROR", ImportError("No module named 'locuskit._cuda'"))
    assert lc.available() is False
    boxes = np.zeros((2, 4), np.float32)
    for call in (lambda: lc.nms(boxes, np.zeros(2, np.float32), 0.5),
                 lambda: lc.batched_nms(boxes, np.zeros(2, np.float32), np.zeros(2, np.int64), 0.5),
                 lambda: lc.box_iou(boxes, boxes),
                 lambda: lc.multiclass_nms(np.zeros((1, 2, 4), np.float32), np.zeros((1, 2, 3), np.float32))):
        with pytest.raises(RuntimeError, match="built without CUDA"):
            call()


@pytest.mark.skipif(lc._cuda is None, reason="this build has no CUDA")
@pytest.mark.parametrize("make", [
    lambda: np.zeros((3, 4), np.float32),
    lambda: torch.zeros(3, 4),
    lambda: [[0.0, 0.0, 1.0, 1.0]],
], ids=["numpy", "torch-cpu", "list"])
def test_host_arrays_are_rejected_with_a_clear_message(make):
    with pytest.raises(ValueError, match="boxes: .*(host|cpu device)"):
        lc.nms(make(), torch.zeros(3), 0.5)
    with pytest.raises(ValueError, match="boxes1: .*(host|cpu device)"):
        lc.box_iou(make(), make())


# ---------------------------------------------------------------- GPU parity
def _tv_cpu_nms(boxes: np.ndarray, scores: np.ndarray, thr: float) -> np.ndarray:
    return torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), thr).numpy()


def _cpu_box_iou(a, b, degenerate):
    """locuskit's CPU box_iou, or (in gpu-check's staging package) its bitwise NumPy transcription
    (torchvision's evaluation order; NumPy never contracts to FMA)."""
    f = getattr(locuskit, "box_iou", None)
    if f is not None:
        return f(a, b, degenerate=degenerate)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = np.maximum(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0)
    h = np.maximum(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0)
    inter = w * h
    union = (area_a[:, None] + area_b[None, :]) - inter
    value = {"zero": 0.0, "nan": np.nan, "one": 1.0}[degenerate]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union == 0, a.dtype.type(value), inter / union).astype(a.dtype)


def _cuda(x):
    return torch.from_numpy(np.ascontiguousarray(x)).cuda()


def _scores(rng, n, dtype, ties):
    s = rng.random(n)
    if ties:
        s = np.floor(s * 16) / 16
    return s.astype(dtype)


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_iou_is_bitwise_the_cpu_box_iou(rng, dtype):
    for n, m in [(0, 5), (1, 1), (37, 400), (300, 129)]:
        a, b = random_boxes(rng, n, dtype), random_boxes(rng, m, dtype)
        for degenerate in ("zero", "nan", "one"):
            got = lc.box_iou(_cuda(a), _cuda(b), degenerate=degenerate)
            assert got.is_cuda and got.dtype == torch.from_numpy(a).dtype and tuple(got.shape) == (n, m)
            want = _cpu_box_iou(a, b, degenerate)
            assert np.array_equal(got.cpu().numpy().view(np.uint8), want.view(np.uint8))


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nms_equals_torchvision_cpu_nms(rng, dtype):
    cases = 0
    for n in [0, 1, 2, 64, 65, 500, 3000, 20000]:
        for thr in (0.0, 0.3, 0.5, 0.6, 0.85, 1.0):
            boxes = random_boxes(rng, n, dtype, extent=50.0 + n / 20)
            scores = _scores(rng, n, dtype, ties=cases % 2 == 0)
            got = lc.nms(_cuda(boxes), _cuda(scores), thr)
            assert got.is_cuda and got.dtype == torch.int64
            np.testing.assert_array_equal(got.cpu().numpy(), _tv_cpu_nms(boxes, scores, thr))
            cases += 1
    assert cases == 48


@gpu
def test_nms_equals_locuskit_cpu_nms_when_present(rng):
    cpu_nms = getattr(locuskit, "nms", None)
    if cpu_nms is None:
        pytest.skip("locuskit.nms (CPU) is not in this build")
    for seed in range(10):
        boxes = random_boxes(rng, 2000, np.float32)
        scores = _scores(rng, 2000, np.float32, ties=seed % 2 == 0)
        got = lc.nms(_cuda(boxes), _cuda(scores), 0.6).cpu().numpy()
        np.testing.assert_array_equal(got, np.asarray(cpu_nms(boxes, scores, 0.6)))


@gpu
def test_nms_equals_torchvision_cuda_nms_without_ties(rng):
    # tv CUDA: unstable ties, threshold rounded to nearest float32, FMA; none matters here.
    for n in [100, 5000, 50000]:
        boxes = np.round(random_boxes(rng, n, np.float32, extent=50.0 + n / 20))  # exact IoUs
        scores = rng.permutation(n).astype(np.float32) / n
        b, s = _cuda(boxes), _cuda(scores)
        np.testing.assert_array_equal(lc.nms(b, s, 0.5).cpu().numpy(), torchvision.ops.nms(b, s, 0.5).cpu().numpy())


@gpu
def test_batched_nms_is_exact_per_class(rng):
    for n, classes in [(0, 3), (10, 1), (2000, 5), (20000, 80)]:
        boxes = random_boxes(rng, n, np.float32, extent=100.0 + n / 50)
        scores = _scores(rng, n, np.float32, ties=True)
        ids = rng.integers(-3, classes - 3, n).astype(np.int64)
        got = lc.batched_nms(_cuda(boxes), _cuda(scores), _cuda(ids), 0.5).cpu().numpy()
        kept = np.zeros(n, bool)
        for c in np.unique(ids):
            members = np.nonzero(ids == c)[0]
            kept[members[_tv_cpu_nms(boxes[members], scores[members], 0.5)]] = True
        order = np.argsort(-scores, kind="stable")
        np.testing.assert_array_equal(got, order[kept[order]])


@gpu
def test_batched_nms_equals_torchvision_cuda_batched_nms(rng):
    # Integer coordinates and distinct scores: torchvision's coordinate-offset trick, its float32
    # threshold rounding, FMA contraction and unstable ties then cannot change anything.
    for n, classes in [(500, 3), (2000, 5), (20000, 80), (150000, 80)]:
        boxes = np.round(random_boxes(rng, n, np.float32, extent=100.0 + n / 50))
        scores = rng.permutation(n).astype(np.float32) / n
        ids = rng.integers(0, classes, n).astype(np.int64)
        b, s, i = _cuda(boxes), _cuda(scores), _cuda(ids)
        got = lc.batched_nms(b, s, i, 0.5).cpu().numpy()
        tv = torchvision.ops.batched_nms(b, s, i, 0.5).cpu().numpy()
        np.testing.assert_array_equal(got, tv)


def _multiclass_oracle(boxes, scores, sthr, thr, cap, K, agnostic):
    B, N, C = scores.shape
    per_class = boxes.ndim == 4
    out = []
    for b in range(B):
        kept = []
        lists = [None] if agnostic else range(C)
        for cls in lists:
            cand = [(n, c) for n in range(N) for c in range(C)
                    if (agnostic or c == cls) and scores[b, n, c] > sthr]
            if not cand:
                continue
            cb = np.stack([boxes[b, n, c] if per_class else boxes[b, n] for n, c in cand])
            cs = np.array([scores[b, n, c] for n, c in cand], scores.dtype)
            for k in _tv_cpu_nms(cb, cs, thr)[:cap]:
                kept.append((cs[k], cand[k][0], cand[k][1]))
        kept.sort(key=lambda t: (-float(t[0]), t[1], t[2]))
        out.append(kept[:K])
    return out


@gpu
@pytest.mark.parametrize("per_class,agnostic", [(False, False), (True, False), (False, True)])
def test_multiclass_nms_matches_the_per_class_oracle(rng, per_class, agnostic):
    B, N, C = 3, 150, 4
    boxes = random_boxes(rng, B * N * (C if per_class else 1), np.float32, extent=60.0)
    boxes = boxes.reshape((B, N, C, 4) if per_class else (B, N, 4))
    scores = _scores(rng, B * N * C, np.float32, ties=True).reshape(B, N, C)
    res = lc.multiclass_nms(_cuda(boxes), _cuda(scores), score_threshold=0.25, iou_threshold=0.5,
                            max_output_per_class=15, max_total=40, class_agnostic=agnostic)
    want = _multiclass_oracle(boxes, scores, 0.25, 0.5, 15, 40, agnostic)
    counts = res.counts.cpu().numpy()
    for b in range(B):
        assert counts[b] == len(want[b])
        k = counts[b]
        np.testing.assert_array_equal(res.indices[b, :k].cpu().numpy(), [t[1] for t in want[b]])
        np.testing.assert_array_equal(res.classes[b, :k].cpu().numpy(), [t[2] for t in want[b]])
        np.testing.assert_array_equal(res.scores[b, :k].cpu().numpy(), [t[0] for t in want[b]])
        src = [boxes[b, n, c] if per_class else boxes[b, n] for _, n, c in want[b]]
        np.testing.assert_array_equal(res.boxes[b, :k].cpu().numpy(), np.array(src).reshape(-1, 4))
        assert (res.indices[b, k:] == -1).all() and (res.classes[b, k:] == -1).all()
        assert (res.scores[b, k:] == 0).all() and (res.boxes[b, k:] == 0).all()


@gpu
def test_gpu_errors_name_the_argument():
    b = torch.zeros(3, 4, device="cuda")
    s = torch.zeros(3, device="cuda")
    with pytest.raises(TypeError, match="boxes: dtype int64"):
        lc.nms(b.long(), s, 0.5)
    with pytest.raises(TypeError, match="scores: dtype float64 .*expected float32"):
        lc.nms(b, s.double(), 0.5)
    with pytest.raises(ValueError, match="scores: expected shape \\(3,\\)"):
        lc.nms(b, s[:2], 0.5)
    with pytest.raises(ValueError, match="iou_threshold: must lie in \\[0, 1\\]"):
        lc.nms(b, s, 1.5)
    with pytest.raises(ValueError, match="boxes: box 1 has a non-finite"):
        lc.nms(torch.tensor([[0, 0, 1, 1], [0, 0, float("nan"), 1], [0, 0, 1, 1]], device="cuda"), s, 0.5)
    with pytest.raises(ValueError, match="boxes: box 2 .*inverted"):
        lc.nms(torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 0, 1, 1]], device="cuda"), s, 0.5)
    with pytest.raises(ValueError, match="scores: element 0 is NaN"):
        lc.nms(b, torch.tensor([float("nan"), 0, 0], device="cuda"), 0.5)
    with pytest.raises(TypeError, match="idxs: dtype int32"):
        lc.batched_nms(b, s, torch.zeros(3, dtype=torch.int32, device="cuda"), 0.5)
    with pytest.raises(ValueError, match="not contiguous"):
        lc.nms(torch.zeros(4, 3, device="cuda").t(), s, 0.5)
    with pytest.raises(ValueError, match="boxes: expected shape"):
        lc.multiclass_nms(torch.zeros(1, 3, 5, device="cuda"), torch.zeros(1, 3, 2, device="cuda"))


@gpu
def test_empty_inputs_give_empty_outputs():
    e = torch.zeros(0, 4, device="cuda")
    assert lc.nms(e, torch.zeros(0, device="cuda"), 0.5).shape == (0,)
    assert lc.box_iou(e, torch.zeros(3, 4, device="cuda")).shape == (0, 3)
    res = lc.multiclass_nms(torch.zeros(2, 0, 4, device="cuda"), torch.zeros(2, 0, 3, device="cuda"), max_total=5)
    assert res.boxes.shape == (2, 5, 4) and (res.counts == 0).all() and (res.indices == -1).all()


@gpu
def test_runs_on_the_callers_stream(rng):
    boxes = random_boxes(rng, 5000, np.float32)
    scores = _scores(rng, 5000, np.float32, ties=True)
    want = _tv_cpu_nms(boxes, scores, 0.5)
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        b, s = _cuda(boxes), _cuda(scores)
        got = lc.nms(b, s, 0.5)
        res = lc.multiclass_nms(b.view(1, -1, 4), s.view(1, -1, 1), score_threshold=-1.0, iou_threshold=0.5,
                                max_output_per_class=10**6, max_total=6000)
    torch.cuda.synchronize()
    np.testing.assert_array_equal(got.cpu().numpy(), want)
    np.testing.assert_array_equal(res.indices[0, : len(want)].cpu().numpy(), want)


@gpu
def test_cupy_arrays_in_cupy_arrays_out(rng):
    cupy = pytest.importorskip("cupy")
    boxes = random_boxes(rng, 1000, np.float32)
    scores = _scores(rng, 1000, np.float32, ties=True)
    got = lc.nms(cupy.asarray(boxes), cupy.asarray(scores), 0.5)
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_array_equal(cupy.asnumpy(got), _tv_cpu_nms(boxes, scores, 0.5))


# ---------------------------------------------------------------- the Python layer without a GPU
class _FakeDevice:
    """Stands in for locuskit._cuda and the CUDA allocator: 'device' arrays are CPU tensors found by
    address, and each kernel is computed with torchvision on the CPU. Checks that locuskit.cuda
    passes its arguments in the order the extension (python/src/cuda/module.cpp) declares them."""

    def __init__(self):
        self.arrays = {}

    def track(self, t):
        self.arrays[t.data_ptr()] = t
        return t

    def at(self, ptr):
        return self.arrays[ptr]

    # module.cpp signatures
    def device_count(self):
        return 1

    def nms_workspace(self, device, n, f64):
        assert device == 0
        return 16

    def batched_nms_workspace(self, device, n, f64):
        return 16

    def multiclass_nms_workspace(self, device, batch, n, classes, per_class, max_per_class, max_total, agnostic, f64):
        return 16

    def first_invalid(self, f64, values, rows, cols, boxes, first, stream):
        v = self.at(values).reshape(rows, cols)
        bad = (~torch.isfinite(v)).any(1) | ((v[:, 2] < v[:, 0]) | (v[:, 3] < v[:, 1])) if boxes else torch.isnan(v[:, 0])
        idx = torch.nonzero(bad)
        slot = (first - self.base_of(first)) // 8
        self.at(self.base_of(first))[slot] = int(idx[0]) if len(idx) else -1

    def base_of(self, ptr):
        return max(p for p in self.arrays if p <= ptr)

    def nms(self, f64, boxes, scores, n, thr, keep, count, ws, ws_bytes, stream):
        k = torchvision.ops.nms(self.at(boxes), self.at(scores), thr)
        self.at(keep)[: len(k)] = k
        self.at(count)[0] = len(k)

    def batched_nms(self, f64, boxes, scores, classes, n, thr, keep, count, ws, ws_bytes, stream):
        k = torchvision.ops.batched_nms(self.at(boxes), self.at(scores), self.at(classes), thr)
        self.at(keep)[: len(k)] = k
        self.at(count)[0] = len(k)

    def box_iou(self, f64, a, n, b, m, out, deg, stream):
        self.at(out)[:] = torchvision.ops.box_iou(self.at(a), self.at(b))

    def multiclass_nms(self, f64, boxes, scores, batch, n, classes, per_class, max_per_class, max_total, agnostic,
                       score_thr, iou_thr, ob, os_, oc, oi, on, ws, ws_bytes, stream):
        assert (batch, n, classes, per_class, agnostic) == (2, 5, 3, False, False)
        assert (max_per_class, max_total, score_thr, iou_thr) == (4, 6, 0.25, 0.5)
        self.at(on)[:] = torch.tensor([1, 0])
        self.at(oi)[:] = -1
        self.at(oi)[0, 0] = 3


@pytest.fixture
def fake_device(monkeypatch):
    fake = _FakeDevice()

    def wrap(x, name):
        if isinstance(x, np.ndarray):
            raise ValueError(f"{name}: host")
        fake.track(x)
        return lc._Array(x, "torch", x.data_ptr(), tuple(x.shape), str(x.dtype).replace("torch.", ""), 0)

    class Lib:
        def __init__(self, like, stream):
            self.device, self.stream = 0, 0

        def empty(self, shape, dtype):
            return fake.track(torch.zeros(tuple(shape), dtype=getattr(torch, dtype)))

        def ptr(self, arr):
            return arr.data_ptr()

        def read_all(self, arr):
            return [int(v) for v in arr.tolist()]

        def read_int(self, arr):
            return self.read_all(arr)[0]

        def to_int32(self, arr):
            return arr.to(torch.int32)

    monkeypatch.setattr(lc, "_cuda", fake)
    monkeypatch.setattr(lc, "_wrap", wrap)
    monkeypatch.setattr(lc, "_Lib", Lib)
    return fake


def test_python_layer_calls_the_extension_correctly(fake_device, rng):
    boxes = torch.from_numpy(random_boxes(rng, 300, np.float32))
    scores = torch.from_numpy(rng.random(300).astype(np.float32))
    ids = torch.from_numpy(rng.integers(0, 4, 300))
    assert torch.equal(lc.nms(boxes, scores, 0.5), torchvision.ops.nms(boxes, scores, 0.5))
    assert torch.equal(lc.batched_nms(boxes, scores, ids, 0.5), torchvision.ops.batched_nms(boxes, scores, ids, 0.5))
    a, b = boxes[:7].clone(), boxes[:9].clone()  # distinct addresses for the fake device
    assert torch.allclose(lc.box_iou(a, b), torchvision.ops.box_iou(a, b), rtol=0, atol=0, equal_nan=True)
    res = lc.multiclass_nms(torch.zeros(2, 5, 4), torch.zeros(2, 5, 3), score_threshold=0.25, iou_threshold=0.5,
                            max_output_per_class=4, max_total=6)
    assert res.boxes.shape == (2, 6, 4) and res.counts.tolist() == [1, 0] and int(res.indices[0, 0]) == 3
    # Same result type and dtypes as the CPU multiclass_nms.
    assert isinstance(res, locuskit.MulticlassNMSResult)
    assert res.classes.dtype == torch.int32 and res.counts.dtype == torch.int32 and res.indices.dtype == torch.int64
    # validation: the first bad argument is reported, with its row
    bad = boxes.clone()
    bad[17, 2] = float("nan")
    with pytest.raises(ValueError, match="boxes: box 17 has a non-finite"):
        lc.nms(bad, scores, 0.5)
    nan_scores = scores.clone()
    nan_scores[5] = float("nan")
    with pytest.raises(ValueError, match="scores: element 5 is NaN"):
        lc.nms(boxes, nan_scores, 0.5)
    with pytest.raises(ValueError, match="boxes2: box 2 .*inverted"):
        lc.box_iou(boxes, torch.tensor([[0.0, 0, 1, 1], [0, 0, 1, 1], [2, 0, 1, 1]]))
    with pytest.raises(ValueError, match="iou_threshold: must lie in"):
        lc.nms(boxes, scores, -0.1)
    with pytest.raises(TypeError, match="scores: dtype float64 .*expected float32"):
        lc.nms(boxes, scores.double(), 0.5)
    with pytest.raises(TypeError, match="idxs: dtype int32"):
        lc.batched_nms(boxes, scores, ids.int(), 0.5)
    with pytest.raises(ValueError, match="boxes: expected shape \\(2, 5, 4\\) or \\(2, 5, 3, 4\\)"):
        lc.multiclass_nms(torch.zeros(2, 5, 5), torch.zeros(2, 5, 3))
