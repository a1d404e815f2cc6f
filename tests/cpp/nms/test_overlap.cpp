// nms/overlap.hpp: the overlap policy, and the one answer for degenerate pairs (union 0 -> overlap
// 0; identical 1; touching and inverted boxes 0) in every NMS variant, CPU and the CUDA loop. A
// threshold >= 0 cannot tell 0 from NaN, so the CPU variants also run with a negative one (C++
// only), where a 0 overlap suppresses and a NaN one would not, and through the score-decaying
// variants, where a NaN overlap would turn the score NaN.
#include <locuskit/box3d/nms3d.hpp>
#include <locuskit/cuda/nms_common.cuh>
#include <locuskit/nms.hpp>
#include <locuskit/nms/rotated_nms.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <type_traits>
#include <limits>
#include <vector>

#include "cuda/segment_emulator.hpp"
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

namespace {
// A pair of boxes (box 0 scores higher) and the overlap docs/semantics.md assigns it.
template <class T>
struct DegeneratePair {
  const char* what;
  std::vector<T> boxes;
  double overlap;
};

// Axis-aligned xyxy pairs: two zero-area boxes (union 0: overlap 0, torchvision NaN), identical
// boxes (1), boxes touching along an edge or at a corner (0), and NaN-free inverted boxes, which
// intersect nothing (0: signed areas as torchvision, and 0 where they cancel to a union of 0).
template <class T>
std::vector<DegeneratePair<T>> axis_aligned_pairs() {
  std::vector<DegeneratePair<T>> pairs;
  for (const auto& p : degenerate_pairs<T>()) pairs.push_back({"zero-area", p, 0.0});
  pairs.push_back({"identical", {2, 3, 9, 7, 2, 3, 9, 7}, 1.0});
  pairs.push_back({"touching edge", {0, 0, 10, 10, 10, 0, 20, 10}, 0.0});
  pairs.push_back({"touching corner", {0, 0, 10, 10, 10, 10, 20, 20}, 0.0});
  pairs.push_back({"inverted x", {10, 0, 0, 10, 2, 2, 8, 8}, 0.0});
  pairs.push_back({"inverted, identical", {10, 10, 0, 0, 10, 10, 0, 0}, 0.0});
  pairs.push_back({"inverted, union 0", {10, 0, 0, 10, 0, 0, 10, 10}, 0.0});
  return pairs;
}

// Rotated (cx, cy, w, h, angle) pairs: zero-size boxes, identical boxes (also as the same region at
// angle +90 / -90), and squares touching along an edge.
template <class T>
std::vector<DegeneratePair<T>> rotated_pairs(bool touching) {
  std::vector<DegeneratePair<T>> pairs = {
      {"zero-size", {5, 5, 0, 0, 30, 5, 5, 0, 0, -60}, 0.0},
      {"zero-width segments", {5, 5, 0, 4, 0, 5, 5, 0, 4, 90}, 0.0},
      {"identical", {5, 3, 4, 2, 30, 5, 3, 4, 2, 30}, 1.0},
      {"identical at +-90", {5, 3, 4, 2, 90, 5, 3, 4, 2, -90}, 1.0}};
  if (touching) pairs.push_back({"touching squares", {5, 5, 10, 10, 0, 15, 5, 10, 10, 0}, 0.0});
  return pairs;
}

// Every NMS variant of policy `ov` on one pair at thresholds t: box 1 is suppressed iff the
// documented overlap > t (hard variants keep 1 box, else 2); the score-decaying variants leave
// box 1's score exactly as it was iff the overlap is 0. With `device`, also the CUDA NMS loop run
// on CPU threads (segment_loop.cuh, one CTA and a 2-CTA grid; it culls only for t >= 0).
template <class T, class O>
void check_every_variant(const DegeneratePair<T>& pair, const O& ov, bool device) {
  // DIoU and the CUDA loop exist for the planar policies (not Box3dIoU).
  constexpr bool planar = !std::is_same_v<O, Box3dIoU>;
  const std::string what = pair.what;
  CAPTURE(what);
  const std::vector<T>& boxes = pair.boxes;
  const std::vector<T> scores = {T(0.9), T(0.8)};
  const std::vector<std::int64_t> classes = {3, 3};
  const NmsInputs<T> in{boxes.data(), scores.data(), 2, classes.data(), scores.data()};
  std::vector<std::int64_t> keep(2, -7);
  std::vector<T> kept_scores(2), kept_boxes(2 * O::box_columns);
  const NmsOutputs<T> out{keep.data(), kept_scores.data(), kept_boxes.data()};
  for (const double t : {-0.5, 0.0, 0.5}) {
    CAPTURE(t);
    const std::size_t want = pair.overlap > t ? 1 : 2;
    BasicNmsParams<O> np;
    np.iou_threshold = t, np.overlap = ov;
    CHECK(nms(in, np, out) == want);
    CHECK(keep[0] == 0);
    CHECK(reference::nms(boxes.data(), scores.data(), 2, t, keep.data(), IouRule::torchvision, ov) == want);
    CHECK(batched_nms(in, np, out) == want);
    const BasicFastNmsParams<O> fp{t, 10, IouRule::torchvision, ov};
    CHECK(fast_nms(in, fp, out) == want);
    CHECK(cluster_nms(in, fp, out) == want);
    BasicWeightedNmsParams<O> wp;
    wp.iou_threshold = t, wp.overlap = ov;
    CHECK(weighted_nms(in, wp, out) == want);
    BasicIouGuidedNmsParams<O> gp;
    gp.iou_threshold = t, gp.overlap = ov;
    CHECK(iou_guided_nms(in, gp, out) == want);
    CHECK(batched_iou_guided_nms(in, gp, out) == want);
    {
      BasicMulticlassNmsParams<O> mp;
      mp.iou_threshold = t, mp.max_total = 2, mp.overlap = ov;
      std::vector<T> mb(2 * O::box_columns), ms(2);
      std::vector<std::int32_t> mc(2), count(1);
      std::vector<std::int64_t> mi(2);
      multiclass_nms(MulticlassNmsInputs<T>{boxes.data(), scores.data(), 1, 2, 1}, mp,
                     MulticlassNmsOutputs<T>{mb.data(), ms.data(), mc.data(), mi.data(), count.data()});
      CHECK(std::size_t(count[0]) == want);
    }
    // DIoU (in [-1, 1]): the penalty vanishes with a huge beta except where the centres are a
    // full diagonal apart (ratio 1: two points), so t = 0 and 0.5 read the overlap; -1.5 suppresses.
    if constexpr (planar) {
      BasicDiouNmsParams<O> dp;
      dp.iou_threshold = t < 0 ? -1.5 : t, dp.beta = 1e6, dp.overlap = ov;
      CHECK(diou_nms(in, dp, out) == (t < 0 ? 1 : want));
    }
    // Soft-NMS and Matrix NMS: a 0 overlap leaves the score exactly as it was (NaN would poison it).
    for (auto method : {SoftNmsMethod::linear, SoftNmsMethod::gaussian}) {
      BasicSoftNmsParams<O> sp;
      sp.method = method, sp.iou_threshold = t, sp.overlap = ov;
      CAPTURE(static_cast<int>(method));
      const std::size_t k = soft_nms(in, sp, out);
      if (pair.overlap == 0.0) {
        REQUIRE(k == 2);
        CHECK(keep[1] == 1);
        CHECK(kept_scores[1] == scores[1]);
      } else if (k == 2) {  // linear decay of an identical box: 0.8 * (1 - 1), kept or dropped by rounding
        CHECK(kept_scores[1] < scores[1]);
      }
    }
    for (auto kernel : {MatrixNmsKernel::gaussian, MatrixNmsKernel::linear}) {
      BasicMatrixNmsParams<O> mp;
      mp.kernel = kernel, mp.overlap = ov;
      const std::size_t k = matrix_nms(in, mp, out);
      // (The linear kernel divides by 1 - 1 for a covered box: NaN, filtered out, as mmdet.)
      for (std::size_t i = 0; i < k; ++i)
        if (keep[i] == 1) CHECK((kept_scores[i] == scores[1]) == (pair.overlap == 0.0));
      if (pair.overlap == 0.0) CHECK(k == 2);
    }
    if constexpr (planar) if (device) {
      const T strict = strict_iou_threshold<T>(t, IouRule::torchvision);
      for (int ctas : {1, 2}) {
        std::vector<std::int64_t> flags, list;
        test::emulated_nms(boxes, scores, strict, 2, ctas, ov, &flags, &list);
        CHECK(flags.size() == want);
        CHECK(list.size() == want);
      }
    }
  }
}
}  // namespace

TEST_CASE_TEMPLATE("every NMS variant, CPU and the CUDA loop, gives degenerate pairs the one documented overlap", T,
                   float, double) {
  for (const auto& pair : axis_aligned_pairs<T>()) {
    test::for_each_arch([&](simd::arch_id) { check_every_variant(pair, AxisAlignedIoU{}, false); });
    check_every_variant(pair, AxisAlignedIoU{}, true);
    // The host model of the CUDA pipeline (blocked chunks, nms_common.cuh) on the same pair.
    for (const double t : {0.0, 0.5}) {
      std::vector<unsigned char> flags(2, 0);
      const auto order = test::score_order(std::vector<T>{T(0.9), T(0.8)}.data(), 2);
      REQUIRE(order == std::vector<std::int64_t>{0, 1});
      CHECK(gpu::blocked_greedy_nms_host(pair.boxes.data(), 2, gpu::threshold_as<T>(t), 2, flags.data()) ==
            (pair.overlap > t ? 1u : 2u));
    }
  }
  RotatedIoU exact;
  for (const auto& pair : rotated_pairs<T>(true)) check_every_variant(pair, exact, true);
  // detectron2's float arithmetic: the same answers on the zero-size and identical pairs.
  RotatedIoU d2;
  d2.mode = RotatedIouMode::detectron2;
  for (const auto& pair : rotated_pairs<T>(false)) check_every_variant(pair, d2, true);
}

TEST_CASE_TEMPLATE("Box3dIoU: every policy-templated variant gives a zero-size 3D pair overlap 0", T, float, double) {
  // Zero-size boxes at one point (x, y, z, 0, 0, 0, yaw), BEV and 3D.
  const DegeneratePair<T> pair{"zero-size 3D", {5, 5, 1, 0, 0, 0, 0.5, 5, 5, 1, 0, 0, 0, -1}, 0.0};
  for (bool bev : {true, false}) {
    Box3dIoU ov;
    ov.bev = bev;
    CHECK(ov.overlap(pair.boxes.data(), pair.boxes.data() + 7) == 0);
    check_every_variant(pair, ov, false);
  }
}
