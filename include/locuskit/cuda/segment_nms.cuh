#pragma once
/// \file cuda/segment_nms.cuh
/// The device side of greedy NMS over runs ("segments") of boxes already sorted by score.
///
/// Algorithm (blocked greedy; memory O(n), no n x n mask): a cursor walks the sorted boxes. Each
/// step, warp 0 gathers the next <= 64 boxes that are not suppressed yet (a ballot scan over a
/// byte flag per box), the 256 threads compute their 64 x 64 suppression rows (a quarter row
/// each) and one thread resolves the chunk serially (`resolve_chunk`); the kept boxes and their
/// extent go to shared memory. Then every thread sweeps the later boxes: a box still alive and inside the extent
/// (`may_overlap`) is tested against the kept boxes and flagged as suppressed on the first IoU
/// above the threshold. A barrier ends the step. Suppressed boxes never enter a chunk, so the
/// number of steps is about (kept + chunk-internal suppressions) / 64, not n / 64.
///
/// The same loop runs in two modes: one CTA per segment (CTA barrier; many segments of a batch
/// are picked from an atomic work counter), or one whole grid per segment (cooperative launch,
/// grid barrier) for one big image. In grid mode every CTA resolves the chunk redundantly (the
/// flags it reads are final after the grid barrier, so all CTAs agree) and they split the sweep.
/// No host synchronisation and no mask ever leaves the device. Deterministic: the kept set does
/// not depend on scheduling, the block count, or the device.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "nms_common.cuh"

namespace locuskit {
namespace gpu {
namespace detail {

constexpr int nms_threads = 256;
static_assert(nms_threads == nms_chunk * row_pieces, "one thread per piece of a chunk row");

template <class T>
struct ChunkState {
  T box[nms_chunk][4];
  T area[nms_chunk];
  T kbox[nms_chunk][4];
  T karea[nms_chunk];
  std::uint64_t rows[nms_chunk];
  long long pos[nms_chunk];
  Extent<T> extent;
  long long cursor;
  long long kept_total;
  int kept_n;
  int n;
  long long segment;
};

struct CtaBarrier {
  __device__ void operator()() const { __syncthreads(); }
};
struct GridBarrier {
  __device__ void operator()() const { cooperative_groups::this_grid().sync(); }
};

__device__ __forceinline__ unsigned char load_flag(const unsigned char* flags, long long i) {
  return *static_cast<const volatile unsigned char*>(flags + i);  // written by other CTAs: skip L1
}
__device__ __forceinline__ void store_flag(unsigned char* flags, long long i) {
  *static_cast<volatile unsigned char*>(flags + i) = 1;
}

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

/// Greedy NMS of sorted positions [begin, end) of `boxes` (rows in score order). `removed` is the
/// per-position suppression flag (zeroed by the caller). Kept positions are reported, when the
/// pointers are non-null, as keep[p] = 1 and as the list kept_list[0 .. *kept_count). At most
/// `cap` boxes are kept. Called by every thread of the CTA (or of the grid: rank/ranks).
template <class T, class Barrier>
__device__ void segment_nms(const T* __restrict__ boxes, unsigned char* removed, unsigned char* keep,
                            long long* kept_list, long long* kept_count, long long begin, long long end,
                            T threshold, long long cap, int rank, int ranks, ChunkState<T>& st,
                            Barrier barrier) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  if (tid == 0) {
    st.cursor = begin;
    st.kept_total = 0;
  }
  __syncthreads();
  while (true) {
    const long long cursor = st.cursor;
    if (cursor >= end || st.kept_total >= cap) break;
    __syncthreads();  // everyone has read the state before it is rewritten
    if (warp == 0) {
      // 1. Gather the next <= 64 live positions (in order) with a ballot scan.
      // Four windows of 32 flags are loaded before the first ballot, so a long run of suppressed
      // boxes costs one memory latency per 128 positions.
      int n = 0;
      for (long long base = cursor; n < nms_chunk && base < end; base += 4 * 32) {
        bool alive[4];
#pragma unroll
        for (int w = 0; w < 4; ++w) {
          const long long p = base + 32 * w + lane;
          alive[w] = p < end && load_flag(removed, p) == 0;
        }
#pragma unroll
        for (int w = 0; w < 4; ++w) {
          const unsigned ballot = __ballot_sync(0xffffffffu, alive[w]);
          const int before = __popc(ballot & ((1u << lane) - 1u));
          if (alive[w] && n + before < nms_chunk) st.pos[n + before] = base + 32 * w + lane;
          n = min(nms_chunk, n + __popc(ballot));
        }
      }
      if (lane == 0) st.n = n;
      __syncwarp();
      for (int i = lane; i < n; i += 32) {
        T b[4];
        load_box(boxes, st.pos[i], b);
        for (int c = 0; c < 4; ++c) st.box[i][c] = b[c];
        st.area[i] = geometry::area(b[0], b[1], b[2], b[3]);
      }
      for (int i = lane; i < nms_chunk; i += 32) st.rows[i] = 0;
    }
    __syncthreads();
    const int n = st.n;
    {
      // 2. The chunk's suppression rows: thread t computes piece t % 4 of row t / 4.
      const int i = tid / row_pieces, q = tid % row_pieces, width = nms_chunk / row_pieces;
      if (i < n) {
        const std::uint64_t bits = chunk_row_bits<T>(st.box, st.area, i, q * width, min(n, (q + 1) * width), threshold);
        if (bits) atomicOr(reinterpret_cast<unsigned long long*>(&st.rows[i]), static_cast<unsigned long long>(bits));
      }
    }
    __syncthreads();
    if (tid == 0) {
      // ... and its serial greedy resolution; the kept boxes and their extent go to shared memory.
      const std::uint64_t kept = resolve_chunk(st.rows, n, cap - st.kept_total);
      int kn = 0;
      Extent<T> ext = empty_extent<T>();
      for (int i = 0; i < n; ++i) {
        if (!((kept >> i) & 1u)) continue;
        for (int c = 0; c < 4; ++c) st.kbox[kn][c] = st.box[i][c];
        st.karea[kn] = st.area[i];
        extend(ext, st.box[i], st.area[i]);
        if (rank == 0) {
          if (keep) keep[st.pos[i]] = 1;
          if (kept_list) kept_list[st.kept_total + kn] = st.pos[i];
        }
        ++kn;
      }
      st.extent = ext;
      st.kept_n = kn;
      st.kept_total += kn;
      st.cursor = n == nms_chunk ? st.pos[nms_chunk - 1] + 1 : end;
    }
    __syncthreads();
    // 3. Suppress later live boxes that a kept box of this chunk overlaps.
    const int kn = st.kept_n;
    if (kn > 0 && st.kept_total < cap) {
      const Extent<T> ext = st.extent;
      const long long stride = static_cast<long long>(ranks) * blockDim.x;
      for (long long p = st.cursor + static_cast<long long>(rank) * blockDim.x + tid; p < end; p += stride) {
        if (load_flag(removed, p)) continue;
        T b[4];
        load_box(boxes, p, b);
        if (!may_overlap(ext, b)) continue;
        const T area_b = geometry::area(b[0], b[1], b[2], b[3]);
        for (int k = 0; k < kn; ++k) {
          if (nms_iou(st.kbox[k], st.karea[k], b, area_b) > threshold) {
            store_flag(removed, p);
            break;
          }
        }
      }
    }
    barrier();
  }
  if (rank == 0 && tid == 0 && kept_count) *kept_count = st.kept_total;
  __syncthreads();  // st is reused by the next segment
}

/// One segment [0, n) with the whole grid (cooperative launch when Barrier is GridBarrier, one
/// CTA otherwise).
template <class T, class Barrier>
__global__ void __launch_bounds__(nms_threads) one_segment_kernel(const T* __restrict__ boxes,
                                                                   unsigned char* removed,
                                                                   unsigned char* keep, long long n,
                                                                   T threshold) {
  __shared__ ChunkState<T> st;
  segment_nms<T>(boxes, removed, keep, nullptr, nullptr, 0, n, threshold, n, blockIdx.x, gridDim.x, st,
                 Barrier{});
}

/// Many segments, one CTA each, taken from an atomic counter (a dynamic schedule; results do not
/// depend on it). Segment s is [seg_begin[s], seg_end[s]); their number is *num_segments_device
/// when that pointer is non-null, else num_segments. Kept positions of segment s go to keep
/// flags and/or kept_list[s * kept_stride ...] with the count in kept_count[s].
template <class T>
__global__ void __launch_bounds__(nms_threads) segments_kernel(
    const T* __restrict__ boxes, unsigned char* removed, unsigned char* keep, const long long* seg_begin,
    const long long* seg_end, const long long* num_segments_device, long long num_segments, T threshold,
    long long cap, long long* kept_list, long long kept_stride, long long* kept_count,
    unsigned int* counter) {
  __shared__ ChunkState<T> st;
  const long long total = num_segments_device ? *num_segments_device : num_segments;
  while (true) {
    if (threadIdx.x == 0) st.segment = atomicAdd(counter, 1u);
    __syncthreads();
    const long long s = st.segment;
    __syncthreads();
    if (s >= total) break;
    segment_nms<T>(boxes, removed, keep, kept_list ? kept_list + s * kept_stride : nullptr,
                   kept_count ? kept_count + s : nullptr, seg_begin[s], seg_end[s], threshold, cap, 0, 1, st,
                   CtaBarrier{});
  }
}

}  // namespace detail
}  // namespace gpu
}  // namespace locuskit
