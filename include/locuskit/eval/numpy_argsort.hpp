#pragma once
/// \file numpy_argsort.hpp
/// `np.argsort(values)` with its default `kind='quicksort'` for float64 (numpy 1.x generic
/// introsort, as in 1.24 without AVX-512 argsort): the order it leaves *equal* values in is not the
/// input order once more than 16 values are sorted, and evaluation scripts that sort detections
/// with it (DOTA_devkit: `np.argsort(-confidence)`) depend on that order when scores tie. Written
/// for this project from the algorithm: median-of-3 quicksort over index arrays, insertion sort
/// below 17 elements, heapsort past a depth of 2·floor(log2 n), NaN last.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace locuskit {
namespace detail {

inline bool numpy_less(double a, double b) noexcept { return a < b || (b != b && a == a); }

/// Sift-down of numpy's heapsort: the index `tmp` sinks from slot `i` of the 1-based heap `a[1..n]`.
inline void numpy_sift_down(const double* v, std::int64_t* a, std::int64_t tmp, std::int64_t i, std::int64_t n) noexcept {
  std::int64_t j = i << 1;
  while (j <= n) {
    if (j < n && numpy_less(v[a[j]], v[a[j + 1]])) j += 1;
    if (!numpy_less(v[tmp], v[a[j]])) break;
    a[i] = a[j];
    i = j;
    j += j;
  }
  a[i] = tmp;
}

inline void numpy_aheapsort(const double* v, std::int64_t* tosort, std::int64_t n) noexcept {
  std::int64_t* a = tosort - 1;  // 1-based heap
  for (std::int64_t l = n >> 1; l > 0; --l) numpy_sift_down(v, a, a[l], l, n);
  while (n > 1) {
    const std::int64_t tmp = a[n];
    a[n] = a[1];
    n -= 1;
    numpy_sift_down(v, a, tmp, 1, n);
  }
}

/// Indices that sort `v[0..n)` ascending, in exactly numpy's quicksort order.
inline std::vector<std::int64_t> numpy_argsort_quicksort(const double* v, std::size_t count) {
  std::vector<std::int64_t> idx(count);
  for (std::size_t i = 0; i < count; ++i) idx[i] = static_cast<std::int64_t>(i);
  if (count < 2) return idx;
  const std::int64_t num = static_cast<std::int64_t>(count);
  constexpr std::int64_t small = 15;  // insertion sort at <= 16 elements
  int msb = 0;
  for (std::uint64_t u = static_cast<std::uint64_t>(num); u > 1; u >>= 1) ++msb;
  int cdepth = msb * 2;
  std::int64_t* pl = idx.data();
  std::int64_t* pr = idx.data() + num - 1;
  std::vector<std::int64_t*> stack;
  std::vector<int> depth;
  auto swap = [](std::int64_t& a, std::int64_t& b) {
    const std::int64_t t = a;
    a = b;
    b = t;
  };
  for (;;) {
    if (cdepth < 0) {
      numpy_aheapsort(v, pl, pr - pl + 1);
    } else {
      while ((pr - pl) > small) {
        std::int64_t* pm = pl + ((pr - pl) >> 1);
        if (numpy_less(v[*pm], v[*pl])) swap(*pm, *pl);
        if (numpy_less(v[*pr], v[*pm])) swap(*pr, *pm);
        if (numpy_less(v[*pm], v[*pl])) swap(*pm, *pl);
        const double vp = v[*pm];
        std::int64_t* pi = pl;
        std::int64_t* pj = pr - 1;
        swap(*pm, *pj);
        for (;;) {
          do ++pi;
          while (numpy_less(v[*pi], vp));
          do --pj;
          while (numpy_less(vp, v[*pj]));
          if (pi >= pj) break;
          swap(*pi, *pj);
        }
        std::int64_t* pk = pr - 1;
        swap(*pi, *pk);
        // the larger partition waits on the stack
        if (pi - pl < pr - pi) {
          stack.push_back(pi + 1);
          stack.push_back(pr);
          pr = pi - 1;
        } else {
          stack.push_back(pl);
          stack.push_back(pi - 1);
          pl = pi + 1;
        }
        depth.push_back(--cdepth);
      }
      for (std::int64_t* pi = pl + 1; pi <= pr; ++pi) {
        const std::int64_t vi = *pi;
        const double vp = v[vi];
        std::int64_t* pj = pi;
        std::int64_t* pk = pi - 1;
        while (pj > pl && numpy_less(vp, v[*pk])) *pj-- = *pk--;
        *pj = vi;
      }
    }
    if (stack.empty()) break;
    pr = stack.back();
    stack.pop_back();
    pl = stack.back();
    stack.pop_back();
    cdepth = depth.back();
    depth.pop_back();
  }
  return idx;
}

}  // namespace detail
}  // namespace locuskit
