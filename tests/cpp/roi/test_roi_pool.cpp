#include <locuskit/roi/roi_pool.hpp>

#include <cfloat>
#include <cmath>
#include <vector>

#include "roi/test_roi_support.hpp"
#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("roi_pool: max over each quantized bin; backward routes to the argmax", T, float, double) {
  const FeatureShape s{2, 3, 10, 14};
  const auto f = test::random_features<T>(s.size(), 21);
  RoiPoolParams p;
  p.pooled_h = 3, p.pooled_w = 2, p.spatial_scale = 0.5;
  const std::size_t k = 28, bins = 6;
  const auto rois = test::random_rois<T>(k, 2, 10, 14, 0.5, 22);
  std::vector<T> out(k * s.c * bins);
  std::vector<std::int64_t> am(out.size());
  roi_pool_forward(f.data(), s, rois.data(), k, p, out.data(), am.data(), Parallel{3});
  for (std::size_t r = 0; r < k; ++r) {
    const T* roi = rois.data() + 5 * r;
    // torchvision's quantization, restated: round corners, inclusive end, floor/ceil bin edges.
    const long long sw = std::llround(double(roi[1] * T(0.5))), sh = std::llround(double(roi[2] * T(0.5)));
    const long long ew = std::llround(double(roi[3] * T(0.5))), eh = std::llround(double(roi[4] * T(0.5)));
    const double rh = double(std::max(eh - sh + 1, 1LL)), rw = double(std::max(ew - sw + 1, 1LL));
    for (std::size_t c = 0; c < s.c; ++c)
      for (std::size_t ph = 0; ph < 3; ++ph)
        for (std::size_t pw = 0; pw < 2; ++pw) {
          const long long hs = std::clamp(sh + (long long)std::floor(ph * T(rh / 3)), 0LL, 10LL);
          const long long he = std::clamp(sh + (long long)std::ceil((ph + 1) * T(rh / 3)), 0LL, 10LL);
          const long long ws = std::clamp(sw + (long long)std::floor(pw * T(rw / 2)), 0LL, 14LL);
          const long long we = std::clamp(sw + (long long)std::ceil((pw + 1) * T(rw / 2)), 0LL, 14LL);
          const std::size_t o = ((r * s.c + c) * 3 + ph) * 2 + pw;
          const T* plane = f.data() + (std::size_t(roi[0]) * s.c + c) * s.plane();
          if (he <= hs || we <= ws) {
            CHECK(out[o] == 0);
            CHECK(am[o] == -1);
            continue;
          }
          T best = -std::numeric_limits<T>::infinity();
          for (long long y = hs; y < he; ++y)
            for (long long x = ws; x < we; ++x) best = std::max(best, plane[y * 14 + x]);
          CHECK(out[o] == best);
          REQUIRE(am[o] >= 0);
          CHECK(plane[am[o]] == best);
        }
  }
  const auto g = test::random_features<T>(out.size(), 23);
  std::vector<T> gf(s.size()), gf1(s.size());
  roi_pool_backward(g.data(), am.data(), s, rois.data(), k, p, gf.data(), Parallel{2});
  roi_pool_backward(g.data(), am.data(), s, rois.data(), k, p, gf1.data(), Parallel{1});
  CHECK(gf == gf1);
  double lhs = 0, rhs = 0;  // the backward is the adjoint of the (locally linear) forward
  for (std::size_t i = 0; i < out.size(); ++i) lhs += double(out[i]) * double(g[i]);
  for (std::size_t i = 0; i < gf.size(); ++i) rhs += double(gf[i]) * double(f[i]);
  CHECK(lhs == doctest::Approx(rhs).epsilon(1e-5));
  am[0] = 10 * 14;  // out of the plane
  CHECK_THROWS_AS(roi_pool_backward(g.data(), am.data(), s, rois.data(), k, p, gf.data()), std::invalid_argument);
}
