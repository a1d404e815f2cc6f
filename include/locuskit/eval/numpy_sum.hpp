#pragma once
/// \file numpy_sum.hpp
/// Sums and means with NumPy's exact order of additions (`np.add.reduce` on a contiguous float64
/// array, numpy 1.x): the input is cut into blocks of 8192 (the ufunc buffer size) added left to
/// right, each block summed pairwise. pycocotools' summary statistics are `np.mean(...)`, so
/// reproducing their last bit needs this order (notes rule 25).
#include <cstddef>

namespace locuskit {
namespace detail {

/// NumPy's `pairwise_sum` for doubles (loops_utils.h): < 8 terms sequentially, <= 128 terms with
/// eight interleaved partial sums, above that split at n/2 rounded down to a multiple of 8.
inline double numpy_pairwise_sum(const double* a, std::size_t n) noexcept {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2) + numpy_pairwise_sum(a + n2, n - n2);
}

}  // namespace detail

/// `np.sum(a)` for a contiguous float64 array of n elements, bit for bit. O(n), thread-safe.
inline double numpy_sum(const double* a, std::size_t n, std::size_t block = 8192) noexcept {
  double acc = 0.0;
  for (std::size_t i = 0; i < n; i += block) {
    const std::size_t len = n - i < block ? n - i : block;
    acc += detail::numpy_pairwise_sum(a + i, len);
  }
  return acc;
}

/// `np.mean(a)` for a contiguous float64 array (n > 0), bit for bit: numpy_sum(a) / n.
inline double numpy_mean(const double* a, std::size_t n) noexcept {
  return numpy_sum(a, n) / static_cast<double>(n);
}

}  // namespace locuskit
