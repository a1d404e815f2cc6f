#pragma once
/// \file mask_iou.hpp
/// IoU of every (detection, ground truth) pair of RLE masks without decoding them, and of
/// [x, y, w, h] boxes, with COCO's crowd rule (pycocotools 2.0.11 `rleIou`, `bbIou`).
#include <algorithm>
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

namespace detail {
// Per-RLE data for the column-restricted intersection: run end positions, foreground area, box,
// and whether the fast path may be used (no zero-length runs after the first count, counts summing
// to height*width: then the peer's sweep counts exactly area(a) + area(b) - intersection).
struct RleIndex {
  std::vector<std::uint64_t> ends;
  std::uint64_t area = 0;
  std::array<double, 4> box{};
  bool canonical = false;
};

inline RleIndex index_rle(const Rle& r) {
  RleIndex ix;
  ix.box = rle_to_bbox(r);
  ix.area = rle_area(r);
  ix.ends.resize(r.counts.size());
  std::uint64_t pos = 0;
  bool zero_run = false;
  for (std::size_t j = 0; j < r.counts.size(); ++j) {
    pos += r.counts[j];
    ix.ends[j] = pos;
    zero_run = zero_run || (j > 0 && r.counts[j] == 0);
  }
  ix.canonical = !zero_run && pos == static_cast<std::uint64_t>(r.height) * r.width;
  return ix;
}

// Foreground pixels common to both RLEs within positions [lo, hi): a two-pointer walk over the
// foreground runs (odd indices) that reach into the range. O(runs in the range + log m).
inline std::uint64_t intersection_in(const RleIndex& a, const RleIndex& b, std::uint64_t lo, std::uint64_t hi) {
  auto first_fg = [lo](const RleIndex& x) {
    // first run ending after lo; foreground runs are the odd ones
    std::size_t j = static_cast<std::size_t>(std::upper_bound(x.ends.begin(), x.ends.end(), lo) - x.ends.begin());
    return j % 2 == 0 ? j + 1 : j;
  };
  std::size_t ia = first_fg(a), ib = first_fg(b);
  std::uint64_t inter = 0;
  while (ia < a.ends.size() && ib < b.ends.size()) {
    const std::uint64_t sa = a.ends[ia - 1], ea = a.ends[ia], sb = b.ends[ib - 1], eb = b.ends[ib];
    if (sa >= hi || sb >= hi) break;
    const std::uint64_t s = std::max(std::max(sa, sb), lo), e = std::min(std::min(ea, eb), hi);
    if (e > s) inter += e - s;
    if (ea < eb) ia += 2;
    else ib += 2;
  }
  return inter;
}
}  // namespace detail

/// Mask IoU matrix `out[d*num_gt + g]` (row-major (num_dt, num_gt)) equal to pycocotools `iou` on
/// RLEs: pairs whose `rle_to_bbox` boxes do not overlap get the box IoU (0) without a sweep, pairs
/// of different sizes whose boxes overlap get -1, otherwise intersection / union with
/// union := area(dt) for crowd ground truth (`iscrowd` may be null) and 0 when nothing intersects.
/// The intersection is counted only over the columns both boxes cover (union = areas minus
/// intersection) when both RLEs are canonical; other RLEs take the peer's full sweep. Counts are
/// summed in 64 bits (the peer's uint32 wraps above 4G pixels). Rows split over `par.threads`
/// threads, results independent of the thread count.
inline void rle_iou_matrix(const Rle* dt, std::size_t num_dt, const Rle* gt, std::size_t num_gt,
                           const std::uint8_t* iscrowd, double* out, Parallel par = {}) {
  std::vector<detail::RleIndex> dt_ix(num_dt), gt_ix(num_gt);
  for (std::size_t d = 0; d < num_dt; ++d) dt_ix[d] = detail::index_rle(dt[d]);
  for (std::size_t g = 0; g < num_gt; ++g) gt_ix[g] = detail::index_rle(gt[g]);
  const std::size_t work_per_row = num_gt == 0 ? 1 : num_gt;
  parallel_for(num_dt, (4096 + work_per_row - 1) / work_per_row, par, [&](std::size_t begin, std::size_t end) {
    for (std::size_t d = begin; d < end; ++d) {
      for (std::size_t g = 0; g < num_gt; ++g) {
        const bool crowd = iscrowd && iscrowd[g];
        const auto& a = dt_ix[d];
        const auto& b = gt_ix[g];
        double& o = out[d * num_gt + g];
        o = bbox_xywh_iou(a.box.data(), b.box.data(), crowd);
        if (!(o > 0)) continue;
        if (dt[d].height != gt[g].height || dt[d].width != gt[g].width) {
          o = -1;
          continue;
        }
        std::uint64_t inter, uni;
        if (a.canonical && b.canonical) {
          const auto h = static_cast<std::uint64_t>(dt[d].height);
          const auto x0 = static_cast<std::uint64_t>(std::max(a.box[0], b.box[0]));
          const auto x1 = static_cast<std::uint64_t>(std::min(a.box[0] + a.box[2], b.box[0] + b.box[2]));
          inter = detail::intersection_in(a, b, x0 * h, x1 * h);
          uni = a.area + b.area - inter;
        } else {
          const RleOverlap ov = rle_overlap(dt[d], gt[g]);
          inter = ov.intersection;
          uni = ov.union_;
        }
        if (inter == 0) {
          o = 0;
          continue;
        }
        o = static_cast<double>(inter) / static_cast<double>(crowd ? a.area : uni);
      }
    }
  });
}

}  // namespace locuskit
