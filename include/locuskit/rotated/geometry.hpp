#pragma once
/// \file rotated/geometry.hpp
/// Rotated-box geometry for one pair, host and device (`LOCUSKIT_HOST_DEVICE`): angle conventions,
/// corners, exact convex clipping, intersection area, IoU / IoF, and detectron2's float arithmetic
/// as a compatibility mode. The CPU kernels, the CUDA kernels, rotated NMS and BEV IoU all call
/// these functions, so every path computes the same bits.
///
/// A rotated box is 5 scalars `(cx, cy, w, h, angle)`. The angle convention says how `angle` turns
/// the box's local point (u, v) (u along w, v along h) into the plane:
///
/// | convention    | unit    | corner of (u, v)                          | used by |
/// |---------------|---------|-------------------------------------------|---------|
/// | `degrees_ccw` | degrees | (cx + c·u + s·v, cy − s·u + c·v) = R(−a)   | detectron2 (CCW on an image, y down) |
/// | `radians_cw`  | radians | (cx + c·u − s·v, cy + s·u + c·v) = R(+a)   | mmcv/mmrotate (oc, le90, le135), OpenPCDet BEV heading |
/// | `radians_ccw` | radians | R(−a)                                     | mmcv with `clockwise=False` |
/// | `degrees_cw`  | degrees | R(+a)                                     | OpenCV `RotatedRect` |
///
/// Exact mode (rotated_overlap, rotated_iou, rotated_iof): float64 arithmetic whatever T is. The
/// larger box (by area; the first on ties) is expressed in the frame of the smaller one, where the
/// smaller box is the axis-aligned window [−w/2, w/2] × [−h/2, h/2], and clipped to it by
/// Sutherland–Hodgman with crossing points placed exactly on the window's lines. Consequences:
/// identical boxes, boxes sharing an angle (collinear edges), and a box inside another give their
/// exact intersection up to the rounding of the corner offsets; relative angles that are exact
/// multiples of 90° (degree conventions) use exact cos/sin; degree angles are reduced with the
/// exact `fmod(a, 360)`. Sizes enter by absolute value (a box with w < 0 is the same point set as
/// with |w|, as the exact oracle has it). Against the exact oracle (shared/reference/oriented): within
/// 1e-12 relative or 1e-15 absolute on every fixture (docs/rotated.md lists the measured errors).
/// Thread-safe, no allocation, O(1).
#include <cmath>

#include "../config.hpp"
#include "../detail/rotated/detectron2_iou.hpp"
#include "../detail/rotated/polygon_clip.hpp"

namespace locuskit {
namespace rotated {

/// How the angle column of a rotated box is read (see the table in this header).
enum class AngleConvention : int { degrees_ccw = 0, radians_cw = 1, radians_ccw = 2, degrees_cw = 3 };

/// True when the convention's angles are degrees.
LOCUSKIT_HOST_DEVICE constexpr bool uses_degrees(AngleConvention c) noexcept {
  return c == AngleConvention::degrees_ccw || c == AngleConvention::degrees_cw;
}

/// +1 when a positive angle applies R(+a) to the local point (x right, y down: clockwise on screen),
/// −1 when it applies R(−a).
LOCUSKIT_HOST_DEVICE constexpr int rotation_sign(AngleConvention c) noexcept {
  return (c == AngleConvention::radians_cw || c == AngleConvention::degrees_cw) ? 1 : -1;
}

/// cos and sin of an angle given in the convention's unit. Degrees are reduced exactly
/// (`fmod(a, 360)`) and multiples of 90° give exact 0/±1.
LOCUSKIT_HOST_DEVICE inline void angle_cos_sin(double angle, bool degrees, double* cos_out,
                                               double* sin_out) noexcept {
  if (!degrees) {
    *cos_out = std::cos(angle);
    *sin_out = std::sin(angle);
    return;
  }
  const double r = std::fmod(angle, 360.0);  // exact; sign of `angle`
  if (r == 0.0) {
    *cos_out = 1.0, *sin_out = 0.0;
  } else if (r == 90.0 || r == -270.0) {
    *cos_out = 0.0, *sin_out = 1.0;
  } else if (r == 180.0 || r == -180.0) {
    *cos_out = -1.0, *sin_out = 0.0;
  } else if (r == 270.0 || r == -90.0) {
    *cos_out = 0.0, *sin_out = -1.0;
  } else {
    const double rad = r * 0.017453292519943295;  // pi / 180
    *cos_out = std::cos(rad);
    *sin_out = std::sin(rad);
  }
}

/// The four corners of `box` (5 scalars) in the plane, as x0 y0 x1 y1 x2 y2 x3 y3, for the local
/// points (+w/2, +h/2), (+w/2, −h/2), (−w/2, −h/2), (−w/2, +h/2) — mmrotate's `obb2poly` order.
/// Computed in double, rounded once to T.
template <class T>
LOCUSKIT_HOST_DEVICE inline void box_corners(const T* box, AngleConvention convention, T* xy) noexcept {
  double c, s;
  angle_cos_sin(static_cast<double>(box[4]), uses_degrees(convention), &c, &s);
  s *= rotation_sign(convention);
  const double hw = 0.5 * static_cast<double>(box[2]), hh = 0.5 * static_cast<double>(box[3]);
  const double cx = static_cast<double>(box[0]), cy = static_cast<double>(box[1]);
  const double ax = c * hw, ay = s * hw;    // R·(w/2, 0)
  const double bx = -s * hh, by = c * hh;   // R·(0, h/2)
  xy[0] = static_cast<T>(cx + ax + bx), xy[1] = static_cast<T>(cy + ay + by);
  xy[2] = static_cast<T>(cx + ax - bx), xy[3] = static_cast<T>(cy + ay - by);
  xy[4] = static_cast<T>(cx - ax - bx), xy[5] = static_cast<T>(cy - ay - by);
  xy[6] = static_cast<T>(cx - ax + bx), xy[7] = static_cast<T>(cy - ay + by);
}

/// Areas of one pair, all in double: what IoU, IoF and the 3D helpers build on.
struct Overlap {
  double intersection;
  double area_a;
  double area_b;
};

/// Intersection area and both areas of rotated boxes `a`, `b` (5 scalars each), exact mode (see the
/// file comment). A box of zero area intersects nothing. NaN in, NaN or 0 out (never UB).
template <class T>
LOCUSKIT_HOST_DEVICE inline Overlap rotated_overlap(const T* a, const T* b, AngleConvention convention) noexcept {
  const double wa = std::fabs(static_cast<double>(a[2])), ha = std::fabs(static_cast<double>(a[3]));
  const double wb = std::fabs(static_cast<double>(b[2])), hb = std::fabs(static_cast<double>(b[3]));
  Overlap r{0.0, wa * ha, wb * hb};
  if (!(r.area_a > 0.0) || !(r.area_b > 0.0)) {
    if (r.area_a != r.area_a || r.area_b != r.area_b) r.intersection = r.area_a + r.area_b;  // NaN
    return r;
  }
  // The window is the smaller box: the clipped polygon then lives at the window's scale.
  const bool a_is_window = r.area_a <= r.area_b;
  const T* win = a_is_window ? a : b;
  const T* sub = a_is_window ? b : a;
  const double win_w = a_is_window ? wa : wb, win_h = a_is_window ? ha : hb;
  const double sub_w = a_is_window ? wb : wa, sub_h = a_is_window ? hb : ha;
  const bool deg = uses_degrees(convention);
  const double sign = rotation_sign(convention);

  // Subject pose in the window's frame: centre offset rotated by −φ_win, relative angle φ_sub − φ_win.
  double cw, sw, cr, sr;
  angle_cos_sin(static_cast<double>(win[4]), deg, &cw, &sw);
  sw *= sign;
  angle_cos_sin(static_cast<double>(sub[4]) - static_cast<double>(win[4]), deg, &cr, &sr);
  sr *= sign;
  const double dx = static_cast<double>(sub[0]) - static_cast<double>(win[0]);
  const double dy = static_cast<double>(sub[1]) - static_cast<double>(win[1]);
  const double ox = cw * dx + sw * dy, oy = cw * dy - sw * dx;

  const double hw = 0.5 * sub_w, hh = 0.5 * sub_h;
  const double ax = cr * hw, ay = sr * hw, bx = -sr * hh, by = cr * hh;
  double poly[2 * detail::rotated::polygon_capacity], tmp[2 * detail::rotated::polygon_capacity];
  // Counter-clockwise (y up) local order (+,+), (−,+), (−,−), (+,−).
  poly[0] = ox + ax + bx, poly[1] = oy + ay + by;
  poly[2] = ox - ax + bx, poly[3] = oy - ay + by;
  poly[4] = ox - ax - bx, poly[5] = oy - ay - by;
  poly[6] = ox + ax - bx, poly[7] = oy + ay - by;
  const double wx = 0.5 * win_w, wy = 0.5 * win_h;
  int n = detail::rotated::clip_by_axis(poly, 4, tmp, 0, wx, true);
  if (n >= 3) n = detail::rotated::clip_by_axis(tmp, n, poly, 0, -wx, false);
  if (n >= 3) n = detail::rotated::clip_by_axis(poly, n, tmp, 1, wy, true);
  if (n >= 3) n = detail::rotated::clip_by_axis(tmp, n, poly, 1, -wy, false);
  if (n < 3) return r;
  double inter = 0.5 * std::fabs(detail::rotated::twice_signed_area(poly, n));
  // The clipped polygon cannot exceed the window; rounding must not make it (IoU stays <= 1).
  const double smaller = a_is_window ? r.area_a : r.area_b;
  r.intersection = inter < smaller ? inter : smaller;
  return r;
}

/// IoU = inter / (area_a + area_b − inter) of one pair, exact mode, rounded once to T; `degenerate`
/// when the union is 0 (both boxes of zero area). Range [0, 1].
template <class T>
LOCUSKIT_HOST_DEVICE inline T rotated_iou(const T* a, const T* b, AngleConvention convention,
                                          T degenerate = T(0)) noexcept {
  const Overlap o = rotated_overlap(a, b, convention);
  const double uni = (o.area_a + o.area_b) - o.intersection;
  return uni == 0.0 ? degenerate : static_cast<T>(o.intersection / uni);
}

/// IoF = inter / area_a (mmcv's `mode='iof'`: the first box's area), exact mode; `degenerate` when
/// area_a is 0.
template <class T>
LOCUSKIT_HOST_DEVICE inline T rotated_iof(const T* a, const T* b, AngleConvention convention,
                                          T degenerate = T(0)) noexcept {
  const Overlap o = rotated_overlap(a, b, convention);
  return o.area_a == 0.0 ? degenerate : static_cast<T>(o.intersection / o.area_a);
}

/// detectron2's `box_iou_rotated` for one pair, rounding for rounding (its `single_box_iou_rotated<T>`
/// at commit 02b5c4e, CPU build): boxes in detectron2's convention (`degrees_ccw`). In float32 this
/// equals detectron2's CPU kernel bit for bit on every fixture, including where detectron2 is wrong
/// (tiny and thin boxes, near-identical boxes above 1); use it for parity, rotated_iou otherwise.
/// Needs `-ffp-contract=off` (locuskit's builds set it; nvcc `--fmad=false`).
template <class T>
LOCUSKIT_HOST_DEVICE inline T rotated_iou_detectron2(const T* a, const T* b) noexcept {
  return detail::rotated::d2_iou(a, b);
}

/// Intersection area of two convex polygons (`n`, `m` vertices as x y pairs, either orientation,
/// at most 8 each), double Sutherland–Hodgman of `p` by `q`'s edges. Degenerate polygons give 0.
template <class T>
LOCUSKIT_HOST_DEVICE inline double convex_polygon_intersection_area(const T* p, int n, const T* q, int m) noexcept {
  constexpr int cap = detail::rotated::polygon_capacity;
  if (n < 3 || m < 3 || n > 8 || m > 8) return 0.0;
  double clip[2 * 8], buf_a[2 * cap], buf_b[2 * cap];
  for (int i = 0; i < 2 * m; ++i) clip[i] = static_cast<double>(q[i]);
  for (int i = 0; i < 2 * n; ++i) buf_a[i] = static_cast<double>(p[i]);
  const double orientation = detail::rotated::twice_signed_area(clip, m);
  if (orientation == 0.0) return 0.0;
  double* in = buf_a;
  double* out = buf_b;
  int k = n;
  for (int e = 0; e < m && k >= 3; ++e) {
    k = detail::rotated::clip_by_edge(in, k, out, clip + 2 * e, clip + 2 * ((e + 1) % m), orientation);
    double* t = in;
    in = out;
    out = t;
  }
  return k < 3 ? 0.0 : 0.5 * std::fabs(detail::rotated::twice_signed_area(in, k));
}

/// Absolute area of a simple polygon (shoelace, double).
template <class T>
LOCUSKIT_HOST_DEVICE inline double polygon_area(const T* xy, int n) noexcept {
  double sum = 0.0;
  for (int i = 1; i + 1 < n; ++i) {
    const double ax = static_cast<double>(xy[2 * i]) - static_cast<double>(xy[0]);
    const double ay = static_cast<double>(xy[2 * i + 1]) - static_cast<double>(xy[1]);
    const double bx = static_cast<double>(xy[2 * i + 2]) - static_cast<double>(xy[0]);
    const double by = static_cast<double>(xy[2 * i + 3]) - static_cast<double>(xy[1]);
    sum += ax * by - bx * ay;
  }
  return 0.5 * std::fabs(sum);
}

}  // namespace rotated
}  // namespace locuskit
