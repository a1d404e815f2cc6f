"""Mergeable MOT state (locuskit.mot.MotState, kind "mot" of the eval state format): random
shards of the sequences, evaluated apart, saved, loaded and merged in random order, equal one
process (mot.evaluate on all sequences) with ==, per sequence and COMBINED_SEQ; merge refuses
overlapping sequences, other settings or trackers; readers refuse a newer version.

Local case: tests/data/mot/edge (3 sequences, 2 trackers); the multi-sequence cases of
../shared/reference/tracking are used too when present (skip otherwise)."""
from __future__ import annotations

import json
import pickle
import random

import numpy as np
import pytest

from locuskit import mot
from locuskit.eval import _state, load_state, save_state

from conftest import DATA, SHARED_REFERENCE
from shard_helpers import random_shards, with_format_version

LOCAL = DATA / "mot"
SHARED = SHARED_REFERENCE / "tracking"


def _cases():
    out = []
    local = json.loads((LOCAL / "expected.json").read_text())
    c = local["cases"]["edge"]
    out.append(pytest.param(LOCAL / c["gt_folder"].replace("cases/", "", 1),
                            LOCAL / c["trackers_folder"].replace("cases/", "", 1), c["trackeval_config"], id="local-edge"))
    if (SHARED / "expected.json").is_file():
        for name, c in json.loads((SHARED / "expected.json").read_text())["cases"].items():
            if len(next(iter(c["trackeval"].values()))) > 2:  # at least 2 sequences + COMBINED_SEQ
                out.append(pytest.param(SHARED / c["gt_folder"], SHARED / c["trackers_folder"], c["trackeval_config"],
                                        id=name))
    else:
        out.append(pytest.param(None, None, None, id="shared-absent",
                                marks=pytest.mark.skip(reason=f"{SHARED} not present (the other cases)")))
    return out


def _kw(cfg):
    return dict(benchmark=cfg["BENCHMARK"], split=cfg["SPLIT_TO_EVAL"], do_preproc=cfg["DO_PREPROC"],
                metrics=cfg["METRICS"])


def _same(a, b):
    """Exact equality of two MotResults: same trackers, sequences, fields, types and values (==)."""
    assert a.trackers == b.trackers and a.sequences == b.sequences and a.metrics == b.metrics
    for t in a.trackers:
        assert list(a.results[t]) == list(b.results[t])
        for seq, fams in a.results[t].items():
            assert list(fams) == list(b.results[t][seq]), (t, seq)
            for fam, fields in fams.items():
                for f, v in fields.items():
                    w = b.results[t][seq][fam][f]
                    if isinstance(v, np.ndarray):
                        assert v.dtype == w.dtype and np.array_equal(v, w), (t, seq, fam, f)
                    else:
                        assert type(v) is type(w) and v == w, (t, seq, fam, f, v, w)
    assert a.to_json() == b.to_json()
    for t in a.trackers:
        assert a.summary_txt(t) == b.summary_txt(t) and a.detailed_csv(t) == b.detailed_csv(t)


@pytest.mark.parametrize("gt,trk,cfg", _cases())
def test_random_shards_merged_through_files_equal_one_process(gt, trk, cfg, tmp_path):
    whole = mot.evaluate(gt, trk, **_kw(cfg))
    seqs = list(whole.sequences)
    rng = random.Random(20261205)
    for trial in range(6):
        n = rng.choice([2, 3]) if len(seqs) >= 3 else 2
        paths = []
        for k, shard in enumerate(random_shards(rng, seqs, n)):
            p = tmp_path / f"t{trial}-shard{k}.state.npz"
            save_state(mot.state(gt, trk, sequences=shard, **_kw(cfg)), p)
            paths.append(p)
        rng.shuffle(paths)
        states = [load_state(p) for p in paths]
        assert all(isinstance(s, mot.MotState) for s in states)
        merged = states[0].merge(*states[1:]) if rng.random() < 0.5 else \
            pickle.loads(pickle.dumps(states[0])).merge(states[1]).merge(*states[2:])
        assert merged.sequences == sorted(seqs)
        _same(merged.compute(), whole)


def test_state_of_all_sequences_and_metric_subsets():
    c = json.loads((LOCAL / "expected.json").read_text())["cases"]["edge"]
    gt = LOCAL / c["gt_folder"].replace("cases/", "", 1)
    trk = LOCAL / c["trackers_folder"].replace("cases/", "", 1)
    for metrics in (["HOTA", "CLEAR", "Identity"], ["Identity"], ["CLEAR", "HOTA"]):
        whole = mot.evaluate(gt, trk, metrics=metrics)
        a = mot.state(gt, trk, metrics=metrics, sequences=["SYN-03"])
        b = mot.state(gt, trk, metrics=metrics, sequences=["SYN-02", "SYN-01"])
        _same(mot.MotState.from_bytes(b.to_bytes()).merge(a).compute(), whole)
        _same(mot.state(gt, trk, metrics=metrics).compute(), whole)


def test_state_files_of_plain_pairs():
    c = json.loads((LOCAL / "expected.json").read_text())["cases"]["edge"]
    gt = LOCAL / c["gt_folder"].replace("cases/", "", 1) / "MOT17-train"
    trk = LOCAL / c["trackers_folder"].replace("cases/", "", 1) / "MOT17-train" / "trkA" / "data"
    pairs = {s: (gt / s / "gt" / "gt.txt", trk / f"{s}.txt") for s in ("SYN-01", "SYN-02", "SYN-03")}
    whole = mot.evaluate_files(pairs)
    parts = [mot.state_files({s: pairs[s]}) for s in ("SYN-02", "SYN-03", "SYN-01")]
    _same(parts[0].merge(parts[1], parts[2]).compute(), whole)


def test_merge_refuses_overlap_settings_trackers_and_newer_versions(tmp_path):
    c = json.loads((LOCAL / "expected.json").read_text())["cases"]["edge"]
    gt = LOCAL / c["gt_folder"].replace("cases/", "", 1)
    trk = LOCAL / c["trackers_folder"].replace("cases/", "", 1)
    a = mot.state(gt, trk, sequences=["SYN-01", "SYN-02"])
    with pytest.raises(ValueError, match="SYN-02.*two states"):
        a.merge(mot.state(gt, trk, sequences=["SYN-02", "SYN-03"]))
    with pytest.raises(ValueError, match="different settings.*benchmark"):
        a.merge(_with(mot.state(gt, trk, sequences=["SYN-03"]), benchmark="MOT20"))
    with pytest.raises(ValueError, match="different settings.*do_preproc"):
        a.merge(mot.state(gt, trk, sequences=["SYN-03"], do_preproc=False))
    with pytest.raises(ValueError, match="different settings.*metrics"):
        a.merge(mot.state(gt, trk, sequences=["SYN-03"], metrics=["HOTA"]))
    with pytest.raises(ValueError, match="different settings.*conventions"):
        a.merge(_with(mot.state(gt, trk, sequences=["SYN-03"]), conventions="motmetrics"))
    with pytest.raises(ValueError, match="different trackers"):
        a.merge(mot.state(gt, trk, sequences=["SYN-03"], trackers=["trkA"]))
    with pytest.raises(TypeError, match="MotState"):
        a.merge(object())
    with pytest.raises(ValueError, match="conventions='trackeval'"):
        mot.state(gt, trk, conventions="motmetrics")
    # a newer format version, and another kind, are refused by the reader
    p = tmp_path / "a.state.npz"
    save_state(a, p)
    newer = with_format_version(p, tmp_path / "newer.state.npz", _state.VERSION + 1)
    with pytest.raises(ValueError, match="version"):
        load_state(newer)
    with pytest.raises(ValueError, match="version"):
        mot.MotState.load(newer)
    with pytest.raises(ValueError, match="'mot' state, expected 'coco'"):
        _state.CocoState.load(p)


def _with(s, **settings):
    s.settings = dict(s.settings, **settings)
    return s
