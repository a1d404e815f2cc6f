#pragma once
/// \file nms/workspace.hpp
/// Reusable scratch memory for the NMS family (the engine that uses it: detail/nms/engine.hpp).
#include <cstddef>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../detail/nms/greedy_kernel.hpp"
#include "../detail/nms/grid_kernel.hpp"
#include "../detail/nms/radix_sort.hpp"

namespace locuskit {

/// Scratch buffers for nms / batched_nms / soft_nms / multiclass_nms on up to `capacity()` boxes.
///
/// Pass the same workspace to successive calls (one per thread) and a detector's hot loop does no
/// allocation once it has grown to the largest N seen; calls without one allocate a temporary.
/// Memory is O(N): about 8 scalars + 40 bytes per box. Not thread-safe (one per thread).
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
    dead_.resize(n);
    capacity_ = n;
  }
  std::size_t capacity() const noexcept { return capacity_; }

  // Internal buffers (public for the NMS implementations; treat as scratch).
  std::vector<key_type> keys_, keys_tmp_;
  std::vector<std::int64_t> order_, order_tmp_;
  std::vector<T> soa_;
  std::vector<T> values_;  // soft_nms scores (grown there, not by reserve)
  std::vector<pos_type> pos_, kept_;
  std::vector<std::int64_t> group_, group_tmp_;
  std::vector<std::size_t> starts_, counts_;
  std::vector<std::uint64_t> scratch_;
  // Spatial grid (nms on large inputs).
  std::vector<std::int64_t> cell_begin_, cell_end_, cell_dead_;
  std::vector<unsigned char> dead_;
  std::vector<detail::NmsGridLevel> levels_;

 private:
  std::size_t capacity_ = 0;
};

}  // namespace locuskit
