#pragma once
/// \file nms/workspace.hpp
/// Reusable scratch memory for the NMS family, and the score order they all share.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../box/geometry.hpp"
#include "../detail/nms/greedy_kernel.hpp"
#include "../detail/nms/radix_sort.hpp"

namespace locuskit {

/// Scratch buffers for nms / batched_nms / soft_nms / multiclass_nms on up to `capacity()` boxes.
///
/// Pass the same workspace to successive calls (one per thread) and a detector's hot loop does no
/// allocation once it has grown to the largest N seen; calls without one allocate a temporary.
/// Memory is O(N): about 12 scalars + 24 bytes per box. Not thread-safe (one per thread).
template <class T>
class NmsWorkspace {
 public:
  using key_type = detail::score_key_t<T>;
  using pos_type = detail::nms_pos_t<T>;

  NmsWorkspace() = default;
  explicit NmsWorkspace(std::size_t n) { reserve(n); }

  /// Grows every buffer to hold n boxes (never shrinks).
  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    keys_.resize(n);
    keys_tmp_.resize(n);
    order_.resize(n);
    order_tmp_.resize(n);
    soa_.resize(5 * n);
    pos_.resize(n);
    kept_.resize(n);
    group_.resize(n);
    capacity_ = n;
  }
  std::size_t capacity() const noexcept { return capacity_; }

  // Internal buffers (public for the NMS implementations; treat as scratch).
  std::vector<key_type> keys_, keys_tmp_;
  std::vector<std::int64_t> order_, order_tmp_;
  std::vector<T> soa_;
  std::vector<pos_type> pos_, kept_;
  std::vector<std::int64_t> group_;

 private:
  std::size_t capacity_ = 0;
};

namespace detail {

/// order[0..n) = indices of `scores` sorted by decreasing score, ties by lower index first (NaN
/// first, as torchvision's stable descending sort). Uses ws.keys_/keys_tmp_/order_tmp_.
template <class T>
void score_order(const T* scores, std::size_t n, std::int64_t* order, NmsWorkspace<T>& ws) noexcept {
  auto* keys = ws.keys_.data();
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = descending_score_key(scores[i]);
    order[i] = static_cast<std::int64_t>(i);
  }
  radix_sort_pairs(keys, order, n, ws.keys_tmp_.data(), ws.order_tmp_.data());
}

/// SoA views into ws.soa_ for n boxes.
template <class T>
struct Soa {
  T *x1, *y1, *x2, *y2, *area;
  Soa(NmsWorkspace<T>& ws, std::size_t n) noexcept {
    T* base = ws.soa_.data();
    x1 = base;
    y1 = base + n;
    x2 = base + 2 * n;
    y2 = base + 3 * n;
    area = base + 4 * n;
  }
  /// Slot `at` <- box `b` (xyxy), area as torchvision computes it.
  void put(std::size_t at, const T* b) noexcept {
    x1[at] = b[0];
    y1[at] = b[1];
    x2[at] = b[2];
    y2[at] = b[3];
    area[at] = geometry::area(b[0], b[1], b[2], b[3]);
  }
};

/// Runs the dispatched greedy kernel on SoA slots [begin, begin + m).
template <class T, class P>
std::size_t greedy_segment(Soa<T>& s, P* pos, std::size_t begin, std::size_t m, T thr,
                           std::size_t max_keep, P* kept) {
  if (m == 0 || max_keep == 0) return 0;
  return simd::dispatch(kernel::nms_greedy_soa{}, s.x1 + begin, s.y1 + begin, s.x2 + begin,
                        s.y2 + begin, s.area + begin, pos + begin, m, thr, max_keep, kept);
}

}  // namespace detail
}  // namespace locuskit
