// NMS kernels for one architecture (LOCUSKIT_DISPATCH_ARCH); see cmake/LocuskitDispatch.cmake.
#include <locuskit/detail/nms/greedy_kernel.hpp>

namespace locuskit {
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_NMS_GREEDY_INSTANCES)
}  // namespace locuskit
