#pragma once
/// \file detail/nms/scratch.hpp
/// The scratch buffers of the NMS engine, private to an NmsWorkspace (nms/workspace.hpp) and
/// reached only by the engine through scratch_of().
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels.hpp"
#include "radix_sort.hpp"

namespace locuskit {

template <class T>
class NmsWorkspace;

namespace detail {

/// Buffers for n boxes: score keys and order (radix sort), the SoA block (5 columns), payloads,
/// kept ranks, class grouping and the spatial grid. Grown by reserve(), never shrunk.
template <class T>
struct NmsScratch {
  using key_type = score_key_t<T>;
  using pos_type = nms_pos_t<T>;

  void reserve(std::size_t n) {
    if (n <= capacity) return;
    keys_.resize(n);
    keys_tmp_.resize(n);
    order_.resize(n);
    order_tmp_.resize(n);
    soa_.resize(5 * n + soa_padding);  // the grid kernel loads a full SIMD batch at a row's end
    pos_.resize(n);
    kept_.resize(n);
    group_.resize(n);
    dead_.resize(n);
    counts_.reserve(n / 2 + 1);  // score_order's buckets
    capacity = n;
  }

  /// Readable slots past the last column (one SIMD batch of any architecture).
  static constexpr std::size_t soa_padding = 64 / sizeof(T);
  std::size_t capacity = 0;
  std::vector<key_type> keys_, keys_tmp_;
  std::vector<std::int64_t> order_, order_tmp_;
  std::vector<T> soa_;
  std::vector<T> values_;  // soft_nms scores, weighted_nms areas (grown there, not by reserve)
  std::vector<pos_type> pos_, kept_;
  std::vector<std::int64_t> group_, group_tmp_;
  std::vector<std::size_t> starts_, counts_;
  std::vector<std::uint64_t> scratch_;
  // Spatial grid (nms on large inputs).
  std::vector<std::int64_t> cell_begin_, cell_end_, cell_dead_;
  std::vector<unsigned char> dead_;
  std::vector<NmsGridLevel> levels_;
  // batched_nms: one class segment's boxes gathered in rank order and their local order (grid).
  std::vector<T> seg_boxes_;
  std::vector<std::int64_t> seg_order_;
};

/// The engine's door into a workspace's private buffers.
struct NmsScratchAccess {
  template <class T>
  static NmsScratch<T>& get(NmsWorkspace<T>& ws) noexcept {
    return ws.scratch_;
  }
};

/// `ws`'s scratch, reserved for n boxes.
template <class T>
NmsScratch<T>& scratch_of(NmsWorkspace<T>& ws, std::size_t n) {
  NmsScratch<T>& s = NmsScratchAccess::get(ws);
  s.reserve(n);
  return s;
}

}  // namespace detail
}  // namespace locuskit
