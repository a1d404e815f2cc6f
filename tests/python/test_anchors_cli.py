"""``locuskit anchors`` CLI: YOLO labels in, k-means anchors and the fit report out."""
from __future__ import annotations

import json

import numpy as np

from locuskit.anchors import kmeans_anchors
from locuskit.cli import main


def test_anchors_cli_yolo_labels(tmp_path, capsys):
    rng = np.random.default_rng(0)
    labels = tmp_path / "labels"
    labels.mkdir()
    shapes = np.array([[0.05, 0.08], [0.3, 0.2]])
    wh = []
    for i in range(4):
        rows = []
        for _ in range(50):
            w, h = shapes[rng.integers(0, 2)] * rng.uniform(0.9, 1.1, 2)
            rows.append(f"0 0.5 0.5 {w:.6f} {h:.6f}")
            wh.append((float(f"{w:.6f}") * 640, float(f"{h:.6f}") * 640))
        (labels / f"img{i}.txt").write_text("\n".join(rows) + "\n")
    assert main(["anchors", str(labels), "-k", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected, report = kmeans_anchors(np.array(wh), 2, seed=0)
    np.testing.assert_allclose(out["anchors"], expected.round(2))
    assert out["n_boxes"] == 200
    assert out["best_possible_recall"] == report["best_possible_recall"] == 1.0
    np.testing.assert_allclose(out["anchors"], shapes * 640, rtol=0.05)


def test_anchors_cli_errors(tmp_path, capsys):
    assert main(["anchors", str(tmp_path / "missing.csv")]) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["anchors", str(empty)]) == 1
    assert "no YOLO labels" in capsys.readouterr().err
