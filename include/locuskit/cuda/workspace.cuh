#pragma once
/// \file cuda/workspace.cuh
/// Carving one caller-provided device buffer into the temporaries of a CUDA call.
///
/// Every CUDA entry point comes as a pair: `<op>_workspace_bytes(sizes...)` (host arithmetic, no
/// CUDA call, no sync) and `<op>(..., workspace, workspace_bytes, stream)`. The caller allocates
/// the workspace with its own allocator (PyTorch's / CuPy's caching allocator from Python), so the
/// kernels never call cudaMalloc and never synchronise.
#include <cstddef>
#include <cstdint>

namespace locuskit {
namespace gpu {

/// Hands out 256-byte-aligned slices of a buffer; with a null base it only counts the bytes, so
/// one planning function both sizes and lays out a workspace.
class WorkspaceCarver {
 public:
  explicit WorkspaceCarver(void* base) noexcept : base_(static_cast<char*>(base)) {}

  template <class X>
  X* take(std::size_t count) noexcept {
    if (base_) {  // align the address itself, whatever the alignment of the base
      const std::uintptr_t at = (reinterpret_cast<std::uintptr_t>(base_) + used_ + 255) & ~std::uintptr_t(255);
      used_ = static_cast<std::size_t>(at - reinterpret_cast<std::uintptr_t>(base_));
    } else {
      used_ = (used_ + 255) & ~std::size_t(255);
    }
    X* p = base_ ? reinterpret_cast<X*>(base_ + used_) : nullptr;
    used_ += count * sizeof(X);
    return p;
  }

  /// Bytes needed so far, with 255 bytes of slack for a base that is not 256-byte aligned (the
  /// workspace size when base is null).
  std::size_t used() const noexcept { return used_ + 256; }

 private:
  char* base_;
  std::size_t used_ = 0;
};

}  // namespace gpu
}  // namespace locuskit
