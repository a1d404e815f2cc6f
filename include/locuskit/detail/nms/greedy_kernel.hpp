#pragma once
// The greedy-NMS kernel: boxes already sorted by score and transposed to SoA; each kept box
// suppresses the remaining candidates with one SIMD pass; suppressed boxes are tombstoned and
// compacted away in bulk, so total work ~ kept x alive.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "../../box/geometry.hpp"
#include "../../config.hpp"
#include "../../simd/dispatch.hpp"

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

/// Greedy NMS over `m` boxes in SoA form (x1, y1, x2, y2, area, payload `pos`), sorted by
/// decreasing score: box 0 is kept, every later box with `iou > threshold` against it is removed
/// (the arrays are overwritten: scratch), and so on. Writes the payloads of the kept boxes, in order,
/// to `kept` (at most `max_keep`) and returns their count. NaN IoUs never suppress.
struct nms_greedy_soa {
  template <class Arch, class T, class P>
  std::size_t operator()(Arch, T* x1, T* y1, T* x2, T* y2, T* area, P* pos, std::size_t m,
                         T threshold, std::size_t max_keep, P* kept) const noexcept;
};

}  // namespace kernel

template <class Arch, class T, class P>
std::size_t kernel::nms_greedy_soa::operator()(Arch, T* x1, T* y1, T* x2, T* y2, T* area, P* pos,
                                               std::size_t m, T threshold, std::size_t max_keep,
                                               P* kept) const noexcept {
  // Suppressed boxes become tombstones (pos = -1, area = NaN so their IoU is NaN and never
  // suppresses again) instead of shifting the arrays on every pass: a pass then only loads, and
  // writes the few lanes it suppresses. The live range is compacted when a quarter is dead.
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::size_t head = 0, k = 0, dead = 0;
  const batch zero(T(0)), thr(threshold);
  while (k < max_keep) {
    while (head < m && pos[head] < 0) ++head, --dead;
    if (head >= m) break;
    const T a[4] = {x1[head], y1[head], x2[head], y2[head]};
    const T area_a = area[head];
    kept[k++] = pos[head];
    ++head;
    const batch ax1(a[0]), ay1(a[1]), ax2(a[2]), ay2(a[3]), aa(area_a);
    std::size_t j = head;
    for (; j + W <= m; j += W) {
      const batch bx1 = batch::load_unaligned(x1 + j), by1 = batch::load_unaligned(y1 + j);
      const batch bx2 = batch::load_unaligned(x2 + j), by2 = batch::load_unaligned(y2 + j);
      const batch ba = batch::load_unaligned(area + j);
      // Same operand order as geometry::iou (and torchvision): a is the kept box.
      const batch iw = xsimd::max(xsimd::min(ax2, bx2) - xsimd::max(ax1, bx1), zero);
      const batch ih = xsimd::max(xsimd::min(ay2, by2) - xsimd::max(ay1, by1), zero);
      const batch inter = iw * ih;
      const batch iou = inter / ((aa + ba) - inter);
      unsigned suppress = lane_bits<Arch, T>(iou > thr);
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
      const T inter = geometry::intersection(a, b);
      const T iou = inter / ((area_a + area[j]) - inter);
      if (iou > threshold) {
        pos[j] = P(-1);
        area[j] = nan;
        ++dead;
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
}

#define LOCUSKIT_NMS_GREEDY_INSTANCES(EXTERN, Arch)                                                 \
  EXTERN template std::size_t kernel::nms_greedy_soa::operator()<Arch, float, std::int32_t>(        \
      Arch, float*, float*, float*, float*, float*, std::int32_t*, std::size_t, float, std::size_t, \
      std::int32_t*) const noexcept;                                                                \
  EXTERN template std::size_t kernel::nms_greedy_soa::operator()<Arch, double, std::int64_t>(       \
      Arch, double*, double*, double*, double*, double*, std::int64_t*, std::size_t, double,        \
      std::size_t, std::int64_t*) const noexcept;
LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_NMS_GREEDY_INSTANCES)

}  // namespace locuskit
