// NMS kernels for one architecture (LOCUSKIT_DISPATCH_ARCH); see cmake/LocuskitDispatch.cmake.
#include <locuskit/detail/nms/kernels.hpp>

namespace locuskit {
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_NMS_KERNEL_INSTANCES)
}  // namespace locuskit
