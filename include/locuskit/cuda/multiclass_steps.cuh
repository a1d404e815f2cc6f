#pragma once
/// \file cuda/multiclass_steps.cuh
/// The element-wise steps of multiclass_nms (cuda/multiclass_nms.cuh) as host-device functors:
/// the GPU runs each over a grid-stride loop between CUB sorts, and the CPU tests run the same
/// functors with plain loops (and std::stable_sort in place of the stable radix sorts) to check
/// the whole pipeline against a per-image, per-class oracle. No CUDA header is needed here.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "nms_common.cuh"

namespace locuskit {
namespace gpu {

/// Problem size of a multiclass_nms call.
struct MulticlassShape {
  std::size_t batch = 0;         ///< B images
  std::size_t boxes = 0;         ///< N boxes per image
  std::size_t classes = 0;       ///< C classes
  bool boxes_per_class = false;  ///< boxes are (B, N, C, 4) instead of shared (B, N, 4)
  long long max_output_per_class = 0;
  long long max_total = 0;  ///< K output slots per image
  bool class_agnostic = false;
};

namespace detail {

/// Bits needed to represent x (at least 1): the end_bit of a radix sort over keys <= x.
inline int bits_for(unsigned long long x) {
  int b = 1;
  while (b < 64 && (x >> b) != 0) ++b;
  return b;
}

/// Derived sizes: E = B*N*C elements (box, class) per batch; S segments (B*C, or B when class
/// agnostic), per_image segments per image; W slots per segment (the cap: max_output_per_class,
/// max_total and the segment size bound it); M = S*W merge slots; K output slots per image.
struct MulticlassDims {
  long long B, N, C, E, S, per_image, W, M, K;
};

inline MulticlassDims multiclass_dims(const MulticlassShape& s) {
  MulticlassDims d{};
  d.B = static_cast<long long>(s.batch);
  d.N = static_cast<long long>(s.boxes);
  d.C = static_cast<long long>(s.classes);
  d.E = d.B * d.N * d.C;
  d.per_image = s.class_agnostic ? 1 : d.C;
  d.S = d.B * d.per_image;
  d.K = std::max<long long>(s.max_total, 0);
  const long long seg_max = s.class_agnostic ? d.N * d.C : d.N;
  d.W = std::max<long long>(0, std::min({s.max_output_per_class, d.K, seg_max}));
  d.M = d.S * d.W;
  return d;
}

/// keys[e] = descending score key, iota[e] = e (element e = (b*N + n)*C + c).
template <class T>
struct McScoreKeys {
  const T* scores;
  typename score_key_type<T>::type* keys;
  unsigned int* iota;
  LOCUSKIT_HOST_DEVICE void operator()(long long e) const {
    keys[e] = descending_score_key(scores[e]);
    iota[e] = static_cast<unsigned int>(e);
  }
};

/// Segment of the p-th score-sorted element: image*C + class (or image), S for a non-candidate
/// (score not above the threshold), so that a stable sort by it puts candidates first.
template <class T>
struct McSegmentKeys {
  const T* scores;
  const unsigned int* order;
  MulticlassDims d;
  bool agnostic;
  T score_threshold;
  unsigned int* seg;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const {
    const long long e = order[p];
    const long long b = e / (d.N * d.C), c = e % d.C;
    seg[p] = scores[e] > score_threshold ? static_cast<unsigned int>(agnostic ? b : b * d.C + c)
                                         : static_cast<unsigned int>(d.S);
  }
};

/// At segment-sorted position p: the segment's bounds (begin/end zeroed beforehand) and the
/// element's box gathered into sorted_boxes row p.
template <class T>
struct McBoundsGather {
  const T* boxes;
  bool boxes_per_class;
  const unsigned int* seg;
  const unsigned int* order;
  MulticlassDims d;
  long long* begin;
  long long* end;
  T* sorted_boxes;
  LOCUSKIT_HOST_DEVICE void operator()(long long p) const {
    const unsigned int s = seg[p];
    if (s >= static_cast<unsigned int>(d.S)) return;
    if (p == 0 || seg[p - 1] != s) begin[s] = p;
    if (p == d.E - 1 || seg[p + 1] != s) end[s] = p + 1;
    const long long e = order[p];
    const T* b = boxes_per_class ? boxes + 4 * e : boxes + 4 * (e / d.C);
    for (int c = 0; c < 4; ++c) sorted_boxes[4 * p + c] = b[c];
  }
};

/// Keys of merge slot i for the three stable sorts, least significant first: pass 0 the box index
/// n (and iota), pass 1 the score, pass 2 the image. Slot m = segment*W + rank holds the rank-th
/// kept position of the segment when rank < kept_count[segment]; other slots are invalid and
/// sort after every valid one of their image. `slots` is the order after the previous pass.
template <class T>
struct McMergeKeys {
  int pass;
  const unsigned int* slots;
  const T* scores;
  const unsigned int* order2;
  const long long* kept_list;
  const long long* kept_count;
  MulticlassDims d;
  unsigned int* ukey;
  typename score_key_type<T>::type* skey;
  unsigned int* iota;
  LOCUSKIT_HOST_DEVICE void operator()(long long i) const {
    using Key = typename score_key_type<T>::type;
    const long long m = pass == 0 ? i : slots[i];
    const long long s = m / d.W, r = m % d.W;
    const bool valid = r < kept_count[s];
    const long long e = valid ? static_cast<long long>(order2[kept_list[m]]) : 0;
    if (pass == 0) {
      iota[i] = static_cast<unsigned int>(i);
      ukey[i] = valid ? static_cast<unsigned int>((e / d.C) % d.N) : static_cast<unsigned int>(d.N);
    } else if (pass == 1) {
      skey[i] = valid ? descending_score_key(scores[e]) : static_cast<Key>(~Key(0));
    } else {
      ukey[i] = static_cast<unsigned int>(s / d.per_image);
    }
  }
};

/// counts[b] = min(kept detections of image b, K).
struct McCounts {
  const long long* kept_count;
  MulticlassDims d;
  std::int64_t* counts;
  LOCUSKIT_HOST_DEVICE void operator()(long long b) const {
    long long total = 0;
    for (long long s = b * d.per_image; s < (b + 1) * d.per_image; ++s) total += kept_count[s];
    counts[b] = total < d.K ? total : d.K;
  }
};

/// Output slot t = b*K + k: the k-th merged detection of image b, or padding (0 box and score,
/// -1 class and index) past counts[b].
template <class T>
struct McOutput {
  const T* boxes;
  bool boxes_per_class;
  const T* scores;
  const unsigned int* slots;
  const unsigned int* order2;
  const long long* kept_list;
  const std::int64_t* counts;
  MulticlassDims d;
  T* out_boxes;
  T* out_scores;
  std::int64_t* out_classes;
  std::int64_t* out_indices;
  LOCUSKIT_HOST_DEVICE void operator()(long long t) const {
    const long long b = t / d.K, k = t % d.K;
    if (k < counts[b]) {
      const long long m = slots[b * d.per_image * d.W + k];
      const long long e = order2[kept_list[m]];
      const T* box = boxes_per_class ? boxes + 4 * e : boxes + 4 * (e / d.C);
      for (int c = 0; c < 4; ++c) out_boxes[4 * t + c] = box[c];
      out_scores[t] = scores[e];
      out_classes[t] = e % d.C;
      out_indices[t] = (e / d.C) % d.N;
    } else {
      for (int c = 0; c < 4; ++c) out_boxes[4 * t + c] = T(0);
      out_scores[t] = T(0);
      out_classes[t] = -1;
      out_indices[t] = -1;
    }
  }
};

}  // namespace detail
}  // namespace gpu
}  // namespace locuskit
