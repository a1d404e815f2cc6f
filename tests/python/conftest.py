"""Shared pytest fixtures and helpers for locuskit's Python tests."""
from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# ../shared/reference beside the checkout: bulkier reference cases; tests using it skip without it.
SHARED_REFERENCE = pathlib.Path(os.environ.get("LOCUSKIT_SHARED_REFERENCE", ROOT.parent / "shared" / "reference"))


def random_boxes(rng: np.random.Generator, n: int, dtype=np.float32, extent=100.0, clustered=True,
                 degenerate_fraction=0.1, negative=False) -> np.ndarray:
    """n xyxy boxes: clustered (so many overlap), with exact duplicates and zero-width/height ones."""
    if n == 0:
        return np.zeros((0, 4), dtype)
    if clustered:
        centres = rng.uniform(0, extent, size=(max(1, n // 8), 2))
        c = centres[rng.integers(0, len(centres), n)] + rng.normal(0, extent / 40, size=(n, 2))
    else:
        c = rng.uniform(0, extent, size=(n, 2))
    wh = rng.uniform(0, extent / 4, size=(n, 2))
    deg = rng.random(n) < degenerate_fraction
    wh[deg, rng.integers(0, 2, deg.sum())] = 0
    boxes = np.concatenate([c - wh / 2, c + wh / 2], axis=1)
    if negative:
        boxes -= extent / 2
    dup = rng.random(n) < 0.05
    dup[0] = False
    idx = np.nonzero(dup)[0]
    boxes[idx] = boxes[idx - 1]
    boxes = boxes.astype(dtype)
    # float rounding may invert a zero-size box by one ulp after the cast: fix the order.
    x1 = np.minimum(boxes[:, 0], boxes[:, 2]); x2 = np.maximum(boxes[:, 0], boxes[:, 2])
    y1 = np.minimum(boxes[:, 1], boxes[:, 3]); y2 = np.maximum(boxes[:, 1], boxes[:, 3])
    return np.ascontiguousarray(np.stack([x1, y1, x2, y2], axis=1))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def laid_out(a: np.ndarray, layout: str):
    """The same logical values in another memory layout, for the property tests: a C-contiguous view
    into a larger array (offset start), read-only, misaligned (byte offset 1: not element-aligned,
    rejected with ValueError), or a torch tensor (tensors in, tensors out)."""
    a = np.ascontiguousarray(a)
    if layout == "row_view":
        big = np.zeros((len(a) + 3,) + a.shape[1:], a.dtype)
        big[2:2 + len(a)] = a
        return big[2:2 + len(a)]
    if layout == "readonly":
        b = a.copy()
        b.flags.writeable = False
        return b
    if layout == "misaligned":
        raw = np.zeros(a.nbytes + 1, np.uint8)
        b = np.frombuffer(raw.data, a.dtype, count=a.size, offset=1).reshape(a.shape)
        b[...] = a  # frombuffer of a writable buffer is writable
        return b
    if layout == "torch":
        import torch

        return torch.from_numpy(a)
    return a


def as_numpy(x):
    """A result as NumPy: NumPy arrays pass through, torch tensors (what tensor inputs give back)
    are converted, anything else fails the test."""
    if isinstance(x, np.ndarray) or np.isscalar(x):
        return x
    import torch

    assert isinstance(x, torch.Tensor), type(x)
    return x.detach().numpy()
