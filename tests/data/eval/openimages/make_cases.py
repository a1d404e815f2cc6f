#!/usr/bin/env python3
"""Synthetic Open Images challenge cases (public domain, numpy only): a class hierarchy with a
multi-parent node, GT boxes (normalized, some group-of, IsGroupOf -1 too), verified positive and
negative image-level labels, and predictions with jittered / duplicate / in-group-of / negative-class
/ unverified-class / invalid / tied / zero and negative scores, an image without GT.

  python3 make_cases.py OUT_DIR NAME SEED IMAGES [DETS_PER_GT]
writes NAME_boxes.csv, NAME_labels.csv, NAME_predictions.csv and (once) hierarchy.json, labelmap.csv.
"""
import json
import os
import sys

import numpy as np

HIER = {"LabelName": "/m/root", "Subcategory": [
    {"LabelName": "/m/animal", "Subcategory": [
        {"LabelName": "/m/cat"},
        {"LabelName": "/m/dog", "Subcategory": [{"LabelName": "/m/puppy"}]},
        {"LabelName": "/m/bird"}]},
    {"LabelName": "/m/vehicle", "Subcategory": [
        {"LabelName": "/m/car"},
        {"LabelName": "/m/toycar"},
        {"LabelName": "/m/bike"}]},
    {"LabelName": "/m/toy", "Subcategory": [
        {"LabelName": "/m/toycar"},
        {"LabelName": "/m/ball"}]},
    {"LabelName": "/m/tree"},
    {"LabelName": "/m/person", "Subcategory": [{"LabelName": "/m/face"}]}]}
LEAVES = ["/m/cat", "/m/puppy", "/m/dog", "/m/bird", "/m/car", "/m/toycar", "/m/bike", "/m/ball", "/m/tree",
          "/m/face", "/m/person"]
ALL = ["/m/animal", "/m/cat", "/m/dog", "/m/puppy", "/m/bird", "/m/vehicle", "/m/car", "/m/toycar", "/m/bike",
       "/m/toy", "/m/ball", "/m/tree", "/m/person", "/m/face"]


def box(rng):
    x0, y0 = rng.uniform(0, 0.8, 2)
    w, h = rng.uniform(0.05, 0.4, 2)
    b = [x0, min(x0 + w, 1.0), y0, min(y0 + h, 1.0)]  # XMin, XMax, YMin, YMax
    if rng.random() < 0.3:
        b = [round(v, 2) for v in b]
    return b


def jitter(rng, b, s):
    x0, x1, y0, y1 = b
    w, h = x1 - x0, y1 - y0
    d = rng.normal(0, s, 4) * [w, w, h, h]
    return [x0 + d[0], x1 + d[1], y0 + d[2], y1 + d[3]]


def main(out, name, seed, images, dets_per_gt=2):
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "hierarchy.json"), "w") as f:
        json.dump(HIER, f, indent=1)
    order = list(rng.permutation(len(ALL)))
    with open(os.path.join(out, "labelmap.csv"), "w") as f:
        f.write("name,id\n")
        for j, k in enumerate(order):
            f.write(f"{ALL[k]},{j + 1}\n")
    bx = ["ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside"]
    lb = ["ImageID,Source,LabelName,Confidence"]
    pr = ["ImageID,LabelName,Score,XMin,XMax,YMin,YMax"]

    def score():
        v = rng.random()
        return round(v, 2) if rng.random() < 0.4 else v

    ids = sorted({"%016x" % rng.integers(0, 2 ** 62) for _ in range(images)})
    rng.shuffle(ids)
    for n, img in enumerate(ids):
        classes = list(rng.choice(LEAVES, size=rng.integers(0, 4), replace=False))
        gts = []
        for c in classes:
            for _ in range(rng.integers(1, 4)):
                g = box(rng)
                grp = 0 if rng.random() > 0.15 else (1 if rng.random() < 0.8 else -1)
                gts.append((c, g, grp))
        rng.shuffle(gts)
        for c, g, grp in gts:
            bx.append(f"{img},xclick,{c},1,{g[0]!r},{g[1]!r},{g[2]!r},{g[3]!r},0,0,{grp},0,0")
        pos = set(classes) | set(rng.choice(LEAVES, size=rng.integers(0, 2), replace=False))
        neg = set(rng.choice(LEAVES, size=rng.integers(0, 3), replace=False)) - pos
        # negatives must not be ancestors of positives' expansion: keep leaves without children only
        neg = {c for c in neg if c not in ("/m/dog", "/m/person")}
        for c in sorted(pos):
            lb.append(f"{img},verification,{c},1")
        for c in sorted(neg):
            lb.append(f"{img},verification,{c},0")
        if n == 0:
            continue  # an image with labels but no predictions
        for c, g, grp in gts:
            for _ in range(rng.integers(0, dets_per_gt + 1)):
                pr.append((img, c, score(), jitter(rng, g, 0.08 if grp == 0 else 0.3)))
            if rng.random() < 0.2:  # predicted as a parent class
                parent = {"/m/cat": "/m/animal", "/m/puppy": "/m/dog", "/m/car": "/m/vehicle",
                          "/m/toycar": "/m/toy", "/m/face": "/m/person"}.get(c, c)
                pr.append((img, parent, score(), jitter(rng, g, 0.05)))
            if grp and rng.random() < 0.7:  # several inside a group-of box
                for _ in range(rng.integers(1, 4)):
                    x0, x1, y0, y1 = g
                    cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
                    pr.append((img, c, score(), [cx - 0.01, cx + 0.01, cy - 0.01, cy + 0.01]))
        for c in list(neg)[:1]:
            pr.append((img, c, score(), box(rng)))
        if rng.random() < 0.3:  # unverified class: dropped
            pr.append((img, str(rng.choice(LEAVES)), score(), box(rng)))
        if rng.random() < 0.15:  # invalid box
            b = box(rng)
            pr.append((img, classes[0] if classes else "/m/tree", score(), [b[0], b[0], b[2], b[3]]))
        if rng.random() < 0.1:
            pr.append((img, classes[0] if classes else "/m/tree", 0.0, box(rng)))
        if rng.random() < 0.05:
            pr.append((img, classes[0] if classes else "/m/tree", -0.5, box(rng)))
    pr.append(("ffffffffffffffff", "/m/cat", 0.9, [0.1, 0.2, 0.1, 0.2]))  # image without GT
    perm = rng.permutation(len(pr) - 1)
    rows = [pr[0]] + [pr[1 + i] for i in perm]
    with open(os.path.join(out, f"{name}_boxes.csv"), "w") as f:
        f.write("\n".join(bx) + "\n")
    with open(os.path.join(out, f"{name}_labels.csv"), "w") as f:
        f.write("\n".join(lb) + "\n")
    with open(os.path.join(out, f"{name}_predictions.csv"), "w") as f:
        f.write(rows[0] + "\n")
        for img, c, s, b in rows[1:]:
            f.write(f"{img},{c},{s!r},{b[0]!r},{b[1]!r},{b[2]!r},{b[3]!r}\n")


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], a[1], int(a[2]), int(a[3]), *(int(x) for x in a[4:]))
