// nms/overlap.hpp: the overlap policy, and the one answer for degenerate pairs (union 0 -> overlap
// 0) in every NMS variant. A threshold >= 0 cannot tell 0 from NaN, so the variants are run with a
// negative one (C++ only), where a 0 overlap suppresses and a NaN one would not, and through the
// score-decaying variants, where a NaN overlap would turn the score NaN.
#include <locuskit/nms.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
// Pairs of zero-area boxes (each pair: box 0 scores higher): identical points, disjoint points,
// identical zero-height segments, a zero-width segment crossing a zero-height one.
template <class T>
std::vector<std::vector<T>> degenerate_pairs() {
  return {{5, 5, 5, 5, 5, 5, 5, 5},
          {1, 1, 1, 1, 7, 7, 7, 7},
          {0, 5, 10, 5, 0, 5, 10, 5},
          {5, 0, 5, 10, 0, 5, 10, 5}};
}
}  // namespace

TEST_CASE_TEMPLATE("AxisAlignedIoU: degenerate pairs give 0, NaN boxes NaN, ordinary pairs torchvision's IoU", T,
                   float, double) {
  for (const auto& p : degenerate_pairs<T>()) {
    const T iou = AxisAlignedIoU::overlap(p.data(), p.data() + 4);
    CHECK(iou == T(0));
    CHECK(!std::signbit(iou));
    const auto a = AxisAlignedIoU::prepare(p.data()), b = AxisAlignedIoU::prepare(p.data() + 4);
    CHECK(AxisAlignedIoU::overlap(a, b) == T(0));
    CHECK_FALSE(AxisAlignedIoU::may_overlap(a, b));
  }
  const T a[4] = {0, 0, 10, 1}, b[4] = {0, 0, 6, 1};
  CHECK(AxisAlignedIoU::overlap(a, b) == T(6) / T(10));
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T c[4] = {nan, 0, 1, 1};
  CHECK(std::isnan(AxisAlignedIoU::overlap(a, c)));
  // The suppression test from (inter, union): 0/0 exceeds only a negative threshold.
  CHECK_FALSE(AxisAlignedIoU::exceeds(T(0), T(0), T(0), false));
  CHECK(AxisAlignedIoU::exceeds(T(0), T(0), T(-0.5), true));
  CHECK_FALSE(AxisAlignedIoU::exceeds(nan, nan, T(-0.5), true));
}

TEST_CASE_TEMPLATE("AxisAlignedIoU: the SIMD test equals the scalar one on every arch", T, float, double) {
  // Every candidate in one pass of the greedy kernel: with a negative threshold all finite
  // candidates (degenerate ones too) are suppressed, so nms keeps 1; with 0.5 none are.
  std::vector<T> boxes;
  for (int i = 0; i < 37; ++i) {
    const T x = T(i % 5), y = T(i % 3);
    boxes.insert(boxes.end(), {x, y, x, y});  // 37 zero-area boxes (points), many coincident
  }
  const std::size_t n = boxes.size() / 4;
  std::vector<T> scores(n);
  for (std::size_t i = 0; i < n; ++i) scores[i] = T(n - i);
  std::vector<std::int64_t> keep(n);
  test::for_each_arch([&](simd::arch_id) {
    CHECK(nms(boxes.data(), scores.data(), n, -0.5, keep.data()) == 1);
    CHECK(nms(boxes.data(), scores.data(), n, 0.5, keep.data()) == n);
    CHECK(nms(boxes.data(), scores.data(), n, 0.0, keep.data()) == n);
  });
}

TEST_CASE_TEMPLATE("every NMS variant treats a degenerate pair as overlap 0", T, float, double) {
  for (const auto& boxes : degenerate_pairs<T>()) {
    const std::vector<T> scores = {T(0.9), T(0.8)};
    const std::vector<std::int64_t> classes = {3, 3};
    CAPTURE(boxes[0]);
    CAPTURE(boxes[4]);
    std::vector<std::int64_t> keep(2, -7);
    std::vector<T> out_scores(2), out_boxes(8);
    test::for_each_arch([&](simd::arch_id) {
      // Hard suppression at a negative threshold: overlap 0 > -0.5 suppresses box 1 (NaN would not).
      CHECK(nms(boxes.data(), scores.data(), 2, -0.5, keep.data()) == 1);
      CHECK(keep[0] == 0);
      CHECK(reference::nms(boxes.data(), scores.data(), 2, -0.5, keep.data()) == 1);
      CHECK(batched_nms(boxes.data(), scores.data(), classes.data(), 2, -0.5, keep.data()) == 1);
      CHECK(fast_nms(boxes.data(), scores.data(), 2, -0.5, keep.data()) == 1);
      CHECK(cluster_nms(boxes.data(), scores.data(), 2, -0.5, keep.data()) == 1);
      CHECK(diou_nms(boxes.data(), scores.data(), 2, -1.5, 1.0, keep.data()) == 1);  // DIoU >= -1
      CHECK(weighted_nms(boxes.data(), scores.data(), 2, -0.5, keep.data(), out_boxes.data()) == 1);
      IouGuidedNmsParams ig;
      ig.iou_threshold = -0.5;
      CHECK(iou_guided_nms(boxes.data(), scores.data(), scores.data(), 2, ig, keep.data(), out_scores.data()) == 1);
      CHECK(batched_iou_guided_nms(boxes.data(), scores.data(), scores.data(), classes.data(), 2, ig, keep.data(),
                                   out_scores.data()) == 1);
      {
        MulticlassNmsParams mp;
        mp.iou_threshold = -0.5;
        mp.max_total = 2;
        std::vector<T> mb(8), ms(2);
        std::vector<std::int32_t> mc(2), count(1);
        std::vector<std::int64_t> mi(2);
        multiclass_nms(boxes.data(), false, scores.data(), 1, 2, 1, mp, mb.data(), ms.data(), mc.data(), mi.data(),
                       count.data());
        CHECK(count[0] == 1);
      }
      // At an ordinary threshold nothing is suppressed.
      CHECK(nms(boxes.data(), scores.data(), 2, 0.5, keep.data()) == 2);
      CHECK(fast_nms(boxes.data(), scores.data(), 2, 0.0, keep.data()) == 2);
      // Score decay: overlap 0 leaves the score exactly as it was (NaN would make it NaN / drop it).
      for (auto method : {SoftNmsMethod::linear, SoftNmsMethod::gaussian}) {
        SoftNmsParams sp;
        sp.method = method;
        sp.iou_threshold = -0.5;
        REQUIRE(soft_nms(boxes.data(), scores.data(), 2, keep.data(), out_scores.data(), sp) == 2);
        CHECK(keep[1] == 1);
        CHECK(out_scores[1] == scores[1]);
      }
      for (auto kernel : {MatrixNmsKernel::gaussian, MatrixNmsKernel::linear}) {
        MatrixNmsParams mp;
        mp.kernel = kernel;
        mp.filter_threshold = 0.0;
        REQUIRE(matrix_nms(boxes.data(), scores.data(), classes.data(), 2, keep.data(), out_scores.data(), mp) == 2);
        CHECK(out_scores[1] == scores[1]);
      }
    });
  }
}
