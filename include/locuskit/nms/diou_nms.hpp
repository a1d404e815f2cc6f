#pragma once
/// \file nms/diou_nms.hpp
/// DIoU-NMS (Zheng et al. 2020, YOLOv4): greedy NMS on IoU minus a centre-distance penalty.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../box/geometry.hpp"
#include "iou_rule.hpp"
#include "overlap.hpp"
#include "../detail/nms/engine.hpp"
#include "workspace.hpp"

namespace locuskit {

/// The DIoU-NMS criterion of box b against the kept box a (xyxy): `IoU - (rho^2 / c^2)^beta`,
/// rho the distance between centres `(x1+x2)/2`, c the diagonal of the enclosing box; plain IoU
/// when c = 0 (darknet). IoU is 0 for zero-area pairs.
template <class T>
inline T diou_nms_score(const T* a, T area_a, const T* b, T area_b, T beta) noexcept {
  const T iou = AxisAlignedIoU::overlap(a, area_a, b, area_b);
  const T cw = geometry::max_(a[2], b[2]) - geometry::min_(a[0], b[0]);
  const T ch = geometry::max_(a[3], b[3]) - geometry::min_(a[1], b[1]);
  const T c2 = cw * cw + ch * ch;
  if (!(c2 > T(0))) return iou;
  const T dx = (a[0] + a[2]) / T(2) - (b[0] + b[2]) / T(2);
  const T dy = (a[1] + a[3]) / T(2) - (b[1] + b[3]) / T(2);
  const T ratio = (dx * dx + dy * dy) / c2;
  return iou - (beta == T(1) ? ratio : std::pow(ratio, beta));
}

/// DIoU-NMS: greedy in score order (ties: lower index), box j suppressed by an earlier kept box i iff
/// `diou_nms_score(i, j, beta) > iou_threshold` (strict, torchvision's threshold precision; see
/// IouRule). beta = 1 is the paper; darknet's `beta_nms` default is 0.6. Writes the kept indices
/// (score order) to `keep` (room for n) and returns the count. O(kept x n) scalar, O(n) memory in
/// `ws` (a temporary when null; a warm workspace makes the call allocation-free). Thread-safe with
/// distinct workspaces.
template <class T>
std::size_t diou_nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold, double beta,
                     std::int64_t* keep, IouRule rule = IouRule::torchvision, NmsWorkspace<T>* ws = nullptr) {
  const T thr = strict_iou_threshold<T>(iou_threshold, rule);
  LOCUSKIT_CHECK(beta > 0, std::invalid_argument, "diou_nms: beta must be > 0, got ", beta);
  if (n == 0) return 0;
  NmsWorkspace<T> local;
  detail::NmsScratch<T>& work = detail::scratch_of(ws ? *ws : local, n);
  std::int64_t* alive = work.order_.data();  // score order, compacted as boxes are suppressed
  detail::score_order(scores, n, alive, work);
  std::size_t m = n, k = 0;
  const T b_ = static_cast<T>(beta);
  while (m > 0) {
    const T* a = boxes + 4 * alive[0];
    const T area_a = geometry::area(a[0], a[1], a[2], a[3]);
    keep[k++] = alive[0];
    std::size_t w = 0;
    for (std::size_t j = 1; j < m; ++j) {
      const T* b = boxes + 4 * alive[j];
      const T d = diou_nms_score(a, area_a, b, geometry::area(b[0], b[1], b[2], b[3]), b_);
      if (!(d > thr)) alive[w++] = alive[j];
    }
    m = w;
  }
  return k;
}

}  // namespace locuskit
