#pragma once
/// \file nms/workspace.hpp
/// Reusable scratch memory for the NMS family: an opaque object (its buffers are private to the
/// engine in detail/nms/).
#include <cstddef>

#include "../detail/nms/scratch.hpp"

namespace locuskit {

/// Scratch memory for every NMS variant (nms, batched_nms, soft_nms, diou_nms, fast_nms,
/// cluster_nms, matrix_nms, weighted_nms, the rotated variants) on up to `capacity()` boxes.
///
/// Pass the same workspace to successive calls (one per thread) and a detector's hot loop does no
/// allocation once it has grown to the largest N seen; calls without one allocate a temporary.
/// Memory is O(N): about 8 scalars + 40 bytes per box. Not thread-safe (one per thread).
template <class T>
class NmsWorkspace {
 public:
  NmsWorkspace() = default;
  /// A workspace already grown for n boxes.
  explicit NmsWorkspace(std::size_t n) { reserve(n); }

  /// Grows the buffers to hold n boxes (never shrinks). Variants with extra needs (fast_nms's
  /// bitmask, soft_nms's scores) grow them on their first call.
  void reserve(std::size_t n) { scratch_.reserve(n); }
  /// Boxes the buffers hold without growing.
  std::size_t capacity() const noexcept { return scratch_.capacity; }

 private:
  friend struct detail::NmsScratchAccess;
  detail::NmsScratch<T> scratch_;
};

}  // namespace locuskit
