#pragma once
#if !defined(LOCUSKIT_DETAIL_NMS_KERNELS_HPP)
#error "include detail/nms/kernels.hpp (it declares the per-architecture instantiations)"
#endif
// The greedy-NMS kernel: boxes already sorted by score and transposed to SoA; each kept box
// suppresses the remaining candidates with one SIMD pass; suppressed boxes are tombstoned and
// compacted away in bulk, so total work ~ kept x alive.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "../../box/geometry.hpp"
#include "../../config.hpp"
#include "../../nms/overlap.hpp"
#include "../../simd/dispatch.hpp"

LOCUSKIT_SIMD_WARNINGS_BEGIN  // see config.hpp
namespace locuskit {

namespace detail {
/// Payload (position in score order) stored beside each SoA box: same width as T, so one SIMD
/// register of payloads matches one register of coordinates.
template <class T>
using nms_pos_t = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
}  // namespace detail

namespace kernel {

/// Bit l set iff lane l of `b` is true.
template <class Arch, class T>
LOCUSKIT_FORCEINLINE unsigned lane_bits(const xsimd::batch_bool<T, Arch>& b) noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    return static_cast<unsigned>(b.data);
  } else if constexpr (std::is_base_of_v<xsimd::avx, Arch>) {
    if constexpr (sizeof(T) == 4) return static_cast<unsigned>(_mm256_movemask_ps(b.data));
    else return static_cast<unsigned>(_mm256_movemask_pd(b.data));
  } else if constexpr (std::is_base_of_v<xsimd::sse2, Arch>) {
    if constexpr (sizeof(T) == 4) return static_cast<unsigned>(_mm_movemask_ps(b.data));
    else return static_cast<unsigned>(_mm_movemask_pd(b.data));
  } else
#endif
  {
    constexpr std::size_t W = xsimd::batch<T, Arch>::size;
    alignas(64) bool lanes[W];
    b.store_unaligned(lanes);
    unsigned bits = 0;
    for (std::size_t l = 0; l < W; ++l) bits |= unsigned(lanes[l]) << l;
    return bits;
  }
}

/// The suppression test `fl(inter / union) > threshold` of AxisAlignedIoU::exceeds for a threshold
/// >= 0, with the division taken only for the rare lanes near the threshold: a lane is decided by
/// two products, `inter > fl(union * sure)` (then the quotient exceeds `nextafter(threshold)`, so
/// its rounding exceeds the threshold) and `inter >= fl(union * threshold)` (necessary, as
/// rounding is monotone); lanes between the two get the exact division. Same bits as exceeds:
/// a pair that intersects has union > 0, and NaN (tombstones, NaN boxes) fails every comparison.
template <class Arch, class T>
struct IouAboveThreshold {
  using batch = xsimd::batch<T, Arch>;
  batch thr, sure, tiny;
  /// `threshold` >= 0 (the caller keeps the exact division for negative thresholds).
  explicit IouAboveThreshold(T threshold) noexcept
      : thr(threshold), sure(sure_factor(threshold)), tiny(tiny_value()) {}

  /// sqrt of the smallest normal: below it a product may be denormal (its relative error unbounded).
  static T tiny_value() noexcept { return std::sqrt(std::numeric_limits<T>::min()); }
  /// > nextafter(t) * (1 + 2^-(digits - 6)): a product rounded to T (relative error 2^-digits) of
  /// union by it stays above union * nextafter(t); at least tiny_value() so that the quotient of a
  /// pair that passes is a normal number.
  static T sure_factor(T t) noexcept {
    const T t2 = std::nextafter(t, std::numeric_limits<T>::infinity());
    const long double scaled =
        static_cast<long double>(t2) * (1.0L + std::ldexp(1.0L, -(std::numeric_limits<T>::digits - 6)));
    const T up = std::nextafter(static_cast<T>(scaled), std::numeric_limits<T>::infinity());
    return up > tiny_value() ? up : tiny_value();
  }

  using mask = xsimd::batch_bool<T, Arch>;
  /// The lanes decided by the products: `sure` (overlap > threshold) and `unsure` (near the
  /// threshold: only the division decides); every other lane is below the threshold.
  LOCUSKIT_FORCEINLINE void classify(const batch& hx1, const batch& hy1, const batch& hx2, const batch& hy2,
                                     const batch& ha, const batch& bx1, const batch& by1, const batch& bx2,
                                     const batch& by2, const batch& ba, mask& sure_lanes, mask& unsure_lanes) const noexcept {
    const batch zero(T(0));
    const batch iw = xsimd::max(xsimd::min(hx2, bx2) - xsimd::max(hx1, bx1), zero);
    const batch ih = xsimd::max(xsimd::min(hy2, by2) - xsimd::max(hy1, by1), zero);
    const batch inter = iw * ih;
    const batch uni = (ha + ba) - inter;
    const mask maybe = inter >= uni * thr;
    sure_lanes = maybe & (inter > uni * sure) & (inter > tiny);
    unsure_lanes = maybe & ~sure_lanes;
  }
  /// Lane bits of `overlap(head, candidate) > threshold`, operands as in AxisAlignedIoU::exceeds.
  LOCUSKIT_FORCEINLINE unsigned operator()(const batch& hx1, const batch& hy1, const batch& hx2, const batch& hy2,
                                           const batch& ha, const batch& bx1, const batch& by1, const batch& bx2,
                                           const batch& by2, const batch& ba) const noexcept {
    mask sure_lanes, unsure_lanes;
    classify(hx1, hy1, hx2, hy2, ha, bx1, by1, bx2, by2, ba, sure_lanes, unsure_lanes);
    // Masks stay in mask registers; only the rare unsure lanes branch.
    if (__builtin_expect(xsimd::any(unsure_lanes), 0))
      return lane_bits<Arch, T>(AxisAlignedIoU::exceeds<Arch, T>(hx1, hy1, hx2, hy2, ha, bx1, by1, bx2, by2, ba, thr,
                                                                  std::false_type{}));
    return lane_bits<Arch, T>(sure_lanes);
  }
};

/// Greedy NMS over `m` boxes in SoA form (x1, y1, x2, y2, area, payload `pos`), sorted by
/// decreasing score: box 0 is kept, every later box with `iou > threshold` against it is removed
/// (the arrays are overwritten: scratch), and so on. Writes the payloads of the kept boxes, in order,
/// to `kept` (at most `max_keep`) and returns their count. The overlap is AxisAlignedIoU's (0 for
/// degenerate pairs); NaN IoUs (NaN boxes, tombstones) never suppress.
template <class Arch, class T>
struct NmsGreedySoa {
  using P = detail::nms_pos_t<T>;
  static std::size_t run(T* x1, T* y1, T* x2, T* y2, T* area, P* pos, std::size_t m, T threshold,
                         std::size_t max_keep, P* kept) noexcept;
};

/// simd::dispatch's functor for NmsGreedySoa.
struct nms_greedy_soa {
  template <class Arch, class T, class P>
  std::size_t operator()(Arch, T* x1, T* y1, T* x2, T* y2, T* area, P* pos, std::size_t m, T threshold,
                         std::size_t max_keep, P* kept) const noexcept {
    return NmsGreedySoa<Arch, T>::run(x1, y1, x2, y2, area, pos, m, threshold, max_keep, kept);
  }
};

}  // namespace kernel

template <class Arch, class T>
std::size_t kernel::NmsGreedySoa<Arch, T>::run(T* x1, T* y1, T* x2, T* y2, T* area, P* pos, std::size_t m,
                                               T threshold, std::size_t max_keep, P* kept) noexcept {
  // Suppressed boxes become tombstones (pos = -1, area = NaN so their IoU is NaN and never
  // suppresses again) instead of shifting the arrays on every pass: a pass then only loads, and
  // writes the few lanes it suppresses. The live range is compacted when a quarter is dead.
  // Heads are taken in blocks of up to `block`: the next live boxes, each checked (scalar, same
  // formula) against the heads kept before it in the block; one pass then suppresses the rest
  // against all of them, so the candidates are read once per block instead of once per kept box.
  // Exact: a later box is suppressed iff some earlier kept box overlaps it by more than threshold.
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  constexpr std::size_t block = 4;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::size_t head = 0, k = 0, dead = 0;
  const batch thr(threshold);
  const bool zero_exceeds = T(0) > threshold;  // degenerate pairs (overlap 0) suppress iff thr < 0
  // The loop once per value of zero_exceeds (a compile-time constant inside).
  auto run = [&](auto zero_exceeds_tag) -> std::size_t {
  T hb[block][4], ha[block];
  while (k < max_keep) {
    std::size_t nb = 0;
    while (nb < block && k < max_keep) {
      while (head < m && pos[head] < 0) ++head, --dead;
      if (head >= m) break;
      const T b[4] = {x1[head], y1[head], x2[head], y2[head]};
      bool suppressed = false;
      for (std::size_t h = 0; h < nb && !suppressed; ++h) {
        const T inter = geometry::intersection(hb[h], b);
        suppressed = AxisAlignedIoU::exceeds(inter, (ha[h] + area[head]) - inter, threshold, zero_exceeds);
      }
      if (suppressed) {  // passed over here, never counted as a tombstone
        pos[head] = P(-1);
        area[head] = nan;
        ++head;
        continue;
      }
      for (int c = 0; c < 4; ++c) hb[nb][c] = b[c];
      ha[nb] = area[head];
      kept[k++] = pos[head];
      ++nb;
      ++head;
    }
    if (nb == 0 || k >= max_keep) break;
    std::size_t j = head;
    for (; j + W <= m; j += W) {
      const batch bx1 = batch::load_unaligned(x1 + j), by1 = batch::load_unaligned(y1 + j);
      const batch bx2 = batch::load_unaligned(x2 + j), by2 = batch::load_unaligned(y2 + j);
      const batch ba = batch::load_unaligned(area + j);
      unsigned suppress = 0;
      for (std::size_t h = 0; h < nb; ++h)
        suppress |= lane_bits<Arch, T>(AxisAlignedIoU::exceeds<Arch, T>(
            batch(hb[h][0]), batch(hb[h][1]), batch(hb[h][2]), batch(hb[h][3]), batch(ha[h]), bx1, by1, bx2, by2,
            ba, thr, zero_exceeds_tag));
      while (suppress) {
        const unsigned l = static_cast<unsigned>(__builtin_ctz(suppress));
        suppress &= suppress - 1;
        pos[j + l] = P(-1);
        area[j + l] = nan;
        ++dead;
      }
    }
    for (; j < m; ++j) {
      const T b[4] = {x1[j], y1[j], x2[j], y2[j]};
      for (std::size_t h = 0; h < nb; ++h) {
        const T inter = geometry::intersection(hb[h], b);
        if (AxisAlignedIoU::exceeds(inter, (ha[h] + area[j]) - inter, threshold, zero_exceeds)) {
          pos[j] = P(-1);
          area[j] = nan;
          ++dead;
          break;
        }
      }
    }
    if (4 * dead > m - head && dead > 0) {
      std::size_t w = head;
      for (std::size_t r = head; r < m; ++r) {
        if (pos[r] < 0) continue;
        x1[w] = x1[r];
        y1[w] = y1[r];
        x2[w] = x2[r];
        y2[w] = y2[r];
        area[w] = area[r];
        pos[w] = pos[r];
        ++w;
      }
      m = w;
      dead = 0;
    }
  }
  return k;
  };
  return zero_exceeds ? run(std::true_type{}) : run(std::false_type{});
}


}  // namespace locuskit

LOCUSKIT_SIMD_WARNINGS_END
