#pragma once
/// \file match/detr_cost.hpp
/// The DETR matching cost (facebookresearch/detr `HungarianMatcher`): class + L1 + GIoU terms,
/// with Deformable-DETR's focal class cost as an option. Feed it to linear_sum_assignment.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "../error.hpp"

namespace locuskit {

/// Weights and options of the DETR cost.
struct DetrCostParams {
  double cost_class = 1;  ///< DETR `set_cost_class`
  double cost_bbox = 1;   ///< DETR `set_cost_bbox` (the training config uses 5)
  double cost_giou = 1;   ///< DETR `set_cost_giou` (the training config uses 2)
  bool focal = false;     ///< Deformable DETR: focal class cost on sigmoid probabilities
  double focal_alpha = 0.25, focal_gamma = 2.0;
};

namespace detail {
/// Generalised IoU of two xyxy boxes in torchvision's order (`iou − (c − U)/c`); 0/0 terms are 0.
template <class T>
inline T giou_xyxy(const T* a, const T* b) noexcept {
  const T area_a = (a[2] - a[0]) * (a[3] - a[1]), area_b = (b[2] - b[0]) * (b[3] - b[1]);
  T w = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  T h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  w = w > T(0) ? w : T(0);
  h = h > T(0) ? h : T(0);
  const T inter = w * h, uni = (area_a + area_b) - inter;
  const T iou = uni == T(0) ? T(0) : inter / uni;
  T cw = std::max(a[2], b[2]) - std::min(a[0], b[0]);
  T ch = std::max(a[3], b[3]) - std::min(a[1], b[1]);
  cw = cw > T(0) ? cw : T(0);
  ch = ch > T(0) ? ch : T(0);
  const T c = cw * ch;
  return c == T(0) ? iou : iou - (c - uni) / c;
}
template <class T>
inline void cxcywh_to_xyxy(const T* b, T* o) noexcept {
  o[0] = b[0] - T(0.5) * b[2];
  o[1] = b[1] - T(0.5) * b[3];
  o[2] = b[0] + T(0.5) * b[2];
  o[3] = b[1] + T(0.5) * b[3];
}
}  // namespace detail

/// DETR `HungarianMatcher` cost for one image: `cost` (n_pred, m_gt) =
/// `cost_bbox·L1 + cost_class·class + cost_giou·(−GIoU)` where `L1 = Σ|pred − gt|` over the four
/// cxcywh coordinates (torch.cdist p=1), `class = −prob[pred, label]` (or, with `focal`,
/// `α(1−p)^γ(−log(p + 1e-8)) − (1−α)p^γ(−log(1 − p + 1e-8))`), and GIoU of the boxes converted to
/// xyxy (`cx ∓ 0.5·w`). `probs` (n_pred, n_classes) softmax (or sigmoid) probabilities;
/// `pred_boxes` (n_pred, 4) and `gt_boxes` (m_gt, 4) cxcywh; `gt_labels` (m_gt) in
/// [0, n_classes) (throws otherwise). O(n·m). Thread-safe.
template <class T>
void detr_cost_matrix(const T* probs, std::size_t n_pred, std::size_t n_classes, const T* pred_boxes,
                      const std::int64_t* gt_labels, const T* gt_boxes, std::size_t m_gt, T* cost,
                      const DetrCostParams& p = {}) {
  for (std::size_t j = 0; j < m_gt; ++j)
    LOCUSKIT_CHECK(gt_labels[j] >= 0 && static_cast<std::size_t>(gt_labels[j]) < n_classes, std::invalid_argument,
                   "gt_labels[", j, "] = ", gt_labels[j], " is outside [0, ", n_classes, ")");
  const T wc = static_cast<T>(p.cost_class), wb = static_cast<T>(p.cost_bbox), wg = static_cast<T>(p.cost_giou);
  const T alpha = static_cast<T>(p.focal_alpha), gamma = static_cast<T>(p.focal_gamma), tiny = static_cast<T>(1e-8);
  for (std::size_t i = 0; i < n_pred; ++i) {
    const T* pb = pred_boxes + 4 * i;
    T pxy[4];
    detail::cxcywh_to_xyxy(pb, pxy);
    for (std::size_t j = 0; j < m_gt; ++j) {
      const T* gb = gt_boxes + 4 * j;
      const T l1 = ((std::fabs(pb[0] - gb[0]) + std::fabs(pb[1] - gb[1])) + std::fabs(pb[2] - gb[2])) +
                   std::fabs(pb[3] - gb[3]);
      const T prob = probs[i * n_classes + static_cast<std::size_t>(gt_labels[j])];
      T cls;
      if (p.focal) {
        const T neg = (T(1) - alpha) * std::pow(prob, gamma) * (-std::log(T(1) - prob + tiny));
        const T pos = alpha * std::pow(T(1) - prob, gamma) * (-std::log(prob + tiny));
        cls = pos - neg;
      } else {
        cls = -prob;
      }
      T gxy[4];
      detail::cxcywh_to_xyxy(gb, gxy);
      const T giou = detail::giou_xyxy(pxy, gxy);
      cost[i * m_gt + j] = (wb * l1 + wc * cls) + wg * (-giou);
    }
  }
}

}  // namespace locuskit
