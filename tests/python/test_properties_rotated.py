"""Property tests of rotated IoU (hypothesis, derandomized): bounds, symmetry, the same rectangle
in other spellings, rigid-motion invariance, agreement with polygon clipping, and the float32
result being the float64 one rounded once."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from locuskit import rotated

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, database=None)

coord = st.floats(-200, 200, allow_nan=False, width=64)
size = st.floats(1e-3, 150, allow_nan=False, width=64)
angle = st.floats(-720, 720, allow_nan=False, width=64)
box = st.tuples(coord, coord, size, size, angle)


def _arr(*boxes):
    return np.array(boxes, np.float64)


@SETTINGS
@given(box, box)
def test_bounds_and_symmetry(a, b):
    ab = rotated.box_iou_rotated(_arr(a), _arr(b))[0, 0]
    ba = rotated.box_iou_rotated(_arr(b), _arr(a))[0, 0]
    assert 0.0 <= ab <= 1.0
    assert abs(ab - ba) <= 1e-12 * max(ab, 1e-300) + 1e-15
    assert rotated.box_iou_rotated(_arr(a), _arr(a))[0, 0] == 1.0


@SETTINGS
@given(box, box, st.sampled_from([180.0, -180.0, 360.0, 540.0]), st.sampled_from([90.0, -90.0, 270.0]))
def test_other_spellings_of_the_same_rectangle(a, b, flip, quarter):
    ref = rotated.box_iou_rotated(_arr(a), _arr(b))[0, 0]
    flipped = (b[0], b[1], b[2], b[3], b[4] + flip)
    swapped = (b[0], b[1], b[3], b[2], b[4] + quarter)
    for other in (flipped, swapped):
        got = rotated.box_iou_rotated(_arr(a), _arr(other))[0, 0]
        assert abs(got - ref) <= 1e-9 * max(ref, 1e-12) + 1e-12


@SETTINGS
@given(box, box, st.floats(-1e4, 1e4, allow_nan=False), st.floats(-1e4, 1e4, allow_nan=False),
       st.floats(-180, 180, allow_nan=False))
def test_rigid_motion_invariance(a, b, tx, ty, rot_deg):
    ref = rotated.box_iou_rotated(_arr(a), _arr(b))[0, 0]
    # rotate both centres about the origin by rot_deg in detectron2's sense, then translate
    t = np.deg2rad(rot_deg)
    c, s = np.cos(t), np.sin(t)

    def move(x):
        return (c * x[0] + s * x[1] + tx, -s * x[0] + c * x[1] + ty, x[2], x[3], x[4] + rot_deg)

    got = rotated.box_iou_rotated(_arr(move(a)), _arr(move(b)))[0, 0]
    assert abs(got - ref) <= 1e-7 * max(ref, 1e-6)  # the moved inputs are themselves rounded


@SETTINGS
@given(box, box)
def test_agrees_with_polygon_clipping_and_float32(a, b):
    aa, bb = _arr(a), _arr(b)
    ref = rotated.box_iou_rotated(aa, bb)[0, 0]
    pa, pb = rotated.rotated_boxes_to_polygons(aa), rotated.rotated_boxes_to_polygons(bb)
    assert abs(rotated.polygon_iou(pa, pb)[0, 0] - ref) <= 1e-9
    a32, b32 = aa.astype(np.float32), bb.astype(np.float32)
    got32 = rotated.box_iou_rotated(a32, b32)[0, 0]
    assert got32 == np.float32(rotated.box_iou_rotated(a32.astype(np.float64), b32.astype(np.float64))[0, 0])
