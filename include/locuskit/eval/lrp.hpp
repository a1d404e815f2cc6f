#pragma once
/// \file lrp.hpp
/// Localisation-Recall-Precision error (Oksuz et al. 2018): optimal LRP (oLRP) per class and its
/// components, exactly as the LRP-Error repository's COCO evaluator (kemaloksuz/LRP-Error
/// at commit ec408f3, `cocoeval.py` accumulate / summarize), built on the COCO matcher's per-result states.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../parallel.hpp"
#include "coco_eval.hpp"

namespace locuskit {

/// oLRP and its components per (category, area range, maxDets), row-major [K, A, M], with
/// LRP-Error's conventions: −1 where the category has no non-ignored GT; oLRP = 1, FN = 1 and
/// loc / FP / threshold NaN where it has no true positive.
struct LrpResult {
  std::size_t K = 0, A = 0, M = 0;
  double tau = 0.5;                  ///< the IoU threshold (the evaluation's first)
  std::vector<double> olrp;          ///< min over score thresholds of LRP
  std::vector<double> olrp_loc;      ///< mean 1 − IoU of the TPs at the optimum (not / (1 − tau))
  std::vector<double> olrp_fp;       ///< FP / (TP + FP) at the optimum
  std::vector<double> olrp_fn;       ///< FN / GT at the optimum
  std::vector<double> threshold;     ///< the score of the result where the optimum is reached
  /// LRP-Error's stats[12..18]: oLRP, oLRP_loc, oLRP_FP, oLRP_FN (area "all"), oLRP small,
  /// medium, large (maxDets 100; the mean of the non-NaN values > −1, −1 if none).
  std::array<double, 7> stats{};
};

/// Optimal LRP from an evaluation run with `record_matches` (it needs the IoU of every match).
///
/// Per category, area range and maxDets: results in pycocotools' accumulate order, TP / FP at
/// IoU threshold tau = iou_thrs[0]; for every prefix j, LRP_j = (sum(1 − IoU) / (1 − tau) +
/// FP_j + FN_j) / (TP_j + FP_j + FN_j); oLRP is the first minimum. Throws std::invalid_argument
/// when the evaluation has no match IoUs. O(sum over categories of A*M*D_k log D_k). Thread-safe;
/// deterministic for any `par.threads`.
inline LrpResult lrp_evaluate(const CocoEvaluation& ev, Parallel par = {});

}  // namespace locuskit

#include "../detail/eval/lrp-inl.hpp"
