#pragma once
/// \file iou3d.hpp
/// Bird's-eye-view and 3D IoU of yaw-only 3D boxes `(x, y, z, l, w, h, yaw)` (conventions in
/// boxes3d.hpp), one pair and pairwise.
///
/// Exact mode: the BEV rectangles are intersected by the rotated-box geometry's exact convex
/// clipping (rotated/geometry.hpp, double arithmetic whatever T is: the smaller rectangle is the
/// clipping window in its own frame, so identical boxes, shared faces, coplanar faces and nested
/// boxes come out exact up to the rounding of the corner offsets); the 3D intersection is the BEV
/// intersection area times the overlap of the vertical extents. Against the exact oracle of
/// shared/reference/oriented/iou3d: within 1e-12 relative on every yaw-only case, including touching
/// and coplanar faces, boxes 1e6 m from the origin and yaw wraps (tests/cpp/box3d/test_iou3d.cpp).
/// Peers: OpenPCDet `boxes_iou_bev` / `boxes_iou3d_gpu` (float32, 1 cm corner margin, no
/// recentring), pytorch3d `box3d_overlap` (general orientation, float32, fails on far boxes) —
/// docs/box3d.md lists where they differ.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "../parallel.hpp"
#include "../rotated/geometry.hpp"
#include "boxes3d.hpp"

namespace locuskit {

/// Areas and volumes of one pair, in double.
struct Box3dOverlap {
  double bev_intersection = 0;  ///< area of the BEV intersection
  double intersection = 0;      ///< volume of the 3D intersection
  double area_a = 0, area_b = 0;    ///< BEV areas l·w
  double volume_a = 0, volume_b = 0;  ///< l·w·h
};

/// The BEV rectangle (centre, l, w, angle) of a box and the angle convention that reads it.
template <class T>
LOCUSKIT_HOST_DEVICE inline rotated::AngleConvention box3d_bev(const T* box, Box3dConvention convention, double* out) noexcept {
  // LiDAR: rectangle in (x, y), corner (x + c·u − s·v, y + s·u + c·v) = R(+yaw).
  // KITTI camera: rectangle in (x, z), corner (x + c·u + s·v, z − s·u + c·v) = R(−yaw).
  const bool lidar = convention == Box3dConvention::lidar;
  out[0] = box[0], out[1] = lidar ? box[1] : box[2], out[2] = box[3], out[3] = box[4], out[4] = box[6];
  return lidar ? rotated::AngleConvention::radians_cw : rotated::AngleConvention::radians_ccw;
}

/// Vertical extent [lo, hi] of a box along its convention's up/down axis.
template <class T>
LOCUSKIT_HOST_DEVICE inline void box3d_vertical(const T* box, Box3dConvention convention, double* lo, double* hi) noexcept {
  const double h = std::fabs(double(box[5]));
  if (convention == Box3dConvention::lidar) {
    *lo = double(box[2]) - h / 2, *hi = double(box[2]) + h / 2;
  } else {  // y points down and is the bottom face: the box spans [y - h, y]
    *lo = double(box[1]) - h, *hi = double(box[1]);
  }
}

/// BEV and 3D overlap of boxes `a`, `b` (7 scalars each), exact mode. Sizes enter by absolute
/// value; a box of zero size intersects nothing. O(1), thread-safe.
template <class T>
LOCUSKIT_HOST_DEVICE inline Box3dOverlap box3d_overlap(const T* a, const T* b, Box3dConvention convention) noexcept {
  double ra[5], rb[5];
  const rotated::AngleConvention ac = box3d_bev(a, convention, ra);
  box3d_bev(b, convention, rb);
  const rotated::Overlap o = rotated::rotated_overlap(ra, rb, ac);
  Box3dOverlap r;
  r.bev_intersection = o.intersection;
  r.area_a = o.area_a, r.area_b = o.area_b;
  double alo, ahi, blo, bhi;
  box3d_vertical(a, convention, &alo, &ahi);
  box3d_vertical(b, convention, &blo, &bhi);
  r.volume_a = o.area_a * (ahi - alo), r.volume_b = o.area_b * (bhi - blo);
  const double dz = std::min(ahi, bhi) - std::max(alo, blo);
  r.intersection = dz > 0 && o.intersection > 0 ? o.intersection * dz : 0.0;
  return r;
}

/// BEV IoU of one pair: bev_intersection / (area_a + area_b − bev_intersection); 0 when the union
/// is 0.
template <class T>
LOCUSKIT_HOST_DEVICE inline double box3d_iou_bev_pair(const T* a, const T* b, Box3dConvention convention) noexcept {
  const Box3dOverlap o = box3d_overlap(a, b, convention);
  const double u = (o.area_a + o.area_b) - o.bev_intersection;
  return u > 0 ? o.bev_intersection / u : 0.0;
}

/// 3D IoU of one pair: intersection / (volume_a + volume_b − intersection); 0 when the union is 0.
template <class T>
LOCUSKIT_HOST_DEVICE inline double box3d_iou_pair(const T* a, const T* b, Box3dConvention convention) noexcept {
  const Box3dOverlap o = box3d_overlap(a, b, convention);
  const double u = (o.volume_a + o.volume_b) - o.intersection;
  return u > 0 ? o.intersection / u : 0.0;
}

/// Pairwise IoU, out (N, M) row-major, rounded once to T. `bev` selects the BEV IoU instead of 3D.
/// Rows in parallel (`par`); results independent of the thread count. O(N·M).
template <class T>
void box3d_iou(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, Box3dConvention convention, bool bev,
               T* out, Parallel par = {}) {
  parallel_for(n, std::max<std::size_t>(1, 4096 / (m + 1)), par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      for (std::size_t j = 0; j < m; ++j) {
        const T* p = boxes_a + 7 * i;
        const T* q = boxes_b + 7 * j;
        out[i * m + j] = T(bev ? box3d_iou_bev_pair(p, q, convention) : box3d_iou_pair(p, q, convention));
      }
  });
}

}  // namespace locuskit
