#include <locuskit/box/iou.hpp>
#include <locuskit/match/matcher.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("match_boxes equals matcher_dense(box_iou) on every arch and thread count", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    const std::size_t m = 1 + seed * 7 % 23, n = 50 + seed * 997 % 3000;
    auto gt = test::random_boxes<T>(m, seed), preds = test::random_boxes<T>(n, seed + 100);
    // Integer coordinates: many exact ties.
    for (auto& v : preds) v = std::round(v);
    for (auto& v : gt) v = std::round(v);
    std::vector<T> q(m * n);
    reference::box_iou(gt.data(), m, preds.data(), n, q.data());
    for (bool allow : {false, true}) {
      std::vector<std::int64_t> expected(n);
      std::vector<T> expected_vals(n);
      matcher_dense(q.data(), m, n, 0.7, 0.3, allow, expected.data(), expected_vals.data());
      test::for_each_arch([&](simd::arch_id) {
        for (int threads : {1, 2}) {
          std::vector<std::int64_t> got(n);
          std::vector<T> vals(n);
          match_boxes(gt.data(), m, preds.data(), n, 0.7, 0.3, allow, got.data(), vals.data(), Parallel{threads});
          CHECK(got == expected);
          CHECK(vals == expected_vals);
        }
      });
    }
  }
}

TEST_CASE_TEMPLATE("match_boxes_labels (detectron2) equals matcher_labels_dense(box_iou)", T, float, double) {
  const double thr[2] = {0.3, 0.7};
  const std::int8_t labels[3] = {0, -1, 1};
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    const std::size_t m = 1 + seed * 5 % 17, n = 100 + seed * 613 % 2000;
    auto gt = test::random_boxes<T>(m, seed + 7), preds = test::random_boxes<T>(n, seed + 300);
    for (auto& v : preds) v = std::round(v);
    for (auto& v : gt) v = std::round(v);
    std::vector<T> q(m * n);
    reference::box_iou(gt.data(), m, preds.data(), n, q.data());
    for (bool allow : {false, true}) {
      std::vector<std::int64_t> em(n), gm(n);
      std::vector<std::int8_t> el(n), gl(n);
      matcher_labels_dense(q.data(), m, n, thr, 2, labels, allow, em.data(), el.data());
      match_boxes_labels(gt.data(), m, preds.data(), n, thr, 2, labels, allow, gm.data(), gl.data(), Parallel{2});
      CHECK(gm == em);
      CHECK(gl == el);
    }
  }
  const std::int8_t bad[3] = {0, -1, 2};
  std::int64_t mm[1];
  std::int8_t ll[1];
  const T one[4] = {0, 0, 1, 1};
  CHECK_THROWS_AS(match_boxes_labels(one, 1, one, 1, thr, 2, bad, false, mm, ll), std::invalid_argument);
}

TEST_CASE("matcher_dense: torchvision low-quality subtleties") {
  // Prediction 0 is the best of gt0 and gt1 (0.4 each); its own argmax is gt0 (first on ties).
  const float q[4] = {0.4f, 0.1f, 0.4f, 0.2f};
  std::int64_t m[2];
  matcher_dense(q, 2, 2, 0.5, 0.3, true, m);
  CHECK(m[0] == 0);
  CHECK(m[1] == -1);
  matcher_dense(q, 2, 2, 0.5, 0.3, false, m);
  CHECK(m[0] == -2);
  // A gt whose best is 0 restores every 0-quality prediction (to its own argmax).
  const float z[2] = {0.f, 0.f};
  matcher_dense(z, 1, 2, 0.5, 0.3, true, m);
  CHECK(m[0] == 0);
  CHECK(m[1] == 0);
  // NaN counts as the largest and stays positive.
  const float nanq[2] = {std::nanf(""), 0.1f};
  matcher_dense(nanq, 1, 2, 0.5, 0.3, false, m);
  CHECK(m[0] == 0);
  CHECK(m[1] == -1);
  CHECK_THROWS_AS(matcher_dense(q, 2, 2, 0.3, 0.5, false, m), std::invalid_argument);
}

TEST_CASE("ssd_match_boxes and max_iou_assign on a hand case") {
  const float gt[8] = {0, 0, 10, 10, 20, 20, 30, 30};
  const float preds[12] = {0, 0, 10, 10, 0, 0, 10, 9, 40, 40, 50, 50};
  std::int64_t m[3];
  ssd_match_boxes(gt, 2, preds, 3, 0.5, m);
  // gt1's best prediction (IoU 0 everywhere: the first, pred 0) is forced to gt1, overriding gt0's
  // perfect match (torchvision: a later gt wins).
  CHECK(m[0] == 1);
  CHECK(m[1] == 0);
  CHECK(m[2] == -1);
  MaxIoUAssignerParams p;  // pos 0.5, neg [0, 0.4), min_pos_iou 0, assign all
  std::int64_t a[3];
  max_iou_assign(gt, 2, preds, 3, p, a);
  // mmdet quirk: gt1's best IoU is 0 >= min_pos_iou 0, so every prediction with IoU 0 to gt1 (all
  // three, including gt0's perfect match) is overwritten with gt1 (later gts win).
  CHECK(a[0] == 2);
  CHECK(a[1] == 2);
  CHECK(a[2] == 2);
  p.min_pos_iou = 0.1;
  max_iou_assign(gt, 2, preds, 3, p, a);
  CHECK(a[0] == 1);
  CHECK(a[1] == 1);
  CHECK(a[2] == 0);
  max_iou_assign(gt, 0, preds, 3, p, a);
  CHECK(a[0] == 0);
}
