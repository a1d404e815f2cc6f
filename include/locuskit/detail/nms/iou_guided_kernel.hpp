#pragma once
// The IoU-guided NMS pass: one kept box against the live candidates in SoA form. Tests every IoU,
// takes the maximum classification score of the hits and tombstones them (area = NaN, so their
// IoU is NaN and never suppresses again). xsimd, not the auto-vectorizer: GCC does not if-convert
// (possibly trapping) float compares. Same operations per lane as the scalar tail: bitwise equal
// IoUs on every architecture.
#include <algorithm>
#include <cstddef>
#include <limits>

#include <xsimd/xsimd.hpp>

#include "../../box/geometry.hpp"
#include "../../nms/overlap.hpp"
#include "../../simd/dispatch.hpp"

namespace locuskit {
namespace kernel {

struct iou_guided_pass {
  /// Candidates [begin, end) of the SoA arrays against the kept box `head` (x1, y1, x2, y2,
  /// area): hits are `iou > threshold` (union 0 -> IoU 0). Returns the max `cls` over the hits
  /// (-inf if none) and adds their count to `*hits`.
  template <class Arch, class T>
  T operator()(Arch, T* area, const T* x1, const T* y1, const T* x2, const T* y2, const T* cls, std::size_t begin,
               std::size_t end, const T* head, T threshold, std::size_t* hits) const noexcept;
};

template <class Arch, class T>
T iou_guided_pass::operator()(Arch, T* area, const T* x1, const T* y1, const T* x2, const T* y2, const T* cls,
                              std::size_t begin, std::size_t end, const T* head, T threshold,
                              std::size_t* hits) const noexcept {
  using B = xsimd::batch<T, Arch>;
  constexpr std::size_t W = B::size;
  const T nan = std::numeric_limits<T>::quiet_NaN(), neg_inf = -std::numeric_limits<T>::infinity();
  const T hx1 = head[0], hy1 = head[1], hx2 = head[2], hy2 = head[3], ha = head[4];
  const bool zero_exceeds = T(0) > threshold;
  T best = neg_inf;
  std::size_t count = 0;
  std::size_t p = begin;
  {
    const B bx1(hx1), by1(hy1), bx2(hx2), by2(hy2), bha(ha), zero(T(0)), one(T(1)), bthr(threshold), bnan(nan),
        bneg(neg_inf);
    B bbest(neg_inf);
    alignas(64) T lanes[W];
    for (; p + W <= end; p += W) {
      const B a = B::load_unaligned(area + p);
      const auto hit = AxisAlignedIoU::exceeds<Arch, T>(bx1, by1, bx2, by2, bha, B::load_unaligned(x1 + p),
                                                        B::load_unaligned(y1 + p), B::load_unaligned(x2 + p),
                                                        B::load_unaligned(y2 + p), a, bthr, zero_exceeds);
      if (xsimd::any(hit)) {
        bbest = xsimd::max(bbest, xsimd::select(hit, B::load_unaligned(cls + p), bneg));
        xsimd::select(hit, bnan, a).store_unaligned(area + p);
        xsimd::select(hit, one, zero).store_aligned(lanes);
        for (std::size_t l = 0; l < W; ++l) count += lanes[l] != T(0);
      }
    }
    bbest.store_aligned(lanes);
    for (std::size_t l = 0; l < W; ++l) best = std::max(best, lanes[l]);
  }
  for (; p < end; ++p) {
    const T b[4] = {x1[p], y1[p], x2[p], y2[p]};
    const T inter = geometry::intersection(head, b);
    if (AxisAlignedIoU::exceeds(inter, (ha + area[p]) - inter, threshold, zero_exceeds)) {
      best = std::max(best, cls[p]);
      area[p] = nan;
      ++count;
    }
  }
  *hits += count;
  return best;
}

}  // namespace kernel

#define LOCUSKIT_IOU_GUIDED_NMS_INSTANCES(EXTERN, Arch)                                                        \
  EXTERN template float kernel::iou_guided_pass::operator()<Arch, float>(                                     \
      Arch, float*, const float*, const float*, const float*, const float*, const float*, std::size_t,        \
      std::size_t, const float*, float, std::size_t*) const noexcept;                                          \
  EXTERN template double kernel::iou_guided_pass::operator()<Arch, double>(                                   \
      Arch, double*, const double*, const double*, const double*, const double*, const double*, std::size_t,  \
      std::size_t, const double*, double, std::size_t*) const noexcept;
LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_IOU_GUIDED_NMS_INSTANCES)

}  // namespace locuskit
