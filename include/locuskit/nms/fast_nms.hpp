#pragma once
/// \file nms/fast_nms.hpp
/// Fast NMS (YOLACT) and Cluster-NMS (Zheng et al. 2021): matrix forms of greedy NMS.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"
#include "io.hpp"
#include "iou_rule.hpp"
#include "overlap.hpp"
#include "../detail/nms/engine.hpp"
#include "workspace.hpp"

namespace locuskit {

/// Largest top_k (boxes after the cut) fast_nms / cluster_nms accept: their bitmask takes
/// top_k^2 / 8 bytes (128 MiB here).
inline constexpr std::size_t max_suppression_bits_boxes = 32768;

/// Parameters of fast_nms and cluster_nms, with the overlap policy `O` (nms/overlap.hpp):
/// AxisAlignedIoU ((n, 4) xyxy, the default), RotatedIoU ((n, 5)), Box3dIoU ((n, 7)).
template <class O = AxisAlignedIoU>
struct BasicFastNmsParams {
  double iou_threshold = 0.5;
  /// Only the top_k boxes by score take part (YOLACT's top_k); at most max_suppression_bits_boxes.
  std::size_t top_k = std::numeric_limits<std::size_t>::max();
  /// Threshold comparison (default torchvision's `>` with float32 rounding down; see IouRule).
  IouRule rule = IouRule::torchvision;
  /// The overlap (RotatedIoU carries its angle convention and mode).
  O overlap = {};
};
/// Parameters of the axis-aligned fast_nms / cluster_nms.
using FastNmsParams = BasicFastNmsParams<AxisAlignedIoU>;

namespace detail {
/// Scratch of fast_nms / cluster_nms in an NmsWorkspace's scratch: the score order in order_ (its first m
/// entries are the top_k), and in scratch_ the bitmask (m rows of `words` words), one row of
/// `hit` words and two byte arrays of m flags. No allocation once the workspace is large enough.
struct SuppressionBits {
  const std::int64_t* order;
  std::uint64_t *bits, *hit;
  unsigned char *kept, *next;
  std::size_t m, words;
};

template <class T, class O>
SuppressionBits suppression_bits(const O& ov, const T* boxes, const T* scores, std::size_t n, std::size_t top_k,
                                 T thr, NmsWorkspace<T>& workspace) {
  const std::size_t m = std::min(n, top_k);
  LOCUSKIT_CHECK(m <= max_suppression_bits_boxes, std::invalid_argument, "fast_nms/cluster_nms: ", m,
                 " boxes would need a ", double(m) * double(m) / 8 / (1 << 20), " MiB suppression matrix; pass top_k <= ",
                 max_suppression_bits_boxes, " (YOLACT uses 200) or use nms()");
  NmsScratch<T>& ws = scratch_of(workspace, n);
  detail::score_order(scores, n, ws.order_.data(), ws);
  const std::size_t words = (m + 63) / 64, flag_words = (m + 7) / 8;
  ws.scratch_.assign(m * words + words + 2 * flag_words, 0);  // no allocation within capacity
  SuppressionBits sb{ws.order_.data(), ws.scratch_.data(), ws.scratch_.data() + m * words,
                     reinterpret_cast<unsigned char*>(ws.scratch_.data() + m * words + words),
                     reinterpret_cast<unsigned char*>(ws.scratch_.data() + m * words + words + flag_words), m, words};
  const std::int64_t* order = sb.order;
  constexpr std::size_t cols = O::box_columns;
  for (std::size_t i = 0; i < m; ++i) {
    const auto a = ov.prepare(boxes + cols * static_cast<std::size_t>(order[i]));
    for (std::size_t j = i + 1; j < m; ++j) {
      const auto b = ov.prepare(boxes + cols * static_cast<std::size_t>(order[j]));
      if (ov.overlap(a, b) > thr) sb.bits[i * words + j / 64] |= std::uint64_t(1) << (j % 64);
    }
  }
  return sb;
}
}  // namespace detail

/// Fast NMS (YOLACT): over the top_k boxes by score, keeps j iff no higher-scored box i (kept or
/// not) has `IoU(i, j) > iou_threshold`, the overlap of policy `params.overlap`
/// (nms/overlap.hpp; `in.boxes` (n, O::box_columns), (n, 4) xyxy by default; `in.scores` (n,)).
/// Removes a superset of what greedy NMS removes. Writes kept indices (score order; ties lower
/// index) to `out.keep` (room for min(n, top_k)); returns the count. O(top_k^2) time,
/// O(top_k^2 / 8) bytes (a suppression bitmask) in `ws` (a temporary when null; a warm workspace
/// makes the call allocation-free). Thread-safe with distinct workspaces.
template <class T, class O>
std::size_t fast_nms(const NmsInputs<T>& in, const BasicFastNmsParams<O>& params, const NmsOutputs<T>& out,
                     NmsWorkspace<T>* ws = nullptr) {
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  std::int64_t* keep = out.keep;
  NmsWorkspace<T> local;
  const detail::SuppressionBits sb =
      detail::suppression_bits(params.overlap, in.boxes, in.scores, in.n, params.top_k, thr, ws ? *ws : local);
  const std::size_t m = sb.m, words = sb.words;
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t w = 0; w < words; ++w) sb.hit[w] |= sb.bits[i * words + w];
  std::size_t k = 0;
  for (std::size_t j = 0; j < m; ++j)
    if (!((sb.hit[j / 64] >> (j % 64)) & 1u)) keep[k++] = sb.order[j];
  return k;
}

/// Cluster-NMS: iterates Fast NMS with only the currently kept boxes allowed to suppress
/// (`keep_j = no kept i < j with IoU > thr`, any overlap policy as fast_nms) until the kept set
/// stops changing. The fixed point is exactly greedy NMS (same indices and order as nms() over the
/// top_k), reached within as many iterations as the longest suppression chain. Same inputs and
/// outputs as fast_nms; `out.iterations` (if non-null) receives the number of passes.
/// O(iterations x top_k^2 / 64) after an O(top_k^2) bitmask build; scratch as fast_nms (`ws`).
/// Thread-safe with distinct workspaces.
template <class T, class O>
std::size_t cluster_nms(const NmsInputs<T>& in, const BasicFastNmsParams<O>& params, const NmsOutputs<T>& out,
                        NmsWorkspace<T>* ws = nullptr) {
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  std::int64_t* keep = out.keep;
  std::size_t* iterations = out.iterations;
  NmsWorkspace<T> local;
  const detail::SuppressionBits sb =
      detail::suppression_bits(params.overlap, in.boxes, in.scores, in.n, params.top_k, thr, ws ? *ws : local);
  const std::size_t m = sb.m, words = sb.words;
  unsigned char *kept = sb.kept, *next = sb.next;
  std::fill(kept, kept + m, static_cast<unsigned char>(1));
  std::size_t it = 0;
  for (;;) {
    ++it;
    std::fill(sb.hit, sb.hit + words, std::uint64_t(0));
    for (std::size_t i = 0; i < m; ++i)
      if (kept[i])
        for (std::size_t w = 0; w < words; ++w) sb.hit[w] |= sb.bits[i * words + w];
    bool changed = false;
    for (std::size_t j = 0; j < m; ++j) {
      next[j] = !((sb.hit[j / 64] >> (j % 64)) & 1u);
      changed |= next[j] != kept[j];
    }
    std::swap(kept, next);
    if (!changed) break;
  }
  if (iterations) *iterations = it;
  std::size_t k = 0;
  for (std::size_t j = 0; j < m; ++j)
    if (kept[j]) keep[k++] = sb.order[j];
  return k;
}

/// Convenience forwarder to fast_nms(in, params, out, ws) (positional arguments).
template <class T, class O = AxisAlignedIoU>
std::size_t fast_nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold, std::int64_t* keep,
                     std::size_t top_k = std::size_t(-1), IouRule rule = IouRule::torchvision,
                     NmsWorkspace<T>* ws = nullptr, const O& overlap = {}) {
  return fast_nms(NmsInputs<T>{boxes, scores, n}, BasicFastNmsParams<O>{iou_threshold, top_k, rule, overlap},
                  NmsOutputs<T>{keep}, ws);
}

/// Convenience forwarder to cluster_nms(in, params, out, ws) (positional arguments).
template <class T, class O = AxisAlignedIoU>
std::size_t cluster_nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold, std::int64_t* keep,
                        std::size_t top_k = std::size_t(-1), IouRule rule = IouRule::torchvision,
                        std::size_t* iterations = nullptr, NmsWorkspace<T>* ws = nullptr, const O& overlap = {}) {
  return cluster_nms(NmsInputs<T>{boxes, scores, n}, BasicFastNmsParams<O>{iou_threshold, top_k, rule, overlap},
                     NmsOutputs<T>{keep, nullptr, nullptr, iterations}, ws);
}

}  // namespace locuskit
