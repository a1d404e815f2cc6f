#include <locuskit/nms.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
template <class T>
std::vector<T> tie_scores(std::size_t n, std::uint32_t seed, int levels) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, levels - 1);
  std::vector<T> s(n);
  for (auto& v : s) v = T(d(rng)) / T(levels);
  return s;
}
}  // namespace

TEST_CASE_TEMPLATE("strict_iou_threshold: torchvision, cuda and >= rules", T, float, double) {
  if constexpr (std::is_same_v<T, float>) {
    CHECK(strict_iou_threshold<float>(0.6, IouRule::torchvision) == std::nextafter(0.6f, 0.0f));  // f32(0.6) > 0.6
    CHECK(strict_iou_threshold<float>(0.5, IouRule::torchvision) == 0.5f);
    CHECK(strict_iou_threshold<float>(0.6, IouRule::cuda) == 0.6f);
    CHECK(strict_iou_threshold<float>(0.5, IouRule::greater_equal) == std::nextafter(0.5f, 0.0f));
  } else {
    CHECK(strict_iou_threshold<double>(0.6, IouRule::torchvision) == 0.6);
    CHECK(strict_iou_threshold<double>(0.6, IouRule::cuda) == double(0.6f));
    CHECK(strict_iou_threshold<double>(0.5, IouRule::greater_equal) == std::nextafter(0.5, 0.0));
  }
  CHECK_THROWS_AS(strict_iou_threshold<T>(std::nan(""), IouRule::torchvision), std::invalid_argument);
}

TEST_CASE_TEMPLATE("nms: every arch equals the scalar oracle (torchvision's loop)", T, float, double) {
  NmsWorkspace<T> ws;  // reused across calls: results must not depend on its history
  for (std::uint32_t seed = 1; seed <= 24; ++seed) {
    const std::size_t n = seed * 37 % 500;
    const auto boxes = test::random_boxes<T>(n, seed, T(seed % 3 == 0 ? 10 : 100));
    const auto scores = tie_scores<T>(n, seed, seed % 2 ? 4 : 1000);
    for (double thr : {seed % 2 ? 0.0 : 1.0, 0.3, 0.6, seed % 3 ? 0.85 : -0.5}) {
      std::vector<std::int64_t> want(n), got(n);
      const std::size_t kw = reference::nms(boxes.data(), scores.data(), n, thr, want.data());
      test::for_each_arch([&](simd::arch_id) {
        const std::size_t kg = nms(boxes.data(), scores.data(), n, thr, got.data(), {}, &ws);
        REQUIRE(kg == kw);
        for (std::size_t i = 0; i < kw; ++i) REQUIRE(got[i] == want[i]);
      });
    }
  }
}

TEST_CASE_TEMPLATE("nms: the spatial grid (large N) equals the linear kernel on every arch", T, float, double) {
  NmsWorkspace<T> ws;
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    const std::size_t n = 4096 + seed * 331;
    // Mixed extents: tiny and huge boxes, negative coordinates, duplicates, zero-size boxes.
    auto boxes = test::random_boxes<T>(n, seed, T(seed % 2 ? 1000 : 50));
    // Spread the clusters over a scene 30x larger (so the grid is used), keeping the box sizes.
    for (std::size_t i = 0; i < n; ++i) {
      const T w = boxes[4 * i + 2] - boxes[4 * i], h = boxes[4 * i + 3] - boxes[4 * i + 1];
      boxes[4 * i] *= T(30), boxes[4 * i + 1] *= T(30);
      boxes[4 * i + 2] = boxes[4 * i] + w, boxes[4 * i + 3] = boxes[4 * i + 1] + h;
    }
    for (std::size_t i = 0; i < n; i += 97) boxes[4 * i + 2] += T(300 * (seed % 3));  // a few huge
    if (seed % 3 == 0)
      for (auto& v : boxes) v -= T(500);
    const auto scores = tie_scores<T>(n, seed, seed % 2 ? 50 : 100000);
    for (double thr : {seed == 1 ? 0.0 : 0.7, 0.5}) {
      std::vector<std::int64_t> want(n), got(n);
      NmsOptions linear;
      linear.use_grid = false;
      const std::size_t kw = nms(boxes.data(), scores.data(), n, thr, want.data(), linear, &ws);
      test::for_each_arch([&](simd::arch_id) {
        const std::size_t kg = nms(boxes.data(), scores.data(), n, thr, got.data(), {}, &ws);
        REQUIRE(kg == kw);
        for (std::size_t i = 0; i < kw; ++i) REQUIRE(got[i] == want[i]);
      });
    }
  }
}

TEST_CASE_TEMPLATE("nms: documented unchecked behaviour (NaN scores, negative thresholds, rules)", T, float, double) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 10, 10, 20, 20, 30, 30};
  std::int64_t keep[3];
  {  // A NaN score sorts first, as in torchvision.
    const T scores[3] = {T(0.9), nan, T(0.1)};
    REQUIRE(nms(boxes, scores, 3, 0.5, keep) == 2);
    CHECK(keep[0] == 1);
    CHECK(keep[1] == 2);
  }
  {  // A NaN box never suppresses nor is suppressed.
    const T nb[12] = {0, 0, 10, 10, nan, 0, 10, 10, 0, 0, 10, 10};
    const T scores[3] = {T(0.9), T(0.8), T(0.7)};
    REQUIRE(nms(nb, scores, 3, 0.5, keep) == 2);
    CHECK(keep[0] == 0);
    CHECK(keep[1] == 1);
  }
  {  // threshold < 0: only the top box survives (IoU 0 > thr).
    const T scores[3] = {T(0.1), T(0.2), T(0.3)};
    REQUIRE(nms(boxes, scores, 3, -0.1, keep) == 1);
    CHECK(keep[0] == 2);
  }
  {  // IoU exactly 0.6 in float32: torchvision suppresses (f32(0.6) > 0.6); cuda rule keeps.
    const T pair[8] = {0, 0, 10, 1, 0, 0, 6, 1};
    const T scores[2] = {T(0.9), T(0.8)};
    const std::size_t tv = nms(pair, scores, 2, 0.6, keep);
    CHECK(tv == (std::is_same_v<T, float> ? 1u : 2u));
    CHECK(nms(pair, scores, 2, 0.6, keep, NmsOptions{IouRule::cuda}) == 2);
    const T half[8] = {0, 0, 2, 1, 0, 0, 1, 1};
    CHECK(nms(half, scores, 2, 0.5, keep) == 2);
    CHECK(nms(half, scores, 2, 0.5, keep, NmsOptions{IouRule::greater_equal}) == 1);
  }
  CHECK(nms<T>(nullptr, nullptr, 0, 0.5, keep) == 0);
}

TEST_CASE_TEMPLATE("batched_nms: the union of per-class nms, merged by score then index", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    const std::size_t n = seed * 53 % 500;
    const auto boxes = test::random_boxes<T>(n, seed);
    const auto scores = tie_scores<T>(n, seed + 7, 8);
    std::mt19937 rng(seed);
    std::vector<std::int64_t> cls(n);
    const bool sparse = seed % 5 == 0;
    // Ids at both ends of int64 (max - min overflows int64 and the id count 2^64 wraps to 0).
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    const std::int64_t extreme[6] = {lo, hi, lo + 1, hi - 1, 0, -1};
    for (auto& c : cls)
      c = seed % 3 == 0 ? extreme[rng() % (seed % 2 ? 6 : 2)]
                        : std::int64_t(rng() % 6) * (sparse ? 1000000007LL : 1) - 2;
    std::vector<std::int64_t> want;
    std::vector<std::int64_t> ids(cls);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (std::int64_t c : ids) {
      std::vector<std::size_t> sel;
      for (std::size_t i = 0; i < n; ++i)
        if (cls[i] == c) sel.push_back(i);
      std::vector<T> b, s;
      for (auto i : sel) {
        b.insert(b.end(), boxes.begin() + 4 * i, boxes.begin() + 4 * i + 4);
        s.push_back(scores[i]);
      }
      std::vector<std::int64_t> k(sel.size());
      const std::size_t kk = reference::nms(b.data(), s.data(), sel.size(), 0.5, k.data());
      for (std::size_t i = 0; i < kk; ++i) want.push_back(static_cast<std::int64_t>(sel[k[i]]));
    }
    std::stable_sort(want.begin(), want.end(), [&](auto a, auto b) {
      return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
    });
    std::vector<std::int64_t> got(n);
    test::for_each_arch([&](simd::arch_id) {
      const std::size_t k = batched_nms(boxes.data(), scores.data(), cls.data(), n, 0.5, got.data());
      REQUIRE(k == want.size());
      for (std::size_t i = 0; i < k; ++i) REQUIRE(got[i] == want[i]);
    });
  }
}

TEST_CASE_TEMPLATE("cluster_nms equals nms; fast_nms keeps a subset", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    const std::size_t n = seed * 11 % 200;
    const auto boxes = test::random_boxes<T>(n, seed);
    const auto scores = tie_scores<T>(n, seed, 10);
    std::vector<std::int64_t> a(n), b(n), c(n);
    const std::size_t ka = nms(boxes.data(), scores.data(), n, 0.5, a.data());
    const std::size_t kb = cluster_nms(boxes.data(), scores.data(), n, 0.5, b.data());
    REQUIRE(ka == kb);
    for (std::size_t i = 0; i < ka; ++i) CHECK(a[i] == b[i]);
    const std::size_t kc = fast_nms(boxes.data(), scores.data(), n, 0.5, c.data());
    for (std::size_t i = 0; i < kc; ++i) CHECK(std::find(a.begin(), a.begin() + ka, c[i]) != a.begin() + ka);
  }
}

TEST_CASE_TEMPLATE("soft_nms: hand-computed gaussian and linear decay", T, float, double) {
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 10, 5, 20, 20, 30, 30};  // IoU(0, 1) = 0.5
  const T scores[3] = {T(0.9), T(0.8), T(0.7)};
  std::int64_t keep[3];
  T out[3];
  SoftNmsParams p;  // gaussian, sigma 0.5
  REQUIRE(soft_nms(boxes, scores, 3, keep, out, p) == 3);
  CHECK(keep[1] == 2);
  CHECK(keep[2] == 1);
  CHECK(out[2] == doctest::Approx(0.8 * std::exp(-0.25 / 0.5)));
  p.method = SoftNmsMethod::linear;
  p.iou_threshold = 0.4;
  REQUIRE(soft_nms(boxes, scores, 3, keep, out, p) == 3);
  CHECK(out[2] == doctest::Approx(0.4));
}

TEST_CASE_TEMPLATE("multiclass_nms: padded layout, per-class caps, class-agnostic", T, float, double) {
  // One image, 3 boxes, 2 classes. Boxes 0 and 1 overlap (IoU 0.81), box 2 is apart.
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 9, 9, 50, 50, 60, 60};
  const T scores[6] = {T(0.9), T(0.1), T(0.8), T(0.7), T(0.2), T(0.05)};  // (N=3, C=2)
  const std::size_t K = 4;
  T ob[4 * K], os[K];
  std::int32_t oc[K], cnt[1];
  std::int64_t oi[K];
  MulticlassNmsParams p;
  p.score_threshold = 0.06;
  p.max_total = K;
  multiclass_nms(boxes, false, scores, 1, 3, 2, p, ob, os, oc, oi, cnt);
  // Candidates: (0,c0) .9, (1,c0) .8, (1,c1) .7, (2,c0) .2, (0,c1) .1. Class 0: box 0 suppresses
  // box 1; class 1: box 1 (.7) suppresses box 0 (.1).
  REQUIRE(cnt[0] == 3);
  const std::int64_t want_n[3] = {0, 1, 2};
  const std::int32_t want_c[3] = {0, 1, 0};
  for (int r = 0; r < 3; ++r) {
    CHECK(oi[r] == want_n[r]);
    CHECK(oc[r] == want_c[r]);
  }
  CHECK(os[2] == T(0.2));
  CHECK(oi[3] == -1);
  p.class_agnostic = true;
  multiclass_nms(boxes, false, scores, 1, 3, 2, p, ob, os, oc, oi, cnt);
  REQUIRE(cnt[0] == 2);  // (0,c0) suppresses box 1 in both classes and (0,c1) itself
  CHECK(oi[0] == 0);
  CHECK(oi[1] == 2);
  CHECK(oi[2] == -1);
  CHECK(oc[3] == -1);
  CHECK(os[2] == T(0));
  CHECK(ob[8] == T(0));
  p.class_agnostic = false;
  p.max_output_per_class = 1;
  multiclass_nms(boxes, false, scores, 1, 3, 2, p, ob, os, oc, oi, cnt);
  REQUIRE(cnt[0] == 2);
  CHECK(oi[0] == 0);
  CHECK(oc[1] == 1);
}

namespace {
/// OpenCV's softNMSBoxes loop, transcribed in T: the oracle for the SIMD soft-NMS pass.
template <class T>
std::size_t soft_nms_oracle(const T* boxes, const T* scores, std::size_t n, std::int64_t* keep, T* out,
                            bool linear, T thr, T sigma, T min_score) {
  std::vector<T> s(scores, scores + n);
  std::vector<char> done(n, 0);
  std::size_t k = 0;
  for (;;) {
    std::size_t best = n;
    for (std::size_t i = 0; i < n; ++i)
      if (!done[i] && (best == n || s[i] > s[best])) best = i;
    if (best == n || !(s[best] >= min_score)) break;
    done[best] = 1;
    keep[k] = static_cast<std::int64_t>(best);
    out[k++] = s[best];
    const T* a = boxes + 4 * best;
    for (std::size_t i = 0; i < n; ++i) {
      if (done[i] || !(s[i] >= min_score)) continue;
      const T* b = boxes + 4 * i;
      const T iou = geometry::iou(a, geometry::area(a[0], a[1], a[2], a[3]), b, geometry::area(b[0], b[1], b[2], b[3]), T(0));
      if (linear) {
        if (iou > thr) s[i] *= T(1) - iou;
      } else {
        s[i] *= std::exp(-(iou * iou) / sigma);
      }
    }
  }
  return k;
}
}  // namespace

TEST_CASE_TEMPLATE("soft_nms: every arch equals the transcribed OpenCV loop", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 24; ++seed) {
    const std::size_t n = seed * 29 % 300;
    const auto boxes = test::random_boxes<T>(n, seed);
    const auto scores = tie_scores<T>(n, seed, seed % 2 ? 7 : 100000);
    SoftNmsParams p;
    p.method = seed % 2 ? SoftNmsMethod::linear : SoftNmsMethod::gaussian;
    p.iou_threshold = 0.3;
    p.score_threshold = seed % 3 ? 0.05 : 0.0;
    std::vector<std::int64_t> wk(n), gk(n);
    std::vector<T> ws(n), gs(n);
    const std::size_t kw = soft_nms_oracle(boxes.data(), scores.data(), n, wk.data(), ws.data(),
                                           p.method == SoftNmsMethod::linear, T(0.3), T(0.5), T(p.score_threshold));
    test::for_each_arch([&](simd::arch_id) {
      const std::size_t kg = soft_nms(boxes.data(), scores.data(), n, gk.data(), gs.data(), p);
      REQUIRE(kg == kw);
      for (std::size_t i = 0; i < kw; ++i) {
        REQUIRE(gk[i] == wk[i]);
        REQUIRE(test::same_bits(gs[i], ws[i]));
      }
    });
  }
}
