"""``locuskit eval mot``: TrackEval-exact MOT evaluation (HOTA, CLEAR, Identity, Count) from files.

Registered under the ``eval`` command that ``_cli/eval.py`` creates (modules register in name
order, so ``eval`` exists when this runs). Uses only the public ``locuskit.mot`` API.
"""
from __future__ import annotations

import csv
import os

from ._log import Log, add_eval_command, add_usability


def _run_mot(args) -> int:
    import locuskit
    from locuskit import mot

    log = Log(args)

    if args.threads is not None:
        locuskit.set_num_threads(args.threads if args.threads > 0 else os.cpu_count() or 1)
    for path, option in ((args.json, "--json"), (args.csv, "--csv"), (args.html, "--html")):
        if path is not None and os.path.isdir(path):
            raise ValueError(f"{option} {path}: is a directory (give a file name)")
    if args.conventions == "motmetrics":
        return _run_motmetrics(args, log)
    if args.pairs:
        # Plain files: GT_FOLDER and TRACKERS_FOLDER are a GT file and a tracker file.
        name = os.path.splitext(os.path.basename(args.trackers_folder))[0]
        res = mot.evaluate_files({name: (args.gt_folder, args.trackers_folder)}, benchmark=args.benchmark,
                                 metrics=args.metrics, do_preproc=not args.no_preproc,
                                 tracker_name=args.tracker_name)
    else:
        res = mot.evaluate(args.gt_folder, args.trackers_folder, benchmark=args.benchmark, split=args.split,
                           metrics=args.metrics, trackers=args.trackers, sequences=args.seqs,
                           do_preproc=not args.no_preproc, tracker_sub_folder=args.tracker_sub_folder,
                           seqmap_file=args.seqmap_file, skip_split_folder=args.skip_split_folder)
    log.out(res.table().rstrip("\n"))
    log.out()
    for t in res.trackers:
        s = res.summary(t)
        log.out(f"{t}: " + "  ".join(f"{k} {s[k]}" for k in ("HOTA", "MOTA", "IDF1") if k in s))
    if args.output_folder:
        res.write(args.output_folder)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            for k, t in enumerate(res.trackers):
                rows = res.detailed(t)
                if k == 0:
                    w.writerow(["tracker"] + rows[0])
                for r in rows[1:]:
                    w.writerow([t] + r)
    if args.json:
        res.to_json(args.json)
    if args.plot:
        prefix = args.plot[:-4] if args.plot.lower().endswith(".png") else args.plot
        for p in res.plot(prefix):
            log.info(f"wrote {p}")
    if args.html:
        _html(args, res)
    return 0


# py-motmetrics' summary columns (its motchallenge_metrics, in its order) and the header names
# its render_summary prints with mm.io.motchallenge_metric_names.
_MM_COLUMNS = [("idf1", "IDF1"), ("idp", "IDP"), ("idr", "IDR"), ("recall", "Rcll"), ("precision", "Prcn"),
               ("num_unique_objects", "GT"), ("mostly_tracked", "MT"), ("partially_tracked", "PT"),
               ("mostly_lost", "ML"), ("num_false_positives", "FP"), ("num_misses", "FN"),
               ("num_switches", "IDs"), ("num_fragmentations", "FM"), ("mota", "MOTA"), ("motp", "MOTP"),
               ("num_transfer", "IDt"), ("num_ascend", "IDa"), ("num_migrate", "IDm")]


def _run_motmetrics(args, log) -> int:
    """--conventions motmetrics: py-motmetrics' numbers and column names (no HOTA)."""
    import json

    from locuskit import mot

    for option, given in (("--output-folder", args.output_folder), ("--plot", args.plot), ("--html", args.html)):
        if given:
            raise ValueError(f"{option} is not available with --conventions motmetrics (TrackEval's files and plots)")
    if args.pairs:
        name = os.path.splitext(os.path.basename(args.trackers_folder))[0]
        res = mot.evaluate_files({name: (args.gt_folder, args.trackers_folder)}, tracker_name=args.tracker_name,
                                 conventions="motmetrics")
    else:
        res = mot.evaluate(args.gt_folder, args.trackers_folder, benchmark=args.benchmark, split=args.split,
                           trackers=args.trackers, sequences=args.seqs, tracker_sub_folder=args.tracker_sub_folder,
                           seqmap_file=args.seqmap_file, skip_split_folder=args.skip_split_folder,
                           conventions="motmetrics")
    rows = []
    for t, seqs in res.items():
        for s, r in seqs.items():
            rows.append([f"{t}/{s}"] + [r[k] for k, _ in _MM_COLUMNS])
    width = max(len(r[0]) for r in rows)

    def cell(key, v):  # py-motmetrics' motchallenge formatters: ratios in %, motp (a distance) as 0.xxx
        if key == "motp":
            return f"{v:.3f}"
        return f"{100 * v:.1f}%" if isinstance(v, float) else str(v)

    log.out(" " * width + "".join(f"{h:>8}" for _, h in _MM_COLUMNS))
    for r in rows:
        log.out(f"{r[0]:<{width}}" + "".join(f"{cell(k, v):>8}" for (k, _), v in zip(_MM_COLUMNS, r[1:])))
    if args.csv:
        keys = list(next(iter(next(iter(res.values())).values())))
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["tracker", "sequence"] + keys)
            for t, seqs in res.items():
                for s, r in seqs.items():
                    w.writerow([t, s] + [repr(r[k]) if isinstance(r[k], float) else r[k] for k in keys])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)  # NaN written as NaN (Python's json)
    return 0


def _html(args, res) -> None:
    """--html: the summary table, per-tracker key numbers and the HOTA plots (embedded)."""
    import tempfile

    import locuskit

    from ._html import HtmlReport

    report = HtmlReport("locuskit eval mot", [f"ground truth: {args.gt_folder}", f"trackers: {args.trackers_folder}",
                                              f"benchmark {args.benchmark}", f"locuskit {locuskit.__version__}"])
    report.section("Summary (TrackEval's table)").pre(res.table())
    keys = [k for k in ("HOTA", "DetA", "AssA", "MOTA", "IDF1") if any(k in res.summary(t) for t in res.trackers)]
    report.section("Trackers").table(["tracker"] + keys, [[t] + [res.summary(t).get(k) for k in keys]
                                                          for t in res.trackers])
    if "HOTA" in res.metrics:
        with tempfile.TemporaryDirectory() as tmp:
            s = report.section("Plots")
            for path in res.plot(os.path.join(tmp, "mot")):
                with open(path, "rb") as f:
                    s.figure(f.read(), os.path.basename(path)[4:-4].replace("_", " "))
    report.write(args.html)


def register(sub) -> None:
    p = add_eval_command(sub, "mot", help="multi-object tracking: HOTA, CLEAR MOT, IDF1 (TrackEval-exact, MOTChallenge files)")
    p.add_argument("gt_folder", help="TrackEval GT_FOLDER (<BENCHMARK>-<SPLIT>/<seq>/gt/gt.txt, seqmaps/); "
                                     "with --pairs: a gt.txt file")
    p.add_argument("trackers_folder", help="TrackEval TRACKERS_FOLDER (<BENCHMARK>-<SPLIT>/<tracker>/data/<seq>.txt); "
                                           "with --pairs: a tracker result file")
    p.add_argument("--benchmark", default="MOT17", help="MOT15 (no classes), MOT16, MOT17 (default), MOT20")
    p.add_argument("--split", default="train", help="SPLIT_TO_EVAL (default train)")
    p.add_argument("--metrics", nargs="+", default=["HOTA", "CLEAR", "Identity"], choices=["HOTA", "CLEAR", "Identity"])
    p.add_argument("--trackers", nargs="+", help="trackers to evaluate (default: every folder)")
    p.add_argument("--seqs", nargs="+", help="sequences (default: the seqmap)")
    p.add_argument("--seqmap-file", help="seqmap file (default GT_FOLDER/seqmaps/<BENCHMARK>-<SPLIT>.txt)")
    p.add_argument("--tracker-sub-folder", default="data")
    p.add_argument("--skip-split-folder", action="store_true", help="no <BENCHMARK>-<SPLIT> folder level")
    p.add_argument("--no-preproc", action="store_true", help="TrackEval's DO_PREPROC False")
    p.add_argument("--conventions", choices=["trackeval", "motmetrics"], default="trackeval",
                   help="trackeval (default): TrackEval's numbers; motmetrics: py-motmetrics 1.4.0's "
                        "eval_motchallenge numbers and names (no preprocessing, no HOTA; see docs/mot.md)")
    p.add_argument("--pairs", action="store_true", help="the two arguments are one GT file and one tracker file "
                                                        "(sequence length = last frame)")
    p.add_argument("--tracker-name", default="tracker", help="name of the tracker with --pairs")
    p.add_argument("--output-folder", help="write TrackEval's pedestrian_summary.txt / pedestrian_detailed.csv "
                                           "per tracker here")
    p.add_argument("--csv", help="per-sequence detailed CSV of every tracker (TrackEval's columns + tracker)")
    p.add_argument("--json", help="every value at full precision as JSON")
    p.add_argument("--plot", metavar="PREFIX", help="write PREFIX_hota_alpha.png and PREFIX_deta_assa.png")
    p.add_argument("--threads", type=int, help="threads (default: locuskit's setting; 0: all cores)")
    p.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report (tables and plots)")
    add_usability(p)
    p.set_defaults(func=_run_mot)
