#include <locuskit/coder/delta_xywh.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
template <class T>
void anchors_and_deltas(std::size_t n, std::size_t k, std::uint32_t seed, std::vector<T>& anchors, std::vector<T>& deltas) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(-50, 500), size(0.5, 200);
  std::normal_distribution<double> d(0, 2);
  anchors.resize(4 * n);
  deltas.resize(4 * n * k);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = pos(rng), y = pos(rng);
    anchors[4 * i] = T(x), anchors[4 * i + 1] = T(y), anchors[4 * i + 2] = T(x + size(rng)),
    anchors[4 * i + 3] = T(y + size(rng));
  }
  for (auto& v : deltas) v = T(d(rng));
  for (std::size_t q = 0; q < n * k; q += 13) deltas[4 * q + 2] = T(30);  // above scale_clamp
}
}  // namespace

TEST_CASE_TEMPLATE("box_coder_decode: every arch and thread count within 4 ulps of the scalar oracle", T, float,
                   double) {
  for (std::size_t k : {1u, 3u}) {
    const std::size_t n = 1000 + 37;
    std::vector<T> anchors, deltas;
    anchors_and_deltas(n, k, 7, anchors, deltas);
    const DeltaWeights w{10, 10, 5, 5};
    std::vector<T> ref(deltas.size());
    reference::box_coder_decode(deltas.data(), anchors.data(), n, k, ref.data(), w);
    test::for_each_arch([&](simd::arch_id) {
      for (int threads : {1, 3}) {
        std::vector<T> out(deltas.size());
        box_coder_decode(deltas.data(), anchors.data(), n, k, out.data(), w, default_scale_clamp, Parallel{threads});
        std::size_t bad = 0;
        for (std::size_t q = 0; q < out.size(); ++q) {
          // x1 = pcx - 0.5 pw cancels: the error scales with the box's coordinates, not with x1.
          const std::size_t row = q / 4 * 4;
          T scale = T(1);
          for (std::size_t c = 0; c < 4; ++c) scale = std::max(scale, std::fabs(ref[row + c]));
          const T tol = 4 * std::numeric_limits<T>::epsilon() * scale;
          bad += !(std::fabs(out[q] - ref[q]) <= tol);
        }
        CHECK(bad == 0);
      }
    });
    // The interleaved k == 1 path equals the tiled per-class path bit for bit.
    if (k == 3) {
      std::vector<T> first(4 * n), from_k1(4 * n);
      for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < 4; ++c) first[4 * i + c] = deltas[4 * (i * 3) + c];
      box_coder_decode(first.data(), anchors.data(), n, 1, from_k1.data(), w);
      std::vector<T> all(deltas.size());
      box_coder_decode(deltas.data(), anchors.data(), n, 3, all.data(), w);
      std::size_t diff = 0;
      for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < 4; ++c) diff += !test::same_bits(from_k1[4 * i + c], all[4 * (i * 3) + c]);
      CHECK(diff == 0);
    }
    // In place (out aliases deltas).
    std::vector<T> inplace = deltas;
    box_coder_decode(inplace.data(), anchors.data(), n, k, inplace.data(), w);
    std::vector<T> out(deltas.size());
    box_coder_decode(deltas.data(), anchors.data(), n, k, out.data(), w);
    CHECK(inplace == out);
  }
}

TEST_CASE_TEMPLATE("box_coder encode/decode: formulas and round trip", T, float, double) {
  // torchvision encode_boxes: dx = wx * (gcx - cx) / w, dw = ww * log(gw / w), cx = x1 + 0.5 w.
  const T anchor[4] = {0, 0, 10, 20}, gt[4] = {1, 2, 13, 22};
  T d[4];
  box_coder_encode(anchor, gt, 1, d, DeltaWeights{10, 10, 5, 5});
  CHECK(d[0] == doctest::Approx(10 * (7 - 5) / 10.0));
  CHECK(d[1] == doctest::Approx(10 * (12 - 10) / 20.0));
  CHECK(d[2] == doctest::Approx(5 * std::log(1.2)));
  CHECK(d[3] == doctest::Approx(0.0));
  T back[4];
  box_coder_decode(d, anchor, 1, 1, back, DeltaWeights{10, 10, 5, 5});
  for (int c = 0; c < 4; ++c) CHECK(back[c] == doctest::Approx(gt[c]).epsilon(1e-5));
  // Upper-side clamp only: dw = 10 -> log(1000/16); dh = -10 unclamped.
  const T big[4] = {0, 0, 10, -10};
  box_coder_decode(big, anchor, 1, 1, back);
  CHECK(back[2] - back[0] == doctest::Approx(10 * 1000.0 / 16).epsilon(1e-5));
  CHECK(back[3] - back[1] == doctest::Approx(20 * std::exp(-10.0)).epsilon(1e-4));
  CHECK_THROWS_AS(box_coder_decode(big, anchor, 1, 1, back, DeltaWeights{0, 1, 1, 1}), std::invalid_argument);
  CHECK(box_coder_decode(big, anchor, 1, 1, back));
  const T inf_anchor[4] = {0, 0, std::numeric_limits<T>::infinity(), 1};
  test::for_each_arch([&](simd::arch_id) { CHECK_FALSE(box_coder_decode(big, inf_anchor, 1, 1, back)); });
}

TEST_CASE_TEMPLATE("mmdet DeltaXYWH: symmetric clamp, means/stds, clip", T, float, double) {
  DeltaXYWHParams p;
  p.stds[0] = p.stds[1] = 0.1, p.stds[2] = p.stds[3] = 0.2;
  const T anchor[4] = {0, 0, 10, 20}, gt[4] = {2, 4, 14, 20};
  T d[4], back[4];
  delta_xywh_encode(anchor, gt, 1, d, p);
  CHECK(d[0] == doctest::Approx((8.0 - 5) / 10 / 0.1));
  delta_xywh_decode(d, anchor, 1, 1, back, p);
  for (int c = 0; c < 4; ++c) CHECK(back[c] == doctest::Approx(gt[c]).epsilon(1e-5));
  DeltaXYWHParams q;
  const T low[4] = {0, 0, -100, 0};
  delta_xywh_decode(low, anchor, 1, 1, back, q);
  CHECK(back[2] - back[0] == doctest::Approx(10 * 16.0 / 1000).epsilon(1e-4));  // clamped below too
  q.clip = true, q.image_h = 15, q.image_w = 8;
  const T zero[4] = {0, 0, 0, 0};
  delta_xywh_decode(zero, anchor, 1, 1, back, q);
  CHECK(back[2] == T(8));
  CHECK(back[3] == T(15));
}

// Found by tests/fuzz/fuzz_coder under UBSan: xsimd's exp casts round(x / ln 2) to int64 with a
// scalar cast on SSE2/AVX2 (double), undefined for NaN and ±inf; the sanitized build halts there.
// Non-finite and huge deltas must give the oracle's values (NaN, 0 or inf widths) on every arch.
TEST_CASE_TEMPLATE("box_coder_decode: NaN, infinite and huge deltas on every arch", T, float, double) {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const std::vector<T> specials = {nan, inf, -inf, T(-1e30), T(-800), T(1e30), T(88), T(-88)};
  std::vector<T> anchors, deltas;
  for (std::size_t i = 0; i < specials.size(); ++i) {
    anchors.insert(anchors.end(), {T(1), T(2), T(11), T(22)});
    deltas.insert(deltas.end(), {T(0.5), specials[i], specials[i], specials[(i + 3) % specials.size()]});
  }
  const std::size_t n = specials.size();
  for (const double clamp : {default_scale_clamp, std::numeric_limits<double>::infinity()}) {
    test::for_each_arch([&](simd::arch_id) {
      for (std::size_t k : {std::size_t(1), std::size_t(2)}) {  // k = 1: the AoS kernel; 2: the tiled one
        std::vector<T> out(deltas.size());
        CHECK(box_coder_decode(deltas.data(), anchors.data(), n / k, k, out.data(), {}, clamp));
        std::vector<T> ref_k(deltas.size());
        reference::box_coder_decode(deltas.data(), anchors.data(), n / k, k, ref_k.data(), {}, clamp);
        for (std::size_t q = 0; q < out.size(); ++q) {
          CAPTURE(q);
          CAPTURE(clamp);
          if (std::isnan(ref_k[q])) CHECK(std::isnan(out[q]));
          else if (std::isinf(ref_k[q])) CHECK(out[q] == ref_k[q]);
          else CHECK(std::fabs(out[q] - ref_k[q]) <= 8 * std::numeric_limits<T>::epsilon() * std::fabs(ref_k[q]) + T(64) * std::numeric_limits<T>::epsilon());
        }
      }
    });
  }
}
