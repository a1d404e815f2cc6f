#pragma once
// Stable LSD radix sort of (key, payload) pairs and the score keys every NMS sorts by.
// Arch-neutral (never compiled with AVX flags): sorting lives outside the dispatched kernels.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

namespace locuskit::detail {

/// Unsigned key type with the width of T.
template <class T>
using score_key_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

/// Key whose ascending order is T's DESCENDING order as torchvision sorts: NaN first (any sign),
/// then +inf ... -inf; -0.0 ties with +0.0.
template <class T>
inline score_key_t<T> descending_score_key(T s) noexcept {
  using U = score_key_t<T>;
  if (std::isnan(s)) return U(0);
  if (s == T(0)) s = T(0);  // -0.0 -> +0.0
  U b;
  std::memcpy(&b, &s, sizeof(T));
  constexpr U sign = U(1) << (8 * sizeof(U) - 1);
  const U ascending = (b & sign) ? U(~b) : U(b | sign);
  return U(~ascending);  // >= ~(+inf) > 0, so NaN's 0 stays first
}

/// Insertion sort of `keys` ascending, carrying `vals`, stably. O(n + inversions): the radix sort's
/// small case, and the bucket sort's pass inside nearly sorted buckets.
template <class K, class V>
void insertion_sort_pairs(K* keys, V* vals, std::size_t n) noexcept {
  for (std::size_t i = 1; i < n; ++i) {
    const K k = keys[i];
    if (!(k < keys[i - 1])) continue;
    const V v = vals[i];
    std::size_t j = i;
    while (j > 0 && keys[j - 1] > k) {
      keys[j] = keys[j - 1];
      vals[j] = vals[j - 1];
      --j;
    }
    keys[j] = k;
    vals[j] = v;
  }
}

/// Sorts `keys` ascending, carrying `vals`, stably (equal keys keep their input order).
/// `tmp_keys`/`tmp_vals` hold n elements each. The result is in keys/vals. O(n * bytes).
template <class K, class V>
void radix_sort_pairs(K* keys, V* vals, std::size_t n, K* tmp_keys, V* tmp_vals) noexcept {
  static_assert(std::is_unsigned_v<K>, "radix keys are unsigned");
  constexpr int passes = static_cast<int>(sizeof(K));
  if (n < 2) return;
  if (n <= 32) {  // stable, and cheaper than 4-8 histogram passes
    insertion_sort_pairs(keys, vals, n);
    return;
  }
  std::size_t hist[passes][256];
  std::memset(hist, 0, sizeof(hist));
  for (std::size_t i = 0; i < n; ++i) {
    K k = keys[i];
    for (int p = 0; p < passes; ++p, k >>= 8) ++hist[p][k & 0xFF];
  }
  K* src_k = keys;
  V* src_v = vals;
  K* dst_k = tmp_keys;
  V* dst_v = tmp_vals;
  for (int p = 0; p < passes; ++p) {
    std::size_t* h = hist[p];
    bool trivial = false;
    for (int d = 0; d < 256; ++d)
      if (h[d] == n) trivial = true;
    if (trivial) continue;  // every key has the same digit here
    std::size_t sum = 0;
    for (int d = 0; d < 256; ++d) {
      const std::size_t c = h[d];
      h[d] = sum;
      sum += c;
    }
    const int shift = 8 * p;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = h[(src_k[i] >> shift) & 0xFF]++;
      dst_k[at] = src_k[i];
      dst_v[at] = src_v[i];
    }
    std::swap(src_k, dst_k);
    std::swap(src_v, dst_v);
  }
  if (src_k != keys) {
    std::memcpy(keys, src_k, n * sizeof(K));
    std::memcpy(vals, src_v, n * sizeof(V));
  }
}

}  // namespace locuskit::detail
