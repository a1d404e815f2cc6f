#pragma once
// PrRoIPool's closed-form pieces, written once for the CPU kernels (prroi_pool-inl.hpp) and their
// CUDA twins (cuda/prroi_pool.cuh): a roi's bin geometry (in double whatever T), the normalized
// tent integral of one pixel over one bin, the tent values at a bin edge, and what one GPU thread
// computes for one (roi, channel, bin): its output, its box-gradient terms, its feature-gradient
// scatter. The CPU kernels tabulate the same weights once per roi and sum in the same order.
#include <cmath>
#include <cstddef>

#include "../../config.hpp"
#include "../../roi/rois.hpp"
// PrRoiPoolParams: this file is part of roi/prroi_pool.hpp's implementation (include that header).

namespace locuskit {
namespace detail {

/// (1 / bin) * integral over [a, e] of t(x - j), e - a == bin, t(u) = max(0, 1 - |u|). Each half of
/// the tent is taken as length x mean height, the length being `bin` itself when the piece is not
/// clipped: no cancellation, so tiny bins keep full relative precision.
LOCUSKIT_HOST_DEVICE inline double pr_tent_mean(double a, double e, double bin, double j) noexcept {
  const double u0 = a - j, u1 = e - j;
  double sum = 0;
  double p = u0 > -1.0 ? u0 : -1.0, q = u1 < 0.0 ? u1 : 0.0;  // rising half, t = 1 + u on [-1, 0]
  if (q > p) sum += ((p == u0 && q == u1) ? bin : q - p) * (1 + (p + q) / 2);
  p = u0 > 0.0 ? u0 : 0.0;  // falling half, t = 1 - u on [0, 1]
  q = u1 < 1.0 ? u1 : 1.0;
  if (q > p) sum += ((p == u0 && q == u1) ? bin : q - p) * (1 - (p + q) / 2);
  return sum / bin;
}

/// Tent values at coordinate x: t(x - floor(x)) at `at` = floor(x), t(x - floor(x) - 1) at at + 1
/// (zero outside [0, n)).
template <class T>
LOCUSKIT_HOST_DEVICE void pr_edge_taps(double x, long long n, long long& at, T& w0, T& w1) noexcept {
  const long long j = static_cast<long long>(floor(x));
  const double frac = x - static_cast<double>(j);
  at = j;
  w0 = (j >= 0 && j < n) ? static_cast<T>(1 - frac) : T(0);
  w1 = (j + 1 >= 0 && j + 1 < n) ? static_cast<T>(frac) : T(0);
}

/// One bin along one axis: [a, e], e = a + size, and the pixels [j0, j1] with a weight.
struct PrBinAxis {
  double a, e, size;
  long long j0, j1;
};

LOCUSKIT_HOST_DEVICE inline PrBinAxis pr_bin_axis(double start, double bin, std::size_t b, long long n) noexcept {
  PrBinAxis x;
  x.size = bin;
  x.a = start + bin * static_cast<double>(b);
  x.e = x.a + bin;
  const long long lo = static_cast<long long>(floor(x.a)), hi = static_cast<long long>(floor(x.e)) + 1;
  x.j0 = lo > 0 ? lo : 0;
  x.j1 = hi < n - 1 ? hi : n - 1;
  return x;
}

template <class T>
LOCUSKIT_HOST_DEVICE T pr_weight(const PrBinAxis& x, long long j) noexcept {
  return static_cast<T>(pr_tent_mean(x.a, x.e, x.size, static_cast<double>(j)));
}

/// A roi's scaled corner and bin sizes; `empty` when its bins have zero area (output and gradients 0).
struct PrRoiGeometry {
  double x1, y1, bin_w, bin_h, scale;
  bool empty;
};

template <class T, class Params>
LOCUSKIT_HOST_DEVICE PrRoiGeometry pr_roi_geometry(const T* roi, const Params& p) noexcept {
  PrRoiGeometry g;
  g.scale = p.spatial_scale;
  g.x1 = double(roi[1]) * g.scale;
  g.y1 = double(roi[2]) * g.scale;
  const double x2 = double(roi[3]) * g.scale, y2 = double(roi[4]) * g.scale;
  const double rw = x2 - g.x1 > 0.0 ? x2 - g.x1 : 0.0, rh = y2 - g.y1 > 0.0 ? y2 - g.y1 : 0.0;
  g.bin_w = rw / static_cast<double>(p.pooled_w);
  g.bin_h = rh / static_cast<double>(p.pooled_h);
  g.empty = g.bin_w * g.bin_h == 0.0;
  return g;
}

/// sum_j wx_j row[j] over the bin's columns (the CPU's row sum S[i][pw]).
template <class T>
LOCUSKIT_HOST_DEVICE T pr_row_sum(const T* row, const PrBinAxis& x) noexcept {
  T acc = T(0);
  for (long long j = x.j0; j <= x.j1; ++j) acc += pr_weight<T>(x, j) * row[j];
  return acc;
}

/// Output of one bin of one channel plane `f` (row length W): sum_i wy_i (sum_j wx_j F[i, j]).
template <class T>
LOCUSKIT_HOST_DEVICE T prroi_bin(const T* f, std::size_t W, const PrBinAxis& x, const PrBinAxis& y) noexcept {
  T acc = T(0);
  for (long long i = y.j0; i <= y.j1; ++i) acc += pr_weight<T>(y, i) * pr_row_sum(f + i * static_cast<long long>(W), x);
  return acc;
}

/// One bin's contribution to the box gradient (d/dx1, d/dy1, d/dx2, d/dy2 in scaled coordinates,
/// before the factor spatial_scale), added to d[0..3] in the CPU planar kernel's operation order:
/// the bin's output against the mean of f along each of its four edges.
template <class T>
LOCUSKIT_HOST_DEVICE void prroi_bin_box_grad(const T* f, std::size_t W, long long H, const PrBinAxis& x,
                                             const PrBinAxis& y, std::size_t ph, std::size_t pw, std::size_t PH,
                                             std::size_t PW, T grad, double d[4]) noexcept {
  const long long wl = static_cast<long long>(W);
  const T ov = prroi_bin(f, W, x, y);
  auto x_edge = [&](double at_x) {  // f at x = at_x averaged over the bin's rows
    long long at;
    T t0, t1;
    pr_edge_taps<T>(at_x, wl, at, t0, t1);
    T acc = T(0);
    for (long long i = y.j0; i <= y.j1; ++i) {
      const T* row = f + i * wl;
      T v = T(0);
      if (t0 != T(0)) v += t0 * row[at];
      if (t1 != T(0)) v += t1 * row[at + 1];
      acc += pr_weight<T>(y, i) * v;
    }
    return acc;
  };
  auto y_edge = [&](double at_y) {  // f at y = at_y averaged over the bin's columns
    long long at;
    T t0, t1;
    pr_edge_taps<T>(at_y, H, at, t0, t1);
    T acc = T(0);
    if (t0 != T(0)) acc += t0 * pr_row_sum(f + at * wl, x);
    if (t1 != T(0)) acc += t1 * pr_row_sum(f + (at + 1) * wl, x);
    return acc;
  };
  const double d_xa = double(ov - x_edge(x.a)) / x.size, d_xb = double(x_edge(x.e) - ov) / x.size;
  const double d_ya = double(ov - y_edge(y.a)) / y.size, d_yb = double(y_edge(y.e) - ov) / y.size;
  const double fa = double(pw) / double(PW), fb = double(pw + 1) / double(PW);
  const double ga = double(ph) / double(PH), gb = double(ph + 1) / double(PH);
  const double gd = double(grad);
  d[0] += gd * (d_xa * (1 - fa) + d_xb * (1 - fb));
  d[2] += gd * (d_xa * fa + d_xb * fb);
  d[1] += gd * (d_ya * (1 - ga) + d_yb * (1 - gb));
  d[3] += gd * (d_ya * ga + d_yb * gb);
}

/// One bin's feature gradient: add(flat position, (grad wy_i) wx_j) for every pixel with a weight.
/// The CPU kernel sums grad wy_i over the bins of a column first, so the two agree up to
/// reassociation (the GPU's atomic adds have no fixed order anyway).
template <class T, class Add>
LOCUSKIT_HOST_DEVICE void prroi_bin_feature_grad(T grad, std::size_t W, const PrBinAxis& x, const PrBinAxis& y,
                                                 Add&& add) {
  for (long long i = y.j0; i <= y.j1; ++i) {
    const T gy = grad * pr_weight<T>(y, i);
    for (long long j = x.j0; j <= x.j1; ++j)
      add(static_cast<std::size_t>(i * static_cast<long long>(W) + j), gy * pr_weight<T>(x, j));
  }
}

}  // namespace detail
}  // namespace locuskit
