#pragma once
/// \file nms/iou_guided_nms.hpp
/// IoU-guided NMS (IoU-Net, Jiang et al. ECCV 2018, Algorithm 1) and IoU-aware score fusion.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../box/geometry.hpp"
#include "../detail/nms/kernels.hpp"
#include "../error.hpp"
#include "../detail/nms/engine.hpp"
#include "io.hpp"
#include "iou_rule.hpp"
#include "overlap.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Options of IoU-guided NMS, with the overlap policy `O` (nms/overlap.hpp): AxisAlignedIoU
/// ((n, 4) xyxy, the default), RotatedIoU ((n, 5)), Box3dIoU ((n, 7)).
template <class O = AxisAlignedIoU>
struct BasicIouGuidedNmsParams {
  double iou_threshold = 0.5;
  /// false: suppress iff IoU > threshold (the paper, torchvision); true: IoU >= threshold.
  bool suppress_equal = false;
  /// Stop after this many kept boxes (a prefix of the full result).
  std::size_t max_output = std::numeric_limits<std::size_t>::max();
  /// The overlap (RotatedIoU carries its angle convention and mode).
  O overlap = {};
};
/// Options of the axis-aligned IoU-guided NMS.
using IouGuidedNmsParams = BasicIouGuidedNmsParams<AxisAlignedIoU>;

/// IoU-guided NMS with any overlap: `pair_iou(i, j)` returns the IoU (double) of input boxes i, j.
///
/// Boxes are ranked by `loc_scores` (predicted IoU) descending, ties by lower index (stable). The
/// best remaining box m is kept; every remaining box with IoU(m, j) > threshold (>= with
/// suppress_equal) is removed and m's classification score becomes the maximum of its own and of
/// the boxes removed in this step (not transitively). Writes kept indices in selection order to
/// `keep` and their updated classification scores to `kept_scores` (n entries each suffice);
/// returns the count. Equals the reference `iou_guided_nms_ref.py` (shared/reference/oriented).
/// O(n log n + kept x alive) IoU calls, O(n) memory. Thread-safe.
template <class T, class PairIou, class O>
std::size_t iou_guided_nms_with(std::size_t n, const T* cls_scores, const T* loc_scores, PairIou&& pair_iou,
                                const BasicIouGuidedNmsParams<O>& params, std::int64_t* keep, T* kept_scores) {
  LOCUSKIT_CHECK(!std::isnan(params.iou_threshold), std::invalid_argument, "iou_threshold is NaN");
  std::vector<std::int64_t> alive(n);
  std::iota(alive.begin(), alive.end(), std::int64_t{0});
  std::stable_sort(alive.begin(), alive.end(),
                   [&](std::int64_t a, std::int64_t b) { return loc_scores[a] > loc_scores[b]; });
  const double thr = params.iou_threshold;
  std::size_t k = 0, m = n;
  while (m > 0 && k < params.max_output) {
    const std::int64_t head = alive[0];
    T s = cls_scores[head];
    std::size_t w = 0;
    for (std::size_t p = 1; p < m; ++p) {
      const std::int64_t j = alive[p];
      const double v = pair_iou(head, j);
      if (v > thr || (params.suppress_equal && v == thr)) {
        s = std::max(s, cls_scores[j]);
      } else {
        alive[w++] = j;
      }
    }
    m = w;
    keep[k] = head;
    kept_scores[k] = s;
    ++k;
  }
  return k;
}

/// IoU-guided NMS of `in.boxes` (n, O::box_columns) ((n, 4) xyxy by default) ranked by
/// `in.loc_scores` (n,), rescoring with `in.scores` (n,, the classification scores): as
/// iou_guided_nms_with, with the policy's IoU in T (torchvision's formula for AxisAlignedIoU; 0
/// where the union is 0) compared with the threshold in double, as torchvision (float32 IoUs
/// against the double threshold). Writes `out.keep` and `out.kept_scores` (room for
/// min(n, params.max_output) each); returns the count.
///
/// AxisAlignedIoU: boxes must be finite (a NaN area marks a suppressed box); O(kept x alive) IoUs
/// in one branch-free SIMD pass per block of kept boxes, O(n) radix sort, O(n) memory in `ws` (a
/// temporary when null). Other policies: the scalar loop of iou_guided_nms_with on prepared boxes
/// (the exact overlap only where `may_overlap` passes), allocated per call. Thread-safe with
/// distinct workspaces.
template <class T, class O>
std::size_t iou_guided_nms(const NmsInputs<T>& in, const BasicIouGuidedNmsParams<O>& params,
                           const NmsOutputs<T>& out, NmsWorkspace<T>* ws = nullptr) {
  const std::size_t n = in.n;
  if constexpr (!std::is_same_v<O, AxisAlignedIoU>) {
    (void)ws;
    const O& ov = params.overlap;
    using Box = decltype(ov.prepare(in.boxes));
    std::vector<Box> box(n);
    for (std::size_t i = 0; i < n; ++i) box[i] = ov.prepare(in.boxes + O::box_columns * i);
    // Above a positive threshold a pair the cheap test rules out (overlap 0 or NaN) never suppresses.
    const bool prefilter = params.iou_threshold > 0;
    auto pair_iou = [&](std::int64_t i, std::int64_t j) -> double {
      const Box &a = box[static_cast<std::size_t>(i)], &b = box[static_cast<std::size_t>(j)];
      return !prefilter || ov.may_overlap(a, b) ? static_cast<double>(static_cast<T>(ov.overlap(a, b))) : 0.0;
    };
    return iou_guided_nms_with(n, in.scores, in.loc_scores, pair_iou, params, out.keep, out.kept_scores);
  } else {
    const T thr = strict_iou_threshold<T>(params.iou_threshold,
                                          params.suppress_equal ? IouRule::greater_equal : IouRule::torchvision);
    if (n == 0 || params.max_output == 0) return 0;
    const T *boxes = in.boxes, *cls_scores = in.scores, *loc_scores = in.loc_scores;
    std::int64_t* keep = out.keep;
    T* kept_scores = out.kept_scores;
    // Rank order by the engine's stable radix sort (ties: lower index first), O(n).
    NmsWorkspace<T> local;
    detail::NmsScratch<T>& work = detail::scratch_of(ws ? *ws : local, n);
    if (work.values_.size() < n) work.values_.resize(n);
    std::int64_t* order = work.order_.data();
    detail::score_order(loc_scores, n, order, work);
    // SoA in rank order. A suppressed box becomes a tombstone (area NaN: its IoU is NaN and never
    // suppresses again) instead of shifting the arrays every pass; the live range is compacted when
    // a quarter of it is dead. One pass per block of kept boxes tests the IoUs, takes the max score
    // of each head's hits and tombstones them (kernel::iou_guided_pass, SIMD, runtime dispatch).
    detail::Soa<T> soa(work, n);
    T *x1 = soa.x1, *y1 = soa.y1, *x2 = soa.x2, *y2 = soa.y2, *area = soa.area, *cls = work.values_.data();
    for (std::size_t p = 0; p < n; ++p) {
      soa.put(p, boxes + 4 * order[p]);
      cls[p] = cls_scores[order[p]];
    }
    // Kept boxes are taken in blocks (kernel::iou_guided_block): the next live box, then each
    // following live box that none of the block's earlier heads suppresses (a box they do suppress
    // is a hit of the first such head, as in the sequential algorithm); one pass then serves the
    // whole block, each candidate a hit of the first head that overlaps it above the threshold.
    constexpr std::size_t block = kernel::iou_guided_block;
    const bool zero_exceeds = T(0) > thr;
    std::size_t k = 0, head = 0, end = n, dead = 0;
    T heads[block][5], best[block], own[block];
    std::int64_t head_index[block];
    while (k < params.max_output) {
      std::size_t nb = 0;
      while (nb < block && k + nb < params.max_output) {
        while (head < end && std::isnan(area[head])) ++head, --dead;
        if (head >= end) break;
        const T b[4] = {x1[head], y1[head], x2[head], y2[head]};
        std::size_t by = nb;
        for (std::size_t h = 0; h < nb && by == nb; ++h) {
          const T inter = geometry::intersection(heads[h], b);
          if (AxisAlignedIoU::exceeds(inter, (heads[h][4] + area[head]) - inter, thr, zero_exceeds)) by = h;
        }
        if (by < nb) {  // a hit of head `by`, passed over here (never counted as a tombstone)
          own[by] = std::max(own[by], cls[head]);
          area[head] = std::numeric_limits<T>::quiet_NaN();
          ++head;
          continue;
        }
        for (int c = 0; c < 4; ++c) heads[nb][c] = b[c];
        heads[nb][4] = area[head];
        own[nb] = cls[head];
        head_index[nb] = order[head];
        ++nb;
        ++head;
      }
      if (nb == 0) break;
      std::size_t hits = 0;
      simd::dispatch(kernel::iou_guided_pass{}, area, x1, y1, x2, y2, cls, head, end, heads, nb, thr, best, &hits);
      for (std::size_t h = 0; h < nb; ++h) {
        keep[k] = head_index[h];
        kept_scores[k] = std::max(own[h], best[h]);
        ++k;
      }
      dead += hits;
      if (dead * 4 > end - head) {  // compact the live range to the front
        std::size_t w = 0;
        for (std::size_t p = head; p < end; ++p) {
          if (std::isnan(area[p])) continue;
          x1[w] = x1[p], y1[w] = y1[p], x2[w] = x2[p], y2[w] = y2[p], area[w] = area[p], cls[w] = cls[p];
          order[w] = order[p];
          ++w;
        }
        head = 0, end = w, dead = 0;
      }
    }
    return k;
  }
}

/// Convenience forwarder to the signature above (axis-aligned, positional arguments).
template <class T>
std::size_t iou_guided_nms(const T* boxes, const T* cls_scores, const T* loc_scores, std::size_t n,
                           const IouGuidedNmsParams& params, std::int64_t* keep, T* kept_scores) {
  return iou_guided_nms(NmsInputs<T>{boxes, cls_scores, n, nullptr, loc_scores}, params, NmsOutputs<T>{keep, kept_scores});
}

/// Per-label IoU-guided NMS (`in.classes`, int64 labels, n): each label independently, then
/// merged by descending loc score, ties by label, then by selection order (the reference's rule).
/// Same inputs and outputs as iou_guided_nms otherwise. O(n log n + sum over labels of
/// kept x alive). Thread-safe with distinct workspaces.
template <class T, class O>
std::size_t batched_iou_guided_nms(const NmsInputs<T>& in, const BasicIouGuidedNmsParams<O>& params,
                                   const NmsOutputs<T>& out, NmsWorkspace<T>* ws = nullptr) {
  constexpr std::size_t cols = O::box_columns;
  const std::size_t n = in.n;
  const std::int64_t* labels = in.classes;
  std::vector<std::int64_t> by_label(n);
  std::iota(by_label.begin(), by_label.end(), std::int64_t{0});
  std::stable_sort(by_label.begin(), by_label.end(),
                   [&](std::int64_t a, std::int64_t b) { return labels[a] < labels[b]; });
  struct Kept {
    T loc;
    std::int64_t label;
    std::size_t rank;
    std::int64_t index;
    T score;
  };
  std::vector<Kept> all;
  std::vector<T> label_boxes, c, l;
  std::vector<std::int64_t> kk;
  std::vector<T> ks;
  BasicIouGuidedNmsParams<O> per_label = params;
  per_label.max_output = std::numeric_limits<std::size_t>::max();
  for (std::size_t g0 = 0; g0 < n;) {
    std::size_t g1 = g0;
    while (g1 < n && labels[by_label[g1]] == labels[by_label[g0]]) ++g1;
    const std::size_t m = g1 - g0;
    label_boxes.resize(cols * m), c.resize(m), l.resize(m), kk.resize(m), ks.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t src = static_cast<std::size_t>(by_label[g0 + i]);
      std::copy(in.boxes + cols * src, in.boxes + cols * src + cols,
                label_boxes.begin() + static_cast<std::ptrdiff_t>(cols * i));
      c[i] = in.scores[src];
      l[i] = in.loc_scores[src];
    }
    const std::size_t got = iou_guided_nms(NmsInputs<T>{label_boxes.data(), c.data(), m, nullptr, l.data()},
                                           per_label, NmsOutputs<T>{kk.data(), ks.data()}, ws);
    for (std::size_t i = 0; i < got; ++i) {
      const std::int64_t src = by_label[g0 + static_cast<std::size_t>(kk[i])];
      all.push_back(Kept{in.loc_scores[src], labels[src], i, src, ks[i]});
    }
    g0 = g1;
  }
  std::sort(all.begin(), all.end(), [](const Kept& a, const Kept& b) {
    if (a.loc != b.loc) return a.loc > b.loc;
    return std::tie(a.label, a.rank) < std::tie(b.label, b.rank);
  });
  const std::size_t k = std::min(all.size(), params.max_output);
  for (std::size_t i = 0; i < k; ++i) out.keep[i] = all[i].index, out.kept_scores[i] = all[i].score;
  return k;
}

/// Convenience forwarder to the signature above (axis-aligned, positional arguments).
template <class T>
std::size_t batched_iou_guided_nms(const T* boxes, const T* cls_scores, const T* loc_scores,
                                   const std::int64_t* labels, std::size_t n, const IouGuidedNmsParams& params,
                                   std::int64_t* keep, T* kept_scores) {
  return batched_iou_guided_nms(NmsInputs<T>{boxes, cls_scores, n, labels, loc_scores}, params, NmsOutputs<T>{keep, kept_scores});
}

/// IoU-aware score fusion (IoU-aware RetinaNet, VarifocalNet's ranking score):
/// out[i] = loc[i]^alpha * cls[i]^(1 - alpha), computed in double and rounded to T once.
/// alpha in [0, 1]; alpha = 0 gives the classification score, 1 the predicted IoU (0^0 = 1).
/// Inputs are expected in [0, 1]. O(n), thread-safe.
template <class T>
void iou_aware_scores(const T* cls_scores, const T* loc_scores, std::size_t n, double alpha, T* out) {
  LOCUSKIT_CHECK(alpha >= 0.0 && alpha <= 1.0, std::invalid_argument, "alpha: must lie in [0, 1], got ", alpha);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<T>(std::pow(static_cast<double>(loc_scores[i]), alpha) *
                            std::pow(static_cast<double>(cls_scores[i]), 1.0 - alpha));
}

}  // namespace locuskit
