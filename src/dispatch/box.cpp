// Box-geometry kernels for one architecture (LOCUSKIT_DISPATCH_ARCH); see cmake/LocuskitDispatch.cmake.
#include <locuskit/box/iou.hpp>
#include <locuskit/box/iou_family.hpp>
#include <locuskit/box/iou_reduce.hpp>
#include <locuskit/box/loss.hpp>

namespace locuskit {
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_PAIRWISE_IOU_INSTANCES)
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_IOU_MAX_REDUCE_INSTANCES)
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_PAIRWISE_IOU_FAMILY_INSTANCES)
LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(LOCUSKIT_BOX_LOSS_INSTANCES)
}  // namespace locuskit
