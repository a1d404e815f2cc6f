#pragma once
/// \file detail/box/pair_formula.hpp
/// The IoU family for one pair of xyxy boxes, written once for scalars and SIMD batches.
///
/// `V` is a scalar `T` or an `xsimd::batch<T, Arch>`; `Ops` supplies min/max/select/equality for it
/// (ScalarOps below; the SIMD kernels pass their own). The scalar oracle, the SIMD body, its scalar
/// tail and the aligned (element-wise) functions therefore evaluate the same expression tree, so
/// they agree bitwise. The order of every operation is torchvision 0.14's
/// (`torchvision/ops/boxes.py`), which decides float rounding.
#include "../../config.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {

/// Which member of the IoU family a kernel computes.
enum class IouKind : int { iou = 0, giou = 1, diou = 2, ciou = 3, ioa = 4 };

namespace detail {

/// 4 / pi^2 as Python computes `4 / (math.pi ** 2)` (torchvision's CIoU constant).
inline constexpr double ciou_k = 4.0 / (3.141592653589793 * 3.141592653589793);

/// Per-box terms a pair formula needs: corners, area `(x2-x1)*(y2-y1)`, centre `(x1+x2)/2`
/// and (CIoU only) `atan(w/h)`.
template <class V>
struct BoxTerms {
  V x1, y1, x2, y2, area, cx, cy, atan_wh;
};

/// Min/max/select for plain scalars, written as the SIMD instructions behave (second operand on NaN).
struct ScalarOps {
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE T min(T a, T b) noexcept { return a < b ? a : b; }
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE T max(T a, T b) noexcept { return a > b ? a : b; }
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE T select(bool c, T a, T b) noexcept { return c ? a : b; }
};

/// Constants of one evaluation: the 0/0 replacement for ratio terms (`degenerate`: the IoU /
/// IoA term; `penalty_degenerate`: GIoU's (C-U)/C when C = 0), DIoU/CIoU's `eps` and CIoU's 4/pi^2.
template <class V>
struct PairConstants {
  V zero, one, degenerate, penalty_degenerate, eps, ciou_k;
};

/// Value of metric `K` for boxes a, b (torchvision's formula and operation order).
template <IouKind K, class Ops, class V>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE V pair_value(const BoxTerms<V>& a, const BoxTerms<V>& b,
                                                       const PairConstants<V>& c) noexcept {
  const V iw = Ops::max(Ops::min(a.x2, b.x2) - Ops::max(a.x1, b.x1), c.zero);
  const V ih = Ops::max(Ops::min(a.y2, b.y2) - Ops::max(a.y1, b.y1), c.zero);
  const V inter = iw * ih;
  if constexpr (K == IouKind::ioa) {
    return Ops::select(a.area == c.zero, c.degenerate, inter / a.area);
  } else {
    const V uni = (a.area + b.area) - inter;
    const V iou = Ops::select(uni == c.zero, c.degenerate, inter / uni);
    if constexpr (K == IouKind::iou) {
      return iou;
    } else {
      // Enclosing box, each side clamped at 0 as torchvision does.
      const V cw = Ops::max(Ops::max(a.x2, b.x2) - Ops::min(a.x1, b.x1), c.zero);
      const V ch = Ops::max(Ops::max(a.y2, b.y2) - Ops::min(a.y1, b.y1), c.zero);
      if constexpr (K == IouKind::giou) {
        const V enclosing = cw * ch;
        return iou - Ops::select(enclosing == c.zero, c.penalty_degenerate, (enclosing - uni) / enclosing);
      } else {
        const V diagonal = ((cw * cw) + (ch * ch)) + c.eps;
        const V dx = a.cx - b.cx, dy = a.cy - b.cy;
        const V centres = (dx * dx) + (dy * dy);
        const V diou = iou - centres / diagonal;
        if constexpr (K == IouKind::diou) {
          return diou;
        } else {
          const V d = a.atan_wh - b.atan_wh;
          const V v = c.ciou_k * (d * d);
          const V alpha = v / (((c.one - iou) + v) + c.eps);
          return diou - alpha * v;
        }
      }
    }
  }
}

}  // namespace detail
}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
