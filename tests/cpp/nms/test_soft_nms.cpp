// nms/soft_nms.hpp: soft-NMS, against hand-computed decays and the transcribed OpenCV loop.
#include <locuskit/nms/soft_nms.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

using test::tie_scores;

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
