"""Mergeable LVIS state (locuskit.eval.LvisState, kind "lvis" of the eval state format): random
image shards of the lean LVIS fixtures (tests/data/eval/lvis; also ../shared/reference/lvis when
present), each shard with its images' results only, saved, loaded and merged in random order,
give lvis_evaluate on everything bit for bit (np.array_equal on precision / recall, == on stats,
per-category AP, counts, summary lines); merge refuses overlapping images, other parameters,
other LVIS rules; readers refuse a newer version. The expected values are the lvis API's
(lvis_evaluate is checked against them in test_lvis.py, and once more here)."""
from __future__ import annotations

import json
import pickle
import random

import numpy as np
import pytest

from conftest import SHARED_REFERENCE

from locuskit.eval import LvisState, _state, load_state, lvis_evaluate, lvis_state, save_state

from shard_helpers import random_shards, with_format_version
from test_lvis import LOCAL, SHARED, _cases

CASES = _cases(LOCAL) + ([c for c in _cases(SHARED) if c[2]["iou_type"] == "bbox"]
                         if (SHARED / "expected.json").exists() else [])


def _same(a, b):
    assert list(a.results) == list(b.results) and all(a.results[k] == b.results[k] for k in a.results)
    assert np.array_equal(a.precision, b.precision) and np.array_equal(a.recall, b.recall)
    assert np.array_equal(a.per_category_ap, b.per_category_ap) and np.array_equal(a.cat_ids, b.cat_ids)
    assert {g: list(v) for g, v in a.freq_groups.items()} == {g: list(v) for g, v in b.freq_groups.items()}
    assert a.counts == b.counts and a.summary_lines == b.summary_lines
    assert list(a.params["img_ids"]) == list(b.params["img_ids"])


@pytest.mark.parametrize("root,name,case", CASES, ids=[c[1] for c in CASES])
def test_random_image_shards_merged_through_files_equal_one_process(root, name, case, tmp_path):
    gt_path, dt_path = root / case["gt"], root / case["dt"]
    whole = lvis_evaluate(gt_path, dt_path, case["iou_type"])
    assert all(whole.results[k] == v for k, v in case["results"].items())  # still the lvis API's numbers
    gt = json.loads(gt_path.read_text())
    dt = json.loads(dt_path.read_text())
    imgs = sorted({int(im["id"]) for im in gt["images"]})
    rng = random.Random(1205)
    for trial in range(4):
        n = min(rng.choice([2, 3]), len(imgs))  # micro_cap300 has a single image: one shard
        paths = []
        for k, shard in enumerate(map(set, random_shards(rng, imgs, n))):
            st = lvis_state(gt_path, [d for d in dt if int(d["image_id"]) in shard], case["iou_type"],
                            image_ids=sorted(shard))
            p = tmp_path / f"t{trial}-{k}.state.npz"
            save_state(st, p)
            paths.append(p)
        rng.shuffle(paths)
        states = [load_state(p) for p in paths]
        assert all(isinstance(s, LvisState) for s in states)
        merged = pickle.loads(pickle.dumps(states[0])).merge(*states[1:])
        _same(merged.compute(), whole)
        _same(LvisState.merge_files(paths).compute(), whole)


def test_merge_refusals_and_versions(tmp_path):
    root, name, case = _cases(LOCAL)[-1]
    gt_path, dt_path = root / case["gt"], root / case["dt"]
    imgs = sorted({int(im["id"]) for im in json.loads(gt_path.read_text())["images"]})
    a = lvis_state(gt_path, dt_path, image_ids=imgs[:10])
    with pytest.raises(ValueError, match="two states"):
        a.merge(lvis_state(gt_path, dt_path, image_ids=imgs[5:20]))
    with pytest.raises(ValueError, match="different LVIS parameters.*max_dets"):
        a.merge(lvis_state(gt_path, dt_path, image_ids=imgs[10:], max_dets=100))
    with pytest.raises(ValueError, match="different parameters.*iouThrs"):
        a.merge(lvis_state(gt_path, dt_path, image_ids=imgs[10:], iou_thrs=[0.5, 0.75]))
    with pytest.raises(TypeError, match="LvisState"):
        a.merge(_state.CocoState.empty(a.params))
    p = tmp_path / "a.state.npz"
    save_state(a, p)
    with pytest.raises(ValueError, match="'lvis' state, expected 'coco'"):
        _state.CocoState.load(p)
    newer = with_format_version(p, tmp_path / "newer.state.npz", _state.VERSION + 1)
    with pytest.raises(ValueError, match="version"):
        load_state(newer)


def test_random_shards_hold_every_item_once():
    rng = random.Random(7)
    for n_items in (1, 2, 3, 10):
        for n in range(1, n_items + 1):
            items = [f"i{k}" for k in range(n_items)]
            shards = random_shards(rng, items, n)
            assert len(shards) == n and all(shards)
            assert sorted(x for s in shards for x in s) == sorted(items)
