#pragma once
/// \file box/iou.hpp
/// Pairwise IoU of two sets of xyxy boxes (torchvision `box_iou`), SIMD over the second set.
#include <cstddef>
#include <cstdint>

#include "../parallel.hpp"
#include "../simd/dispatch.hpp"
#include "geometry.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {

namespace kernel {

/// Columns per tile: a tile of the second set is transposed to SoA on the stack
/// (5 arrays of this many scalars, 10 KiB in double), so the kernel allocates nothing.
inline constexpr std::size_t iou_tile = 256;

/// Transposes boxes [0, count) of `boxes` (xyxy rows) into SoA arrays plus their areas.
template <class T>
LOCUSKIT_FORCEINLINE void load_tile_soa(const T* boxes, std::size_t count, T* x1, T* y1, T* x2, T* y2,
                                        T* area) noexcept {
  for (std::size_t j = 0; j < count; ++j) {
    const T* b = boxes + 4 * j;
    x1[j] = b[0];
    y1[j] = b[1];
    x2[j] = b[2];
    y2[j] = b[3];
    area[j] = geometry::area(b[0], b[1], b[2], b[3]);
  }
}

/// row[j] = IoU(a, tile box j) for j < cols, the tile given as SoA arrays (aligned, as filled by
/// load_tile_soa). The one place the vector IoU arithmetic lives; same operand order as
/// geometry::iou (and as torchvision).
template <class Arch, class T>
LOCUSKIT_FORCEINLINE void pairwise_iou_row_(const T* a, const T* bx1, const T* by1, const T* bx2,
                                            const T* by2, const T* barea, std::size_t cols, T* row,
                                            T degenerate) noexcept {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const T area_a_s = geometry::area(a[0], a[1], a[2], a[3]);
  const batch ax1(a[0]), ay1(a[1]), ax2(a[2]), ay2(a[3]), area_a(area_a_s);
  const batch zero(T(0)), deg(degenerate);
  std::size_t j = 0;
  for (; j + W <= cols; j += W) {
    const batch w = xsimd::max(xsimd::min(ax2, batch::load_aligned(bx2 + j)) -
                                   xsimd::max(ax1, batch::load_aligned(bx1 + j)),
                               zero);
    const batch h = xsimd::max(xsimd::min(ay2, batch::load_aligned(by2 + j)) -
                                   xsimd::max(ay1, batch::load_aligned(by1 + j)),
                               zero);
    const batch inter = w * h;
    const batch uni = (area_a + batch::load_aligned(barea + j)) - inter;
    xsimd::select(uni == zero, deg, inter / uni).store_unaligned(row + j);
  }
  for (; j < cols; ++j) {
    const T b[4] = {bx1[j], by1[j], bx2[j], by2[j]};
    row[j] = geometry::iou(a, area_a_s, b, barea[j], degenerate);
  }
}

/// out[i * ld_out + j] = IoU(boxes_a[i], boxes_b[j]) for i < n, j < m. Both sets (k, 4) xyxy.
struct pairwise_iou {
  template <class Arch, class T>
  void operator()(Arch, const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                  std::size_t ld_out, T degenerate) const noexcept;
};

}  // namespace kernel

/// IoU of every pair: `out` is (n, m) row-major, `out[i*m + j] = IoU(boxes_a[i], boxes_b[j])`.
///
/// `boxes_a` (n, 4) and `boxes_b` (m, 4) are xyxy. Results equal torchvision's `box_iou` bitwise
/// (float32 and float64) for ordinary boxes; a pair with union 0 (two zero-area boxes) yields
/// `degenerate` (default 0, torchvision gives NaN). Inputs are not validated
/// (see box/validate.hpp). O(n*m) time, no allocation; with `par.threads > 1` rows are split
/// across threads, with identical results. Thread-safe.
template <class T>
void box_iou(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
             Degenerate degenerate = Degenerate::zero, Parallel par = {}) {
  const T deg = degenerate_value<T>(degenerate);
  // Below ~64k pairs per chunk thread start-up costs more than it saves.
  const std::size_t grain = m == 0 ? n : (65536 + m - 1) / m;
  parallel_for(n, grain, par, [&](std::size_t begin, std::size_t end) {
    simd::dispatch(kernel::pairwise_iou{}, boxes_a + 4 * begin, end - begin, boxes_b, m, out + begin * m,
                   m, deg);
  });
}

namespace reference {
/// Scalar oracle for box_iou (plain loops, same formula): what the SIMD kernels are tested against.
template <class T>
void box_iou(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
             Degenerate degenerate = Degenerate::zero) noexcept {
  const T deg = degenerate_value<T>(degenerate);
  for (std::size_t i = 0; i < n; ++i) {
    const T* a = boxes_a + 4 * i;
    const T area_a = geometry::area(a[0], a[1], a[2], a[3]);
    for (std::size_t j = 0; j < m; ++j) {
      const T* b = boxes_b + 4 * j;
      out[i * m + j] = geometry::iou(a, area_a, b, geometry::area(b[0], b[1], b[2], b[3]), deg);
    }
  }
}
}  // namespace reference

// ------------------------------------------------------------------------------------------------
// Kernel definition (out of class and not `inline`: with runtime dispatch the extern declarations
// below keep it from being instantiated outside src/dispatch/).

template <class Arch, class T>
void kernel::pairwise_iou::operator()(Arch, const T* boxes_a, std::size_t n, const T* boxes_b,
                                      std::size_t m, T* out, std::size_t ld_out,
                                      T degenerate) const noexcept {
  alignas(64) T bx1[iou_tile], by1[iou_tile], bx2[iou_tile], by2[iou_tile], barea[iou_tile];
  for (std::size_t col0 = 0; col0 < m; col0 += iou_tile) {
    const std::size_t cols = (m - col0) < iou_tile ? (m - col0) : iou_tile;
    load_tile_soa(boxes_b + 4 * col0, cols, bx1, by1, bx2, by2, barea);
    for (std::size_t i = 0; i < n; ++i)
      pairwise_iou_row_<Arch>(boxes_a + 4 * i, bx1, by1, bx2, by2, barea, cols,
                              out + i * ld_out + col0, degenerate);
  }
}

#define LOCUSKIT_PAIRWISE_IOU_INSTANCES(EXTERN, Arch)                                             \
  EXTERN template void kernel::pairwise_iou::operator()<Arch, float>(                             \
      Arch, const float*, std::size_t, const float*, std::size_t, float*, std::size_t, float)      \
      const noexcept;                                                                             \
  EXTERN template void kernel::pairwise_iou::operator()<Arch, double>(                            \
      Arch, const double*, std::size_t, const double*, std::size_t, double*, std::size_t, double) \
      const noexcept;
LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_PAIRWISE_IOU_INSTANCES)

}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
