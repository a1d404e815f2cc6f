#pragma once
/// \file detail/bits.hpp
/// Bit tricks shared by the kernels and parsers.
#include <cstdint>

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace locuskit {
namespace detail {

/// Index of the lowest set bit of a non-zero word.
inline unsigned lowest_set_bit(std::uint64_t x) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<unsigned>(__builtin_ctzll(x));
#elif defined(_MSC_VER) && defined(_M_X64)
  unsigned long k;
  _BitScanForward64(&k, x);
  return static_cast<unsigned>(k);
#else
  unsigned k = 0;
  while (!(x & 1)) x >>= 1, ++k;
  return k;
#endif
}

}  // namespace detail
}  // namespace locuskit
