#pragma once
/// \file cuda/nms_common.cuh
/// Host-device building blocks of the CUDA NMS kernels, and a host model of the kernels' algorithm.
///
/// Everything here compiles with a plain C++17 host compiler (LOCUSKIT_HOST_DEVICE is empty
/// without nvcc), so the CPU test suite exercises exactly the code the GPU runs: the sort keys,
/// the threshold rule, the 64-box chunk masks, the serial chunk resolution and the culling test.
/// `blocked_greedy_nms_host` strings them together in the kernel's order; the tests check that it
/// equals a plain greedy NMS, and the GPU tests check that the device equals it.
///
/// IoU is `locuskit::geometry::iou` with a degenerate (union 0) value of 0, in torchvision's
/// evaluation order; the CUDA build uses `-fmad=false` so the device computes the same bits.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../box/geometry.hpp"
#include "../config.hpp"
#include "../nms/overlap.hpp"

namespace locuskit {
namespace gpu {

/// Boxes per chunk of the blocked greedy (one bit per box in a 64-bit row mask).
constexpr int nms_chunk = 64;

/// Pieces each chunk row is split into on the device (64 rows x 4 pieces = 256 threads).
constexpr int row_pieces = 4;

/// Unsigned radix-sort key type of a score type (float -> uint32, double -> uint64).
template <class T>
struct score_key_type;
template <>
struct score_key_type<float> {
  using type = std::uint32_t;
};
template <>
struct score_key_type<double> {
  using type = std::uint64_t;
};

/// Radix key such that ascending keys = descending scores. -0.0 is mapped to +0.0 (they tie)
/// and every NaN to the positive quiet NaN, which sorts first (before +inf), as torchvision's CPU
/// sort does. Combined with a stable sort over the input order, ties keep the lower index first.
template <class T>
LOCUSKIT_HOST_DEVICE inline typename score_key_type<T>::type descending_score_key(T score) noexcept {
  using U = typename score_key_type<T>::type;
  constexpr U sign = U(1) << (8 * sizeof(U) - 1);
  U bits;
  if (score != score) {
    bits = sizeof(T) == 4 ? U(0x7fc00000u) : U(0x7ff8000000000000ull);
  } else {
    const T s = score == T(0) ? T(0) : score;  // -0.0 -> +0.0
    std::memcpy(&bits, &s, sizeof(T));
  }
  const U ascending = (bits & sign) ? U(~bits) : U(bits | sign);  // order-preserving map
  return U(~ascending);
}

/// The threshold a value of type T is compared with so that `value > t` equals the exact
/// comparison `double(value) > threshold`: the largest T <= threshold (float), or the threshold
/// itself (double). This is torchvision's CPU rule (its threshold is a C++ double).
template <class T>
inline T threshold_as(double threshold) noexcept {
  if constexpr (sizeof(T) == sizeof(double)) {
    return static_cast<T>(threshold);
  } else {
    T t = static_cast<T>(threshold);
    if (static_cast<double>(t) > threshold) t = std::nextafter(t, -std::numeric_limits<T>::infinity());
    return t;
  }
}

/// IoU as NMS uses it: geometry::iou with degenerate pairs (union 0) giving 0.
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE T nms_iou(const T* a, T area_a, const T* b, T area_b) noexcept {
  return AxisAlignedIoU::overlap(a, area_a, b, area_b);
}

/// Bits j in [j_begin, j_end), j > i, set where chunk box i suppresses chunk box j:
/// IoU(i, j) > threshold. `boxes` holds the chunk's <= 64 boxes (xyxy rows) in score order,
/// `areas` their areas. The device splits a row into pieces computed by different threads.
template <class T>
LOCUSKIT_HOST_DEVICE inline std::uint64_t chunk_row_bits(const T (*boxes)[4], const T* areas, int i, int j_begin,
                                                         int j_end, T threshold) noexcept {
  std::uint64_t mask = 0;
  for (int j = j_begin > i + 1 ? j_begin : i + 1; j < j_end; ++j)
    if (nms_iou(boxes[i], areas[i], boxes[j], areas[j]) > threshold) mask |= std::uint64_t(1) << j;
  return mask;
}

/// The whole suppression row of chunk box i over the n chunk boxes (bits i < j < n).
template <class T>
LOCUSKIT_HOST_DEVICE inline std::uint64_t chunk_row_mask(const T (*boxes)[4], const T* areas, int i, int n,
                                                         T threshold) noexcept {
  return chunk_row_bits(boxes, areas, i, i + 1, n, threshold);
}

/// Greedy resolution of one chunk whose boxes no earlier kept box suppresses: box i is kept iff
/// no kept box before it in the chunk suppresses it, until `budget` boxes are kept. Returns the
/// kept bits. O(n), run by one thread.
LOCUSKIT_HOST_DEVICE inline std::uint64_t resolve_chunk(const std::uint64_t* rows, int n,
                                                        long long budget) noexcept {
  std::uint64_t removed = 0, kept = 0;
  long long count = 0;
  for (int i = 0; i < n && count < budget; ++i) {
    if ((removed >> i) & 1u) continue;
    kept |= std::uint64_t(1) << i;
    removed |= rows[i];
    ++count;
  }
  return kept;
}

/// Bounding extent of a set of boxes, used to skip candidates that cannot overlap any of them.
template <class T>
struct Extent {
  using value_type = T;
  T x1, y1, x2, y2;
  bool empty;
};

template <class T>
LOCUSKIT_HOST_DEVICE inline Extent<T> empty_extent() noexcept {
  return Extent<T>{T(0), T(0), T(0), T(0), true};
}

/// Adds box `b` (area `area_b`) to `e`. A box whose area is NaN (a NaN coordinate) has NaN IoU
/// with every box and can suppress nothing, so it is left out.
template <class T>
LOCUSKIT_HOST_DEVICE inline void extend(Extent<T>& e, const T* b, T area_b) noexcept {
  if (area_b != area_b) return;
  if (e.empty) {
    e = Extent<T>{b[0], b[1], b[2], b[3], false};
    return;
  }
  e.x1 = b[0] < e.x1 ? b[0] : e.x1;
  e.y1 = b[1] < e.y1 ? b[1] : e.y1;
  e.x2 = b[2] > e.x2 ? b[2] : e.x2;
  e.y2 = b[3] > e.y2 ? b[3] : e.y2;
}

/// False only when no box inside `e` can have IoU > t >= 0 with `b`. Exact, not a heuristic:
/// IoU > 0 needs a positive intersection, i.e. min(x2) > max(x1) on both axes, which implies
/// b.x1 < e.x2 and e.x1 < b.x2 (and likewise for y). A NaN in `b` makes the test false, and such
/// a box is never suppressed (its IoU is NaN).
template <class T>
LOCUSKIT_HOST_DEVICE LOCUSKIT_FORCEINLINE bool may_overlap(const Extent<T>& e, const T* b) noexcept {
  return !e.empty && b[0] < e.x2 && e.x1 < b[2] && b[1] < e.y2 && e.y1 < b[3];
}

/// The rectangle a prepared box of policy O culls with (what ChunkCull needs of a policy):
/// `Scalar<T>` its coordinate type, `rect(b, r, &area)` the rectangle x1 y1 x2 y2 and its area
/// (NaN: the box can suppress nothing), and whether a candidate must meet the kept boxes' extent
/// with a positive overlap (`strict`) or may merely touch it.
template <class O>
struct CullRect;

/// Axis-aligned boxes: the box itself; IoU > 0 needs a positive intersection (may_overlap above).
template <>
struct CullRect<AxisAlignedIoU> {
  template <class T>
  using Scalar = T;
  static constexpr bool strict = true;
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE void rect(const AxisAlignedIoU::Box<T>& b, T* r, T* area) noexcept {
    r[0] = b.x1, r[1] = b.y1, r[2] = b.x2, r[3] = b.y2;
    *area = b.area;
  }
};

/// Rotated boxes: the bounding square of the circumcircle (in double, as RotatedIoU::prepare
/// computes the circles). A candidate whose square does not meet the extent has disjoint
/// circumcircles with every kept box, hence IoU 0 (RotatedIoU::may_overlap's argument); touching
/// circles are RotatedIoU::may_overlap's "may", so the test is not strict. A NaN circle (NaN
/// input) has a NaN area: such a kept box is left out, such a candidate fails the test (its IoU is
/// NaN, which never exceeds the threshold).
template <>
struct CullRect<RotatedIoU> {
  template <class T>
  using Scalar = double;
  static constexpr bool strict = false;
  template <class T>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE void rect(const RotatedIoU::Box<T>& b, double* r,
                                                             double* area) noexcept {
    r[0] = b.cx - b.radius, r[1] = b.cy - b.radius, r[2] = b.cx + b.radius, r[3] = b.cy + b.radius;
    *area = (r[2] - r[0]) * (r[3] - r[1]);
  }
};

/// The device loop's view of an overlap policy O (nms/overlap.hpp): the extent of a chunk's kept
/// boxes' cull rectangles (CullRect) and the exact culling test against it. The pairwise test
/// itself is always `o.overlap(a, b) > threshold`, the policy's own scalar code (host and device).
template <class O>
struct ChunkCull {
  template <class T>
  using Ext = Extent<typename CullRect<O>::template Scalar<T>>;
  template <class S, class Box>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE void add(Extent<S>& e, const Box& b) noexcept {
    S r[4], area;
    CullRect<O>::rect(b, r, &area);
    extend(e, r, area);
  }
  template <class S, class Box>
  LOCUSKIT_HOST_DEVICE static LOCUSKIT_FORCEINLINE bool may(const Extent<S>& e, const Box& b) noexcept {
    S r[4], area;
    CullRect<O>::rect(b, r, &area);
    if constexpr (CullRect<O>::strict) return may_overlap(e, r);
    else return !e.empty && r[0] <= e.x2 && e.x1 <= r[2] && r[1] <= e.y2 && e.y1 <= r[3];
  }
};

/// Bits j in [j_begin, j_end), j > i, set where prepared box i suppresses prepared box j under the
/// policy `o`: o.overlap(i, j) > threshold (the generic chunk_row_bits).
template <class O, class B, class T>
LOCUSKIT_HOST_DEVICE inline std::uint64_t policy_row_bits(const O& o, const B* boxes, int i, int j_begin, int j_end,
                                                          T threshold) noexcept {
  std::uint64_t mask = 0;
  for (int j = j_begin > i + 1 ? j_begin : i + 1; j < j_end; ++j)
    if (o.overlap(boxes[i], boxes[j]) > threshold) mask |= std::uint64_t(1) << j;
  return mask;
}

/// Host model of the device algorithm on boxes already in score order (ties resolved):
/// repeatedly take the next <= 64 not-yet-suppressed boxes as a chunk, resolve it greedily
/// (chunk_row_mask + resolve_chunk), then suppress every later box that overlaps a kept box of
/// the chunk (skipping those outside the kept boxes' extent). Stops after `max_kept` kept boxes.
/// Sets keep[i] = 1 for kept boxes (keep must be zeroed, n entries); returns the kept count.
/// Equals plain greedy NMS (`IoU > threshold` suppresses, threshold >= 0 as given by
/// threshold_as). O(n * kept / 64) chunk passes; O(n) extra memory.
template <class T>
std::size_t blocked_greedy_nms_host(const T* sorted_boxes, std::size_t n, T threshold, long long max_kept,
                                    unsigned char* keep) {
  std::vector<unsigned char> removed(n, 0);
  T box[nms_chunk][4], area[nms_chunk], kbox[nms_chunk][4], karea[nms_chunk];
  std::uint64_t rows[nms_chunk];
  std::size_t pos[nms_chunk];
  std::size_t cursor = 0;
  long long kept_total = 0;
  while (cursor < n && kept_total < max_kept) {
    int count = 0;  // gather the next <= 64 live boxes
    std::size_t p = cursor;
    for (; p < n && count < nms_chunk; ++p) {
      if (removed[p]) continue;
      pos[count] = p;
      for (int c = 0; c < 4; ++c) box[count][c] = sorted_boxes[4 * p + c];
      area[count] = geometry::area(box[count][0], box[count][1], box[count][2], box[count][3]);
      ++count;
    }
    cursor = count == nms_chunk ? pos[nms_chunk - 1] + 1 : n;
    constexpr int width = nms_chunk / row_pieces;
    for (int i = 0; i < count; ++i) {  // in row_pieces pieces, as the device threads do
      rows[i] = 0;
      for (int q = 0; q < row_pieces; ++q) {
        const int j_end = (q + 1) * width < count ? (q + 1) * width : count;
        rows[i] |= chunk_row_bits<T>(box, area, i, q * width, j_end, threshold);
      }
    }
    const std::uint64_t kept = resolve_chunk(rows, count, max_kept - kept_total);
    int kn = 0;
    Extent<T> ext = empty_extent<T>();
    for (int i = 0; i < count; ++i) {
      if (!((kept >> i) & 1u)) continue;
      keep[pos[i]] = 1;
      for (int c = 0; c < 4; ++c) kbox[kn][c] = box[i][c];
      karea[kn] = area[i];
      extend(ext, box[i], area[i]);
      ++kn;
    }
    kept_total += kn;
    if (kept_total >= max_kept) break;
    for (std::size_t q = cursor; q < n; ++q) {
      if (removed[q]) continue;
      const T* b = sorted_boxes + 4 * q;
      if (!may_overlap(ext, b)) continue;
      const T ab = geometry::area(b[0], b[1], b[2], b[3]);
      for (int k = 0; k < kn; ++k) {
        if (nms_iou(kbox[k], karea[k], b, ab) > threshold) {
          removed[q] = 1;
          break;
        }
      }
    }
  }
  return static_cast<std::size_t>(kept_total);
}

}  // namespace gpu
}  // namespace locuskit
