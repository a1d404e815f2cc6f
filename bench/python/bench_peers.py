"""Every ratio of the README's benchmark table, measured live: locuskit and each peer on the same
inputs, in the same run, like for like, with the load recorded next to every row.

* command line vs command line, fresh process per run, start-up included: ``locuskit eval coco``
  vs a pycocotools script (load + evaluate + accumulate + summarize, bench/python/coco_eval_script.py);
  ``locuskit traj ape|rpe`` vs ``evo_ape``/``evo_rpe`` (KITTI 00, 200k and 1M synthetic poses);
* in-process trajectories: evo's reader + ``main_ape.ape``/``main_rpe.rpe`` vs ``locuskit.traj``
  (bench/python/traj_eval_script.py; KITTI 00 and 200k poses);
* in-process vs in-process: COCO evaluate+accumulate (pycocotools vs the ``locuskit.coco``
  drop-in, timed inside the same script); nms 1k/10k/50k, batched_nms, soft-NMS, the IoU family,
  GIoU/CIoU loss + gradient, FPN anchors + decode, the max-IoU matcher (torchvision / OpenCV / scipy,
  all pinned to one thread like locuskit).

Times are medians over ``--repeat`` runs of wall time and of CPU time (getrusage of this process;
os.wait4 of each child for command lines); results are checked to agree before timing. Peers
that are not installed are named with what to do (see _live.py: ``LOCUSKIT_PEERS``).

    LOCUSKIT_PEERS=/work/peers .venv/bin/python bench/python/bench_peers.py [--only box,nms,anchors,coco,traj,traj_api]
        [--repeat 5] [--quick] [--json bench/out/peers.json]

Generated data (COCO sets from ../shared/tools/gen_coco.py, long KITTI-format trajectories) goes
to build/bench-data and is never committed.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _live  # noqa: E402
from _live import load, time_call, time_cli  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
DATA = _live.ROOT / "build" / "bench-data"
COCO_SETS = {
    "a": ("5000 images, 80 cats, 100 dets/image", ["--images", "5000", "--cats", "80", "--dets-per-image", "100",
                                                    "--seed", "1", "--crowd-frac", "0.01"]),
    "b": ("500 images, 2000 dets/image", ["--images", "500", "--dets-per-image", "2000", "--seed", "2",
                                          "--crowd-frac", "0.01"]),
}


# ------------------------------------------------------------------------------- in-process ops
def section_box(rec, args):
    import torch
    import torchvision.ops as tv

    import locuskit as lk

    from bench_box import boxes as uniform_boxes  # the inputs of bench_box.py

    rng = np.random.default_rng(0)

    def boxes(n):
        return uniform_boxes(rng, n)

    n1 = 2000 if args.quick else 10000
    a, b = boxes(n1), boxes(1000)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    for name, ours, peer in [("box_iou", lk.box_iou, tv.box_iou),
                             ("generalized_box_iou", lk.generalized_box_iou, tv.generalized_box_iou),
                             ("distance_box_iou", lk.distance_box_iou, tv.distance_box_iou),
                             ("complete_box_iou", lk.complete_box_iou, tv.complete_box_iou)]:
        got, want = ours(a, b), peer(ta, tb).numpy()
        agree = "identical" if np.array_equal(got, want) else f"max|d| {np.abs(got - want).max():.1e}"
        l0 = load()
        o = time_call(lambda: ours(a, b), args.repeat)
        p = time_call(lambda: peer(ta, tb), args.repeat)
        rec.add("box", f"{name} {n1}x1000 f32", "in-process", o, f"torchvision.ops.{name}", p, agree, l0)

    n = 20000 if args.quick else 100000
    pr, gt = boxes(n), boxes(n)
    tp, tg = torch.from_numpy(pr), torch.from_numpy(gt)

    def autograd(fn):
        x = tp.clone().requires_grad_(True)
        fn(x, tg, reduction="mean").backward()
        return x.grad

    for name, ours, peer in [("generalized_box_iou_loss", lk.generalized_box_iou_loss, tv.generalized_box_iou_loss),
                             ("complete_box_iou_loss", lk.complete_box_iou_loss, tv.complete_box_iou_loss)]:
        (lo, go), gp = ours(pr, gt, "mean", return_grad=True), autograd(peer).numpy()
        agree = f"grad max|d| {np.abs(go - gp).max():.1e}"
        l0 = load()
        o = time_call(lambda: ours(pr, gt, "mean", return_grad=True), args.repeat)
        p = time_call(lambda: autograd(peer), args.repeat)
        rec.add("box", f"{name} + gradient, {n} pairs f32", "in-process", o, "torch autograd", p, agree, l0)


def section_nms(rec, args):
    import cv2
    import torch
    import torchvision.ops as tv

    import locuskit as lk
    from locuskit.benchmarks import clustered_boxes

    rng = np.random.default_rng(args.seed)
    thr = 0.5
    for n in ([1000, 5000] if args.quick else [1000, 10000, 50000]):
        boxes, scores = clustered_boxes(rng, n)
        tb, ts = torch.from_numpy(boxes), torch.from_numpy(scores)
        agree = "identical" if np.array_equal(lk.nms(boxes, scores, thr), tv.nms(tb, ts, thr).numpy()) else "DIFFERENT"
        l0 = load()
        o = time_call(lambda: lk.nms(boxes, scores, thr), args.repeat)
        p = time_call(lambda: tv.nms(tb, ts, thr), args.repeat)
        rec.add("nms", f"nms {n} clustered boxes", "in-process", o, "torchvision.ops.nms", p, agree, l0)
        if n >= 10000:
            rects = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1).astype(np.float64).tolist()
            sl = scores.tolist()
            l0 = load()
            p = time_call(lambda: cv2.dnn.NMSBoxes(rects, sl, 0.0, thr), max(1, args.repeat // 2))
            rec.add("nms", f"nms {n} clustered boxes", "in-process", o, "cv2.dnn.NMSBoxes", p, "-", l0)

    nb = 5000 if args.quick else 50000
    boxes, scores = clustered_boxes(rng, nb)
    idxs = rng.integers(0, 80, nb).astype(np.int64)
    tb, ts, ti = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(idxs)
    same = sorted(tv.batched_nms(tb, ts, ti, thr).tolist()) == sorted(lk.batched_nms(boxes, scores, idxs, thr).tolist())
    l0 = load()
    o = time_call(lambda: lk.batched_nms(boxes, scores, idxs, thr), args.repeat)
    p = time_call(lambda: tv.batched_nms(tb, ts, ti, thr), args.repeat)
    rec.add("nms", f"batched_nms {nb}, 80 classes", "in-process", o, "torchvision.ops.batched_nms", p,
            "same set" if same else "DIFFERENT", l0)

    # Gaussian soft-NMS against OpenCV (its binding takes integer Rects).
    for ns in ([500] if args.quick else [1000, 5000]):
        boxes, scores = clustered_boxes(rng, ns)
        boxes = np.round(boxes).astype(np.float32)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        rects = [[int(x0), int(y0), int(x1 - x0), int(y1 - y0)] for x0, y0, x1, y1 in boxes]
        sl = scores.tolist()
        ck, _ = lk.soft_nms(boxes.astype(np.float64), scores.astype(np.float64), sigma=0.5, score_threshold=0.001)
        _, ci = cv2.dnn.softNMSBoxes(rects, sl, 0.001, 0.3, sigma=0.5)
        agree = "identical" if np.array_equal(np.asarray(ci).reshape(-1), ck) else "DIFFERENT"
        l0 = load()
        o = time_call(lambda: lk.soft_nms(boxes, scores, sigma=0.5, score_threshold=0.001), args.repeat)
        p = time_call(lambda: cv2.dnn.softNMSBoxes(rects, sl, 0.001, 0.3, sigma=0.5), args.repeat)
        rec.add("nms", f"soft_nms gaussian {ns}", "in-process", o, "cv2.dnn.softNMSBoxes", p, agree, l0)


def section_anchors(rec, args):
    import bench_anchors as ba

    for name, what in [("fpn", "FPN anchors + BoxCoder decode, 201,600 anchors"),
                       ("match", "max-IoU Matcher(0.5, 0.4, low-quality), 201,600 x 100 gt"),
                       ("lsa", "linear_sum_assignment 300x300")]:
        d = ba.setup(name, 1)
        ours, peer = ba.make_op(f"{name}_locuskit", d), ba.make_op(f"{name}_torchvision", d)
        got, want = ours(), peer()
        want = want.numpy() if hasattr(want, "numpy") else np.asarray(want)
        agree = "identical" if np.array_equal(got, want) else f"max|d| {np.abs(got - want).max():.1e}"
        l0 = load()
        o = time_call(ours, args.repeat)
        p = time_call(peer, args.repeat)
        rec.add("anchors", what, "in-process", o, "scipy" if name == "lsa" else "torchvision", p, agree, l0)


# ----------------------------------------------------------------------------------------- COCO
def coco_data(name):
    if name == "sample":
        d = _live.ROOT / "examples" / "data" / "coco_val2014_100"
        return "bundled val2014 sample (100 images)", d / "instances_val2014_100.json", \
            d / "instances_val2014_fakebbox100_results.json"
    what, flags = COCO_SETS[name]
    gt, dt = DATA / f"coco_{name}_gt.json", DATA / f"coco_{name}_dt.json"
    if not (gt.exists() and dt.exists()):
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating COCO set ({name}) into {DATA} ...", flush=True)
        subprocess.run(["/usr/bin/python3", str(_live.SHARED / "tools" / "gen_coco.py"), *flags,
                        "--out-gt", str(gt), "--out-dt", str(dt)], check=True)
    mb = (gt.stat().st_size + dt.stat().st_size) / 2**20
    return f"{what} ({mb:.0f} MB JSON)", gt, dt


_SUMMARY = re.compile(r"^ Average (?:Precision|Recall).*= *(-?[0-9.]+)$", re.M)


def section_coco(rec, args):
    pyco, msg = _live.pycocotools_path()
    rec.note(msg)
    script = str(HERE / "coco_eval_script.py")
    startup(rec, "start-up: `locuskit --version` vs importing pycocotools' COCO, COCOeval", [*_live.locuskit_cli(),
            "--version"], "python3 -c 'import pycocotools...'", ["/usr/bin/python3", "-c",
            "import pycocotools.coco, pycocotools.cocoeval"] if pyco else None, dict(os.environ, PYTHONPATH=pyco or ""))
    sets = ["sample"] if args.quick else ["sample", "a", "b"]
    for name in sets:
        what, gt, dt = coco_data(name)
        # The pycocotools run is slow (tens of seconds on the big sets): fewer repeats there.
        slow_rep = args.repeat if name == "sample" else max(1, min(args.repeat, args.coco_peer_repeat))
        ours = {}
        for threads in (1, 2):
            l0 = load()
            cli, cruns = time_cli([*_live.locuskit_cli(), "eval", "coco", str(gt), str(dt), "--threads", str(threads)],
                                  args.repeat)
            drop, druns = time_cli([sys.executable, script, "locuskit", str(gt), str(dt), "--threads", str(threads)],
                                   args.repeat)
            ours[threads] = (l0, cli, cruns, drop, druns, [_last_json(r["stdout"]) for r in druns])
        peer_runs = None
        if pyco:
            peer, peer_runs = time_cli(["/usr/bin/python3", script, "pycocotools", str(gt), str(dt)], slow_rep,
                                       env=dict(os.environ, PYTHONPATH=pyco))
            pinner = [_last_json(r["stdout"]) for r in peer_runs]
            pev = _live.summary([x["eval_acc_wall_s"] for x in pinner], [x["eval_acc_cpu_s"] for x in pinner])
            pld = _live.summary([x["load_wall_s"] for x in pinner], [x["load_cpu_s"] for x in pinner])
            want = _SUMMARY.findall(peer_runs[0]["stdout"])
            assert len(want) == 12, "pycocotools' summary lines not found"
        for threads in (1, 2):
            l0, cli, cruns, drop, druns, inner = ours[threads]
            tag = f"COCO {name}: {what}, locuskit {threads} thread{'s' if threads > 1 else ''}"
            ev = _live.summary([x["eval_acc_wall_s"] for x in inner], [x["eval_acc_cpu_s"] for x in inner])
            ld = _live.summary([x["load_wall_s"] for x in inner], [x["load_cpu_s"] for x in inner])
            if peer_runs is None:
                rec.add("coco", f"{tag}: evaluate+accumulate (COCOeval drop-in)", "in-process", ev,
                        "pycocotools (absent)", None, load_before=l0, load_in_process=ld)
                rec.add("coco", f"{tag}: end to end, `locuskit eval coco`", "command line", cli,
                        "pycocotools (absent)", None, load_before=l0)
                continue
            stats_same = all(a["stats"] == b["stats"] for a in inner for b in pinner)
            rec.add("coco", f"{tag}: evaluate+accumulate (COCOeval drop-in)", "in-process", ev, "pycocotools COCOeval",
                    pev, "stats identical" if stats_same else "STATS DIFFER", l0,
                    load_in_process={"locuskit": ld, "pycocotools": pld})
            same = _SUMMARY.findall(cruns[0]["stdout"]) == want
            rec.add("coco", f"{tag}: end to end, `locuskit eval coco`", "command line", cli,
                    "pycocotools script", peer, "summary identical" if same else "SUMMARY DIFFERS", l0)
            same = _SUMMARY.findall(druns[0]["stdout"]) == want
            rec.add("coco", f"{tag}: end to end, same script with the drop-in", "command line", drop,
                    "pycocotools script", peer, "summary identical" if same else "SUMMARY DIFFERS", l0)
        if peer_runs is not None:
            rec.note(f"COCO {name}: pycocotools load (COCO + loadRes) {pld['wall_s']:.2f} s wall / "
                     f"{pld['cpu_s']:.2f} s CPU; locuskit drop-in load {ld['wall_s']:.3f} s / {ld['cpu_s']:.3f} s")


def _last_json(stdout):
    import json

    return json.loads(stdout.strip().splitlines()[-1])


def startup(rec, what, ours_cmd, peer_name, peer_cmd, env=None):
    """Start-up alone (import, argument parsing), so that command-line ratios can be read."""
    l0 = load()
    o, _ = time_cli(ours_cmd, 5)
    p, _ = time_cli(peer_cmd, 5, env=env) if peer_cmd else (None, None)
    rec.add("startup", what, "command line", o, peer_name if peer_cmd else f"{peer_name} (absent)", p, "-", l0)


# ---------------------------------------------------------------------------------- trajectories
def long_kitti(n):
    """KITTI-format ground truth and estimate with n poses (bench_pose's synthetic path), cached."""
    gt_p, est_p = DATA / f"traj_{n}_gt.txt", DATA / f"traj_{n}_est.txt"
    if not (gt_p.exists() and est_p.exists()):
        import bench_pose

        DATA.mkdir(parents=True, exist_ok=True)
        print(f"writing {n}-pose KITTI files into {DATA} ...", flush=True)
        gt, est, _, _ = bench_pose.synthetic(n, np.random.default_rng(n))
        for arr, path in ((gt, gt_p), (est, est_p)):
            np.savetxt(path, arr[:, :3, :].reshape(len(arr), 12), fmt="%.9e")
    return gt_p, est_p


_RMSE = re.compile(r"rmse\s+([-+0-9.eE]+)")


def section_traj(rec, args):
    ape, msg = _live.evo_bin("evo_ape")
    rec.note(msg)
    rpe, _ = _live.evo_bin("evo_rpe")
    env = dict(os.environ, MPLBACKEND="Agg")
    lk = _live.locuskit_cli()
    real = _live.SHARED / "reference" / "trajectories" / "data"
    if ape:
        evo_py = str(pathlib.Path(ape).with_name("python"))
        startup(rec, "start-up: `locuskit --version` vs importing evo_ape's modules", [*lk, "--version"],
                "evo (import evo.cli.ape)", [evo_py, "-c", "import evo.cli.ape_parser, evo.cli.ape"], env)
    cases = []
    if (real / "KITTI_00_gt.txt").exists():
        cases.append(("KITTI 00 (4541 poses, ORB-SLAM2)", real / "KITTI_00_gt.txt", real / "KITTI_00_ORB.txt",
                      args.repeat))
    else:
        rec.note(f"KITTI 00 not found under {real}: skipped")
    if not args.quick:
        for n in (200_000, 1_000_000):
            g, e = long_kitti(n)
            cases.append((f"synthetic {n // 1000}k poses", g, e, args.evo_repeat_200k if n <= 200_000
                          else args.evo_repeat_1m))
    for what, g, e, rep in cases:
        for tool, peer_bin, extra in (("ape", ape, []), ("rpe", rpe, [])):
            ours_cmd = [*lk, "traj", tool, "kitti", str(g), str(e), "-as", *extra]  # evo's command line
            peer_cmd = [peer_bin, "kitti", str(g), str(e), "-as", *extra] if peer_bin else None
            l0 = load()
            o, oruns = time_cli(ours_cmd, args.repeat, env=env)
            if peer_cmd is None:
                rec.add("traj", f"{what}: {tool} -as (Sim(3)), trans_part", "command line", o, f"evo_{tool} (absent)",
                        None, load_before=l0)
                continue
            p, pruns = time_cli(peer_cmd, rep, env=env)
            a = _RMSE.search(oruns[0]["stdout"])
            b = _RMSE.search(pruns[0]["stdout"])
            if a and b:
                ra, rb = float(a.group(1)), float(b.group(1))
                # evo prints 6 decimals
                agree = "rmse same" if abs(ra - rb) <= 5e-7 + 1e-9 * abs(rb) else f"rmse {ra:.9g} vs {rb:.9g}"
            else:
                agree = "rmse ?"
            rec.add("traj", f"{what}: {tool} -as (Sim(3)), trans_part", "command line", o, f"evo_{tool}", p, agree, l0)


def section_traj_api(rec, args):
    """In-process: evo's reader and main_ape.ape / main_rpe.rpe vs locuskit.traj (traj_eval_script.py)."""
    ape, msg = _live.evo_bin("evo_ape")
    rec.note(msg)
    script = str(HERE / "traj_eval_script.py")
    env = dict(os.environ, MPLBACKEND="Agg")
    real = _live.SHARED / "reference" / "trajectories" / "data"
    cases = [("KITTI 00 (4541 poses)", real / "KITTI_00_gt.txt", real / "KITTI_00_ORB.txt", args.repeat)]
    if not args.quick:
        g, e = long_kitti(200_000)
        cases.append(("synthetic 200k poses", g, e, args.evo_repeat_200k))
    for what, g, e, rep in cases:
        if not g.exists():
            rec.note(f"{g} not found: skipped")
            continue
        l0 = load()
        ours = _last_json(_live.run_cli([sys.executable, script, "locuskit", str(g), str(e), "--repeat",
                                         str(args.repeat)])["stdout"])
        peer = None
        if ape:
            r = _live.run_cli([str(pathlib.Path(ape).with_name("python")), script, "evo", str(g), str(e), "--repeat",
                               str(rep)], env=env)
            if r["rc"] != 0:
                raise RuntimeError(r["stderr"][-2000:])
            peer = _last_json(r["stdout"])
        agree = "-"
        if peer:
            same = all(abs(a - b) <= 1e-12 * abs(b) for a, b in zip(ours["rmse"], peer["rmse"]))
            agree = "rmse same" if same else f"rmse {ours['rmse']} vs {peer['rmse']}"

        def summ(res, step):
            runs = res["runs"]
            if step == "total":
                return _live.summary([x["read_wall_s"] + x["metric_wall_s"] for x in runs],
                                     [x["read_cpu_s"] + x["metric_cpu_s"] for x in runs])
            return _live.summary([x[f"{step}_wall_s"] for x in runs], [x[f"{step}_cpu_s"] for x in runs])

        for step, title in (("read", "read both KITTI files"), ("metric", "Sim(3) APE + RPE, trans_part"),
                            ("total", "read + Sim(3) APE + RPE")):
            rec.add("traj", f"{what}: {title}", "in-process", summ(ours, step),
                    "evo (read_kitti_poses_file, main_ape.ape, main_rpe.rpe)" if peer else "evo (absent)",
                    summ(peer, step) if peer else None, agree, l0)


# ------------------------------------------------------------------------------------------ main
def merge(inputs, out, markdown=False):
    """One table and JSON from several runs of this script (e.g. sections run one after another)."""
    import json

    rec = _live.Recorder("bench_peers (merged)")
    runs = [json.load(open(p)) for p in inputs]
    rec.meta = {"runs": [dict(r["meta"], file=str(p)) for r, p in zip(runs, inputs)]}
    for r in runs:
        rec.rows += r["rows"]
        rec.notes += r["notes"]
    rec.print_table()
    rec.write(out)
    if markdown:
        print(rec.markdown())
    return 0



SECTIONS = {"box": section_box, "nms": section_nms, "anchors": section_anchors, "coco": section_coco,
            "traj": section_traj, "traj_api": section_traj_api}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections ({','.join(SECTIONS)})")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (medians)")
    ap.add_argument("--coco-peer-repeat", type=int, default=3, help="pycocotools runs on the big COCO sets")
    ap.add_argument("--evo-repeat-200k", type=int, default=3, help="evo runs at 200k poses (a minute each)")
    ap.add_argument("--evo-repeat-1m", type=int, default=1, help="evo runs at 1M poses (minutes each)")
    ap.add_argument("--markdown", action="store_true", help="with --merge: also print a Markdown table")
    ap.add_argument("--merge", nargs="+", metavar="IN.json", help="merge the rows of earlier runs into --json")
    ap.add_argument("--quick", action="store_true", help="small inputs, for a smoke test")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=str(_live.ROOT / "bench" / "out" / "peers.json"))
    args = ap.parse_args()
    if args.merge:
        return merge(args.merge, args.json, args.markdown)

    import cv2
    import torch

    import locuskit

    locuskit.set_num_threads(1)
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    rec = _live.Recorder("bench_peers", args.json)
    import torchvision

    rec.meta.update(locuskit=locuskit.__version__, simd=locuskit.simd_arch(), torch=torch.__version__,
                    torchvision=torchvision.__version__, opencv=cv2.__version__, threads=1,
                    load_at_start=load(), **_live.peer_versions())
    print(rec.meta, flush=True)
    for name in args.only.split(","):
        print(f"\n-- {name}", flush=True)
        SECTIONS[name](rec, args)
    rec.meta["load_at_end"] = load()
    rec.print_table()
    rec.write(args.json)
    print(rec.markdown())


if __name__ == "__main__":
    sys.exit(main())
