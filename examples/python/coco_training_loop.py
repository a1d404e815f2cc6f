"""COCO evaluation inside a training loop, with ``locuskit.eval.CocoEvaluator``.

Each "epoch" runs a validation pass over the bundled COCO sample (val2014, 100 images,
examples/data/coco_val2014_100): the evaluator collects predictions and targets batch by batch,
as a torch/Lightning validation step would, and ``compute()`` gives pycocotools' numbers. The
"model" is a stand-in whose boxes get closer to the ground truth every epoch (no network or weights
are bundled), so the mAP must rise.

Run: ``python examples/python/coco_training_loop.py`` (after ``scripts/install-venv``:
``.venv/bin/python ...``).
"""
from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

import locuskit

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "coco_val2014_100"


def load_targets():
    """One target dict per image (xyxy boxes), in the format torchvision's detection datasets give."""
    gt = json.loads((DATA / "instances_val2014_100.json").read_text())
    per_image = {img["id"]: [] for img in gt["images"]}
    for a in gt["annotations"]:
        per_image[a["image_id"]].append(a)
    targets = []
    for image_id, anns in per_image.items():
        xywh = np.array([a["bbox"] for a in anns], np.float64).reshape(-1, 4)
        targets.append({
            "image_id": image_id,
            "boxes": np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1),
            "labels": np.array([a["category_id"] for a in anns], np.int64),
            "iscrowd": np.array([a["iscrowd"] for a in anns], np.int64),
            "area": np.array([a["area"] for a in anns], np.float64),
        })
    return targets, [c["id"] for c in gt["categories"]]


def fake_model(target, epoch, rng):
    """Predictions for one image: every object found, its box off by noise shrinking with the
    epoch, plus two false positives."""
    boxes = target["boxes"]
    n = len(boxes)
    wh = np.maximum(boxes[:, 2:] - boxes[:, :2], 1.0)
    noise = rng.normal(0.0, 0.25 / (epoch + 1), size=(n, 4)) * np.concatenate([wh, wh], axis=1)
    pred = boxes + noise
    pred[:, 2:] = np.maximum(pred[:, 2:], pred[:, :2] + 1)
    fp = rng.uniform(0, 400, size=(2, 2))
    pred = np.concatenate([pred, np.concatenate([fp, fp + 50], axis=1)])
    scores = np.concatenate([rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.6, 2)])
    labels = np.concatenate([target["labels"], np.array([1, 1])])
    return {"boxes": pred.astype(np.float32), "scores": scores.astype(np.float32), "labels": labels}


def main() -> int:
    targets, category_ids = load_targets()
    rng = np.random.default_rng(0)
    evaluator = locuskit.eval.CocoEvaluator(box_format="xyxy", category_ids=category_ids)
    history = []
    for epoch in range(3):
        # ... the training steps of this epoch would run here ...
        evaluator.reset()
        for start in range(0, len(targets), 8):  # validation batches of 8 images
            batch = targets[start:start + 8]
            evaluator.update([fake_model(t, epoch, rng) for t in batch], batch)
        result = evaluator.compute()
        ap, ap50 = result.stats[0], result.stats[1]
        history.append(ap)
        print(f"epoch {epoch}: {len(evaluator)} images, mAP {ap:.3f}, AP50 {ap50:.3f}")
    print(result.summary())
    if not (history[0] < history[1] < history[2]):
        print(f"expected a rising mAP, got {history}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
