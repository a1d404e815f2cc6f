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
#include "../simd/dispatch.hpp"
#include "iou_family.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {

/// Which loss box_loss computes.
enum class BoxLossKind : int { iou = 0, giou = 1, diou = 2, ciou = 3 };

/// Reduction over the pairs, as torchvision's `reduction=` ("none" | "mean" | "sum").
enum class Reduction : int { none = 0, mean = 1, sum = 2 };

namespace detail {

/// Constants of one loss evaluation, as scalars or SIMD batches.
template <class V>
struct LossConstants {
  V zero, half, one, two, deg, pen_deg, iou_eps, alpha_eps, ciou_k;
};

template <class V, class T>
LOCUSKIT_FORCEINLINE LossConstants<V> loss_constants(BoxLossKind kind, T eps, Degenerate degenerate) noexcept {
  const T deg = degenerate_value<T>(degenerate);
  // torchvision's CIoU loss calls the DIoU helper without eps (quirk, see file comment).
  const T iou_eps = kind == BoxLossKind::ciou ? T(1e-7) : eps;
  return LossConstants<V>{V(T(0)), V(T(0.5)), V(T(1)), V(T(2)), V(deg),
                          V(degenerate == Degenerate::nan ? deg : T(0)), V(iou_eps), V(eps), V(T(ciou_k))};
}

/// Scalar operations of the loss formula. Comparisons are turned into numbers (setcc + convert)
/// rather than selects: they are data-dependent coin flips, and GCC compiles float selects to
/// branches that mispredict half the time.
struct LossScalarOps : ScalarOps {
  template <class T>
  static LOCUSKIT_FORCEINLINE T flag(bool b, const T&) noexcept {
    return static_cast<T>(static_cast<int>(b));
  }
  static LOCUSKIT_FORCEINLINE bool both(bool a, bool b) noexcept { return a && b; }
  template <class T>
  static LOCUSKIT_FORCEINLINE T atan(T x) noexcept {
    return std::atan(x);
  }
};

/// Loss of one pair, or of one SIMD batch of pairs, of kind K in torchvision's operation order;
/// with Grad, writes d loss / d pred into grad[0..4). `p`, `g`: the four coordinates of the
/// prediction and the target. `V` is a scalar or an xsimd batch, `Ops` its min/max/select/flag/atan
/// (LossScalarOps, kernel::LossBatchOps), so the scalar oracle and the SIMD kernel are one text.
template <BoxLossKind K, bool Grad, class Ops, class V>
LOCUSKIT_FORCEINLINE V box_loss_pair(const V (&p)[4], const V (&g)[4], const LossConstants<V>& c,
                                     V* grad) noexcept {
  const V x1 = p[0], y1 = p[1], x2 = p[2], y2 = p[3];
  const V x1g = g[0], y1g = g[1], x2g = g[2], y2g = g[3];
  const V one = c.one;
  // Negation as 0 - x: xsimd's AVX-512 negation is a subtraction from 0 (it maps +0 to +0), so
  // writing it the same way on every path keeps the sign of zero gradients identical to the oracle.
  auto neg = [&](const V& x) { return c.zero - x; };
  // d max(p, g) / dp: 1, 1/2 at a tie, 0 otherwise (torch autograd); min likewise.
  auto dmax = [&](const V& a, const V& b) { return Ops::flag(a > b, one) + c.half * Ops::flag(a == b, one); };
  auto dmin = [&](const V& a, const V& b) { return Ops::flag(a < b, one) + c.half * Ops::flag(a == b, one); };

  // Intersection, counted only where both sides are strictly positive (_loss_inter_union).
  const V xi1 = Ops::max(x1, x1g), yi1 = Ops::max(y1, y1g);
  const V xi2 = Ops::min(x2, x2g), yi2 = Ops::min(y2, y2g);
  const auto overlap = Ops::both(yi2 > yi1, xi2 > xi1);
  const V iw = xi2 - xi1, ih = yi2 - yi1;
  const V inter = Ops::select(overlap, iw * ih, c.zero);
  const V w = x2 - x1, h = y2 - y1, wg = x2g - x1g, hg = y2g - y1g;
  const V uni = (w * h + wg * hg) - inter;
  const V den = uni + c.iou_eps;
  const auto iou_degenerate = den == c.zero;
  const V iou = Ops::select(iou_degenerate, c.deg, inter / den);

  // Gradients of inter and iou with respect to (x1, y1, x2, y2) of the prediction.
  V d_inter[4], d_iou[4], d_loss[4];
  const V d_area[4] = {neg(h), neg(w), h, w};
  if constexpr (Grad) {
    // Masked rather than branched on (overlap is a coin flip too); finite inputs, so 0 * x = 0.
    const V ov = Ops::flag(overlap, one);
    d_inter[0] = neg(ih * ov) * dmax(x1, x1g);
    d_inter[1] = neg(iw * ov) * dmax(y1, y1g);
    d_inter[2] = (ih * ov) * dmin(x2, x2g);
    d_inter[3] = (iw * ov) * dmin(y2, y2g);
    // One reciprocal per pair instead of a division per coordinate (the forward value keeps
    // torchvision's division).
    const V inv_den = Ops::select(iou_degenerate, c.zero, one / den);
    for (int k = 0; k < 4; ++k) {
      const V d_uni = d_area[k] - d_inter[k];
      d_iou[k] = Ops::select(iou_degenerate, c.pen_deg, (d_inter[k] - iou * d_uni) * inv_den);
    }
  }

  V loss;
  if constexpr (K == BoxLossKind::iou) {
    loss = one - iou;
    if constexpr (Grad)
      for (int k = 0; k < 4; ++k) d_loss[k] = neg(d_iou[k]);
  } else {
    // Smallest enclosing box (not clamped in the losses).
    const V xc1 = Ops::min(x1, x1g), yc1 = Ops::min(y1, y1g);
    const V xc2 = Ops::max(x2, x2g), yc2 = Ops::max(y2, y2g);
    const V cw = xc2 - xc1, ch = yc2 - yc1;
    // d cw / d pred (x1, x2) and d ch / d pred (y1, y2); the other two are 0.
    V s_x1{}, s_y1{}, s_x2{}, s_y2{};
    if constexpr (Grad) s_x1 = dmin(x1, x1g), s_y1 = dmin(y1, y1g), s_x2 = dmax(x2, x2g), s_y2 = dmax(y2, y2g);
    if constexpr (K == BoxLossKind::giou) {
      const V area_c = cw * ch;
      const V denc = area_c + c.iou_eps;
      const auto pen_degenerate = denc == c.zero;
      const V pen = Ops::select(pen_degenerate, c.pen_deg, (area_c - uni) / denc);
      loss = one - (iou - pen);
      if constexpr (Grad) {
        const V inv_denc = Ops::select(pen_degenerate, c.zero, one / denc);
        const V d_c[4] = {neg(s_x1) * ch, cw * neg(s_y1), s_x2 * ch, cw * s_y2};
        for (int k = 0; k < 4; ++k) {
          const V d_uni = d_area[k] - d_inter[k];
          const V d_pen = Ops::select(pen_degenerate, c.pen_deg, ((d_c[k] - d_uni) - pen * d_c[k]) * inv_denc);
          d_loss[k] = neg(d_iou[k]) + d_pen;
        }
      }
    } else {
      const V diag = ((cw * cw) + (ch * ch)) + c.iou_eps;
      // x * 0.5 is x / 2 bit for bit (both are the correctly rounded half), and cheaper.
      const V xp = (x2 + x1) * c.half, yp = (y2 + y1) * c.half;
      const V xg = (x1g + x2g) * c.half, yg = (y1g + y2g) * c.half;
      const V dx = xp - xg, dy = yp - yg;
      const V centres = (dx * dx) + (dy * dy);
      const auto rho_degenerate = diag == c.zero;
      const V rho = Ops::select(rho_degenerate, c.pen_deg, centres / diag);
      loss = (one - iou) + rho;
      if constexpr (Grad) {
        const V d_centres[4] = {dx, dy, dx, dy};
        const V inv_diag = Ops::select(rho_degenerate, c.zero, one / diag);
        const V d_diag[4] = {c.two * cw * neg(s_x1), c.two * ch * neg(s_y1), c.two * cw * s_x2, c.two * ch * s_y2};
        for (int k = 0; k < 4; ++k) {
          const V d_rho = Ops::select(rho_degenerate, c.pen_deg, (d_centres[k] - rho * d_diag[k]) * inv_diag);
          d_loss[k] = neg(d_iou[k]) + d_rho;
        }
      }
      if constexpr (K == BoxLossKind::ciou) {
        // atan(w / h) per box; a zero-size box (0/0) gives 0, or NaN under Degenerate::nan.
        const V at_p = Ops::select(Ops::both(w == c.zero, h == c.zero), c.pen_deg, Ops::atan(w / h));
        const V at_g = Ops::select(Ops::both(wg == c.zero, hg == c.zero), c.pen_deg, Ops::atan(wg / hg));
        const V diff = at_g - at_p;
        const V v = c.ciou_k * (diff * diff);
        const V alpha = v / (((one - iou) + v) + c.alpha_eps);
        loss = loss + alpha * v;
        if constexpr (Grad) {
          // d atan(w/h)/dw = h / (w^2 + h^2), d/dh = -w / (w^2 + h^2); 0 for a zero-size box.
          const V r2 = w * w + h * h;
          const auto flat = r2 == c.zero;
          const V inv_r2 = Ops::select(flat, c.zero, one / r2);
          const V da_dw = Ops::select(flat, c.pen_deg, h * inv_r2);
          const V da_dh = Ops::select(flat, c.pen_deg, neg(w) * inv_r2);
          const V dv_dat = neg(c.two) * c.ciou_k * diff;  // d v / d atan(w/h) of the prediction
          const V dv[4] = {neg(dv_dat) * da_dw, neg(dv_dat) * da_dh, dv_dat * da_dw, dv_dat * da_dh};
          for (int k = 0; k < 4; ++k) d_loss[k] += alpha * dv[k];
        }
      }
    }
  }
  if constexpr (Grad)
    for (int k = 0; k < 4; ++k) grad[k] = d_loss[k];
  else
    (void)grad;
  return loss;
}

/// Scalar loss of pairs [begin, end): the reference the SIMD kernel is tested against.
template <BoxLossKind K, class T>
void box_loss_range_(const T* pred, const T* target, std::size_t begin, std::size_t end, T* loss, T* grad,
                     T eps, Degenerate degenerate) noexcept {
  const auto c = loss_constants<T>(K, eps, degenerate);
  for (std::size_t i = begin; i < end; ++i) {
    const T* pp = pred + 4 * i;
    const T* gg = target + 4 * i;
    const T p[4] = {pp[0], pp[1], pp[2], pp[3]}, g[4] = {gg[0], gg[1], gg[2], gg[3]};
    if (grad)
      loss[i] = box_loss_pair<K, true, LossScalarOps>(p, g, c, grad + 4 * i);
    else
      loss[i] = box_loss_pair<K, false, LossScalarOps>(p, g, c, static_cast<T*>(nullptr));
  }
}

/// Scalar loss of pairs [begin, end) of a runtime kind.
template <class T>
void box_loss_range_rt_(BoxLossKind kind, const T* pred, const T* target, std::size_t begin, std::size_t end,
                        T* loss, T* grad, T eps, Degenerate degenerate) noexcept {
  switch (kind) {
    case BoxLossKind::giou: box_loss_range_<BoxLossKind::giou>(pred, target, begin, end, loss, grad, eps, degenerate); break;
    case BoxLossKind::diou: box_loss_range_<BoxLossKind::diou>(pred, target, begin, end, loss, grad, eps, degenerate); break;
    case BoxLossKind::ciou: box_loss_range_<BoxLossKind::ciou>(pred, target, begin, end, loss, grad, eps, degenerate); break;
    default: box_loss_range_<BoxLossKind::iou>(pred, target, begin, end, loss, grad, eps, degenerate); break;
  }
}

/// Loss of one pair (runtime kind); writes d loss / d pred into grad[0..4) if grad != null.
template <class T>
T box_loss_one(BoxLossKind kind, const T* p, const T* g, T eps, Degenerate degenerate, T* grad) noexcept {
  T loss = T(0);
  box_loss_range_rt_(kind, p, g, 0, 1, &loss, grad, eps, degenerate);
  return loss;
}

}  // namespace detail

namespace kernel {

/// Loss-formula operations on xsimd batches: the IoU family's min/max/select plus what the
/// gradients need (Arch-templated, so nothing leaks between arch TUs).
template <class Arch>
struct LossBatchOps : BatchOps<Arch> {
  template <class C, class B>
  static LOCUSKIT_FORCEINLINE B flag(const C& c, const B& one) noexcept {
    return xsimd::select(c, one, B(typename B::value_type(0)));
  }
  template <class C>
  static LOCUSKIT_FORCEINLINE C both(const C& a, const C& b) noexcept { return a & b; }
  template <class B>
  static LOCUSKIT_FORCEINLINE B atan(const B& x) noexcept { return xsimd::atan(x); }
};

/// Loss (and, if grad is not null, d loss / d pred) of n aligned pairs, SIMD over pairs: tiles of
/// pairs are transposed to structure-of-arrays on the stack, the last partial batch padded with a
/// copy of a real pair (computed, not written), so every pair takes the same SIMD path.
struct box_loss_pairs {
  template <class Arch, class T>
  void operator()(Arch, BoxLossKind kind, const T* pred, const T* target, std::size_t n, T* loss, T* grad,
                  T eps, Degenerate degenerate) const noexcept;
};

/// Pairs per tile (8 input + 5 output SoA arrays on the stack: 26 KiB in double).
inline constexpr std::size_t box_loss_tile = 256;

template <BoxLossKind K, bool Grad, class Arch, class T>
LOCUSKIT_FORCEINLINE void box_loss_tile_(const T* pred, const T* target, std::size_t count, T* loss, T* grad,
                                         const detail::LossConstants<xsimd::batch<T, Arch>>& cv) noexcept {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  alignas(64) T in[8][box_loss_tile];
  alignas(64) T out[5][box_loss_tile];
  const std::size_t padded = (count + W - 1) / W * W;
  for (std::size_t i = 0; i < padded; ++i) {
    const std::size_t s = i < count ? i : 0;
    for (int k = 0; k < 4; ++k) {
      in[k][i] = pred[4 * s + k];
      in[4 + k][i] = target[4 * s + k];
    }
  }
  for (std::size_t i = 0; i < padded; i += W) {
    const batch p[4] = {batch::load_aligned(in[0] + i), batch::load_aligned(in[1] + i),
                        batch::load_aligned(in[2] + i), batch::load_aligned(in[3] + i)};
    const batch g[4] = {batch::load_aligned(in[4] + i), batch::load_aligned(in[5] + i),
                        batch::load_aligned(in[6] + i), batch::load_aligned(in[7] + i)};
    batch d[4];
    detail::box_loss_pair<K, Grad, LossBatchOps<Arch>>(p, g, cv, d).store_aligned(out[4] + i);
    if constexpr (Grad)
      for (int k = 0; k < 4; ++k) d[k].store_aligned(out[k] + i);
  }
  for (std::size_t i = 0; i < count; ++i) loss[i] = out[4][i];
  if constexpr (Grad)
    for (std::size_t i = 0; i < count; ++i)
      for (int k = 0; k < 4; ++k) grad[4 * i + k] = out[k][i];
}

template <BoxLossKind K, class Arch, class T>
void box_loss_pairs_(const T* pred, const T* target, std::size_t n, T* loss, T* grad, T eps,
                     Degenerate degenerate) noexcept {
  const auto cv = detail::loss_constants<xsimd::batch<T, Arch>>(K, eps, degenerate);
  for (std::size_t i0 = 0; i0 < n; i0 += box_loss_tile) {
    const std::size_t count = (n - i0) < box_loss_tile ? (n - i0) : box_loss_tile;
    if (grad)
      box_loss_tile_<K, true, Arch>(pred + 4 * i0, target + 4 * i0, count, loss + i0, grad + 4 * i0, cv);
    else
      box_loss_tile_<K, false, Arch>(pred + 4 * i0, target + 4 * i0, count, loss + i0, grad, cv);
  }
}

template <class Arch, class T>
void box_loss_pairs::operator()(Arch, BoxLossKind kind, const T* pred, const T* target, std::size_t n, T* loss,
                                T* grad, T eps, Degenerate degenerate) const noexcept {
  switch (kind) {
    case BoxLossKind::giou: box_loss_pairs_<BoxLossKind::giou, Arch>(pred, target, n, loss, grad, eps, degenerate); break;
    case BoxLossKind::diou: box_loss_pairs_<BoxLossKind::diou, Arch>(pred, target, n, loss, grad, eps, degenerate); break;
    case BoxLossKind::ciou: box_loss_pairs_<BoxLossKind::ciou, Arch>(pred, target, n, loss, grad, eps, degenerate); break;
    default: box_loss_pairs_<BoxLossKind::iou, Arch>(pred, target, n, loss, grad, eps, degenerate); break;
  }
}

#define LOCUSKIT_BOX_LOSS_INSTANCES(EXTERN, Arch)                                                   \
  EXTERN template void kernel::box_loss_pairs::operator()<Arch, float>(                              \
      Arch, BoxLossKind, const float*, const float*, std::size_t, float*, float*, float, Degenerate) \
      const noexcept;                                                                                \
  EXTERN template void kernel::box_loss_pairs::operator()<Arch, double>(                             \
      Arch, BoxLossKind, const double*, const double*, std::size_t, double*, double*, double,        \
      Degenerate) const noexcept;

}  // namespace kernel

LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_BOX_LOSS_INSTANCES)

/// Loss of n aligned pairs: `loss[i] = L(pred[i], target[i])`, both (n, 4) xyxy, and, if `grad`
/// is not null, `grad[4i..4i+4) = d loss[i] / d pred[i]` (an (n, 4) array: the gradient of
/// `sum(loss)` with respect to `pred`; scale by 1/n for a mean).
///
/// Matches torchvision 0.14's loss functions (see the file comment for the CIoU eps quirk) and
/// torch autograd of them: IoU/GIoU/DIoU values bit for bit; CIoU within a few ulps (its atan is
/// xsimd's vectorised one, torchvision's SLEEF's). `eps` (default 1e-7, torchvision's) guards every
/// division, so 0/0 arises only with `eps = 0`, and in CIoU's atan(w/h) for a zero-size box: those
/// follow `degenerate` (0 by default, NaN for torchvision's arithmetic), their gradients 0 (or NaN).
/// Not validated. O(n), SIMD over pairs (runtime dispatch), no heap allocation; `par.threads > 1`
/// splits pairs, identical results. Thread-safe.
template <class T>
void box_loss(BoxLossKind kind, const T* pred, const T* target, std::size_t n, T* loss, T* grad = nullptr,
              T eps = T(1e-7), Degenerate degenerate = Degenerate::zero, Parallel par = {}) {
  parallel_for(n, 8192, par, [&](std::size_t begin, std::size_t end) {
    simd::dispatch(kernel::box_loss_pairs{}, kind, pred + 4 * begin, target + 4 * begin, end - begin,
                   loss + begin, grad ? grad + 4 * begin : grad, eps, degenerate);
  });
}

namespace reference {
/// Scalar oracle of box_loss (same formula text, std::atan).
template <class T>
void box_loss(BoxLossKind kind, const T* pred, const T* target, std::size_t n, T* loss, T* grad = nullptr,
              T eps = T(1e-7), Degenerate degenerate = Degenerate::zero) {
  detail::box_loss_range_rt_(kind, pred, target, 0, n, loss, grad, eps, degenerate);
}
}  // namespace reference

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

LOCUSKIT_SIMD_WARNINGS_END
