"""MOT evaluation: locuskit.mot against TrackEval (built from its public source), same inputs,
same run, fresh process per run, medians of CPU time (user + system, RUSAGE_CHILDREN).

    bench_mot.py DATA_DIR [--trackeval /work/peers/TrackEval] [--repeat 3] [--threads 2]

DATA_DIR is a gen_mot.py folder (MOT17 scale: ``gen_mot.py --out DATA_DIR --seqs 7 --frames 600
--frames-max 1050 --objects 30 --trackers 3 --seed 17``). Both libraries evaluate HOTA + CLEAR +
Identity (+ Count) of every tracker on every sequence, without writing output files. TrackEval runs
serially (its default), with numpy's removed aliases restored (np.float/np.int/np.bool = the
builtins, as its README and the reference notes say). The script checks that both give the same
combined HOTA/MOTA/IDF1 per tracker and prints one JSON line per library, plus the whole-process CPU and wall time of
the CLI ``locuskit eval mot DATA/gt/mot_challenge DATA/trackers/mot_challenge`` (table printed) and of
TrackEval's own CLI ``scripts/run_mot_challenge.py`` on the same folders (tables printed, no files).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time

TRACKEVAL_RUN = r"""
import json, resource, sys, time
import numpy as np
np.float, np.int, np.bool = float, int, bool
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter(); c0 = time.process_time()
import trackeval
ev_cfg = trackeval.Evaluator.get_default_eval_config()
ev_cfg.update({'USE_PARALLEL': False, 'PRINT_RESULTS': False, 'PRINT_CONFIG': False, 'TIME_PROGRESS': False,
               'OUTPUT_SUMMARY': False, 'OUTPUT_DETAILED': False, 'PLOT_CURVES': False, 'DISPLAY_LESS_PROGRESS': True,
               'OUTPUT_EMPTY_CLASSES': False})
ds_cfg = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
ds_cfg.update({'GT_FOLDER': sys.argv[2], 'TRACKERS_FOLDER': sys.argv[3], 'BENCHMARK': 'MOT17', 'SPLIT_TO_EVAL': 'train',
               'PRINT_CONFIG': False})
m_cfg = {'METRICS': ['HOTA', 'CLEAR', 'Identity'], 'THRESHOLD': 0.5, 'PRINT_CONFIG': False}
evaluator = trackeval.Evaluator(ev_cfg)
dataset = [trackeval.datasets.MotChallenge2DBox(ds_cfg)]
metrics = [trackeval.metrics.HOTA(m_cfg), trackeval.metrics.CLEAR(m_cfg), trackeval.metrics.Identity(m_cfg)]
c1 = time.process_time(); t1 = time.perf_counter()
res, _ = evaluator.evaluate(dataset, metrics)
c2 = time.process_time(); t2 = time.perf_counter()
out = {}
for trk, r in res['MotChallenge2DBox'].items():
    c = r['COMBINED_SEQ']['pedestrian']
    out[trk] = [float(np.mean(c['HOTA']['HOTA'])), float(c['CLEAR']['MOTA']), float(c['Identity']['IDF1'])]
print(json.dumps({'eval_cpu': c2 - c1, 'eval_wall': t2 - t1, 'import_cpu': c1 - c0, 'combined': out}))
"""

# TrackEval's own command line (scripts/run_mot_challenge.py), with the numpy aliases restored first;
# summary tables printed (its default, as `locuskit eval mot` prints them), no output files.
TRACKEVAL_CLI = r"""
import runpy, sys
import numpy as np
np.float, np.int, np.bool = float, int, bool
script = sys.argv[1] + '/scripts/run_mot_challenge.py'
sys.path.insert(0, sys.argv[1])
sys.argv = [script, '--GT_FOLDER', sys.argv[2], '--TRACKERS_FOLDER', sys.argv[3], '--BENCHMARK', 'MOT17',
            '--SPLIT_TO_EVAL', 'train', '--METRICS', 'HOTA', 'CLEAR', 'Identity', '--USE_PARALLEL', 'False',
            '--OUTPUT_SUMMARY', 'False', '--OUTPUT_DETAILED', 'False', '--PLOT_CURVES', 'False',
            '--PRINT_CONFIG', 'False', '--TIME_PROGRESS', 'False']
runpy.run_path(script, run_name='__main__')
"""

LOCUSKIT_RUN = r"""
import json, sys, time
import numpy as np
c0 = time.process_time(); t0 = time.perf_counter()
import locuskit
from locuskit import mot
locuskit.set_num_threads(int(sys.argv[3]))
c1 = time.process_time(); t1 = time.perf_counter()
res = mot.evaluate(sys.argv[1], sys.argv[2], benchmark='MOT17', split='train')
c2 = time.process_time(); t2 = time.perf_counter()
out = {}
for trk in res.trackers:
    c = res.results[trk]['COMBINED_SEQ']
    out[trk] = [float(np.mean(c['HOTA']['HOTA'])), float(c['CLEAR']['MOTA']), float(c['Identity']['IDF1'])]
print(json.dumps({'eval_cpu': c2 - c1, 'eval_wall': t2 - t1, 'import_cpu': c1 - c0, 'combined': out}))
"""


def run(cmd, json_out=True):
    """Runs `cmd` in a fresh process: its whole-process CPU and wall time, plus its last stdout
    line as JSON when `json_out`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"{cmd[:5]} failed:\n{p.stderr[-3000:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1]) if json_out else {}
    r["process_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r["process_wall"] = wall
    return r


def main():
    args = sys.argv[1:]
    data = args[0]
    opt = lambda k, d: args[args.index(k) + 1] if k in args else d  # noqa: E731
    te = opt("--trackeval", "/work/peers/TrackEval")
    repeat = int(opt("--repeat", "3"))
    threads = opt("--threads", "2")
    gt = os.path.join(data, "gt", "mot_challenge")
    trk = os.path.join(data, "trackers", "mot_challenge")
    py = "/usr/bin/python3"
    runs = {"locuskit": [], "trackeval": []}
    cli, te_cli = [], []
    cli_cmd = [sys.executable, "-m", "locuskit", "eval", "mot", gt, trk, "--benchmark", "MOT17", "--split", "train",
               "--threads", threads]
    for _ in range(repeat):
        runs["locuskit"].append(run([sys.executable, "-c", LOCUSKIT_RUN, gt, trk, threads]))
        runs["trackeval"].append(run([py, "-c", TRACKEVAL_RUN, te, gt, trk]))
        cli.append(run(cli_cmd, json_out=False))
        te_cli.append(run([py, "-c", TRACKEVAL_CLI, te, gt, trk], json_out=False))
    assert runs["locuskit"][0]["combined"] == runs["trackeval"][0]["combined"], "results differ"
    summary = {}
    for lib, rs in runs.items():
        summary[lib] = {k: statistics.median(r[k] for r in rs) for k in ("eval_cpu", "eval_wall", "process_cpu", "process_wall")}
        print(json.dumps({"library": lib, "runs": len(rs), **summary[lib], "combined": rs[0]["combined"]}))
    print(json.dumps({"library": "locuskit CLI (`locuskit eval mot`, whole process)", "runs": len(cli),
                      "process_cpu": statistics.median(r["process_cpu"] for r in cli),
                      "process_wall": statistics.median(r["process_wall"] for r in cli)}))
    te_cli_cpu = statistics.median(r["process_cpu"] for r in te_cli)
    print(json.dumps({"library": "TrackEval CLI (`scripts/run_mot_challenge.py`, whole process)", "runs": len(te_cli),
                      "process_cpu": te_cli_cpu,
                      "process_wall": statistics.median(r["process_wall"] for r in te_cli)}))
    ratio = summary["trackeval"]["eval_cpu"] / summary["locuskit"]["eval_cpu"]
    print(json.dumps({"ratio_eval_cpu": ratio,
                      "ratio_process_cpu": summary["trackeval"]["process_cpu"] / summary["locuskit"]["process_cpu"],
                      "ratio_cli_cpu": te_cli_cpu / statistics.median(r["process_cpu"] for r in cli),
                      "load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
