"""locuskit.ops.nms_rotated / batched_nms_rotated given CUDA tensors run gpu::nms_rotated /
gpu::batched_nms_rotated through locuskit.cuda (as nms does); CPU tensors keep the CPU path.

The routing and the argument checks run everywhere (device check and extension mocked: this
machine has no GPU); test_gpu_* run the real kernels and skip without a CUDA device and a CUDA
build. The device loop itself is checked on CPU threads in tests/cpp/cuda/test_segment_loop.cpp."""
from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import locuskit  # noqa: E402
from locuskit import _arrays, cuda  # noqa: E402


def _rotated(n, seed=0):
    rng = np.random.default_rng(seed)
    b = np.concatenate([rng.uniform(0, 60, (n, 2)), rng.uniform(2, 20, (n, 2)), rng.uniform(-180, 180, (n, 1))], 1)
    return torch.from_numpy(b.astype(np.float32)), torch.from_numpy(rng.uniform(0, 1, n).astype(np.float32))


@pytest.fixture
def fake_gpu(monkeypatch):
    """Every tensor counts as a CUDA tensor; the rotated twins of locuskit.cuda record their calls."""
    calls = []
    monkeypatch.setattr(_arrays, "_is_cuda", lambda t: True)
    monkeypatch.setattr(cuda, "_cuda", object())  # "built with CUDA"
    for name in ("nms_rotated", "batched_nms_rotated"):
        real = getattr(cuda, name)

        @functools.wraps(real)  # keeps the twin's signature: the router reads it
        def record(*args, _name=name, **kwargs):
            calls.append((_name, args, kwargs))
            return "from " + _name

        monkeypatch.setattr(cuda, name, record)
    return calls


def test_rotated_nms_has_cuda_twins_with_the_cpu_arguments():
    import inspect

    for name in ("nms_rotated", "batched_nms_rotated"):
        assert name in _arrays.CUDA_TWINS
        cpu = inspect.signature(getattr(locuskit.ops, name)).parameters
        gpu = inspect.signature(getattr(cuda, name)).parameters
        # Every CPU option exists on the GPU with the same default: nothing is refused.
        for pname, p in cpu.items():
            assert pname in gpu, (name, pname)
            assert gpu[pname].default == p.default, (name, pname)


def test_cuda_tensors_route_to_the_rotated_twins(fake_gpu):
    b, s = _rotated(6)
    idxs = torch.tensor([0, 1, 0, 1, 2, 2])
    assert locuskit.ops.nms_rotated(b, s, 0.5, iou="detectron2") == "from nms_rotated"
    assert locuskit.ops.batched_nms_rotated(b, s, idxs, 0.3, rule=">", max_output=4) == "from batched_nms_rotated"
    (n1, _, kw1), (n2, _, kw2) = fake_gpu
    assert n1 == "nms_rotated" and kw1["boxes"] is b and kw1["iou"] == "detectron2" and kw1["iou_threshold"] == 0.5
    assert n2 == "batched_nms_rotated" and kw2["idxs"] is idxs and kw2["rule"] == ">" and kw2["max_output"] == 4


def test_cpu_tensors_keep_the_cpu_path(fake_gpu, monkeypatch):
    monkeypatch.setattr(_arrays, "_is_cuda", lambda t: t.is_cuda)  # the real check
    b, s = _rotated(50)
    keep = locuskit.ops.nms_rotated(b, s, 0.3)
    assert isinstance(keep, torch.Tensor) and keep.dtype == torch.int64 and 0 < len(keep) <= 50
    assert fake_gpu == []


def test_cpu_only_build_says_so(monkeypatch):
    monkeypatch.setattr(_arrays, "_is_cuda", lambda t: True)
    monkeypatch.setattr(cuda, "_cuda", None)
    b, s = _rotated(3)
    with pytest.raises(RuntimeError, match="built without CUDA"):
        locuskit.ops.nms_rotated(b, s, 0.5)


gpu = pytest.mark.skipif(not (torch.cuda.is_available() and cuda.available()),
                         reason="needs a CUDA device and a locuskit built with CUDA (this machine has no GPU)")


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gpu_rotated_nms_equals_the_cpu_path(dtype):
    b, s = _rotated(400, 3)
    b, s = b.to(dtype), s.to(dtype)
    idxs = torch.randint(0, 4, (400,), generator=torch.Generator().manual_seed(1))
    for kwargs in ({}, {"rule": ">"}, {"iou": "detectron2"}, {"max_output": 7},
                   {"angle_convention": "radians_cw"}):
        want = locuskit.ops.nms_rotated(b, s, 0.3, **kwargs)
        got = locuskit.ops.nms_rotated(b.cuda(), s.cuda(), 0.3, **kwargs)
        assert got.device.type == "cuda"
        assert torch.equal(got.cpu(), want), kwargs
        want = locuskit.ops.batched_nms_rotated(b, s, idxs, 0.3, **kwargs)
        assert torch.equal(locuskit.ops.batched_nms_rotated(b.cuda(), s.cuda(), idxs.cuda(), 0.3, **kwargs).cpu(), want)
    with pytest.raises(ValueError, match="boxes: element 2"):
        bad = b.clone()
        bad[2, 0] = float("nan")
        locuskit.ops.nms_rotated(bad.cuda(), s.cuda(), 0.3)
