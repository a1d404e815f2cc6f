// nms/overlap.hpp: the overlap policy, and the one answer for degenerate pairs (union 0 -> overlap
// 0) in every NMS variant. A threshold >= 0 cannot tell 0 from NaN, so the variants are run with a
// negative one (C++ only), where a 0 overlap suppresses and a NaN one would not, and through the
// score-decaying variants, where a NaN overlap would turn the score NaN.
#include <locuskit/box3d/nms3d.hpp>
#include <locuskit/nms.hpp>
#include <locuskit/nms/rotated_nms.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <type_traits>
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

namespace {
// The axis-aligned policy under another name: not AxisAlignedIoU, so every variant takes the
// generic engine (prepared boxes, scalar greedy / decay) instead of the SIMD kernels.
struct PlainAxisAlignedIoU : AxisAlignedIoU {};

template <class T>
std::vector<T> tie_scores(std::size_t n, std::uint32_t seed) {
  std::vector<T> s(n);
  for (std::size_t i = 0; i < n; ++i) s[i] = T((i * 7 + seed) % 11) / T(11);
  return s;
}
}  // namespace

TEST_CASE_TEMPLATE("the generic policy engine equals the SIMD kernels (same policy, two code paths)", T, float,
                   double) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    const std::size_t n = seed * 23 % 400;
    const auto boxes = test::random_boxes<T>(n, seed);
    const auto scores = tie_scores<T>(n, seed);
    std::vector<std::int64_t> classes(n);
    for (std::size_t i = 0; i < n; ++i) classes[i] = std::int64_t(i % 3);
    std::vector<std::int64_t> a(n), b(n);
    std::vector<T> sa(n), sb(n);
    BasicNmsOptions<PlainAxisAlignedIoU> plain;
    for (double thr : {0.3, 0.5, 0.7}) {
      CAPTURE(thr);
      std::size_t ka = nms(boxes.data(), scores.data(), n, thr, a.data());
      std::size_t kb = nms(boxes.data(), scores.data(), n, thr, b.data(), plain);
      REQUIRE(ka == kb);
      CHECK(std::equal(a.begin(), a.begin() + ka, b.begin()));
      ka = batched_nms(boxes.data(), scores.data(), classes.data(), n, thr, a.data());
      kb = batched_nms(boxes.data(), scores.data(), classes.data(), n, thr, b.data(), plain);
      REQUIRE(ka == kb);
      CHECK(std::equal(a.begin(), a.begin() + ka, b.begin()));
      for (auto method : {SoftNmsMethod::linear, SoftNmsMethod::gaussian}) {
        SoftNmsParams sp;
        sp.method = method;
        sp.iou_threshold = thr;
        sp.score_threshold = 0.05;
        ka = soft_nms(boxes.data(), scores.data(), n, a.data(), sa.data(), sp);
        kb = soft_nms<T>(boxes.data(), scores.data(), n, b.data(), sb.data(), sp, nullptr, PlainAxisAlignedIoU{});
        REQUIRE(ka == kb);
        CHECK(std::equal(a.begin(), a.begin() + ka, b.begin()));
        CHECK(std::equal(sa.begin(), sa.begin() + ka, sb.begin()));  // the same bits
      }
    }
  }
}

TEST_CASE_TEMPLATE("nms with RotatedIoU equals the scalar oracle with the same policy", T, float, double) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> pos(0, 60), size(0, 20), angle(-180, 180);
  for (int round = 0; round < 10; ++round) {
    const std::size_t n = 50 + 30 * std::size_t(round);
    std::vector<T> boxes;
    for (std::size_t i = 0; i < n; ++i)
      boxes.insert(boxes.end(), {T(pos(rng)), T(pos(rng)), T(size(rng)), T(size(rng)), T(angle(rng))});
    const auto scores = tie_scores<T>(n, std::uint32_t(round));
    std::vector<std::int64_t> a(n), b(n);
    BasicNmsOptions<RotatedIoU> opts;
    const std::size_t ka = nms(boxes.data(), scores.data(), n, 0.4, a.data(), opts);
    const std::size_t kb = reference::nms(boxes.data(), scores.data(), n, 0.4, b.data(), IouRule::torchvision,
                                          RotatedIoU{});
    REQUIRE(ka == kb);
    CHECK(std::equal(a.begin(), a.begin() + ka, b.begin()));
  }
}

TEST_CASE_TEMPLATE("every policy-templated variant gives a degenerate rotated or 3D pair overlap 0", T, float,
                   double) {
  // Zero-size boxes at one point: rotated (cx, cy, 0, 0, angle) and 3D (x, y, z, 0, 0, 0, yaw).
  const std::vector<T> rotated = {5, 5, 0, 0, 30, 5, 5, 0, 0, -60};
  const std::vector<T> box3d = {5, 5, 1, 0, 0, 0, 0.5, 5, 5, 1, 0, 0, 0, -1};
  const std::vector<T> scores = {T(0.9), T(0.8)};
  const std::vector<std::int64_t> classes = {4, 4};
  auto check = [&](const std::vector<T>& boxes, const auto& ov) {
    using O = std::decay_t<decltype(ov)>;
    CHECK(ov.overlap(boxes.data(), boxes.data() + O::box_columns) == 0);
    std::vector<std::int64_t> keep(2, -7);
    std::vector<T> out(2), out_boxes(2 * O::box_columns);
    BasicNmsOptions<O> opts;
    opts.overlap = ov;
    // A negative threshold: overlap 0 suppresses (NaN would not).
    CHECK(nms(boxes.data(), scores.data(), 2, -0.5, keep.data(), opts) == 1);
    CHECK(batched_nms(boxes.data(), scores.data(), classes.data(), 2, -0.5, keep.data(), opts) == 1);
    CHECK(fast_nms<T>(boxes.data(), scores.data(), 2, -0.5, keep.data(), 10, IouRule::torchvision, nullptr, ov) == 1);
    CHECK(cluster_nms<T>(boxes.data(), scores.data(), 2, -0.5, keep.data(), 10, IouRule::torchvision, nullptr,
                         nullptr, ov) == 1);
    CHECK(weighted_nms<T>(boxes.data(), scores.data(), 2, -0.5, keep.data(), out_boxes.data(), IouRule::torchvision,
                          nullptr, ov) == 1);
    CHECK(nms(boxes.data(), scores.data(), 2, 0.0, keep.data(), opts) == 2);
    // Decays: overlap 0 leaves the score as it was.
    for (auto method : {SoftNmsMethod::linear, SoftNmsMethod::gaussian}) {
      SoftNmsParams sp;
      sp.method = method;
      sp.iou_threshold = -0.5;
      REQUIRE(soft_nms<T>(boxes.data(), scores.data(), 2, keep.data(), out.data(), sp, nullptr, ov) == 2);
      CHECK(out[1] == scores[1]);
    }
    for (auto kernel : {MatrixNmsKernel::gaussian, MatrixNmsKernel::linear}) {
      MatrixNmsParams mp;
      mp.kernel = kernel;
      mp.filter_threshold = 0.0;
      REQUIRE(matrix_nms<T>(boxes.data(), scores.data(), classes.data(), 2, keep.data(), out.data(), mp, nullptr, ov) ==
              2);
      CHECK(out[1] == scores[1]);
    }
  };
  RotatedIoU exact;
  check(rotated, exact);
  RotatedIoU d2;
  d2.mode = RotatedIouMode::detectron2;
  check(rotated, d2);
  for (bool bev : {true, false}) {
    Box3dIoU ov;
    ov.bev = bev;
    check(box3d, ov);
  }
}
