#pragma once
// RoIPool in torchvision's integer arithmetic.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../../roi/roi_pool.hpp"
#include "roi_align-inl.hpp"

namespace locuskit {

template <class T>
void roi_pool_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                      const RoiPoolParams& params, T* out, std::int64_t* argmax, Parallel par) {
  detail::check_pooled_size(params.pooled_h, params.pooled_w);
  check_rois(rois, k, shape.n, params.spatial_scale);
  const std::size_t PH = params.pooled_h, PW = params.pooled_w, bins = PH * PW, plane = shape.plane();
  const long long H = static_cast<long long>(shape.h), W = static_cast<long long>(shape.w);
  const T scale = static_cast<T>(params.spatial_scale);
  parallel_for(k, 1, par, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const T* roi = rois + 5 * r;
      // |coordinate x scale| <= 2^24 (check_rois): these conversions cannot overflow.
      const long long sw = static_cast<long long>(std::round(roi[1] * scale));
      const long long sh = static_cast<long long>(std::round(roi[2] * scale));
      const long long ew = static_cast<long long>(std::round(roi[3] * scale));
      const long long eh = static_cast<long long>(std::round(roi[4] * scale));
      const long long rw = std::max(ew - sw + 1, 1LL), rh = std::max(eh - sh + 1, 1LL);
      const T bin_h = static_cast<T>(rh) / static_cast<T>(PH), bin_w = static_cast<T>(rw) / static_cast<T>(PW);
      const T* batch = features + detail::roi_batch(roi) * shape.c * plane;
      for (std::size_t ph = 0; ph < PH; ++ph)
        for (std::size_t pw = 0; pw < PW; ++pw) {
          long long hs = static_cast<long long>(std::floor(static_cast<T>(ph) * bin_h));
          long long ws = static_cast<long long>(std::floor(static_cast<T>(pw) * bin_w));
          long long he = static_cast<long long>(std::ceil(static_cast<T>(ph + 1) * bin_h));
          long long we = static_cast<long long>(std::ceil(static_cast<T>(pw + 1) * bin_w));
          hs = std::min(std::max(hs + sh, 0LL), H);
          he = std::min(std::max(he + sh, 0LL), H);
          ws = std::min(std::max(ws + sw, 0LL), W);
          we = std::min(std::max(we + sw, 0LL), W);
          const bool empty = he <= hs || we <= ws;
          for (std::size_t c = 0; c < shape.c; ++c) {
            const T* f = batch + c * plane;
            T best = empty ? T(0) : static_cast<T>(-FLT_MAX);
            long long best_at = -1;
            for (long long y = hs; y < he; ++y)
              for (long long x = ws; x < we; ++x) {
                const long long at = y * W + x;
                if (f[at] > best) {
                  best = f[at];
                  best_at = at;
                }
              }
            const std::size_t o = (r * shape.c + c) * bins + ph * PW + pw;
            out[o] = best;
            if (argmax) argmax[o] = best_at;
          }
        }
    }
  });
}

template <class T>
void roi_pool_backward(const T* grad_out, const std::int64_t* argmax, const FeatureShape& shape, const T* rois,
                       std::size_t k, const RoiPoolParams& params, T* grad_features, Parallel par) {
  detail::check_pooled_size(params.pooled_h, params.pooled_w);
  check_rois(rois, k, shape.n, params.spatial_scale);
  const std::size_t bins = params.pooled_h * params.pooled_w, plane = shape.plane();
  const long long plane_ll = static_cast<long long>(plane);
  for (std::size_t i = 0; i < k * shape.c * bins; ++i)
    LOCUSKIT_CHECK(argmax[i] >= -1 && argmax[i] < plane_ll, std::invalid_argument, "argmax: entry ", i,
                   " = ", argmax[i], " is outside [-1, H*W)");
  std::fill(grad_features, grad_features + shape.size(), T(0));
  parallel_for(shape.c, 1, par, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t r = 0; r < k; ++r) {
      T* batch = grad_features + detail::roi_batch(rois + 5 * r) * shape.c * plane;
      for (std::size_t c = c0; c < c1; ++c) {
        const std::size_t o = (r * shape.c + c) * bins;
        for (std::size_t b = 0; b < bins; ++b)
          if (argmax[o + b] >= 0) batch[c * plane + static_cast<std::size_t>(argmax[o + b])] += grad_out[o + b];
      }
    }
  });
}

}  // namespace locuskit
