// Fuzz target for the COCO results parser (parse_coco_results, as COCO.loadRes) against a fixed
// ground truth with boxes, a crowd region and keypoints on images 1-3 (categories 1, 2). Any
// bytes either parse or throw a documented exception (parse_error / coco_results_mismatch:
// std::invalid_argument; coco_empty_results: std::out_of_range). Parsed results are evaluated
// (bbox, or keypoints when they carry keypoints), accumulated and summarized.
#include <cstdint>
#include <stdexcept>

#include "coco_fuzz_common.hpp"

namespace {
const char* const ground_truth_json = R"({
 "images": [{"id": 1, "width": 640, "height": 480}, {"id": 2, "width": 100, "height": 100}, {"id": 3}],
 "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
 "annotations": [
  {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "area": 2500, "iscrowd": 0,
   "keypoints": [20, 20, 2, 30, 30, 1, 0, 0, 0], "num_keypoints": 2},
  {"id": 2, "image_id": 1, "category_id": 1, "bbox": [100, 100, 300, 300], "area": 90000, "iscrowd": 1,
   "keypoints": [0, 0, 0, 0, 0, 0, 0, 0, 0], "num_keypoints": 0},
  {"id": 3, "image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0,
   "keypoints": [1, 1, 2, 5, 5, 2, 9, 9, 2], "num_keypoints": 3},
  {"id": 4, "image_id": 2, "category_id": 1, "bbox": [5, 5, 0, 10], "area": 0, "iscrowd": 0,
   "keypoints": [5, 5, 2, 5, 10, 2, 5, 15, 2], "num_keypoints": 3},
  {"id": 5, "image_id": 3, "category_id": 2, "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 0,
   "keypoints": [1, 2, 2, 2, 3, 2, 3, 4, 2], "num_keypoints": 3}
 ]
})";

const locuskit::CocoGroundTruth& ground_truth() {
  static const locuskit::CocoGroundTruth gt =
      locuskit::parse_coco_ground_truth(simdjson::padded_string(std::string(ground_truth_json)), "fixed gt");
  return gt;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace locuskit;
  const CocoGroundTruth& gt = ground_truth();
  simdjson::padded_string text(reinterpret_cast<const char*>(data), size);
  CocoTable dt;
  try {
    dt = parse_coco_results(text, gt, "fuzz", size % 2 == 0);
  } catch (const std::invalid_argument&) {
    return 0;
  } catch (const std::out_of_range&) {
    return 0;
  }
  const std::size_t n = dt.size();
  FUZZ_CHECK(dt.image_id.size() == n && dt.category_id.size() == n, "result columns of different sizes");
  for (std::size_t i = 0; i < n; ++i)
    FUZZ_CHECK(dt.id[i] == static_cast<std::int64_t>(i + 1), "result %zu has id %lld (loadRes: 1 + index)", i,
               static_cast<long long>(dt.id[i]));
  fuzz::evaluate_coco(gt, dt, (size / 2) % 2 == 0);
  return 0;
}
