#pragma once
/// \file coco_eval.hpp
/// COCO detection evaluation, bit for bit as pycocotools 2.0.11 `COCOeval`:
/// `coco_evaluate` (per image and category matching, = `evaluate()`), `coco_accumulate`
/// (precision T x R x K x A x M, recall T x K x A x M, scores, = `accumulate()`), and
/// `coco_summarize` (the 12 / 10 statistics and printed lines, = `summarize()`).
///
/// **Example**
/// \code
///   locuskit::CocoParams p = locuskit::CocoParams::defaults(locuskit::IouType::bbox);
///   p.img_ids = {...}; p.cat_ids = {...};            // as pycocotools: from the GT file
///   auto ev  = locuskit::coco_evaluate(gt, dt, p, locuskit::Parallel::all());
///   auto acc = locuskit::coco_accumulate(ev);
///   auto sum = locuskit::coco_summarize(acc, ev.params);   // sum.stats[0] = AP
/// \endcode
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../parallel.hpp"
#include "coco_params.hpp"

namespace locuskit {

/// Per-row changes to the matching rules, for protocols built on the COCO matcher (LVIS's
/// federated rules, eval/lvis_eval.hpp). Every pointer may be null (= pycocotools' rule).
struct CocoMatchRules {
  /// [gt rows] GT ignore flag used instead of pycocotools' `ignore = iscrowd`; crowd flags then
  /// still decide IoA / re-use (LVIS passes all-zero crowd flags).
  const std::uint8_t* gt_ignore = nullptr;
  /// [dt rows] nonzero: an unmatched result is ignored instead of a false positive (LVIS's
  /// not-exhaustive categories), as a result outside the area range.
  const std::uint8_t* dt_ignore_unmatched = nullptr;
  /// [gt rows] / [dt rows] nonzero: the row is not evaluated at all (as if absent from the file).
  const std::uint8_t* gt_skip = nullptr;
  const std::uint8_t* dt_skip = nullptr;
};

/// Per-(category, image) matching results ("evalImgs"), the input of `coco_accumulate`.
///
/// Unit u = i * K + k (i in ascending image id; k on the K axis: `params.cat_ids` order, or one
/// pooled unit per image when `use_cats` is false). Results of a unit are sorted by descending
/// score (stable) and cut to `max_dets.back()`; they occupy [dt_offset[u], dt_offset[u+1]).
struct CocoEvaluation {
  CocoParams params;        ///< normalized as pycocotools' evaluate() leaves them
  std::size_t I = 0, K = 0, A = 0, T = 0;
  std::vector<std::uint8_t> present;    ///< [K*I] unit has any GT or result (else pycocotools' None)
  std::vector<std::uint32_t> npig;      ///< [K*I*A] non-ignored GT per unit and area range
  std::vector<std::size_t> dt_offset;   ///< [K*I + 1]
  std::vector<double> dt_score;         ///< [D] scores in unit order
  std::vector<std::int64_t> dt_id;      ///< [D] result ids
  std::vector<std::uint32_t> dt_rank;   ///< [D] rank inside its unit (0 = best score)
  /// [D * A * T] per result, area range and IoU threshold: 0 ignored, 1 true positive,
  /// 2 false positive (pycocotools' dtIgnore / dtMatches != 0).
  std::vector<std::uint8_t> dt_state;
  /// [D * A] per result and area range: 0 ignored at every threshold, 2 false positive at every
  /// threshold, 1 otherwise (lets accumulation skip the per-threshold states).
  std::vector<std::uint8_t> dt_summary;
  enum : std::uint8_t { ignored = 0, true_positive = 1, false_positive = 2 };
  /// GT annotation indices per unit (file order) in [gt_offset[u], gt_offset[u+1]).
  std::vector<std::size_t> gt_offset;
  std::vector<std::uint32_t> gt_index;
  /// [D * A * T], only with record_matches: position in the unit's GT list (file order) of the
  /// GT each result matched, −1 if none (pycocotools' dtMatches holds that GT's id).
  std::vector<std::int32_t> dt_match;
  /// [D * A * T], only with record_matches: the overlap (IoU / OKS) with that GT, 0 if none
  /// (LRP-Error's `dtIoUs`).
  std::vector<double> dt_match_iou;
  /// Every result id is > 0 (always with loadRes ids); otherwise pycocotools lets one GT match
  /// several results and recall can exceed 1.
  bool positive_dt_ids = true;
};

/// Output of `coco_accumulate`: pycocotools' `eval['precision' | 'recall' | 'scores']`,
/// row-major, −1 where a (category, area range) has no non-ignored GT.
struct CocoAccumulation {
  std::size_t T = 0, R = 0, K = 0, A = 0, M = 0;
  std::vector<double> precision;  ///< [T, R, K, A, M]
  std::vector<double> recall;     ///< [T, K, A, M]
  std::vector<double> scores;     ///< [T, R, K, A, M]
};

/// Summary statistics (`COCOeval.stats`) and pycocotools' printed lines.
struct CocoSummary {
  std::vector<double> stats;       ///< 12 (bbox/segm) or 10 (keypoints)
  std::vector<std::string> lines;  ///< e.g. " Average Precision  (AP) @[ IoU=0.50:0.95 | ... ] = 0.505"
};

/// Matches results to ground truth per (image, category) at every IoU threshold and area range,
/// exactly as `COCOeval.evaluate()` (greedy by score; crowd GT matched by IoA and able to absorb
/// many results; ties go to the later GT; GT ignore = iscrowd, plus num_keypoints == 0 for
/// keypoints; GT id 0 never counts as a match).
///
/// `gt` / `dt`: column views (see CocoAnnotations); annotations outside `params.img_ids` /
/// `params.cat_ids` are skipped. `params` is normalized (ids np.unique'd, max_dets sorted).
/// iou_type bbox (box IoU in double, IoA for crowd) or keypoints (OKS with `kpt_oks_sigmas`).
/// Throws std::invalid_argument for a missing column or mismatched sizes, std::out_of_range
/// (Python IndexError, as pycocotools) when `max_dets` is empty; segm is not implemented yet.
/// Memory O(N + K*I*A) (one record per image and category, as pycocotools' evalImgs).
/// `record_matches` also keeps which GT every result matched (`dt_match`, for pycocotools'
/// per-image records). `rules` changes the ignore rules per row (CocoMatchRules). Complexity O(N log N + sum over units of T*A*D*G). Thread-safe (reads
/// only its inputs); deterministic for any `par.threads`.
inline CocoEvaluation coco_evaluate(const CocoAnnotations& gt, const CocoAnnotations& dt,
                                    const CocoParams& params, Parallel par = {}, bool record_matches = false,
                                    const CocoMatchRules& rules = {});

/// An evaluation rebuilt from per-unit matching records (pycocotools' `evalImgs` entries, e.g.
/// concatenated from several `evaluate()` calls as torchvision's reference scripts do), for
/// `coco_accumulate`. Units are image-major (u = i * K + k); `present[u]` is 0 for a None record;
/// `npig[u * A + a]` counts its non-ignored GT; its results (`dtScores` order, not cut again)
/// are [dt_offset[u], dt_offset[u+1]) with `dt_state[(d * A + a) * T + t]` = ignored (dtIgnore),
/// true_positive (dtMatches != 0) or false_positive. `max_dets` may be in any order and negative
/// (Python slices). Throws std::invalid_argument on inconsistent sizes. O(D * A * T).
inline CocoEvaluation coco_evaluation_from_states(std::size_t I, std::size_t K, std::size_t A, std::size_t T,
                                                  std::vector<std::int64_t> max_dets, std::vector<std::uint8_t> present,
                                                  std::vector<std::uint32_t> npig, std::vector<std::size_t> dt_offset,
                                                  std::vector<double> dt_score, std::vector<std::uint8_t> dt_state);

/// Accumulates an evaluation into precision / recall / scores, exactly as
/// `COCOeval.accumulate()` (cross-image ties broken by image id then rank; precision
/// tp / (tp + fp + np.spacing(1)); right-to-left envelope; searchsorted side='left'; cells past
/// the highest reached recall stay 0). `rec_thrs` overrides `ev.params.rec_thrs` when not null
/// (pycocotools reads recThrs at accumulate time). O(sum over categories of D_k log D_k + A*T*M*D_k).
/// Thread-safe; deterministic for any `par.threads`.
inline CocoAccumulation coco_accumulate(const CocoEvaluation& ev, const std::vector<double>* rec_thrs = nullptr,
                                        Parallel par = {});

/// The summary statistics and printed lines of `COCOeval.summarize()`, bit for bit (NumPy's
/// pairwise mean over the cells > −1). bbox/segm: 12 stats, stats[0] at the literal maxDets 100,
/// the others at max_dets[0..2]; keypoints: 10 stats at maxDets 20. Throws std::out_of_range
/// (IndexError) where pycocotools raises IndexError (fewer than 3 max_dets, empty iou_thrs,
/// more labels than ranges). O(size of the arrays). Thread-safe.
inline CocoSummary coco_summarize(const CocoAccumulation& acc, const CocoParams& params);

/// One statistic as pycocotools' `_summarize(ap, iouThr, areaRng, maxDets)`: the NumPy mean of
/// the cells > −1 of precision (ap) or recall at IoU == iou_thr (all thresholds when
/// `all_ious`), area label `area_lbl` and maxDets `max_det`; −1 if there are none.
inline double coco_summary_stat(const CocoAccumulation& acc, const CocoParams& params, bool ap, bool all_ious,
                                double iou_thr, const std::string& area_lbl, std::int64_t max_det);

}  // namespace locuskit

#include "../detail/eval/coco_eval-inl.hpp"
