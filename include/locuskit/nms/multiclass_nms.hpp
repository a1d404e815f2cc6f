#pragma once
/// \file nms/multiclass_nms.hpp
/// Batched multi-class NMS with fixed-size outputs: the layout of TensorRT's EfficientNMS plugin
/// and TensorFlow's `combined_non_max_suppression`. The CUDA kernels mirror this signature.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../error.hpp"
#include "../parallel.hpp"
#include "batched_nms.hpp"

namespace locuskit {

/// Parameters of multiclass_nms.
struct MulticlassNmsParams {
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
    std::vector<std::int64_t> cand_pair, cls;
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
/// Inputs: `boxes` (B, N, 4) xyxy shared by the classes, or (B, N, C, 4) per class when
/// `boxes_per_class`; `scores` (B, N, C). Outputs, K = params.max_total:
/// - `out_boxes` (B, K, 4), `out_scores` (B, K): zero-padded;
/// - `out_classes` (B, K) int32 class ids, `out_indices` (B, K) int64 box indices n (into N):
///   -1-padded;
/// - `out_counts` (B,) int32 number of valid rows per image.
///
/// Per image: candidates are the (n, c) pairs with score > score_threshold, ordered by score
/// descending, ties by n then c (deterministic, where EfficientNMS and TF tie arbitrarily), cut to
/// `max_candidates`; per class (or all together if class_agnostic) greedy NMS exactly as nms()
/// (IoU > threshold, see IouRule), at most max_output_per_class per class; the kept pairs of all
/// classes merged in that same order and cut to K. Per-class selection: exactly batched_nms().
///
/// O(B (NC + kept x alive)) time, O(NC) memory per chunk of images in `ws` (a temporary when
/// null: pass a workspace to make repeated calls allocation-free); images are split over `par`
/// threads (the persistent pool of parallel.hpp) with identical results. Thread-safe with distinct
/// workspaces; inputs not validated (see check_boxes_xyxy). Throws std::invalid_argument for a
/// NaN threshold or when N x C does not fit the kernels' index type.
template <class T>
void multiclass_nms(const T* boxes, bool boxes_per_class, const T* scores, std::size_t batch,
                    std::size_t num_boxes, std::size_t num_classes, const MulticlassNmsParams& params,
                    T* out_boxes, T* out_scores, std::int32_t* out_classes, std::int64_t* out_indices,
                    std::int32_t* out_counts, Parallel par = {}, MulticlassNmsWorkspace<T>* ws = nullptr) {
  using P = detail::nms_pos_t<T>;
  const T thr = strict_iou_threshold<T>(params.iou_threshold, params.rule);
  LOCUSKIT_CHECK(!std::isnan(params.score_threshold), std::invalid_argument,
                 "multiclass_nms: score_threshold is NaN");
  const std::size_t K = params.max_total, N = num_boxes, C = num_classes;
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
      const T* sc = scores + b * N * C;
      const T* bx = boxes + b * N * (boxes_per_class ? C : 1) * 4;
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
      detail::Soa<T> soa(w, m);
      P* pos = w.pos_.data();
      for (std::size_t g = 0; g < m; ++g) {
        const std::int64_t q = cand_pair[order[group[g]]];
        const std::size_t n = static_cast<std::size_t>(q) / C, c = static_cast<std::size_t>(q) % C;
        soa.put(g, bx + 4 * (boxes_per_class ? n * C + c : n));
        pos[g] = static_cast<P>(group[g]);
      }
      flag.assign(m, 0);
      P* kept = w.kept_.data();
      const std::size_t cap = params.class_agnostic ? K : std::min(params.max_output_per_class, K);
      for (std::size_t s = 0; s + 1 < starts.size(); ++s) {
        const std::size_t k = detail::greedy_segment(soa, pos, starts[s], starts[s + 1] - starts[s], thr,
                                                     cap, kept);
        for (std::size_t i = 0; i < k; ++i) flag[static_cast<std::size_t>(kept[i])] = 1;
      }
      T* ob = out_boxes + b * K * 4;
      T* os = out_scores + b * K;
      std::int32_t* oc = out_classes + b * K;
      std::int64_t* oi = out_indices + b * K;
      std::size_t k = 0;
      for (std::size_t p = 0; p < m && k < K; ++p) {
        if (!flag[p]) continue;
        const std::int64_t q = cand_pair[order[p]];
        const std::size_t n = static_cast<std::size_t>(q) / C, c = static_cast<std::size_t>(q) % C;
        const T* src = bx + 4 * (boxes_per_class ? n * C + c : n);
        for (int t = 0; t < 4; ++t) ob[4 * k + t] = src[t];
        os[k] = sc[q];
        oc[k] = static_cast<std::int32_t>(c);
        oi[k] = static_cast<std::int64_t>(n);
        ++k;
      }
      out_counts[b] = static_cast<std::int32_t>(k);
      for (std::size_t r = k; r < K; ++r) {
        for (int t = 0; t < 4; ++t) ob[4 * r + t] = T(0);
        os[r] = T(0);
        oc[r] = -1;
        oi[r] = -1;
      }
    }
  });
}

}  // namespace locuskit
