#pragma once
/// \file box/loss.hpp
/// IoU, GIoU, DIoU and CIoU losses of aligned box pairs with analytic gradients with respect to
/// the predicted boxes, so a training loop can use them without autograd.
///
/// Formulas and operation order are torchvision 0.14's `generalized_box_iou_loss`,
/// `distance_box_iou_loss` and `complete_box_iou_loss` (torchvision has no plain IoU loss; ours is
/// `1 - inter / (union + eps)` with the same intersection). Unlike the pairwise metrics, the loss
/// intersection is counted only where both overlaps are strictly positive, the enclosing box is
/// not clamped, and `eps` is added to the union and enclosing area.
///
/// torchvision's CIoU-loss quirk is reproduced: `complete_box_iou_loss(eps)` computes its
/// DIoU/IoU part with the default eps 1e-7 whatever `eps` is given; `eps` only reaches
/// `alpha = v / (1 - iou + v + eps)`. `alpha` is a constant for the gradient (torchvision computes
/// it under no_grad).
///
/// Gradients follow torch autograd's conventions at the kinks: d max(p, g)/dp is 1, 1/2 at a tie,
/// 0 otherwise (min likewise), and nothing flows through the intersection when the boxes do not
/// overlap strictly.
#include <cmath>
#include <cstddef>

#include "../parallel.hpp"
#include "iou_family.hpp"

namespace locuskit {

/// Which loss box_loss computes.
enum class BoxLossKind : int { iou = 0, giou = 1, diou = 2, ciou = 3 };

/// Reduction over the pairs, as torchvision's `reduction=` ("none" | "mean" | "sum").
enum class Reduction : int { none = 0, mean = 1, sum = 2 };

namespace detail {

// Comparisons turned into numbers (setcc + convert) rather than selects: they are data-dependent
// coin flips, and GCC compiles float selects to branches that mispredict half the time.
template <class T>
LOCUSKIT_FORCEINLINE T flag_(bool b) noexcept {
  return static_cast<T>(static_cast<int>(b));
}
template <class T>
LOCUSKIT_FORCEINLINE T dmax_(T p, T g) noexcept {
  return flag_<T>(p > g) + T(0.5) * flag_<T>(p == g);
}
template <class T>
LOCUSKIT_FORCEINLINE T dmin_(T p, T g) noexcept {
  return flag_<T>(p < g) + T(0.5) * flag_<T>(p == g);
}

/// Loss of one pair of kind K (torchvision order); with Grad, writes d loss / d pred into grad[0..4).
template <BoxLossKind K, bool Grad, class T>
LOCUSKIT_FORCEINLINE T box_loss_one_(const T* p, const T* g, T eps, Degenerate degenerate, T* grad) noexcept {
  constexpr BoxLossKind kind = K;
  const T x1 = p[0], y1 = p[1], x2 = p[2], y2 = p[3];
  const T x1g = g[0], y1g = g[1], x2g = g[2], y2g = g[3];
  const T deg = degenerate_value<T>(degenerate);
  const T pen_deg = degenerate == Degenerate::nan ? deg : T(0);
  // torchvision's CIoU loss calls the DIoU helper without eps (quirk, see file comment).
  const T e = kind == BoxLossKind::ciou ? T(1e-7) : eps;

  // Intersection, counted only where both sides are strictly positive (_loss_inter_union).
  const T xi1 = x1 > x1g ? x1 : x1g, yi1 = y1 > y1g ? y1 : y1g;
  const T xi2 = x2 < x2g ? x2 : x2g, yi2 = y2 < y2g ? y2 : y2g;
  const bool overlap = (yi2 > yi1) && (xi2 > xi1);
  const T iw = xi2 - xi1, ih = yi2 - yi1;
  const T inter = overlap ? iw * ih : T(0);
  const T w = x2 - x1, h = y2 - y1, wg = x2g - x1g, hg = y2g - y1g;
  const T uni = (w * h + wg * hg) - inter;
  const T den = uni + e;
  const bool iou_degenerate = den == T(0);
  const T iou = iou_degenerate ? deg : inter / den;

  // Gradients of inter, union and iou with respect to (x1, y1, x2, y2) of the prediction.
  T d_inter[4] = {0, 0, 0, 0}, d_iou[4] = {0, 0, 0, 0}, d_loss[4] = {0, 0, 0, 0};
  constexpr bool want = Grad;
  if constexpr (want) {
    // Masked rather than branched on (overlap is a coin flip too); finite inputs, so 0 * x = 0.
    const T ov = flag_<T>(overlap);
    d_inter[0] = -(ih * ov) * dmax_(x1, x1g);
    d_inter[1] = -(iw * ov) * dmax_(y1, y1g);
    d_inter[2] = (ih * ov) * dmin_(x2, x2g);
    d_inter[3] = (iw * ov) * dmin_(y2, y2g);
    // One reciprocal per pair instead of a division per coordinate (the gradient's speed is
    // bound by divisions; the forward value keeps torchvision's division).
    const T d_area[4] = {-h, -w, h, w};
    const T inv_den = iou_degenerate ? T(0) : T(1) / den;
    for (int k = 0; k < 4; ++k) {
      const T d_uni = d_area[k] - d_inter[k];
      d_iou[k] = iou_degenerate ? (degenerate == Degenerate::nan ? deg : T(0))
                                : (d_inter[k] - iou * d_uni) * inv_den;
    }
  }

  T loss;
  if constexpr (kind == BoxLossKind::iou) {
    loss = T(1) - iou;
    if constexpr (want)
      for (int k = 0; k < 4; ++k) d_loss[k] = -d_iou[k];
  } else {
    // Smallest enclosing box (not clamped in the losses).
    const T xc1 = x1 < x1g ? x1 : x1g, yc1 = y1 < y1g ? y1 : y1g;
    const T xc2 = x2 > x2g ? x2 : x2g, yc2 = y2 > y2g ? y2 : y2g;
    const T cw = xc2 - xc1, ch = yc2 - yc1;
    // d cw / d pred, d ch / d pred.
    const T s_x1 = dmin_(x1, x1g), s_y1 = dmin_(y1, y1g), s_x2 = dmax_(x2, x2g), s_y2 = dmax_(y2, y2g);
    const T d_cw[4] = {-s_x1, T(0), s_x2, T(0)};
    const T d_ch[4] = {T(0), -s_y1, T(0), s_y2};
    if constexpr (kind == BoxLossKind::giou) {
      const T area_c = cw * ch;
      const T denc = area_c + e;
      const bool pen_degenerate = denc == T(0);
      const T pen = pen_degenerate ? pen_deg : (area_c - uni) / denc;
      loss = T(1) - (iou - pen);
      if constexpr (want) {
        const T d_area[4] = {-h, -w, h, w};
        const T inv_denc = pen_degenerate ? T(0) : T(1) / denc;
        for (int k = 0; k < 4; ++k) {
          const T d_c = d_cw[k] * ch + cw * d_ch[k];
          const T d_uni = d_area[k] - d_inter[k];
          const T d_pen = pen_degenerate ? pen_deg : ((d_c - d_uni) - pen * d_c) * inv_denc;
          d_loss[k] = -d_iou[k] + d_pen;
        }
      }
    } else {
      const T diag = ((cw * cw) + (ch * ch)) + e;
      const T xp = (x2 + x1) / T(2), yp = (y2 + y1) / T(2);
      const T xg = (x1g + x2g) / T(2), yg = (y1g + y2g) / T(2);
      const T dx = xp - xg, dy = yp - yg;
      const T centres = (dx * dx) + (dy * dy);
      const bool rho_degenerate = diag == T(0);
      const T rho = rho_degenerate ? pen_deg : centres / diag;
      loss = (T(1) - iou) + rho;
      if constexpr (want) {
        const T d_centres[4] = {dx, dy, dx, dy};
        const T inv_diag = rho_degenerate ? T(0) : T(1) / diag;
        for (int k = 0; k < 4; ++k) {
          const T d_diag = T(2) * cw * d_cw[k] + T(2) * ch * d_ch[k];
          const T d_rho = rho_degenerate ? pen_deg : (d_centres[k] - rho * d_diag) * inv_diag;
          d_loss[k] = -d_iou[k] + d_rho;
        }
      }
      if constexpr (kind == BoxLossKind::ciou) {
        const T k4 = T(ciou_k);
        const T at_p = atan_aspect(p, degenerate), at_g = atan_aspect(g, degenerate);
        const T diff = at_g - at_p;
        const T v = k4 * (diff * diff);
        const T alpha = v / (((T(1) - iou) + v) + eps);
        loss = loss + alpha * v;
        if constexpr (want) {
          // d atan(w/h)/dw = h / (w^2 + h^2), d/dh = -w / (w^2 + h^2); 0 for a zero-size box.
          const T r2 = w * w + h * h;
          const bool flat = r2 == T(0);
          const T inv_r2 = flat ? T(0) : T(1) / r2;
          const T da_dw = flat ? pen_deg : h * inv_r2, da_dh = flat ? pen_deg : -w * inv_r2;
          const T dv_dat = -T(2) * k4 * diff;  // d v / d atan(w/h) of the prediction
          const T dv[4] = {-dv_dat * da_dw, -dv_dat * da_dh, dv_dat * da_dw, dv_dat * da_dh};
          for (int k = 0; k < 4; ++k) d_loss[k] += alpha * dv[k];
        }
      }
    }
  }
  if constexpr (want)
    for (int k = 0; k < 4; ++k) grad[k] = d_loss[k];
  else
    (void)grad;
  return loss;
}

template <BoxLossKind K, class T>
void box_loss_range_(const T* pred, const T* target, std::size_t begin, std::size_t end, T* loss, T* grad,
                     T eps, Degenerate degenerate) noexcept {
  if (grad)
    for (std::size_t i = begin; i < end; ++i)
      loss[i] = box_loss_one_<K, true>(pred + 4 * i, target + 4 * i, eps, degenerate, grad + 4 * i);
  else
    for (std::size_t i = begin; i < end; ++i)
      loss[i] = box_loss_one_<K, false>(pred + 4 * i, target + 4 * i, eps, degenerate, static_cast<T*>(nullptr));
}

/// Loss of one pair (runtime kind); writes d loss / d pred into grad[0..4) if grad != null.
template <class T>
T box_loss_one(BoxLossKind kind, const T* p, const T* g, T eps, Degenerate degenerate, T* grad) noexcept {
  T loss = T(0);
  switch (kind) {
    case BoxLossKind::giou: box_loss_range_<BoxLossKind::giou>(p, g, 0, 1, &loss, grad, eps, degenerate); break;
    case BoxLossKind::diou: box_loss_range_<BoxLossKind::diou>(p, g, 0, 1, &loss, grad, eps, degenerate); break;
    case BoxLossKind::ciou: box_loss_range_<BoxLossKind::ciou>(p, g, 0, 1, &loss, grad, eps, degenerate); break;
    default: box_loss_range_<BoxLossKind::iou>(p, g, 0, 1, &loss, grad, eps, degenerate); break;
  }
  return loss;
}

}  // namespace detail

/// Loss of n aligned pairs: `loss[i] = L(pred[i], target[i])`, both (n, 4) xyxy, and, if `grad`
/// is not null, `grad[4i..4i+4) = d loss[i] / d pred[i]` (an (n, 4) array: the gradient of
/// `sum(loss)` with respect to `pred`; scale by 1/n for a mean).
///
/// Matches torchvision 0.14's loss functions (see the file comment for the CIoU eps quirk) and
/// torch autograd of them. `eps` (default 1e-7, torchvision's) guards every division, so 0/0
/// arises only with `eps = 0`, and in CIoU's atan(w/h) for a zero-size box: those follow
/// `degenerate` (0 by default, NaN for torchvision's arithmetic), their gradients 0 (or NaN).
/// Not validated. O(n), no allocation; `par.threads > 1` splits pairs, identical results.
/// Thread-safe.
template <class T>
void box_loss(BoxLossKind kind, const T* pred, const T* target, std::size_t n, T* loss, T* grad = nullptr,
              T eps = T(1e-7), Degenerate degenerate = Degenerate::zero, Parallel par = {}) {
  parallel_for(n, 8192, par, [&](std::size_t begin, std::size_t end) {
    switch (kind) {
      case BoxLossKind::giou:
        detail::box_loss_range_<BoxLossKind::giou>(pred, target, begin, end, loss, grad, eps, degenerate);
        break;
      case BoxLossKind::diou:
        detail::box_loss_range_<BoxLossKind::diou>(pred, target, begin, end, loss, grad, eps, degenerate);
        break;
      case BoxLossKind::ciou:
        detail::box_loss_range_<BoxLossKind::ciou>(pred, target, begin, end, loss, grad, eps, degenerate);
        break;
      default:
        detail::box_loss_range_<BoxLossKind::iou>(pred, target, begin, end, loss, grad, eps, degenerate);
        break;
    }
  });
}

/// Reduces per-pair losses as torchvision's `reduction`: the sum or mean (accumulated in double,
/// left to right, so independent of threads; mean of nothing is 0). `Reduction::none` is not a
/// reduction: it returns the sum. O(n).
template <class T>
T reduce_loss(const T* loss, std::size_t n, Reduction reduction) noexcept {
  double acc = 0;
  for (std::size_t i = 0; i < n; ++i) acc += static_cast<double>(loss[i]);
  if (reduction == Reduction::mean) return n == 0 ? T(0) : static_cast<T>(acc / static_cast<double>(n));
  return static_cast<T>(acc);
}

}  // namespace locuskit
