// Box-coder kernels for one architecture (LOCUSKIT_DISPATCH_ARCH); see cmake/LocuskitDispatch.cmake.
#include <locuskit/coder/delta_xywh.hpp>

namespace locuskit {
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_BOX_CODER_DECODE_INSTANCES)
}  // namespace locuskit
