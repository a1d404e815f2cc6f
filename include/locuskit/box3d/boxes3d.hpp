#pragma once
/// \file boxes3d.hpp
/// 3D boxes with a yaw: 7 scalars `(x, y, z, l, w, h, yaw)` in one of two conventions, their 8
/// corners, and the conversion between the conventions.
///
/// | convention     | frame                                   | (x, y, z) is         | yaw                                   | corner of local (u along l, v along w, t along h) |
/// |----------------|-----------------------------------------|----------------------|---------------------------------------|----------------------------------------------------|
/// | `lidar`        | x forward, y left, z up (OpenPCDet)     | the box centre       | heading, CCW from +x seen from above  | (x + c·u − s·v, y + s·u + c·v, z + t)              |
/// | `kitti_camera` | x right, y down, z forward (KITTI rect) | the bottom-face centre | rotation_y about +y (KITTI label_2) | (x + c·u + s·v, y − h/2 + t, z − s·u + c·v)        |
///
/// with u ∈ ±l/2, v ∈ ±w/2, t ∈ ±h/2, c = cos(yaw), s = sin(yaw). The column order is the same in
/// both conventions (KITTI label files write h w l; OpenPCDet's camera boxes are (x, y, z, l, h, w,
/// ry); OpenPCDet's LiDAR boxes (x, y, z, dx, dy, dz, heading) are exactly `lidar`).
/// Corners come in pytorch3d's `box3d_overlap` order: 0-3 the bottom face counter-clockwise seen from
/// above ((−u, −v), (+u, −v), (+u, +v), (−u, +v)), 4-7 the top face above 0-3.
/// All functions are thread-safe, allocation-free and O(1) per box; arithmetic in double.
#include <cmath>

#include "../config.hpp"

namespace locuskit {

/// Which frame a 7-column 3D box lives in (see the table in this header).
enum class Box3dConvention { lidar = 0, kitti_camera = 1 };

/// A rigid map from LiDAR to rectified camera coordinates, p_cam = R p_lidar + t (row-major R).
/// KITTI: R|t = R0_rect · Tr_velo_to_cam. The default is the pure axis permutation
/// (x_c = −y_l, y_c = −z_l, z_c = x_l) that OpenPCDet's rule reduces to without calibration.
struct LidarToCamera {
  double r[9] = {0, -1, 0, 0, 0, -1, 1, 0, 0};
  double t[3] = {0, 0, 0};
};

/// The 8 corners (24 scalars, x y z per corner, order in the file comment) of `box`.
template <class T>
LOCUSKIT_HOST_DEVICE inline void box3d_corners(const T* box, Box3dConvention convention, T* out) noexcept {
  const double x = box[0], y = box[1], z = box[2], l = box[3], w = box[4], h = box[5];
  const double c = std::cos(double(box[6])), s = std::sin(double(box[6]));
  const double us[4] = {-l / 2, l / 2, l / 2, -l / 2}, vs[4] = {-w / 2, -w / 2, w / 2, w / 2};
  for (int k = 0; k < 8; ++k) {
    const double u = us[k & 3], v = vs[k & 3];
    T* p = out + 3 * k;
    if (convention == Box3dConvention::lidar) {
      const double t = k < 4 ? -h / 2 : h / 2;
      p[0] = T(x + (c * u - s * v)), p[1] = T(y + (s * u + c * v)), p[2] = T(z + t);
    } else {
      // y points down: the bottom face is at y, the top at y - h.
      p[0] = T(x + (c * u + s * v)), p[1] = T(k < 4 ? y : y - h), p[2] = T(z + (-s * u + c * v));
    }
  }
}

/// LiDAR box → KITTI camera box (OpenPCDet `boxes3d_lidar_to_kitti_camera`): the centre through
/// `calib`, then moved down to the bottom face (y += h/2); yaw = −heading − π/2 (the calibration's
/// small rotation is not applied to the yaw, as in OpenPCDet). Sizes unchanged.
template <class T>
LOCUSKIT_HOST_DEVICE inline void box3d_lidar_to_camera(const T* box, const LidarToCamera& calib, T* out) noexcept {
  const double p[3] = {double(box[0]), double(box[1]), double(box[2])};
  double q[3];
  for (int i = 0; i < 3; ++i) q[i] = calib.r[3 * i] * p[0] + calib.r[3 * i + 1] * p[1] + calib.r[3 * i + 2] * p[2] + calib.t[i];
  const double h = box[5];
  out[0] = T(q[0]), out[1] = T(q[1] + h / 2), out[2] = T(q[2]);
  out[3] = box[3], out[4] = box[4], out[5] = box[5];
  out[6] = T(-double(box[6]) - 1.57079632679489661923);
}

/// KITTI camera box → LiDAR box: the inverse of box3d_lidar_to_camera (R is taken as a rotation,
/// R⁻¹ = Rᵀ); heading = −rotation_y − π/2.
template <class T>
LOCUSKIT_HOST_DEVICE inline void box3d_camera_to_lidar(const T* box, const LidarToCamera& calib, T* out) noexcept {
  const double h = box[5];
  const double q[3] = {double(box[0]) - calib.t[0], double(box[1]) - h / 2 - calib.t[1], double(box[2]) - calib.t[2]};
  for (int i = 0; i < 3; ++i) out[i] = T(calib.r[i] * q[0] + calib.r[3 + i] * q[1] + calib.r[6 + i] * q[2]);
  out[3] = box[3], out[4] = box[4], out[5] = box[5];
  out[6] = T(-double(box[6]) - 1.57079632679489661923);
}

}  // namespace locuskit
