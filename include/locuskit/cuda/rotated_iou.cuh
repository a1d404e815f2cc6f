#pragma once
/// \file cuda/rotated_iou.cuh
/// Pairwise rotated IoU on the GPU, from the same host/device geometry as the CPU
/// (rotated/geometry.hpp): bitwise equal to `rotated::box_iou_rotated` when compiled with
/// `-fmad=false` (locuskit's CUDA flags), in both arithmetics.
#include <cuda_runtime.h>

#include <cstddef>

#include "../box/geometry.hpp"
#include "../rotated/iou.hpp"

namespace locuskit {
namespace gpu {
namespace detail {

constexpr int rotated_tile_cols = 64;  // boxes of the second set per CTA, staged in shared memory

template <class T>
__global__ void __launch_bounds__(256) box_iou_rotated_kernel(const T* __restrict__ a, long long n,
                                                              const T* __restrict__ b, long long m, T* __restrict__ out,
                                                              rotated::RotatedIouParams p, T degenerate) {
  __shared__ T tb[rotated_tile_cols * 5];
  const long long j0 = static_cast<long long>(blockIdx.x) * rotated_tile_cols;
  const int tid = threadIdx.y * blockDim.x + threadIdx.x;
  for (int t = tid; t < rotated_tile_cols * 5; t += blockDim.x * blockDim.y) {
    const long long k = j0 * 5 + t;
    if (k < m * 5) tb[t] = b[k];
  }
  __syncthreads();
  for (long long i = static_cast<long long>(blockIdx.y) * blockDim.y + threadIdx.y; i < n;
       i += static_cast<long long>(gridDim.y) * blockDim.y) {
    const T box_a[5] = {a[5 * i], a[5 * i + 1], a[5 * i + 2], a[5 * i + 3], a[5 * i + 4]};
    for (int t = threadIdx.x; t < rotated_tile_cols; t += blockDim.x) {
      const long long j = j0 + t;
      if (j < m) out[i * m + j] = locuskit::detail::rotated::pair_overlap(box_a, tb + 5 * t, p, degenerate);
    }
  }
}

}  // namespace detail

/// out (n, m) row-major = IoU (or IoF) of rotated boxes `boxes_a[i]`, `boxes_b[j]` ((k, 5) rows
/// (cx, cy, w, h, angle), device pointers) under `p` (convention, iof, arithmetic, degenerate).
/// Asynchronous on `stream`. `p` must be valid (rotated::box_iou_rotated's checks: detectron2
/// arithmetic needs degrees_ccw and IoU); returns cudaErrorInvalidValue otherwise, else the launch
/// error. No other validation.
template <class T>
cudaError_t box_iou_rotated(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                            const rotated::RotatedIouParams& p, cudaStream_t stream) {
  if (p.arithmetic == rotated::RotatedArithmetic::detectron2 &&
      (p.convention != rotated::AngleConvention::degrees_ccw || p.iof))
    return cudaErrorInvalidValue;
  if (n == 0 || m == 0) return cudaSuccess;
  const long long col_tiles = (static_cast<long long>(m) + detail::rotated_tile_cols - 1) / detail::rotated_tile_cols;
  if (col_tiles > 0x7fffffffLL) return cudaErrorInvalidValue;
  const dim3 block(32, 8);
  const long long row_blocks = (static_cast<long long>(n) + 7) / 8;
  const dim3 grid(static_cast<unsigned int>(col_tiles), static_cast<unsigned int>(row_blocks < 65535 ? row_blocks : 65535));
  detail::box_iou_rotated_kernel<T><<<grid, block, 0, stream>>>(boxes_a, static_cast<long long>(n), boxes_b,
                                                                 static_cast<long long>(m), out, p,
                                                                 degenerate_value<T>(p.degenerate));
  return cudaGetLastError();
}

}  // namespace gpu
}  // namespace locuskit
