"""The RoI operators' CUDA twins (locuskit.cuda.roi_align / prroi_pool and their backward passes,
and the routing of CUDA tensors in locuskit.roi with autograd): error paths everywhere, GPU parity
with the CPU kernels when a CUDA device and a CUDA build are present (skipped otherwise). The
twins' per-element code itself is checked on the CPU by tests/cpp/cuda/test_*_twin.cpp."""
from __future__ import annotations

import numpy as np
import pytest

import locuskit.cuda as lc
from locuskit import roi

torch = pytest.importorskip("torch")

HAS_GPU = lc.available() and torch.cuda.is_available()
gpu = pytest.mark.skipif(not HAS_GPU, reason="needs locuskit built with CUDA and a CUDA device")


def test_without_cuda_build_the_roi_twins_say_so(monkeypatch):
    monkeypatch.setattr(lc, "_cuda", None)
    monkeypatch.setattr(lc, "_IMPORT_ERROR", ImportError("No module named 'locuskit._cuda'"))
    f, r = np.zeros((1, 1, 4, 4), np.float32), np.zeros((1, 5), np.float32)
    for call in (lambda: lc.roi_align(f, r, 2), lambda: lc.prroi_pool(f, r, 2),
                 lambda: lc.roi_align_backward(np.zeros((1, 1, 2, 2), np.float32), r, f.shape),
                 lambda: lc.prroi_pool_backward(f, r, np.zeros((1, 1, 2, 2), np.float32))):
        with pytest.raises((ImportError, RuntimeError), match="CUDA|_cuda"):
            call()


def test_roi_pool_has_no_cuda_twin_and_says_so():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device to make a CUDA tensor")
    f = torch.zeros((1, 1, 4, 4), device="cuda")
    with pytest.raises(ValueError, match="roi_pool has no CUDA kernel"):
        roi.roi_pool(f, torch.zeros((1, 5), device="cuda"), 2)


def _case(dtype, seed):
    g = torch.Generator().manual_seed(seed)
    f = torch.randn((2, 8, 21, 17), generator=g, dtype=dtype)
    k = 40
    xy = torch.rand((k, 2), generator=g, dtype=dtype) * 20 - 2
    wh = torch.rand((k, 2), generator=g, dtype=dtype) * 12
    wh[::7] = 0  # empty rois
    rois = torch.cat([torch.arange(k, dtype=dtype)[:, None] % 2, xy, xy + wh], dim=1)
    return f, rois


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_cuda_equals_cpu(dtype, aligned):
    f, rois = _case(dtype, 3)
    fc = f.clone().requires_grad_(True)
    fg = f.cuda().requires_grad_(True)
    out_c = roi.roi_align(fc, rois, (5, 4), 0.5, 0, aligned)
    out_g = roi.roi_align(fg, rois.cuda(), (5, 4), 0.5, 0, aligned)
    assert torch.equal(out_g.cpu(), out_c.detach())  # bitwise: same host-device code, -fmad=false
    grad = torch.randn_like(out_c)
    out_c.backward(grad)
    out_g.backward(grad.cuda())
    torch.testing.assert_close(fg.grad.cpu(), fc.grad, rtol=1e-5 if dtype == torch.float32 else 1e-12, atol=1e-6)


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_prroi_pool_cuda_equals_cpu_with_box_gradients(dtype):
    f, rois = _case(dtype, 5)
    fc, rc = f.clone().requires_grad_(True), rois.clone().requires_grad_(True)
    fg, rg = f.cuda().requires_grad_(True), rois.cuda().requires_grad_(True)
    out_c = roi.prroi_pool(fc, rc, 3, 1.0)
    out_g = roi.prroi_pool(fg, rg, 3, 1.0)
    assert torch.equal(out_g.detach().cpu(), out_c.detach())
    grad = torch.randn_like(out_c)
    out_c.backward(grad)
    out_g.backward(grad.cuda())
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(fg.grad.cpu(), fc.grad, **tol)
    torch.testing.assert_close(rg.grad.cpu(), rc.grad, **tol)


@gpu
def test_prroi_pool_cuda_gradcheck():
    f, rois = _case(torch.float64, 9)
    f = f[:1, :2, :9, :9].cuda().requires_grad_(True)
    rois = torch.tensor([[0, 1.3, 0.7, 6.2, 5.9], [0, -0.6, 2.2, 3.1, 8.4]], dtype=torch.float64,
                        device="cuda").requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: roi.prroi_pool(a, b, 2), (f, rois), atol=1e-6)


@gpu
def test_invalid_rois_raise_on_the_gpu_path():
    f = torch.zeros((1, 1, 4, 4), device="cuda")
    with pytest.raises(ValueError, match="batch index"):
        lc.roi_align(f, torch.tensor([[3.0, 0, 0, 1, 1]], device="cuda"), 2)
    with pytest.raises(ValueError, match="non-finite"):
        lc.prroi_pool(f, torch.tensor([[0.0, float("nan"), 0, 1, 1]], device="cuda"), 2)
