#pragma once
#if !defined(LOCUSKIT_DETAIL_NMS_KERNELS_HPP)
#error "include detail/nms/kernels.hpp (it declares the per-architecture instantiations)"
#endif
// Soft-NMS decay kernel: one SIMD pass over the candidates (SoA) finds the boxes that overlap the
// selected one; only those (usually a few percent) get the scalar IoU and decay, so results are the
// same bits on every architecture. The same pass tracks the maximum remaining score.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include <xsimd/xsimd.hpp>

#include "../../box/geometry.hpp"
#include "../../config.hpp"
#include "../../nms/overlap.hpp"
#include "../../simd/dispatch.hpp"
#include "greedy_kernel.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {
namespace kernel {

/// Decays s[j] (j < m) by the overlap with box `a` (xyxy, area `area_a`): linear `s *= 1 - iou` if
/// `iou > thr`, else gaussian `s *= exp(-(iou*iou) / sigma)`; pairs that do not intersect keep their
/// score (their factor is exactly 1: exp(-0) or 1 - 0). Scores that drop below
/// `min_score` (or become NaN) are set to -inf and counted in `*dropped`. Returns the maximum
/// remaining score (-inf if none).
template <class Arch, class T>
struct SoftNmsDecay {
  static T run(const T* a, T area_a, const T* x1, const T* y1, const T* x2, const T* y2, const T* area, T* s,
               std::size_t m, bool linear, T thr, T sigma, T min_score, std::size_t* dropped) noexcept;
};

/// simd::dispatch's functor for SoftNmsDecay.
struct soft_nms_decay {
  template <class Arch, class T>
  T operator()(Arch, const T* a, T area_a, const T* x1, const T* y1, const T* x2, const T* y2,
               const T* area, T* s, std::size_t m, bool linear, T thr, T sigma, T min_score,
               std::size_t* dropped) const noexcept {
    return SoftNmsDecay<Arch, T>::run(a, area_a, x1, y1, x2, y2, area, s, m, linear, thr, sigma, min_score, dropped);
  }
};

}  // namespace kernel

namespace detail {
template <class T>
LOCUSKIT_FORCEINLINE void soft_decay_one(const T* a, T area_a, const T* b, T area_b, T& s, bool linear, T thr,
                                         T sigma, T min_score, std::size_t& dropped) noexcept {
  if (s == -std::numeric_limits<T>::infinity()) return;  // removed already (or the selected box)
  const T iou = AxisAlignedIoU::overlap(a, area_a, b, area_b);
  if (linear) {
    if (iou > thr) s *= T(1) - iou;
  } else {
    s *= std::exp(-(iou * iou) / sigma);
  }
  if (!(s >= min_score)) {
    s = -std::numeric_limits<T>::infinity();
    ++dropped;
  }
}
}  // namespace detail

template <class Arch, class T>
T kernel::SoftNmsDecay<Arch, T>::run(const T* a, T area_a, const T* x1, const T* y1, const T* x2, const T* y2,
                                     const T* area, T* s, std::size_t m, bool linear, T thr, T sigma, T min_score,
                                     std::size_t* dropped) noexcept {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const batch ax1(a[0]), ay1(a[1]), ax2(a[2]), ay2(a[3]), zero(T(0));
  const T neg_inf = -std::numeric_limits<T>::infinity();
  batch vmax(neg_inf);
  T smax = neg_inf;
  std::size_t drop = 0;
  std::size_t j = 0;
  for (; j + W <= m; j += W) {
    const batch iw = xsimd::min(ax2, batch::load_unaligned(x2 + j)) - xsimd::max(ax1, batch::load_unaligned(x1 + j));
    const batch ih = xsimd::min(ay2, batch::load_unaligned(y2 + j)) - xsimd::max(ay1, batch::load_unaligned(y1 + j));
    unsigned hit = lane_bits<Arch, T>((iw > zero) & (ih > zero));
    while (hit) {
      const std::size_t l = j + static_cast<std::size_t>(__builtin_ctz(hit));
      hit &= hit - 1;
      const T b[4] = {x1[l], y1[l], x2[l], y2[l]};
      detail::soft_decay_one(a, area_a, b, area[l], s[l], linear, thr, sigma, min_score, drop);
    }
    vmax = xsimd::max(vmax, batch::load_unaligned(s + j));
  }
  for (; j < m; ++j) {
    const T b[4] = {x1[j], y1[j], x2[j], y2[j]};
    if (geometry::min_(a[2], b[2]) - geometry::max_(a[0], b[0]) > T(0) &&
        geometry::min_(a[3], b[3]) - geometry::max_(a[1], b[1]) > T(0))
      detail::soft_decay_one(a, area_a, b, area[j], s[j], linear, thr, sigma, min_score, drop);
    smax = s[j] > smax ? s[j] : smax;
  }
  alignas(64) T lanes[W];
  vmax.store_aligned(lanes);
  for (std::size_t l = 0; l < W; ++l) smax = lanes[l] > smax ? lanes[l] : smax;
  *dropped += drop;
  return smax;
}


}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
