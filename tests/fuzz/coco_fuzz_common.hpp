#pragma once
// Shared by the COCO fuzz targets: run a parsed ground truth and results through evaluate,
// accumulate and summarize, as `locuskit coco` does. Only the documented exceptions may escape
// (std::invalid_argument: missing column / bad params; std::out_of_range: pycocotools'
// IndexError); anything else (bad_alloc, length_error, a crash) is a finding.
#include <algorithm>
#include <stdexcept>

#include <locuskit/eval.hpp>
#include <locuskit/eval/coco_json.hpp>

#include "fuzz_support.hpp"

namespace locuskit::fuzz {

inline void evaluate_coco(const CocoGroundTruth& gt, const CocoTable& dt, bool use_cats, IouType type);

inline void evaluate_coco(const CocoGroundTruth& gt, const CocoTable& dt, bool use_cats) {
  const IouType type = dt.keypoint_values && gt.annotations.keypoint_values ? IouType::keypoints : IouType::bbox;
  evaluate_coco(gt, dt, use_cats, type);
  // Masks too (the segmentation column; rows that are not masks are refused with invalid_argument).
  for (const CocoTable* t : {&gt.annotations, &dt}) {
    FUZZ_CHECK(t->segm_kind.size() == t->size() && t->segm_offset.size() == t->size() + 1 &&
                   t->segm_size.size() == 2 * t->size() && t->segm_offset.back() == t->segm_counts.size(),
               "segmentation column inconsistent with %zu rows", t->size());
  }
  evaluate_coco(gt, dt, use_cats, IouType::segm);
  // Boundary IoU decodes every mask: only small images (the fuzzer's memory limit).
  bool small = true;
  for (const CocoTable* t : {&gt.annotations, &dt})
    for (std::size_t i = 0; i < t->size(); ++i)
      small = small && std::uint64_t(t->segm_size[2 * i]) * t->segm_size[2 * i + 1] <= (1u << 16);
  if (small) evaluate_coco(gt, dt, use_cats, IouType::boundary);
}

inline void evaluate_coco(const CocoGroundTruth& gt, const CocoTable& dt, bool use_cats, IouType type) {
  CocoParams params = coco_params_for(gt, type);
  // Duplicate category ids stay: pycocotools pools them (issue 10 defect 2; reproducer in the corpus).
  params.use_cats = use_cats;
  if (type == IouType::keypoints && params.kpt_oks_sigmas.size() * 3 != gt.annotations.keypoint_values)
    params.kpt_oks_sigmas.assign(gt.annotations.keypoint_values / 3, 0.05);
  try {
    const CocoEvaluation ev = coco_evaluate(gt.annotations.view(), dt.view(), params, Parallel{use_cats ? 1 : 2});
    const CocoAccumulation acc = coco_accumulate(ev);
    const CocoSummary s = coco_summarize(acc, params);
    for (const double v : s.stats)
      FUZZ_CHECK(v == -1 || (v >= 0 && v <= 1) || v != v, "summary statistic %g outside [0, 1] and not -1", v);
  } catch (const std::invalid_argument&) {
  } catch (const std::out_of_range&) {
  }
}

}  // namespace locuskit::fuzz
