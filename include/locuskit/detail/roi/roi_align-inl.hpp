#pragma once
// RoIAlign: every sample's four bilinear taps are computed once per roi (positions and weights in
// torchvision's exact arithmetic, roi_align_sample.hpp), then reused for every channel, forward and backward.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../roi/roi_align.hpp"
#include "roi_align_sample.hpp"

namespace locuskit {
namespace detail {

/// The taps of every sample of a roi, bin-major (ph, pw, iy, ix), as torchvision's pre_calc.
template <class T>
void roi_align_taps(const RoiAlignGrid<T>& g, std::size_t H, std::size_t W, const RoiAlignParams& p,
                    std::vector<BilinearTaps<T>>& taps) {
  const std::size_t per_bin = g.samples_per_bin();
  taps.resize(p.pooled_h * p.pooled_w * per_bin);
  if (per_bin == 0) return;
  const long long hl = static_cast<long long>(H), wl = static_cast<long long>(W);
  std::size_t t = 0;
  for (std::size_t ph = 0; ph < p.pooled_h; ++ph)
    for (std::size_t pw = 0; pw < p.pooled_w; ++pw)
      for (long long iy = 0; iy < g.grid_h; ++iy)
        for (long long ix = 0; ix < g.grid_w; ++ix, ++t) taps[t] = roi_align_tap(g, ph, pw, iy, ix, hl, wl);
}

inline void check_pooled_size(std::size_t ph, std::size_t pw) {
  LOCUSKIT_CHECK(ph > 0 && pw > 0, std::invalid_argument, "output_size: must be positive, got (", ph, ", ", pw,
                 ")");
}

/// Channels-last copy of one NCHW map (dst (N, H, W, C)), threads over pixel blocks.
template <class T>
void nchw_to_nhwc(const T* src, const FeatureShape& s, T* dst, Parallel par) {
  const std::size_t hw = s.plane(), C = s.c;
  parallel_for(s.n * hw, 1024, par, [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const std::size_t n = p / hw, q = p % hw;
      const T* in = src + n * C * hw + q;
      T* out = dst + p * C;
      for (std::size_t c = 0; c < C; ++c) out[c] = in[c * hw];
    }
  });
}

/// The inverse of nchw_to_nhwc, threads over channel planes.
template <class T>
void nhwc_to_nchw(const T* src, const FeatureShape& s, T* dst, Parallel par) {
  const std::size_t hw = s.plane(), C = s.c;
  parallel_for(s.n * C, 1, par, [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const std::size_t n = p / C, c = p % C;
      const T* in = src + n * hw * C + c;
      T* out = dst + p * hw;
      for (std::size_t q = 0; q < hw; ++q) out[q] = in[q * C];
    }
  });
}

/// Whether the channels-last path pays: it copies the map once, then every bilinear tap reads
/// (and the backward writes) C contiguous values, which vectorize over channels; the planar
/// path gathers one value per tap and channel. Worth it when the taps outnumber the pixels.
inline bool roi_align_channels_last(const FeatureShape& s, std::size_t k, std::size_t bins) noexcept {
  return s.c >= 4 && k * bins * 4 >= s.n * s.plane();
}

/// Forward on a channels-last map: per roi, acc[bin][c] in the same per-channel operation order
/// as the planar path (and torchvision), SIMD over c.
template <class T>
void roi_align_forward_nhwc(const T* nhwc, const FeatureShape& shape, const T* rois, std::size_t k,
                            const RoiAlignParams& params, T* out, Parallel par) {
  const std::size_t bins = params.pooled_h * params.pooled_w, C = shape.c, plane = shape.plane();
  parallel_for(k, 1, par, [&](std::size_t r0, std::size_t r1) {
    std::vector<BilinearTaps<T>> taps;
    std::vector<T> acc(bins * C);
    for (std::size_t r = r0; r < r1; ++r) {
      const T* roi = rois + 5 * r;
      const auto g = roi_align_grid(roi, params);
      roi_align_taps(g, shape.h, shape.w, params, taps);
      const std::size_t per_bin = g.samples_per_bin();
      const T* batch = nhwc + roi_batch(roi) * plane * C;
      const BilinearTaps<T>* s = taps.data();
      for (std::size_t b = 0; b < bins; ++b) {
        T* a = acc.data() + b * C;
        std::fill(a, a + C, T(0));
        for (std::size_t q = 0; q < per_bin; ++q, ++s) {
          const T w0 = s->w[0], w1 = s->w[1], w2 = s->w[2], w3 = s->w[3];
          const T* v0 = batch + s->pos[0] * C;
          const T* v1 = batch + s->pos[1] * C;
          const T* v2 = batch + s->pos[2] * C;
          const T* v3 = batch + s->pos[3] * C;
          for (std::size_t c = 0; c < C; ++c) a[c] += w0 * v0[c] + w1 * v1[c] + w2 * v2[c] + w3 * v3[c];
        }
        for (std::size_t c = 0; c < C; ++c) a[c] /= g.count;
      }
      T* o = out + r * C * bins;
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t b = 0; b < bins; ++b) o[c * bins + b] = acc[b * C + c];
    }
  });
}

template <class T>
void roi_align_forward_nchw(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                            const RoiAlignParams& params, T* out, Parallel par) {
  const std::size_t bins = params.pooled_h * params.pooled_w, plane = shape.plane();
  parallel_for(k, 1, par, [&](std::size_t r0, std::size_t r1) {
    std::vector<BilinearTaps<T>> taps;
    for (std::size_t r = r0; r < r1; ++r) {
      const T* roi = rois + 5 * r;
      const auto g = roi_align_grid(roi, params);
      roi_align_taps(g, shape.h, shape.w, params, taps);
      const std::size_t per_bin = g.samples_per_bin();
      const T* batch = features + roi_batch(roi) * shape.c * plane;
      T* o = out + r * shape.c * bins;
      for (std::size_t c = 0; c < shape.c; ++c, o += bins) {
        const T* f = batch + c * plane;
        const BilinearTaps<T>* s = taps.data();
        for (std::size_t b = 0; b < bins; ++b) {
          T acc = T(0);
          for (std::size_t q = 0; q < per_bin; ++q, ++s)
            acc += s->w[0] * f[s->pos[0]] + s->w[1] * f[s->pos[1]] + s->w[2] * f[s->pos[2]] + s->w[3] * f[s->pos[3]];
          o[b] = acc / g.count;
        }
      }
    }
  });
}

/// Backward into a channels-last gradient (zeroed here); threads split the channels, so each
/// element still receives its contributions in torchvision's order.
template <class T>
void roi_align_backward_nhwc(const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                             const RoiAlignParams& params, T* grad_nhwc, Parallel par) {
  const std::size_t bins = params.pooled_h * params.pooled_w, C = shape.c, plane = shape.plane();
  std::fill(grad_nhwc, grad_nhwc + shape.size(), T(0));
  const std::size_t block = 16;  // channels per task: a cache line of floats
  parallel_for((C + block - 1) / block, 1, par, [&](std::size_t b0, std::size_t b1) {
    const std::size_t c0 = b0 * block, c1 = std::min(C, b1 * block), width = c1 - c0;
    std::vector<BilinearTaps<T>> taps;
    std::vector<T> gb(bins * width), add(width);
    for (std::size_t r = 0; r < k; ++r) {
      const T* roi = rois + 5 * r;
      const auto g = roi_align_grid(roi, params);
      roi_align_taps(g, shape.h, shape.w, params, taps);
      const std::size_t per_bin = g.samples_per_bin();
      if (per_bin == 0) continue;
      for (std::size_t c = 0; c < width; ++c)
        for (std::size_t b = 0; b < bins; ++b) gb[b * width + c] = grad_out[(r * C + c0 + c) * bins + b];
      T* batch = grad_nhwc + roi_batch(roi) * plane * C + c0;
      const BilinearTaps<T>* s = taps.data();
      for (std::size_t b = 0; b < bins; ++b) {
        const T* gv = gb.data() + b * width;
        for (std::size_t q = 0; q < per_bin; ++q, ++s) {
          if (!s->inside) continue;
          for (int t = 0; t < 4; ++t) {
            const T w = s->w[t];
            T* dst = batch + s->pos[t] * C;
            for (std::size_t c = 0; c < width; ++c) add[c] = gv[c] * w / g.count;
            for (std::size_t c = 0; c < width; ++c) dst[c] += add[c];
          }
        }
      }
    }
  });
}

template <class T>
void roi_align_backward_nchw(const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                             const RoiAlignParams& params, T* grad_features, Parallel par) {
  const std::size_t bins = params.pooled_h * params.pooled_w, plane = shape.plane();
  std::fill(grad_features, grad_features + shape.size(), T(0));
  // Split over channels: every thread walks all rois in order, so each element's sum has
  // torchvision's order whatever the thread count.
  parallel_for(shape.c, 1, par, [&](std::size_t c0, std::size_t c1) {
    std::vector<BilinearTaps<T>> taps;
    for (std::size_t r = 0; r < k; ++r) {
      const T* roi = rois + 5 * r;
      const auto g = roi_align_grid(roi, params);
      roi_align_taps(g, shape.h, shape.w, params, taps);
      const std::size_t per_bin = g.samples_per_bin();
      if (per_bin == 0) continue;
      T* batch = grad_features + roi_batch(roi) * shape.c * plane;
      for (std::size_t c = c0; c < c1; ++c) {
        T* f = batch + c * plane;
        const T* go = grad_out + (r * shape.c + c) * bins;
        const BilinearTaps<T>* s = taps.data();
        for (std::size_t b = 0; b < bins; ++b) {
          const T gbin = go[b];
          for (std::size_t q = 0; q < per_bin; ++q, ++s) {
            if (!s->inside) continue;
            T add[4];  // (g * w) / count as torchvision (not g * (w / count))
            for (int t = 0; t < 4; ++t) add[t] = gbin * s->w[t] / g.count;
            for (int t = 0; t < 4; ++t) f[s->pos[t]] += add[t];
          }
        }
      }
    }
  });
}

/// Layout choice: 0 = automatic (roi_align_channels_last), 1 = planar, 2 = channels-last.
template <class T>
void roi_align_forward_impl(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                            const RoiAlignParams& params, T* out, Parallel par, int layout) {
  check_pooled_size(params.pooled_h, params.pooled_w);
  check_rois(rois, k, shape.n, params.spatial_scale);
  const std::size_t bins = params.pooled_h * params.pooled_w;
  if (shape.plane() == 0 || shape.c == 0) {  // empty map: every sample is outside
    std::fill(out, out + k * shape.c * bins, T(0));
    return;
  }
  if (layout == 2 || (layout == 0 && roi_align_channels_last(shape, k, bins))) {
    std::vector<T> nhwc(shape.size());
    nchw_to_nhwc(features, shape, nhwc.data(), par);
    roi_align_forward_nhwc(nhwc.data(), shape, rois, k, params, out, par);
  } else {
    roi_align_forward_nchw(features, shape, rois, k, params, out, par);
  }
}

template <class T>
void roi_align_backward_impl(const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                             const RoiAlignParams& params, T* grad_features, Parallel par, int layout) {
  check_pooled_size(params.pooled_h, params.pooled_w);
  check_rois(rois, k, shape.n, params.spatial_scale);
  const std::size_t bins = params.pooled_h * params.pooled_w;
  if (shape.plane() == 0 || shape.c == 0) {
    std::fill(grad_features, grad_features + shape.size(), T(0));
    return;
  }
  if (layout == 2 || (layout == 0 && roi_align_channels_last(shape, k, bins))) {
    std::vector<T> nhwc(shape.size());
    roi_align_backward_nhwc(grad_out, shape, rois, k, params, nhwc.data(), par);
    nhwc_to_nchw(nhwc.data(), shape, grad_features, par);
  } else {
    roi_align_backward_nchw(grad_out, shape, rois, k, params, grad_features, par);
  }
}

}  // namespace detail

template <class T>
void roi_align_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                       const RoiAlignParams& params, T* out, Parallel par) {
  detail::roi_align_forward_impl(features, shape, rois, k, params, out, par, 0);
}

template <class T>
void roi_align_backward(const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                        const RoiAlignParams& params, T* grad_features, Parallel par) {
  detail::roi_align_backward_impl(grad_out, shape, rois, k, params, grad_features, par, 0);
}

}  // namespace locuskit
