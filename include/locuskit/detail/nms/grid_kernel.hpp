#pragma once
#if !defined(LOCUSKIT_DETAIL_NMS_KERNELS_HPP)
#error "include detail/nms/kernels.hpp (it declares the per-architecture instantiations)"
#endif
// Greedy NMS over a multi-level uniform grid: for large N the kept box only visits the grid cells
// that can hold a box it may suppress, so the work is ~ kept x (nearby live boxes) instead of
// kept x alive. Boxes are binned by their centre on the level that matches their size max(w, h);
// each row of cells of a level is one contiguous SoA span (cells in column order), so a kept box
// runs one streaming SIMD pass per row it reaches; rows are compacted in place as boxes die.
//
// Which boxes can a kept box a suppress? IoU > t > 0 needs inter > t * max(area_a, area_b), so the
// overlap in x exceeds t * max(w_a, w_b) (the one in y is at most min(h_a, h_b)); hence
// w_b in (t w_a, w_a / t), max(w, h) likewise, and the centres are closer than
// (w_a + w_b) / 2 - t max(w_a, w_b) <= w_a (1 - t) for t >= 1/2 (the same in y). A computed IoU
// above t has an exact IoU above t (1 - 1e-4) (a few roundings), so the kernel uses that.
// With t = 0 the reach is the intersection's ((w_a + w_b) / 2).
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

/// One grid level: boxes with max(w, h) in its size band, binned by centre.
struct NmsGridLevel {
  double x0, y0, inv_cell;  ///< column = floor((cx - x0) * inv_cell), clamped to [0, dim)
  double inv_cell_y;        ///< row = floor((cy - y0) * inv_cell_y), clamped to [0, rows)
  double max_w, max_h;      ///< largest width / height binned here (plus a rounding margin)
  double min_s, max_s;      ///< smallest / largest max(w, h) binned here (minus / plus the margin)
  std::int64_t dim;         ///< cells per row (columns)
  std::int64_t rows;        ///< rows (dim for the square grid; 1 for a sweep along x)
  std::int64_t offset;      ///< first cell id of this level
  LOCUSKIT_FORCEINLINE std::int64_t cell(double v, double origin) const noexcept {
    const double c = std::floor((v - origin) * inv_cell);
    return c < 0 ? 0 : (c >= static_cast<double>(dim) ? dim - 1 : static_cast<std::int64_t>(c));
  }
  LOCUSKIT_FORCEINLINE std::int64_t row(double v) const noexcept {
    const double r = std::floor((v - y0) * inv_cell_y);
    return r < 0 ? 0 : (r >= static_cast<double>(rows) ? rows - 1 : static_cast<std::int64_t>(r));
  }
};

/// What the grid kernel works on (all arrays owned by the caller's workspace).
template <class T, class P>
struct NmsGridView {
  const T* boxes;               ///< original (n, 4) boxes
  const std::int64_t* order;    ///< rank -> original index
  std::size_t n;
  T *x1, *y1, *x2, *y2, *area;  ///< SoA in cell order (area padded: readable W slots past n)
  P* pos;                       ///< rank of each SoA slot
  std::int64_t* cell_begin;     ///< first slot of each cell
  std::int64_t* cell_end;       ///< one past the last slot (cells of a row stay adjacent)
  std::int64_t* cell_dead;      ///< tombstones per row, at the row's first cell (zero-initialised)
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
  const IouAboveThreshold<Arch, T> above(threshold);  // threshold >= 0 here
  const T nan = std::numeric_limits<T>::quiet_NaN();
  // The exact IoU of a pair whose computed IoU exceeds threshold exceeds tl (see the file comment).
  const double tl = threshold > T(0) ? static_cast<double>(threshold) * (1.0 - 1e-4) : 0.0;
  // Local copies: the stores to dead/area below could otherwise alias the view's fields.
  T *const x1 = g.x1, *const y1 = g.y1, *const x2 = g.x2, *const y2 = g.y2, *const area = g.area;
  P* const pos = g.pos;
  unsigned char* const dead = g.dead;
  std::int64_t *const cell_begin = g.cell_begin, *const cell_end = g.cell_end, *const row_dead = g.cell_dead;
  const T* const boxes = g.boxes;
  const std::int64_t* const order = g.order;
  const std::size_t n = g.n, num_levels = g.num_levels;
  std::size_t k = 0;
  constexpr std::size_t lookahead = 8;  // prefetch the input row of a rank this far ahead
  for (std::size_t p = 0; p < n && k < max_keep; ++p) {
    if (p + lookahead < n) __builtin_prefetch(boxes + 4 * order[p + lookahead]);
    if (dead[p]) continue;
    kept[k++] = static_cast<P>(p);
    const T* a = boxes + 4 * order[p];
    const T area_a = geometry::area(a[0], a[1], a[2], a[3]);
    const batch ax1(a[0]), ay1(a[1]), ax2(a[2]), ay2(a[3]), aa(area_a);
    const double wa = double(a[2]) - double(a[0]), ha = double(a[3]) - double(a[1]);
    if (!(wa > 0 && ha > 0)) continue;  // an empty or inverted box intersects nothing
    const double sa = wa > ha ? wa : ha;
    const double cxa = 0.5 * (double(a[0]) + double(a[2])), cya = 0.5 * (double(a[1]) + double(a[3]));
    const double margin = 1e-7 * (std::fabs(cxa) + std::fabs(cya) + sa);
    for (std::size_t L = 0; L < num_levels; ++L) {
      const detail::NmsGridLevel& lv = g.levels[L];
      if (tl > 0 && (lv.max_s <= tl * sa || lv.min_s * tl >= sa)) continue;  // sizes that cannot pass
      // Largest reach of a centre: (w_a + w_b) / 2 - tl max(w_a, w_b) over w_b <= min(max_w, w_a / tl).
      const double wb = tl > 0 && wa / tl < lv.max_w ? wa / tl : lv.max_w;
      const double hb = tl > 0 && ha / tl < lv.max_h ? ha / tl : lv.max_h;
      const double rx = (wa + wb) * 0.5 - tl * (wb > wa ? wb : wa) + margin;
      const double ry = (ha + hb) * 0.5 - tl * (hb > ha ? hb : ha) + margin;
      const double rx_self = wa * (1.0 - tl) + margin, ry_self = ha * (1.0 - tl) + margin;
      const double reach_x = rx > rx_self ? rx : rx_self, reach_y = ry > ry_self ? ry : ry_self;
      const std::int64_t cx0 = lv.cell(cxa - reach_x, lv.x0), cx1 = lv.cell(cxa + reach_x, lv.x0);
      const std::int64_t cy0 = lv.row(cya - reach_y), cy1 = lv.row(cya + reach_y);
      for (std::int64_t cy = cy0; cy <= cy1; ++cy) {
        const std::int64_t row = lv.offset + cy * lv.dim;
        const std::size_t b = static_cast<std::size_t>(cell_begin[row + cx0]);
        const std::size_t e = static_cast<std::size_t>(cell_end[row + cx1]);
        if (b >= e) continue;
        // Suppressed boxes become tombstones (area NaN: their IoU is NaN, never > threshold); a row
        // is compacted once half of it is dead.
        std::size_t killed = 0;
        std::size_t j = b;
        auto kill = [&](unsigned bits, std::size_t at) {
          while (bits) {
            const std::size_t l = at + static_cast<std::size_t>(__builtin_ctz(bits));
            bits &= bits - 1;
            dead[pos[l]] = 1;
            area[l] = nan;
            ++killed;
          }
        };
        for (; j + W <= e; j += W)
          kill(above(ax1, ay1, ax2, ay2, aa, batch::load_unaligned(x1 + j), batch::load_unaligned(y1 + j),
                     batch::load_unaligned(x2 + j), batch::load_unaligned(y2 + j),
                     batch::load_unaligned(area + j)),
               j);
        if (j < e) {  // the tail: a full load (area is padded), lanes past e masked off
          const unsigned live = (1u << (e - j)) - 1u;
          kill(live & above(ax1, ay1, ax2, ay2, aa, batch::load_unaligned(x1 + j), batch::load_unaligned(y1 + j),
                            batch::load_unaligned(x2 + j), batch::load_unaligned(y2 + j),
                            batch::load_unaligned(area + j)),
               j);
        }
        if (killed == 0) continue;
        const std::size_t rb = static_cast<std::size_t>(cell_begin[row]);
        const std::size_t re = static_cast<std::size_t>(cell_end[row + lv.dim - 1]);
        row_dead[row] += static_cast<std::int64_t>(killed);
        if (2 * static_cast<std::size_t>(row_dead[row]) <= re - rb) continue;
        // Compact the whole row, cell by cell, keeping the cells adjacent.
        std::size_t w = rb;
        for (std::int64_t c = row; c < row + lv.dim; ++c) {
          const std::size_t cb = static_cast<std::size_t>(cell_begin[c]), ce = static_cast<std::size_t>(cell_end[c]);
          cell_begin[c] = static_cast<std::int64_t>(w);
          for (std::size_t r = cb; r < ce; ++r) {
            if (std::isnan(area[r])) continue;  // a tombstone (boxes are finite here)
            x1[w] = x1[r], y1[w] = y1[r], x2[w] = x2[r], y2[w] = y2[r];
            area[w] = area[r];
            pos[w] = pos[r];
            ++w;
          }
          cell_end[c] = static_cast<std::int64_t>(w);
        }
        row_dead[row] = 0;
      }
    }
  }
  return k;
}


}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
