#pragma once
/// \file kitti_eval.hpp
/// KITTI 3D object evaluation: AP|R11 and AP|R40 of the 2D box, bird's-eye-view, 3D and AOS
/// (average orientation similarity) metrics for Car/Pedestrian/Cyclist at easy/moderate/hard, for
/// the two official overlap sets. Same rules and numbers as OpenPCDet's `kitti_object_eval_python`
/// (`get_official_eval_result`), with exact double-precision BEV/3D overlaps where the peer uses a
/// float32 `rotate_iou` that is wrong for some pairs (notes §7; the fixtures' `exact_iou_variant`,
/// which equals the C++ devkit on every fixture apart from the GT height rule).
///
/// Rules kept from the peer (see docs/box3d.md): GT ignored at a difficulty when occluded >
/// 0/1/2, truncated > 0.15/0.30/0.50 or 2D height <= 40/25/25 px; Van GT absorbs Car detections,
/// Person_sitting absorbs Pedestrian; detections with 2D height < 40/25/25 px are ignored; a match
/// needs overlap > min_overlap (strict); FPs of the 2D metric inside DontCare regions (intersection
/// / detection area > min_overlap) are dropped; score thresholds come from the 41-point recall
/// sampling of the first-pass true positives, and the precision arrays are indexed by those
/// thresholds (a class with fewer than 40 valid GT fills fewer than 41 entries).
#include <array>
#include <cstddef>
#include <vector>

#include "../parallel.hpp"
#include "kitti_label.hpp"

namespace locuskit {

/// The evaluation's fixed axes.
struct KittiEvalAxes {
  static constexpr int metrics = 3;        ///< 0 bbox (2D), 1 bev, 2 3d
  static constexpr int classes = 3;        ///< Car, Pedestrian, Cyclist
  static constexpr int difficulties = 3;   ///< easy, moderate, hard
  static constexpr int overlap_sets = 2;   ///< see Kitti3dParams::min_overlap
  static constexpr int samples = 41;       ///< recall sample points
};

/// Options of evaluate_kitti3d.
struct Kitti3dParams {
  /// [overlap set][metric bbox/bev/3d][class Car/Pedestrian/Cyclist]: the official sets
  /// (set 0: 0.7/0.5/0.5 everywhere; set 1: bbox 0.7/0.5/0.5, bev and 3d 0.5/0.25/0.25).
  double min_overlap[2][3][3] = {{{0.7, 0.5, 0.5}, {0.7, 0.5, 0.5}, {0.7, 0.5, 0.5}},
                                 {{0.7, 0.5, 0.5}, {0.5, 0.25, 0.25}, {0.5, 0.25, 0.25}}};
  /// false (default, OpenPCDet): GT with 2D height <= MIN_HEIGHT is ignored; true: the C++ devkit's
  /// height < MIN_HEIGHT.
  bool devkit_height_rule = false;
};

/// Results. Arrays are flat, row-major:
///  precision/recall [metric 3][class 3][difficulty 3][overlap set 2][41] (indexed by threshold),
///  orientation      [class 3][difficulty 3][overlap set 2][41] (AOS, from the 2D matching),
///  ap11/ap40        [metric 4 (bbox, bev, 3d, aos)][class 3][difficulty 3][overlap set 2], in percent.
struct Kitti3dResult {
  std::vector<double> precision, recall, orientation, ap11, ap40;
  /// The peer's rule: true iff the first frame with detections has alpha[0] != -10. When false the
  /// AOS arrays are 0 and the AOS APs NaN (OpenPCDet returns None for them).
  bool compute_aos = false;
  std::array<std::size_t, 9> num_valid_gt{};  ///< [class][difficulty]: GT that count (not ignored)
};

/// Evaluates detections `det` against ground truth `gt` (frame f of one is frame f of the other).
/// Frames are evaluated in parallel (`par`); results do not depend on the thread count.
/// Throws std::invalid_argument when the frame counts differ.
/// Cost: O(sum_f D_f * G_f) overlaps, then per (metric, class, difficulty, set) one first pass and
/// one pass per distinct active-detection set of each frame (not per threshold).
Kitti3dResult evaluate_kitti3d(const KittiObjects& gt, const KittiObjects& det, const Kitti3dParams& params = {},
                               Parallel par = {});

}  // namespace locuskit

#include "../detail/box3d/kitti_eval-inl.hpp"
