"""Box geometry, losses and non-maximum suppression (torchvision.ops names), re-exported at top level."""
from . import _boxes, _focal, _nms
from ._boxes import *  # noqa: F401,F403
from ._focal import *  # noqa: F401,F403
from ._nms import *  # noqa: F401,F403

__all__ = list(_boxes.__all__) + list(_focal.__all__) + list(_nms.__all__)
