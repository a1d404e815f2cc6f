#pragma once
/// \file cuda/nms_steps.cuh
/// The element-wise steps of the GPU nms / batched_nms pipelines (cuda/nms.cuh) as host-device
/// functors: the GPU runs each over a grid-stride loop between CUB calls, and the CPU tests run the
/// same functors with plain loops (std::stable_sort, std::partial_sum and std::copy_if in place of
/// the radix sort, scan and select) against greedy NMS. No CUDA header is needed here.
#include <cstdint>

#include "nms_common.cuh"

namespace locuskit {
namespace gpu {
namespace detail {

/// keys[i] = descending score key, indices[i] = i.
template <class T>
struct ScoreKeys {
  const T* scores;
  typename score_key_type<T>::type* keys;
  long long* indices;
  LOCUSKIT_HOST_DEVICE void operator()(long long i) const {
    keys[i] = descending_score_key(scores[i]);
    indices[i] = i;
  }
};

/// out row p = boxes row order[p], rows of `columns` values (4: xyxy, 16-byte aligned in out for
/// the loop's vector loads; 5: rotated).
template <class T>
struct GatherBoxes {
  const T* boxes;
  const long long* order;
  T* out;
  int columns = 4;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const {
    const T* b = boxes + columns * order[p];
    for (int c = 0; c < columns; ++c) out[columns * p + c] = b[c];
  }
};

/// Class ids of the score-sorted boxes as order-preserving unsigned radix keys.
struct ClassKeys {
  const std::int64_t* classes;
  const long long* order;
  unsigned long long* keys;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const {
    keys[p] = static_cast<unsigned long long>(classes[order[p]]) ^ (1ull << 63);
  }
};

/// heads[p] = 1 where a class run starts in the class-sorted keys.
struct RunHeads {
  const unsigned long long* keys;
  long long* heads;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const { heads[p] = (p == 0 || keys[p] != keys[p - 1]) ? 1 : 0; }
};

/// From the inclusive scan of the heads (run ordinal + 1): run bounds and the run count.
struct RunBounds {
  const unsigned long long* keys;
  const long long* ordinal;
  long long n;
  long long* begin;
  long long* end;
  long long* num_runs;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const {
    const long long r = ordinal[p] - 1;
    if (p == 0 || keys[p] != keys[p - 1]) begin[r] = p;
    if (p == n - 1 || keys[p] != keys[p + 1]) end[r] = p + 1;
    if (p == n - 1) *num_runs = ordinal[p];
  }
};

/// *count = min(*count, cap) (a cap on the kept boxes of a score-ordered result, one thread).
struct ClampCount {
  std::int64_t* count;
  long long cap;
  LOCUSKIT_HOST_DEVICE void operator()(long long) const {
    if (*count > cap) *count = cap;
  }
};

/// flag_by_index[order[p]] = flags[p].
struct ScatterFlags {
  const unsigned char* flags;
  const long long* order;
  unsigned char* flag_by_index;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const { flag_by_index[order[p]] = flags[p]; }
};

/// out[p] = flag_by_index[order[p]].
struct GatherFlags {
  const unsigned char* flag_by_index;
  const long long* order;
  unsigned char* out;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const { out[p] = flag_by_index[order[p]]; }
};

}  // namespace detail
}  // namespace gpu
}  // namespace locuskit
