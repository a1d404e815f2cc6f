"""Helpers of the mergeable-state tests (test_lvis_state.py, test_mot_state.py)."""
from __future__ import annotations

import json
import random

import numpy as np


def random_shards(rng: random.Random, items, n: int) -> list[list]:
    """``items`` shuffled by ``rng`` and cut at ``n - 1`` random places: ``n`` non-empty shards
    (``n`` at most ``len(items)``) that hold every item once."""
    order = list(items)
    rng.shuffle(order)
    cuts = sorted(rng.sample(range(1, len(order)), n - 1))
    return [order[i:j] for i, j in zip([0] + cuts, cuts + [len(order)])]


def with_format_version(path, out, version: int):
    """Writes to ``out`` a copy of the state file ``path`` whose header claims format ``version``."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    head = json.loads(bytes(arrays.pop("header")).decode())
    head["version"] = version
    np.savez(out, header=np.frombuffer(json.dumps(head).encode(), np.uint8), **arrays)
    return out
