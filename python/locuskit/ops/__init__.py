"""Box geometry, losses and non-maximum suppression (torchvision.ops names), re-exported at top level."""
from . import _boxes, _focal, _nms
from ._boxes import *  # noqa: F401,F403
from ._focal import *  # noqa: F401,F403
from ._nms import *  # noqa: F401,F403
from ..rotated import box_iou_rotated  # noqa: F401 - rotated IoU grouped with the ops (detectron2's name)

__all__ = list(_boxes.__all__) + list(_focal.__all__) + list(_nms.__all__) + ["box_iou_rotated"]
