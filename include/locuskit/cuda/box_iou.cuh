#pragma once
/// \file cuda/box_iou.cuh
/// Pairwise IoU on the GPU, bitwise equal to locuskit's CPU `box_iou` (and torchvision's
/// `box_iou` for ordinary boxes) when compiled with `-fmad=false`.
#include <cuda_runtime.h>

#include <cstddef>

#include "../box/geometry.hpp"

namespace locuskit {
namespace gpu {
namespace detail {

constexpr int iou_tile_cols = 128;  // boxes of the second set per CTA (x), rows per CTA: 8

template <class T>
__global__ void __launch_bounds__(256) box_iou_kernel(const T* __restrict__ a, long long n, const T* __restrict__ b,
                                                      long long m, T* __restrict__ out, T degenerate) {
  __shared__ T tb[iou_tile_cols][5];
  const long long j0 = static_cast<long long>(blockIdx.x) * iou_tile_cols;
  const int tid = threadIdx.y * blockDim.x + threadIdx.x;
  for (int t = tid; t < iou_tile_cols; t += blockDim.x * blockDim.y) {
    const long long j = j0 + t;
    if (j < m) {
      for (int c = 0; c < 4; ++c) tb[t][c] = b[4 * j + c];
      tb[t][4] = geometry::area(tb[t][0], tb[t][1], tb[t][2], tb[t][3]);
    }
  }
  __syncthreads();
  for (long long i = static_cast<long long>(blockIdx.y) * blockDim.y + threadIdx.y; i < n;
       i += static_cast<long long>(gridDim.y) * blockDim.y) {
    const T box_a[4] = {a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3]};
    const T area_a = geometry::area(box_a[0], box_a[1], box_a[2], box_a[3]);
    for (int t = threadIdx.x; t < iou_tile_cols; t += blockDim.x) {
      const long long j = j0 + t;
      if (j < m) out[i * m + j] = geometry::iou(box_a, area_a, tb[t], tb[t][4], degenerate);
    }
  }
}

}  // namespace detail

/// out (n, m) row-major = IoU(boxes_a[i], boxes_b[j]), device pointers, xyxy boxes; a pair with
/// union 0 yields `degenerate`. Asynchronous on `stream`; write-bound for large outputs
/// (n*m*sizeof(T) bytes). No validation. Returns the launch error.
template <class T>
cudaError_t box_iou(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out, T degenerate,
                    cudaStream_t stream) {
  if (n == 0 || m == 0) return cudaSuccess;
  const long long col_tiles = (static_cast<long long>(m) + detail::iou_tile_cols - 1) / detail::iou_tile_cols;
  if (col_tiles > 0x7fffffffLL) return cudaErrorInvalidValue;
  const dim3 block(32, 8);
  const long long row_blocks = (static_cast<long long>(n) + 7) / 8;
  const dim3 grid(static_cast<unsigned int>(col_tiles), static_cast<unsigned int>(row_blocks < 65535 ? row_blocks : 65535));
  detail::box_iou_kernel<T><<<grid, block, 0, stream>>>(boxes_a, static_cast<long long>(n), boxes_b,
                                                         static_cast<long long>(m), out, degenerate);
  return cudaGetLastError();
}

}  // namespace gpu
}  // namespace locuskit
