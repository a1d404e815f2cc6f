#pragma once
/// \file detail/nms/engine.hpp
/// The NMS engine every variant shares: score order (stable radix sort), the SoA layout the SIMD
/// kernels read, the greedy segment and the spatial grid. Scratch lives in NmsScratch (scratch.hpp),
/// the private part of an NmsWorkspace.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../../box/geometry.hpp"
#include "../../nms/overlap.hpp"
#include "scratch.hpp"
#include "kernels.hpp"
#include "radix_sort.hpp"

namespace locuskit {

namespace detail {

/// Sizes for which score_order tries the bucket sort first (below: the radix sort's insertion
/// sort; above: the buckets' counts no longer fit the caches, measured slower than the radix sort).
inline constexpr std::size_t score_bucket_min_n = 64, score_bucket_max_n = 16384;
/// Largest bucket the one-pass bucket sort of score_order accepts (else the radix sort runs).
inline constexpr std::size_t score_bucket_max = 16;

/// score_order for scores spread evenly enough: one counting pass into n / 2 buckets of equal
/// score width (highest first; the bucket is a monotone function of the score, so the buckets are
/// in order), then an insertion sort by key, which only moves elements inside their bucket. Stable.
/// Returns false, leaving `order` unspecified, if a score is NaN or infinite, all are equal or a
/// bucket would hold more than score_bucket_max (a skewed distribution: the caller radix-sorts).
template <class T>
bool bucket_score_order(const T* scores, std::size_t n, std::int64_t* order, NmsScratch<T>& ws) {
  T lo = scores[0], hi = scores[0];
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) {
    const T v = scores[i];
    finite &= std::isfinite(v);
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  if (!finite || !(hi > lo)) return false;
  const std::size_t buckets = n / 2;
  // fl(hi - s) * scale is non-decreasing as s decreases (each rounding is monotone): bucket order
  // never contradicts score order. The product stays below `buckets` up to rounding: clamped.
  const double scale = static_cast<double>(buckets) / (static_cast<double>(hi) - static_cast<double>(lo));
  auto bucket_of = [&](T v) {
    const std::size_t b = static_cast<std::size_t>((static_cast<double>(hi) - static_cast<double>(v)) * scale);
    return b < buckets ? b : buckets - 1;
  };
  std::vector<std::size_t>& count = ws.counts_;
  count.assign(buckets + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++count[bucket_of(scores[i]) + 1];
  std::size_t largest = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    largest = count[b + 1] > largest ? count[b + 1] : largest;
    count[b + 1] += count[b];
  }
  if (largest > score_bucket_max) return false;
  auto* keys = ws.keys_.data();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = count[bucket_of(scores[i])]++;
    keys[at] = descending_score_key(scores[i]);
    order[at] = static_cast<std::int64_t>(i);
  }
  insertion_sort_pairs(keys, order, n);  // moves elements only inside their bucket
  return true;
}

/// order[0..n) = indices of `scores` sorted by decreasing score, ties by lower index first (NaN
/// first, as torchvision's stable descending sort). Evenly spread scores take the one-pass bucket
/// sort (bucket_score_order: 1k float32 scores 2.3 instead of 6.5 us), any others the stable LSD
/// radix sort. Uses ws.keys_/keys_tmp_/order_tmp_/counts_.
template <class T>
void score_order(const T* scores, std::size_t n, std::int64_t* order, NmsScratch<T>& ws) {
  if (n >= score_bucket_min_n && n <= score_bucket_max_n && bucket_score_order(scores, n, order, ws)) return;
  auto* keys = ws.keys_.data();
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = descending_score_key(scores[i]);
    order[i] = static_cast<std::int64_t>(i);
  }
  radix_sort_pairs(keys, order, n, ws.keys_tmp_.data(), ws.order_tmp_.data());
}

/// SoA views into ws.soa_ for n boxes.
template <class T>
struct Soa {
  T *x1, *y1, *x2, *y2, *area;
  Soa(NmsScratch<T>& ws, std::size_t n) noexcept {
    T* base = ws.soa_.data();
    x1 = base;
    y1 = base + n;
    x2 = base + 2 * n;
    y2 = base + 3 * n;
    area = base + 4 * n;
  }
  /// Slot `at` <- box `b` (xyxy), area as torchvision computes it.
  void put(std::size_t at, const T* b) noexcept {
    const AxisAlignedIoU::Box<T> p = AxisAlignedIoU::prepare(b);
    x1[at] = p.x1;
    y1[at] = p.y1;
    x2[at] = p.x2;
    y2[at] = p.y2;
    area[at] = p.area;
  }
};

/// Runs the dispatched greedy kernel on SoA slots [begin, begin + m).
template <class T, class P>
std::size_t greedy_segment(Soa<T>& s, P* pos, std::size_t begin, std::size_t m, T thr,
                           std::size_t max_keep, P* kept) {
  if (m == 0 || max_keep == 0) return 0;
  return simd::dispatch(kernel::nms_greedy_soa{}, s.x1 + begin, s.y1 + begin, s.x2 + begin,
                        s.y2 + begin, s.area + begin, pos + begin, m, thr, max_keep, kept);
}

/// Inputs smaller than this use the linear kernel (the grid's set-up costs more than it saves).
inline constexpr std::size_t nms_grid_min_boxes = 4096;
/// The grid is used when the mean box size is below this fraction of the scene's extent.
inline constexpr double grid_max_relative_size = 0.08;
/// ... or whatever their size when the IoU threshold is at least this: a kept box can then only
/// suppress boxes centred within (1 - threshold) of its own size (grid_kernel.hpp), and the grid
/// beats the linear kernel from 0.3 up (bench/README.md, "NMS at 50k").
inline constexpr double grid_min_iou_threshold = 0.25;
/// Grid cell size as a fraction of the largest box size of its level.
inline constexpr double nms_grid_cell_fraction = 0.5;

/// Bins boxes (in rank order `order`) into the multi-level grid of grid_kernel.hpp (by centre, on
/// the level of their size max(w, h)) and fills the SoA (ws.soa_, ws.pos_ = rank) in cell order.
/// Returns false (nothing usable) if a coordinate is not finite, every box has zero size or, for a
/// strict threshold `thr` below grid_min_iou_threshold, boxes are large relative to the scene (the
/// grid would not prune enough); the caller then uses the linear kernel.
/// `sweep`: one level of one row of narrow columns (~8 boxes each) instead: a kept box scans the
/// one contiguous span of columns its reach covers (for class segments of a few thousand boxes,
/// where the square grid's per-level and per-row work costs more than it saves).
template <class T>
bool build_nms_grid(const T* boxes, const std::int64_t* order, std::size_t n, NmsScratch<T>& ws, T thr,
                    bool sweep = false) {
  using P = nms_pos_t<T>;
  constexpr int max_levels = 6;
  const int num_levels = sweep ? 1 : max_levels;
  // The statistics and cells are computed in input order (sequential reads); only the final fill
  // follows the score order.
  double X0 = 0, X1 = 0, Y0 = 0, Y1 = 0, max_s = 0, sum_s = 0;
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) {
    const T* b = boxes + 4 * i;
    finite = finite && std::isfinite(b[0]) && std::isfinite(b[1]) && std::isfinite(b[2]) && std::isfinite(b[3]);
    const double x = 0.5 * (double(b[0]) + double(b[2])), y = 0.5 * (double(b[1]) + double(b[3]));
    const double s = std::max(double(b[2]) - double(b[0]), double(b[3]) - double(b[1]));
    if (i == 0) X0 = X1 = x, Y0 = Y1 = y;
    X0 = std::min(X0, x), X1 = std::max(X1, x), Y0 = std::min(Y0, y), Y1 = std::max(Y1, y);
    max_s = std::max(max_s, s);
    sum_s += std::max(s, 0.0);
  }
  if (!finite) return false;
  const double D = std::max(X1 - X0, Y1 - Y0);
  // float64 boxes near +-1e308 overflow these differences; the cell arithmetic needs them finite.
  if (!(max_s > 0) || !std::isfinite(max_s) || !std::isfinite(D)) return false;
  // For low thresholds worth it only when a typical box covers a small part of the scene (measured
  // crossover: mean size ~ 1/10 of the extent; bench/cpp/bench_nms.cpp, BM_nms vs BM_nms_small_boxes).
  if (!(double(thr) >= grid_min_iou_threshold) && !(sum_s / double(n) < grid_max_relative_size * D)) return false;
  const double eps = 1e-9 * (std::fabs(X0) + std::fabs(Y0) + D + max_s);
  double bound[max_levels];
  for (int L = 0; L < num_levels; ++L) bound[L] = max_s / double(1 << (num_levels - 1 - L));
  std::int64_t* cell = ws.group_.data();  // by input row: level, then cell id
  std::size_t count[max_levels] = {};
  double max_w[max_levels] = {}, max_h[max_levels] = {}, lo_s[max_levels], hi_s[max_levels] = {};
  for (int L = 0; L < num_levels; ++L) lo_s[L] = max_s;
  for (std::size_t i = 0; i < n; ++i) {
    const T* b = boxes + 4 * i;
    const double w = double(b[2]) - double(b[0]), h = double(b[3]) - double(b[1]);
    const double s = std::max(w, h);
    int L = 0;
    while (L < num_levels - 1 && s > bound[L]) ++L;
    cell[i] = L;
    ++count[L];
    max_w[L] = std::max(max_w[L], w);
    max_h[L] = std::max(max_h[L], h);
    lo_s[L] = std::min(lo_s[L], s);
    hi_s[L] = std::max(hi_s[L], s);
  }
  ws.levels_.clear();
  NmsGridLevel by_level[max_levels];
  std::int64_t cells = 0;
  for (int L = 0; L < num_levels; ++L) {
    if (count[L] == 0) continue;
    // Cells a fraction of the level's box size (a kept box reaches about its own size around its
    // centre at IoU 0.5), but not fewer than ~per_cell boxes each on average.
    const double per_cell = 16.0;
    double c = std::max(nms_grid_cell_fraction * bound[L], D / std::sqrt(std::max(1.0, double(count[L]) / per_cell)));
    if (!(c > 0)) c = 1;
    NmsGridLevel& lv = by_level[L];
    lv.x0 = X0, lv.y0 = Y0, lv.inv_cell = 1.0 / c;
    lv.max_w = max_w[L] + eps, lv.max_h = max_h[L] + eps;
    lv.min_s = lo_s[L] - eps, lv.max_s = hi_s[L] + eps;
    lv.dim = static_cast<std::int64_t>(std::min(1024.0, std::floor(D / c) + 1));
    lv.rows = lv.dim, lv.inv_cell_y = lv.inv_cell;
    if (sweep) {
      lv.dim = static_cast<std::int64_t>(std::clamp(double(count[L]) / 16.0, 1.0, 1024.0));
      lv.inv_cell = double(lv.dim) / (X1 - X0 + eps);
      lv.rows = 1, lv.inv_cell_y = 0;
    }
    lv.offset = cells;
    cells += lv.dim * lv.rows;
    ws.levels_.push_back(lv);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const T* b = boxes + 4 * i;
    const NmsGridLevel& lv = by_level[cell[i]];
    const double x = 0.5 * (double(b[0]) + double(b[2])), y = 0.5 * (double(b[1]) + double(b[3]));
    cell[i] = lv.offset + lv.row(y) * lv.dim + lv.cell(x, lv.x0);
  }
  // Counting sort of ranks by cell (stable: rank order inside a cell; the cells of a row adjacent).
  ws.cell_begin_.assign(static_cast<std::size_t>(cells) + 1, 0);
  std::int64_t* begin = ws.cell_begin_.data();
  for (std::size_t i = 0; i < n; ++i) ++begin[cell[i] + 1];
  for (std::int64_t c = 0; c < cells; ++c) begin[c + 1] += begin[c];
  ws.cell_dead_.assign(static_cast<std::size_t>(cells), 0);
  ws.cell_end_.assign(begin, begin + cells);  // fill cursor; ends at each cell's end
  std::int64_t* fill = ws.cell_end_.data();
  Soa<T> soa(ws, n);
  P* pos = ws.pos_.data();
  for (std::size_t p = 0; p < n; ++p) {
    const std::size_t i = static_cast<std::size_t>(order[p]);
    const std::size_t at = static_cast<std::size_t>(fill[cell[i]]++);
    soa.put(at, boxes + 4 * i);
    pos[at] = static_cast<P>(p);
  }
  return true;
}


/// grid_greedy's result where build_nms_grid declines (the caller runs the linear kernel).
inline constexpr std::size_t grid_declined = std::numeric_limits<std::size_t>::max();

/// Greedy NMS over the spatial grid: bins the boxes (rank order `order`) with build_nms_grid and
/// runs the grid kernel; the kept ranks (at most max_keep) are ws.kept_[0..k). Returns k, or
/// grid_declined, having run nothing, where build_nms_grid declines. Same result as the linear
/// kernel. Used by nms (all boxes) and batched_nms (one class segment, see grid_segment).
template <class T>
std::size_t grid_greedy(const T* boxes, const std::int64_t* order, std::size_t n, NmsScratch<T>& ws, T thr,
                        std::size_t max_keep, bool sweep = false) {
  using P = nms_pos_t<T>;
  if (!build_nms_grid(boxes, order, n, ws, thr, sweep)) return grid_declined;
  std::fill(ws.dead_.begin(), ws.dead_.begin() + static_cast<std::ptrdiff_t>(n), static_cast<unsigned char>(0));
  Soa<T> soa(ws, n);
  const NmsGridView<T, P> view{boxes, order, n, soa.x1, soa.y1, soa.x2, soa.y2, soa.area,
                               ws.pos_.data(), ws.cell_begin_.data(), ws.cell_end_.data(),
                               ws.cell_dead_.data(), ws.dead_.data(), ws.levels_.data(),
                               ws.levels_.size()};
  return simd::dispatch(kernel::nms_greedy_grid{}, view, thr, max_keep, ws.kept_.data());
}

/// batched_nms runs a class segment of at least this many boxes through the one-row sweep grid
/// (build_nms_grid's `sweep`), from batched_square_grid_min_segment through the square grid;
/// smaller segments take the linear kernel. Measured at 50k clustered boxes, threshold 0.5
/// (bench/README.md, "batched_nms: the grid per class segment"): segments of ~625 boxes are
/// faster linear (4.8 vs 5.5 ms at 80 classes), of ~1560 faster swept (5.6 vs 6.8 ms), and the
/// square grid only wins for a whole 50k segment (5.1 vs 5.6 ms).
inline constexpr std::size_t batched_sweep_min_segment = 1024;
inline constexpr std::size_t batched_square_grid_min_segment = 16384;

/// Greedy NMS of one class segment over the spatial grid (`sweep`: one row, see build_nms_grid):
/// the ranks `ranks[0..m)` (ascending; `order`: rank -> input row) are gathered in rank order into
/// ws.seg_boxes_ and binned by build_nms_grid, which reuses ws.group_, ws.soa_, ws.pos_, ws.dead_
/// and the cell arrays (so `ranks` must not live in them). Sets flag[rank] = 1 for each kept rank
/// (at most max_keep). Returns false, touching no flag, where build_nms_grid declines (the caller
/// runs the linear kernel). Same result as greedy_segment on these boxes.
template <class T>
bool grid_segment(const T* boxes, const std::int64_t* order, const std::int64_t* ranks, std::size_t m,
                  NmsScratch<T>& ws, T thr, std::size_t max_keep, char* flag, bool sweep) {
  using P = nms_pos_t<T>;
  if (ws.seg_boxes_.size() < 4 * m) ws.seg_boxes_.resize(4 * ws.capacity);
  if (ws.seg_order_.size() < m) ws.seg_order_.resize(ws.capacity);
  T* sb = ws.seg_boxes_.data();
  std::int64_t* so = ws.seg_order_.data();
  for (std::size_t j = 0; j < m; ++j) {
    const T* b = boxes + 4 * static_cast<std::size_t>(order[ranks[j]]);
    sb[4 * j] = b[0], sb[4 * j + 1] = b[1], sb[4 * j + 2] = b[2], sb[4 * j + 3] = b[3];
    so[j] = static_cast<std::int64_t>(j);
  }
  const std::size_t k = grid_greedy(sb, so, m, ws, thr, max_keep, sweep);
  if (k == grid_declined) return false;
  const P* kept = ws.kept_.data();
  for (std::size_t i = 0; i < k; ++i) flag[ranks[kept[i]]] = 1;
  return true;
}

/// Greedy NMS with any overlap policy `O` (scalar): `box[0..m)` prepared boxes in rank order with
/// payloads `pos`; box 0 is kept, every later box whose `ov.overlap(kept, box) > thr` is removed,
/// and so on (both arrays are compacted in place: scratch). Writes the kept payloads (at most
/// `max_keep`) to `kept` and returns their count. `ov.may_overlap` skips the exact test for pairs
/// whose overlap is 0 or NaN, which cannot exceed a threshold >= 0. O(kept x alive) tests.
template <class O, class Box, class T, class P>
std::size_t greedy_prepared(const O& ov, Box* box, P* pos, std::size_t m, T thr, std::size_t max_keep,
                            P* kept) noexcept {
  const bool prefilter = thr >= T(0);
  std::size_t k = 0;
  while (m > 0 && k < max_keep) {
    const Box head = box[0];
    kept[k++] = pos[0];
    std::size_t w = 0;
    for (std::size_t j = 1; j < m; ++j) {
      const bool suppressed = (!prefilter || ov.may_overlap(head, box[j])) && ov.overlap(head, box[j]) > thr;
      if (suppressed) continue;
      box[w] = box[j];
      pos[w] = pos[j];
      ++w;
    }
    m = w;
  }
  return k;
}

/// Greedy NMS with any overlap policy `O` over the score ranks (`order`: rank -> input row of
/// `boxes`, O::box_columns wide), one segment per class: segment s holds the ranks
/// `ranks_by_group[starts[s] .. starts[s + 1])` (in rank order; null = the ranks themselves).
/// Sets `flag[rank] = 1` for each kept rank (at most max_keep per segment). The prepared boxes are
/// allocated per call (O(largest segment)).
template <class O, class T, class Thr>
void greedy_segments(const O& ov, const T* boxes, const std::int64_t* order, const std::int64_t* ranks_by_group,
                     const std::size_t* starts, std::size_t num_segments, Thr thr, std::size_t max_keep,
                     char* flag) {
  using Box = decltype(ov.prepare(boxes));
  std::size_t largest = 0;
  for (std::size_t s = 0; s < num_segments; ++s) largest = std::max(largest, starts[s + 1] - starts[s]);
  std::vector<Box> box(largest);
  std::vector<std::int64_t> pos(largest), kept(largest);
  for (std::size_t s = 0; s < num_segments; ++s) {
    const std::size_t b = starts[s], m = starts[s + 1] - starts[s];
    for (std::size_t g = 0; g < m; ++g) {
      const std::int64_t rank = ranks_by_group ? ranks_by_group[b + g] : static_cast<std::int64_t>(b + g);
      box[g] = ov.prepare(boxes + O::box_columns * static_cast<std::size_t>(order[rank]));
      pos[g] = rank;
    }
    const std::size_t k = greedy_prepared(ov, box.data(), pos.data(), m, thr, max_keep, kept.data());
    for (std::size_t i = 0; i < k; ++i) flag[kept[i]] = 1;
  }
}

}  // namespace detail
}  // namespace locuskit
