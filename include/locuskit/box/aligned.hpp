#pragma once
/// \file box/aligned.hpp
/// Element-wise (aligned) IoU family: `out[i] = metric(boxes_a[i], boxes_b[i])` for n pairs.
#include <cstddef>

#include "iou_family.hpp"

namespace locuskit {

namespace detail {
template <IouKind K, class T>
void aligned_range(const T* boxes_a, const T* boxes_b, std::size_t begin, std::size_t end, T* out,
                   Degenerate degenerate, T eps) noexcept {
  const auto cs = pair_constants<T>(degenerate, eps);
  for (std::size_t i = begin; i < end; ++i) {
    const T* a = boxes_a + 4 * i;
    const T* b = boxes_b + 4 * i;
    const T ta = K == IouKind::ciou ? atan_aspect(a, degenerate) : T(0);
    const T tb = K == IouKind::ciou ? atan_aspect(b, degenerate) : T(0);
    out[i] = pair_value<K, ScalarOps>(box_terms(a, ta), box_terms(b, tb), cs);
  }
}
}  // namespace detail

/// Metric `kind` of n aligned pairs: `out[i] = kind(boxes_a[i], boxes_b[i])`, both (n, 4) xyxy.
///
/// The same values, bit for bit, as the diagonal of box_iou_family / torchvision's pairwise
/// functions (same formula and operation order; CIoU's atan is std::atan per box). 0/0 ratios
/// follow `degenerate` as in box/iou_family.hpp. Not validated. O(n), no allocation; with
/// `par.threads > 1` pairs are split across threads with identical results. Thread-safe.
/// Scalar code: the pair count is memory-bound, not divide-bound, at these sizes.
template <class T>
void box_iou_family_aligned(IouKind kind, const T* boxes_a, const T* boxes_b, std::size_t n, T* out,
                            Degenerate degenerate = Degenerate::zero, T eps = T(1e-7), Parallel par = {}) {
  parallel_for(n, 16384, par, [&](std::size_t begin, std::size_t end) {
    switch (kind) {
      case IouKind::giou:
        detail::aligned_range<IouKind::giou>(boxes_a, boxes_b, begin, end, out, degenerate, eps);
        break;
      case IouKind::diou:
        detail::aligned_range<IouKind::diou>(boxes_a, boxes_b, begin, end, out, degenerate, eps);
        break;
      case IouKind::ciou:
        detail::aligned_range<IouKind::ciou>(boxes_a, boxes_b, begin, end, out, degenerate, eps);
        break;
      case IouKind::ioa:
        detail::aligned_range<IouKind::ioa>(boxes_a, boxes_b, begin, end, out, degenerate, eps);
        break;
      default:
        detail::aligned_range<IouKind::iou>(boxes_a, boxes_b, begin, end, out, degenerate, eps);
        break;
    }
  });
}

}  // namespace locuskit
