#pragma once
#if !defined(LOCUSKIT_DETAIL_NMS_KERNELS_HPP)
#error "include detail/nms/kernels.hpp (it declares the per-architecture instantiations)"
#endif
// Greedy NMS over a multi-level uniform grid: for large N the kept box only visits the grid cells
// that can hold a box intersecting it (a pair that does not intersect has IoU 0 or NaN and never
// suppresses when the threshold is >= 0), so the work is ~ kept x (nearby live boxes) instead of
// kept x alive. Boxes are binned by their (x1, y1) corner on the level that matches their size
// (a "loose" grid), each cell a contiguous SoA segment compacted in place as boxes die.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include <xsimd/xsimd.hpp>

#include "../../box/geometry.hpp"
#include "../../config.hpp"
#include "../../nms/overlap.hpp"
#include "greedy_kernel.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {
namespace detail {

/// One grid level: boxes with max(w, h) in its size band, binned by x1/y1.
struct NmsGridLevel {
  double x0, y0, inv_cell;  ///< column = floor((x - x0) * inv_cell), clamped to [0, dim)
  double max_w, max_h;      ///< largest width / height binned here (plus a rounding margin)
  std::int64_t dim;         ///< cells per axis
  std::int64_t offset;      ///< first cell id of this level
  LOCUSKIT_FORCEINLINE std::int64_t cell(double v, double origin) const noexcept {
    const double c = std::floor((v - origin) * inv_cell);
    return c < 0 ? 0 : (c >= static_cast<double>(dim) ? dim - 1 : static_cast<std::int64_t>(c));
  }
};

/// What the grid kernel works on (all arrays owned by the caller's workspace).
template <class T, class P>
struct NmsGridView {
  const T* boxes;               ///< original (n, 4) boxes
  const std::int64_t* order;    ///< rank -> original index
  std::size_t n;
  T *x1, *y1, *x2, *y2, *area;  ///< SoA in cell order
  P* pos;                       ///< rank of each SoA slot
  std::int64_t* cell_begin;     ///< first slot of each cell
  std::int64_t* cell_end;       ///< one past the last slot (shrinks when the cell is compacted)
  std::int64_t* cell_dead;      ///< tombstones in each cell (zero-initialised)
  unsigned char* dead;          ///< by rank
  const NmsGridLevel* levels;
  std::size_t num_levels;
};

}  // namespace detail

namespace kernel {

/// Greedy NMS over the grid (see file comment); `threshold` must be >= 0. Writes kept ranks to
/// `kept` (at most max_keep), returns the count. Same result as nms_greedy_soa.
template <class Arch, class T>
struct NmsGreedyGrid {
  using P = detail::nms_pos_t<T>;
  static std::size_t run(const detail::NmsGridView<T, P>& g, T threshold, std::size_t max_keep, P* kept) noexcept;
};

/// simd::dispatch's functor for NmsGreedyGrid.
struct nms_greedy_grid {
  template <class Arch, class T, class P>
  std::size_t operator()(Arch, const detail::NmsGridView<T, P>& g, T threshold, std::size_t max_keep,
                         P* kept) const noexcept {
    return NmsGreedyGrid<Arch, T>::run(g, threshold, max_keep, kept);
  }
};

}  // namespace kernel

template <class Arch, class T>
std::size_t kernel::NmsGreedyGrid<Arch, T>::run(const detail::NmsGridView<T, P>& g, T threshold,
                                                std::size_t max_keep, P* kept) noexcept {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const batch thr(threshold);
  const bool zero_exceeds = T(0) > threshold;  // false: the grid runs only for thresholds >= 0
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::size_t k = 0;
  for (std::size_t p = 0; p < g.n && k < max_keep; ++p) {
    if (g.dead[p]) continue;
    kept[k++] = static_cast<P>(p);
    const T* a = g.boxes + 4 * g.order[p];
    const T area_a = geometry::area(a[0], a[1], a[2], a[3]);
    const batch ax1(a[0]), ay1(a[1]), ax2(a[2]), ay2(a[3]), aa(area_a);
    for (std::size_t L = 0; L < g.num_levels; ++L) {
      const detail::NmsGridLevel& lv = g.levels[L];
      const std::int64_t cx0 = lv.cell(static_cast<double>(a[0]) - lv.max_w, lv.x0);
      const std::int64_t cx1 = lv.cell(static_cast<double>(a[2]), lv.x0);
      const std::int64_t cy0 = lv.cell(static_cast<double>(a[1]) - lv.max_h, lv.y0);
      const std::int64_t cy1 = lv.cell(static_cast<double>(a[3]), lv.y0);
      for (std::int64_t cy = cy0; cy <= cy1; ++cy) {
        for (std::int64_t cx = cx0; cx <= cx1; ++cx) {
          const std::int64_t c = lv.offset + cy * lv.dim + cx;
          const std::size_t b = static_cast<std::size_t>(g.cell_begin[c]);
          const std::size_t e = static_cast<std::size_t>(g.cell_end[c]);
          if (b == e) continue;
          // Suppressed boxes become tombstones (area NaN: their IoU is NaN, never > threshold);
          // a cell is compacted once a quarter of it is dead.
          std::size_t killed = 0;
          std::size_t j = b;
          for (; j + W <= e; j += W) {
            const batch bx1 = batch::load_unaligned(g.x1 + j), by1 = batch::load_unaligned(g.y1 + j);
            const batch bx2 = batch::load_unaligned(g.x2 + j), by2 = batch::load_unaligned(g.y2 + j);
            const batch ba = batch::load_unaligned(g.area + j);
            unsigned suppress = lane_bits<Arch, T>(AxisAlignedIoU::exceeds<Arch, T>(
                ax1, ay1, ax2, ay2, aa, bx1, by1, bx2, by2, ba, thr, std::false_type{}));
            while (suppress) {
              const std::size_t l = j + static_cast<std::size_t>(__builtin_ctz(suppress));
              suppress &= suppress - 1;
              g.dead[g.pos[l]] = 1;
              g.area[l] = nan;
              ++killed;
            }
          }
          for (; j < e; ++j) {
            const T bb[4] = {g.x1[j], g.y1[j], g.x2[j], g.y2[j]};
            const T inter = geometry::intersection(a, bb);
            if (AxisAlignedIoU::exceeds(inter, (area_a + g.area[j]) - inter, threshold, zero_exceeds)) {
              g.dead[g.pos[j]] = 1;
              g.area[j] = nan;
              ++killed;
            }
          }
          if (killed == 0) continue;
          g.cell_dead[c] += static_cast<std::int64_t>(killed);
          if (4 * static_cast<std::size_t>(g.cell_dead[c]) <= e - b) continue;
          std::size_t w = b;
          for (std::size_t r = b; r < e; ++r) {
            if (g.dead[g.pos[r]] && std::isnan(g.area[r])) continue;
            g.x1[w] = g.x1[r], g.y1[w] = g.y1[r], g.x2[w] = g.x2[r], g.y2[w] = g.y2[r];
            g.area[w] = g.area[r];
            g.pos[w] = g.pos[r];
            ++w;
          }
          g.cell_dead[c] = 0;
          g.cell_end[c] = static_cast<std::int64_t>(w);
        }
      }
    }
  }
  return k;
}


}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
