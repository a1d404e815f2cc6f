"""A tiny detection training loop on locuskit's torch layer (CPU, random data, runs in seconds).

A linear head regresses boxes and class logits from random features. It is trained with
locuskit's GIoU loss and sigmoid focal loss (differentiable, torchvision's names), post-processed
with ``batched_nms`` on column slices of the scores, and evaluated with ``CocoEvaluator``, which
returns torchmetrics' keys and syncs across processes when torch.distributed is initialised.

    .venv/bin/python examples/torch_training_loop.py
"""
import torch

import locuskit
import locuskit.eval

torch.manual_seed(0)
num_images, per_image, num_classes, dim = 16, 8, 3, 16
features = torch.randn(num_images, per_image, dim)
centres = torch.rand(num_images, per_image, 2) * 80 + 10
sizes = torch.rand(num_images, per_image, 2) * 20 + 5
gt_boxes = torch.cat([centres - sizes / 2, centres + sizes / 2], dim=-1)  # xyxy
gt_labels = torch.randint(0, num_classes, (num_images, per_image), dtype=torch.int32)

head = torch.nn.Linear(dim, 4 + num_classes)
opt = torch.optim.SGD(head.parameters(), lr=0.1)
for step in range(30):
    out = head(features)
    pred = torch.cat([out[..., :2] * 5 + centres - sizes / 2, out[..., 2:4] * 5 + centres + sizes / 2], dim=-1)
    onehot = torch.nn.functional.one_hot(gt_labels.long(), num_classes).float()
    loss = (locuskit.generalized_box_iou_loss(pred, gt_boxes, reduction="mean")
            + locuskit.sigmoid_focal_loss(out[..., 4:], onehot, reduction="mean"))
    opt.zero_grad()
    loss.backward()  # locuskit's analytic gradients flow into the head
    opt.step()

evaluator = locuskit.eval.CocoEvaluator(category_ids=range(num_classes))
with torch.no_grad():
    out = head(features)
    pred = torch.cat([out[..., :2] * 5 + centres - sizes / 2, out[..., 2:4] * 5 + centres + sizes / 2], dim=-1)
    scores = out[..., 4:].sigmoid()
    for i in range(num_images):
        boxes = pred[i].repeat_interleave(num_classes, dim=0)   # one candidate per (box, class)
        cls = torch.arange(num_classes, dtype=torch.int32).repeat(per_image)
        s = scores[i].reshape(-1)
        keep = locuskit.batched_nms(boxes, s, cls, 0.5)          # int32 ids, tensors in and out
        evaluator.update([{"boxes": boxes[keep], "scores": s[keep], "labels": cls[keep]}],
                         [{"boxes": gt_boxes[i], "labels": gt_labels[i]}])
metrics = evaluator.compute_torchmetrics(category_names={0: "cat", 1: "dog", 2: "bird"})
print(f"final loss {loss.item():.4f}  map {metrics['map'].item():.3f}  map_50 {metrics['map_50'].item():.3f}")
print(evaluator.result.summary().splitlines()[0])
