"""Box geometry and non-maximum suppression (torchvision.ops names), re-exported at top level."""
from . import _boxes, _nms
from ._boxes import *  # noqa: F401,F403
from ._nms import *  # noqa: F401,F403

__all__ = list(_boxes.__all__) + list(_nms.__all__)
