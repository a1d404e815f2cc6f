"""examples/torch_training_loop.py runs (GIoU + focal loss training, batched_nms, CocoEvaluator)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("torch")


def test_training_loop_example_runs_and_learns():
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "torch_training_loop.py")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    first = r.stdout.split()
    loss, map_all = float(first[2]), float(first[4])
    assert loss < 0.5 and map_all > 0.2, r.stdout  # the head learned something
