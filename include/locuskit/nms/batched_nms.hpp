#pragma once
/// \file nms/batched_nms.hpp
/// Class-aware NMS: each class suppressed independently, exactly (never the coordinate-offset trick).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "nms.hpp"

namespace locuskit {

namespace detail {
/// Stable grouping of score ranks by class: on return group[0..n) lists the ranks p (score order)
/// class by class (classes ascending), each class in rank order; `starts` gets the segment
/// boundaries (size = classes + 1). cls[p] is the class of rank p.
/// `scratch`/`counts`/`tmp_vals` are reused buffers (no allocation once they are large enough).
inline void group_by_class(const std::int64_t* cls, std::size_t n, std::int64_t* group,
                           std::vector<std::size_t>& starts, std::vector<std::uint64_t>& scratch,
                           std::vector<std::size_t>& counts, std::vector<std::int64_t>& tmp_vals) {
  starts.clear();
  if (n == 0) {
    starts.push_back(0);
    return;
  }
  const auto [mn_it, mx_it] = std::minmax_element(cls, cls + n);
  // Offsets from the smallest id in unsigned arithmetic: exact for any int64 ids (max - min can
  // exceed INT64_MAX, and the count of ids 2^64 would wrap to 0).
  const std::uint64_t mn = static_cast<std::uint64_t>(*mn_it);
  const std::uint64_t span = static_cast<std::uint64_t>(*mx_it) - mn;  // range - 1, no overflow
  if (span < 2 * static_cast<std::uint64_t>(n) + 1024) {
    // Counting sort over the class range (the common case: class ids 0..C-1).
    const std::size_t range = static_cast<std::size_t>(span) + 1;
    counts.assign(range + 1, 0);
    std::size_t* count = counts.data();
    for (std::size_t p = 0; p < n; ++p) ++count[(static_cast<std::uint64_t>(cls[p]) - mn) + 1];
    for (std::size_t c = 0; c < range; ++c) count[c + 1] += count[c];
    for (std::size_t c = 0; c < range; ++c)
      if (count[c + 1] > count[c]) starts.push_back(count[c]);
    starts.push_back(n);
    for (std::size_t p = 0; p < n; ++p)
      group[count[static_cast<std::uint64_t>(cls[p]) - mn]++] = static_cast<std::int64_t>(p);
    return;
  }
  // Sparse class ids: stable radix sort of (class, rank).
  scratch.resize(2 * n);
  std::uint64_t* keys = scratch.data();
  std::uint64_t* tmp_keys = keys + n;
  tmp_vals.resize(n);
  for (std::size_t p = 0; p < n; ++p) {
    keys[p] = static_cast<std::uint64_t>(cls[p]) ^ (std::uint64_t(1) << 63);
    group[p] = static_cast<std::int64_t>(p);
  }
  radix_sort_pairs(keys, group, n, tmp_keys, tmp_vals.data());
  for (std::size_t p = 0; p < n; ++p)
    if (p == 0 || keys[p] != keys[p - 1]) starts.push_back(p);
  starts.push_back(n);
}
}  // namespace detail

/// Per-class greedy NMS: writes the kept indices to `out.keep` in decreasing score order (ties:
/// lower index first) and returns their count.
///
/// - `in.boxes` (n, O::box_columns) ((n, 4) xyxy by default), `in.scores` (n,), `in.classes` (n,)
///   int64 category ids (any values, negative included); `out.keep` must hold
///   min(n, params.max_output) indices.
/// - Result: the union over classes of `nms(boxes[c], scores[c])` (see nms), merged by score. This
///   is what torchvision's per-class loop returns (with stable ties), for any coordinates: boxes of
///   different classes never interact, unlike the coordinate-offset trick.
/// - Complexity: one O(n) radix sort by score, a stable counting sort by class, the greedy kernel
///   per class (through the spatial grid for a class of >= 1024 boxes at a threshold >= 0 unless
///   `use_grid` is false: same result), an O(n) merge. Memory O(n) (in `ws`, allocated if null). Thread-safe with distinct
///   workspaces. Throws std::invalid_argument for a NaN threshold.
template <class T, class O>
std::size_t batched_nms(const NmsInputs<T>& in, const BasicNmsParams<O>& opts, const NmsOutputs<T>& out,
                        NmsWorkspace<T>* ws = nullptr) {
  using P = detail::nms_pos_t<T>;
  const T* boxes = in.boxes;
  const std::int64_t* classes = in.classes;
  const std::size_t n = in.n;
  std::int64_t* keep = out.keep;
  return detail::with_score_order(
      "batched_nms", in.scores, n, opts.iou_threshold, opts.rule, opts.max_output, ws,
      [&](const T thr, detail::NmsScratch<T>& w, const std::int64_t* order) -> std::size_t {
        // Class of each rank (reuses order_tmp_, free after the sort).
        std::int64_t* cls = w.order_tmp_.data();
        for (std::size_t p = 0; p < n; ++p) cls[p] = classes[order[p]];
        // The class grouping lives in group_tmp_: the grid (grid_segment) reuses group_.
        w.group_tmp_.resize(w.capacity);
        std::int64_t* group = w.group_tmp_.data();
        std::vector<std::size_t>& starts = w.starts_;
        detail::group_by_class(cls, n, group, starts, w.scratch_, w.counts_, w.group_);
        char* flag = reinterpret_cast<char*>(cls);  // cls is dead now; n bytes <= 8n bytes
        std::fill(flag, flag + n, char(0));
        if constexpr (!std::is_same_v<O, AxisAlignedIoU>) {
          detail::greedy_segments(opts.overlap, boxes, order, group, starts.data(), starts.size() - 1, thr,
                                  opts.max_output, flag);
        } else {
          // Large class segments go through the spatial grid (as nms does for large inputs), the
          // others through the linear kernel; segments run one after the other, each filling the
          // SoA it reads just before (the grid reuses the SoA block from its start).
          const bool grid = opts.use_grid && thr >= T(0);
          detail::Soa<T> soa(w, n);
          P* pos = w.pos_.data();
          P* kept = w.kept_.data();
          for (std::size_t s = 0; s + 1 < starts.size(); ++s) {
            const std::size_t b = starts[s], m = starts[s + 1] - starts[s];
            if (grid && m >= detail::batched_sweep_min_segment &&
                detail::grid_segment(boxes, order, group + b, m, w, thr, opts.max_output, flag,
                                     /*sweep=*/m < detail::batched_square_grid_min_segment))
              continue;
            for (std::size_t g = b; g < b + m; ++g) {
              soa.put(g, boxes + 4 * order[group[g]]);
              pos[g] = static_cast<P>(group[g]);
            }
            // Kept ranks are flagged, then read back in rank (= score) order.
            const std::size_t k = detail::greedy_segment(soa, pos, b, m, thr, opts.max_output, kept);
            for (std::size_t i = 0; i < k; ++i) flag[kept[i]] = 1;
          }
        }
        std::size_t k = 0;
        for (std::size_t p = 0; p < n && k < opts.max_output; ++p)
          if (flag[p]) keep[k++] = order[p];
        return k;
      });
}

/// Convenience forwarder to the signature above (positional arguments; `iou_threshold` overrides
/// opts.iou_threshold).
template <class T, class O = AxisAlignedIoU>
std::size_t batched_nms(const T* boxes, const T* scores, const std::int64_t* classes, std::size_t n,
                        double iou_threshold, std::int64_t* keep, BasicNmsParams<O> opts = {},
                        NmsWorkspace<T>* ws = nullptr) {
  opts.iou_threshold = iou_threshold;
  return batched_nms(NmsInputs<T>{boxes, scores, n, classes}, opts, NmsOutputs<T>{keep}, ws);
}

}  // namespace locuskit
