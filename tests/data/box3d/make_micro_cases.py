"""Packs ../shared/reference/oriented/kitti_eval/micro/* (synthetic KITTI-format files written for
this project, see README.md) and their expected values into micro_cases.json: the 40 background
frames that most cases prepend are stored once. Run: /usr/bin/python3 make_micro_cases.py SHARED_REFERENCE_DIR"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1]) / "oriented" / "kitti_eval"
expected = json.loads((root / "expected.json").read_text())["cases"]


def frames(folder):
    ids = [int(s) for s in (folder / "val.txt").read_text().split()]
    return [{"id": i, "label": (folder / "label_2" / f"{i:06d}.txt").read_text(),
             "det": (folder / "det" / f"{i:06d}.txt").read_text()} for i in ids]


background = None
cases = {}
for name, case in expected.items():
    if not name.startswith("micro."):
        continue
    fr = frames(root / case["folder"])
    if len(fr) > 40:
        bg = fr[:40]
        if background is None:
            background = bg
        assert bg == background, name
        fr = fr[40:]
        uses_bg = True
    else:
        uses_bg = False
    ex = case["exact_iou_variant"]
    cases[name[len("micro."):]] = {
        "description": case["description"],
        "uses_background": uses_bg,
        "frames": fr,
        "compute_aos": case["compute_aos"],
        "exact_iou_variant": ex,
        "exact_iou_variant_equals_python": case["exact_iou_variant_equals_python"],
        "summary_text": case["summary_text"],
        "ret_dict": case["ret_dict"],
    }
out = {"source": "shared/reference/oriented/kitti_eval (micro cases), packed by make_micro_cases.py",
       "background": background, "cases": cases}
pathlib.Path(__file__).with_name("micro_cases.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
