"""CUDA tensors given to locuskit.ops go to their twin in locuskit.cuda (box_iou, nms, batched_nms,
multiclass_nms, nms_rotated, batched_nms_rotated); other functions, and builds without CUDA, raise
a clear error; CPU tensors keep the CPU path.

The routing is tested here with the device check and the CUDA module mocked (this machine has no
GPU); test_gpu_* run the real kernels and skip without a CUDA device and a CUDA build."""
from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import locuskit  # noqa: E402
from locuskit import _arrays, cuda  # noqa: E402


@pytest.fixture
def fake_gpu(monkeypatch):
    """Every tensor counts as a CUDA tensor; locuskit.cuda's twins record their calls."""
    calls = []
    monkeypatch.setattr(_arrays, "_is_cuda", lambda t: True)
    monkeypatch.setattr(cuda, "_cuda", object())  # "built with CUDA"
    for name in _arrays.CUDA_TWINS:
        real = getattr(cuda, name)

        @functools.wraps(real)  # keeps the twin's signature: the router reads it
        def record(*args, _name=name, **kwargs):
            calls.append((_name, args, kwargs))
            return "from " + _name

        monkeypatch.setattr(cuda, name, record)
    return calls


def _boxes(n, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, (n, 2))
    return torch.from_numpy(np.concatenate([xy, xy + rng.uniform(1, 20, (n, 2))], 1).astype(np.float32))


def _rotated(n, seed=0):
    rng = np.random.default_rng(seed)
    b = np.concatenate([rng.uniform(0, 60, (n, 2)), rng.uniform(2, 20, (n, 2)), rng.uniform(-180, 180, (n, 1))], 1)
    return torch.from_numpy(b.astype(np.float32)), torch.from_numpy(rng.uniform(0, 1, n).astype(np.float32))


def test_cuda_twins_exist_with_the_same_argument_names():
    import inspect

    for name in _arrays.CUDA_TWINS:
        cpu_params = list(inspect.signature(getattr(locuskit, name)).parameters)
        gpu_params = list(inspect.signature(getattr(cuda, name)).parameters)
        positional = [p for p in cpu_params if p in gpu_params]
        assert positional[:2] == gpu_params[:2], name


def test_box_iou_routes_to_cuda(fake_gpu):
    a, b = _boxes(3), _boxes(4, 1)
    assert locuskit.box_iou(a, b) == "from box_iou"
    assert locuskit.box_iou(a, b, degenerate="nan") == "from box_iou"
    (n1, args1, kw1), (n2, args2, kw2) = fake_gpu
    assert n1 == n2 == "box_iou" and args1 == () and kw1["boxes1"] is a and kw1["boxes2"] is b
    assert kw2["degenerate"] == "nan"


def test_nms_family_routes_to_cuda(fake_gpu):
    b, s = _boxes(5), torch.rand(5)
    idxs = torch.tensor([0, 1, 0, 1, 2], dtype=torch.int32)
    assert locuskit.nms(b, s, 0.5) == "from nms"
    assert locuskit.batched_nms(b, s, idxs, 0.5) == "from batched_nms"
    assert locuskit.multiclass_nms(b[None], s[None, :, None], iou_threshold=0.4, max_total=7) == "from multiclass_nms"
    assert [c[0] for c in fake_gpu] == ["nms", "batched_nms", "multiclass_nms"]
    assert fake_gpu[0][2]["iou_threshold"] == 0.5 and fake_gpu[1][2]["idxs"] is idxs
    assert fake_gpu[2][2]["max_total"] == 7 and "max_candidates" not in fake_gpu[2][2]


def test_cpu_only_options_are_refused_for_cuda_tensors(fake_gpu):
    a = _boxes(3)
    with pytest.raises(ValueError, match="out=.*not supported for CUDA tensors"):
        locuskit.box_iou(a, a, out=torch.empty(3, 3))
    with pytest.raises(ValueError, match="rule='opencv' is not supported for CUDA"):
        locuskit.nms(a, torch.rand(3), 0.5, rule="opencv")
    assert fake_gpu == []


def test_functions_without_cuda_kernel_raise_naming_the_function(fake_gpu):
    with pytest.raises(ValueError, match="box_area: got a CUDA tensor, but locuskit has no CUDA kernel"):
        locuskit.box_area(_boxes(2))
    with pytest.raises(ValueError, match="generalized_box_iou: got a CUDA tensor"):
        locuskit.generalized_box_iou(_boxes(2), _boxes(2))


def test_cpu_only_build_raises_a_clear_error(fake_gpu, monkeypatch):
    monkeypatch.setattr(cuda, "_cuda", None)
    for call in (lambda: locuskit.box_iou(_boxes(2), _boxes(2)), lambda: locuskit.nms(_boxes(2), torch.rand(2), 0.5)):
        with pytest.raises(RuntimeError, match="built without CUDA"):
            call()
    assert fake_gpu == []


def test_cuda_path_refuses_autograd_rather_than_detaching(fake_gpu):
    a = _boxes(3).requires_grad_()
    with pytest.raises(TypeError, match="CUDA path is not differentiable"):
        locuskit.box_iou(a, _boxes(3))
    with torch.no_grad():
        assert locuskit.box_iou(a, _boxes(3)) == "from box_iou"


def test_cpu_tensors_are_not_routed(fake_gpu, monkeypatch):
    monkeypatch.setattr(_arrays, "_is_cuda", lambda t: t.is_cuda)  # the real check
    a = _boxes(3)
    assert locuskit.box_iou(a, a).shape == (3, 3)
    assert fake_gpu == []


@pytest.mark.parametrize("op", ["nms", "batched_nms", "box_area", "remove_small_boxes", "clip_boxes_to_image"])
def test_torch_ops_have_a_cuda_kernel(op):
    from locuskit import _library

    _library.register()
    # The dispatcher would raise "Could not run 'locuskit::nms' with arguments from the 'CUDA' backend"
    # without one; the CUDA kernel is the Python kernel, which routes (nms) or raises naming the op.
    table = torch._C._dispatch_dump(f"locuskit::{op}")
    assert "CUDA" in table and "CPU" in table


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
                         reason="needs a CUDA device and a locuskit built with CUDA (none here)")


@gpu
def test_gpu_box_iou_and_nms_equal_the_cpu_results():
    a, b = _boxes(300), _boxes(200, 1)
    s = torch.rand(300, generator=torch.Generator().manual_seed(0))
    assert torch.equal(locuskit.box_iou(a.cuda(), b.cuda()).cpu(), locuskit.box_iou(a, b))
    assert torch.equal(locuskit.nms(a.cuda(), s.cuda(), 0.5).cpu(), locuskit.nms(a, s, 0.5))
    idxs = torch.randint(0, 3, (300,), generator=torch.Generator().manual_seed(1))
    assert torch.equal(locuskit.batched_nms(a.cuda(), s.cuda(), idxs.cuda(), 0.5).cpu(),
                       locuskit.batched_nms(a, s, idxs, 0.5))
    assert torch.equal(torch.ops.locuskit.nms(a.cuda(), s.cuda(), 0.5).cpu(), locuskit.nms(a, s, 0.5))
    assert locuskit.box_iou(a.cuda(), b.cuda()).device.type == "cuda"


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
