#pragma once
/// \file tide.hpp
/// TIDE detection error analysis (Bolya et al. 2020), exactly as tidecv (dbolya/tide @49a5d2a) in
/// box mode: the six main error types (classification, localization, both, duplicate,
/// background, missed) with the AP each one costs (dAP, fixed one type at a time), the special
/// errors (false positives, false negatives) and the per-class AP TIDE computes, in percent.
///
/// Reuses the COCO data model (CocoAnnotations: GT with `iscrowd`, results with `score`) and the
/// COCO box overlap (pycocotools' bbIou). The matching is TIDE's own and cannot be COCO's: all
/// classes of an image at once, cut to `max_dets` per image (not per class), the first maximal
/// GT wins (COCO: the last), crowd GT never match but absorb unmatched detections whose IoA with
/// them is > pos_thresh (strict; COCO: >=).
///
/// **Example**
/// \code
///   auto gt = locuskit::load_coco_ground_truth("instances_val2017.json");
///   auto dt = locuskit::load_coco_results("results.json", gt);
///   auto r  = locuskit::tide_evaluate(gt.annotations.view(), dt.view(), gt.image_ids);
///   r.main_dap[locuskit::tide_error_index(locuskit::TideError::loc)];   // dAP of localization
/// \endcode
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../parallel.hpp"
#include "coco_params.hpp"

namespace locuskit {

/// What TIDE made of a detection or a ground-truth object. The error values 1..6 are tidecv's
/// `TIDE._error_types` order (Cls, Loc, Both, Dupe, Bkg, Miss).
enum class TideError : std::int8_t {
  not_evaluated = -1,  ///< detection past max_dets / on an image not in the GT; GT: crowd (ignore region)
  none = 0,            ///< detection: true positive; GT: matched
  cls = 1,             ///< right box (IoU >= pos with a GT of another class), wrong class
  loc = 2,             ///< right class, IoU in [bg, pos] with a GT of its class
  both = 3,            ///< wrong class and IoU in (bg, pos) ("Both" / OtherError)
  dupe = 4,            ///< right class and box but its GT was already matched by a higher score
  bkg = 5,             ///< IoU <= bg with every GT (or an image without GT)
  miss = 6,            ///< GT: not matched and not fixable by any Cls / Loc error
  fixable = 7,         ///< GT: not matched, but a Cls / Loc error points at it (not a Miss)
};

/// Position of a main error type in `TideResult::main_dap` / `error_counts` (0..5).
constexpr std::size_t tide_error_index(TideError e) noexcept { return std::size_t(e) - 1; }

/// TIDE's thresholds (tidecv defaults) and per-image detection limit (tidecv's COCO loader: 100).
struct TideParams {
  double pos_thresh = 0.5;   ///< foreground IoU (match iff IoU >= pos_thresh)
  double bg_thresh = 0.1;    ///< background IoU
  std::int64_t max_dets = 100;
  bool run_errors = true;    ///< false: only AP
  /// Foreground thresholds of AP-only runs sharing this call's overlaps and sort (tidecv's
  /// evaluate_range: 0.5, 0.55, ..., 0.95) -> `TideResult::ap_at_thresholds`.
  std::vector<double> ap_thresholds;
};

/// Result of `tide_evaluate`. AP values are in percent (0..100), as tidecv reports them.
struct TideResult {
  double ap = 0;  ///< mAP over the classes with any detection or GT (tidecv's `run.ap`)
  /// Classes in tidecv's order (first seen: per image, its GT, then its kept detections), with
  /// their AP, non-ignored GT count and whether they count in the mean (detections or GT).
  std::vector<std::int64_t> class_ids;
  std::vector<double> class_ap;
  std::vector<std::int64_t> class_positives;
  std::vector<std::uint8_t> class_counted;
  std::vector<double> ap_at_thresholds;          ///< AP at each of `TideParams::ap_thresholds`
  std::array<double, 6> main_dap{};               ///< Cls, Loc, Both, Dupe, Bkg, Miss (>= 0)
  std::array<double, 2> special_dap{};            ///< FalsePos, FalseNeg (not clamped, as tidecv)
  std::array<std::size_t, 6> error_counts{};      ///< number of errors of each main type
  std::vector<TideError> dt_error;                ///< [dt.size] per detection (input order)
  std::vector<std::uint8_t> dt_ignored;           ///< [dt.size] absorbed by a crowd region (still an error if not TP)
  std::vector<std::int64_t> dt_gt;                ///< [dt.size] GT row matched (TP) or blamed (Cls/Loc/Dupe), else -1
  std::vector<TideError> gt_error;                ///< [gt.size] none / miss / fixable / not_evaluated
};

/// TIDE error analysis of detections `dt` against ground truth `gt` (box mode).
///
/// `image_ids`: the GT images in the GT file's order (tidecv iterates them in that order; it
/// breaks score ties across images); GT and detections on other images are not evaluated.
/// gt needs image_id, category_id, bbox, iscrowd; dt needs image_id, category_id, bbox, score.
/// Rules (notes §2): per image, detections stable-sorted by descending score and cut to
/// max_dets; greedy class-aware matching with IoU >= pos_thresh; an unmatched detection with
/// IoA > pos_thresh with a crowd GT of its class is ignored; then each non-TP detection gets the
/// first error that applies (Bkg if the image has no GT, Loc, Cls, Dupe, Bkg, Both); unmatched GT
/// no Cls/Loc error points at are Miss. dAP of a type = max(AP with that type fixed - AP, 0).
/// Scores must not be NaN (tidecv's Python sort gives an unspecified order there).
/// Throws std::invalid_argument for a missing column. O(sum over images of D*G) time, O(N) memory.
/// Thread-safe; deterministic for any `par.threads`.
inline TideResult tide_evaluate(const CocoAnnotations& gt, const CocoAnnotations& dt,
                                const std::vector<std::int64_t>& image_ids, const TideParams& params = {},
                                Parallel par = {});

}  // namespace locuskit

#include "../detail/eval/tide-inl.hpp"
