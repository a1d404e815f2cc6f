"""Resource limits (docs/fuzzing.md, "Resource limits"): an output that cannot fit in physical
memory raises MemoryError naming its shape before anything is allocated, instead of being
overcommitted and then killed by the OOM killer while the kernel writes it."""
from __future__ import annotations

import os

import numpy as np
import pytest

import locuskit


def physical_memory() -> int:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pairwise_output_larger_than_memory_raises_memory_error(dtype):
    itemsize = np.dtype(dtype).itemsize
    n = 1 << 10
    while n * n * itemsize <= physical_memory():
        n *= 2
    boxes = np.zeros((n, 4), dtype)  # at most a few hundred MB: the inputs themselves fit
    assert boxes.nbytes < physical_memory() // 4
    for f in (locuskit.box_iou, locuskit.generalized_box_iou, locuskit.complete_box_iou, locuskit.box_ioa):
        with pytest.raises(MemoryError, match=rf"\({n}, {n}\).*physical memory"):
            f(boxes, boxes)


def test_outputs_within_memory_are_unaffected():
    boxes = np.array([[0, 0, 2, 2], [1, 1, 3, 3]], np.float32)
    seventh = np.float32(1) / np.float32(7)
    np.testing.assert_array_equal(locuskit.box_iou(boxes, boxes), np.array([[1, seventh], [seventh, 1]], np.float32))
    assert locuskit.box_iou(np.zeros((0, 4), np.float32), boxes).shape == (0, 2)
