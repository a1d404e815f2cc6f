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

/// Circumradius bound of a w x h box (|w|, |h|) for detectron2's arithmetic: half the diagonal
/// <= (w + h) / 2, widened by detectron2's tolerances (its corner test accepts points ~1e-5 / side
/// beyond an edge, and its float32 corners are off by ~1e-7 relative). +inf for a zero side, NaN
/// for NaN. The one formula RotatedIoU (detectron2 mode) and box_iou_rotated share.
LOCUSKIT_HOST_DEVICE inline double detectron2_reach_radius(double w, double h) noexcept {
  return 0.5 * (w + h) * (1.0 + 1e-4) + 2e-5 / (w < h ? w : h);
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

}  // namespace rotated

namespace detail {
namespace rotated {
/// The clipping step of rotated_overlap: the subject box (pose in double) expressed in the frame of
/// the window box, whose angle's cos/sin (`cw`, `sw`: sin already signed by the convention) are
/// given, clipped to the window; the area, capped at `smaller` (the window's area).
LOCUSKIT_HOST_DEVICE inline double window_clip_area(double win_cx, double win_cy, double win_angle, double win_w,
                                                    double win_h, double cw, double sw, double sub_cx, double sub_cy,
                                                    double sub_angle, double sub_w, double sub_h, bool deg,
                                                    double sign, double smaller) noexcept {
  // Subject pose in the window's frame: centre offset rotated by −φ_win, relative angle φ_sub − φ_win.
  double cr, sr;
  locuskit::rotated::angle_cos_sin(sub_angle - win_angle, deg, &cr, &sr);
  sr *= sign;
  const double dx = sub_cx - win_cx;
  const double dy = sub_cy - win_cy;
  const double ox = cw * dx + sw * dy, oy = cw * dy - sw * dx;

  const double hw = 0.5 * sub_w, hh = 0.5 * sub_h;
  const double ax = cr * hw, ay = sr * hw, bx = -sr * hh, by = cr * hh;
  double poly[2 * polygon_capacity], tmp[2 * polygon_capacity];
  // Counter-clockwise (y up) local order (+,+), (−,+), (−,−), (+,−).
  poly[0] = ox + ax + bx, poly[1] = oy + ay + by;
  poly[2] = ox - ax + bx, poly[3] = oy - ay + by;
  poly[4] = ox - ax - bx, poly[5] = oy - ay - by;
  poly[6] = ox + ax - bx, poly[7] = oy + ay - by;
  const double wx = 0.5 * win_w, wy = 0.5 * win_h;
  int n = clip_by_axis(poly, 4, tmp, 0, wx, true);
  if (n >= 3) n = clip_by_axis(tmp, n, poly, 0, -wx, false);
  if (n >= 3) n = clip_by_axis(poly, n, tmp, 1, wy, true);
  if (n >= 3) n = clip_by_axis(tmp, n, poly, 1, -wy, false);
  if (n < 3) return 0.0;
  const double inter = 0.5 * std::fabs(twice_signed_area(poly, n));
  // The clipped polygon cannot exceed the window; rounding must not make it (IoU stays <= 1).
  return inter < smaller ? inter : smaller;
}
}  // namespace rotated
}  // namespace detail

namespace rotated {

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
  // Disjoint circumcircles: no overlap, and no trigonometry needed (most pairs of a dense matrix).
  // The margin keeps the test conservative under rounding; touching circles have zero overlap.
  {
    const double dx = static_cast<double>(b[0]) - static_cast<double>(a[0]);
    const double dy = static_cast<double>(b[1]) - static_cast<double>(a[1]);
    const double d2 = dx * dx + dy * dy;
    const double loose = 0.5 * ((wa + ha) + (wb + hb));  // >= the circumradii's sum, no sqrt
    if (d2 > loose * loose * (1.0 + 1e-9)) return r;
    const double reach = 0.5 * (std::sqrt(wa * wa + ha * ha) + std::sqrt(wb * wb + hb * hb));
    if (d2 > reach * reach * (1.0 + 1e-9)) return r;
  }
  // The window is the smaller box: the clipped polygon then lives at the window's scale.
  const bool a_is_window = r.area_a <= r.area_b;
  const T* win = a_is_window ? a : b;
  const T* sub = a_is_window ? b : a;
  const bool deg = uses_degrees(convention);
  const double sign = rotation_sign(convention);
  double cw, sw;
  angle_cos_sin(static_cast<double>(win[4]), deg, &cw, &sw);
  sw *= sign;
  r.intersection = detail::rotated::window_clip_area(
      static_cast<double>(win[0]), static_cast<double>(win[1]), static_cast<double>(win[4]),
      a_is_window ? wa : wb, a_is_window ? ha : hb, cw, sw, static_cast<double>(sub[0]),
      static_cast<double>(sub[1]), static_cast<double>(sub[4]), a_is_window ? wb : wa, a_is_window ? hb : ha,
      deg, sign, a_is_window ? r.area_a : r.area_b);
  return r;
}

/// A rotated box prepared once for many exact pair tests (the pairwise kernels): its pose in
/// double, |w| and |h|, the cos and signed sin of its angle (the bits rotated_overlap computes per
/// pair), its area and its circumradius, slightly enlarged (+inf for a zero-area box, NaN for a
/// NaN box, so that the rejection tests never drop such a pair).
struct PreparedBox {
  double cx, cy, w, h, angle, cos, sin, area, radius;
};

template <class T>
LOCUSKIT_HOST_DEVICE inline PreparedBox prepare_box(const T* box, AngleConvention convention) noexcept {
  PreparedBox p;
  p.cx = static_cast<double>(box[0]), p.cy = static_cast<double>(box[1]);
  p.w = std::fabs(static_cast<double>(box[2])), p.h = std::fabs(static_cast<double>(box[3]));
  p.angle = static_cast<double>(box[4]);
  angle_cos_sin(p.angle, uses_degrees(convention), &p.cos, &p.sin);
  p.sin *= rotation_sign(convention);
  p.area = p.w * p.h;
  p.radius = 0.5 * std::sqrt(p.w * p.w + p.h * p.h) * (1.0 + 1e-9);
  if (!(p.area > 0.0)) p.radius = p.area == p.area ? HUGE_VAL : p.area;
  return p;
}

/// False only when prepared boxes `a`, `b` are certainly apart (then their intersection is 0):
/// disjoint circumcircles, or a separating axis among the four edge normals with a gap above
/// 1e-9 of the boxes' size (far above rounding), so touching boxes go on to the exact clip.
LOCUSKIT_HOST_DEVICE inline bool may_overlap(const PreparedBox& a, const PreparedBox& b) noexcept {
  const double dx = b.cx - a.cx, dy = b.cy - a.cy;
  const double reach = a.radius + b.radius;
  if (dx * dx + dy * dy > reach * reach) return false;
  // Separating-axis test on a's and b's edge directions u = (cos, sin), v = (−sin, cos).
  const double c = std::fabs(a.cos * b.cos + a.sin * b.sin);  // |u_a·u_b| = |v_a·v_b|
  const double s = std::fabs(a.sin * b.cos - a.cos * b.sin);  // |u_a·v_b| = |v_a·u_b|
  const double margin = 1e-9 * reach;
  const double aw = 0.5 * a.w, ah = 0.5 * a.h, bw = 0.5 * b.w, bh = 0.5 * b.h;
  if (std::fabs(dx * a.cos + dy * a.sin) > aw + bw * c + bh * s + margin) return false;
  if (std::fabs(dy * a.cos - dx * a.sin) > ah + bw * s + bh * c + margin) return false;
  if (std::fabs(dx * b.cos + dy * b.sin) > bw + aw * c + ah * s + margin) return false;
  if (std::fabs(dy * b.cos - dx * b.sin) > bh + aw * s + ah * c + margin) return false;
  return true;
}

/// rotated_overlap of two prepared boxes (the same convention): the same bits as
/// `rotated_overlap(a_row, b_row, convention)` where it clips, and 0 where may_overlap() rules the
/// pair out; the window's trigonometry comes from the prepared box instead of a per-pair call.
LOCUSKIT_HOST_DEVICE inline Overlap rotated_overlap(const PreparedBox& a, const PreparedBox& b,
                                                    AngleConvention convention) noexcept {
  Overlap r{0.0, a.area, b.area};
  if (!(r.area_a > 0.0) || !(r.area_b > 0.0)) {
    if (r.area_a != r.area_a || r.area_b != r.area_b) r.intersection = r.area_a + r.area_b;  // NaN
    return r;
  }
  if (!may_overlap(a, b)) return r;
  const bool a_is_window = r.area_a <= r.area_b;
  const PreparedBox& win = a_is_window ? a : b;
  const PreparedBox& sub = a_is_window ? b : a;
  r.intersection = detail::rotated::window_clip_area(win.cx, win.cy, win.angle, win.w, win.h, win.cos, win.sin,
                                                     sub.cx, sub.cy, sub.angle, sub.w, sub.h,
                                                     uses_degrees(convention), rotation_sign(convention), win.area);
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

/// True when the polygon (x y pairs) turns one way only (collinear and repeated vertices allowed).
template <class T>
LOCUSKIT_HOST_DEVICE inline bool is_convex_polygon(const T* xy, int n) noexcept {
  int sign = 0;
  for (int i = 0; i < n; ++i) {
    const T* a = xy + 2 * i;
    const T* b = xy + 2 * ((i + 1) % n);
    const T* c = xy + 2 * ((i + 2) % n);
    const double cr = (static_cast<double>(b[0]) - a[0]) * (static_cast<double>(c[1]) - b[1]) -
                      (static_cast<double>(b[1]) - a[1]) * (static_cast<double>(c[0]) - b[0]);
    const int s = (cr > 0) - (cr < 0);
    if (s != 0) {
      if (sign != 0 && s != sign) return false;
      sign = s;
    }
  }
  return true;
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

/// IoU of two polygons (x y pairs, either orientation, at most 8 vertices each) as DOTA_devkit's
/// `polyiou.iou_poly`: inter / (area_p + area_q - inter), double. The intersection is exact for
/// convex polygons; when one is not convex the convex one clips the other (Sutherland–Hodgman keeps
/// a concave subject's area right); two non-convex polygons are clipped as given (approximate).
/// `degenerate` when the union is 0 (polyiou gives NaN there).
template <class T>
LOCUSKIT_HOST_DEVICE inline double polygon_iou(const T* p, int n, const T* q, int m, double degenerate = 0.0) noexcept {
  const double area_p = polygon_area(p, n), area_q = polygon_area(q, m);
  const double inter = is_convex_polygon(q, m) ? convex_polygon_intersection_area(p, n, q, m)
                                               : convex_polygon_intersection_area(q, m, p, n);
  const double uni = (area_p + area_q) - inter;
  return uni == 0.0 ? degenerate : inter / uni;
}

}  // namespace rotated
}  // namespace locuskit
