"""Every value of TrackEval (run live, from its public source) against locuskit.mot.evaluate, per
sequence and COMBINED_SEQ, bit for bit (float64 bits, 19-alpha arrays element by element), with 1
and 2 threads. Used with bench_mot.py (bench/README.md, "MOT evaluation"):

    check_mot_trackeval.py GT_FOLDER TRACKERS_FOLDER [TRACKEVAL_DIR]    (MOT17-train layout)
"""
import sys
import numpy as np
np.float, np.int, np.bool = float, int, bool
sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 else "/work/peers/TrackEval")
import trackeval
import locuskit
from locuskit import mot

gt, trk = sys.argv[1], sys.argv[2]
ev_cfg = trackeval.Evaluator.get_default_eval_config()
ev_cfg.update({'USE_PARALLEL': False, 'PRINT_RESULTS': False, 'PRINT_CONFIG': False, 'TIME_PROGRESS': False,
               'OUTPUT_SUMMARY': False, 'OUTPUT_DETAILED': False, 'PLOT_CURVES': False, 'DISPLAY_LESS_PROGRESS': True})
ds_cfg = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
ds_cfg.update({'GT_FOLDER': gt, 'TRACKERS_FOLDER': trk, 'BENCHMARK': 'MOT17', 'SPLIT_TO_EVAL': 'train', 'PRINT_CONFIG': False})
m_cfg = {'METRICS': ['HOTA', 'CLEAR', 'Identity'], 'THRESHOLD': 0.5, 'PRINT_CONFIG': False}
res, _ = trackeval.Evaluator(ev_cfg).evaluate([trackeval.datasets.MotChallenge2DBox(ds_cfg)],
                                              [trackeval.metrics.HOTA(m_cfg), trackeval.metrics.CLEAR(m_cfg),
                                               trackeval.metrics.Identity(m_cfg)])
res = res['MotChallenge2DBox']
for threads in (1, 2):
    locuskit.set_num_threads(threads)
    ours = mot.evaluate(gt, trk, benchmark='MOT17', split='train')
    n = bad = 0
    for t, per in res.items():
        for seq, r in per.items():
            te = r['pedestrian']
            lk = ours.results[t][seq]
            for metric in ('HOTA', 'CLEAR', 'Identity', 'Count'):
                for field, v in te[metric].items():
                    w = lk[metric][field]
                    a, b = np.asarray(v, dtype=float), np.asarray(w, dtype=float)
                    n += a.size
                    if a.shape != b.shape or not np.array_equal(a.view(np.int64), b.view(np.int64)):
                        bad += 1
                        if bad < 10:
                            print("DIFF", t, seq, metric, field, v, w)
    print(f"threads {threads}: {n} values compared bit for bit, {bad} fields differ")
    if bad:
        sys.exit(1)
