"""locuskit.dask: a sharded result set evaluated on a dask.distributed LocalCluster (2 workers)
gives the single-process coco_evaluate result bit for bit; state files per shard make a rerun
skip finished shards."""
from __future__ import annotations

import json

import numpy as np
import pytest

from test_eval_state import _assert_same, synthetic

pytest.importorskip("distributed", reason="Debian python3-distributed (scripts/setup-debian) is not installed")


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    client = Client(lc)
    yield client
    client.close()
    lc.close()


def _write(tmp_path, seed, n_shards, iou_type="bbox"):
    gt, dt = synthetic(seed, n_images=40, masks=iou_type != "bbox")
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    rng = np.random.default_rng(seed)
    shard_of = {im["id"]: int(rng.integers(0, n_shards)) for im in gt["images"]}
    files = []
    for k in range(n_shards):  # e.g. one results file per inference rank
        f = tmp_path / f"dt{k}.json"
        f.write_text(json.dumps([d for d in dt if shard_of[d["image_id"]] == k]))
        files.append(str(f))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    return gt, dt, files


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_dask_sharded_result_set_equals_one_process(cluster, tmp_path, iou_type):
    import locuskit.eval as le
    from locuskit.dask import evaluate_coco

    gt, dt, files = _write(tmp_path, 1, 3, iou_type)
    one = le.coco_evaluate(gt, dt, iou_type)
    r = evaluate_coco(str(tmp_path / "gt.json"), files, iou_type, client=cluster, quiet=True)
    _assert_same(r, one)


def test_dask_one_big_file_split_and_resumed(cluster, tmp_path, capsys):
    import locuskit.eval as le
    from locuskit.dask import evaluate_coco

    gt, dt, _ = _write(tmp_path, 2, 1)
    one = le.coco_evaluate(gt, dt, max_dets=[1, 5, 50])
    kw = dict(client=cluster, shards=4, state_dir=tmp_path / "run", max_dets=[1, 5, 50])
    _assert_same(evaluate_coco(str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), **kw), one)
    err = capsys.readouterr().err
    assert "shard 4/4 done" in err and "overall 4/4" in err
    _assert_same(evaluate_coco(str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), **kw), one)
    assert capsys.readouterr().err.count("skipped") == 4


def test_dask_local_cluster_of_its_own_and_overlap_error(tmp_path):
    import locuskit.eval as le
    from locuskit.dask import evaluate_coco

    gt, dt, files = _write(tmp_path, 3, 2)
    _assert_same(evaluate_coco(str(tmp_path / "gt.json"), files, workers=2, quiet=True), le.coco_evaluate(gt, dt))
    with pytest.raises(ValueError, match="in two states"):  # an image's results in two shards
        evaluate_coco(str(tmp_path / "gt.json"), files + [files[0]], workers=2, quiet=True)


def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "locuskit", *map(str, args)], capture_output=True, text=True)


def test_cli_scale_out_switches_print_the_one_process_summary(tmp_path):
    gt, dt, files = _write(tmp_path, 4, 2)
    plain = _cli("eval", "coco", tmp_path / "gt.json", tmp_path / "dt.json")
    assert plain.returncode == 0, plain.stderr
    for extra in (["--workers", "2"], ["--shards", "3", "--state-dir", tmp_path / "st"],
                  ["--workers", "2", "--shards", "5"]):
        r = _cli("eval", "coco", tmp_path / "gt.json", tmp_path / "dt.json", *extra)
        assert r.returncode == 0, r.stderr
        assert r.stdout == plain.stdout, extra
        assert "shard" in r.stderr  # progress per shard
    r = _cli("eval", "coco", tmp_path / "gt.json", *files)  # a sharded result set, one file each
    assert r.returncode == 0, r.stderr
    assert r.stdout == plain.stdout
    # -q (every eval command's quiet flag): nothing but errors, progress included
    r = _cli("eval", "coco", tmp_path / "gt.json", *files, "--workers", "2", "-q")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""


def test_dask_client_keeps_no_shard_state_in_memory_for_the_merge(cluster, tmp_path, monkeypatch):
    """evaluate_coco keeps each arriving state as a file and merges the files: when the merge
    starts, no shard's CocoState is alive any more (it used to hold every state in a list and
    merge them in memory: twice the states' size at the peak)."""
    import gc
    import time
    import weakref

    import locuskit.eval as le
    from locuskit.dask import evaluate_coco
    from locuskit.eval._state import CocoState

    alive = weakref.WeakSet()
    init = CocoState.__init__

    def tracked_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        alive.add(self)

    def results_held():  # by live states, once dask has released its copies (asynchronous)
        deadline = time.monotonic() + 5
        while True:
            gc.collect()
            n = sum(len(s.dt_score) for s in list(alive))
            if n == 0 or time.monotonic() > deadline:
                return n
            time.sleep(0.02)

    held = []
    merge, merge_files = CocoState.merge, CocoState.merge_files.__func__

    def tracked_merge(self, *others):
        held.append(results_held())
        return merge(self, *others)

    def tracked_merge_files(cls, paths):
        held.append(results_held())
        return merge_files(cls, paths)

    monkeypatch.setattr(CocoState, "__init__", tracked_init)
    monkeypatch.setattr(CocoState, "merge", tracked_merge)
    monkeypatch.setattr(CocoState, "merge_files", classmethod(tracked_merge_files))
    gt, dt, _ = _write(tmp_path, 5, 1)
    for state_dir in (None, tmp_path / "run"):  # a temporary file per shard, or the workers' state files
        held.clear()
        r = evaluate_coco(str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), client=cluster, shards=6,
                          state_dir=state_dir, quiet=True)
        assert held and held[0] == 0, held  # the first merge starts with no shard state in memory
        alive.clear()
        _assert_same(r, le.coco_evaluate(gt, dt))


def _mot_cases():
    from test_mot_state import _cases

    return _cases()


@pytest.mark.parametrize("gt,trk,cfg", _mot_cases())
def test_dask_mot_sequence_shards_equal_one_process(cluster, gt, trk, cfg):
    from locuskit import mot
    from locuskit.dask import evaluate_mot

    from test_mot_state import _kw, _same

    whole = mot.evaluate(gt, trk, **_kw(cfg))
    for shards in (None, 2):  # one shard per sequence; two shards of contiguous sequences
        _same(evaluate_mot(gt, trk, client=cluster, shards=shards, quiet=True, **_kw(cfg)), whole)
    seqs = list(whole.sequences)[::-1]  # an explicit list, in another order
    _same(evaluate_mot(gt, trk, sequences=seqs, client=cluster, quiet=True, **_kw(cfg)),
          mot.evaluate(gt, trk, sequences=seqs, **_kw(cfg)))


def test_dask_mot_errors(cluster, tmp_path):
    from locuskit.dask import evaluate_mot

    from test_mot_state import LOCAL

    gt = LOCAL / "edge" / "gt" / "mot_challenge"
    with pytest.raises(FileNotFoundError, match="seqmap|no such file|No such file"):
        evaluate_mot(tmp_path, tmp_path, client=cluster, quiet=True)
    with pytest.raises(ValueError, match="no sequences"):
        evaluate_mot(gt, tmp_path, sequences=[], client=cluster, quiet=True)
    with pytest.raises(FileNotFoundError, match="no trackers folder"):  # raised on a worker, re-raised here
        evaluate_mot(gt, tmp_path, client=cluster, quiet=True)


def _lvis_cases():
    from test_lvis_state import CASES

    return CASES


@pytest.mark.parametrize("root,name,case", _lvis_cases(), ids=[c[1] for c in _lvis_cases()])
def test_dask_lvis_image_shards_equal_one_process(cluster, tmp_path, root, name, case):
    import locuskit.eval as le
    from locuskit.dask import evaluate_lvis

    from test_lvis_state import _same

    gt_path, dt_path = root / case["gt"], root / case["dt"]
    whole = le.lvis_evaluate(gt_path, dt_path, case["iou_type"])
    assert all(whole.results[k] == v for k, v in case["results"].items())  # the lvis API's numbers
    _same(evaluate_lvis(gt_path, dt_path, case["iou_type"], client=cluster, shards=3, quiet=True), whole)
    # one results file per "rank": images dealt at random, one rank without results
    dt = json.loads(dt_path.read_text())
    rng = np.random.default_rng(len(dt))
    rank_of = {i: int(rng.integers(0, 2)) for i in {d["image_id"] for d in dt}}
    files = []
    for k in range(3):
        f = tmp_path / f"dt{k}.json"
        f.write_text(json.dumps([d for d in dt if rank_of[d["image_id"]] == k]))
        files.append(f)
    _same(evaluate_lvis(gt_path, files, case["iou_type"], client=cluster, quiet=True), whole)


def test_dask_lvis_parameters_and_errors(cluster, tmp_path):
    import locuskit.eval as le
    from locuskit.dask import evaluate_lvis

    from test_lvis_state import _same

    root, _, case = _lvis_cases()[0]
    gt_path, dt_path = root / case["gt"], root / case["dt"]
    kw = dict(max_dets=20, iou_thrs=[0.5, 0.75])
    _same(evaluate_lvis(gt_path, dt_path, case["iou_type"], client=cluster, shards=2, quiet=True, **kw),
          le.lvis_evaluate(gt_path, dt_path, case["iou_type"], **kw))
    with pytest.raises(TypeError, match="img_ids"):
        evaluate_lvis(gt_path, dt_path, client=cluster, img_ids=[1])
    with pytest.raises(ValueError, match="in two states"):
        evaluate_lvis(gt_path, [dt_path, dt_path], case["iou_type"], client=cluster, quiet=True)
    bad = json.loads(dt_path.read_text())
    bad.append(dict(bad[0], image_id=10 ** 9))
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(AssertionError, match="bad.json.*not an image of the ground truth"):  # as lvis_evaluate
        evaluate_lvis(gt_path, tmp_path / "bad.json", client=cluster, shards=2, quiet=True)
    with pytest.raises(AssertionError, match="bad.json.*not an image of the ground truth"):  # one file per rank
        evaluate_lvis(gt_path, [tmp_path / "bad.json"], client=cluster, quiet=True)
