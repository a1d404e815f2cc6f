#pragma once
#if !defined(LOCUSKIT_DETAIL_NMS_KERNELS_HPP)
#error "include detail/nms/kernels.hpp (it declares the per-architecture instantiations)"
#endif
// The IoU-guided NMS pass: one kept box against the live candidates in SoA form. Tests every IoU,
// takes the maximum classification score of the hits and tombstones them (area = NaN, so their
// IoU is NaN and never suppresses again). xsimd, not the auto-vectorizer: GCC does not if-convert
// (possibly trapping) float compares. Same operations per lane as the scalar tail: bitwise equal
// IoUs on every architecture.
#include <algorithm>
#include <cstddef>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "../../box/geometry.hpp"
#include "../../nms/overlap.hpp"
#include "../../simd/dispatch.hpp"

namespace locuskit {
namespace kernel {

/// Most kept boxes one pass serves (as the greedy kernel's block of heads).
inline constexpr std::size_t iou_guided_block = 4;

template <class Arch, class T>
struct IouGuidedPass {
  /// Candidates [begin, end) of the SoA arrays against the kept boxes `heads[0..num_heads)` (x1,
  /// y1, x2, y2, area each; num_heads <= iou_guided_block, in selection order): a candidate is a
  /// hit of the first head whose overlap (AxisAlignedIoU) exceeds `threshold`. Hits are tombstoned
  /// (area NaN); `best[h]` receives the max `cls` over head h's hits (-inf if none) and their
  /// total count is added to `*hits`. One pass reads the candidates once for all heads.
  static void run(T* area, const T* x1, const T* y1, const T* x2, const T* y2, const T* cls, std::size_t begin,
                  std::size_t end, const T (*heads)[5], std::size_t num_heads, T threshold, T* best,
                  std::size_t* hits) noexcept;
};

/// simd::dispatch's functor for IouGuidedPass.
struct iou_guided_pass {
  template <class Arch, class T>
  void operator()(Arch, T* area, const T* x1, const T* y1, const T* x2, const T* y2, const T* cls, std::size_t begin,
                  std::size_t end, const T (*heads)[5], std::size_t num_heads, T threshold, T* best,
                  std::size_t* hits) const noexcept {
    IouGuidedPass<Arch, T>::run(area, x1, y1, x2, y2, cls, begin, end, heads, num_heads, threshold, best, hits);
  }
};

template <class Arch, class T>
void IouGuidedPass<Arch, T>::run(T* area, const T* x1, const T* y1, const T* x2, const T* y2, const T* cls,
                                 std::size_t begin, std::size_t end, const T (*heads)[5], std::size_t num_heads,
                                 T threshold, T* best, std::size_t* hits) noexcept {
  using B = xsimd::batch<T, Arch>;
  constexpr std::size_t W = B::size;
  const T nan = std::numeric_limits<T>::quiet_NaN(), neg_inf = -std::numeric_limits<T>::infinity();
  const bool zero_exceeds = T(0) > threshold;
  std::size_t count = 0;
  std::size_t p = begin;
  for (std::size_t h = 0; h < num_heads; ++h) best[h] = neg_inf;
  auto run = [&](auto zero_exceeds_tag) {
    const B bthr(threshold), bnan(nan), bneg(neg_inf), zero(T(0)), one(T(1));
    B hb[iou_guided_block][5], bbest[iou_guided_block];
    for (std::size_t h = 0; h < num_heads; ++h) {
      for (int c = 0; c < 5; ++c) hb[h][c] = B(heads[h][c]);
      bbest[h] = bneg;
    }
    alignas(64) T lanes[W];
    for (; p + W <= end; p += W) {
      const B bx1 = B::load_unaligned(x1 + p), by1 = B::load_unaligned(y1 + p);
      const B bx2 = B::load_unaligned(x2 + p), by2 = B::load_unaligned(y2 + p);
      const B a = B::load_unaligned(area + p);
      auto taken = AxisAlignedIoU::exceeds<Arch, T>(hb[0][0], hb[0][1], hb[0][2], hb[0][3], hb[0][4], bx1, by1, bx2,
                                                    by2, a, bthr, zero_exceeds_tag);
      auto first = taken;
      for (std::size_t h = 1; h < num_heads; ++h)
        taken = taken | AxisAlignedIoU::exceeds<Arch, T>(hb[h][0], hb[h][1], hb[h][2], hb[h][3], hb[h][4], bx1, by1,
                                                         bx2, by2, a, bthr, zero_exceeds_tag);
      if (!xsimd::any(taken)) continue;
      const B c = B::load_unaligned(cls + p);
      bbest[0] = xsimd::max(bbest[0], xsimd::select(first, c, bneg));
      for (std::size_t h = 1; h < num_heads; ++h) {  // rare: recompute to attribute each hit to its first head
        const auto hit = AxisAlignedIoU::exceeds<Arch, T>(hb[h][0], hb[h][1], hb[h][2], hb[h][3], hb[h][4], bx1, by1,
                                                          bx2, by2, a, bthr, zero_exceeds_tag) &
                         ~first;
        bbest[h] = xsimd::max(bbest[h], xsimd::select(hit, c, bneg));
        first = first | hit;
      }
      xsimd::select(taken, bnan, a).store_unaligned(area + p);
      xsimd::select(taken, one, zero).store_aligned(lanes);
      for (std::size_t l = 0; l < W; ++l) count += lanes[l] != T(0);
    }
    for (std::size_t h = 0; h < num_heads; ++h) {
      bbest[h].store_aligned(lanes);
      for (std::size_t l = 0; l < W; ++l) best[h] = std::max(best[h], lanes[l]);
    }
  };
  if (zero_exceeds) run(std::true_type{});
  else run(std::false_type{});
  for (; p < end; ++p) {
    const T b[4] = {x1[p], y1[p], x2[p], y2[p]};
    for (std::size_t h = 0; h < num_heads; ++h) {
      const T inter = geometry::intersection(heads[h], b);
      if (AxisAlignedIoU::exceeds(inter, (heads[h][4] + area[p]) - inter, threshold, zero_exceeds)) {
        best[h] = std::max(best[h], cls[p]);
        area[p] = nan;
        ++count;
        break;
      }
    }
  }
  *hits += count;
}

}  // namespace kernel


}  // namespace locuskit
