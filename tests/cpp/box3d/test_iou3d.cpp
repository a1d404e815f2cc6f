// BEV and 3D IoU of yaw-only boxes (box3d/iou3d.hpp) against the exact oracle of
// shared/reference/oriented/iou3d/cases.json (rational / 60-digit arithmetic; values copied below
// by a script, camera boxes reordered from the fixture's (x, y, z, l, h, w, ry) to locuskit's
// (x, y, z, l, w, h, ry)). Touching and coplanar faces, yaw wraps, nested and far-away boxes.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <locuskit/box3d/iou3d.hpp>

using namespace locuskit;

namespace {
struct Case {
  const char* id;
  double lidar1[7], lidar2[7], camera1[7], camera2[7];
  double iou3d, iou_bev;
};
const Case kCases[] = {
    {"identical", {10.0, 2.0, -0.8, 3.9, 1.6, 1.5, 0.4}, {10.0, 2.0, -0.8, 3.9, 1.6, 1.5, 0.4}, {-2.0, 1.55, 10.0, 3.9, 1.6, 1.5, -1.9707963267948965}, {-2.0, 1.55, 10.0, 3.9, 1.6, 1.5, -1.9707963267948965}, 1.0, 1.0},
    {"identical_axis", {0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 0.0}, {0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 0.0}, {-0.5, -0.0, 0.5, 1.0, 1.0, 1.0, -1.5707963267948966}, {-0.5, -0.0, 0.5, 1.0, 1.0, 1.0, -1.5707963267948966}, 1.0, 1.0},
    {"same_ground_shift", {0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0}, {1.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0}, {0.0, 0.75, 0.0, 4.0, 2.0, 1.5, -1.5707963267948966}, {0.0, 0.75, 1.0, 4.0, 2.0, 1.5, -1.5707963267948966}, 0.6, 0.6},
    {"same_ground_rot", {0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0}, {0.3, 0.1, 0.0, 3.8, 1.9, 1.5, 0.5}, {0.0, 0.75, 0.0, 4.0, 2.0, 1.5, -1.5707963267948966}, {-0.1, 0.75, 0.3, 3.8, 1.9, 1.5, -2.0707963267948966}, 0.5930382298327858, 0.5930382298327858},
    {"stacked_touch", {0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.0}, {0.0, 0.0, 2.0, 2.0, 2.0, 2.0, 0.0}, {0.0, 1.0, 0.0, 2.0, 2.0, 2.0, -1.5707963267948966}, {0.0, -1.0, 0.0, 2.0, 2.0, 2.0, -1.5707963267948966}, 0.0, 1.0},
    {"side_touch", {0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.0}, {2.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.0}, {0.0, 1.0, 0.0, 2.0, 2.0, 2.0, -1.5707963267948966}, {0.0, 1.0, 2.0, 2.0, 2.0, 2.0, -1.5707963267948966}, 0.0, 0.0},
    {"half_height", {0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.3}, {0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 0.3}, {0.0, 1.0, 0.0, 2.0, 2.0, 2.0, -1.8707963267948966}, {0.0, -0.0, 0.0, 2.0, 2.0, 2.0, -1.8707963267948966}, 0.3333333333333333, 1.0},
    {"nested", {0.0, 0.0, 0.0, 10.0, 6.0, 4.0, 0.2}, {1.0, 1.0, 0.5, 2.0, 1.0, 1.0, 1.1}, {0.0, 2.0, 0.0, 10.0, 6.0, 4.0, -1.7707963267948965}, {-1.0, -0.0, 1.0, 2.0, 1.0, 1.0, -2.6707963267948966}, 0.008333333333333333, 0.03333333333333333},
    {"disjoint_height", {0.0, 0.0, 0.0, 2.0, 2.0, 1.0, 0.0}, {0.0, 0.0, 1.5, 2.0, 2.0, 1.0, 0.0}, {0.0, 0.5, 0.0, 2.0, 2.0, 1.0, -1.5707963267948966}, {0.0, -1.0, 0.0, 2.0, 2.0, 1.0, -1.5707963267948966}, 0.0, 1.0},
    {"yaw_pi", {5.0, -3.0, 0.1, 4.2, 1.7, 1.6, 0.7}, {5.0, -3.0, 0.1, 4.2, 1.7, 1.6, 3.8415926535897933}, {3.0, 0.7000000000000001, 5.0, 4.2, 1.7, 1.6, -2.2707963267948967}, {3.0, 0.7000000000000001, 5.0, 4.2, 1.7, 1.6, -5.41238898038469}, 0.9999999999999998, 0.9999999999999998},
    {"yaw_90_swap", {5.0, -3.0, 0.1, 4.2, 1.7, 1.6, 0.7}, {5.0, -3.0, 0.1, 1.7, 4.2, 1.6, 2.2707963267948967}, {3.0, 0.7000000000000001, 5.0, 4.2, 1.7, 1.6, -2.2707963267948967}, {3.0, 0.7000000000000001, 5.0, 1.7, 4.2, 1.6, -3.8415926535897933}, 0.9999999999999999, 0.9999999999999999},
    {"octagon", {0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.0}, {0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.7853981633974483}, {0.0, 1.0, 0.0, 2.0, 2.0, 2.0, -1.5707963267948966}, {0.0, 1.0, 0.0, 2.0, 2.0, 2.0, -2.356194490192345}, 0.7071067811865476, 0.7071067811865476},
    {"near_identical", {20.0, 5.0, -0.9, 4.0, 1.7, 1.5, 1.2}, {20.01, 5.0, -0.9, 4.0, 1.7, 1.5, 1.21}, {-5.0, 1.65, 20.0, 4.0, 1.7, 1.5, -2.7707963267948967}, {-5.0, 1.65, 20.01, 4.0, 1.7, 1.5, -2.7807963267948965}, 0.9834069321056902, 0.9834069321056902},
    {"pcdet_margin", {0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0}, {4.005, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0}, {0.0, 0.75, 0.0, 4.0, 2.0, 1.5, -1.5707963267948966}, {-0.0, 0.75, 4.005, 4.0, 2.0, 1.5, -1.5707963267948966}, 0.0, 0.0},
    {"far_from_origin", {-24931.98, 40325.34, -254.15, 1.5, 0.8, 0.8, 0.1}, {-24931.98, 40325.34, -254.15, 1.5, 0.8, 0.8, 0.1}, {-40325.34, 254.55, -24931.98, 1.5, 0.8, 0.8, -1.6707963267948966}, {-40325.34, 254.55, -24931.98, 1.5, 0.8, 0.8, -1.6707963267948966}, 1.0, 1.0},
    {"far_from_origin_shift", {-24931.98, 40325.34, -254.15, 1.5, 0.8, 0.8, 0.1}, {-24931.68, 40325.34, -254.15, 1.5, 0.8, 0.8, 0.1}, {-40325.34, 254.55, -24931.98, 1.5, 0.8, 0.8, -1.6707963267948966}, {-40325.34, 254.55, -24931.68, 1.5, 0.8, 0.8, -1.6707963267948966}, 0.627354839704547, 0.627354839704547},
    {"thin", {0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0}, {0.0, 0.0, 0.0, 0.001, 3.0, 1.0, 0.3}, {0.0, 0.75, 0.0, 4.0, 2.0, 1.5, -1.5707963267948966}, {0.0, 0.5, 0.0, 0.001, 3.0, 1.0, -1.8707963267948966}, 0.00017444542240495434, 0.0002616582513386716},
};

void check_close(double got, double exact) {
  // 1e-12 relative (README of the fixtures), 1e-15 absolute for exact zeros
  CHECK(std::abs(got - exact) <= 1e-12 * std::abs(exact) + 1e-15);
}
}  // namespace

TEST_CASE("iou3d: every yaw-only oracle case, LiDAR and KITTI camera conventions, both orders") {
  for (const Case& c : kCases) {
    CAPTURE(c.id);
    check_close(box3d_iou_pair(c.lidar1, c.lidar2, Box3dConvention::lidar), c.iou3d);
    check_close(box3d_iou_pair(c.lidar2, c.lidar1, Box3dConvention::lidar), c.iou3d);
    check_close(box3d_iou_bev_pair(c.lidar1, c.lidar2, Box3dConvention::lidar), c.iou_bev);
    check_close(box3d_iou_pair(c.camera1, c.camera2, Box3dConvention::kitti_camera), c.iou3d);
    check_close(box3d_iou_bev_pair(c.camera2, c.camera1, Box3dConvention::kitti_camera), c.iou_bev);
  }
}

TEST_CASE_TEMPLATE("iou3d: pairwise matrix equals the pair function, any thread count", T, float, double) {
  std::vector<T> a, b;
  for (const Case& c : kCases)
    for (int k = 0; k < 7; ++k) a.push_back(T(c.lidar1[k])), b.push_back(T(c.lidar2[k]));
  const std::size_t n = a.size() / 7;
  std::vector<T> one(n * n), three(n * n);
  box3d_iou(a.data(), n, b.data(), n, Box3dConvention::lidar, false, one.data(), Parallel{1});
  box3d_iou(a.data(), n, b.data(), n, Box3dConvention::lidar, false, three.data(), Parallel{3});
  CHECK(one == three);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      CHECK(one[i * n + j] == T(box3d_iou_pair(&a[7 * i], &b[7 * j], Box3dConvention::lidar)));
}

TEST_CASE("iou3d: zero-size boxes give 0, never NaN") {
  const double a[7] = {0, 0, 0, 0, 2, 2, 0}, b[7] = {0, 0, 0, 2, 2, 2, 0}, z[7] = {0, 0, 0, 0, 0, 0, 0};
  CHECK(box3d_iou_pair(a, b, Box3dConvention::lidar) == 0.0);
  CHECK(box3d_iou_pair(z, z, Box3dConvention::lidar) == 0.0);
  CHECK(box3d_iou_bev_pair(z, z, Box3dConvention::kitti_camera) == 0.0);
}
