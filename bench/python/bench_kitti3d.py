"""KITTI 3D object evaluation: locuskit.box3d.evaluate_kitti3d vs OpenPCDet's
kitti_object_eval_python (``get_official_eval_result``, Car/Pedestrian/Cyclist), same files, same
run, results compared.

The data set is the 3769-frame synthetic set of ``shared/reference/oriented/kitti_eval/k3769.json``
(``shared/tools/gen_kitti.py --frames 3769 --seed 3769``; generated into a temporary folder unless
``--data`` names one). The peer is run live when its source is found (``--openpcdet``, default
``$LOCUSKIT_PEERS/OpenPCDet/pcdet/datasets/kitti/kitti_object_eval_python``; Debian's
``python3-numba``). Its ``rotate_iou`` is CUDA-only, so, as for the fixtures, its device functions
are compiled for the CPU at load time (the ``@cuda.jit(device=True)`` decorators become
``@numba.njit``, ``cuda.local.array`` becomes ``np.empty``; the grid kernel is left uncompiled and replaced by a loop
over the pairs calling the same ``devRotateIoUEval``). The peer's source stays where it is; the
transformed copy lives in a temporary folder. Without the peer, the time recorded in k3769.json is
printed, labelled as recorded (not live).

    .venv/bin/python bench/python/bench_kitti3d.py [--repeat 5] [--data DIR] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "python"))
from _live import SHARED, load, machine  # noqa: E402

K3769 = SHARED / "reference" / "oriented" / "kitti_eval" / "k3769.json"

# Run in a fresh interpreter: loads the peer (CPU shim), times two evaluations in one process.
_PEER_SCRIPT = r'''
import importlib.util, json, pathlib, re, sys, tempfile, time, types
import numpy as np
src, data = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
sys.modules.setdefault("skimage", types.ModuleType("skimage"))  # kitti_common imports skimage.io (unused here)
sys.modules["skimage"].io = types.ModuleType("skimage.io")
pkg = pathlib.Path(tempfile.mkdtemp()) / "kitti_eval_peer"
pkg.mkdir()
for name in ("eval.py", "kitti_common.py"):
    (pkg / name).write_text((src / name).read_text())
rot = (src / "rotate_iou.py").read_text()
rot = re.sub(r"@cuda\.jit\((?:[^()]|\([^()]*\))*?device=True(?:[^()]|\([^()]*\))*?\)", "@numba.njit", rot, flags=re.S)
rot = re.sub(r"@cuda\.jit\([^\n]*\)\n", "", rot)  # the grid kernel: left as an uncalled Python function
rot = rot.replace("cuda.local.array(", "np.empty(")
rot += """
@numba.njit
def _pairs_cpu(boxes, qboxes, criterion):
    out = np.zeros((boxes.shape[0], qboxes.shape[0]), dtype=np.float32)
    for i in range(boxes.shape[0]):
        for j in range(qboxes.shape[0]):
            out[i, j] = devRotateIoUEval(qboxes[j], boxes[i], criterion)
    return out

def rotate_iou_gpu_eval(boxes, query_boxes, criterion=-1, device_id=0):
    b = np.ascontiguousarray(boxes, dtype=np.float32)
    q = np.ascontiguousarray(query_boxes, dtype=np.float32)
    return _pairs_cpu(b, q, np.int32(criterion)).astype(boxes.dtype)
"""
(pkg / "rotate_iou.py").write_text(rot)
(pkg / "__init__.py").write_text("")
sys.path.insert(0, str(pkg.parent))
import kitti_eval_peer.kitti_common as kc
import kitti_eval_peer.eval as ev
ids = [int(x) for x in (data / "val.txt").read_text().split()]
c0, w0 = time.process_time(), time.perf_counter()
gt = kc.get_label_annos(str(data / "label_2"), ids)
dt = kc.get_label_annos(str(data / "det"), ids)
load = {"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0}
runs = []
for _ in range(int(sys.argv[3])):
    c0, w0 = time.process_time(), time.perf_counter()
    text, ret = ev.get_official_eval_result(gt, dt, ["Car", "Pedestrian", "Cyclist"])
    runs.append({"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0})
print(json.dumps({"load": load, "runs": runs, "ret_dict": {k: float(v) for k, v in ret.items()}, "text": text}))
'''


def default_peer() -> pathlib.Path:
    base = pathlib.Path(os.environ.get("LOCUSKIT_PEERS", ROOT.parent.parent / "peers"))
    return base / "OpenPCDet" / "pcdet" / "datasets" / "kitti" / "kitti_object_eval_python"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="the k3769 folder (default: generate it with shared/tools/gen_kitti.py)")
    ap.add_argument("--openpcdet", default=str(default_peer()), help="kitti_object_eval_python folder of an OpenPCDet checkout")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer-runs", type=int, default=2, help="evaluations in the peer's process (the first compiles)")
    ap.add_argument("--json", help="write the numbers here")
    args = ap.parse_args()

    import locuskit
    from locuskit import box3d

    ref = json.loads(K3769.read_text()) if K3769.is_file() else None
    if args.data:
        data = pathlib.Path(args.data)
    else:
        data = pathlib.Path(tempfile.mkdtemp()) / "k3769"
        subprocess.run([sys.executable, str(SHARED / "tools" / "gen_kitti.py"), "--frames", "3769", "--seed", "3769",
                        "--out", str(data)], check=True, cwd=SHARED)
    out = {"machine": machine(), "load_before": load(), "data": str(data)}
    print(f"machine: {out['machine']}\nload before: {out['load_before']}")

    ours = {}
    old = locuskit.get_num_threads()
    for threads in (1, 2):
        locuskit.set_num_threads(threads)
        walls, cpus = [], []
        res = None
        for _ in range(args.repeat + 1):  # the first run warms the page cache and the pool
            c0, w0 = time.process_time(), time.perf_counter()
            res = box3d.evaluate_kitti3d(data / "label_2", data / "det", data / "val.txt")
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        ours[threads] = {"wall_s": statistics.median(walls[1:]), "cpu_s": statistics.median(cpus[1:]),
                         "runs": args.repeat}
        print(f"locuskit {threads} thread(s): wall {ours[threads]['wall_s'] * 1e3:.1f} ms, "
              f"CPU {ours[threads]['cpu_s'] * 1e3:.1f} ms (median of {args.repeat}, files read and parsed included)")
    locuskit.set_num_threads(old)
    out["locuskit"] = ours
    if ref is not None:
        import numpy as np

        same = all(np.allclose(res.ap11[m], np.array(ref["exact_iou_variant"][f"AP11_{k}"]), atol=1e-9) and
                   np.allclose(res.ap40[m], np.array(ref["exact_iou_variant"][f"AP40_{k}"]), atol=1e-9)
                   for m, k in enumerate(("bbox", "bev", "3d", "aos")))
        out["equals_recorded_exact_variant"] = bool(same)
        print(f"locuskit APs equal the recorded OpenPCDet exact-IoU variant: {same}")

    peer = pathlib.Path(args.openpcdet)
    if (peer / "eval.py").is_file():
        r = subprocess.run([sys.executable, "-c", _PEER_SCRIPT, str(peer), str(data), str(args.peer_runs)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"peer failed:\n{r.stderr[-3000:]}")
            return 1
        p = json.loads(r.stdout.strip().splitlines()[-1])
        out["openpcdet_live"] = {"load": p["load"], "runs": p["runs"]}
        agree = max(abs(p["ret_dict"][k] - v) for k, v in res.ret_dict().items())
        out["max_ret_dict_difference"] = agree
        print(f"OpenPCDet (live, numba, 1 process): label loading {p['load']['wall_s']:.2f} s; evaluations: " +
              ", ".join(f"wall {x['wall_s']:.1f} s / CPU {x['cpu_s']:.1f} s" for x in p["runs"]) +
              " (the first includes numba compilation)")
        best = min(x["cpu_s"] for x in p["runs"])
        print(f"ratio (peer's fastest evaluation CPU time / locuskit 1-thread CPU time): {best / ours[1]['cpu_s']:.0f}x; "
              f"max |ret_dict difference| {agree:.2e}")
    elif ref is not None:
        t = ref["timings_seconds"]
        out["openpcdet_recorded"] = t
        print(f"OpenPCDet NOT run live ({peer} not found). RECORDED (k3769.json, another session, not this run): "
              f"{t['openpcdet_eval_runs']} s; ratio vs recorded: {min(t['openpcdet_eval_runs']) / ours[1]['wall_s']:.0f}x")
    out["load_after"] = load()
    print(f"load after: {out['load_after']}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
