#pragma once
/// \file coco_params.hpp
/// COCO evaluation parameters (pycocotools' `Params`) and the borrowed column views of
/// annotations / results that the evaluator reads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace locuskit {

/// What the overlap between a result and a ground-truth object is measured with.
/// bbox: box IoU; segm: mask IoU (pycocotools); keypoints: OKS; boundary: min(mask IoU, Boundary
/// IoU) for non-crowd GT, mask IoU for crowd GT (boundary-iou-api's `iouType="boundary"`).
enum class IouType { bbox, segm, keypoints, boundary };

/// "bbox" | "segm" | "keypoints" | "boundary" (pycocotools' / boundary-iou-api's spelling).
inline const char* iou_type_name(IouType t) noexcept {
  switch (t) {
    case IouType::bbox: return "bbox";
    case IouType::segm: return "segm";
    case IouType::keypoints: return "keypoints";
    case IouType::boundary: return "boundary";
  }
  return "?";
}

/// True when the overlap is measured on masks (segm, boundary).
inline bool iou_type_uses_masks(IouType t) noexcept { return t == IouType::segm || t == IouType::boundary; }

/// Parameters of one COCO evaluation, with pycocotools' names and defaults.
///
/// `img_ids` and `cat_ids` select what is evaluated; `coco_evaluate` sorts and de-duplicates them
/// (np.unique, `cat_ids` only when `use_cats`) and sorts `max_dets`, exactly as
/// `COCOeval.evaluate()` rewrites `params`.
struct CocoParams {
  IouType iou_type = IouType::bbox;
  std::vector<std::int64_t> img_ids;
  std::vector<std::int64_t> cat_ids;
  std::vector<double> iou_thrs;                   ///< T thresholds (match needs iou >= t)
  std::vector<double> rec_thrs;                   ///< R recall thresholds
  std::vector<std::int64_t> max_dets;             ///< M, per image per category
  std::vector<std::array<double, 2>> area_rng;    ///< A ranges [lo, hi], both inclusive
  std::vector<std::string> area_rng_lbl;          ///< labels used by the summary
  bool use_cats = true;
  std::vector<double> kpt_oks_sigmas;             ///< keypoints only
  /// boundary only: erosion depth = max(1, round_half_even(ratio * image diagonal)) pixels
  /// (boundary-iou-api's `dilation_ratio`).
  double dilation_ratio = 0.02;

  /// np.linspace(.5, .95, 10): the exact doubles pycocotools uses (notes rule 5).
  static std::vector<double> default_iou_thrs() {
    std::vector<double> t(10);
    const double step = (0.95 - 0.5) / 9;  // 0.049999999999999996, as np.linspace computes it
    for (int i = 0; i < 10; ++i) t[i] = i * step + 0.5;
    t[9] = 0.95;
    return t;
  }
  /// np.linspace(0, 1, 101): i*0.01 for i < 100, then 1.0 (notes rule 6).
  static std::vector<double> default_rec_thrs() {
    std::vector<double> r(101);
    const double step = 1.0 / 100;
    for (int i = 0; i < 101; ++i) r[i] = i * step;
    r[100] = 1.0;
    return r;
  }
  /// pycocotools' defaults for `iou_type` (ids left empty: taken from the ground truth).
  static CocoParams defaults(IouType type) {
    CocoParams p;
    p.iou_type = type;
    p.iou_thrs = default_iou_thrs();
    p.rec_thrs = default_rec_thrs();
    if (type == IouType::keypoints) {
      p.max_dets = {20};
      p.area_rng = {{0.0, 1e10}, {1024.0, 9216.0}, {9216.0, 1e10}};
      p.area_rng_lbl = {"all", "medium", "large"};
      // COCO's 17 per-keypoint sigmas, divided by 10 in double as pycocotools does.
      const double s[17] = {.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89};
      for (double v : s) p.kpt_oks_sigmas.push_back(v / 10.0);
    } else {
      p.max_dets = {1, 10, 100};
      p.area_rng = {{0.0, 1e10}, {0.0, 1024.0}, {1024.0, 9216.0}, {9216.0, 1e10}};
      p.area_rng_lbl = {"all", "small", "medium", "large"};
    }
    return p;
  }
};

/// Column views (borrowed, not owned) of N ground-truth annotations or N results.
///
/// Order matters: it is the "file order" that breaks score ties (notes rule 1).
/// Ground truth needs `id`, `image_id`, `category_id`, `area`, `iscrowd` and `bbox` (bbox) or
/// `keypoints` + `num_keypoints` + `bbox` (keypoints). Results need `id` (positive: 1 + index as
/// `loadRes` assigns), `image_id`, `category_id`, `score`, `area` and `bbox` / `keypoints`.
struct CocoAnnotations {
  std::size_t size = 0;
  const std::int64_t* id = nullptr;
  const std::int64_t* image_id = nullptr;
  const std::int64_t* category_id = nullptr;
  const double* bbox = nullptr;        ///< (N, 4) xywh
  const double* area = nullptr;        ///< (N,)
  const double* iscrowd = nullptr;     ///< (N,) ground truth; nonzero = crowd (null = none)
  const double* score = nullptr;       ///< (N,) results
  const double* keypoints = nullptr;   ///< (N, keypoint_values) x, y, v triplets
  std::size_t keypoint_values = 0;     ///< 3 * number of keypoints
  const std::int64_t* num_keypoints = nullptr;  ///< (N,) ground truth, keypoints only
  /// Segmentation as a ragged RLE column (segm / boundary): row n's counts are
  /// segm_counts[segm_offset[n] .. segm_offset[n+1]) of a segm_size[2n] x segm_size[2n+1] mask
  /// (pycocotools' RLE: column-major runs starting with a 0-run). `segm_kind[n]`: see SegmKind.
  const std::uint64_t* segm_offset = nullptr;   ///< (N + 1,)
  const std::uint32_t* segm_counts = nullptr;   ///< (segm_offset[N],)
  const std::uint32_t* segm_size = nullptr;     ///< (N, 2) height, width
  const std::uint8_t* segm_kind = nullptr;      ///< (N,)
};

/// What a row of the segmentation column holds.
enum SegmKind : std::uint8_t {
  segm_rle = 0,      ///< the counts are the mask (polygons / uncompressed RLE were converted at load)
  segm_box = 1,      ///< a result with a box and no segmentation: loadRes' 4-corner polygon
                     ///< [[x1,y1, x1,y2, x2,y2, x2,y1]] of `bbox`, rasterised when a mask is needed
                     ///< at segm_size (its image's height, width)
  segm_missing = 2,  ///< no segmentation (KeyError at segm evaluation, as pycocotools)
  segm_invalid = 3,  ///< not convertible (e.g. a polygon on an image without height / width, or a
                     ///< first polygon of 4 numbers, which pycocotools misreads as boxes: TypeError)
};

}  // namespace locuskit
