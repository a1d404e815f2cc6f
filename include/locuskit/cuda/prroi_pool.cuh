#pragma once
/// \file cuda/prroi_pool.cuh
/// Precise RoI Pooling forward and backward (feature and box gradients) on the GPU: the twin of
/// `roi/prroi_pool.hpp`, built from the same host-device closed-form pieces
/// (detail/roi/prroi_sample.hpp).
///
/// - Forward: one thread per output element (roi, channel, bin), bitwise equal to the CPU
///   `prroi_pool_forward` when compiled with `-fmad=false`.
/// - Backward: one thread per grad_out element. Feature gradient: atomicAdd of grad·wy·wx per
///   pixel. Box gradient: each thread's four terms (in double) atomically added into a (k, 4)
///   double workspace, then scaled by spatial_scale and rounded to T. Both equal the CPU's up to
///   floating-point reassociation (the atomics have no fixed order). Needs sm_60+ (double atomicAdd).
/// - Device pointers, NCHW contiguous features, (k, 5) rois; no validation (check_rois first).
///   Asynchronous on `stream`; returns the first CUDA error.
#include <cuda_runtime.h>

#include <cstddef>

#include "../roi/prroi_pool.hpp"  // with detail/roi/prroi_sample.hpp
#include "roi_align.cuh"          // elementwise_blocks

namespace locuskit {
namespace gpu {
namespace detail {

/// The flat index of a (roi, channel, bin) thread and its bin's two axes; false for a zero-area roi.
template <class T>
__device__ bool prroi_thread_bin(long long i, const FeatureShape& shape, const T* rois, const PrRoiPoolParams& p,
                                 long long& r, std::size_t& plane, std::size_t& ph, std::size_t& pw,
                                 locuskit::detail::PrBinAxis& x, locuskit::detail::PrBinAxis& y) {
  const long long bins = static_cast<long long>(p.pooled_h * p.pooled_w), C = static_cast<long long>(shape.c);
  const long long b = i % bins, c = (i / bins) % C;
  r = i / (bins * C);
  const T* roi = rois + 5 * r;
  const auto g = locuskit::detail::pr_roi_geometry(roi, p);
  if (g.empty) return false;
  ph = static_cast<std::size_t>(b) / p.pooled_w;
  pw = static_cast<std::size_t>(b) % p.pooled_w;
  plane = (locuskit::detail::roi_batch(roi) * shape.c + static_cast<std::size_t>(c)) * shape.plane();
  x = locuskit::detail::pr_bin_axis(g.x1, g.bin_w, pw, static_cast<long long>(shape.w));
  y = locuskit::detail::pr_bin_axis(g.y1, g.bin_h, ph, static_cast<long long>(shape.h));
  return true;
}

template <class T>
__global__ void __launch_bounds__(256) prroi_forward_kernel(const T* __restrict__ features, FeatureShape shape,
                                                            const T* __restrict__ rois, long long total,
                                                            PrRoiPoolParams p, T* __restrict__ out) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    long long r;
    std::size_t plane, ph, pw;
    locuskit::detail::PrBinAxis x, y;
    out[i] = prroi_thread_bin(i, shape, rois, p, r, plane, ph, pw, x, y)
                 ? locuskit::detail::prroi_bin(features + plane, shape.w, x, y)
                 : T(0);
  }
}

template <class T>
__global__ void __launch_bounds__(256) prroi_backward_kernel(const T* __restrict__ features,
                                                             const T* __restrict__ grad_out, FeatureShape shape,
                                                             const T* __restrict__ rois, long long total,
                                                             PrRoiPoolParams p, T* grad_features,
                                                             double* roi_terms) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const T grad = grad_out[i];
    long long r;
    std::size_t plane, ph, pw;
    locuskit::detail::PrBinAxis x, y;
    if (grad == T(0) || !prroi_thread_bin(i, shape, rois, p, r, plane, ph, pw, x, y)) continue;
    if (grad_features) {
      T* f = grad_features + plane;
      locuskit::detail::prroi_bin_feature_grad(grad, shape.w, x, y,
                                               [f](std::size_t pos, T v) { atomicAdd(f + pos, v); });
    }
    if (roi_terms) {
      double d[4] = {0, 0, 0, 0};
      locuskit::detail::prroi_bin_box_grad(features + plane, shape.w, static_cast<long long>(shape.h), x, y, ph, pw,
                                           p.pooled_h, p.pooled_w, grad, d);
      for (int t = 0; t < 4; ++t) atomicAdd(roi_terms + 4 * r + t, d[t]);
    }
  }
}

/// grad_rois (k, 5): column 0 (the batch index) gets 0, columns 1..4 the scaled terms.
template <class T>
__global__ void prroi_finish_roi_grad(const double* roi_terms, long long k, double scale, T* grad_rois) {
  for (long long r = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; r < k;
       r += static_cast<long long>(gridDim.x) * blockDim.x) {
    grad_rois[5 * r] = T(0);
    for (int t = 0; t < 4; ++t) grad_rois[5 * r + 1 + t] = static_cast<T>(roi_terms[4 * r + t] * scale);
  }
}

}  // namespace detail

/// out (k, C, pooled_h, pooled_w) = PrRoIPool of `features` (N, C, H, W) over `rois` (k, 5).
template <class T>
cudaError_t prroi_pool_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                               const PrRoiPoolParams& params, T* out, cudaStream_t stream) {
  const long long total = static_cast<long long>(k * shape.c * params.pooled_h * params.pooled_w);
  if (total == 0) return cudaSuccess;
  if (shape.plane() == 0) return cudaMemsetAsync(out, 0, sizeof(T) * static_cast<std::size_t>(total), stream);
  detail::prroi_forward_kernel<T><<<detail::elementwise_blocks(total), 256, 0, stream>>>(features, shape, rois, total,
                                                                                        params, out);
  return cudaGetLastError();
}

/// Bytes of device workspace `prroi_pool_backward` needs for `k` rois (the box-gradient terms).
inline std::size_t prroi_pool_backward_workspace_bytes(std::size_t k) { return 4 * k * sizeof(double); }

/// Gradients of PrRoIPool: `grad_features` (N, C, H, W) and/or `grad_rois` (k, 5) (either may be
/// null), both overwritten. `workspace` holds prroi_pool_backward_workspace_bytes(k) bytes when
/// grad_rois is wanted.
template <class T>
cudaError_t prroi_pool_backward(const T* features, const T* grad_out, const FeatureShape& shape, const T* rois,
                                std::size_t k, const PrRoiPoolParams& params, T* grad_features, T* grad_rois,
                                void* workspace, std::size_t workspace_bytes, cudaStream_t stream) {
  double* terms = grad_rois ? static_cast<double*>(workspace) : nullptr;
  if (grad_rois && (workspace == nullptr || workspace_bytes < prroi_pool_backward_workspace_bytes(k)))
    return cudaErrorInvalidValue;
  cudaError_t e = cudaSuccess;
  if (grad_features) e = cudaMemsetAsync(grad_features, 0, sizeof(T) * shape.size(), stream);
  if (e == cudaSuccess && terms) e = cudaMemsetAsync(terms, 0, prroi_pool_backward_workspace_bytes(k), stream);
  if (e != cudaSuccess) return e;
  const long long total = static_cast<long long>(k * shape.c * params.pooled_h * params.pooled_w);
  if (total > 0 && shape.plane() > 0) {
    detail::prroi_backward_kernel<T><<<detail::elementwise_blocks(total), 256, 0, stream>>>(
        features, grad_out, shape, rois, total, params, grad_features, terms);
    if ((e = cudaGetLastError()) != cudaSuccess) return e;
  }
  if (terms && k > 0) {
    detail::prroi_finish_roi_grad<T><<<detail::elementwise_blocks(static_cast<long long>(k)), 256, 0, stream>>>(
        terms, static_cast<long long>(k), params.spatial_scale, grad_rois);
    e = cudaGetLastError();
  }
  return e;
}

}  // namespace gpu
}  // namespace locuskit
