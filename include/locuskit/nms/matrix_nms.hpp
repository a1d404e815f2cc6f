#pragma once
/// \file nms/matrix_nms.hpp
/// Matrix NMS (SOLOv2), on boxes: every score decays by its worst overlap, compensated by how
/// suppressed the suppressor itself is. Parallel-friendly, no sequential loop.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"
#include "io.hpp"
#include "overlap.hpp"
#include "../detail/nms/engine.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Decay kernel of matrix_nms.
enum class MatrixNmsKernel : int {
  gaussian = 0,  ///< f(x) = exp(-sigma * x^2) (sigma multiplies: SOLOv2 / mmdet default 2)
  linear = 1,    ///< f(x) = 1 - x
};

/// Parameters of matrix_nms (defaults: mmdet `mask_matrix_nms`), with the overlap policy `O`
/// (nms/overlap.hpp): AxisAlignedIoU ((n, 4) xyxy, the default), RotatedIoU ((n, 5)), Box3dIoU.
template <class O = AxisAlignedIoU>
struct BasicMatrixNmsParams {
  MatrixNmsKernel kernel = MatrixNmsKernel::gaussian;
  double sigma = 2.0;
  double filter_threshold = -1.0;  ///< keep decayed scores >= this (mmdet; -1 keeps all)
  std::size_t pre_top_k = std::numeric_limits<std::size_t>::max();   ///< mmdet nms_pre
  std::size_t max_output = std::numeric_limits<std::size_t>::max();  ///< mmdet max_num
  /// The overlap (RotatedIoU carries its angle convention and mode).
  O overlap = {};
};
/// Parameters of the axis-aligned matrix_nms.
using MatrixNmsParams = BasicMatrixNmsParams<AxisAlignedIoU>;

/// Matrix NMS on `in.boxes` (n, O::box_columns) and `in.scores` (n,) with the overlap of policy
/// `params.overlap` (nms/overlap.hpp; (n, 4) xyxy and AxisAlignedIoU by default). Over the top
/// `pre_top_k` boxes by score (ties: lower index), with `X_ij = IoU(i, j)` for i < j of the same
/// label (0 otherwise; the labels are `in.classes`, which may be null = one class),
/// `comp_i = max_k X_ki` and `decay_j = min_i f(X_ij) / f(comp_i)` (all i, as mmdet), the decayed
/// score is `score_j * decay_j`. Keeps decayed scores >= filter_threshold, sorted by decayed score
/// descending (ties: earlier in the score order first), at most `max_output`.
///
/// Writes kept indices to `out.keep` and their decayed scores to `out.kept_scores` (room for
/// min(n, pre_top_k)); returns the count. The linear kernel divides by `1 - comp_i` exactly as mmdet
/// (inf/NaN when a box is fully covered). IoU in T, 0 for zero-area pairs. O(m^2) time, O(m) memory
/// (m = min(n, pre_top_k)) in `ws` (a temporary when null; a warm workspace makes the call
/// allocation-free). Thread-safe with distinct workspaces.
template <class T, class O>
std::size_t matrix_nms(const NmsInputs<T>& in, const BasicMatrixNmsParams<O>& params, const NmsOutputs<T>& out,
                       NmsWorkspace<T>* ws = nullptr) {
  constexpr std::size_t cols = O::box_columns;
  const T *boxes = in.boxes, *scores = in.scores;
  const std::int64_t* labels = in.classes;
  const std::size_t n = in.n;
  const O& overlap = params.overlap;
  std::int64_t* keep = out.keep;
  T* out_scores = out.kept_scores;
  LOCUSKIT_CHECK(!std::isnan(params.sigma) && !std::isnan(params.filter_threshold), std::invalid_argument,
                 "matrix_nms: sigma / filter_threshold is NaN");
  if (n == 0) return 0;
  NmsWorkspace<T> local;
  detail::NmsScratch<T>& work = detail::scratch_of(ws ? *ws : local, n);
  std::int64_t* order = work.order_.data();
  detail::score_order(scores, n, order, work);
  const std::size_t m = std::min(n, params.pre_top_k);
  // Three (m,) columns in the workspace's SoA block (5n >= 3m).
  T* comp = work.soa_.data();
  T* decay = comp + m;
  T* dscore = decay + m;
  std::fill(comp, comp + m, T(0));
  std::fill(decay, decay + m, std::numeric_limits<T>::infinity());
  auto X = [&](std::size_t i, std::size_t j) -> T {  // i < j
    if (labels && labels[order[i]] != labels[order[j]]) return T(0);
    return overlap.overlap(boxes + cols * static_cast<std::size_t>(order[i]),
                           boxes + cols * static_cast<std::size_t>(order[j]));
  };
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < j; ++i) comp[j] = std::max(comp[j], X(i, j));
  const T sigma = static_cast<T>(params.sigma);
  const bool gauss = params.kernel == MatrixNmsKernel::gaussian;
  auto f = [&](T x) -> T { return gauss ? std::exp(T(-1) * sigma * (x * x)) : T(1) - x; };
  // Row i contributes f(X_ij)/f(comp_i) to every column j (X_ij = 0 for i >= j).
  for (std::size_t i = 0; i < m; ++i) {
    const T fc = f(comp[i]);
    const T f0 = f(T(0)) / fc;
    for (std::size_t j = 0; j < m; ++j) {
      const T v = j > i ? f(X(i, j)) / fc : f0;
      // torch.min propagates NaN.
      if (std::isnan(v) || v < decay[j]) decay[j] = std::isnan(decay[j]) ? decay[j] : v;
    }
  }
  const T thr = static_cast<T>(params.filter_threshold);
  // Kept positions j sorted by decayed score descending, ties by j: a stable radix sort on the
  // order-preserving keys (NaN never passes the filter; -0.0 ties +0.0, as `>` does).
  std::int64_t* kept = work.order_tmp_.data();
  auto* keys = work.keys_.data();
  std::size_t kept_n = 0;
  for (std::size_t j = 0; j < m; ++j) {
    dscore[j] = scores[order[j]] * decay[j];
    if (dscore[j] >= thr) {
      keys[kept_n] = detail::descending_score_key(dscore[j]);
      kept[kept_n++] = static_cast<std::int64_t>(j);
    }
  }
  detail::radix_sort_pairs(keys, kept, kept_n, work.keys_tmp_.data(), work.group_.data());
  const std::size_t k = std::min(kept_n, params.max_output);
  for (std::size_t r = 0; r < k; ++r) {
    keep[r] = order[kept[r]];
    out_scores[r] = dscore[kept[r]];
  }
  return k;
}

/// Convenience forwarder to the signature above (positional arguments; the policy `overlap`
/// replaces params.overlap).
template <class T, class O = AxisAlignedIoU>
std::size_t matrix_nms(const T* boxes, const T* scores, const std::int64_t* labels, std::size_t n,
                       std::int64_t* keep, T* out_scores, const MatrixNmsParams& params = {},
                       NmsWorkspace<T>* ws = nullptr, const O& overlap = {}) {
  const BasicMatrixNmsParams<O> p{params.kernel,    params.sigma,      params.filter_threshold,
                                  params.pre_top_k, params.max_output, overlap};
  return matrix_nms(NmsInputs<T>{boxes, scores, n, labels}, p, NmsOutputs<T>{keep, out_scores}, ws);
}

}  // namespace locuskit
