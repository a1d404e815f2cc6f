#include <locuskit/roi/roi_align.hpp>

#include <cmath>
#include <vector>

#include "roi/test_roi_support.hpp"
#include "test_support.hpp"

using namespace locuskit;

namespace {
// Oracle: torchvision's backward structure (every output element recomputes its samples' bilinear
// weights on its own, no shared pre-computation), used for the forward too.
template <class T>
void bilinear(std::size_t H, std::size_t W, T y, T x, T w[4], long long pos[4]) {
  for (int i = 0; i < 4; ++i) w[i] = 0, pos[i] = -1;
  if (y < -1.0 || y > double(H) || x < -1.0 || x > double(W)) return;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  long long yl = (long long)y, xl = (long long)x, yh, xh;
  if (yl >= (long long)H - 1) yh = yl = (long long)H - 1, y = (T)yl;
  else yh = yl + 1;
  if (xl >= (long long)W - 1) xh = xl = (long long)W - 1, x = (T)xl;
  else xh = xl + 1;
  const T ly = y - yl, lx = x - xl, hy = T(1) - ly, hx = T(1) - lx;
  w[0] = hy * hx, w[1] = hy * lx, w[2] = ly * hx, w[3] = ly * lx;
  pos[0] = yl * (long long)W + xl, pos[1] = yl * (long long)W + xh, pos[2] = yh * (long long)W + xl,
  pos[3] = yh * (long long)W + xh;
}

template <class T, class Visit>
void for_each_sample(const T* roi, const RoiAlignParams& p, std::size_t H, std::size_t W, std::size_t ph,
                     std::size_t pw, Visit&& visit) {
  const T sc = T(p.spatial_scale), off = p.aligned ? T(0.5) : T(0);
  const T sw = roi[1] * sc - off, sh = roi[2] * sc - off, ew = roi[3] * sc - off, eh = roi[4] * sc - off;
  T rw = ew - sw, rh = eh - sh;
  if (!p.aligned) rw = std::max(rw, T(1)), rh = std::max(rh, T(1));
  const T bh = rh / T(p.pooled_h), bw = rw / T(p.pooled_w);
  const int gh = p.sampling_ratio > 0 ? p.sampling_ratio : int(std::ceil(rh / T(p.pooled_h)));
  const int gw = p.sampling_ratio > 0 ? p.sampling_ratio : int(std::ceil(rw / T(p.pooled_w)));
  const T count = T(std::max(gh * gw, 1));
  for (int iy = 0; iy < gh; ++iy) {
    const T y = sh + T(ph) * bh + T(iy + .5f) * bh / T(gh);
    for (int ix = 0; ix < gw; ++ix) {
      const T x = sw + T(pw) * bw + T(ix + .5f) * bw / T(gw);
      T w[4];
      long long pos[4];
      bilinear<T>(H, W, y, x, w, pos);
      visit(w, pos, count);
    }
  }
}
}  // namespace

TEST_CASE_TEMPLATE("roi_align: forward and backward equal the per-element oracle bitwise", T, float, double) {
  const FeatureShape s{2, 19, 11, 13};  // 19 channels: a 16-channel block and a tail
  const auto f = test::random_features<T>(s.size(), 7);
  for (int variant = 0; variant < 6; ++variant) {
    RoiAlignParams p;
    p.pooled_h = 1 + variant % 3;
    p.pooled_w = 2 + variant % 4;
    p.spatial_scale = variant % 2 ? 0.25 : 1.0;
    p.sampling_ratio = variant < 3 ? 0 : 2;
    p.aligned = variant % 3 == 1;
    CAPTURE(variant);
    const std::size_t k = 21;
    const auto rois = test::random_rois<T>(k, s.n, double(s.h), double(s.w), p.spatial_scale, 100 + variant);
    const std::size_t bins = p.pooled_h * p.pooled_w;
    std::vector<T> out(k * s.c * bins), want(out.size()), out_cl(out.size());
    roi_align_forward(f.data(), s, rois.data(), k, p, out.data(), Parallel{3});
    // both layouts: planar (1) and channels-last (2), which the automatic choice picks by size
    detail::roi_align_forward_impl(f.data(), s, rois.data(), k, p, out.data(), Parallel{3}, 1);
    detail::roi_align_forward_impl(f.data(), s, rois.data(), k, p, out_cl.data(), Parallel{2}, 2);
    const auto g = test::random_features<T>(out.size(), 9 + variant);
    std::vector<T> gf(s.size()), want_gf(s.size(), T(0)), gf_cl(s.size());
    detail::roi_align_backward_impl(g.data(), s, rois.data(), k, p, gf.data(), Parallel{2}, 1);
    detail::roi_align_backward_impl(g.data(), s, rois.data(), k, p, gf_cl.data(), Parallel{3}, 2);
    for (std::size_t r = 0; r < k; ++r) {
      const T* roi = rois.data() + 5 * r;
      const std::size_t b = std::size_t(roi[0]);
      for (std::size_t c = 0; c < s.c; ++c)
        for (std::size_t ph = 0; ph < p.pooled_h; ++ph)
          for (std::size_t pw = 0; pw < p.pooled_w; ++pw) {
            const std::size_t o = ((r * s.c + c) * p.pooled_h + ph) * p.pooled_w + pw;
            const T* plane = f.data() + (b * s.c + c) * s.plane();
            T* gplane = want_gf.data() + (b * s.c + c) * s.plane();
            T acc = 0, cnt = 1;
            for_each_sample(roi, p, s.h, s.w, ph, pw, [&](const T* w, const long long* pos, T count) {
              cnt = count;
              acc += w[0] * plane[std::max(pos[0], 0LL)] + w[1] * plane[std::max(pos[1], 0LL)] +
                     w[2] * plane[std::max(pos[2], 0LL)] + w[3] * plane[std::max(pos[3], 0LL)];
              if (pos[0] >= 0)
                for (int t = 0; t < 4; ++t) gplane[pos[t]] += g[o] * w[t] / count;
            });
            want[o] = acc / cnt;
          }
    }
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(test::same_bits(out[i], want[i]));
    for (std::size_t i = 0; i < gf.size(); ++i) REQUIRE(test::same_bits(gf[i], want_gf[i]));
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(test::same_bits(out_cl[i], want[i]));
    for (std::size_t i = 0; i < gf.size(); ++i) REQUIRE(test::same_bits(gf_cl[i], want_gf[i]));
  }
}

TEST_CASE("roi_align: backward is the adjoint of the forward (float64)") {
  const FeatureShape s{1, 2, 9, 10};
  RoiAlignParams p;
  p.pooled_h = 3, p.pooled_w = 4, p.aligned = true;
  const std::size_t k = 14;
  const auto rois = test::random_rois<double>(k, 1, 9, 10, 1.0, 3);
  const auto f = test::random_features<double>(s.size(), 4);
  const auto g = test::random_features<double>(k * s.c * 12, 5);
  std::vector<double> out(g.size()), gf(s.size());
  roi_align_forward(f.data(), s, rois.data(), k, p, out.data());
  roi_align_backward(g.data(), s, rois.data(), k, p, gf.data());
  double lhs = 0, rhs = 0;
  for (std::size_t i = 0; i < out.size(); ++i) lhs += out[i] * g[i];
  for (std::size_t i = 0; i < gf.size(); ++i) rhs += gf[i] * f[i];
  CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
}

TEST_CASE("roi_align: results do not depend on the thread count; invalid rois throw") {
  const FeatureShape s{2, 5, 16, 12};
  RoiAlignParams p;
  const std::size_t k = 40;
  const auto rois = test::random_rois<float>(k, 2, 16, 12, 0.5, 11);
  const auto f = test::random_features<float>(s.size(), 12);
  std::vector<float> a(k * 5 * 49), b(a.size()), ga(s.size()), gb(s.size());
  roi_align_forward(f.data(), s, rois.data(), k, p, a.data(), Parallel{1});
  roi_align_forward(f.data(), s, rois.data(), k, p, b.data(), Parallel{4});
  CHECK(a == b);
  roi_align_backward(a.data(), s, rois.data(), k, p, ga.data(), Parallel{1});
  roi_align_backward(a.data(), s, rois.data(), k, p, gb.data(), Parallel{4});
  CHECK(ga == gb);
  std::vector<float> bad = {2, 0, 0, 1, 1};  // batch index 2 of 2
  CHECK_THROWS_AS(roi_align_forward(f.data(), s, bad.data(), 1, p, a.data()), std::invalid_argument);
  bad = {0, 0, std::nanf(""), 1, 1};
  CHECK_THROWS_AS(roi_align_forward(f.data(), s, bad.data(), 1, p, a.data()), std::invalid_argument);
  p.pooled_w = 0;
  CHECK_THROWS_AS(roi_align_forward(f.data(), s, rois.data(), 1, p, a.data()), std::invalid_argument);
}
