#pragma once
/// \file distance_transform.hpp
/// Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb & Huttenlocher's
/// separable lower envelope of parabolas, one pass per axis): for every voxel the squared distance
/// to the nearest seed voxel. The squares are summed axis by axis in the order
/// ((d0 s0)^2 + (d1 s1)^2) + (d2 s2)^2, the order scipy's `distance_transform_edt` uses after its
/// feature transform, so distances agree with scipy to the last bit except where two seeds are
/// at mathematically equal distances that round differently (an ulp).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../parallel.hpp"

namespace locuskit {

namespace detail {
// One line: out[q] = min_p f[p] + ((q - p) s)^2 over the finite f[p] (lower envelope).
inline void edt_line(const double* f, std::size_t n, std::ptrdiff_t stride_in, double spacing, double* out,
                     std::ptrdiff_t stride_out, std::vector<std::size_t>& site, std::vector<double>& start) {
  const double inf = std::numeric_limits<double>::infinity();
  const double s2 = spacing * spacing;
  std::size_t k = 0;  // number of parabolas in the envelope
  site.resize(n);
  start.resize(n + 1);
  auto value_at = [&](std::size_t p) { return f[static_cast<std::ptrdiff_t>(p) * stride_in]; };
  for (std::size_t q = 0; q < n; ++q) {
    const double fq = value_at(q);
    if (fq == inf) continue;
    while (k > 0) {
      const std::size_t v = site[k - 1];
      const double fv = value_at(v);
      // Where the parabola of q overtakes that of v (in units of index).
      const double dq = static_cast<double>(q), dv = static_cast<double>(v);
      const double x = ((fq + dq * dq * s2) - (fv + dv * dv * s2)) / (2 * s2 * (dq - dv));
      if (x <= start[k - 1]) --k;
      else {
        site[k] = q;
        start[k] = x;
        ++k;
        break;
      }
    }
    if (k == 0) {
      site[0] = q;
      start[0] = -inf;
      k = 1;
    }
  }
  if (k == 0) {
    for (std::size_t q = 0; q < n; ++q) out[static_cast<std::ptrdiff_t>(q) * stride_out] = inf;
    return;
  }
  std::size_t j = 0;
  for (std::size_t q = 0; q < n; ++q) {
    while (j + 1 < k && start[j + 1] < static_cast<double>(q)) ++j;
    // The envelope's parabola; near a boundary (rounding in the intersection) also its neighbour,
    // keeping the smaller value, so the result is the exact minimum.
    const auto value_of = [&](std::size_t c) {
      const double d = (static_cast<double>(q) - static_cast<double>(site[c])) * spacing;
      return value_at(site[c]) + d * d;
    };
    double best = value_of(j);
    const double qd = static_cast<double>(q), tol = 1e-9 * (1 + qd);
    if (j + 1 < k && start[j + 1] - qd <= tol) best = std::min(best, value_of(j + 1));
    if (j > 0 && qd - start[j] <= tol) best = std::min(best, value_of(j - 1));
    out[static_cast<std::ptrdiff_t>(q) * stride_out] = best;
  }
}
}  // namespace detail

/// Squared Euclidean distance (in the units of `spacing`) from every voxel of a C-ordered grid of
/// shape `shape[0..ndim)` (ndim 1..3) to the nearest voxel with `seeds != 0`; +inf everywhere if
/// there is none. `out` has prod(shape) doubles. O(N * ndim); lines of each pass are split over
/// `par.threads` threads (results independent of the count).
inline void squared_distance_transform(const std::uint8_t* seeds, const std::size_t* shape, int ndim,
                                       const double* spacing, double* out, Parallel par = {}) {
  std::size_t dims[3] = {1, 1, 1};
  double sp[3] = {1, 1, 1};
  for (int a = 0; a < ndim; ++a) {
    dims[3 - ndim + a] = shape[a];
    sp[3 - ndim + a] = spacing[a];
  }
  const std::size_t total = dims[0] * dims[1] * dims[2];
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < total; ++i) out[i] = seeds[i] ? 0.0 : inf;
  const std::ptrdiff_t strides[3] = {static_cast<std::ptrdiff_t>(dims[1] * dims[2]),
                                     static_cast<std::ptrdiff_t>(dims[2]), 1};
  for (int axis = 3 - ndim; axis < 3; ++axis) {
    const std::size_t n = dims[axis];
    if (n == 0 || total == 0) return;
    const std::size_t lines = total / n;
    // The other two axes, outer first, enumerate the lines.
    const int o1 = axis == 0 ? 1 : 0, o2 = axis == 2 ? 1 : 2;
    parallel_for(lines, 256, par, [&](std::size_t begin, std::size_t end) {
      std::vector<std::size_t> site;
      std::vector<double> start;
      std::vector<double> line(n);
      for (std::size_t l = begin; l < end; ++l) {
        const std::size_t i1 = l / dims[o2], i2 = l % dims[o2];
        double* base = out + static_cast<std::ptrdiff_t>(i1) * strides[o1] + static_cast<std::ptrdiff_t>(i2) * strides[o2];
        for (std::size_t q = 0; q < n; ++q) line[q] = base[static_cast<std::ptrdiff_t>(q) * strides[axis]];
        detail::edt_line(line.data(), n, 1, sp[axis], base, strides[axis], site, start);
      }
    });
  }
}

}  // namespace locuskit
