#pragma once
// Helpers shared by the C++ tests: every-arch loops, seeded random boxes, bit comparison.
#include <cstdint>
#include <cstring>
#include <string>
#include <random>
#include <vector>

#include <doctest/doctest.h>
#include <locuskit/simd/dispatch.hpp>

namespace locuskit::test {

/// Runs `body()` once per SIMD architecture available here (forced), then restores automatic choice.
template <class Body>
void for_each_arch(Body&& body) {
  for (auto a : simd::available_archs()) {
    const std::string arch = simd::arch_name(a);
    CAPTURE(arch);
    REQUIRE(simd::set_forced_arch(a));
    body(a);
  }
  simd::reset_forced_arch();
}

/// n xyxy boxes in clusters (so many overlap), some degenerate (zero width/height) and duplicated.
template <class T>
std::vector<T> random_boxes(std::size_t n, std::uint32_t seed, T extent = T(100)) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, extent), size(0, extent / 4), jitter(-extent / 20, extent / 20);
  std::uniform_int_distribution<int> kind(0, 9);
  std::vector<T> out(4 * n);
  double cx = pos(rng), cy = pos(rng);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 8 == 0) cx = pos(rng), cy = pos(rng);
    const int k = kind(rng);
    if (k == 0 && i > 0) {  // exact duplicate
      for (int c = 0; c < 4; ++c) out[4 * i + c] = out[4 * (i - 1) + c];
      continue;
    }
    const T x1 = T(cx + jitter(rng)), y1 = T(cy + jitter(rng));
    const T w = k == 1 ? T(0) : T(size(rng)), h = k == 2 ? T(0) : T(size(rng));
    out[4 * i + 0] = x1;
    out[4 * i + 1] = y1;
    out[4 * i + 2] = x1 + w;
    out[4 * i + 3] = y1 + h;
  }
  return out;
}

/// n scores drawn from `levels` evenly spaced values in [0, 1): many exact ties.
template <class T>
std::vector<T> tie_scores(std::size_t n, std::uint32_t seed, int levels) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, levels - 1);
  std::vector<T> s(n);
  for (auto& v : s) v = T(d(rng)) / T(levels);
  return s;
}

/// Bitwise equality (so NaN == NaN and -0 != +0).
template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

}  // namespace locuskit::test
