#pragma once
/// \file cuda/roi_align.cuh
/// RoIAlign forward and backward on the GPU: the twin of `roi/roi_align.hpp`, built from the same
/// host-device sampling code (detail/roi/roi_align_sample.hpp).
///
/// - Forward: one thread per output element (roi, channel, bin); bitwise equal to the CPU
///   `roi_align_forward` (and so to torchvision's CPU kernel) when compiled with `-fmad=false`.
/// - Backward: one thread per grad_out element scatters its taps with atomicAdd, as torchvision's
///   CUDA kernel; sums arrive in an unspecified order, so the gradient equals the CPU's up to
///   floating-point reassociation (float64 atomicAdd needs sm_60+).
/// - Device pointers, NCHW contiguous features, (k, 5) rois `(batch_index, x1, y1, x2, y2)`. No
///   validation here: call `check_rois` on the rois first (the Python layer does). Asynchronous on
///   `stream`; returns the launch error.
#include <cuda_runtime.h>

#include <cstddef>

#include "../roi/roi_align.hpp"  // with detail/roi/roi_align_sample.hpp

namespace locuskit {
namespace gpu {
namespace detail {

template <class T>
__global__ void __launch_bounds__(256) roi_align_forward_kernel(const T* __restrict__ features, FeatureShape shape,
                                                                const T* __restrict__ rois, long long total,
                                                                RoiAlignParams p, T* __restrict__ out) {
  const long long bins = static_cast<long long>(p.pooled_h * p.pooled_w);
  const long long C = static_cast<long long>(shape.c);
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long b = i % bins, c = (i / bins) % C, r = i / (bins * C);
    const T* roi = rois + 5 * r;
    const auto g = locuskit::detail::roi_align_grid(roi, p);
    const T* f = features + (locuskit::detail::roi_batch(roi) * shape.c + static_cast<std::size_t>(c)) * shape.plane();
    out[i] = locuskit::detail::roi_align_bin(f, g, static_cast<std::size_t>(b) / p.pooled_w,
                                             static_cast<std::size_t>(b) % p.pooled_w,
                                             static_cast<long long>(shape.h), static_cast<long long>(shape.w));
  }
}

template <class T>
__global__ void __launch_bounds__(256) roi_align_backward_kernel(const T* __restrict__ grad_out, FeatureShape shape,
                                                                 const T* __restrict__ rois, long long total,
                                                                 RoiAlignParams p, T* __restrict__ grad_features) {
  const long long bins = static_cast<long long>(p.pooled_h * p.pooled_w);
  const long long C = static_cast<long long>(shape.c);
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const T grad = grad_out[i];
    if (grad == T(0)) continue;  // adds nothing (a NaN or inf gradient still propagates)
    const long long b = i % bins, c = (i / bins) % C, r = i / (bins * C);
    const T* roi = rois + 5 * r;
    const auto g = locuskit::detail::roi_align_grid(roi, p);
    T* f = grad_features + (locuskit::detail::roi_batch(roi) * shape.c + static_cast<std::size_t>(c)) * shape.plane();
    locuskit::detail::roi_align_bin_backward(grad, g, static_cast<std::size_t>(b) / p.pooled_w,
                                             static_cast<std::size_t>(b) % p.pooled_w,
                                             static_cast<long long>(shape.h), static_cast<long long>(shape.w),
                                             [f](std::size_t pos, T v) { atomicAdd(f + pos, v); });
  }
}

inline unsigned int elementwise_blocks(long long total) {
  const long long blocks = (total + 255) / 256;
  return static_cast<unsigned int>(blocks < 65535 * 32 ? blocks : 65535 * 32);
}

}  // namespace detail

/// out (k, C, pooled_h, pooled_w) = RoIAlign of `features` (N, C, H, W) over `rois` (k, 5).
template <class T>
cudaError_t roi_align_forward(const T* features, const FeatureShape& shape, const T* rois, std::size_t k,
                              const RoiAlignParams& params, T* out, cudaStream_t stream) {
  const long long total = static_cast<long long>(k * shape.c * params.pooled_h * params.pooled_w);
  if (total == 0) return cudaSuccess;
  if (shape.plane() == 0) return cudaMemsetAsync(out, 0, sizeof(T) * static_cast<std::size_t>(total), stream);
  detail::roi_align_forward_kernel<T><<<detail::elementwise_blocks(total), 256, 0, stream>>>(features, shape, rois,
                                                                                            total, params, out);
  return cudaGetLastError();
}

/// grad_features (N, C, H, W) = the RoIAlign gradient (overwritten: zeroed, then accumulated).
template <class T>
cudaError_t roi_align_backward(const T* grad_out, const FeatureShape& shape, const T* rois, std::size_t k,
                               const RoiAlignParams& params, T* grad_features, cudaStream_t stream) {
  cudaError_t e = cudaMemsetAsync(grad_features, 0, sizeof(T) * shape.size(), stream);
  const long long total = static_cast<long long>(k * shape.c * params.pooled_h * params.pooled_w);
  if (e != cudaSuccess || total == 0 || shape.plane() == 0) return e;
  detail::roi_align_backward_kernel<T><<<detail::elementwise_blocks(total), 256, 0, stream>>>(
      grad_out, shape, rois, total, params, grad_features);
  return cudaGetLastError();
}

}  // namespace gpu
}  // namespace locuskit
