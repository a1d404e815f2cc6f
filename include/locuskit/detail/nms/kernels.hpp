#pragma once
/// \file detail/nms/kernels.hpp
/// Every SIMD kernel of the NMS family, each a class template `K<Arch, T>` with a static `run`
/// (and a small functor for simd::dispatch), and their one instantiation list: compiled builds
/// instantiate all of them once per architecture of the dispatch table (simd/dispatch.hpp's
/// LOCUSKIT_FOR_EACH_DISPATCH_ARCH, read by cmake/LocuskitDispatch.cmake too) in
/// src/dispatch/nms.cpp; everyone else sees `extern` declarations. Include this header, never a
/// kernel header alone.
#define LOCUSKIT_DETAIL_NMS_KERNELS_HPP

#include "greedy_kernel.hpp"
#include "grid_kernel.hpp"
#include "iou_guided_kernel.hpp"
#include "soft_kernel.hpp"

/// The NMS kernels for one architecture, float and double.
#define LOCUSKIT_NMS_KERNEL_INSTANCES(EXTERN, Arch)       \
  EXTERN template struct kernel::NmsGreedySoa<Arch, float>;  \
  EXTERN template struct kernel::NmsGreedySoa<Arch, double>; \
  EXTERN template struct kernel::NmsGreedyGrid<Arch, float>; \
  EXTERN template struct kernel::NmsGreedyGrid<Arch, double>; \
  EXTERN template struct kernel::SoftNmsDecay<Arch, float>;  \
  EXTERN template struct kernel::SoftNmsDecay<Arch, double>; \
  EXTERN template struct kernel::IouGuidedPass<Arch, float>; \
  EXTERN template struct kernel::IouGuidedPass<Arch, double>;

namespace locuskit {
LOCUSKIT_FOR_EACH_DISPATCH_ARCH(LOCUSKIT_NMS_KERNEL_INSTANCES)
}  // namespace locuskit
