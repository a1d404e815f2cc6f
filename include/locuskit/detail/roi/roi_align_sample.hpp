#pragma once
// RoIAlign's sampling arithmetic, written once for the CPU kernels (roi_align-inl.hpp) and their
// CUDA twins (cuda/roi_align.cuh): a roi's grid, one sample's four bilinear taps, one bin's value
// and one bin's gradient scatter, all in torchvision's exact operation order (the CUDA build uses
// -fmad=false, the host build -ffp-contract=off, so both compute the same bits).
#include <cmath>
#include <cstddef>

#include "../../config.hpp"
#include "../../roi/rois.hpp"
// RoiAlignParams: this file is part of roi/roi_align.hpp's implementation (include that header).

namespace locuskit {
namespace detail {

/// One bilinear sample: four flat positions in an H x W plane and their weights. Samples outside
/// the map keep weight 0 at position 0, as torchvision (so NaN/Inf features propagate the same).
template <class T>
struct BilinearTaps {
  std::size_t pos[4];
  T w[4];
  bool inside;
};

/// A roi's sampling grid in torchvision's arithmetic (all in T, spatial_scale rounded to T).
template <class T>
struct RoiAlignGrid {
  T start_h, start_w, bin_h, bin_w;
  long long grid_h, grid_w;  // may be <= 0 (no sample) for inverted aligned rois
  T count;
  LOCUSKIT_HOST_DEVICE std::size_t samples_per_bin() const noexcept {
    return grid_h > 0 && grid_w > 0 ? static_cast<std::size_t>(grid_h * grid_w) : 0;
  }
};

template <class T>
LOCUSKIT_HOST_DEVICE RoiAlignGrid<T> roi_align_grid(const T* roi, const RoiAlignParams& p) noexcept {
  const T scale = static_cast<T>(p.spatial_scale);
  const T offset = p.aligned ? T(0.5) : T(0);
  RoiAlignGrid<T> g;
  g.start_w = roi[1] * scale - offset;
  g.start_h = roi[2] * scale - offset;
  const T end_w = roi[3] * scale - offset;
  const T end_h = roi[4] * scale - offset;
  T roi_w = end_w - g.start_w, roi_h = end_h - g.start_h;
  if (!p.aligned) {
    roi_w = roi_w > T(1) ? roi_w : T(1);
    roi_h = roi_h > T(1) ? roi_h : T(1);
  }
  const T ph = static_cast<T>(p.pooled_h), pw = static_cast<T>(p.pooled_w);
  g.bin_h = roi_h / ph;
  g.bin_w = roi_w / pw;
  g.grid_h = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<long long>(ceil(roi_h / ph));
  g.grid_w = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<long long>(ceil(roi_w / pw));
  const long long n = g.grid_h * g.grid_w;
  g.count = static_cast<T>(n > 1 ? n : 1);
  return g;
}

/// The taps of sample (iy, ix) of bin (ph, pw) in an H x W plane (torchvision's pre_calc).
template <class T>
LOCUSKIT_HOST_DEVICE BilinearTaps<T> roi_align_tap(const RoiAlignGrid<T>& g, std::size_t ph, std::size_t pw,
                                                   long long iy, long long ix, long long hl, long long wl) noexcept {
  T y = g.start_h + static_cast<T>(ph) * g.bin_h +
        static_cast<T>(static_cast<float>(iy) + .5f) * g.bin_h / static_cast<T>(g.grid_h);
  T x = g.start_w + static_cast<T>(pw) * g.bin_w +
        static_cast<T>(static_cast<float>(ix) + .5f) * g.bin_w / static_cast<T>(g.grid_w);
  BilinearTaps<T> s{{0, 0, 0, 0}, {T(0), T(0), T(0), T(0)}, false};
  if (y < T(-1) || y > static_cast<T>(hl) || x < T(-1) || x > static_cast<T>(wl)) return s;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  long long y_low = static_cast<long long>(y), x_low = static_cast<long long>(x), y_high, x_high;
  if (y_low >= hl - 1) {
    y_high = y_low = hl - 1;
    y = static_cast<T>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= wl - 1) {
    x_high = x_low = wl - 1;
    x = static_cast<T>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const T ly = y - static_cast<T>(y_low), lx = x - static_cast<T>(x_low);
  const T hy = T(1) - ly, hx = T(1) - lx;
  s.w[0] = hy * hx;
  s.w[1] = hy * lx;
  s.w[2] = ly * hx;
  s.w[3] = ly * lx;
  s.pos[0] = static_cast<std::size_t>(y_low * wl + x_low);
  s.pos[1] = static_cast<std::size_t>(y_low * wl + x_high);
  s.pos[2] = static_cast<std::size_t>(y_high * wl + x_low);
  s.pos[3] = static_cast<std::size_t>(y_high * wl + x_high);
  s.inside = true;
  return s;
}

/// Output of bin (ph, pw) of one channel plane `f` (H x W): the mean of its samples, summed in
/// torchvision's order. What one CUDA thread computes; the CPU kernels reuse precomputed taps.
template <class T>
LOCUSKIT_HOST_DEVICE T roi_align_bin(const T* f, const RoiAlignGrid<T>& g, std::size_t ph, std::size_t pw,
                                     long long hl, long long wl) noexcept {
  T acc = T(0);
  for (long long iy = 0; iy < g.grid_h; ++iy)
    for (long long ix = 0; ix < g.grid_w; ++ix) {
      const BilinearTaps<T> s = roi_align_tap(g, ph, pw, iy, ix, hl, wl);
      acc += s.w[0] * f[s.pos[0]] + s.w[1] * f[s.pos[1]] + s.w[2] * f[s.pos[2]] + s.w[3] * f[s.pos[3]];
    }
  return acc / g.count;
}

/// Gradient of bin (ph, pw) scattered into a channel plane: `add(position, value)` once per tap of
/// every inside sample, value (grad * w) / count as torchvision. `add` is `+=` on the CPU and an
/// atomicAdd on the GPU (so the GPU's sums are in an unspecified order).
template <class T, class Add>
LOCUSKIT_HOST_DEVICE void roi_align_bin_backward(T grad, const RoiAlignGrid<T>& g, std::size_t ph, std::size_t pw,
                                                 long long hl, long long wl, Add&& add) {
  for (long long iy = 0; iy < g.grid_h; ++iy)
    for (long long ix = 0; ix < g.grid_w; ++ix) {
      const BilinearTaps<T> s = roi_align_tap(g, ph, pw, iy, ix, hl, wl);
      if (!s.inside) continue;
      T v[4];
      for (int t = 0; t < 4; ++t) v[t] = grad * s.w[t] / g.count;
      for (int t = 0; t < 4; ++t) add(s.pos[t], v[t]);
    }
}

}  // namespace detail
}  // namespace locuskit
