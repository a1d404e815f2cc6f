#pragma once
/// \file cuda/segment_nms.cuh
/// The CUDA side of the blocked greedy NMS loop (cuda/segment_loop.cuh): the device execution
/// context and the kernels. No host synchronisation and no mask ever leaves the device.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "segment_loop.cuh"

namespace locuskit {
namespace gpu {
namespace detail {

struct CtaBarrier {
  __device__ void operator()() const { __syncthreads(); }
};
struct GridBarrier {
  __device__ void operator()() const { cooperative_groups::this_grid().sync(); }
};

/// Loads sorted box p (16-byte aligned rows written by the gather kernels).
__device__ __forceinline__ void load_box(const float* boxes, long long p, float (&b)[4]) {
  const float4 v = reinterpret_cast<const float4*>(boxes)[p];
  b[0] = v.x, b[1] = v.y, b[2] = v.z, b[3] = v.w;
}
__device__ __forceinline__ void load_box(const double* boxes, long long p, double (&b)[4]) {
  const double2 u = reinterpret_cast<const double2*>(boxes)[2 * p];
  const double2 v = reinterpret_cast<const double2*>(boxes)[2 * p + 1];
  b[0] = u.x, b[1] = u.y, b[2] = v.x, b[3] = v.y;
}

/// The execution context of segment_nms on the device; Barrier ends each step (CTA or grid).
template <class Barrier>
struct DeviceContext {
  __device__ __forceinline__ int tid() const { return threadIdx.x; }
  __device__ __forceinline__ int threads() const { return blockDim.x; }
  __device__ __forceinline__ void sync_block() const { __syncthreads(); }
  __device__ __forceinline__ void sync_warp() const { __syncwarp(); }
  __device__ __forceinline__ unsigned ballot(bool v) const { return __ballot_sync(0xffffffffu, v); }
  // Flags are written by other CTAs in grid mode: volatile accesses skip the incoherent L1.
  __device__ __forceinline__ unsigned char load_flag(const unsigned char* flags, long long i) const {
    return *static_cast<const volatile unsigned char*>(flags + i);
  }
  __device__ __forceinline__ void store_flag(unsigned char* flags, long long i) const {
    *static_cast<volatile unsigned char*>(flags + i) = 1;
  }
  template <class T>
  __device__ __forceinline__ void load_box(const T* boxes, long long p, T (&b)[4]) const {
    detail::load_box(boxes, p, b);
  }
  __device__ __forceinline__ void atomic_or(std::uint64_t* word, std::uint64_t bits) const {
    atomicOr(reinterpret_cast<unsigned long long*>(word), static_cast<unsigned long long>(bits));
  }
  __device__ __forceinline__ void barrier() const { Barrier{}(); }
  __device__ __forceinline__ unsigned int fetch_add(unsigned int* counter) const { return atomicAdd(counter, 1u); }
};

/// One segment [0, n) with the whole grid (cooperative launch when Barrier is GridBarrier, one
/// CTA otherwise), at most `cap` kept, overlap policy `o`.
template <class T, class Barrier, class O = AxisAlignedIoU>
__global__ void __launch_bounds__(nms_threads) one_segment_kernel(const T* __restrict__ boxes,
                                                                   unsigned char* removed,
                                                                   unsigned char* keep, long long n,
                                                                   T threshold, long long cap, O o) {
  __shared__ ChunkState<T, O> st;
  segment_nms<T>(DeviceContext<Barrier>{}, boxes, removed, keep, nullptr, nullptr, 0, n, threshold, cap, blockIdx.x,
                 gridDim.x, st, o);
}

/// Many segments, one CTA each, taken from an atomic counter (a dynamic schedule; results do not
/// depend on it). Segment s is [seg_begin[s], seg_end[s]); their number is *num_segments_device
/// when that pointer is non-null, else num_segments. Kept positions of segment s go to keep
/// flags and/or kept_list[s * kept_stride ...] with the count in kept_count[s].
template <class T, class O = AxisAlignedIoU>
__global__ void __launch_bounds__(nms_threads) segments_kernel(
    const T* __restrict__ boxes, unsigned char* removed, unsigned char* keep, const long long* seg_begin,
    const long long* seg_end, const long long* num_segments_device, long long num_segments, T threshold,
    long long cap, long long* kept_list, long long kept_stride, long long* kept_count,
    unsigned int* counter, O o = O{}) {
  __shared__ ChunkState<T, O> st;
  segments_loop<T>(DeviceContext<CtaBarrier>{}, boxes, removed, keep, seg_begin, seg_end, num_segments_device,
                   num_segments, threshold, cap, kept_list, kept_stride, kept_count, counter, st, o);
}

}  // namespace detail
}  // namespace gpu
}  // namespace locuskit
