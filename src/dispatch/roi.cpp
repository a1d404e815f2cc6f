// IoU-guided NMS kernel for one architecture (LOCUSKIT_DISPATCH_ARCH); see cmake/LocuskitDispatch.cmake.
#include <locuskit/detail/nms/iou_guided_kernel.hpp>

namespace locuskit {
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_IOU_GUIDED_NMS_INSTANCES)
}  // namespace locuskit
