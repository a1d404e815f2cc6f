#pragma once
/// \file nms/multiclass_nms.hpp
/// Batched multi-class NMS with fixed-size outputs: the layout of TensorRT's EfficientNMS plugin
/// and TensorFlow's `combined_non_max_suppression`. The CUDA kernels mirror this signature.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../parallel.hpp"
#include "batched_nms.hpp"
#include "overlap.hpp"

namespace locuskit {

/// Parameters of multiclass_nms, with the overlap policy `O` (nms/overlap.hpp): AxisAlignedIoU
/// ((.., 4) xyxy boxes, the default), RotatedIoU ((.., 5)), Box3dIoU ((.., 7)).
template <class O = AxisAlignedIoU>
struct BasicMulticlassNmsParams {
  /// A (box, class) pair is a candidate iff its score > T(score_threshold) (TF, ONNX; EfficientNMS
  /// uses >=: pass std::nextafter(thr, -inf) for that).
  double score_threshold = 0.0;
  double iou_threshold = 0.5;
  /// Kept pairs per class and image (TF `max_output_size_per_class`); ignored when class_agnostic.
  std::size_t max_output_per_class = std::numeric_limits<std::size_t>::max();
  /// Output width K per image (TF `max_total_size`, EfficientNMS `max_output_boxes`).
  std::size_t max_total = 100;
  /// Pre-NMS cap on candidates per image, highest scores first (EfficientNMS: 4096); 0 = none.
  std::size_t max_candidates = 0;
  /// Suppress across classes (one class for the IoU test; each pair keeps its own class).
  bool class_agnostic = false;
  IouRule rule = IouRule::torchvision;
  /// Threads over the images (parallel.hpp; results identical for any value).
  Parallel parallel = {};
  /// The overlap (RotatedIoU carries its angle convention and mode).
  O overlap = {};
};
/// Parameters of the axis-aligned multiclass_nms.
using MulticlassNmsParams = BasicMulticlassNmsParams<AxisAlignedIoU>;

/// The inputs of multiclass_nms (views, row-major, contiguous), D = O::box_columns.
template <class T>
struct MulticlassNmsInputs {
  /// (B, N, D) boxes shared by the classes, or (B, N, C, D) per class when boxes_per_class.
  const T* boxes = nullptr;
  /// (B, N, C) scores.
  const T* scores = nullptr;
  std::size_t batch = 0, num_boxes = 0, num_classes = 0;
  bool boxes_per_class = false;
};

/// The padded outputs of multiclass_nms (caller-provided), K = params.max_total, D = O::box_columns.
template <class T>
struct MulticlassNmsOutputs {
  T* boxes = nullptr;               ///< (B, K, D), zero-padded
  T* scores = nullptr;              ///< (B, K), zero-padded
  std::int32_t* classes = nullptr;  ///< (B, K) class ids, -1-padded
  std::int64_t* indices = nullptr;  ///< (B, K) box indices n (into N), -1-padded
  std::int32_t* counts = nullptr;   ///< (B,) valid rows per image
};

/// Reusable scratch of multiclass_nms: one NmsWorkspace and candidate buffers per chunk of
/// images (parallel_chunk_count(batch, 1, par) of them). Grows to the largest call seen, never
/// shrinks; a warm workspace makes multiclass_nms allocation-free. Not thread-safe (one per
/// concurrent call).
template <class T>
class MulticlassNmsWorkspace {
 public:
  /// Per-chunk scratch (internal).
  struct Slot {
    NmsWorkspace<T> nms;
    std::vector<T> cand_scores;
    std::vector<std::int64_t> cand_pair, cls, rows;
    std::vector<char> flag;
  };
  /// Grows to `chunks` slots, each able to hold `pairs` candidates.
  void reserve(std::size_t chunks, std::size_t pairs) {
    if (slots_.size() < chunks) slots_.resize(chunks);
    for (std::size_t c = 0; c < chunks; ++c) {
      Slot& s = slots_[c];
      s.nms.reserve(pairs);
      if (s.cand_scores.capacity() < pairs) {
        s.cand_scores.reserve(pairs);
        s.cand_pair.reserve(pairs);
        s.cls.reserve(pairs);
        s.rows.reserve(pairs);
        s.flag.reserve(pairs);
      }
    }
  }
  Slot& slot(std::size_t c) noexcept { return slots_[c]; }

 private:
  std::vector<Slot> slots_;
};

/// Batched, multi-class NMS into padded outputs, for B images at once.
///
/// Inputs (`in`, D = O::box_columns: 4 xyxy for the default AxisAlignedIoU): `boxes` (B, N, D)
/// shared by the classes, or (B, N, C, D) per class when `boxes_per_class`; `scores` (B, N, C).
/// Outputs (`out`), K = params.max_total:
/// - `boxes` (B, K, D), `scores` (B, K): zero-padded;
/// - `classes` (B, K) int32 class ids, `indices` (B, K) int64 box indices n (into N): -1-padded;
/// - `counts` (B,) int32 number of valid rows per image.
///
/// Per image: candidates are the (n, c) pairs with score > score_threshold, ordered by score
/// descending, ties by n then c (deterministic, where EfficientNMS and TF tie arbitrarily), cut to
/// `max_candidates`; per class (or all together if class_agnostic) greedy NMS exactly as nms()
/// with the policy's overlap (IoU > threshold, see IouRule), at most max_output_per_class per
/// class; the kept pairs of all classes merged in that same order and cut to K. Per-class
/// selection: exactly batched_nms() with the same policy.
///
/// O(B (NC + kept x alive)) time, O(NC) memory per chunk of images in `ws` (a temporary when
/// null: pass a workspace to make repeated axis-aligned calls allocation-free; other policies
/// allocate their prepared boxes); images are split over `params.parallel` threads (the persistent
/// pool of parallel.hpp) with identical results. Thread-safe with distinct workspaces; inputs not
/// validated (see check_boxes_xyxy). Throws std::invalid_argument for a NaN threshold or when
/// N x C does not fit the kernels' index type.
template <class T, class O>
void multiclass_nms(const MulticlassNmsInputs<T>& in, const BasicMulticlassNmsParams<O>& params,
                    const MulticlassNmsOutputs<T>& out, MulticlassNmsWorkspace<T>* ws = nullptr) {
  using P = detail::nms_pos_t<T>;
  constexpr std::size_t D = O::box_columns;
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  LOCUSKIT_CHECK(!std::isnan(params.score_threshold), std::invalid_argument,
                 "multiclass_nms: score_threshold is NaN");
  const std::size_t K = params.max_total, N = in.num_boxes, C = in.num_classes, batch = in.batch;
  const bool boxes_per_class = in.boxes_per_class;
  // N * C checked by division: the product of two user sizes may wrap.
  constexpr auto max_pairs = static_cast<std::size_t>(std::numeric_limits<P>::max());
  LOCUSKIT_CHECK(C == 0 || N <= max_pairs / C, std::invalid_argument,
                 "multiclass_nms: too many (box, class) pairs per image (", N, " x ", C, ")");
  constexpr auto max_i32 = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  LOCUSKIT_CHECK(C <= max_i32 && std::min(K, N * C) <= max_i32, std::invalid_argument,
                 "multiclass_nms: num_classes ", C, " or the kept count does not fit the int32 outputs");
  if (batch == 0) return;
  // Compared in T, as TF and TensorRT compare float scores with a float threshold.
  const T score_thr = static_cast<T>(params.score_threshold);
  auto passes = [&](T s) { return s > score_thr; };
  const Parallel par = params.parallel;
  MulticlassNmsWorkspace<T> local;
  MulticlassNmsWorkspace<T>& work = ws ? *ws : local;
  work.reserve(parallel_chunk_count(batch, 1, par), 0);  // buffers grow to the candidates seen
  parallel_for_chunks(batch, 1, par, [&](std::size_t chunk, std::size_t b0, std::size_t b1) {
    auto& slot = work.slot(chunk);
    NmsWorkspace<T>& nms_workspace = slot.nms;
    auto& cand_scores = slot.cand_scores;
    auto& cand_pair = slot.cand_pair;
    auto& cls = slot.cls;
    auto& flag = slot.flag;
    for (std::size_t b = b0; b < b1; ++b) {
      const T* sc = in.scores + b * N * C;
      const T* bx = in.boxes + b * N * (boxes_per_class ? C : 1) * D;
      // Candidates (flattened pair id n*C + c, so ties order by n then c).
      cand_scores.clear();
      cand_pair.clear();
      for (std::size_t q = 0; q < N * C; ++q)
        if (passes(sc[q])) {
          cand_scores.push_back(sc[q]);
          cand_pair.push_back(static_cast<std::int64_t>(q));
        }
      std::size_t m = cand_scores.size();
      detail::NmsScratch<T>& w = detail::scratch_of(nms_workspace, m);
      std::int64_t* order = w.order_.data();
      detail::score_order(cand_scores.data(), m, order, w);
      if (params.max_candidates > 0) m = std::min(m, params.max_candidates);
      cls.resize(m);
      for (std::size_t p = 0; p < m; ++p)
        cls[p] = params.class_agnostic ? 0 : cand_pair[order[p]] % static_cast<std::int64_t>(C);
      std::int64_t* group = w.group_.data();
      std::vector<std::size_t>& starts = w.starts_;
      detail::group_by_class(cls.data(), m, group, starts, w.scratch_, w.counts_, w.group_tmp_);
      flag.assign(m, 0);
      const std::size_t cap = params.class_agnostic ? K : std::min(params.max_output_per_class, K);
      if constexpr (!std::is_same_v<O, AxisAlignedIoU>) {
        // Any other policy: the scalar greedy engine, rank p reading box row rows[p] of bx.
        auto& rows = slot.rows;
        rows.resize(m);
        for (std::size_t p = 0; p < m; ++p) {
          const std::int64_t q = cand_pair[order[p]];
          rows[p] = boxes_per_class ? q : q / static_cast<std::int64_t>(C);
        }
        detail::greedy_segments(params.overlap, bx, rows.data(), group, starts.data(), starts.size() - 1, thr, cap,
                                flag.data());
      } else {
      detail::Soa<T> soa(w, m);
      P* pos = w.pos_.data();
      for (std::size_t g = 0; g < m; ++g) {
        const std::int64_t q = cand_pair[order[group[g]]];
        const std::size_t n = static_cast<std::size_t>(q) / C, c = static_cast<std::size_t>(q) % C;
        soa.put(g, bx + 4 * (boxes_per_class ? n * C + c : n));
        pos[g] = static_cast<P>(group[g]);
      }
      P* kept = w.kept_.data();
      for (std::size_t s = 0; s + 1 < starts.size(); ++s) {
        const std::size_t k = detail::greedy_segment(soa, pos, starts[s], starts[s + 1] - starts[s], thr,
                                                     cap, kept);
        for (std::size_t i = 0; i < k; ++i) flag[static_cast<std::size_t>(kept[i])] = 1;
      }
      }
      T* ob = out.boxes + b * K * D;
      T* os = out.scores + b * K;
      std::int32_t* oc = out.classes + b * K;
      std::int64_t* oi = out.indices + b * K;
      std::size_t k = 0;
      for (std::size_t p = 0; p < m && k < K; ++p) {
        if (!flag[p]) continue;
        const std::int64_t q = cand_pair[order[p]];
        const std::size_t n = static_cast<std::size_t>(q) / C, c = static_cast<std::size_t>(q) % C;
        const T* src = bx + D * (boxes_per_class ? n * C + c : n);
        for (std::size_t t = 0; t < D; ++t) ob[D * k + t] = src[t];
        os[k] = sc[q];
        oc[k] = static_cast<std::int32_t>(c);
        oi[k] = static_cast<std::int64_t>(n);
        ++k;
      }
      out.counts[b] = static_cast<std::int32_t>(k);
      for (std::size_t r = k; r < K; ++r) {
        for (std::size_t t = 0; t < D; ++t) ob[D * r + t] = T(0);
        os[r] = T(0);
        oc[r] = -1;
        oi[r] = -1;
      }
    }
  });
}

/// Convenience forwarder to the signature above (axis-aligned, positional arguments; `par`
/// overrides params.parallel).
template <class T>
void multiclass_nms(const T* boxes, bool boxes_per_class, const T* scores, std::size_t batch,
                    std::size_t num_boxes, std::size_t num_classes, MulticlassNmsParams params, T* out_boxes,
                    T* out_scores, std::int32_t* out_classes, std::int64_t* out_indices, std::int32_t* out_counts,
                    Parallel par = {}, MulticlassNmsWorkspace<T>* ws = nullptr) {
  params.parallel = par;
  multiclass_nms(MulticlassNmsInputs<T>{boxes, scores, batch, num_boxes, num_classes, boxes_per_class}, params,
                 MulticlassNmsOutputs<T>{out_boxes, out_scores, out_classes, out_indices, out_counts}, ws);
}

}  // namespace locuskit
