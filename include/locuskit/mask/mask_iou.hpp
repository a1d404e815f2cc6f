#pragma once
/// \file mask_iou.hpp
/// IoU of every (detection, ground truth) pair of RLE masks without decoding them, and of
/// [x, y, w, h] boxes, with COCO's crowd rule (pycocotools 2.0.11 `rleIou`, `bbIou`).
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../parallel.hpp"
#include "rle.hpp"

namespace locuskit {

/// IoU of box `dt` with box `gt` ([x, y, w, h]) as pycocotools `bbIou`: 0 unless the overlap has
/// positive width and height; with `crowd` the denominator is the area of `dt`.
inline double bbox_xywh_iou(const double* dt, const double* gt, bool crowd) noexcept {
  const double w = std::fmin(dt[2] + dt[0], gt[2] + gt[0]) - std::fmax(dt[0], gt[0]);
  if (w <= 0) return 0;
  const double h = std::fmin(dt[3] + dt[1], gt[3] + gt[1]) - std::fmax(dt[1], gt[1]);
  if (h <= 0) return 0;
  const double inter = w * h, dt_area = dt[2] * dt[3];
  return inter / (crowd ? dt_area : dt_area + gt[2] * gt[3] - inter);
}

/// Box IoU matrix: `out[d*num_gt + g]` for `dt` (num_dt, 4) and `gt` (num_gt, 4) xywh boxes;
/// `iscrowd` (num_gt) may be null. Equal to pycocotools `iou` on ndarray boxes. O(num_dt*num_gt).
inline void bbox_xywh_iou_matrix(const double* dt, std::size_t num_dt, const double* gt, std::size_t num_gt,
                                 const std::uint8_t* iscrowd, double* out, Parallel par = {}) {
  parallel_for(num_dt, 64, par, [&](std::size_t begin, std::size_t end) {
    for (std::size_t d = begin; d < end; ++d)
      for (std::size_t g = 0; g < num_gt; ++g)
        out[d * num_gt + g] = bbox_xywh_iou(dt + 4 * d, gt + 4 * g, iscrowd && iscrowd[g]);
  });
}

/// Intersection and union pixel counts of two RLEs, by one joint walk over their runs. O(ma + mb).
struct RleOverlap {
  std::uint64_t intersection = 0;
  std::uint64_t union_ = 0;
};
inline RleOverlap rle_overlap(const Rle& a, const Rle& b) noexcept {
  RleOverlap o;
  detail::sweep_runs(a.counts.data(), a.counts.size(), b.counts.data(), b.counts.size(),
                     [&](std::uint64_t len, bool on_a, bool on_b, bool, bool, bool) {
                       if (on_a || on_b) o.union_ += len;
                       if (on_a && on_b) o.intersection += len;
                     });
  return o;
}

/// Mask IoU matrix `out[d*num_gt + g]` (row-major (num_dt, num_gt)) equal to pycocotools `iou` on
/// RLEs: pairs whose `rle_to_bbox` boxes do not overlap get the box IoU (0) without a sweep, pairs
/// of different sizes whose boxes overlap get -1, otherwise intersection / union with
/// union := area(dt) for crowd ground truth (`iscrowd` may be null) and 0 when nothing intersects.
/// Counts are summed in 64 bits (the peer's uint32 wraps above 4G pixels). O(num_dt*num_gt*m) at
/// worst; rows split over `par.threads` threads, results independent of the thread count.
inline void rle_iou_matrix(const Rle* dt, std::size_t num_dt, const Rle* gt, std::size_t num_gt,
                           const std::uint8_t* iscrowd, double* out, Parallel par = {}) {
  std::vector<std::array<double, 4>> dt_box(num_dt), gt_box(num_gt);
  for (std::size_t d = 0; d < num_dt; ++d) dt_box[d] = rle_to_bbox(dt[d]);
  for (std::size_t g = 0; g < num_gt; ++g) gt_box[g] = rle_to_bbox(gt[g]);
  const std::size_t work_per_row = num_gt == 0 ? 1 : num_gt;
  parallel_for(num_dt, (4096 + work_per_row - 1) / work_per_row, par, [&](std::size_t begin, std::size_t end) {
    for (std::size_t d = begin; d < end; ++d) {
      for (std::size_t g = 0; g < num_gt; ++g) {
        const bool crowd = iscrowd && iscrowd[g];
        double& o = out[d * num_gt + g];
        o = bbox_xywh_iou(dt_box[d].data(), gt_box[g].data(), crowd);
        if (!(o > 0)) continue;
        if (dt[d].height != gt[g].height || dt[d].width != gt[g].width) {
          o = -1;
          continue;
        }
        const RleOverlap ov = rle_overlap(dt[d], gt[g]);
        if (ov.intersection == 0) {
          o = 0;
          continue;
        }
        const std::uint64_t denominator = crowd ? rle_area(dt[d]) : ov.union_;
        o = static_cast<double>(ov.intersection) / static_cast<double>(denominator);
      }
    }
  });
}

}  // namespace locuskit
