#pragma once
/// \file cuda/nms.cuh
/// Greedy NMS and class-aware (batched) NMS on the GPU, with the kept indices of the CPU path.
///
/// Semantics (the same as locuskit's CPU `nms` / `batched_nms` and torchvision's CPU `nms`):
/// boxes are sorted by score descending with a stable radix sort (ties: lower index first; -0.0
/// equals +0.0; NaN first); box j is suppressed by a kept box i iff IoU(i, j) > threshold, where a
/// float32 IoU is compared with the largest float32 <= threshold (float64 compares exactly); IoU
/// is `geometry::iou` with 0 for a degenerate (union 0) pair; batched NMS is exact per class
/// (never the coordinate-offset trick). The output is the kept original indices, int64, sorted
/// by score descending (ties by index).
///
/// Pipeline, all on `stream`, no host synchronisation, O(n) device memory: radix keys -> cub
/// stable radix sort -> gather boxes into score order -> segment_nms (cuda/segment_nms.cuh) ->
/// cub::DeviceSelect::Flagged into `keep_out` with the count written to device memory.
///
/// Requires nvcc (include from a .cu file), CUDA 11.8+ with CUB; compile with `-fmad=false` for
/// IoU bits equal to the CPU's.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_select.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "nms_common.cuh"
#include "nms_steps.cuh"
#include "segment_nms.cuh"
#include "workspace.cuh"

namespace locuskit {
namespace gpu {

/// Above this many boxes a single-image nms uses a cooperative grid instead of one CTA.
constexpr std::size_t nms_grid_min_boxes = 4096;

namespace detail {

constexpr int elementwise_threads = 256;

inline unsigned int blocks_for(std::size_t n) {
  const std::size_t b = (n + elementwise_threads - 1) / elementwise_threads;
  return static_cast<unsigned int>(std::min<std::size_t>(std::max<std::size_t>(b, 1), 1u << 30));
}

#define LOCUSKIT_CUDA_TRY(expr)                 \
  do {                                          \
    const cudaError_t _e = (expr);              \
    if (_e != cudaSuccess) return _e;           \
  } while (0)

/// Runs f(i) for i in [0, n) over a grid-stride loop (f: a host-device functor of
/// cuda/nms_steps.cuh or cuda/multiclass_steps.cuh, which the CPU tests run with plain loops).
template <class F>
__global__ void for_each_index_kernel(long long n, F f) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    f(i);
}

template <class F>
cudaError_t for_each_index(long long n, F f, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  for_each_index_kernel<F><<<blocks_for(static_cast<std::size_t>(n)), elementwise_threads, 0, stream>>>(n, f);
  return cudaGetLastError();
}

template <class T>
struct NmsPlan {
  using Key = typename score_key_type<T>::type;
  Key* keys_in;
  Key* keys_out;
  long long* iota;
  long long* order;   // original indices in score order
  T* sorted_boxes;
  unsigned char* removed;
  unsigned char* keep;  // per sorted position
  // batched only
  unsigned long long* class_in;
  unsigned long long* class_out;
  long long* order2;  // original indices in (class, score) order
  long long* ordinal;
  long long* run_begin;
  long long* run_end;
  long long* num_runs;
  unsigned char* flag_by_index;
  unsigned int* counter;
  void* temp;
  std::size_t temp_bytes;
};

/// Lays out (or, with a null base, sizes) the workspace of nms (batched = false) or batched_nms.
template <class T>
cudaError_t plan_nms(void* base, std::size_t n, bool batched, NmsPlan<T>& p, std::size_t& bytes,
                     std::size_t columns = 4) {
  using Key = typename NmsPlan<T>::Key;
  WorkspaceCarver c(base);
  p = NmsPlan<T>{};
  p.keys_in = c.take<Key>(n);
  p.keys_out = c.take<Key>(n);
  p.iota = c.take<long long>(n);
  p.order = c.take<long long>(n);
  p.sorted_boxes = c.take<T>(columns * n);
  p.removed = c.take<unsigned char>(n);
  p.keep = c.take<unsigned char>(n);
  const int ni = static_cast<int>(n);
  std::size_t t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, t1, p.keys_in, p.keys_out, p.iota, p.order, ni));
  LOCUSKIT_CUDA_TRY(cub::DeviceSelect::Flagged(nullptr, t2, p.order, p.keep, p.iota, p.iota, ni));
  if (batched) {
    p.class_in = c.take<unsigned long long>(n);
    p.class_out = c.take<unsigned long long>(n);
    p.order2 = c.take<long long>(n);
    p.ordinal = c.take<long long>(n);
    p.run_begin = c.take<long long>(n);
    p.run_end = c.take<long long>(n);
    p.num_runs = c.take<long long>(1);
    p.flag_by_index = c.take<unsigned char>(n);
    p.counter = c.take<unsigned int>(1);
    LOCUSKIT_CUDA_TRY(
        cub::DeviceRadixSort::SortPairs(nullptr, t3, p.class_in, p.class_out, p.order, p.order2, ni));
    LOCUSKIT_CUDA_TRY(cub::DeviceScan::InclusiveSum(nullptr, t4, p.run_end, p.ordinal, ni));
  }
  p.temp_bytes = std::max({t1, t2, t3, t4});
  p.temp = c.take<unsigned char>(p.temp_bytes);
  bytes = c.used();
  return cudaSuccess;
}

/// Sorts scores descending (stable) into p.order (the boxes are read through it, not gathered).
template <class T>
cudaError_t sort_by_score(const T* scores, std::size_t n, NmsPlan<T>& p, cudaStream_t stream) {
  const long long nl = static_cast<long long>(n);
  LOCUSKIT_CUDA_TRY(for_each_index(nl, ScoreKeys<T>{scores, p.keys_in, p.iota}, stream));
  std::size_t tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(p.temp, tb, p.keys_in, p.keys_out, p.iota, p.order,
                                                    static_cast<int>(n), 0, 8 * int(sizeof(T)), stream));
  return cudaSuccess;
}

}  // namespace detail

/// Sets *bytes to the device workspace size of nms over n boxes on the current device (host
/// arithmetic and CUB size queries; no allocation, no synchronisation). O(n): about 55 bytes per
/// box for float32. Returns the first CUDA error (e.g. no device).
template <class T>
cudaError_t nms_workspace_bytes(std::size_t n, std::size_t* bytes) {
  detail::NmsPlan<T> p;
  *bytes = 0;
  return detail::plan_nms<T>(nullptr, n, false, p, *bytes);
}

/// Sets *bytes to the device workspace size of batched_nms over n boxes (see nms_workspace_bytes).
template <class T>
cudaError_t batched_nms_workspace_bytes(std::size_t n, std::size_t* bytes) {
  detail::NmsPlan<T> p;
  *bytes = 0;
  return detail::plan_nms<T>(nullptr, n, true, p, *bytes);
}

namespace detail {

/// nms with the overlap policy `o` (boxes of O::box_columns columns), the strict threshold `thr`
/// (suppress iff overlap > thr) and at most `cap` kept.
template <class T, class O>
cudaError_t nms_with(const T* boxes, const T* scores, std::size_t n, const O& o, T thr, long long cap,
                     std::int64_t* keep_out, std::int64_t* keep_count, void* workspace, std::size_t workspace_bytes,
                     cudaStream_t stream) {
  if (n == 0) return cudaMemsetAsync(keep_count, 0, sizeof(std::int64_t), stream);
  if (n > 0x7fffffffu) return cudaErrorInvalidValue;
  NmsPlan<T> p;
  std::size_t need = 0;
  LOCUSKIT_CUDA_TRY(plan_nms<T>(workspace, n, false, p, need, O::box_columns));
  if (workspace_bytes < need) return cudaErrorInvalidValue;
  const long long nl = static_cast<long long>(n);
  LOCUSKIT_CUDA_TRY(sort_by_score(scores, n, p, stream));
  LOCUSKIT_CUDA_TRY(for_each_index(nl, GatherBoxes<T>{boxes, p.order, p.sorted_boxes, int(O::box_columns)}, stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.removed, 0, n, stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.keep, 0, n, stream));
  int grid = 1;
  if (n >= nms_grid_min_boxes) {
    int device = 0, sms = 0, coop = 0, per_sm = 0;
    LOCUSKIT_CUDA_TRY(cudaGetDevice(&device));
    LOCUSKIT_CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    LOCUSKIT_CUDA_TRY(cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, device));
    LOCUSKIT_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
        &per_sm, one_segment_kernel<T, GridBarrier, O>, nms_threads, 0));
    const long long wanted = (nl + nms_threads - 1) / nms_threads;
    if (coop && per_sm > 0) grid = static_cast<int>(std::min<long long>(wanted, 1LL * per_sm * sms));
  }
  if (grid > 1) {
    const T* b = p.sorted_boxes;
    unsigned char* r = p.removed;
    unsigned char* k = p.keep;
    long long nn = nl;
    T t = thr;
    long long c = cap;
    O oo = o;
    void* args[] = {&b, &r, &k, &nn, &t, &c, &oo};
    const cudaError_t e = cudaLaunchCooperativeKernel(reinterpret_cast<void*>(one_segment_kernel<T, GridBarrier, O>),
                                                      dim3(grid), dim3(nms_threads), args, 0, stream);
    if (e == cudaErrorCooperativeLaunchTooLarge || e == cudaErrorNotSupported) {
      cudaGetLastError();  // e.g. under MPS limits: the one-CTA kernel gives the same result
      grid = 1;
    } else if (e != cudaSuccess) {
      return e;
    }
  }
  if (grid == 1) {
    one_segment_kernel<T, CtaBarrier, O><<<1, nms_threads, 0, stream>>>(p.sorted_boxes, p.removed, p.keep, nl, thr,
                                                                       cap, o);
    LOCUSKIT_CUDA_TRY(cudaGetLastError());
  }
  std::size_t tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceSelect::Flagged(p.temp, tb, p.order, p.keep, keep_out, keep_count,
                                               static_cast<int>(n), stream));
  return cudaSuccess;
}

/// batched_nms with the overlap policy `o` and the strict threshold `thr`; at most `cap` kept in all
/// (a prefix of the score-ordered result: the count is clamped).
template <class T, class O>
cudaError_t batched_nms_with(const T* boxes, const T* scores, const std::int64_t* classes, std::size_t n, const O& o,
                             T thr, long long cap, std::int64_t* keep_out, std::int64_t* keep_count, void* workspace,
                             std::size_t workspace_bytes, cudaStream_t stream) {
  if (n == 0) return cudaMemsetAsync(keep_count, 0, sizeof(std::int64_t), stream);
  if (n > 0x7fffffffu) return cudaErrorInvalidValue;
  NmsPlan<T> p;
  std::size_t need = 0;
  LOCUSKIT_CUDA_TRY(plan_nms<T>(workspace, n, true, p, need, O::box_columns));
  if (workspace_bytes < need) return cudaErrorInvalidValue;
  const long long nl = static_cast<long long>(n);
  const int ni = static_cast<int>(n);
  LOCUSKIT_CUDA_TRY(sort_by_score(scores, n, p, stream));
  // Stable sort by class: (class, score desc, index) order in order2.
  LOCUSKIT_CUDA_TRY(for_each_index(nl, ClassKeys{classes, p.order, p.class_in}, stream));
  std::size_t tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(p.temp, tb, p.class_in, p.class_out, p.order, p.order2, ni, 0,
                                                    64, stream));
  // Run heads go to run_end (free until RunBounds), their inclusive scan to ordinal (no aliasing).
  LOCUSKIT_CUDA_TRY(for_each_index(nl, RunHeads{p.class_out, p.run_end}, stream));
  tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceScan::InclusiveSum(p.temp, tb, p.run_end, p.ordinal, ni, stream));
  LOCUSKIT_CUDA_TRY(
      for_each_index(nl, RunBounds{p.class_out, p.ordinal, nl, p.run_begin, p.run_end, p.num_runs}, stream));
  LOCUSKIT_CUDA_TRY(for_each_index(nl, GatherBoxes<T>{boxes, p.order2, p.sorted_boxes, int(O::box_columns)}, stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.removed, 0, n, stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.keep, 0, n, stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.counter, 0, sizeof(unsigned int), stream));
  int device = 0, sms = 0;
  LOCUSKIT_CUDA_TRY(cudaGetDevice(&device));
  LOCUSKIT_CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const unsigned int ctas = static_cast<unsigned int>(std::min<long long>(nl, 8LL * std::max(sms, 1)));
  segments_kernel<T, O><<<ctas, nms_threads, 0, stream>>>(p.sorted_boxes, p.removed, p.keep, p.run_begin, p.run_end,
                                                       p.num_runs, 0, thr, nl, nullptr, 0, nullptr, p.counter,
                                                          o);
  LOCUSKIT_CUDA_TRY(cudaGetLastError());
  // Back to score order: flags by original index, then read in score order.
  LOCUSKIT_CUDA_TRY(for_each_index(nl, ScatterFlags{p.keep, p.order2, p.flag_by_index}, stream));
  LOCUSKIT_CUDA_TRY(for_each_index(nl, GatherFlags{p.flag_by_index, p.order, p.removed}, stream));
  tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceSelect::Flagged(p.temp, tb, p.order, p.removed, keep_out, keep_count, ni, stream));
  if (cap < nl) LOCUSKIT_CUDA_TRY(for_each_index(1, ClampCount{keep_count, cap}, stream));
  return cudaSuccess;
}

}  // namespace detail

/// Greedy NMS on the device. `boxes` (n, 4) xyxy and `scores` (n,) are device pointers of the same
/// type; writes the kept indices (int64, score order) to keep_out[0 .. *keep_count) (keep_out has
/// room for n, keep_count is one device int64). `workspace` holds nms_workspace_bytes<T>(n)
/// bytes (on the same device). Asynchronous on `stream`; nothing is copied to the host. n < 2^31. Inputs are not
/// validated (see locuskit::check_boxes_xyxy for the host-side contract). Returns the first CUDA
/// error. Work O(n log n + n * kept / 64 + IoU tests), memory O(n). Thread-safe for distinct
/// workspaces.
template <class T>
cudaError_t nms(const T* boxes, const T* scores, std::size_t n, double iou_threshold, std::int64_t* keep_out,
                std::int64_t* keep_count, void* workspace, std::size_t workspace_bytes, cudaStream_t stream) {
  return detail::nms_with<T>(boxes, scores, n, AxisAlignedIoU{}, threshold_as<T>(iou_threshold),
                             static_cast<long long>(n), keep_out, keep_count, workspace, workspace_bytes, stream);
}

/// Class-aware NMS on the device: boxes of different `classes` (int64, any values) never suppress
/// each other; within a class it is exactly `nms`. Output as `nms`: kept indices sorted by score
/// descending over all classes (ties by index). One CTA per class run (dynamic schedule); a
/// workspace of batched_nms_workspace_bytes<T>(n) bytes. Asynchronous, no host synchronisation. This
/// is also the batch-of-images entry point: give each (image, class) pair its own id.
template <class T>
cudaError_t batched_nms(const T* boxes, const T* scores, const std::int64_t* classes, std::size_t n,
                        double iou_threshold, std::int64_t* keep_out, std::int64_t* keep_count, void* workspace,
                        std::size_t workspace_bytes, cudaStream_t stream) {
  return detail::batched_nms_with<T>(boxes, scores, classes, n, AxisAlignedIoU{}, threshold_as<T>(iou_threshold),
                                     static_cast<long long>(n), keep_out, keep_count, workspace, workspace_bytes,
                                     stream);
}

}  // namespace gpu
}  // namespace locuskit
