"""Run by scripts/check-wheel with the consumer's build directory on sys.path."""
import numpy as np

import consumer_ext
import locuskit

rng = np.random.default_rng(0)
xy = rng.uniform(0, 100, size=(50, 2))
boxes = np.concatenate([xy, xy + rng.uniform(1, 30, size=(50, 2))], axis=1).astype(np.float32)
assert consumer_ext.locuskit_version == locuskit.__version__, (consumer_ext.locuskit_version, locuskit.__version__)
np.testing.assert_array_equal(consumer_ext.box_iou(boxes, boxes[:7]), locuskit.box_iou(boxes, boxes[:7]))
print("pip consumer extension ok: locuskit", consumer_ext.locuskit_version)
