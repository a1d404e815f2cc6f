// 3D box conventions (box3d/boxes3d.hpp): corners and LiDAR <-> KITTI camera, against the values
// stored in shared/reference/oriented/iou3d/cases.json (case "identical", written by the fixture
// generator from OpenPCDet's rule, not by locuskit).
#include <doctest/doctest.h>

#include <cmath>

#include <locuskit/box3d/boxes3d.hpp>

using namespace locuskit;

TEST_CASE_TEMPLATE("boxes3d: corners in pytorch3d order (LiDAR)", T, float, double) {
  const T box[7] = {10, 2, T(-0.8), T(3.9), T(1.6), T(1.5), T(0.4)};
  const double expected[8][3] = {
      {8.515465735541294, 0.5037854372958233, -1.55}, {12.107603612152545, 2.0225169722995604, -1.55},
      {11.484534264458706, 3.4962145627041767, -1.55}, {7.892396387847454, 1.9774830277004396, -1.55},
      {8.515465735541294, 0.5037854372958233, -0.05}, {12.107603612152545, 2.0225169722995604, -0.05},
      {11.484534264458706, 3.4962145627041767, -0.05}, {7.892396387847454, 1.9774830277004396, -0.05}};
  T c[24];
  box3d_corners(box, Box3dConvention::lidar, c);
  const double tol = sizeof(T) == 4 ? 2e-6 : 1e-13;
  for (int k = 0; k < 8; ++k)
    for (int d = 0; d < 3; ++d) CHECK(std::abs(double(c[3 * k + d]) - expected[k][d]) < tol * 20);
}

TEST_CASE("boxes3d: LiDAR -> KITTI camera (OpenPCDet rule) and back; camera corners are the same points") {
  const double lidar[7] = {10, 2, -0.8, 3.9, 1.6, 1.5, 0.4};
  // fixture box1_kitti_camera (x, y, z, l, h, w, ry) = (-2, 1.55, 10, 3.9, 1.5, 1.6, -1.9707963267948965)
  double cam[7];
  box3d_lidar_to_camera(lidar, LidarToCamera{}, cam);
  CHECK(cam[0] == doctest::Approx(-2).epsilon(1e-15));
  CHECK(cam[1] == doctest::Approx(1.55).epsilon(1e-15));
  CHECK(cam[2] == doctest::Approx(10).epsilon(1e-15));
  CHECK(cam[3] == 3.9);
  CHECK(cam[4] == 1.6);
  CHECK(cam[5] == 1.5);
  CHECK(cam[6] == doctest::Approx(-1.9707963267948965).epsilon(1e-15));
  double back[7];
  box3d_camera_to_lidar(cam, LidarToCamera{}, back);
  for (int i = 0; i < 7; ++i) CHECK(back[i] == doctest::Approx(lidar[i]).epsilon(1e-14));
  // Corners of the camera box, mapped back to LiDAR axes (x_l = z_c, y_l = -x_c, z_l = -y_c), equal
  // the LiDAR corners in the same order.
  double cl[24], cc[24];
  box3d_corners(lidar, Box3dConvention::lidar, cl);
  box3d_corners(cam, Box3dConvention::kitti_camera, cc);
  for (int k = 0; k < 8; ++k) {
    CHECK(cc[3 * k + 2] == doctest::Approx(cl[3 * k]).epsilon(1e-13));
    CHECK(-cc[3 * k] == doctest::Approx(cl[3 * k + 1]).epsilon(1e-13));
    CHECK(-cc[3 * k + 1] == doctest::Approx(cl[3 * k + 2]).epsilon(1e-13));
  }
}

TEST_CASE("boxes3d: a calibration with a translation round-trips") {
  LidarToCamera calib;
  const double c = std::cos(0.01), s = std::sin(0.01);
  // a small rotation about the camera y axis after the axis permutation, plus an offset
  const double perm[9] = {0, -1, 0, 0, 0, -1, 1, 0, 0};
  const double ry[9] = {c, 0, s, 0, 1, 0, -s, 0, c};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double v = 0;
      for (int k = 0; k < 3; ++k) v += ry[3 * i + k] * perm[3 * k + j];
      calib.r[3 * i + j] = v;
    }
  calib.t[0] = 0.27, calib.t[1] = -0.08, calib.t[2] = -0.06;
  const double lidar[7] = {25.5, -4.25, -1.1, 4.2, 1.8, 1.6, -2.7};
  double cam[7], back[7];
  box3d_lidar_to_camera(lidar, calib, cam);
  box3d_camera_to_lidar(cam, calib, back);
  for (int i = 0; i < 7; ++i) CHECK(back[i] == doctest::Approx(lidar[i]).epsilon(1e-13));
}
