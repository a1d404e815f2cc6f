// Fuzz target for the COCO ground-truth parser (parse_coco_ground_truth): any bytes either parse
// or throw a documented exception (parse_error / coco_missing_field, both std::invalid_argument).
// A parsed file is then evaluated against its own annotations as results (score = 1/(1+i), ids
// 1 + index as loadRes gives them), with
// and without categories, through evaluate, accumulate and summarize.
#include <cstdint>
#include <stdexcept>

#include "coco_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace locuskit;
  simdjson::padded_string text(reinterpret_cast<const char*>(data), size);
  CocoGroundTruth gt;
  try {
    gt = parse_coco_ground_truth(text, "fuzz");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const CocoTable& a = gt.annotations;
  const std::size_t n = a.size();
  FUZZ_CHECK(a.image_id.size() == n && a.category_id.size() == n, "annotation columns of different sizes");
  FUZZ_CHECK(a.first_missing_bbox >= 0 || a.bbox.size() == 4 * n, "bbox column has %zu values for %zu annotations",
             a.bbox.size(), n);
  CocoTable dt = a;
  dt.score.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    dt.score[i] = 1.0 / (1.0 + static_cast<double>(i));
    // Result ids 1 + index, as loadRes assigns them: pycocotools (and so locuskit) treat a
    // matched result id 0 as "unmatched", letting a second result match the same GT (recall > 1).
    dt.id[i] = static_cast<std::int64_t>(i + 1);
  }
  dt.first_missing_score = -1;
  fuzz::evaluate_coco(gt, dt, true);
  fuzz::evaluate_coco(gt, dt, false);
  return 0;
}
