"""locuskit.eval.tide / lrp against tidecv and LRP-Error's COCOeval run live on random COCO sets
(fixed seeds) with many ties, confusions, duplicates, crowd regions, empty images and more than
100 detections per image, beyond the stored fixtures of test_eval_analysis.py.

Neither peer is a Debian package. Under LOCUSKIT_PEERS (default: <work>/peers):
``tide/`` = dbolya/tide's source (imports Debian's cv2, matplotlib, seaborn, pandas),
``cocoapi/PythonAPI`` = pycocotools 2.0.11 built in place, ``lrp/pycocotools/`` = a copy of that
pycocotools package whose ``cocoeval.py`` is kemaloksuz/LRP-Error's (``pycocotools/pycocotools/
cocoeval.py`` @ec408f3). Each peer's test is skipped without it, saying so."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import locuskit.eval as le
from conftest import ROOT


def _peers():
    for r in [os.environ.get("LOCUSKIT_PEERS")] + [str(p / "peers") for p in (ROOT.parent, ROOT.parent.parent)]:
        if r and pathlib.Path(r).is_dir():
            return pathlib.Path(r)
    return None


PEERS = _peers()
PYTHON = "/usr/bin/python3"  # Debian's interpreter: numpy, cv2, matplotlib for the peers
HAVE_TIDE = PEERS is not None and (PEERS / "tide" / "tidecv").is_dir() and any(
    (PEERS / "cocoapi" / "PythonAPI" / "pycocotools").glob("_mask*.so"))
HAVE_LRP = PEERS is not None and any((PEERS / "lrp" / "pycocotools").glob("_mask*.so"))

TIDECV = r"""
import json, sys
from tidecv import TIDE, datasets
tide = TIDE(); tide.evaluate_range(datasets.COCO(sys.argv[1]), datasets.COCOResult(sys.argv[2]), mode=TIDE.BOX)
name = list(tide.runs)[0]
run = tide.runs[name]
print(json.dumps({'ap': run.ap, 'main': tide.get_main_errors()[name], 'special': tide.get_special_errors()[name],
                  'counts': {e.short_name: len(run.error_dict[e]) for e in TIDE._error_types},
                  'per_t': [r.ap for r in tide.run_thresholds[name]]}))
"""

LRP = r"""
import contextlib, io, json, sys
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    E = COCOeval(gt, dt, 'bbox', lrp_size_details=True); E.evaluate(); E.accumulate(); E.summarize()
e = E.eval
print(json.dumps({'stats': [float(v) for v in E.stats[12:19]],
                  **{k: np.asarray(e[k]).tolist() for k in ('olrp', 'olrp_loc', 'olrp_fp', 'olrp_fn', 'lrp_opt_thr')}}))
"""


def random_coco(seed, images=25, cats=5):
    """A COCO pair made to hit TIDE's and LRP's branches; scores on a coarse grid (ties)."""
    rng = np.random.default_rng(seed)
    cat_ids = [int(c) for c in rng.choice(np.arange(1, 40), cats, replace=False)]
    img_ids = [int(i) for i in rng.permutation(np.arange(100, 100 + images * 3, 3))]
    gt = {"images": [], "annotations": [], "categories": [{"id": c, "name": f"c{c}"} for c in cat_ids]}
    dts = []
    aid = 1
    for img in img_ids:
        W, H = int(rng.integers(200, 640)), int(rng.integers(200, 480))
        gt["images"].append({"id": img, "width": W, "height": H, "file_name": f"{img}.jpg"})
        n = 0 if rng.random() < 0.1 else int(rng.integers(1, 12))
        boxes = []
        for _ in range(n):
            w, h = float(rng.uniform(4, W / 3)), float(rng.uniform(4, H / 3))
            x, y = float(rng.uniform(0, W - w)), float(rng.uniform(0, H - h))
            c = int(rng.choice(cat_ids))
            crowd = int(rng.random() < 0.08)
            gt["annotations"].append({"id": aid, "image_id": img, "category_id": c, "bbox": [x, y, w, h],
                                      "area": w * h * 0.8, "iscrowd": crowd,
                                      "segmentation": [[x, y, x, y + h, x + w, y + h, x + w, y]]})
            aid += 1
            boxes.append((x, y, w, h, c))
        m = int(rng.integers(0, 130)) if rng.random() < 0.9 else 0
        for _ in range(m):
            score = float(np.round(rng.random(), 1))  # coarse: many ties
            if boxes and rng.random() < 0.75:
                x, y, w, h, c = boxes[int(rng.integers(len(boxes)))]
                j = rng.normal(0, 0.25 if rng.random() < 0.5 else 0.05, 4)
                box = [x + j[0] * w, y + j[1] * h, w * (1 + j[2]), h * (1 + j[3])]
                if rng.random() < 0.2:
                    c = int(rng.choice(cat_ids))
            else:
                w, h = float(rng.uniform(4, W / 3)), float(rng.uniform(4, H / 3))
                box, c = [float(rng.uniform(0, W - w)), float(rng.uniform(0, H - h)), w, h], int(rng.choice(cat_ids))
            dts.append({"image_id": img, "category_id": c, "bbox": [float(v) for v in box], "score": score})
    return gt, dts


def _write(tmp_path, seed):
    gt, dts = random_coco(seed)
    g, d = tmp_path / f"gt{seed}.json", tmp_path / f"dt{seed}.json"
    g.write_text(json.dumps(gt))
    d.write_text(json.dumps(dts))
    return g, d


def _peer(code, path, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, path)))
    p = subprocess.run([PYTHON, "-c", code, *map(str, args)], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not HAVE_TIDE, reason="tidecv not found (LOCUSKIT_PEERS=<dir with tide/ and cocoapi/PythonAPI>)")
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_tide_live(tmp_path, seed):
    g, d = _write(tmp_path, seed)
    want = _peer(TIDECV, [PEERS / "tide", PEERS / "cocoapi" / "PythonAPI"], g, d)
    r = le.tide(g, d)
    assert r.ap == want["ap"]
    assert r.main_dap == want["main"]
    assert r.special_dap == want["special"]
    assert r.error_counts == want["counts"]
    assert list(r.ap_per_threshold.values()) == want["per_t"]


@pytest.mark.skipif(not HAVE_LRP, reason="LRP-Error's COCOeval not found (LOCUSKIT_PEERS=<dir with lrp/pycocotools>)")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lrp_live(tmp_path, seed):
    g, d = _write(tmp_path, seed)
    want = _peer(LRP, [PEERS / "lrp"], g, d)
    r = le.lrp(g, d)
    assert [r.stats[k] for k in le._analysis.LRP_STAT_NAMES] == want["stats"]
    for ours, key in ((r.olrp, "olrp"), (r.olrp_loc, "olrp_loc"), (r.olrp_fp, "olrp_fp"), (r.olrp_fn, "olrp_fn"),
                      (r.threshold, "lrp_opt_thr")):
        theirs = np.asarray(want[key], dtype=np.float64)
        assert bool(np.all((ours == theirs) | (np.isnan(ours) & np.isnan(theirs)))), key
