#pragma once
/// \file cuda/segment_loop.cuh
/// The blocked greedy NMS loop over one run ("segment") of score-sorted boxes, written against a
/// small execution context so the very same code runs on the GPU (cuda/segment_nms.cuh supplies
/// CUDA intrinsics) and on the CPU (the tests run it with one std::thread per CUDA thread and real
/// barriers, then compare it with greedy NMS). No CUDA header is needed here.
///
/// Algorithm (memory O(n), no n x n mask): a cursor walks the sorted boxes. Each step, warp 0
/// gathers the next <= 64 boxes that are not suppressed yet (a ballot scan over a byte flag per
/// box), the 256 threads compute their 64 x 64 suppression rows (a quarter row each) and one
/// thread resolves the chunk serially (`resolve_chunk`); the kept boxes and their extent go to
/// shared memory. Then every thread sweeps the later boxes: a box still alive and inside the
/// extent (`may_overlap`) is tested against the kept boxes and flagged as suppressed on the first
/// IoU above the threshold. A barrier ends the step. Suppressed boxes never enter a chunk, so the
/// number of steps is about (kept + chunk-internal suppressions) / 64, not n / 64.
///
/// The loop runs in two modes: one CTA per segment (the context's barrier is the CTA barrier), or
/// one whole grid per segment (grid barrier, rank/ranks = CTA index/count): every CTA resolves the
/// chunk redundantly (the flags it reads are final after the grid barrier, so all CTAs agree) and
/// they split the sweep. Deterministic: the kept set does not depend on scheduling or on the
/// number of CTAs.
#include <cstdint>

#include "nms_common.cuh"

#if defined(__CUDACC__)
#define LOCUSKIT_SEGMENT_FN __device__
#define LOCUSKIT_UNROLL _Pragma("unroll")
#else
#define LOCUSKIT_SEGMENT_FN inline
#define LOCUSKIT_UNROLL
#endif

namespace locuskit {
namespace gpu {
namespace detail {

/// Threads per CTA of the NMS loop: one per quarter of a chunk row.
constexpr int nms_threads = 256;
static_assert(nms_threads == nms_chunk * row_pieces, "one thread per piece of a chunk row");

/// The loop's shared memory (one per CTA), for boxes of the overlap policy O (nms/overlap.hpp).
template <class T, class O = AxisAlignedIoU>
struct ChunkState {
  using Box = typename O::template Box<T>;
  Box box[nms_chunk];   // the chunk's boxes, prepared by the policy (e.g. with their areas)
  Box kbox[nms_chunk];  // its kept boxes
  std::uint64_t rows[nms_chunk];
  long long pos[nms_chunk];
  typename ChunkCull<O>::template Ext<T> extent;
  long long cursor;
  long long kept_total;
  int kept_n;
  int n;
  long long segment;
};

LOCUSKIT_HOST_DEVICE inline int popcount32(unsigned v) noexcept {
#if defined(__CUDA_ARCH__)
  return __popc(v);
#else
  return __builtin_popcount(v);
#endif
}

/// Loads row p (O::box_columns values) of the score-sorted boxes: the context's vector load for
/// xyxy rows, plain loads otherwise.
template <class O, class T, class Ctx>
LOCUSKIT_SEGMENT_FN typename O::template Box<T> load_prepared(const Ctx& ctx, const O& o, const T* boxes,
                                                              long long p) {
  if constexpr (O::box_columns == 4) {
    T b[4];
    ctx.load_box(boxes, p, b);
    return o.prepare(b);
  } else {
    T b[O::box_columns];
    for (int c = 0; c < int(O::box_columns); ++c) b[c] = boxes[static_cast<long long>(O::box_columns) * p + c];
    return o.prepare(b);
  }
}

/// Greedy NMS of sorted positions [begin, end) of `boxes` (rows in score order). `removed` is the
/// per-position suppression flag (zeroed by the caller). Kept positions are reported, when the
/// pointers are non-null, as keep[p] = 1 and as the list kept_list[0 .. *kept_count). At most
/// `cap` boxes are kept. Called by every thread of the CTA (or of the grid: rank/ranks).
/// `ctx` supplies the thread index and count, barriers, warp ballot, flag access and box loads:
/// CUDA intrinsics on the device (DeviceContext in segment_nms.cuh), threads on the CPU tests.
/// The overlap is the policy `o` (AxisAlignedIoU by default, RotatedIoU for rotated NMS): a box is
/// suppressed iff o.overlap(kept, box) > threshold (a strict threshold, see strict_iou_threshold).
template <class T, class Ctx, class O = AxisAlignedIoU>
LOCUSKIT_SEGMENT_FN void segment_nms(const Ctx& ctx, const T* __restrict__ boxes, unsigned char* removed,
                                     unsigned char* keep, long long* kept_list, long long* kept_count,
                                     long long begin, long long end, T threshold, long long cap, int rank,
                                     int ranks, ChunkState<T, O>& st, const O& o = O{}) {
  using Cull = ChunkCull<O>;
  // Culling drops pairs whose overlap is 0; it is exact only if 0 does not exceed the threshold.
  const bool cull = !(threshold < T(0));
  const int tid = ctx.tid(), lane = tid & 31, warp = tid >> 5;
  const long long threads = ctx.threads();
  if (tid == 0) {
    st.cursor = begin;
    st.kept_total = 0;
  }
  ctx.sync_block();
  while (true) {
    const long long cursor = st.cursor;
    if (cursor >= end || st.kept_total >= cap) break;
    ctx.sync_block();  // everyone has read the state before it is rewritten
    if (warp == 0) {
      // 1. Gather the next <= 64 live positions (in order) with a ballot scan.
      // Four windows of 32 flags are loaded before the first ballot, so a long run of suppressed
      // boxes costs one memory latency per 128 positions.
      int n = 0;
      for (long long base = cursor; n < nms_chunk && base < end; base += 4 * 32) {
        bool alive[4];
LOCUSKIT_UNROLL
        for (int w = 0; w < 4; ++w) {
          const long long p = base + 32 * w + lane;
          alive[w] = p < end && ctx.load_flag(removed, p) == 0;
        }
LOCUSKIT_UNROLL
        for (int w = 0; w < 4; ++w) {
          const unsigned ballot = ctx.ballot(alive[w]);
          const int before = popcount32(ballot & ((1u << lane) - 1u));
          if (alive[w] && n + before < nms_chunk) st.pos[n + before] = base + 32 * w + lane;
          n = n + popcount32(ballot) < nms_chunk ? n + popcount32(ballot) : nms_chunk;
        }
      }
      if (lane == 0) st.n = n;
      ctx.sync_warp();
      for (int i = lane; i < n; i += 32) st.box[i] = load_prepared(ctx, o, boxes, st.pos[i]);
      for (int i = lane; i < nms_chunk; i += 32) st.rows[i] = 0;
    }
    ctx.sync_block();
    const int n = st.n;
    {
      // 2. The chunk's suppression rows: thread t computes piece t % 4 of row t / 4.
      const int i = tid / row_pieces, q = tid % row_pieces, width = nms_chunk / row_pieces;
      if (i < n) {
        const int j_end = (q + 1) * width < n ? (q + 1) * width : n;
        const std::uint64_t bits = policy_row_bits(o, st.box, i, q * width, j_end, threshold);
        if (bits) ctx.atomic_or(&st.rows[i], bits);
      }
    }
    ctx.sync_block();
    if (tid == 0) {
      // ... and its serial greedy resolution; the kept boxes and their extent go to shared memory.
      const std::uint64_t kept = resolve_chunk(st.rows, n, cap - st.kept_total);
      int kn = 0;
      auto ext = empty_extent<typename decltype(st.extent)::value_type>();
      for (int i = 0; i < n; ++i) {
        if (!((kept >> i) & 1u)) continue;
        st.kbox[kn] = st.box[i];
        Cull::add(ext, st.box[i]);
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
    ctx.sync_block();
    // 3. Suppress later live boxes that a kept box of this chunk overlaps.
    const int kn = st.kept_n;
    if (kn > 0 && st.kept_total < cap) {
      const auto ext = st.extent;
      const long long stride = static_cast<long long>(ranks) * threads;
      for (long long p = st.cursor + static_cast<long long>(rank) * threads + tid; p < end; p += stride) {
        if (ctx.load_flag(removed, p)) continue;
        const auto b = load_prepared(ctx, o, boxes, p);
        if (cull && !Cull::may(ext, b)) continue;
        for (int k = 0; k < kn; ++k) {
          if (o.overlap(st.kbox[k], b) > threshold) {
            ctx.store_flag(removed, p);
            break;
          }
        }
      }
    }
    ctx.barrier();
  }
  if (rank == 0 && tid == 0 && kept_count) *kept_count = st.kept_total;
  ctx.sync_block();  // st is reused by the next segment
}

/// Many segments, one CTA each, taken from a shared counter (a dynamic schedule; results do not
/// depend on it): segment s is [seg_begin[s], seg_end[s]); there are *num_segments_device of them
/// when that pointer is non-null, else num_segments. Kept positions of segment s go to keep flags
/// and/or kept_list[s * kept_stride ...] with the count in kept_count[s]; at most `cap` per segment.
/// `counter` starts at 0; ctx.fetch_add increments it atomically.
template <class T, class Ctx, class O = AxisAlignedIoU>
LOCUSKIT_SEGMENT_FN void segments_loop(const Ctx& ctx, const T* __restrict__ boxes, unsigned char* removed,
                                       unsigned char* keep, const long long* seg_begin, const long long* seg_end,
                                       const long long* num_segments_device, long long num_segments, T threshold,
                                       long long cap, long long* kept_list, long long kept_stride,
                                       long long* kept_count, unsigned int* counter, ChunkState<T, O>& st,
                                       const O& o = O{}) {
  const long long total = num_segments_device ? *num_segments_device : num_segments;
  while (true) {
    if (ctx.tid() == 0) st.segment = ctx.fetch_add(counter);
    ctx.sync_block();
    const long long s = st.segment;
    ctx.sync_block();
    if (s >= total) break;
    segment_nms<T>(ctx, boxes, removed, keep, kept_list ? kept_list + s * kept_stride : nullptr,
                   kept_count ? kept_count + s : nullptr, seg_begin[s], seg_end[s], threshold, cap, 0, 1, st, o);
  }
}

}  // namespace detail
}  // namespace gpu
}  // namespace locuskit
