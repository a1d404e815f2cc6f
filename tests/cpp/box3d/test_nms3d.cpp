// Greedy 3D NMS (box3d/nms3d.hpp): kept sets that follow from the oracle IoUs of iou3d/cases.json
// (same_ground_shift: 0.6; stacked_touch: BEV 1, 3D 0).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
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
