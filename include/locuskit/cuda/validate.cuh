#pragma once
/// \file cuda/validate.cuh
/// Device-side input checks: the first offending row of boxes/scores, written to device memory,
/// so a binding can raise the same ValueError as the CPU path with one small read-back.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace locuskit {
namespace gpu {
namespace detail {

template <class T>
__global__ void first_invalid_kernel(const T* __restrict__ values, long long rows, int cols, bool boxes,
                                     unsigned long long* first) {
  for (long long r = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; r < rows;
       r += static_cast<long long>(gridDim.x) * blockDim.x) {
    bool bad = false;
    for (int c = 0; c < cols; ++c) {
      const T v = values[r * cols + c];
      bad |= boxes ? !isfinite(v) : (v != v);
    }
    if (boxes) {
      const T* b = values + 4 * r;
      bad |= !(b[2] >= b[0] && b[3] >= b[1]);
    }
    if (bad) atomicMin(first, static_cast<unsigned long long>(r));
  }
}

}  // namespace detail

/// *first (device) = the smallest row r of `values` (rows x cols) that is invalid, or stays at
/// its initial value (set here to ~0) if none: for boxes (cols 4, xyxy) a non-finite coordinate
/// or x2 < x1 / y2 < y1; otherwise (scores) a NaN. Asynchronous on `stream`.
template <class T>
cudaError_t first_invalid(const T* values, std::size_t rows, int cols, bool boxes, unsigned long long* first,
                          cudaStream_t stream) {
  cudaError_t e = cudaMemsetAsync(first, 0xff, sizeof(unsigned long long), stream);
  if (e != cudaSuccess || rows == 0) return e;
  const std::size_t blocks = (rows + 255) / 256;
  detail::first_invalid_kernel<T><<<static_cast<unsigned int>(blocks < 65535 ? blocks : 65535), 256, 0, stream>>>(
      values, static_cast<long long>(rows), cols, boxes, first);
  return cudaGetLastError();
}

}  // namespace gpu
}  // namespace locuskit
