#!/usr/bin/python3
"""Writes the seed corpora of the parser fuzz targets (tests/fuzz/corpus/<target>/seed-*) from
the fixtures: tests/data (always) and ../shared/reference (when present). Files are trimmed to a
few KB (the first rows / annotations) so libFuzzer's default max_len stays small and the corpora
stay lean. The kernel targets' corpora are libFuzzer-minimized (-merge=1) runs, see
docs/fuzzing.md. Deterministic; rerun to refresh the seeds (it replaces seed-* files only).

    /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fuzz" / "corpus"
DATA = ROOT / "tests" / "data"
# ../shared next to the checkout (or two levels up for a git worktree under <work>/wt/).
SHARED = next((p / "shared" / "reference" for p in (ROOT.parent, ROOT.parent.parent)
               if (p / "shared" / "reference").is_dir()), ROOT.parent / "shared" / "reference")
MAX_BYTES = 4096


def put(target, text, tag):
    data = text.encode() if isinstance(text, str) else text
    data = data[:MAX_BYTES * 4]
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    name = "seed-%s-%s" % (re.sub(r"[^a-z0-9]+", "_", tag.lower())[:40], hashlib.sha1(data).hexdigest()[:8])
    (d / name).write_bytes(data)


def head_lines(path, n):
    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    comments = [l for l in lines if l.lstrip().startswith(b"#")][:2]
    rows = [l for l in lines if not l.lstrip().startswith(b"#")][:n]
    return b"".join(comments + rows)


def small_coco(path, max_ann=6):
    """A GT/results JSON trimmed to a few annotations (and the images they use)."""
    d = json.loads(pathlib.Path(path).read_text())
    if isinstance(d, list):
        return json.dumps(d[:max_ann])
    anns = d.get("annotations", [])[:max_ann]
    img_ids = {a.get("image_id") for a in anns}
    out = dict(d)
    out["annotations"] = anns
    if "images" in d:
        out["images"] = [i for i in d["images"] if i.get("id") in img_ids][:max_ann] or d["images"][:2]
    if "categories" in d:
        out["categories"] = d["categories"][:8]
    out.pop("info", None)
    out.pop("licenses", None)
    return json.dumps(out)


def clear_seeds():
    for p in OUT.glob("*/seed-*"):
        p.unlink()


def coco():
    micro = SHARED / "detection" / "micro"
    if micro.is_dir():
        for case in sorted(micro.iterdir()):
            if (case / "gt.json").exists():
                put("fuzz_coco_ground_truth", (case / "gt.json").read_text(), case.name)
            if (case / "dt.json").exists():
                put("fuzz_coco_results", (case / "dt.json").read_text(), case.name)
    fx = DATA / "eval" / "detection" / "fixtures"
    for name in ["faster_coco_eval_tests/gt_ignore_test.json", "faster_coco_eval_tests/gt_dataset.json",
                 "faster_coco_eval_tests/keypoints_dataset/gt_dataset.json",
                 "cocoapi_fake100/instances_val2014_100.json"]:
        if (fx / name).exists():
            put("fuzz_coco_ground_truth", small_coco(fx / name), name)
    for name in ["faster_coco_eval_tests/dt_dataset.json", "faster_coco_eval_tests/keypoints_dataset/dt_dataset.json",
                 "cocoapi_fake100/instances_val2014_fakebbox100_results.json"]:
        if (fx / name).exists():
            put("fuzz_coco_results", small_coco(fx / name), name)
    # Results in the fixed GT's id space (tests/fuzz/fuzz_coco_results.cpp): boxes, keypoints,
    # the edge values issue 10 lists (string/float/huge ids, 1e400, NaN-free JSON extremes).
    put("fuzz_coco_results", '[{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9},'
        ' {"image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "score": 0.5}]', "fixed_gt_boxes")
    put("fuzz_coco_results", '[{"image_id": 2, "category_id": 2, "keypoints": [1, 1, 2, 5, 5, 2, 9, 9, 2],'
        ' "score": 0.7}, {"image_id": 3, "category_id": 2, "keypoints": [1, 2, 1, 2, 3, 1, 3, 4, 1], "score": 1}]',
        "fixed_gt_keypoints")
    put("fuzz_coco_results", '[{"image_id": 1.0, "category_id": 18446744073709551616, "bbox": [1e400, -0.0, 5e-324, 1],'
        ' "score": -1e308}]', "edge_numbers")
    put("fuzz_coco_results", '[{"image_id": "1", "category_id": 1, "segmentation": {"size": [480, 640],'
        ' "counts": "0S1"}, "score": 0.3}]', "string_id_rle")
    put("fuzz_coco_results", "[]", "empty")
    put("fuzz_coco_ground_truth", '{"images": [{"id": 9223372036854775807}], "categories": [{"id": 1}, {"id": 1}],'
        ' "annotations": [{"id": 1, "image_id": 9223372036854775807, "category_id": 1, "bbox": [0, 0, 1, 1],'
        ' "area": 1, "iscrowd": 0}, {"id": 1, "image_id": 9223372036854775807, "category_id": 1,'
        ' "bbox": [0, 0, 2, 2], "area": 4, "iscrowd": 1}]}', "duplicate_ids_int64_max")


def trajectories():
    traj = [DATA / "traj" / n for n in ["freiburg1_xyz-groundtruth.txt", "freiburg1_xyz-rgbdslam.txt",
                                        "freiburg1_xyz-ORB_kf_mono.txt"]]
    sd = SHARED / "trajectories" / "data"
    traj += [sd / n for n in ["georeferenced.tum", "fr2_desk_ORB.txt"]]
    for p in traj:
        if p.exists():
            put("fuzz_trajectory_tum", head_lines(p, 6), p.name)
    put("fuzz_trajectory_tum", b"\xef\xbb\xbf# BOM\r\n1 0 0 0 0 0 0 1\r\n  2\t1 2 3 0 0 0 1\r\n\r\n", "bom_crlf")
    put("fuzz_trajectory_tum", b"1 0 0 0 0 0 0 1\n1 0 0 0 0 0 0 1\n0.5 1e308 -1e-320 0 1e-9 0 0 0\n", "dup_extreme")
    for n in ["KITTI_00_gt.txt", "KITTI_00_ORB.txt", "KITTI_00_SPTAM.txt"]:
        if (sd / n).exists():
            put("fuzz_trajectory_kitti", head_lines(sd / n, 5), n)
    put("fuzz_trajectory_kitti", "1 0 0 0 0 1 0 0 0 0 1 0\n0 -1 0 1 1 0 0 2 0 0 1 3\n", "rotz90")
    for n in ["V102_groundtruth.csv", "V102.txt"]:
        if (sd / n).exists():
            put("fuzz_trajectory_euroc" if n.endswith(".csv") else "fuzz_trajectory_tum", head_lines(sd / n, 5), n)
    put("fuzz_trajectory_euroc", "#t,x,y,z,qw,qx,qy,qz\n1403715524907143168, 0.5, 2, 0.9, 1, 0, 0, 0,\n"
        "9223372036854775807,0,0,0,0.5,0.5,0.5,0.5\n", "trailing_comma_int64_max")


def rle():
    # 4 bytes of (h, w) big-endian, then the compressed counts string (tests/fuzz/fuzz_rle.cpp).
    strings = set()
    p = SHARED / "masks" / "mask_api" / "expected.json"
    if p.exists():
        strings.update(re.findall(r'"counts": "([^"]{1,200})"', p.read_text())[:30])
    strings.update(["S1", "0S1", "01g0", "g01", "81?", "", "o", "`0"])
    for i, s in enumerate(sorted(strings)[:30]):
        h, w = 8 + 7 * i, 6 + 5 * i
        put("fuzz_rle", bytes([h >> 8, h & 255, w >> 8, w & 255]) + s.encode(), "counts_%d" % i)


def kitti_labels():
    # "<ground-truth file>\0<detection file>" (tests/fuzz/fuzz_kitti_label.cpp), from the packed micro cases.
    cases = json.loads((DATA / "box3d" / "micro_cases.json").read_text())["cases"]
    for name in ("dontcare_bbox_only", "van_person_sitting_truck", "det_without_score", "aos_flipped"):
        fr = cases[name]["frames"][-1]
        put("fuzz_kitti_label", fr["label"] + "\0" + fr["det"], name)
    put("fuzz_kitti_label", "Car 0 0 0 1 2 3 4 1e308 1e308 1e308 -1e308 0 1e308 1e308\r\n\n\0"
        "Car -1 -1 -10 1 2 3 4 1 1 1 1 1 1 0 1e-320\n", "extreme")


if __name__ == "__main__":
    clear_seeds()
    coco()
    trajectories()
    rle()
    kitti_labels()
    for d in sorted(OUT.iterdir()):
        files = list(d.iterdir())
        print("%-28s %3d files %7d bytes" % (d.name, len(files), sum(f.stat().st_size for f in files)))
