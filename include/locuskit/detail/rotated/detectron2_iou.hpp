#pragma once
/// \file detail/rotated/detectron2_iou.hpp
/// detectron2's rotated IoU arithmetic (`box_iou_rotated_utils.h`, commit 02b5c4e), re-derived from
/// its documented algorithm so that every rounding happens in the same order: the compatibility
/// mode of rotated::rotated_iou_detectron2. Written for this project; see
/// shared/notes/oriented-and-3d-semantics.md §2 for the algorithm and its known failures (absolute
/// tolerances that break boxes below ~1e-2, IoU slightly above 1 for near-identical boxes).
#include <cmath>

#include "../../config.hpp"

namespace locuskit {
namespace detail {
namespace rotated {

template <class T>
struct D2Point {
  T x, y;
};

template <class T>
LOCUSKIT_HOST_DEVICE inline D2Point<T> d2_sub(D2Point<T> a, D2Point<T> b) noexcept {
  return {a.x - b.x, a.y - b.y};
}
template <class T>
LOCUSKIT_HOST_DEVICE inline T d2_cross(D2Point<T> a, D2Point<T> b) noexcept {
  return a.x * b.y - b.x * a.y;
}
template <class T>
LOCUSKIT_HOST_DEVICE inline T d2_dot(D2Point<T> a, D2Point<T> b) noexcept {
  return a.x * b.x + a.y * b.y;
}

/// Corners in detectron2's order; the angle is converted with its truncated constant.
template <class T>
LOCUSKIT_HOST_DEVICE inline void d2_corners(T cx, T cy, T w, T h, T angle_deg, D2Point<T> (&p)[4]) noexcept {
  const double theta = static_cast<double>(angle_deg) * 0.01745329251;
  const T half_cos = static_cast<T>(std::cos(theta)) * T(0.5f);
  const T half_sin = static_cast<T>(std::sin(theta)) * T(0.5f);
  p[0].x = cx + half_sin * h + half_cos * w;
  p[0].y = cy + half_cos * h - half_sin * w;
  p[1].x = cx - half_sin * h + half_cos * w;
  p[1].y = cy - half_cos * h - half_sin * w;
  p[2].x = T(2) * cx - p[0].x;
  p[2].y = T(2) * cy - p[0].y;
  p[3].x = T(2) * cx - p[1].x;
  p[3].y = T(2) * cy - p[1].y;
}

/// Appends the corners of `pts` that pass detectron2's projection test against rectangle `rect`
/// (absolute tolerance 1e-5 in squared length units).
template <class T>
LOCUSKIT_HOST_DEVICE inline int d2_corners_inside(const D2Point<T> (&pts)[4], const D2Point<T> (&rect)[4],
                                                  const D2Point<T> (&rect_edge)[4], D2Point<T>* out,
                                                  int count) noexcept {
  const double eps = 1e-5;
  const D2Point<T> ab = rect_edge[0], da = rect_edge[3];
  const T ab_ab = d2_dot(ab, ab), ad_ad = d2_dot(da, da);
  for (int i = 0; i < 4; ++i) {
    const D2Point<T> ap = d2_sub(pts[i], rect[0]);
    const T ap_ab = d2_dot(ap, ab);
    const T ap_ad = -d2_dot(ap, da);
    if (ap_ab > -eps && ap_ad > -eps && ap_ab < ab_ab + eps && ap_ad < ad_ad + eps) out[count++] = pts[i];
  }
  return count;
}

/// Intersection area by detectron2's method: 16 edge crossings + mutually inside corners, Graham
/// scan with its exchange sort, fan area. Boxes already recentred.
template <class T>
LOCUSKIT_HOST_DEVICE inline T d2_intersection(const T* b1, const T* b2) noexcept {
  D2Point<T> p1[4], p2[4];
  d2_corners(b1[0], b1[1], b1[2], b1[3], b1[4], p1);
  d2_corners(b2[0], b2[1], b2[2], b2[3], b2[4], p2);
  D2Point<T> e1[4], e2[4];
  for (int i = 0; i < 4; ++i) {
    e1[i] = d2_sub(p1[(i + 1) % 4], p1[i]);
    e2[i] = d2_sub(p2[(i + 1) % 4], p2[i]);
  }
  const double eps = 1e-5;
  D2Point<T> pts[24];
  int n = 0;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const T det = d2_cross(e2[j], e1[i]);
      if (std::fabs(det) <= 1e-14) continue;  // parallel edges
      const D2Point<T> d = d2_sub(p2[j], p1[i]);
      const T t1 = d2_cross(e2[j], d) / det;
      const T t2 = d2_cross(e1[i], d) / det;
      if (t1 > -eps && t1 < 1.0f + eps && t2 > -eps && t2 < 1.0f + eps)
        pts[n++] = {p1[i].x + e1[i].x * t1, p1[i].y + e1[i].y * t1};
    }
  }
  n = d2_corners_inside(p1, p2, e2, pts, n);
  n = d2_corners_inside(p2, p1, e1, pts, n);
  if (n <= 2) return T(0);

  // Graham scan around the lowest (then leftmost) point, in coordinates relative to it.
  int start = 0;
  for (int i = 1; i < n; ++i)
    if (pts[i].y < pts[start].y || (pts[i].y == pts[start].y && pts[i].x < pts[start].x)) start = i;
  D2Point<T> q[24];
  T dist[24];
  for (int i = 0; i < n; ++i) q[i] = d2_sub(pts[i], pts[start]);
  const D2Point<T> swap_tmp = q[0];
  q[0] = q[start];
  q[start] = swap_tmp;
  for (int i = 0; i < n; ++i) dist[i] = d2_dot(q[i], q[i]);
  for (int i = 1; i < n - 1; ++i) {
    for (int j = i + 1; j < n; ++j) {
      const T c = d2_cross(q[i], q[j]);
      if (c < -1e-6 || (std::fabs(c) < 1e-6 && dist[i] > dist[j])) {
        const D2Point<T> tq = q[i];
        q[i] = q[j];
        q[j] = tq;
        const T td = dist[i];
        dist[i] = dist[j];
        dist[j] = td;
      }
    }
  }
  for (int i = 0; i < n; ++i) dist[i] = d2_dot(q[i], q[i]);
  int k = 1;
  while (k < n && !(dist[k] > 1e-8)) ++k;
  if (k == n) return T(0);  // every point at the start point
  q[1] = q[k];
  int m = 2;
  for (int i = k + 1; i < n; ++i) {
    while (m > 1) {
      const D2Point<T> u = d2_sub(q[i], q[m - 2]), v = d2_sub(q[m - 1], q[m - 2]);
      // Two separately rounded products (no fused multiply-add), as detectron2 compares them.
      if (u.x * v.y >= v.x * u.y)
        --m;
      else
        break;
    }
    q[m++] = q[i];
  }
  if (m <= 2) return T(0);
  T area = T(0);
  for (int i = 1; i < m - 1; ++i) area += std::fabs(d2_cross(d2_sub(q[i], q[0]), d2_sub(q[i + 1], q[0])));
  return static_cast<T>(area / 2.0);
}

/// detectron2's `single_box_iou_rotated<T>`: boxes (cx, cy, w, h, angle_deg).
template <class T>
LOCUSKIT_HOST_DEVICE inline T d2_iou(const T* a, const T* b) noexcept {
  const double shift_x = (a[0] + b[0]) / 2.0, shift_y = (a[1] + b[1]) / 2.0;
  const T ra[5] = {static_cast<T>(a[0] - shift_x), static_cast<T>(a[1] - shift_y), a[2], a[3], a[4]};
  const T rb[5] = {static_cast<T>(b[0] - shift_x), static_cast<T>(b[1] - shift_y), b[2], b[3], b[4]};
  const T area_a = ra[2] * ra[3], area_b = rb[2] * rb[3];
  if (area_a < 1e-14 || area_b < 1e-14) return T(0);
  const T inter = d2_intersection(ra, rb);
  return inter / (area_a + area_b - inter);
}

}  // namespace rotated
}  // namespace detail
}  // namespace locuskit
