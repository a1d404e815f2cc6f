#pragma once
/// \file nms/weighted_boxes_fusion.hpp
/// Weighted Boxes Fusion (Solovyev et al. 2021) with the semantics of the `ensemble-boxes` package.
#include <algorithm>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../error.hpp"
#include "overlap.hpp"

namespace locuskit {

/// How a fused box's confidence is computed (ensemble-boxes `conf_type`).
enum class WbfConfType : int { avg = 0, max = 1, box_and_model_avg = 2, absent_model_aware_avg = 3 };

/// Parameters of weighted_boxes_fusion (defaults: ensemble-boxes).
struct WbfParams {
  double iou_threshold = 0.55;       ///< a box joins a cluster iff IoU with its fused box > this
  double skip_box_threshold = 0.0;   ///< boxes with score < this are dropped
  WbfConfType conf_type = WbfConfType::avg;
  bool allows_overflow = false;      ///< avg: rescale by n / W instead of min(M, n) / W
};

/// The inputs of weighted_boxes_fusion (views, contiguous): the predictions of several models.
template <class T>
struct WbfInputs {
  const T* boxes = nullptr;                ///< (n, 4) xyxy, normalised to [0, 1]
  const T* scores = nullptr;               ///< (n,)
  const std::int64_t* labels = nullptr;    ///< (n,) class ids
  const std::int64_t* models = nullptr;    ///< (n,) model ids in [0, num_models)
  std::size_t n = 0;
  const T* weights = nullptr;              ///< (num_models,) model weights
  std::size_t num_models = 0;
};

/// The outputs of weighted_boxes_fusion (caller-provided, room for n rows each).
template <class T>
struct WbfOutputs {
  T* boxes = nullptr;                ///< (k, 4) fused boxes
  T* scores = nullptr;               ///< (k,) confidences
  std::int64_t* labels = nullptr;    ///< (k,) labels
};

namespace detail {
/// `x > y` with NaN after every number: a strict weak order even when NaN scores slip through.
inline bool wbf_greater_nan_last(double x, double y) noexcept {
  if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
  return x > y;
}
}  // namespace detail

/// Reusable scratch of weighted_boxes_fusion: after one call of at least this size (boxes,
/// clusters, models), later calls make no heap allocation. One per thread; not thread-safe.
template <class T>
class WbfWorkspace {
 public:
  WbfWorkspace() = default;

 private:
  template <class U>
  friend std::size_t weighted_boxes_fusion(const WbfInputs<U>&, const WbfParams&, const WbfOutputs<U>&,
                                           WbfWorkspace<U>*);
  struct Box {
    double sw, w, b[4];
    std::int64_t label, model;
    std::size_t input;
  };
  struct Cluster {
    double box[4], acc[4], sum_sw, max_sw, sum_w, conf;
    std::int64_t label;
    std::size_t count, first_member;  // members form a list through member_next_
  };
  std::vector<Box> boxes_;
  std::vector<Cluster> clusters_;
  std::vector<std::size_t> member_next_;  // per box: the next box of its cluster (npos ends)
  std::vector<std::size_t> order_;        // clusters by confidence
  std::vector<std::size_t> model_stamp_;  // per model: the last cluster (+1) that counted it
};

/// Fuses the predictions of several models (`in`, WbfInputs). Box r (xyxy, normalised to [0, 1])
/// has `scores[r]`, `labels[r]` and comes from model `models[r]` in [0, num_models), whose weight
/// is `weights[m]`.
///
/// ensemble-boxes semantics: boxes with score < skip_box_threshold are dropped; inverted corners
/// are swapped, coordinates clipped to [0, 1], zero-area boxes dropped; each box carries `sw =
/// score * weight`. Per label (ascending), boxes in decreasing sw (ties: input order, where
/// ensemble-boxes' argsort is unspecified) join the first fused box with the highest IoU if that
/// IoU > iou_threshold, else start a cluster; the fused box is `sum sw*b / sum sw` (accumulated in
/// double; ensemble-boxes rounds it to float32). Confidence per cluster of n boxes, M models, W =
/// sum of weights: avg `mean(sw) * min(M, n) / W` (`* n / W` with allows_overflow), max `max(sw) /
/// max(w)`, box_and_model_avg `sum sw / sum w_members * sum w(distinct models) / W`,
/// absent_model_aware_avg `sum sw / (sum w_members + sum w(absent models))`.
///
/// Writes the fused boxes ((k, 4)), confidences and labels to `out` sorted by confidence
/// descending (ties: label, then cluster creation order); returns k (<= n). O(n * clusters) time, O(n + M) memory,
/// held in `ws` (no heap allocation once it is warm; nullptr: a temporary one per call).
/// Throws std::invalid_argument for a model id out of range. Thread-safe with one workspace per
/// thread.
template <class T>
std::size_t weighted_boxes_fusion(const WbfInputs<T>& in, const WbfParams& params, const WbfOutputs<T>& out,
                                  WbfWorkspace<T>* ws = nullptr) {
  const T *boxes = in.boxes, *scores = in.scores, *weights = in.weights;
  const std::int64_t *labels = in.labels, *models = in.models;
  const std::size_t n = in.n, num_models = in.num_models;
  T *out_boxes = out.boxes, *out_scores = out.scores;
  std::int64_t* out_labels = out.labels;
  WbfWorkspace<T> local;
  WbfWorkspace<T>& w = ws ? *ws : local;
  using Box = typename WbfWorkspace<T>::Box;
  using Cluster = typename WbfWorkspace<T>::Cluster;
  constexpr std::size_t npos = static_cast<std::size_t>(-1);
  double wsum = 0, wmax = 0;
  for (std::size_t t = 0; t < num_models; ++t) {
    wsum += static_cast<double>(weights[t]);
    wmax = t == 0 ? static_cast<double>(weights[t]) : std::max(wmax, static_cast<double>(weights[t]));
  }
  w.boxes_.clear();
  w.boxes_.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    LOCUSKIT_CHECK(models[r] >= 0 && static_cast<std::size_t>(models[r]) < num_models, std::invalid_argument,
                   "weighted_boxes_fusion: box ", r, " has model id ", models[r], " outside [0, ", num_models, ")");
    const double s = static_cast<double>(scores[r]);
    if (s < params.skip_box_threshold) continue;
    double x1 = boxes[4 * r], y1 = boxes[4 * r + 1], x2 = boxes[4 * r + 2], y2 = boxes[4 * r + 3];
    if (x2 < x1) std::swap(x1, x2);
    if (y2 < y1) std::swap(y1, y2);
    auto clip = [](double v) { return std::min(1.0, std::max(0.0, v)); };
    x1 = clip(x1), y1 = clip(y1), x2 = clip(x2), y2 = clip(y2);
    if ((x2 - x1) * (y2 - y1) == 0.0) continue;
    const double wt = static_cast<double>(weights[models[r]]);
    w.boxes_.push_back(Box{s * wt, wt, {x1, y1, x2, y2}, labels[r], models[r], r});
  }
  // Labels ascending, then decreasing sw, ties by input order: a total order, so std::sort (which,
  // unlike std::stable_sort, needs no temporary buffer) gives the stable result.
  std::sort(w.boxes_.begin(), w.boxes_.end(), [](const Box& a, const Box& b) {
    if (a.label != b.label) return a.label < b.label;
    if (detail::wbf_greater_nan_last(a.sw, b.sw)) return true;
    if (detail::wbf_greater_nan_last(b.sw, a.sw)) return false;
    return a.input < b.input;
  });
  const std::size_t m = w.boxes_.size();
  w.clusters_.clear();
  w.clusters_.reserve(m);
  w.member_next_.assign(m, npos);
  std::size_t label_begin = 0;  // the current label's clusters are clusters_[label_begin, end)
  for (std::size_t i = 0; i < m; ++i) {
    const Box& bx = w.boxes_[i];
    if (i > 0 && bx.label != w.boxes_[i - 1].label) label_begin = w.clusters_.size();
    std::size_t best = npos;
    double best_iou = params.iou_threshold;
    for (std::size_t c = label_begin; c < w.clusters_.size(); ++c) {
      const double* f = w.clusters_[c].box;
      const double iou = AxisAlignedIoU::overlap(f, bx.b);
      if (iou > best_iou) best_iou = iou, best = c;
    }
    if (best == npos) {
      w.clusters_.push_back(Cluster{{0, 0, 0, 0}, {0, 0, 0, 0}, 0, 0, 0, 0, bx.label, 0, npos});
      best = w.clusters_.size() - 1;
    }
    Cluster& c = w.clusters_[best];
    for (int q = 0; q < 4; ++q) c.acc[q] += bx.sw * bx.b[q];
    c.sum_sw += bx.sw;
    c.max_sw = c.count == 0 ? bx.sw : std::max(c.max_sw, bx.sw);
    c.sum_w += bx.w;
    w.member_next_[i] = c.first_member;
    c.first_member = i;
    ++c.count;
    for (int q = 0; q < 4; ++q) c.box[q] = c.sum_sw != 0 ? c.acc[q] / c.sum_sw : bx.b[q];
  }
  w.model_stamp_.assign(num_models, 0);
  for (std::size_t ci = 0; ci < w.clusters_.size(); ++ci) {
    Cluster& c = w.clusters_[ci];
    const double cnt = static_cast<double>(c.count);
    double w_distinct = 0;
    for (std::size_t b = c.first_member; b != npos; b = w.member_next_[b]) {
      const auto mdl = static_cast<std::size_t>(w.boxes_[b].model);
      if (w.model_stamp_[mdl] != ci + 1) w.model_stamp_[mdl] = ci + 1, w_distinct += static_cast<double>(weights[mdl]);
    }
    switch (params.conf_type) {
      case WbfConfType::max: c.conf = c.max_sw / wmax; break;
      case WbfConfType::box_and_model_avg: c.conf = c.sum_sw / c.sum_w * w_distinct / wsum; break;
      case WbfConfType::absent_model_aware_avg: c.conf = c.sum_sw / (c.sum_w + (wsum - w_distinct)); break;
      case WbfConfType::avg:
      default: {
        const double mean = c.sum_sw / cnt;
        c.conf = params.allows_overflow ? mean * cnt / wsum
                                        : mean * std::min(static_cast<double>(num_models), cnt) / wsum;
      }
    }
  }
  w.order_.resize(w.clusters_.size());
  for (std::size_t i = 0; i < w.order_.size(); ++i) w.order_[i] = i;
  // Confidence descending, ties by cluster index (label, then creation): total, so std::sort.
  std::sort(w.order_.begin(), w.order_.end(), [&](std::size_t a, std::size_t b) {
    const double ca = w.clusters_[a].conf, cb = w.clusters_[b].conf;
    if (detail::wbf_greater_nan_last(ca, cb)) return true;
    if (detail::wbf_greater_nan_last(cb, ca)) return false;
    return a < b;
  });
  for (std::size_t r = 0; r < w.order_.size(); ++r) {
    const Cluster& c = w.clusters_[w.order_[r]];
    for (int q = 0; q < 4; ++q) out_boxes[4 * r + q] = static_cast<T>(c.box[q]);
    out_scores[r] = static_cast<T>(c.conf);
    out_labels[r] = c.label;
  }
  return w.order_.size();
}

/// Convenience forwarder to the signature above (positional arguments).
template <class T>
std::size_t weighted_boxes_fusion(const T* boxes, const T* scores, const std::int64_t* labels,
                                  const std::int64_t* models, std::size_t n, const T* weights,
                                  std::size_t num_models, T* out_boxes, T* out_scores,
                                  std::int64_t* out_labels, const WbfParams& params = {},
                                  WbfWorkspace<T>* ws = nullptr) {
  return weighted_boxes_fusion(WbfInputs<T>{boxes, scores, labels, models, n, weights, num_models}, params,
                               WbfOutputs<T>{out_boxes, out_scores, out_labels}, ws);
}

}  // namespace locuskit
