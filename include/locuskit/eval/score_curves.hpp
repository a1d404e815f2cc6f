#pragma once
/// \file score_curves.hpp
/// Per-class precision / recall / F1 as functions of the score threshold, from a COCO
/// evaluation: the cumulative true / false positive counts in pycocotools' accumulation order
/// (the points its precision-recall curve is built from), one curve per category.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "coco_eval.hpp"

namespace locuskit {

/// Ragged per-category curves: category k (K axis of the evaluation) owns
/// [offset[k], offset[k+1]) of `score`, `tp`, `fp`. Point j: keeping the results with score >=
/// score[j] (ties: the accumulation order) gives tp[j] true and fp[j] false positives, so
/// precision = tp / (tp + fp), recall = tp / npig[k], F1 = 2 tp / (2 tp + fp + (npig - tp)).
/// Ignored results (crowd, out of the area range) are left out.
struct ScoreCurves {
  std::size_t K = 0;
  std::vector<std::size_t> offset;   ///< [K + 1]
  std::vector<double> score;         ///< descending within a category
  std::vector<std::uint32_t> tp, fp; ///< cumulative counts
  std::vector<std::uint32_t> npig;   ///< [K] non-ignored GT
};

/// Curves at IoU threshold index `t`, area range index `a` and maxDets index `m` of `ev`
/// (pycocotools' accumulate order: the results of a category, each image cut to max_dets[m],
/// concatenated in image order and stable-sorted by descending score, NaN last).
/// Throws std::out_of_range for an index past the evaluation's axes. O(D log D). Thread-safe.
inline ScoreCurves coco_score_curves(const CocoEvaluation& ev, std::size_t t = 0, std::size_t a = 0,
                                     std::size_t m = static_cast<std::size_t>(-1));

namespace detail {
namespace sweep {

/// Positions (into ev.dt_*) of category k's results in accumulate's order for max_det.
inline void category_order(const CocoEvaluation& ev, std::size_t k, std::int64_t max_det,
                           std::vector<std::size_t>& out) {
  out.clear();
  for (std::size_t i = 0; i < ev.I; ++i) {
    const std::size_t u = i * ev.K + k;
    if (!ev.present[u]) continue;
    const std::size_t b = ev.dt_offset[u], n = ev.dt_offset[u + 1] - b;
    const std::size_t stop = coco::slice_stop(n, max_det);
    for (std::size_t d = 0; d < stop; ++d) out.push_back(b + d);
  }
  const double* s = ev.dt_score.data();
  std::stable_sort(out.begin(), out.end(),
                   [s](std::size_t x, std::size_t y) { return coco::np_less(-s[x], -s[y]); });
}

/// Non-ignored GT of category k in area range a.
inline std::uint64_t category_npig(const CocoEvaluation& ev, std::size_t k, std::size_t a) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < ev.I; ++i) n += ev.npig[(i * ev.K + k) * ev.A + a];
  return n;
}

}  // namespace sweep
}  // namespace detail

inline ScoreCurves coco_score_curves(const CocoEvaluation& ev, std::size_t t, std::size_t a, std::size_t m) {
  const std::size_t M = ev.params.max_dets.size();
  if (m == static_cast<std::size_t>(-1)) m = M ? M - 1 : 0;
  if (t >= ev.T || a >= ev.A || m >= M) throw std::out_of_range("coco_score_curves: index past the evaluation's axes");
  ScoreCurves c;
  c.K = ev.K;
  c.offset.assign(ev.K + 1, 0);
  c.npig.resize(ev.K);
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < ev.K; ++k) {
    detail::sweep::category_order(ev, k, ev.params.max_dets[m], order);
    c.npig[k] = static_cast<std::uint32_t>(detail::sweep::category_npig(ev, k, a));
    std::uint32_t tp = 0, fp = 0;
    for (std::size_t d : order) {
      const std::uint8_t st = ev.dt_state[(d * ev.A + a) * ev.T + t];
      if (st == CocoEvaluation::ignored) continue;
      (st == CocoEvaluation::true_positive ? tp : fp) += 1;
      c.score.push_back(ev.dt_score[d]);
      c.tp.push_back(tp);
      c.fp.push_back(fp);
    }
    c.offset[k + 1] = c.score.size();
  }
  return c;
}

}  // namespace locuskit
