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
