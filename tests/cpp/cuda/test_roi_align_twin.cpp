// The CUDA RoIAlign kernels' per-element code (detail/roi/roi_align_sample.hpp, what one thread of
// cuda/roi_align.cuh runs) executed on the CPU in the kernels' indexing: the forward must equal
// the CPU kernel bit for bit, and the backward too when the scatters run in index order (the GPU
// runs them in an unspecified order: equal up to reassociation, checked on a GPU machine).
#include <locuskit/roi/roi_align.hpp>

#include <vector>

#include "roi/test_roi_support.hpp"
#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("cuda twin: roi_align per-element forward and backward equal the CPU kernel bitwise", T, float,
                   double) {
  const FeatureShape s{2, 6, 11, 13};
  const auto f = test::random_features<T>(s.size(), 21);
  for (int variant = 0; variant < 6; ++variant) {
    RoiAlignParams p;
    p.pooled_h = 1 + variant % 3;
    p.pooled_w = 2 + variant % 4;
    p.spatial_scale = variant % 2 ? 0.25 : 1.0;
    p.sampling_ratio = variant < 3 ? 0 : 2;
    p.aligned = variant % 3 == 1;
    CAPTURE(variant);
    const std::size_t k = 21, bins = p.pooled_h * p.pooled_w;
    const auto rois = test::random_rois<T>(k, s.n, double(s.h), double(s.w), p.spatial_scale, 300 + variant);
    std::vector<T> cpu(k * s.c * bins), twin(cpu.size());
    roi_align_forward(f.data(), s, rois.data(), k, p, cpu.data(), Parallel{2});
    const auto g = test::random_features<T>(cpu.size(), 40 + variant);
    std::vector<T> cpu_grad(s.size()), twin_grad(s.size(), T(0));
    roi_align_backward(g.data(), s, rois.data(), k, p, cpu_grad.data(), Parallel{2});
    const long long hl = static_cast<long long>(s.h), wl = static_cast<long long>(s.w);
    for (std::size_t i = 0; i < twin.size(); ++i) {  // the kernels' flat index: (roi, channel, bin)
      const std::size_t b = i % bins, c = (i / bins) % s.c, r = i / (bins * s.c);
      const T* roi = rois.data() + 5 * r;
      const auto grid = detail::roi_align_grid(roi, p);
      const std::size_t plane = (detail::roi_batch(roi) * s.c + c) * s.plane();
      twin[i] = detail::roi_align_bin(f.data() + plane, grid, b / p.pooled_w, b % p.pooled_w, hl, wl);
      T* gp = twin_grad.data() + plane;
      if (g[i] != T(0))
        detail::roi_align_bin_backward(g[i], grid, b / p.pooled_w, b % p.pooled_w, hl, wl,
                                       [gp](std::size_t pos, T v) { gp[pos] += v; });
    }
    for (std::size_t i = 0; i < cpu.size(); ++i) REQUIRE(test::same_bits(twin[i], cpu[i]));
    for (std::size_t i = 0; i < cpu_grad.size(); ++i) REQUIRE(test::same_bits(twin_grad[i], cpu_grad[i]));
  }
}
