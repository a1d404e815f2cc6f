// Greedy 3D NMS (box3d/nms3d.hpp): kept sets that follow from the oracle IoUs of iou3d/cases.json
// (same_ground_shift: 0.6; stacked_touch: BEV 1, 3D 0).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <locuskit/box3d/nms3d.hpp>

using namespace locuskit;

TEST_CASE("nms3d: 3D vs BEV IoU, strict >, selection order, ties and NaN scores") {
  const std::vector<double> boxes = {
      0, 0, 0, 4, 2, 1.5, 0,    // 0
      1, 0, 0, 4, 2, 1.5, 0,    // 1: IoU 0.6 with 0 (3D and BEV)
      50, 0, 0, 4, 2, 1.5, 0,   // 2: far away
      0, 0, 1.5, 4, 2, 1.5, 0,  // 3: stacked on 0: BEV IoU 1, 3D IoU 0 (touching faces)
  };
  const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6};
  using V = std::vector<std::int64_t>;
  CHECK(nms3d(boxes.data(), scores.data(), 4, Box3dConvention::lidar, 0.5, false) == V{0, 2, 3});
  CHECK(nms3d(boxes.data(), scores.data(), 4, Box3dConvention::lidar, 0.5, true) == V{0, 2});
  CHECK(nms3d(boxes.data(), scores.data(), 4, Box3dConvention::lidar, 0.7, false) == V{0, 1, 2, 3});
  // IoU 1 is not > 1: nothing is suppressed at threshold 1
  CHECK(nms3d(boxes.data(), scores.data(), 4, Box3dConvention::lidar, 1.0, true) == V{0, 1, 2, 3});
  const std::vector<double> ties = {0.5, 0.5, std::numeric_limits<double>::quiet_NaN(), 0.5};
  CHECK(nms3d(boxes.data(), ties.data(), 4, Box3dConvention::lidar, 0.5, true) == V{0, 2});
  const std::vector<double> nan_first = {std::numeric_limits<double>::quiet_NaN(), 0.1, 0.2, 0.3};
  CHECK(nms3d(boxes.data(), nan_first.data(), 4, Box3dConvention::lidar, 0.5, false) == V{3, 2, 1});
  CHECK(nms3d(boxes.data(), scores.data(), 0, Box3dConvention::lidar, 0.5, false).empty());
}

namespace {
// The greedy rule written out directly (torchvision's suppressed-flag loop over every later pair,
// no circumcircle test): the oracle of the engine-based nms3d.
template <class T>
std::vector<std::int64_t> nms3d_loop(const std::vector<T>& boxes, const std::vector<T>& scores,
                                     Box3dConvention convention, double thr, bool bev) {
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  std::vector<char> removed(n, 0);
  std::vector<std::int64_t> keep;
  for (std::size_t p = 0; p < n; ++p) {
    if (removed[p]) continue;
    keep.push_back(std::int64_t(order[p]));
    for (std::size_t q = p + 1; q < n; ++q) {
      const T* a = boxes.data() + 7 * order[p];
      const T* b = boxes.data() + 7 * order[q];
      const double iou = bev ? box3d_iou_bev_pair(a, b, convention) : box3d_iou_pair(a, b, convention);
      if (iou > thr) removed[q] = 1;
    }
  }
  return keep;
}
}  // namespace

TEST_CASE_TEMPLATE("nms3d on the NMS engine (Box3dIoU) equals the plain greedy loop", T, float, double) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> pos(0, 30), len(0.5, 6), yaw(-3.2, 3.2), z(-1, 1);
  std::uniform_int_distribution<int> tie(0, 9);
  for (int round = 0; round < 8; ++round) {
    const std::size_t n = 40 + 25 * std::size_t(round);
    std::vector<T> boxes, scores;
    for (std::size_t i = 0; i < n; ++i) {
      boxes.insert(boxes.end(), {T(pos(rng)), T(pos(rng)), T(z(rng)), T(len(rng)), T(len(rng)), T(len(rng) / 2),
                                 T(yaw(rng))});
      scores.push_back(T(tie(rng)) / T(10));  // many ties: the stable order decides
    }
    for (auto convention : {Box3dConvention::lidar, Box3dConvention::kitti_camera})
      for (bool bev : {true, false})
        for (double thr : {0.1, 0.5}) {
          CAPTURE(bev);
          CAPTURE(thr);
          CHECK(nms3d(boxes.data(), scores.data(), n, convention, thr, bev) ==
                nms3d_loop(boxes, scores, convention, thr, bev));
        }
  }
}

TEST_CASE("nms3d: zero-size boxes have IoU 0, as in every NMS variant (a negative threshold suppresses them)") {
  const std::vector<double> boxes = {1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 40, 40, 0, 2, 2, 2, 0};
  const std::vector<double> scores = {0.9, 0.8, 0.7};
  using V = std::vector<std::int64_t>;
  CHECK(nms3d(boxes.data(), scores.data(), 3, Box3dConvention::lidar, 0.0, true) == V{0, 1, 2});
  // Overlap 0 > -0.5: every later box goes, the far one included (it has IoU 0 too).
  CHECK(nms3d(boxes.data(), scores.data(), 3, Box3dConvention::lidar, -0.5, true) == V{0});
}
