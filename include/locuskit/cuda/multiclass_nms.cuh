#pragma once
/// \file cuda/multiclass_nms.cuh
/// Batched multi-class NMS with fixed-size padded outputs (TensorRT EfficientNMS / TF
/// `combined_non_max_suppression` layout), exact and deterministic, entirely on the device.
///
/// For each image b of a batch: candidates are the (box n, class c) pairs with
/// score[b, n, c] > score_threshold; per class (or over all classes with class_agnostic) greedy
/// NMS keeps at most max_output_per_class of them (IoU > iou_threshold suppresses, the CPU rule of
/// cuda/nms.cuh; ties by lower box index, then lower class); the kept detections of the image are
/// merged in order of score descending, ties by (box index, class), and the first max_total are
/// written. Outputs are padded: boxes and scores 0, classes and indices -1 past counts[b].
/// With class_agnostic the per-class cap applies to the image's single candidate list.
///
/// Pipeline (no host synchronisation, memory O(B*N*C)): score radix keys -> stable radix sort ->
/// stable radix sort by segment (image, class), non-candidates last -> gather boxes -> one CTA per
/// segment (segment_nms, early exit at the cap) writing kept positions into per-segment slots ->
/// three stable radix sorts of the slots (box index, score, image) -> padded outputs.
#include <cub/device/device_radix_sort.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "multiclass_steps.cuh"
#include "nms.cuh"

namespace locuskit {
namespace gpu {

namespace detail {

template <class T>
struct MulticlassPlan {
  using Key = typename score_key_type<T>::type;
  Key* keys_in;
  Key* keys_out;
  unsigned int* iota;
  unsigned int* order1;
  unsigned int* seg_in;
  unsigned int* seg_out;
  unsigned int* order2;
  T* sorted_boxes;
  unsigned char* removed;
  long long* seg_begin;
  long long* seg_end;
  long long* kept_list;
  long long* kept_count;
  unsigned int* counter;
  unsigned int* mkey_in;
  unsigned int* mkey_out;
  Key* mscore_in;
  Key* mscore_out;
  unsigned int* mval_a;
  unsigned int* mval_b;
  void* temp;
  std::size_t temp_bytes;
};

template <class T>
cudaError_t plan_multiclass(void* base, const MulticlassDims& d, MulticlassPlan<T>& p, std::size_t& bytes) {
  using Key = typename MulticlassPlan<T>::Key;
  WorkspaceCarver c(base);
  p = MulticlassPlan<T>{};
  const std::size_t E = static_cast<std::size_t>(d.E), S = static_cast<std::size_t>(d.S),
                    M = static_cast<std::size_t>(d.M);
  p.keys_in = c.take<Key>(E);
  p.keys_out = c.take<Key>(E);
  p.iota = c.take<unsigned int>(E);
  p.order1 = c.take<unsigned int>(E);
  p.seg_in = c.take<unsigned int>(E);
  p.seg_out = c.take<unsigned int>(E);
  p.order2 = c.take<unsigned int>(E);
  p.sorted_boxes = c.take<T>(4 * E);
  p.removed = c.take<unsigned char>(E);
  p.seg_begin = c.take<long long>(S);
  p.seg_end = c.take<long long>(S);
  p.kept_list = c.take<long long>(M);
  p.kept_count = c.take<long long>(S);
  p.counter = c.take<unsigned int>(1);
  p.mkey_in = c.take<unsigned int>(M);
  p.mkey_out = c.take<unsigned int>(M);
  p.mscore_in = c.take<Key>(M);
  p.mscore_out = c.take<Key>(M);
  p.mval_a = c.take<unsigned int>(M);
  p.mval_b = c.take<unsigned int>(M);
  std::size_t t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  const int ei = static_cast<int>(E), mi = static_cast<int>(M);
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, t1, p.keys_in, p.keys_out, p.iota, p.order1, ei));
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, t2, p.seg_in, p.seg_out, p.order1, p.order2, ei));
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, t3, p.mkey_in, p.mkey_out, p.mval_a, p.mval_b, mi));
  LOCUSKIT_CUDA_TRY(
      cub::DeviceRadixSort::SortPairs(nullptr, t4, p.mscore_in, p.mscore_out, p.mval_a, p.mval_b, mi));
  p.temp_bytes = std::max({t1, t2, t3, t4});
  p.temp = c.take<unsigned char>(p.temp_bytes);
  bytes = c.used();
  return cudaSuccess;
}

}  // namespace detail

/// Sets *bytes to the device workspace size of multiclass_nms for `shape` on the current device
/// (no allocation, no synchronisation). O(B*N*C): about 55 bytes per (box, class) score for
/// float32.
template <class T>
cudaError_t multiclass_nms_workspace_bytes(const MulticlassShape& shape, std::size_t* bytes) {
  detail::MulticlassPlan<T> p;
  *bytes = 0;
  const detail::MulticlassDims d = detail::multiclass_dims(shape);
  if (d.E > 0x7fffffffLL || d.M > 0x7fffffffLL) return cudaErrorInvalidValue;
  if (d.B == 0 || d.E == 0 || d.W == 0) return cudaSuccess;
  return detail::plan_multiclass<T>(nullptr, d, p, *bytes);
}

/// Multi-class NMS over a batch (see the file comment for the semantics). Device pointers:
/// `boxes` (B, N, 4) or (B, N, C, 4) xyxy, `scores` (B, N, C); outputs `out_boxes` (B, K, 4),
/// `out_scores` (B, K), `out_classes` (B, K) int64, `out_indices` (B, K) int64 (box index n),
/// `out_counts` (B,) int64, K = shape.max_total. Asynchronous on `stream`, no host
/// synchronisation at all (the outputs have fixed sizes). B*N*C < 2^31. Returns the first CUDA
/// error.
template <class T>
cudaError_t multiclass_nms(const T* boxes, const T* scores, const MulticlassShape& shape, double score_threshold,
                           double iou_threshold, T* out_boxes, T* out_scores, std::int64_t* out_classes,
                           std::int64_t* out_indices, std::int64_t* out_counts, void* workspace,
                           std::size_t workspace_bytes, cudaStream_t stream) {
  using namespace detail;
  const MulticlassDims d = multiclass_dims(shape);
  if (d.E > 0x7fffffffLL || d.M > 0x7fffffffLL) return cudaErrorInvalidValue;
  if (d.B == 0) return cudaSuccess;
  if (d.E == 0 || d.W == 0) {  // nothing can be kept: padding only
    LOCUSKIT_CUDA_TRY(cudaMemsetAsync(out_counts, 0, sizeof(std::int64_t) * d.B, stream));
    LOCUSKIT_CUDA_TRY(for_each_index(d.B * d.K,
                                     McOutput<T>{boxes, shape.boxes_per_class, scores, nullptr, nullptr, nullptr,
                                                 out_counts, d, out_boxes, out_scores, out_classes, out_indices},
                                     stream));
    return cudaSuccess;
  }
  MulticlassPlan<T> p;
  std::size_t need = 0;
  LOCUSKIT_CUDA_TRY(plan_multiclass<T>(workspace, d, p, need));
  if (workspace_bytes < need) return cudaErrorInvalidValue;
  using Key = typename MulticlassPlan<T>::Key;
  const T iou_thr = threshold_as<T>(iou_threshold), score_thr = threshold_as<T>(score_threshold);
  const int ei = static_cast<int>(d.E), mi = static_cast<int>(d.M);
  std::size_t tb = 0;
  // 1. (segment, score desc, box, class) order of all elements; non-candidates last.
  LOCUSKIT_CUDA_TRY(for_each_index(d.E, McScoreKeys<T>{scores, p.keys_in, p.iota}, stream));
  tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(p.temp, tb, p.keys_in, p.keys_out, p.iota, p.order1, ei, 0,
                                                    8 * int(sizeof(Key)), stream));
  LOCUSKIT_CUDA_TRY(for_each_index(
      d.E, McSegmentKeys<T>{scores, p.order1, d, shape.class_agnostic, score_thr, p.seg_in}, stream));
  tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(p.temp, tb, p.seg_in, p.seg_out, p.order1, p.order2, ei, 0,
                                                    bits_for(static_cast<unsigned long long>(d.S)), stream));
  // 2. Segment bounds, boxes in that order, per-segment greedy NMS into slots.
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.seg_begin, 0, sizeof(long long) * d.S, stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.seg_end, 0, sizeof(long long) * d.S, stream));
  LOCUSKIT_CUDA_TRY(for_each_index(d.E,
                                   McBoundsGather<T>{boxes, shape.boxes_per_class, p.seg_out, p.order2, d,
                                                     p.seg_begin, p.seg_end, p.sorted_boxes},
                                   stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.removed, 0, static_cast<std::size_t>(d.E), stream));
  LOCUSKIT_CUDA_TRY(cudaMemsetAsync(p.counter, 0, sizeof(unsigned int), stream));
  int device = 0, sms = 0;
  LOCUSKIT_CUDA_TRY(cudaGetDevice(&device));
  LOCUSKIT_CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const unsigned int ctas = static_cast<unsigned int>(std::min<long long>(d.S, 8LL * std::max(sms, 1)));
  segments_kernel<T><<<ctas, nms_threads, 0, stream>>>(p.sorted_boxes, p.removed, nullptr, p.seg_begin, p.seg_end,
                                                       nullptr, d.S, iou_thr, d.W, p.kept_list, d.W, p.kept_count,
                                                       p.counter);
  LOCUSKIT_CUDA_TRY(cudaGetLastError());
  // 3. Merge per image: stable sorts by box index, then score, then image (LSD order), so each
  //    image's slots end up (score desc, box, class) with invalid slots last.
  LOCUSKIT_CUDA_TRY(for_each_index(
      d.M, McMergeKeys<T>{0, nullptr, scores, p.order2, p.kept_list, p.kept_count, d, p.mkey_in, nullptr, p.mval_a},
      stream));
  tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(p.temp, tb, p.mkey_in, p.mkey_out, p.mval_a, p.mval_b, mi, 0,
                                                    bits_for(static_cast<unsigned long long>(d.N)), stream));
  LOCUSKIT_CUDA_TRY(for_each_index(
      d.M, McMergeKeys<T>{1, p.mval_b, scores, p.order2, p.kept_list, p.kept_count, d, nullptr, p.mscore_in, nullptr},
      stream));
  tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(p.temp, tb, p.mscore_in, p.mscore_out, p.mval_b, p.mval_a, mi,
                                                    0, 8 * int(sizeof(Key)), stream));
  LOCUSKIT_CUDA_TRY(for_each_index(
      d.M, McMergeKeys<T>{2, p.mval_a, scores, p.order2, p.kept_list, p.kept_count, d, p.mkey_in, nullptr, nullptr},
      stream));
  tb = p.temp_bytes;
  LOCUSKIT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(p.temp, tb, p.mkey_in, p.mkey_out, p.mval_a, p.mval_b, mi, 0,
                                                    bits_for(static_cast<unsigned long long>(d.B)), stream));
  // 4. Padded outputs.
  LOCUSKIT_CUDA_TRY(for_each_index(d.B, McCounts{p.kept_count, d, out_counts}, stream));
  LOCUSKIT_CUDA_TRY(for_each_index(d.B * d.K,
                                   McOutput<T>{boxes, shape.boxes_per_class, scores, p.mval_b, p.order2, p.kept_list,
                                               out_counts, d, out_boxes, out_scores, out_classes, out_indices},
                                   stream));
  return cudaSuccess;
}

}  // namespace gpu
}  // namespace locuskit
