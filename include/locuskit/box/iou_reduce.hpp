#pragma once
/// \file box/iou_reduce.hpp
/// Fused IoU reductions that never build the n x m matrix: for every box of one set, the best IoU
/// with the other set and its index. This is what max-IoU matchers need on 100k+ anchors.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "iou.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {

namespace kernel {

/// For boxes_a rows [0, n) against boxes_b columns [0, m):
/// - if `row_max`: row_max[i]/row_arg[i] are updated in place with the best IoU over these columns
///   (strictly greater wins, so the first column wins ties; column indices are `col_offset + j`);
/// - if `col_max`: col_max[j]/col_arg[j] are *written* with the best IoU over all n rows
///   (first row wins ties; -1 with value -inf if n == 0).
struct iou_max_reduce {
  template <class Arch, class T>
  void operator()(Arch, const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m,
                  std::int64_t col_offset, T* row_max, std::int64_t* row_arg, T* col_max,
                  std::int64_t* col_arg, T degenerate) const noexcept;
};

}  // namespace kernel

/// Best IoU per box of each set, without the n x m matrix.
///
/// `boxes_a` (n, 4) and `boxes_b` (m, 4) xyxy. Outputs may be null when not wanted:
/// `a_max[i] = max_j IoU(a_i, b_j)`, `a_arg[i]` its first arg-max j (or -inf/-1 when m == 0);
/// `b_max[j] = max_i IoU(a_i, b_j)`, `b_arg[j]` its first arg-max i (or -inf/-1 when n == 0).
/// A NaN IoU (degenerate = nan, or NaN coordinates) never wins (-inf/-1 if all are NaN).
/// Same IoU bits as box_iou. O(n*m) time; memory O(1) single-threaded. With `par.threads > 1`
/// columns are split across threads and the per-thread a-side partials (O(n) each) are merged in
/// column order, so results are identical whatever the thread count.
template <class T>
void box_iou_max(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* a_max,
                 std::int64_t* a_arg, T* b_max, std::int64_t* b_arg,
                 Degenerate degenerate = Degenerate::zero, Parallel par = {}) {
  const T deg = degenerate_value<T>(degenerate);
  const T lowest = -std::numeric_limits<T>::infinity();
  // The arg outputs travel together with the values; one without the other is allowed.
  std::vector<T> a_max_local;
  std::vector<std::int64_t> a_arg_local;
  const bool want_a = a_max != nullptr || a_arg != nullptr;
  const bool want_b = b_max != nullptr || b_arg != nullptr;
  std::vector<T> b_max_local;
  std::vector<std::int64_t> b_arg_local;
  if (want_b && (b_max == nullptr || b_arg == nullptr)) {
    b_max_local.resize(b_max ? 0 : m);
    b_arg_local.resize(b_arg ? 0 : m);
    if (!b_max) b_max = b_max_local.data();
    if (!b_arg) b_arg = b_arg_local.data();
  }
  if (want_a && (a_max == nullptr || a_arg == nullptr)) {
    a_max_local.resize(a_max ? 0 : n);
    a_arg_local.resize(a_arg ? 0 : n);
    if (!a_max) a_max = a_max_local.data();
    if (!a_arg) a_arg = a_arg_local.data();
  }
  if (want_a)
    for (std::size_t i = 0; i < n; ++i) a_max[i] = lowest, a_arg[i] = -1;
  if (n == 0) {
    if (want_b)
      for (std::size_t j = 0; j < m; ++j) b_max[j] = lowest, b_arg[j] = -1;
    return;
  }
  const std::size_t grain = (65536 + n - 1) / n;
  const std::size_t chunks =
      std::min<std::size_t>((m + grain - 1) / grain, static_cast<std::size_t>(std::max(par.threads, 1)));
  if (chunks <= 1) {
    simd::dispatch(kernel::iou_max_reduce{}, boxes_a, n, boxes_b, m, std::int64_t{0},
                   want_a ? a_max : nullptr, want_a ? a_arg : nullptr, want_b ? b_max : nullptr,
                   want_b ? b_arg : nullptr, deg);
    return;
  }
  // One a-side partial per chunk; chunk c covers columns [c*m/chunks, (c+1)*m/chunks).
  std::vector<T> part_max(want_a ? chunks * n : 0, lowest);
  std::vector<std::int64_t> part_arg(want_a ? chunks * n : 0, -1);
  parallel_for(chunks, 1, Parallel{static_cast<int>(chunks)}, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) {
      const std::size_t j0 = c * m / chunks, j1 = (c + 1) * m / chunks;
      simd::dispatch(kernel::iou_max_reduce{}, boxes_a, n, boxes_b + 4 * j0, j1 - j0,
                     static_cast<std::int64_t>(j0), want_a ? part_max.data() + c * n : nullptr,
                     want_a ? part_arg.data() + c * n : nullptr, want_b ? b_max + j0 : nullptr,
                     want_b ? b_arg + j0 : nullptr, deg);
    }
  });
  if (want_a)
    for (std::size_t c = 0; c < chunks; ++c)
      for (std::size_t i = 0; i < n; ++i)
        if (part_max[c * n + i] > a_max[i]) a_max[i] = part_max[c * n + i], a_arg[i] = part_arg[c * n + i];
}

// ------------------------------------------------------------------------------------------------

template <class Arch, class T>
void kernel::iou_max_reduce::operator()(Arch, const T* boxes_a, std::size_t n, const T* boxes_b,
                                        std::size_t m, std::int64_t col_offset, T* row_max,
                                        std::int64_t* row_arg, T* col_max, std::int64_t* col_arg,
                                        T degenerate) const noexcept {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  alignas(64) T bx1[iou_tile], by1[iou_tile], bx2[iou_tile], by2[iou_tile], barea[iou_tile];
  alignas(64) T ious[iou_tile];
  alignas(64) T lanes[W];
  const T lowest = -std::numeric_limits<T>::infinity();
  if (col_max)
    for (std::size_t j = 0; j < m; ++j) col_max[j] = lowest, col_arg[j] = -1;
  for (std::size_t col0 = 0; col0 < m; col0 += iou_tile) {
    const std::size_t cols = (m - col0) < iou_tile ? (m - col0) : iou_tile;
    load_tile_soa(boxes_b + 4 * col0, cols, bx1, by1, bx2, by2, barea);
    for (std::size_t i = 0; i < n; ++i) {
      // One row of the tile through the pairwise kernel's arithmetic (same bits as box_iou).
      pairwise_iou_row_<Arch>(boxes_a + 4 * i, bx1, by1, bx2, by2, barea, cols, ious, degenerate);
      if (row_max) {
        batch best(lowest);
        std::size_t j = 0;
        for (; j + W <= cols; j += W) {
          // select(v > best), not max(): SSE/AVX max returns its second operand when either is
          // NaN, so a NaN IoU (degenerate = nan) would overwrite a lane's best so far.
          const batch v = batch::load_aligned(ious + j);
          best = xsimd::select(v > best, v, best);
        }
        best.store_aligned(lanes);
        T tile_best = lowest;
        for (std::size_t l = 0; l < W; ++l) tile_best = lanes[l] > tile_best ? lanes[l] : tile_best;
        for (; j < cols; ++j) tile_best = ious[j] > tile_best ? ious[j] : tile_best;
        if (tile_best > row_max[i]) {
          std::size_t first = 0;
          while (!(ious[first] == tile_best)) ++first;
          // the bits of that pair's IoU, not the lane reduction's: +0.0 and -0.0 compare equal,
          // and the reduction may have kept the other one (found by fuzz_iou)
          row_max[i] = ious[first];
          row_arg[i] = col_offset + static_cast<std::int64_t>(col0 + first);
        }
      }
      if (col_max) {
        T* cm = col_max + col0;
        std::int64_t* ca = col_arg + col0;
        const std::int64_t row = static_cast<std::int64_t>(i);
        for (std::size_t j = 0; j < cols; ++j) {
          const bool better = ious[j] > cm[j];
          cm[j] = better ? ious[j] : cm[j];
          ca[j] = better ? row : ca[j];
        }
      }
    }
  }
}

#define LOCUSKIT_IOU_MAX_REDUCE_INSTANCES(EXTERN, Arch)                                           \
  EXTERN template void kernel::iou_max_reduce::operator()<Arch, float>(                           \
      Arch, const float*, std::size_t, const float*, std::size_t, std::int64_t, float*,            \
      std::int64_t*, float*, std::int64_t*, float) const noexcept;                                \
  EXTERN template void kernel::iou_max_reduce::operator()<Arch, double>(                          \
      Arch, const double*, std::size_t, const double*, std::size_t, std::int64_t, double*,         \
      std::int64_t*, double*, std::int64_t*, double) const noexcept;
LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_IOU_MAX_REDUCE_INSTANCES)

}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
