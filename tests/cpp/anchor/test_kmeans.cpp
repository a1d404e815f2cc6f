#include <locuskit/anchor/kmeans.hpp>

#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("kmeans_anchors: deterministic, recovers separated shape clusters", T, float, double) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> jitter(0.95, 1.05);
  const double centres[3][2] = {{10, 14}, {40, 30}, {120, 200}};
  std::vector<T> wh;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 200; ++i) wh.push_back(T(centres[c][0] * jitter(rng))), wh.push_back(T(centres[c][1] * jitter(rng)));
  std::vector<T> a(6), b(6);
  const AnchorFit f = kmeans_anchors(wh.data(), wh.size() / 2, 3, a.data(), 42);
  kmeans_anchors(wh.data(), wh.size() / 2, 3, b.data(), 42);
  CHECK(a == b);
  for (int c = 0; c < 3; ++c) {
    CHECK(a[2 * c] == doctest::Approx(centres[c][0]).epsilon(0.02));
    CHECK(a[2 * c + 1] == doctest::Approx(centres[c][1]).epsilon(0.02));
  }
  CHECK(f.best_possible_recall == 1.0);
  CHECK(f.mean_iou > 0.9);
  CHECK(f.anchors_above_threshold >= 1.0);
  CHECK_THROWS_AS(kmeans_anchors(wh.data(), 2, 3, a.data()), std::invalid_argument);
  const T bad[2] = {T(0), T(1)};
  CHECK_THROWS_AS(kmeans_anchors(bad, 1, 1, a.data()), std::invalid_argument);
}

TEST_CASE("anchor_fit: YOLOv5 ratio metric on a hand case") {
  // One box 10x10, one anchor 20x10: r = (0.5, 1) -> x = 0.5 > 1/4: bpr 1, fitness 0.5, IoU 0.5.
  const double wh[2] = {10, 10}, anchors[2] = {20, 10};
  const AnchorFit f = anchor_fit(wh, 1, anchors, 1);
  CHECK(f.best_possible_recall == 1.0);
  CHECK(f.fitness == doctest::Approx(0.5));
  CHECK(f.mean_iou == doctest::Approx(0.5));
  const double far[2] = {50, 10};  // x = 0.2 < 1/4: not recalled
  CHECK(anchor_fit(wh, 1, far, 1).best_possible_recall == 0.0);
}
