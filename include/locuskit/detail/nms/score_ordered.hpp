#pragma once
/// \file detail/nms/score_ordered.hpp
/// The start nms and batched_nms share: threshold and size checks, workspace, score order.
#include <cstddef>
#include <cstdint>
#include <limits>

#include "../../error.hpp"
#include "../../nms/iou_rule.hpp"
#include "../../nms/workspace.hpp"
#include "engine.hpp"

namespace locuskit::detail {

/// Converts `iou_threshold` with `rule` (std::invalid_argument on NaN) and checks that n fits the
/// kernels' position type (std::invalid_argument naming `function`). Returns 0 when n == 0 or
/// max_output == 0; otherwise reserves `*ws`'s scratch (a temporary workspace when null) for n
/// boxes, sorts by score into its order_ (score_order) and returns `body(thr, scratch, order)`.
template <class T, class Body>
std::size_t with_score_order(const char* function, const T* scores, std::size_t n, double iou_threshold,
                             IouRule rule, std::size_t max_output, NmsWorkspace<T>* ws, Body&& body) {
  const T thr = strict_iou_threshold<T>(iou_threshold, rule);
  LOCUSKIT_CHECK(n <= static_cast<std::size_t>(std::numeric_limits<nms_pos_t<T>>::max()), std::invalid_argument,
                 function, ": too many boxes (", n, ")");
  if (n == 0 || max_output == 0) return 0;
  NmsWorkspace<T> local;
  NmsScratch<T>& w = scratch_of(ws ? *ws : local, n);
  std::int64_t* order = w.order_.data();
  score_order(scores, n, order, w);
  return body(thr, w, order);
}

}  // namespace locuskit::detail
