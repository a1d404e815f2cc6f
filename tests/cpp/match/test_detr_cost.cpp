#include <locuskit/match/detr_cost.hpp>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("detr_cost_matrix on a hand case") {
  // pred box = gt box (cxcywh (0.5, 0.5, 0.2, 0.2)): L1 0, GIoU 1; class prob 0.7.
  const double probs[2] = {0.3, 0.7};
  const double pred[4] = {0.5, 0.5, 0.2, 0.2};
  const std::int64_t labels[2] = {1, 0};
  const double gt[8] = {0.5, 0.5, 0.2, 0.2, 0.9, 0.9, 0.1, 0.1};
  double cost[2];
  DetrCostParams p;
  p.cost_bbox = 5, p.cost_giou = 2;
  detr_cost_matrix(probs, 1, 2, pred, labels, gt, 2, cost, p);
  CHECK(cost[0] == doctest::Approx(-0.7 - 2.0));
  // gt1: L1 = 0.4+0.4+0.1+0.1 = 1.0; disjoint boxes [0.4,0.6] vs [0.85,0.95]: IoU 0, enclosing
  // [0.4,0.95]^2 = 0.3025, union 0.05 -> GIoU = -(0.3025-0.05)/0.3025.
  const double giou = -(0.3025 - 0.05) / 0.3025;
  CHECK(cost[1] == doctest::Approx(5 * 1.0 - 0.3 - 2 * giou));
  const std::int64_t bad[1] = {2};
  CHECK_THROWS_AS(detr_cost_matrix(probs, 1, 2, pred, bad, gt, 1, cost, p), std::invalid_argument);
}
