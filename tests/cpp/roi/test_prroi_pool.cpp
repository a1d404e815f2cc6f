#include <locuskit/roi/prroi_pool.hpp>

#include <cmath>
#include <vector>

#include "roi/test_roi_support.hpp"
#include "test_support.hpp"

using namespace locuskit;

namespace {
// Oracle: split the bin at the integer lines; on each piece the zero-padded bilinear map is
// bilinear, and the mean of a bilinear function over a rectangle is its value at the centre.
double bilinear_zero_pad(const double* F, std::size_t H, std::size_t W, double x, double y) {
  double s = 0;
  const long long x0 = (long long)std::floor(x), y0 = (long long)std::floor(y);
  for (long long i = y0; i <= y0 + 1; ++i)
    for (long long j = x0; j <= x0 + 1; ++j)
      if (i >= 0 && i < (long long)H && j >= 0 && j < (long long)W)
        s += std::max(0.0, 1 - std::fabs(x - j)) * std::max(0.0, 1 - std::fabs(y - i)) * F[i * W + j];
  return s;
}

std::vector<double> cuts(double a, double b) {
  std::vector<double> c{a};
  for (double v = std::floor(a) + 1; v < b; v += 1) c.push_back(v);
  c.push_back(b);
  return c;
}

double bin_mean(const double* F, std::size_t H, std::size_t W, double xa, double xb, double ya, double yb) {
  const auto cx = cuts(xa, xb), cy = cuts(ya, yb);
  double s = 0;
  for (std::size_t i = 0; i + 1 < cy.size(); ++i)
    for (std::size_t j = 0; j + 1 < cx.size(); ++j)
      s += (cx[j + 1] - cx[j]) * (cy[i + 1] - cy[i]) *
           bilinear_zero_pad(F, H, W, (cx[j] + cx[j + 1]) / 2, (cy[i] + cy[i + 1]) / 2);
  return s / ((xb - xa) * (yb - ya));
}
}  // namespace

TEST_CASE("prroi_pool: forward equals piecewise exact integration (float64), float32 close") {
  const FeatureShape s{2, 2, 9, 12};
  // float32-representable inputs, so the float32 run sees the same problem.
  const auto f32 = test::random_features<float>(s.size(), 31);
  const std::vector<double> f(f32.begin(), f32.end());
  for (double scale : {1.0, 0.5}) {
    PrRoiPoolParams p{3, 4, scale};
    const std::size_t k = 28, bins = 12;
    const auto r32 = test::random_rois<float>(k, 2, 9, 12, scale, 32);
    const std::vector<double> rois(r32.begin(), r32.end());
    std::vector<double> out(k * s.c * bins);
    prroi_pool_forward(f.data(), s, rois.data(), k, p, out.data(), Parallel{2});
    for (std::size_t r = 0; r < k; ++r) {
      const double* roi = rois.data() + 5 * r;
      const double x1 = roi[1] * scale, y1 = roi[2] * scale;
      const double bw = std::max(roi[3] * scale - x1, 0.0) / 4, bh = std::max(roi[4] * scale - y1, 0.0) / 3;
      for (std::size_t c = 0; c < s.c; ++c)
        for (std::size_t ph = 0; ph < 3; ++ph)
          for (std::size_t pw = 0; pw < 4; ++pw) {
            const double got = out[((r * s.c + c) * 3 + ph) * 4 + pw];
            if (bw * bh == 0) {
              CHECK(got == 0);
              continue;
            }
            const double* plane = f.data() + (std::size_t(roi[0]) * s.c + c) * s.plane();
            const double want = bin_mean(plane, 9, 12, x1 + pw * bw, x1 + pw * bw + bw, y1 + ph * bh, y1 + ph * bh + bh);
            CHECK(got == doctest::Approx(want).epsilon(1e-12).scale(1e-12));
          }
    }
    std::vector<float> o32(out.size());
    prroi_pool_forward(f32.data(), s, r32.data(), k, p, o32.data());
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(double(o32[i]) == doctest::Approx(out[i]).epsilon(2e-6).scale(1.0));
  }
}

TEST_CASE("prroi_pool: roi gradients equal central differences; feature gradient is the adjoint") {
  const FeatureShape s{1, 3, 8, 10};
  const auto f = test::random_features<double>(s.size(), 41);
  const PrRoiPoolParams p{2, 3, 1.0};
  // Generic boxes (no edge on an integer line), inside, crossing, in the fringe.
  const std::vector<double> rois = {0, 1.3, 2.2, 6.7, 5.9, 0, -2.4, -1.7, 3.3, 4.1, 0, -0.9, 6.2, 0.7, 7.8,
                                    0, 8.6, 0.4, 9.7, 7.1, 0, 4.05, 3.1, 4.35, 3.4};
  const std::size_t k = rois.size() / 5, n_out = k * s.c * 6;
  const auto g = test::random_features<double>(n_out, 42);
  std::vector<double> gf(s.size()), gr(5 * k), out(n_out), out2(n_out);
  prroi_pool_backward(f.data(), g.data(), s, rois.data(), k, p, gf.data(), gr.data(), Parallel{2});
  auto loss = [&](const std::vector<double>& r) {
    prroi_pool_forward(f.data(), s, r.data(), k, p, out2.data());
    double L = 0;
    for (std::size_t i = 0; i < n_out; ++i) L += out2[i] * g[i];
    return L;
  };
  for (std::size_t r = 0; r < k; ++r) {
    CHECK(gr[5 * r] == 0);
    for (int j = 1; j < 5; ++j) {
      auto rp = rois, rm = rois;
      const double h = 1e-6;
      rp[5 * r + j] += h, rm[5 * r + j] -= h;
      const double fd = (loss(rp) - loss(rm)) / (2 * h);
      CAPTURE(r);
      CAPTURE(j);
      CHECK(gr[5 * r + j] == doctest::Approx(fd).epsilon(1e-6).scale(1));
    }
  }
  prroi_pool_forward(f.data(), s, rois.data(), k, p, out.data());
  double lhs = 0, rhs = 0;
  for (std::size_t i = 0; i < n_out; ++i) lhs += out[i] * g[i];
  for (std::size_t i = 0; i < gf.size(); ++i) rhs += gf[i] * f[i];
  CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
  std::vector<double> gf1(s.size()), gr1(5 * k);
  prroi_pool_backward(f.data(), g.data(), s, rois.data(), k, p, gf1.data(), gr1.data(), Parallel{1});
  CHECK(gf1 == gf);
  CHECK(gr1 == gr);
}

TEST_CASE("prroi_pool: degenerate rois give zero output and zero gradients") {
  const FeatureShape s{1, 1, 5, 5};
  const auto f = test::random_features<double>(s.size(), 51);
  const std::vector<double> rois = {0, 1, 1, 1, 3, 0, 1, 1, 3, 1, 0, 3, 3, 1, 1};
  std::vector<double> out(3 * 4, 7.0), g(out.size(), 1.0), gf(s.size()), gr(15, 9.0);
  const PrRoiPoolParams p{2, 2, 1.0};
  prroi_pool_forward(f.data(), s, rois.data(), 3, p, out.data());
  prroi_pool_backward(f.data(), g.data(), s, rois.data(), 3, p, gf.data(), gr.data());
  for (double v : out) CHECK(v == 0);
  for (double v : gf) CHECK(v == 0);
  for (double v : gr) CHECK(v == 0);
}

TEST_CASE_TEMPLATE("prroi_pool: the channels-last path equals the planar path", T, float, double) {
  const FeatureShape s{2, 19, 9, 12};  // 19 channels: a 16-channel block and a tail
  const auto f = test::random_features<T>(s.size(), 61);
  const PrRoiPoolParams p{3, 2, 0.5};
  const std::size_t k = 21, bins = 6;
  const auto rois = test::random_rois<T>(k, 2, 9, 12, 0.5, 62);
  const auto g = test::random_features<T>(k * s.c * bins, 63);
  std::vector<T> o1(k * s.c * bins), o2(o1.size()), gf1(s.size()), gf2(s.size()), gr1(5 * k), gr2(5 * k);
  detail::prroi_pool_forward_impl(f.data(), s, rois.data(), k, p, o1.data(), Parallel{2}, 1);
  detail::prroi_pool_forward_impl(f.data(), s, rois.data(), k, p, o2.data(), Parallel{3}, 2);
  for (std::size_t i = 0; i < o1.size(); ++i) REQUIRE(test::same_bits(o1[i], o2[i]));  // same order per channel
  detail::prroi_pool_backward_impl(f.data(), g.data(), s, rois.data(), k, p, gf1.data(), gr1.data(), Parallel{2}, 1);
  detail::prroi_pool_backward_impl(f.data(), g.data(), s, rois.data(), k, p, gf2.data(), gr2.data(), Parallel{3}, 2);
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  for (std::size_t i = 0; i < gf1.size(); ++i) CHECK(double(gf2[i]) == doctest::Approx(double(gf1[i])).epsilon(tol).scale(1.0));
  double scale = 1;
  for (T v : gr1) scale = std::max(scale, double(std::fabs(v)));
  for (std::size_t i = 0; i < gr1.size(); ++i) CHECK(double(gr2[i]) == doctest::Approx(double(gr1[i])).epsilon(tol).scale(scale));
}
