#pragma once
// PrRoIPool in closed form (the per-bin pieces, shared with the CUDA twin, are in prroi_sample.hpp).
// The integral of the bilinear map over a bin is separable:
//   int int f = sum_ij F[i, j] * wy_i * wx_j,   wx_j = int_bin t(x - j) dx,
// so per roi and axis we compute, once, every bin's tent integrals divided by the bin size
// ("normalized weights", they sum to <= 1) and the tent values at the two bin edges (for the box
// gradient). Each tent integral is taken piecewise (rising and falling half) as length x mean height,
// with the length taken as the bin width when the piece is not clipped: no T(b) - T(a) cancellation,
// so tiny bins keep full relative precision.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "../../roi/prroi_pool.hpp"
#include "prroi_sample.hpp"
#include "roi_align-inl.hpp"

namespace locuskit {
namespace detail {

/// One axis of one roi: `bins` bins of size `size` starting at `start`, over a grid of `n` pixels.
/// The geometry is computed in double whatever T (float32 bin edges near x = 1000 carry 6e-5 px of
/// rounding, a large fraction of a small bin); only the weights are stored in T.
template <class T>
struct PrAxis {
  double size = 0;
  long long lo = 0, hi = -1;  // union of the supports (weights and edge taps), clamped to [0, n)
  std::vector<long long> first;  // per bin: first index with a weight
  std::vector<std::size_t> count, offset;
  std::vector<T> w;  // normalized tent integrals
  // Edge taps: t(e - floor(e)) at floor(e), t(e - floor(e) - 1) at floor(e) + 1 (zero outside the grid).
  std::vector<long long> tap_lo_at, tap_hi_at;
  std::vector<T> tap_lo[2], tap_hi[2];

  void build(double start, double bin, std::size_t bins, std::size_t n) {
    size = bin;
    first.assign(bins, 0);
    count.assign(bins, 0);
    offset.assign(bins, 0);
    w.clear();
    tap_lo_at.assign(bins, 0);
    tap_hi_at.assign(bins, 0);
    for (int e = 0; e < 2; ++e) tap_lo[e].assign(bins, T(0)), tap_hi[e].assign(bins, T(0));
    const long long nl = static_cast<long long>(n);
    lo = nl;
    hi = -1;
    for (std::size_t b = 0; b < bins; ++b) {
      const PrBinAxis ax = pr_bin_axis(start, bin, b, nl);
      first[b] = ax.j0;
      offset[b] = w.size();
      for (long long j = ax.j0; j <= ax.j1; ++j) w.push_back(pr_weight<T>(ax, j));
      count[b] = ax.j1 >= ax.j0 ? static_cast<std::size_t>(ax.j1 - ax.j0 + 1) : 0;
      pr_edge_taps(ax.a, nl, tap_lo_at[b], tap_lo[0][b], tap_lo[1][b]);
      pr_edge_taps(ax.e, nl, tap_hi_at[b], tap_hi[0][b], tap_hi[1][b]);
      lo = std::min(lo, ax.j0);
      hi = std::max(hi, ax.j1);
    }
  }

  std::size_t rows() const noexcept { return hi >= lo ? static_cast<std::size_t>(hi - lo + 1) : 0; }
};

/// A roi's two axes; `empty` when its bins have zero area (output and gradients 0).
template <class T>
struct PrRoi {
  PrAxis<T> x, y;
  bool empty = true;
  double scale = 1;

  void build(const T* roi, const PrRoiPoolParams& p, const FeatureShape& s) {
    const PrRoiGeometry g = pr_roi_geometry(roi, p);
    scale = g.scale;
    empty = g.empty;
    if (empty) return;
    x.build(g.x1, g.bin_w, p.pooled_w, s.w);
    y.build(g.y1, g.bin_h, p.pooled_h, s.h);
  }
};

/// Row sums S[(i - y.lo) * PW + pw] = sum_j wx[pw][j] F[i, j] over the roi's rows.
template <class T>
void pr_row_sums(const PrRoi<T>& roi, const T* f, std::size_t W, std::size_t PW, T* S) {
  const std::size_t rows = roi.y.rows();
  for (std::size_t r = 0; r < rows; ++r) {
    const T* row = f + (static_cast<std::size_t>(roi.y.lo) + r) * W;
    for (std::size_t pw = 0; pw < PW; ++pw) {
      const T* w = roi.x.w.data() + roi.x.offset[pw];
      const T* v = row + roi.x.first[pw];
      T acc = T(0);
      for (std::size_t j = 0; j < roi.x.count[pw]; ++j) acc += w[j] * v[j];
      S[r * PW + pw] = acc;
    }
  }
}

/// out[ph * PW + pw] = sum_i wy[ph][i] S[i][pw].
template <class T>
void pr_pool_rows(const PrRoi<T>& roi, const T* S, std::size_t PH, std::size_t PW, T* out) {
  for (std::size_t ph = 0; ph < PH; ++ph) {
    const T* w = roi.y.w.data() + roi.y.offset[ph];
    const std::size_t r0 = static_cast<std::size_t>(roi.y.first[ph] - roi.y.lo);
    for (std::size_t pw = 0; pw < PW; ++pw) {
      T acc = T(0);
      for (std::size_t i = 0; i < roi.y.count[ph]; ++i) acc += w[i] * S[(r0 + i) * PW + pw];
      out[ph * PW + pw] = acc;
    }
  }
}

/// Channels-last twins (map (N, H, W, C)): the same weights and, per channel, the same operation
/// order as the planar functions above (so the forward is bitwise equal to the planar one), with
/// the inner loops over C contiguous channels (vectorized). `S` is (rows, PW, C).
template <class T>
void pr_row_sums_nhwc(const PrRoi<T>& roi, const T* batch, std::size_t W, std::size_t PW, std::size_t C, T* S) {
  const std::size_t rows = roi.y.rows();
  for (std::size_t r = 0; r < rows; ++r) {
    const T* row = batch + (static_cast<std::size_t>(roi.y.lo) + r) * W * C;
    for (std::size_t pw = 0; pw < PW; ++pw) {
      T* acc = S + (r * PW + pw) * C;
      std::fill(acc, acc + C, T(0));
      const T* w = roi.x.w.data() + roi.x.offset[pw];
      for (std::size_t j = 0; j < roi.x.count[pw]; ++j) {
        const T wj = w[j];
        const T* v = row + (static_cast<std::size_t>(roi.x.first[pw]) + j) * C;
        for (std::size_t c = 0; c < C; ++c) acc[c] += wj * v[c];
      }
    }
  }
}

/// O (bins, C) from S.
template <class T>
void pr_pool_rows_nhwc(const PrRoi<T>& roi, const T* S, std::size_t PH, std::size_t PW, std::size_t C, T* O) {
  for (std::size_t ph = 0; ph < PH; ++ph) {
    const T* w = roi.y.w.data() + roi.y.offset[ph];
    const std::size_t r0 = static_cast<std::size_t>(roi.y.first[ph] - roi.y.lo);
    for (std::size_t pw = 0; pw < PW; ++pw) {
      T* acc = O + (ph * PW + pw) * C;
      std::fill(acc, acc + C, T(0));
      for (std::size_t i = 0; i < roi.y.count[ph]; ++i) {
        const T wi = w[i];
        const T* v = S + ((r0 + i) * PW + pw) * C;
        for (std::size_t c = 0; c < C; ++c) acc[c] += wi * v[c];
      }
    }
  }
}

template <class T>
void prroi_forward_nhwc(const T* nhwc, const FeatureShape& shape, const T* rois, std::size_t k,
                        const PrRoiPoolParams& params, T* out, Parallel par) {
  const std::size_t PH = params.pooled_h, PW = params.pooled_w, bins = PH * PW, C = shape.c, plane = shape.plane();
  parallel_for(k, 1, par, [&](std::size_t r0, std::size_t r1) {
    PrRoi<T> roi;
    std::vector<T> S, O(bins * C);
    for (std::size_t r = r0; r < r1; ++r) {
      roi.build(rois + 5 * r, params, shape);
      if (roi.empty || roi.y.rows() == 0) continue;
      S.resize(roi.y.rows() * PW * C);
      pr_row_sums_nhwc(roi, nhwc + roi_batch(rois + 5 * r) * plane * C, shape.w, PW, C, S.data());
      pr_pool_rows_nhwc(roi, S.data(), PH, PW, C, O.data());
      T* o = out + r * C * bins;
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t b = 0; b < bins; ++b) o[c * bins + b] = O[b * C + c];
    }
  });
}

template <class T>
void prroi_roi_grad_nhwc(const T* nhwc, const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                         const PrRoiPoolParams& params, T* grad_rois, Parallel par) {
  const std::size_t PH = params.pooled_h, PW = params.pooled_w, bins = PH * PW, C = shape.c, plane = shape.plane(),
                    W = shape.w;
  parallel_for(k, 1, par, [&](std::size_t r0, std::size_t r1) {
    PrRoi<T> roi;
    std::vector<T> S, O(bins * C), xa(C), xb(C), ya(C), yb(C);
    for (std::size_t r = r0; r < r1; ++r) {
      roi.build(rois + 5 * r, params, shape);
      const std::size_t rows = roi.empty ? 0 : roi.y.rows();
      if (rows == 0) continue;  // zero-area bins, or f vanishes on the whole roi: gradient 0
      S.resize(rows * PW * C);
      const T* batch = nhwc + roi_batch(rois + 5 * r) * plane * C;
      pr_row_sums_nhwc(roi, batch, W, PW, C, S.data());
      pr_pool_rows_nhwc(roi, S.data(), PH, PW, C, O.data());
      // f along a vertical edge x = e, averaged over bin row ph (per channel).
      auto x_edge = [&](std::size_t ph, long long at, T t0, T t1, T* e) {
        std::fill(e, e + C, T(0));
        const T* w = roi.y.w.data() + roi.y.offset[ph];
        for (std::size_t i = 0; i < roi.y.count[ph]; ++i) {
          const T* row = batch + static_cast<std::size_t>(roi.y.first[ph] + static_cast<long long>(i)) * W * C;
          const T wi = w[i];
          const T* v0 = t0 != T(0) ? row + static_cast<std::size_t>(at) * C : nullptr;
          const T* v1 = t1 != T(0) ? row + static_cast<std::size_t>(at + 1) * C : nullptr;
          for (std::size_t c = 0; c < C; ++c) {
            T v = T(0);
            if (v0) v += t0 * v0[c];
            if (v1) v += t1 * v1[c];
            e[c] += wi * v;
          }
        }
      };
      // f along a horizontal edge y = e, averaged over bin column pw.
      auto y_edge = [&](std::size_t pw, long long at, T t0, T t1, T* e) {
        const T* s0 = t0 != T(0) ? S.data() + (static_cast<std::size_t>(at - roi.y.lo) * PW + pw) * C : nullptr;
        const T* s1 = t1 != T(0) ? S.data() + (static_cast<std::size_t>(at + 1 - roi.y.lo) * PW + pw) * C : nullptr;
        for (std::size_t c = 0; c < C; ++c) {
          T v = T(0);
          if (s0) v += t0 * s0[c];
          if (s1) v += t1 * s1[c];
          e[c] = v;
        }
      };
      double d1 = 0, d2 = 0, d3 = 0, d4 = 0;
      for (std::size_t ph = 0; ph < PH; ++ph) {
        const double ga = double(ph) / double(PH), gb = double(ph + 1) / double(PH);
        for (std::size_t pw = 0; pw < PW; ++pw) {
          const std::size_t b = ph * PW + pw;
          x_edge(ph, roi.x.tap_lo_at[pw], roi.x.tap_lo[0][pw], roi.x.tap_lo[1][pw], xa.data());
          x_edge(ph, roi.x.tap_hi_at[pw], roi.x.tap_hi[0][pw], roi.x.tap_hi[1][pw], xb.data());
          y_edge(pw, roi.y.tap_lo_at[ph], roi.y.tap_lo[0][ph], roi.y.tap_lo[1][ph], ya.data());
          y_edge(pw, roi.y.tap_hi_at[ph], roi.y.tap_hi[0][ph], roi.y.tap_hi[1][ph], yb.data());
          const double fa = double(pw) / double(PW), fb = double(pw + 1) / double(PW);
          for (std::size_t c = 0; c < C; ++c) {
            const T gv = grad_out[(r * C + c) * bins + b];
            if (gv == T(0)) continue;
            const T ov = O[b * C + c];
            const double d_xa = double(ov - xa[c]) / roi.x.size, d_xb = double(xb[c] - ov) / roi.x.size;
            const double d_ya = double(ov - ya[c]) / roi.y.size, d_yb = double(yb[c] - ov) / roi.y.size;
            const double gd = double(gv);
            d1 += gd * (d_xa * (1 - fa) + d_xb * (1 - fb));
            d3 += gd * (d_xa * fa + d_xb * fb);
            d2 += gd * (d_ya * (1 - ga) + d_yb * (1 - gb));
            d4 += gd * (d_ya * ga + d_yb * gb);
          }
        }
      }
      T* gr = grad_rois + 5 * r;
      gr[1] = static_cast<T>(d1 * roi.scale);
      gr[2] = static_cast<T>(d2 * roi.scale);
      gr[3] = static_cast<T>(d3 * roi.scale);
      gr[4] = static_cast<T>(d4 * roi.scale);
    }
  });
}

/// Feature gradient into a channels-last buffer (zeroed here); threads split channel blocks, each
/// walking all rois in order (deterministic sums).
template <class T>
void prroi_feature_grad_nhwc(const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                             const PrRoiPoolParams& params, T* grad_nhwc, Parallel par) {
  const std::size_t PH = params.pooled_h, PW = params.pooled_w, bins = PH * PW, C = shape.c, plane = shape.plane(),
                    W = shape.w;
  std::fill(grad_nhwc, grad_nhwc + shape.size(), T(0));
  const std::size_t block = 16;
  parallel_for((C + block - 1) / block, 1, par, [&](std::size_t b0, std::size_t b1) {
    const std::size_t c0 = b0 * block, c1 = std::min(C, b1 * block), width = c1 - c0;
    PrRoi<T> roi;
    std::vector<T> G, gb(bins * width);
    for (std::size_t r = 0; r < k; ++r) {
      roi.build(rois + 5 * r, params, shape);
      const std::size_t rows = roi.empty ? 0 : roi.y.rows();
      if (rows == 0) continue;
      for (std::size_t c = 0; c < width; ++c)
        for (std::size_t b = 0; b < bins; ++b) gb[b * width + c] = grad_out[(r * C + c0 + c) * bins + b];
      G.assign(rows * PW * width, T(0));
      for (std::size_t ph = 0; ph < PH; ++ph) {
        const T* w = roi.y.w.data() + roi.y.offset[ph];
        const std::size_t rr = static_cast<std::size_t>(roi.y.first[ph] - roi.y.lo);
        for (std::size_t i = 0; i < roi.y.count[ph]; ++i)
          for (std::size_t pw = 0; pw < PW; ++pw) {
            T* g = G.data() + ((rr + i) * PW + pw) * width;
            const T* src = gb.data() + (ph * PW + pw) * width;
            const T wi = w[i];
            for (std::size_t c = 0; c < width; ++c) g[c] += src[c] * wi;
          }
      }
      T* batch = grad_nhwc + roi_batch(rois + 5 * r) * plane * C + c0;
      for (std::size_t rr = 0; rr < rows; ++rr) {
        T* row = batch + (static_cast<std::size_t>(roi.y.lo) + rr) * W * C;
        for (std::size_t pw = 0; pw < PW; ++pw) {
          const T* g = G.data() + (rr * PW + pw) * width;
          const T* w = roi.x.w.data() + roi.x.offset[pw];
          for (std::size_t j = 0; j < roi.x.count[pw]; ++j) {
            T* v = row + (static_cast<std::size_t>(roi.x.first[pw]) + j) * C;
            const T wj = w[j];
            for (std::size_t c = 0; c < width; ++c) v[c] += g[c] * wj;
          }
        }
      }
    }
  });
}

}  // namespace detail

namespace detail {
/// 0 = automatic (channels-last when the taps outnumber the pixels, as RoIAlign), 1 = planar, 2 = channels-last.
inline bool prroi_layout(int layout, const FeatureShape& s, std::size_t k, std::size_t bins) noexcept {
  return layout == 2 || (layout == 0 && roi_align_channels_last(s, k, bins));
}

template <class T>
void prroi_pool_forward_impl(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                             const PrRoiPoolParams& params, T* out, Parallel par, int layout) {
  detail::check_pooled_size(params.pooled_h, params.pooled_w);
  check_rois(rois, k, shape.n, params.spatial_scale);
  const std::size_t PH = params.pooled_h, PW = params.pooled_w, bins = PH * PW, plane = shape.plane();
  std::fill(out, out + k * shape.c * bins, T(0));
  if (plane == 0) return;
  if (detail::prroi_layout(layout, shape, k, bins)) {
    std::vector<T> nhwc(shape.size());
    detail::nchw_to_nhwc(features, shape, nhwc.data(), par);
    detail::prroi_forward_nhwc(nhwc.data(), shape, rois, k, params, out, par);
    return;
  }
  parallel_for(k, 1, par, [&](std::size_t r0, std::size_t r1) {
    detail::PrRoi<T> roi;
    std::vector<T> S;
    for (std::size_t r = r0; r < r1; ++r) {
      roi.build(rois + 5 * r, params, shape);
      if (roi.empty || roi.y.rows() == 0) continue;
      S.resize(roi.y.rows() * PW);
      const T* batch = features + detail::roi_batch(rois + 5 * r) * shape.c * plane;
      for (std::size_t c = 0; c < shape.c; ++c) {
        detail::pr_row_sums(roi, batch + c * plane, shape.w, PW, S.data());
        detail::pr_pool_rows(roi, S.data(), PH, PW, out + (r * shape.c + c) * bins);
      }
    }
  });
}

template <class T>
void prroi_pool_backward_impl(const T* features, const T* grad_out, const FeatureShape& shape, const T* rois,
                              std::size_t k, const PrRoiPoolParams& params, T* grad_features, T* grad_rois,
                              Parallel par, int layout) {
  detail::check_pooled_size(params.pooled_h, params.pooled_w);
  check_rois(rois, k, shape.n, params.spatial_scale);
  const std::size_t PH = params.pooled_h, PW = params.pooled_w, bins = PH * PW, plane = shape.plane();
  if (plane != 0 && detail::prroi_layout(layout, shape, k, bins)) {
    std::vector<T> nhwc(shape.size());
    if (grad_rois) {
      std::fill(grad_rois, grad_rois + 5 * k, T(0));
      detail::nchw_to_nhwc(features, shape, nhwc.data(), par);
      detail::prroi_roi_grad_nhwc(nhwc.data(), grad_out, shape, rois, k, params, grad_rois, par);
    }
    if (grad_features) {
      detail::prroi_feature_grad_nhwc(grad_out, shape, rois, k, params, nhwc.data(), par);
      detail::nhwc_to_nchw(nhwc.data(), shape, grad_features, par);
    }
    return;
  }
  if (grad_rois) {
    std::fill(grad_rois, grad_rois + 5 * k, T(0));
    if (plane != 0)
      parallel_for(k, 1, par, [&](std::size_t r0, std::size_t r1) {
        detail::PrRoi<T> roi;
        std::vector<T> S, o(bins);
        for (std::size_t r = r0; r < r1; ++r) {
          roi.build(rois + 5 * r, params, shape);
          if (roi.empty) continue;
          const std::size_t rows = roi.y.rows();
          S.resize(rows * PW);
          const T* batch = features + detail::roi_batch(rois + 5 * r) * shape.c * plane;
          double d1 = 0, d2 = 0, d3 = 0, d4 = 0;  // d/dx1, d/dy1, d/dx2, d/dy2 (scaled coordinates)
          for (std::size_t c = 0; c < shape.c; ++c) {
            const T* f = batch + c * plane;
            const T* g = grad_out + (r * shape.c + c) * bins;
            if (rows == 0) break;  // f vanishes on the whole roi: every edge term is 0
            detail::pr_row_sums(roi, f, shape.w, PW, S.data());
            detail::pr_pool_rows(roi, S.data(), PH, PW, o.data());
            // f at a vertical edge x = e, averaged over bin row ph: sum_i wy_i (t0 F[i, at] + t1 F[i, at+1]).
            auto x_edge = [&](std::size_t ph, long long at, T t0, T t1) {
              const T* w = roi.y.w.data() + roi.y.offset[ph];
              T acc = T(0);
              for (std::size_t i = 0; i < roi.y.count[ph]; ++i) {
                const T* row = f + static_cast<std::size_t>(roi.y.first[ph] + static_cast<long long>(i)) * shape.w;
                T v = T(0);
                if (t0 != T(0)) v += t0 * row[at];
                if (t1 != T(0)) v += t1 * row[at + 1];
                acc += w[i] * v;
              }
              return acc;
            };
            // f at a horizontal edge y = e averaged over bin column pw: t0 S[at][pw] + t1 S[at+1][pw].
            auto y_edge = [&](std::size_t pw, long long at, T t0, T t1) {
              T acc = T(0);
              if (t0 != T(0)) acc += t0 * S[static_cast<std::size_t>(at - roi.y.lo) * PW + pw];
              if (t1 != T(0)) acc += t1 * S[static_cast<std::size_t>(at + 1 - roi.y.lo) * PW + pw];
              return acc;
            };
            for (std::size_t ph = 0; ph < PH; ++ph) {
              const double ga = double(ph) / double(PH), gb = double(ph + 1) / double(PH);
              for (std::size_t pw = 0; pw < PW; ++pw) {
                const T gv = g[ph * PW + pw];
                if (gv == T(0)) continue;
                const T ov = o[ph * PW + pw];
                const double d_xa = double(ov - x_edge(ph, roi.x.tap_lo_at[pw], roi.x.tap_lo[0][pw], roi.x.tap_lo[1][pw])) / roi.x.size;
                const double d_xb = double(x_edge(ph, roi.x.tap_hi_at[pw], roi.x.tap_hi[0][pw], roi.x.tap_hi[1][pw]) - ov) / roi.x.size;
                const double d_ya = double(ov - y_edge(pw, roi.y.tap_lo_at[ph], roi.y.tap_lo[0][ph], roi.y.tap_lo[1][ph])) / roi.y.size;
                const double d_yb = double(y_edge(pw, roi.y.tap_hi_at[ph], roi.y.tap_hi[0][ph], roi.y.tap_hi[1][ph]) - ov) / roi.y.size;
                const double fa = double(pw) / double(PW), fb = double(pw + 1) / double(PW);
                const double gd = double(gv);
                d1 += gd * (d_xa * (1 - fa) + d_xb * (1 - fb));
                d3 += gd * (d_xa * fa + d_xb * fb);
                d2 += gd * (d_ya * (1 - ga) + d_yb * (1 - gb));
                d4 += gd * (d_ya * ga + d_yb * gb);
              }
            }
          }
          const double sc = roi.scale;
          T* gr = grad_rois + 5 * r;
          gr[1] = static_cast<T>(d1 * sc);
          gr[2] = static_cast<T>(d2 * sc);
          gr[3] = static_cast<T>(d3 * sc);
          gr[4] = static_cast<T>(d4 * sc);
        }
      });
  }
  if (grad_features) {
    std::fill(grad_features, grad_features + shape.size(), T(0));
    if (plane == 0) return;
    parallel_for(shape.c, 1, par, [&](std::size_t c0, std::size_t c1) {
      detail::PrRoi<T> roi;
      std::vector<T> G;  // G[(i - y.lo) * PW + pw] = sum_ph g[ph][pw] wy[ph][i]
      for (std::size_t r = 0; r < k; ++r) {
        roi.build(rois + 5 * r, params, shape);
        const std::size_t rows = roi.empty ? 0 : roi.y.rows();
        if (rows == 0) continue;
        G.resize(rows * PW);
        T* batch = grad_features + detail::roi_batch(rois + 5 * r) * shape.c * plane;
        for (std::size_t c = c0; c < c1; ++c) {
          const T* g = grad_out + (r * shape.c + c) * bins;
          std::fill(G.begin(), G.end(), T(0));
          for (std::size_t ph = 0; ph < PH; ++ph) {
            const T* w = roi.y.w.data() + roi.y.offset[ph];
            const std::size_t rr = static_cast<std::size_t>(roi.y.first[ph] - roi.y.lo);
            for (std::size_t i = 0; i < roi.y.count[ph]; ++i)
              for (std::size_t pw = 0; pw < PW; ++pw) G[(rr + i) * PW + pw] += g[ph * PW + pw] * w[i];
          }
          T* f = batch + c * plane;
          for (std::size_t rr = 0; rr < rows; ++rr) {
            T* row = f + (static_cast<std::size_t>(roi.y.lo) + rr) * shape.w;
            for (std::size_t pw = 0; pw < PW; ++pw) {
              const T gv = G[rr * PW + pw];
              if (gv == T(0)) continue;
              const T* w = roi.x.w.data() + roi.x.offset[pw];
              T* v = row + roi.x.first[pw];
              for (std::size_t j = 0; j < roi.x.count[pw]; ++j) v[j] += gv * w[j];
            }
          }
        }
      }
    });
  }
}

}  // namespace detail

template <class T>
void prroi_pool_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                        const PrRoiPoolParams& params, T* out, Parallel par) {
  detail::prroi_pool_forward_impl(features, shape, rois, k, params, out, par, 0);
}

template <class T>
void prroi_pool_backward(const T* features, const T* grad_out, const FeatureShape& shape, const T* rois,
                         std::size_t k, const PrRoiPoolParams& params, T* grad_features, T* grad_rois,
                         Parallel par) {
  detail::prroi_pool_backward_impl(features, grad_out, shape, rois, k, params, grad_features, grad_rois, par, 0);
}

}  // namespace locuskit
