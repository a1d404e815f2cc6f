"""CocoState through torch.distributed (gloo, 2 processes): each rank updates a streaming segm
CocoEvaluator with its images, the ranks all_gather_object their states (the documented bytes)
and every rank's merged result equals the single-process coco_evaluate bit for bit."""
from __future__ import annotations

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_eval_state import synthetic  # noqa: E402
from test_eval_stream_masks import _per_image  # noqa: E402


def _worker(rank, world, init_file, out_dir):
    import torch.distributed as dist

    import locuskit.eval as le

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        gt, dt = synthetic(8, n_images=24, masks=True)
        preds, targets = _per_image(gt, dt, "polygons", "rle", True)
        ev = le.CocoEvaluator("segm", box_format="xywh", category_ids=sorted(c["id"] for c in gt["categories"]))
        ev.update(preds[rank::world], targets[rank::world])  # a DistributedSampler's split
        states = [None] * world
        dist.all_gather_object(states, ev.state())
        r = states[0].merge(*states[1:]).compute()
        np.savez(os.path.join(out_dir, f"rank{rank}.npz"), precision=r.precision, recall=r.recall, stats=r.stats)
    finally:
        dist.destroy_process_group()


def test_states_gathered_over_gloo_equal_one_process(tmp_path):
    import torch.distributed as dist
    import torch.multiprocessing as mp

    import locuskit.eval as le

    if not dist.is_available():
        pytest.skip("torch.distributed is not available in this torch build")
    gt, dt = synthetic(8, n_images=24, masks=True)
    one = le.coco_evaluate(gt, dt, "segm")
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        got = np.load(tmp_path / f"rank{rank}.npz")
        for k in ("precision", "recall", "stats"):
            assert np.array_equal(got[k], getattr(one, k)), (rank, k)
