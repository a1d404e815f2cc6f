#pragma once
/// \file nms/weighted_boxes_fusion.hpp
/// Weighted Boxes Fusion (Solovyev et al. 2021) with the semantics of the `ensemble-boxes` package.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "../error.hpp"

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

/// Fuses the predictions of several models. Box r (xyxy, normalised to [0, 1]) has `scores[r]`,
/// `labels[r]` and comes from model `models[r]` in [0, num_models), whose weight is `weights[m]`.
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
/// Writes the fused boxes ((k, 4)), confidences and labels sorted by confidence descending (ties:
/// label, then cluster creation order); returns k (<= n). O(n * clusters) time, O(n) memory.
/// Throws std::invalid_argument for a model id out of range. Thread-safe.
template <class T>
std::size_t weighted_boxes_fusion(const T* boxes, const T* scores, const std::int64_t* labels,
                                  const std::int64_t* models, std::size_t n, const T* weights,
                                  std::size_t num_models, T* out_boxes, T* out_scores,
                                  std::int64_t* out_labels, const WbfParams& params = {}) {
  struct Box {
    double sw, w, b[4];
    std::int64_t model;
    std::size_t input;
  };
  struct Cluster {
    double box[4] = {}, acc[4] = {}, sum_sw = 0, max_sw = 0, sum_w = 0;
    std::vector<std::int64_t> members_models;
    std::int64_t label = 0;
  };
  double wsum = 0, wmax = 0;
  for (std::size_t t = 0; t < num_models; ++t) {
    wsum += static_cast<double>(weights[t]);
    wmax = t == 0 ? static_cast<double>(weights[t]) : std::max(wmax, static_cast<double>(weights[t]));
  }
  std::map<std::int64_t, std::vector<Box>> by_label;
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
    const double w = static_cast<double>(weights[models[r]]);
    by_label[labels[r]].push_back(Box{s * w, w, {x1, y1, x2, y2}, models[r], r});
  }
  std::vector<Cluster> all;
  for (auto& [label, list] : by_label) {
    std::stable_sort(list.begin(), list.end(), [](const Box& a, const Box& b) { return a.sw > b.sw; });
    std::vector<Cluster> cl;
    for (const Box& bx : list) {
      std::ptrdiff_t best = -1;
      double best_iou = params.iou_threshold;
      for (std::size_t c = 0; c < cl.size(); ++c) {
        const double* f = cl[c].box;
        const double iw = std::max(std::min(f[2], bx.b[2]) - std::max(f[0], bx.b[0]), 0.0);
        const double ih = std::max(std::min(f[3], bx.b[3]) - std::max(f[1], bx.b[1]), 0.0);
        const double inter = iw * ih;
        const double iou = inter / (((f[2] - f[0]) * (f[3] - f[1]) +
                                     (bx.b[2] - bx.b[0]) * (bx.b[3] - bx.b[1])) - inter);
        if (iou > best_iou) best_iou = iou, best = static_cast<std::ptrdiff_t>(c);
      }
      if (best < 0) {
        cl.emplace_back();
        best = static_cast<std::ptrdiff_t>(cl.size() - 1);
        cl.back().label = label;
      }
      Cluster& c = cl[static_cast<std::size_t>(best)];
      for (int q = 0; q < 4; ++q) c.acc[q] += bx.sw * bx.b[q];
      c.sum_sw += bx.sw;
      c.max_sw = c.members_models.empty() ? bx.sw : std::max(c.max_sw, bx.sw);
      c.sum_w += bx.w;
      c.members_models.push_back(bx.model);
      for (int q = 0; q < 4; ++q) c.box[q] = c.sum_sw != 0 ? c.acc[q] / c.sum_sw : bx.b[q];
    }
    for (auto& c : cl) all.push_back(std::move(c));
  }
  std::vector<double> conf(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    Cluster& c = all[i];
    const double cnt = static_cast<double>(c.members_models.size());
    std::vector<std::int64_t> distinct = c.members_models;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    double w_distinct = 0;
    for (auto mdl : distinct) w_distinct += static_cast<double>(weights[mdl]);
    switch (params.conf_type) {
      case WbfConfType::max: conf[i] = c.max_sw / wmax; break;
      case WbfConfType::box_and_model_avg: conf[i] = c.sum_sw / c.sum_w * w_distinct / wsum; break;
      case WbfConfType::absent_model_aware_avg: conf[i] = c.sum_sw / (c.sum_w + (wsum - w_distinct)); break;
      case WbfConfType::avg:
      default: {
        const double mean = c.sum_sw / cnt;
        conf[i] = params.allows_overflow ? mean * cnt / wsum
                                         : mean * std::min(static_cast<double>(num_models), cnt) / wsum;
      }
    }
  }
  std::vector<std::size_t> idx(all.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return conf[a] > conf[b]; });
  for (std::size_t r = 0; r < idx.size(); ++r) {
    const Cluster& c = all[idx[r]];
    for (int q = 0; q < 4; ++q) out_boxes[4 * r + q] = static_cast<T>(c.box[q]);
    out_scores[r] = static_cast<T>(conf[idx[r]]);
    out_labels[r] = c.label;
  }
  return idx.size();
}

}  // namespace locuskit
