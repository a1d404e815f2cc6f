#pragma once
/// \file box/iou_family.hpp
/// Pairwise GIoU, DIoU, CIoU and IoA of two sets of xyxy boxes (torchvision's
/// `generalized_box_iou`, `distance_box_iou`, `complete_box_iou`; IoA has no torchvision peer),
/// SIMD over the second set. Plain IoU lives in box/iou.hpp.
///
/// Degenerate pairs: every 0/0 ratio takes a defined value chosen by `Degenerate`
/// (see docs/box.md): the IoU term (union 0) and IoA (area of the first box 0) become the policy's
/// value (0, NaN or 1); GIoU's penalty (C-U)/C with an empty enclosing box and CIoU's atan(0/0)
/// (a zero-size box) become 0, or NaN under `Degenerate::nan` (torchvision's arithmetic).
#include <cmath>
#include <cstddef>
#include <vector>

#include "../detail/box/pair_formula.hpp"
#include "../parallel.hpp"
#include "../simd/dispatch.hpp"
#include "geometry.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {

namespace detail {

/// CIoU's per-box aspect term `atan(w / h)`; a zero-size box (0/0) gives 0, or NaN under
/// `Degenerate::nan`. Computed once per box with std::atan (arch-neutral code).
template <class T>
T atan_aspect(const T* box, Degenerate degenerate) noexcept {
  const T w = box[2] - box[0], h = box[3] - box[1];
  if (w == T(0) && h == T(0)) return degenerate == Degenerate::nan ? degenerate_value<T>(degenerate) : T(0);
  return std::atan(w / h);
}

template <class T>
std::vector<T> atan_aspects(const T* boxes, std::size_t n, Degenerate degenerate) {
  std::vector<T> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = atan_aspect(boxes + 4 * i, degenerate);
  return out;
}

/// Scalar BoxTerms of one xyxy box (centre `(x1 + x2) / 2` as torchvision).
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE BoxTerms<T> box_terms(const T* b, T atan_wh) noexcept {
  return BoxTerms<T>{b[0], b[1], b[2], b[3], geometry::area(b[0], b[1], b[2], b[3]),
                     (b[0] + b[2]) / T(2), (b[1] + b[3]) / T(2), atan_wh};
}

template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE PairConstants<T> pair_constants(Degenerate degenerate, T eps) noexcept {
  const T penalty = degenerate == Degenerate::nan ? degenerate_value<T>(degenerate) : T(0);
  return PairConstants<T>{T(0), T(1), degenerate_value<T>(degenerate), penalty, eps, T(ciou_k)};
}

/// Scalar value of metric `kind` for one pair (runtime kind; used by the oracle and aligned ops).
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE T pair_value_rt(IouKind kind, const BoxTerms<T>& a,
                                                          const BoxTerms<T>& b,
                                                          const PairConstants<T>& c) noexcept {
  switch (kind) {
    case IouKind::giou: return pair_value<IouKind::giou, ScalarOps>(a, b, c);
    case IouKind::diou: return pair_value<IouKind::diou, ScalarOps>(a, b, c);
    case IouKind::ciou: return pair_value<IouKind::ciou, ScalarOps>(a, b, c);
    case IouKind::ioa: return pair_value<IouKind::ioa, ScalarOps>(a, b, c);
    default: return pair_value<IouKind::iou, ScalarOps>(a, b, c);
  }
}

}  // namespace detail

namespace kernel {

/// Min/max/select for xsimd batches (Arch-templated, so nothing leaks between arch TUs).
template <class Arch>
struct BatchOps {
  template <class B>
  static LOCUSKIT_FORCEINLINE B min(const B& a, const B& b) noexcept { return xsimd::min(a, b); }
  template <class B>
  static LOCUSKIT_FORCEINLINE B max(const B& a, const B& b) noexcept { return xsimd::max(a, b); }
  template <class C, class B>
  static LOCUSKIT_FORCEINLINE B select(const C& c, const B& a, const B& b) noexcept {
    return xsimd::select(c, a, b);
  }
};

/// out[i * ld_out + j] = metric(boxes_a[i], boxes_b[j]). `atan_a`/`atan_b` are the per-box CIoU
/// aspect terms (read only for `IouKind::ciou`, may be null otherwise).
struct pairwise_iou_family {
  template <class Arch, class T>
  void operator()(Arch, IouKind kind, const T* boxes_a, const T* atan_a, std::size_t n, const T* boxes_b,
                  const T* atan_b, std::size_t m, T* out, std::size_t ld_out, Degenerate degenerate,
                  T eps) const noexcept;
};

/// Columns per tile (8 SoA arrays on the stack: 16 KiB in double).
inline constexpr std::size_t iou_family_tile = 256;

template <IouKind K, class Arch, class T>
LOCUSKIT_FORCEINLINE void pairwise_family_tile_(const T* boxes_a, const T* atan_a, std::size_t n,
                                                const T* const* soa, std::size_t cols, T* out,
                                                std::size_t ld_out,
                                                const detail::PairConstants<T>& cs) noexcept {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const detail::PairConstants<batch> cv{batch(cs.zero),        batch(cs.one), batch(cs.degenerate),
                                        batch(cs.penalty_degenerate), batch(cs.eps), batch(cs.ciou_k)};
  for (std::size_t i = 0; i < n; ++i) {
    const detail::BoxTerms<T> as = detail::box_terms(boxes_a + 4 * i, atan_a ? atan_a[i] : T(0));
    const detail::BoxTerms<batch> av{batch(as.x1),   batch(as.y1), batch(as.x2), batch(as.y2),
                                     batch(as.area), batch(as.cx), batch(as.cy), batch(as.atan_wh)};
    T* row = out + i * ld_out;
    std::size_t j = 0;
    for (; j + W <= cols; j += W) {
      detail::BoxTerms<batch> bv;
      bv.x1 = batch::load_aligned(soa[0] + j);
      bv.y1 = batch::load_aligned(soa[1] + j);
      bv.x2 = batch::load_aligned(soa[2] + j);
      bv.y2 = batch::load_aligned(soa[3] + j);
      bv.area = batch::load_aligned(soa[4] + j);
      if constexpr (K == IouKind::diou || K == IouKind::ciou) {
        bv.cx = batch::load_aligned(soa[5] + j);
        bv.cy = batch::load_aligned(soa[6] + j);
      }
      if constexpr (K == IouKind::ciou) bv.atan_wh = batch::load_aligned(soa[7] + j);
      detail::pair_value<K, BatchOps<Arch>>(av, bv, cv).store_unaligned(row + j);
    }
    for (; j < cols; ++j) {
      const detail::BoxTerms<T> bs{soa[0][j], soa[1][j], soa[2][j], soa[3][j],
                                   soa[4][j], soa[5][j], soa[6][j], soa[7][j]};
      row[j] = detail::pair_value<K, detail::ScalarOps>(as, bs, cs);
    }
  }
}

}  // namespace kernel

/// Pairwise metric `kind` of every pair: `out` (n, m) row-major, `out[i*m + j] = kind(a_i, b_j)`.
///
/// `boxes_a` (n, 4) and `boxes_b` (m, 4) are xyxy. Matches torchvision 0.14 bitwise (float32 and
/// float64) for ordinary boxes: `box_iou`, `generalized_box_iou`, `distance_box_iou(eps)`;
/// `complete_box_iou(eps)` within a few ulp (torchvision's vectorised atan is SLEEF's, locuskit
/// calls std::atan once per box). IoA is `inter / area(a_i)` (area of the FIRST set; detectron2's
/// `pairwise_ioa` divides by the second). 0/0 ratios follow `degenerate` (file comment). Inputs
/// are not validated (box/validate.hpp). O(n*m) time, O(n+m) extra memory for CIoU only;
/// `par.threads > 1` splits rows with identical results. Thread-safe.
template <class T>
void box_iou_family(IouKind kind, const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                    Degenerate degenerate = Degenerate::zero, T eps = T(1e-7), Parallel par = {}) {
  if (n == 0 || m == 0) return;
  std::vector<T> atan_a, atan_b;
  if (kind == IouKind::ciou) {
    atan_a = detail::atan_aspects(boxes_a, n, degenerate);
    atan_b = detail::atan_aspects(boxes_b, m, degenerate);
  }
  const std::size_t grain = (65536 + m - 1) / m;
  parallel_for(n, grain, par, [&](std::size_t begin, std::size_t end) {
    simd::dispatch(kernel::pairwise_iou_family{}, kind, boxes_a + 4 * begin,
                   atan_a.empty() ? nullptr : atan_a.data() + begin, end - begin, boxes_b,
                   atan_b.empty() ? nullptr : atan_b.data(), m, out + begin * m, m, degenerate, eps);
  });
}

/// Pairwise GIoU, (n, m): torchvision `generalized_box_iou`, bitwise. See box_iou_family.
template <class T>
void generalized_box_iou(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                         Degenerate degenerate = Degenerate::zero, Parallel par = {}) {
  box_iou_family(IouKind::giou, boxes_a, n, boxes_b, m, out, degenerate, T(1e-7), par);
}

/// Pairwise DIoU, (n, m): torchvision `distance_box_iou(eps)`, bitwise. See box_iou_family.
template <class T>
void distance_box_iou(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                      Degenerate degenerate = Degenerate::zero, T eps = T(1e-7), Parallel par = {}) {
  box_iou_family(IouKind::diou, boxes_a, n, boxes_b, m, out, degenerate, eps, par);
}

/// Pairwise CIoU, (n, m): torchvision `complete_box_iou(eps)` within a few ulp. See box_iou_family.
template <class T>
void complete_box_iou(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                      Degenerate degenerate = Degenerate::zero, T eps = T(1e-7), Parallel par = {}) {
  box_iou_family(IouKind::ciou, boxes_a, n, boxes_b, m, out, degenerate, eps, par);
}

/// Pairwise intersection over the area of the first box, (n, m). See box_iou_family.
template <class T>
void box_ioa(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
             Degenerate degenerate = Degenerate::zero, Parallel par = {}) {
  box_iou_family(IouKind::ioa, boxes_a, n, boxes_b, m, out, degenerate, T(1e-7), par);
}

namespace reference {
/// Scalar oracle for box_iou_family (plain loops over the same pair formula).
template <class T>
void box_iou_family(IouKind kind, const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                    Degenerate degenerate = Degenerate::zero, T eps = T(1e-7)) {
  const auto cs = detail::pair_constants<T>(degenerate, eps);
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = detail::box_terms(boxes_a + 4 * i,
                                     kind == IouKind::ciou ? detail::atan_aspect(boxes_a + 4 * i, degenerate) : T(0));
    for (std::size_t j = 0; j < m; ++j) {
      const auto b = detail::box_terms(boxes_b + 4 * j,
                                       kind == IouKind::ciou ? detail::atan_aspect(boxes_b + 4 * j, degenerate) : T(0));
      out[i * m + j] = detail::pair_value_rt(kind, a, b, cs);
    }
  }
}
}  // namespace reference

// ------------------------------------------------------------------------------------------------

template <class Arch, class T>
void kernel::pairwise_iou_family::operator()(Arch, IouKind kind, const T* boxes_a, const T* atan_a,
                                             std::size_t n, const T* boxes_b, const T* atan_b,
                                             std::size_t m, T* out, std::size_t ld_out,
                                             Degenerate degenerate, T eps) const noexcept {
  alignas(64) T tile[8][iou_family_tile];
  const T* soa[8] = {tile[0], tile[1], tile[2], tile[3], tile[4], tile[5], tile[6], tile[7]};
  const auto cs = detail::pair_constants<T>(degenerate, eps);
  for (std::size_t col0 = 0; col0 < m; col0 += iou_family_tile) {
    const std::size_t cols = (m - col0) < iou_family_tile ? (m - col0) : iou_family_tile;
    for (std::size_t j = 0; j < cols; ++j) {
      const T* b = boxes_b + 4 * (col0 + j);
      tile[0][j] = b[0];
      tile[1][j] = b[1];
      tile[2][j] = b[2];
      tile[3][j] = b[3];
      tile[4][j] = geometry::area(b[0], b[1], b[2], b[3]);
      tile[5][j] = (b[0] + b[2]) / T(2);
      tile[6][j] = (b[1] + b[3]) / T(2);
      tile[7][j] = atan_b ? atan_b[col0 + j] : T(0);
    }
    T* o = out + col0;
    switch (kind) {
      case IouKind::giou:
        pairwise_family_tile_<IouKind::giou, Arch>(boxes_a, atan_a, n, soa, cols, o, ld_out, cs);
        break;
      case IouKind::diou:
        pairwise_family_tile_<IouKind::diou, Arch>(boxes_a, atan_a, n, soa, cols, o, ld_out, cs);
        break;
      case IouKind::ciou:
        pairwise_family_tile_<IouKind::ciou, Arch>(boxes_a, atan_a, n, soa, cols, o, ld_out, cs);
        break;
      case IouKind::ioa:
        pairwise_family_tile_<IouKind::ioa, Arch>(boxes_a, atan_a, n, soa, cols, o, ld_out, cs);
        break;
      default:
        pairwise_family_tile_<IouKind::iou, Arch>(boxes_a, atan_a, n, soa, cols, o, ld_out, cs);
        break;
    }
  }
}

#define LOCUSKIT_PAIRWISE_IOU_FAMILY_INSTANCES(EXTERN, Arch)                                       \
  EXTERN template void kernel::pairwise_iou_family::operator()<Arch, float>(                        \
      Arch, IouKind, const float*, const float*, std::size_t, const float*, const float*,           \
      std::size_t, float*, std::size_t, Degenerate, float) const noexcept;                          \
  EXTERN template void kernel::pairwise_iou_family::operator()<Arch, double>(                       \
      Arch, IouKind, const double*, const double*, std::size_t, const double*, const double*,       \
      std::size_t, double*, std::size_t, Degenerate, double) const noexcept;
LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_PAIRWISE_IOU_FAMILY_INSTANCES)

}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
