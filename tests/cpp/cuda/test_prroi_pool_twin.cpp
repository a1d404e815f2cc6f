// The CUDA PrRoIPool kernels' per-element code (detail/roi/prroi_sample.hpp, what one thread of
// cuda/prroi_pool.cuh runs) executed on the CPU in the kernels' indexing. Forward and box gradient
// (terms summed in index order, as the planar CPU kernel does) must equal the CPU bit for bit; the
// feature gradient multiplies (grad wy) wx per bin where the CPU first sums grad wy over a column's
// bins, so it agrees to rounding. On the GPU the atomics reorder the sums (checked on a GPU machine).
#include <locuskit/roi/prroi_pool.hpp>

#include <cmath>
#include <vector>

#include "roi/test_roi_support.hpp"
#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("cuda twin: prroi_pool per-element forward and gradients equal the CPU kernel", T, float, double) {
  const FeatureShape s{2, 5, 12, 10};
  const auto f = test::random_features<T>(s.size(), 31);
  for (int variant = 0; variant < 4; ++variant) {
    PrRoiPoolParams p;
    p.pooled_h = 1 + variant % 3;
    p.pooled_w = 2 + variant % 2;
    p.spatial_scale = variant % 2 ? 0.5 : 1.0;
    CAPTURE(variant);
    const std::size_t k = 21, bins = p.pooled_h * p.pooled_w;
    const auto rois = test::random_rois<T>(k, s.n, double(s.h), double(s.w), p.spatial_scale, 500 + variant);
    std::vector<T> cpu(k * s.c * bins), twin(cpu.size());
    detail::prroi_pool_forward_impl(f.data(), s, rois.data(), k, p, cpu.data(), Parallel{2}, 1);
    const auto g = test::random_features<T>(cpu.size(), 60 + variant);
    std::vector<T> cpu_gf(s.size()), cpu_gr(5 * k), twin_gf(s.size(), T(0)), twin_gr(5 * k, T(0));
    detail::prroi_pool_backward_impl(f.data(), g.data(), s, rois.data(), k, p, cpu_gf.data(), cpu_gr.data(),
                                     Parallel{2}, 1);
    std::vector<double> terms(4 * k, 0.0);
    for (std::size_t i = 0; i < twin.size(); ++i) {  // the kernels' flat index: (roi, channel, bin)
      const std::size_t b = i % bins, c = (i / bins) % s.c, r = i / (bins * s.c);
      const T* roi = rois.data() + 5 * r;
      const auto geo = detail::pr_roi_geometry(roi, p);
      if (geo.empty) continue;
      const std::size_t ph = b / p.pooled_w, pw = b % p.pooled_w;
      const std::size_t plane = (detail::roi_batch(roi) * s.c + c) * s.plane();
      const auto x = detail::pr_bin_axis(geo.x1, geo.bin_w, pw, static_cast<long long>(s.w));
      const auto y = detail::pr_bin_axis(geo.y1, geo.bin_h, ph, static_cast<long long>(s.h));
      twin[i] = detail::prroi_bin(f.data() + plane, s.w, x, y);
      if (g[i] == T(0)) continue;
      T* gp = twin_gf.data() + plane;
      detail::prroi_bin_feature_grad(g[i], s.w, x, y, [gp](std::size_t pos, T v) { gp[pos] += v; });
      detail::prroi_bin_box_grad(f.data() + plane, s.w, static_cast<long long>(s.h), x, y, ph, pw, p.pooled_h,
                                 p.pooled_w, g[i], terms.data() + 4 * r);
    }
    for (std::size_t r = 0; r < k; ++r)
      for (int t = 0; t < 4; ++t) twin_gr[5 * r + 1 + t] = static_cast<T>(terms[4 * r + t] * p.spatial_scale);
    for (std::size_t i = 0; i < cpu.size(); ++i) REQUIRE(test::same_bits(twin[i], cpu[i]));
    for (std::size_t i = 0; i < cpu_gr.size(); ++i) REQUIRE(test::same_bits(twin_gr[i], cpu_gr[i]));
    const double tol = sizeof(T) == 4 ? 1e-5 : 1e-13;
    for (std::size_t i = 0; i < cpu_gf.size(); ++i)
      REQUIRE(double(twin_gf[i]) == doctest::Approx(double(cpu_gf[i])).epsilon(tol).scale(1.0));
  }
}
