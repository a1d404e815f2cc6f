#pragma once
/// \file coder/delta_xywh.hpp
/// Faster R-CNN box deltas (dx, dy, dw, dh): torchvision `BoxCoder` ≡ detectron2
/// `Box2BoxTransform` (weights, scale_clamp on the upper side), SSD variances, and mmdet
/// `DeltaXYWHBBoxCoder` (means/stds, symmetric clamp, centre clamp, max_shape clip).
///
/// Formulas are written in the peers' evaluation order, because that order decides float rounding;
/// `exp`/`log` come from the C library, whose float results may differ from torch's vectorised ones
/// by an ulp.
#include <cmath>
#include <atomic>
#include <cstddef>
#include <stdexcept>

#include "../error.hpp"
#include "../parallel.hpp"
#include "../config.hpp"
#include "../simd/dispatch.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {

/// `log(1000/16)`: torchvision's `bbox_xform_clip` and detectron2's `_DEFAULT_SCALE_CLAMP`.
inline constexpr double default_scale_clamp = 4.135166556742356;

/// Weights (wx, wy, ww, wh) of a torchvision/detectron2 coder. RPN/RetinaNet: (1, 1, 1, 1);
/// Fast R-CNN heads: (10, 10, 5, 5). SSD variances (v_c, v_s) are weights (1/v_c, 1/v_c, 1/v_s, 1/v_s),
/// which is how torchvision's SSD writes them.
struct DeltaWeights {
  double wx = 1, wy = 1, ww = 1, wh = 1;
  static DeltaWeights ssd_variances(double center_variance = 0.1, double size_variance = 0.2) {
    return {1.0 / center_variance, 1.0 / center_variance, 1.0 / size_variance, 1.0 / size_variance};
  }
};

namespace detail {
inline void check_weights(const DeltaWeights& w) {
  LOCUSKIT_CHECK(std::isfinite(w.wx) && std::isfinite(w.wy) && std::isfinite(w.ww) && std::isfinite(w.wh) &&
                     w.wx > 0 && w.wy > 0 && w.ww > 0 && w.wh > 0,
                 std::invalid_argument, "weights must be finite and positive, got (", w.wx, ", ", w.wy, ", ",
                 w.ww, ", ", w.wh, ")");
}
}  // namespace detail

namespace kernel {
/// Boxes per SoA tile of the decode kernel (8 stack arrays of this many scalars).
inline constexpr std::size_t box_decode_tile = 256;

/// torchvision/detectron2 decode of `items = n·k` rows (row q uses anchor q / k). `prm` holds
/// (wx, wy, ww, wh, scale_clamp) in T. Returns false if any anchor coordinate is inf/NaN (a
/// validation that costs nothing while the anchors stream through). Rows are gathered into SoA tiles, computed with SIMD
/// (xsimd's exp, within 2 ulps of the C library's) and scattered back, so `out` may alias `deltas`.
struct box_coder_decode {
  template <class Arch, class T>
  bool operator()(Arch, const T* deltas, const T* anchors, std::size_t n, std::size_t k, T* out,
                  const T* prm) const noexcept;
};
}  // namespace kernel

/// torchvision `BoxCoder.encode_single(reference_boxes=gt, proposals=anchors)` / detectron2
/// `Box2BoxTransform.get_deltas(src=anchors, target=gt)`: for each i, with `w = x2 − x1`,
/// `cx = x1 + 0.5·w` (both boxes): `dx = (wx·(gcx − cx))/w`, `dw = ww·log(gw/w)`.
/// `anchors`, `gt` (n, 4) xyxy; `deltas` (n, 4). Zero-size anchors give inf/NaN, as the peers.
/// O(n). Thread-safe.
template <class T>
void box_coder_encode(const T* anchors, const T* gt, std::size_t n, T* deltas, DeltaWeights weights = {},
                      Parallel par = {}) {
  detail::check_weights(weights);
  const T wx = static_cast<T>(weights.wx), wy = static_cast<T>(weights.wy), ww = static_cast<T>(weights.ww),
          wh = static_cast<T>(weights.wh);
  parallel_for(n, 16384, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const T* a = anchors + 4 * i;
      const T* g = gt + 4 * i;
      const T aw = a[2] - a[0], ah = a[3] - a[1];
      const T acx = a[0] + T(0.5) * aw, acy = a[1] + T(0.5) * ah;
      const T gw = g[2] - g[0], gh = g[3] - g[1];
      const T gcx = g[0] + T(0.5) * gw, gcy = g[1] + T(0.5) * gh;
      T* d = deltas + 4 * i;
      d[0] = wx * (gcx - acx) / aw;
      d[1] = wy * (gcy - acy) / ah;
      d[2] = ww * std::log(gw / aw);
      d[3] = wh * std::log(gh / ah);
    }
  });
}

/// torchvision `BoxCoder.decode_single` / detectron2 `Box2BoxTransform.apply_deltas`: `deltas`
/// (n, 4k) (k boxes per anchor, e.g. one per class), `anchors` (n, 4) xyxy, `out` (n, 4k) xyxy.
/// `dx = d/wx`, `dw = min(d/ww, scale_clamp)` (upper side only), `pcx = dx·w + cx`,
/// `pw = exp(dw)·w`, `x1 = pcx − 0.5·pw`, `x2 = pcx + 0.5·pw`. NaN deltas propagate.
/// Returns true if every anchor coordinate is finite (checked on the fly; a non-finite anchor
/// gives non-finite boxes, as in torchvision, and the Python binding raises). SIMD (runtime
/// dispatch); xsimd's `exp` is within a few ulps of the C library's (see reference::).
/// O(n·k), memory-bound. Thread-safe; `out` may alias `deltas`.
template <class T>
bool box_coder_decode(const T* deltas, const T* anchors, std::size_t n, std::size_t k, T* out,
                      DeltaWeights weights = {}, double scale_clamp = default_scale_clamp, Parallel par = {}) {
  detail::check_weights(weights);
  LOCUSKIT_CHECK(!std::isnan(scale_clamp), std::invalid_argument, "scale_clamp must not be NaN");
  if (k == 0) return true;
  const T prm[5] = {static_cast<T>(weights.wx), static_cast<T>(weights.wy), static_cast<T>(weights.ww),
                    static_cast<T>(weights.wh), static_cast<T>(scale_clamp)};
  std::atomic<bool> finite{true};
  parallel_for(n, 16384, par, [&](std::size_t b, std::size_t e) {
    if (!simd::dispatch(kernel::box_coder_decode{}, deltas + 4 * k * b, anchors + 4 * b, e - b, k,
                        out + 4 * k * b, static_cast<const T*>(prm)))
      finite.store(false);
  });
  return finite.load();
}

namespace reference {
/// Scalar oracle for box_coder_decode (C library exp; same operation order).
template <class T>
void box_coder_decode(const T* deltas, const T* anchors, std::size_t n, std::size_t k, T* out,
                      DeltaWeights weights = {}, double scale_clamp = default_scale_clamp) noexcept {
  const T wx = static_cast<T>(weights.wx), wy = static_cast<T>(weights.wy), ww = static_cast<T>(weights.ww),
          wh = static_cast<T>(weights.wh), clamp = static_cast<T>(scale_clamp);
  for (std::size_t i = 0; i < n; ++i) {
    const T* a = anchors + 4 * i;
    const T w = a[2] - a[0], h = a[3] - a[1];
    const T cx = a[0] + T(0.5) * w, cy = a[1] + T(0.5) * h;
    for (std::size_t c = 0; c < k; ++c) {
      const T* d = deltas + 4 * (i * k + c);
      const T dx = d[0] / wx, dy = d[1] / wy;
      T dw = d[2] / ww, dh = d[3] / wh;
      dw = dw > clamp ? clamp : dw;
      dh = dh > clamp ? clamp : dh;
      const T pcx = dx * w + cx, pcy = dy * h + cy;
      const T hw = T(0.5) * (std::exp(dw) * w), hh = T(0.5) * (std::exp(dh) * h);
      T* o = out + 4 * (i * k + c);
      o[0] = pcx - hw;
      o[1] = pcy - hh;
      o[2] = pcx + hw;
      o[3] = pcy + hh;
    }
  }
}
}  // namespace reference

/// mmdet `DeltaXYWHBBoxCoder` parameters.
struct DeltaXYWHParams {
  double means[4] = {0, 0, 0, 0};
  double stds[4] = {1, 1, 1, 1};
  double wh_ratio_clip = 16.0 / 1000.0;  ///< dw, dh clamped to ±|log(wh_ratio_clip)|
  bool add_ctr_clamp = false;            ///< YOLOF: clamp the centre shift to ±ctr_clamp px (dw upper side only)
  double ctr_clamp = 32;
  bool clip = false;                     ///< clip to the image (max_shape)
  double image_h = 0, image_w = 0;       ///< max_shape = (h, w) when clip
};

namespace detail {
inline void check_mmdet_params(const DeltaXYWHParams& p) {
  for (int c = 0; c < 4; ++c) {
    LOCUSKIT_CHECK(std::isfinite(p.means[c]), std::invalid_argument, "means must be finite");
    LOCUSKIT_CHECK(std::isfinite(p.stds[c]) && p.stds[c] > 0, std::invalid_argument,
                   "stds must be finite and positive, got ", p.stds[c]);
  }
  LOCUSKIT_CHECK(p.wh_ratio_clip > 0, std::invalid_argument, "wh_ratio_clip must be positive");
  LOCUSKIT_CHECK(!p.clip || (p.image_h > 0 && p.image_w > 0), std::invalid_argument,
                 "clipping needs a positive image size (max_shape), got (", p.image_h, ", ", p.image_w, ")");
}
}  // namespace detail

/// mmdet `bbox2delta(proposals=anchors, gt, means, stds)`: centres `(x1 + x2)·0.5`,
/// `dx = (gx − px)/pw`, `dw = log(gw/pw)`, then `(d − mean)/std`. (n, 4) each. Thread-safe.
template <class T>
void delta_xywh_encode(const T* anchors, const T* gt, std::size_t n, T* deltas, const DeltaXYWHParams& p = {},
                       Parallel par = {}) {
  detail::check_mmdet_params(p);
  T mean[4], std_[4];
  for (int c = 0; c < 4; ++c) mean[c] = static_cast<T>(p.means[c]), std_[c] = static_cast<T>(p.stds[c]);
  parallel_for(n, 16384, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const T* a = anchors + 4 * i;
      const T* g = gt + 4 * i;
      const T px = (a[0] + a[2]) * T(0.5), py = (a[1] + a[3]) * T(0.5), pw = a[2] - a[0], ph = a[3] - a[1];
      const T gx = (g[0] + g[2]) * T(0.5), gy = (g[1] + g[3]) * T(0.5), gw = g[2] - g[0], gh = g[3] - g[1];
      const T d[4] = {(gx - px) / pw, (gy - py) / ph, std::log(gw / pw), std::log(gh / ph)};
      for (int c = 0; c < 4; ++c) deltas[4 * i + c] = (d[c] - mean[c]) / std_[c];
    }
  });
}

/// mmdet `delta2bbox` (mmdet ≥ 2.18): `d = delta·std + mean`; `pxy = (x1y1 + x2y2)·0.5`,
/// `pwh = x2y2 − x1y1`; `dxy_wh = pwh·dxy` (clamped to ±ctr_clamp if add_ctr_clamp);
/// `dwh` clamped to `[−r, r]` with `r = |log(wh_ratio_clip)|` (upper side only with
/// add_ctr_clamp); `gxy = pxy + dxy_wh`, `gwh = pwh·exp(dwh)`, corners `gxy ∓ gwh·0.5`; then x
/// clipped to [0, W], y to [0, H] if `clip`. `deltas` (n, 4k), `anchors` (n, 4), `out` (n, 4k).
template <class T>
void delta_xywh_decode(const T* deltas, const T* anchors, std::size_t n, std::size_t k, T* out,
                       const DeltaXYWHParams& p = {}, Parallel par = {}) {
  detail::check_mmdet_params(p);
  T mean[4], std_[4];
  for (int c = 0; c < 4; ++c) mean[c] = static_cast<T>(p.means[c]), std_[c] = static_cast<T>(p.stds[c]);
  const T max_ratio = static_cast<T>(std::fabs(std::log(p.wh_ratio_clip)));
  const T ctr = static_cast<T>(p.ctr_clamp);
  const T H = static_cast<T>(p.image_h), W = static_cast<T>(p.image_w);
  parallel_for(n, 16384, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const T* a = anchors + 4 * i;
      const T px = (a[0] + a[2]) * T(0.5), py = (a[1] + a[3]) * T(0.5), pw = a[2] - a[0], ph = a[3] - a[1];
      for (std::size_t c = 0; c < k; ++c) {
        const T* d = deltas + 4 * (i * k + c);
        const T dx = d[0] * std_[0] + mean[0], dy = d[1] * std_[1] + mean[1];
        T dw = d[2] * std_[2] + mean[2], dh = d[3] * std_[3] + mean[3];
        T sx = pw * dx, sy = ph * dy;
        if (p.add_ctr_clamp) {
          sx = sx > ctr ? ctr : (sx < -ctr ? -ctr : sx);
          sy = sy > ctr ? ctr : (sy < -ctr ? -ctr : sy);
          dw = dw > max_ratio ? max_ratio : dw;
          dh = dh > max_ratio ? max_ratio : dh;
        } else {
          dw = dw > max_ratio ? max_ratio : (dw < -max_ratio ? -max_ratio : dw);
          dh = dh > max_ratio ? max_ratio : (dh < -max_ratio ? -max_ratio : dh);
        }
        const T gx = px + sx, gy = py + sy;
        const T gw = pw * std::exp(dw), gh = ph * std::exp(dh);
        T o[4] = {gx - gw * T(0.5), gy - gh * T(0.5), gx + gw * T(0.5), gy + gh * T(0.5)};
        if (p.clip) {
          for (int q = 0; q < 4; q += 2) o[q] = o[q] < T(0) ? T(0) : (o[q] > W ? W : o[q]);
          for (int q = 1; q < 4; q += 2) o[q] = o[q] < T(0) ? T(0) : (o[q] > H ? H : o[q]);
        }
        for (int q = 0; q < 4; ++q) out[4 * (i * k + c) + q] = o[q];
      }
    }
  });
}

// ------------------------------------------------------------------------------------------------

namespace kernel {
// Lane patterns inside each group of four lanes (one xyxy box): (0,1,0,1) and (2,3,2,3).
struct lanes_lo2_ {
  static constexpr unsigned get(unsigned i, unsigned) { return (i & ~3u) | (i & 1u); }
};
struct lanes_hi2_ {
  static constexpr unsigned get(unsigned i, unsigned) { return (i & ~3u) | 2u | (i & 1u); }
};
template <class B>
LOCUSKIT_FORCEINLINE auto all_true_() noexcept {
  return B(typename B::value_type(0)) == B(typename B::value_type(0));
}

/// k == 1 decode straight on the interleaved (n, 4) rows, W/4 boxes per batch: lane swizzles give
/// [w h w h] and [cx cy cx cy] from [x1 y1 x2 y2] with the scalar formula's operations, so the
/// result equals the tiled path's bit for bit.
// exp without undefined behaviour: xsimd's exp converts round(x / ln 2) to an integer with a
// scalar cast where the arch has no native double -> int64 conversion (SSE2/AVX2), which is UB for
// NaN and +-inf (found by tests/fuzz/fuzz_coder under UBSan). exp has saturated to 0 / inf well
// inside [-1000, 1000], so clamping the argument changes no result; NaN passes through.
template <class B>
LOCUSKIT_FORCEINLINE B exp_defined_(const B& x) noexcept {
  using T = typename B::value_type;
  const auto is_nan = xsimd::isnan(x);  // not x != x: xsimd's AVX-512 != is an ordered compare
  const B bounded = xsimd::select(is_nan, B(T(0)), xsimd::min(xsimd::max(x, B(T(-1000))), B(T(1000))));
  return xsimd::select(is_nan, x, xsimd::exp(bounded));
}

template <class Arch, class T>
LOCUSKIT_FORCEINLINE bool decode_aos_(const T* deltas, const T* anchors, std::size_t n, T* out, const T* prm) noexcept {
  using batch = xsimd::batch<T, Arch>;
  using ibatch = xsimd::batch<xsimd::as_unsigned_integer_t<T>, Arch>;
  constexpr std::size_t W = batch::size;
  constexpr auto lo2 = xsimd::make_batch_constant<ibatch, lanes_lo2_>();
  constexpr auto hi2 = xsimd::make_batch_constant<ibatch, lanes_hi2_>();
  alignas(64) T wv[W], lo_lane[W];
  for (std::size_t l = 0; l < W; ++l) wv[l] = prm[l % 4], lo_lane[l] = (l % 4) < 2 ? T(1) : T(0);
  const batch weights = batch::load_aligned(wv), clamp(prm[4]), half(T(0.5));
  bool pow2 = true;
  for (int c = 0; c < 4; ++c) {
    int e = 0;
    pow2 = pow2 && std::frexp(prm[c], &e) == T(0.5);
  }
  alignas(64) T iv[W];
  for (std::size_t l = 0; l < W; ++l) iv[l] = T(1) / wv[l];
  const batch inv_weights = batch::load_aligned(iv);
  const auto is_lo = batch::load_aligned(lo_lane) != batch(T(0));
  auto finite = all_true_<batch>();
  auto step = [&](const T* d, const T* a, T* o) {
    const batch A = batch::load_unaligned(a), D = batch::load_unaligned(d);
    finite = finite && ((A - A) == batch(T(0)));  // x − x is NaN for inf/NaN
    const batch a_lo = xsimd::swizzle(A, lo2), a_hi = xsimd::swizzle(A, hi2);
    const batch wh = a_hi - a_lo;           // [w h w h]
    const batch ctr = a_lo + half * wh;     // [cx cy cx cy]
    // Dividing by a power of two equals multiplying by its reciprocal exactly (both are the
    // correctly rounded d·2^-k), and multiplication is several times cheaper.
    const batch dd = pow2 ? D * inv_weights : D / weights;
    batch dwh = xsimd::swizzle(dd, hi2);
    dwh = xsimd::select(dwh > clamp, clamp, dwh);
    const batch pc = xsimd::swizzle(dd, lo2) * wh + ctr;
    const batch hh = half * (exp_defined_(dwh) * wh);
    xsimd::select(is_lo, pc - hh, pc + hh).store_unaligned(o);
  };
  const std::size_t total = 4 * n;
  std::size_t j = 0;
  for (; j + W <= total; j += W) step(deltas + j, anchors + j, out + j);
  if (j < total) {  // the last boxes through the same vector code, zero-padded
    alignas(64) T d[W] = {}, a[W] = {}, o[W];
    for (std::size_t q = j; q < total; ++q) d[q - j] = deltas[q], a[q - j] = anchors[q];
    step(d, a, o);
    for (std::size_t q = j; q < total; ++q) out[q] = o[q - j];
  }
  return xsimd::all(finite);
}
}  // namespace kernel

template <class Arch, class T>
bool kernel::box_coder_decode::operator()(Arch, const T* deltas, const T* anchors, std::size_t n, std::size_t k,
                                          T* out, const T* prm) const noexcept {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  if constexpr (W >= 4 && W % 4 == 0) {
    if (k == 1) return decode_aos_<Arch>(deltas, anchors, n, out, prm);
  }
  constexpr std::size_t tile = box_decode_tile;
  alignas(64) T dx[tile], dy[tile], dw[tile], dh[tile], aw[tile], ah[tile], acx[tile], acy[tile];
  const batch wx(prm[0]), wy(prm[1]), ww(prm[2]), wh(prm[3]), clamp(prm[4]), half(T(0.5));
  const std::size_t items = n * k;
  bool finite = true;
  for (std::size_t i = 0; i < 4 * n; ++i) finite = finite && (anchors[i] - anchors[i]) == T(0);
  for (std::size_t q0 = 0; q0 < items; q0 += tile) {
    const std::size_t cnt = items - q0 < tile ? items - q0 : tile;
    // Row q0 + r uses anchor (q0 + r) / k: walk (anchor, class) counters instead of dividing.
    std::size_t ai = q0 / k, ci = q0 % k;
    for (std::size_t r = 0; r < cnt; ++r) {
      const T* d = deltas + 4 * (q0 + r);
      const T* a = anchors + 4 * ai;
      dx[r] = d[0], dy[r] = d[1], dw[r] = d[2], dh[r] = d[3];
      aw[r] = a[2] - a[0];
      ah[r] = a[3] - a[1];
      acx[r] = a[0] + T(0.5) * aw[r];
      acy[r] = a[1] + T(0.5) * ah[r];
      if (++ci == k) ci = 0, ++ai;
    }
    // Pad to whole batches so every row takes the same (vector) path.
    const std::size_t padded = (cnt + W - 1) / W * W;
    for (std::size_t r = cnt; r < padded; ++r) dx[r] = dy[r] = dw[r] = dh[r] = aw[r] = ah[r] = acx[r] = acy[r] = T(0);
    for (std::size_t r = 0; r < padded; r += W) {
      const batch w = batch::load_aligned(aw + r), h = batch::load_aligned(ah + r);
      const batch pcx = (batch::load_aligned(dx + r) / wx) * w + batch::load_aligned(acx + r);
      const batch pcy = (batch::load_aligned(dy + r) / wy) * h + batch::load_aligned(acy + r);
      batch sw = batch::load_aligned(dw + r) / ww, sh = batch::load_aligned(dh + r) / wh;
      sw = xsimd::select(sw > clamp, clamp, sw);
      sh = xsimd::select(sh > clamp, clamp, sh);
      const batch hw = half * (exp_defined_(sw) * w), hh = half * (exp_defined_(sh) * h);
      (pcx - hw).store_aligned(dx + r);
      (pcy - hh).store_aligned(dy + r);
      (pcx + hw).store_aligned(dw + r);
      (pcy + hh).store_aligned(dh + r);
    }
    for (std::size_t r = 0; r < cnt; ++r) {
      T* o = out + 4 * (q0 + r);
      o[0] = dx[r], o[1] = dy[r], o[2] = dw[r], o[3] = dh[r];
    }
  }
  return finite;
}

#define LOCUSKIT_BOX_CODER_DECODE_INSTANCES(EXTERN, Arch)                                               \
  EXTERN template bool kernel::box_coder_decode::operator()<Arch, float>(                                \
      Arch, const float*, const float*, std::size_t, std::size_t, float*, const float*) const noexcept;   \
  EXTERN template bool kernel::box_coder_decode::operator()<Arch, double>(                               \
      Arch, const double*, const double*, std::size_t, std::size_t, double*, const double*) const noexcept;
LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_BOX_CODER_DECODE_INSTANCES)

}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
