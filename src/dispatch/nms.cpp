// NMS kernels for one architecture (LOCUSKIT_DISPATCH_ARCH); see cmake/LocuskitDispatch.cmake.
#include <locuskit/detail/nms/greedy_kernel.hpp>
#include <locuskit/detail/nms/grid_kernel.hpp>
#include <locuskit/detail/nms/soft_kernel.hpp>

namespace locuskit {
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_NMS_GREEDY_INSTANCES)
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_NMS_GRID_INSTANCES)
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_SOFT_NMS_INSTANCES)
}  // namespace locuskit
