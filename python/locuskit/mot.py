"""Multi-object tracking evaluation, bit-identical to TrackEval's MotChallenge2DBox.

HOTA (with the 19-alpha arrays), CLEAR MOT, Identity and Count, per sequence and combined, equal
to TrackEval @ 12c8791b (``scripts/run_mot_challenge.py``) to the last bit on every value of the
reference set (see ``docs/mot.md``). Everything heavy (file reading, preprocessing, the metrics)
runs in C++ in parallel over (tracker, sequence) pairs; results do not depend on the thread count
(:func:`locuskit.set_num_threads`).

Entry points: :func:`evaluate` (TrackEval's folder layout), :func:`evaluate_files` (plain
GT / tracker file pairs), :func:`read_mot` / :func:`write_mot` (MOTChallenge text files). The
returned :class:`MotResults` renders TrackEval's summary tables, its ``pedestrian_summary.txt``
and ``pedestrian_detailed.csv``, JSON, and plots.
"""
from __future__ import annotations

import configparser
import csv
import io
import json
import math
import os
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from . import _core

__all__ = [
    "ALPHAS",
    "METRICS",
    "MotResults",
    "evaluate",
    "evaluate_files",
    "MotState",
    "state",
    "state_files",
    "read_mot",
    "parse_mot",
    "format_mot",
    "write_mot",
    "read_seqmap",
    "read_seq_length",
]

#: HOTA's localisation thresholds, ``np.arange(0.05, 0.99, 0.05)`` as TrackEval builds them.
ALPHAS = np.arange(0.05, 0.99, 0.05)
#: Metric families that can be requested (Count is always computed).
METRICS = ("HOTA", "CLEAR", "Identity")

_KINDS = ("gt", "tracker", "detections")

# TrackEval's field lists (metrics/*.py), in its order.
_HOTA_ARRAYS = ["HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA"]
_HOTA_INT_ARRAYS = ["HOTA_TP", "HOTA_FN", "HOTA_FP"]
_HOTA_FLOATS = ["HOTA(0)", "LocA(0)", "HOTALocA(0)"]
_CLEAR_MAIN_FLOATS = ["MOTA", "MOTP", "MODA", "CLR_Re", "CLR_Pr", "MTR", "PTR", "MLR", "sMOTA"]
_CLEAR_FLOATS = _CLEAR_MAIN_FLOATS + ["CLR_F1", "FP_per_frame", "MOTAL", "MOTP_sum"]
_CLEAR_MAIN_INTS = ["CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag"]
_CLEAR_INTS = _CLEAR_MAIN_INTS + ["CLR_Frames"]
_ID_FLOATS = ["IDF1", "IDR", "IDP"]
_ID_INTS = ["IDTP", "IDFN", "IDFP"]
_COUNT_INTS = ["Dets", "GT_Dets", "IDs", "GT_IDs"]

_SUMMARY_FIELDS = {
    "HOTA": _HOTA_ARRAYS + _HOTA_FLOATS,
    "CLEAR": _CLEAR_MAIN_FLOATS + _CLEAR_MAIN_INTS,
    "Identity": _ID_FLOATS + _ID_INTS,
    "Count": _COUNT_INTS,
}
# utils.write_summary_results' default_order
_SUMMARY_ORDER = ["HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA", "HOTA(0)", "LocA(0)",
                  "HOTALocA(0)", "MOTA", "MOTP", "MODA", "CLR_Re", "CLR_Pr", "MTR", "PTR", "MLR", "CLR_TP", "CLR_FN",
                  "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag", "sMOTA", "IDF1", "IDR", "IDP", "IDTP", "IDFN", "IDFP",
                  "Dets", "GT_Dets", "IDs", "GT_IDs"]
_INT_FIELDS = set(_CLEAR_INTS + _ID_INTS + _COUNT_INTS)


def _kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"kind: expected one of {_KINDS}, got {kind!r}")
    return kind


def read_mot(path, kind: str = "tracker") -> dict:
    """Reads a MOTChallenge text file: ``kind`` ``"gt"`` (``frame,id,x,y,w,h,flag,class,visibility``,
    >= 8 fields), ``"tracker"`` (``frame,id,x,y,w,h,conf,...``, >= 7 fields) or ``"detections"``
    (id usually -1). Returns a dict of NumPy arrays in file order: ``frame`` (N,) int64, ``id``
    (N,) int64, ``boxes`` (N, 4) float64 xywh, ``confidence``, ``class_id``, ``visibility`` (N,)
    float64 (NaN where the row has no such field) and ``line`` (N,) int64 (1-based source line).
    A 0-byte file gives zero rows. Raises ValueError naming the file and line for malformed rows
    (non-integer frame or id, frame < 1, negative id or size, NaN/Inf, too few fields)."""
    return _core.mot.read(os.fspath(path), _kind(kind))


def parse_mot(text: str, kind: str = "tracker", name: str = "<text>") -> dict:
    """:func:`read_mot` on a string; ``name`` is used in error messages."""
    return _core.mot.parse(text, _kind(kind), name)


def format_mot(frame, id, boxes, confidence, class_id=None, visibility=None, kind: str = "tracker") -> str:
    """MOTChallenge text of N rows: ``frame``, ``id`` (N,) integers, ``boxes`` (N, 4) xywh,
    ``confidence`` (N,). Tracker/detection rows are ``frame,id,x,y,w,h,conf,-1,-1,-1``; GT rows
    ``frame,id,x,y,w,h,flag,class,visibility``. Doubles are written in their shortest round-trip
    form, so :func:`parse_mot` gives the values back bit for bit."""
    f = np.ascontiguousarray(frame, dtype=np.int64)
    i = np.ascontiguousarray(id, dtype=np.int64)
    b = np.ascontiguousarray(boxes, dtype=np.float64)
    c = np.ascontiguousarray(confidence, dtype=np.float64)
    cl = None if class_id is None else np.ascontiguousarray(class_id, dtype=np.float64)
    v = None if visibility is None else np.ascontiguousarray(visibility, dtype=np.float64)
    return _core.mot.format(f, i, b, c, cl, v, _kind(kind))


def write_mot(path, frame, id, boxes, confidence, class_id=None, visibility=None, kind: str = "tracker") -> None:
    """Writes :func:`format_mot` to ``path``."""
    text = format_mot(frame, id, boxes, confidence, class_id, visibility, kind)
    with open(path, "w", newline="") as f:
        f.write(text)


def _split_folder(benchmark: str, split: str, skip_split_folder: bool) -> str:
    """TrackEval's ``<benchmark>-<split>`` folder name ("" with ``skip_split_folder``)."""
    return "" if skip_split_folder else f"{benchmark}-{split}"


def _sequence_list(gt_folder, split_fol: str, sequences, seqmap_file) -> list:
    """The sequences given, else those of ``seqmap_file``, else of the seqmap where TrackEval looks
    (``<gt_folder>/seqmaps/<benchmark>-<split>.txt``, ``seqmap.txt`` without a split folder).
    ValueError if there are none."""
    if sequences is None:
        if seqmap_file is None:
            seqmap_file = os.path.join(os.fspath(gt_folder), "seqmaps", f"{split_fol or 'seqmap'}.txt")
        sequences = read_seqmap(seqmap_file)
    sequences = list(sequences)
    if not sequences:
        raise ValueError("no sequences to evaluate (empty seqmap)")
    return sequences


def read_seqmap(path) -> list:
    """Sequence names of a TrackEval seqmap file: the first line is a header, rows with an empty
    first cell are skipped (``MotChallenge2DBox._get_seq_info``)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no seqmap file")
    out = []
    with open(path) as f:
        reader = csv.reader(f)
        for i, row in enumerate(reader):
            if i == 0 or not row or row[0] == "":
                continue
            out.append(row[0])
    return out


def read_seq_length(ini_path) -> int:
    """``[Sequence] seqLength`` of a MOTChallenge ``seqinfo.ini``."""
    if not os.path.isfile(ini_path):
        raise FileNotFoundError(f"{ini_path}: no seqinfo.ini (needed for the sequence length)")
    ini = configparser.ConfigParser()
    try:
        ini.read(ini_path)
        value = ini["Sequence"]["seqLength"]
    except (configparser.Error, KeyError) as exc:
        raise ValueError(f"{ini_path}: no [Sequence] seqLength ({exc})") from exc
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{ini_path}: seqLength {value!r} is not an integer") from None
    if n < 0:
        raise ValueError(f"{ini_path}: seqLength {n} is negative")
    return n


def _metric_set(metrics) -> tuple:
    metrics = tuple(metrics)
    for m in metrics:
        if m not in METRICS:
            raise ValueError(f"metrics: unknown metric {m!r} (choose from {', '.join(METRICS)})")
    if not metrics:
        raise ValueError("metrics: at least one of HOTA, CLEAR, Identity")
    return tuple(m for m in METRICS if m in metrics)


class MotResults:
    """Results of :func:`evaluate`: ``results[tracker][seq][metric][field]`` with ``seq`` a
    sequence name or ``"COMBINED_SEQ"`` and TrackEval's metric/field names (``"HOTA"`` arrays are
    float64 arrays over :data:`ALPHAS`; counts are ints, ``Frag`` a float as in TrackEval)."""

    def __init__(self, trackers, sequences, results, metrics):
        self.trackers = list(trackers)
        self.sequences = list(sequences)
        self.results = results
        self.metrics = tuple(metrics)

    def __getitem__(self, tracker):
        return self.results[tracker]

    def _families(self):
        return list(self.metrics) + ["Count"]

    def summary(self, tracker: str, seq: str = "COMBINED_SEQ") -> dict:
        """TrackEval's summary values (``pedestrian_summary.txt``) as strings: ``100 * np.mean``
        of array fields and ``100 * x`` of float fields formatted ``{:1.5g}``, integers ``{:d}``."""
        out = {}
        for fam in self._families():
            res = self.results[tracker][seq][fam]
            for h in _SUMMARY_FIELDS[fam]:
                v = res[h]
                if isinstance(v, np.ndarray):
                    out[h] = "{0:1.5g}".format(100 * np.mean(v))
                elif h in _INT_FIELDS:
                    out[h] = "{0:d}".format(int(v))
                else:
                    out[h] = "{0:1.5g}".format(100 * float(v))
        return out

    def summary_txt(self, tracker: str) -> str:
        """The content of TrackEval's ``pedestrian_summary.txt`` for ``tracker``."""
        s = self.summary(tracker)
        s = {k: s[k] for k in _SUMMARY_ORDER if k in s}
        buf = io.StringIO(newline="")
        w = csv.writer(buf, delimiter=" ")
        w.writerow(list(s.keys()))
        w.writerow(list(s.values()))
        return buf.getvalue()

    def table(self, tracker: Optional[str] = None) -> str:
        """The per-metric tables TrackEval prints (one row per sequence and a COMBINED row)."""
        lines = []
        for t in [tracker] if tracker else self.trackers:
            for fam in self._families():
                fields = _SUMMARY_FIELDS[fam]
                lines.append("")
                lines.append(_row([f"{fam}: {t}-pedestrian"] + fields))
                for seq in self.sequences:
                    lines.append(_row([seq] + list(self._summary_row(t, seq, fam))))
                lines.append(_row(["COMBINED"] + list(self._summary_row(t, "COMBINED_SEQ", fam))))
        return "\n".join(lines) + "\n"

    def _summary_row(self, tracker, seq, fam):
        s = self.summary(tracker, seq)
        return [s[h] for h in _SUMMARY_FIELDS[fam]]

    def detailed(self, tracker: str) -> list:
        """Rows of TrackEval's ``pedestrian_detailed.csv`` (header first): per sequence and
        COMBINED, every field; array fields per alpha (``HOTA___5`` ... ``HOTA___95``) and their
        mean (``___AUC``)."""
        header = ["seq"]
        labels = [int(100 * a) for a in ALPHAS]

        def fields_of(fam):
            if fam == "HOTA":
                plain = _HOTA_FLOATS
                arrays = _HOTA_ARRAYS + _HOTA_INT_ARRAYS
            elif fam == "CLEAR":
                plain, arrays = _CLEAR_FLOATS + _CLEAR_INTS, []
            elif fam == "Identity":
                plain, arrays = _ID_FLOATS + _ID_INTS, []
            else:
                plain, arrays = _COUNT_INTS, []
            return plain, arrays

        for fam in self._families():
            plain, arrays = fields_of(fam)
            header += plain
            for h in arrays:
                header += [f"{h}___{a}" for a in labels] + [f"{h}___AUC"]
        rows = [header]
        for seq in self.sequences + ["COMBINED_SEQ"]:
            row = ["COMBINED" if seq == "COMBINED_SEQ" else seq]
            for fam in self._families():
                res = self.results[tracker][seq][fam]
                plain, arrays = fields_of(fam)
                row += [res[h] for h in plain]
                for h in arrays:
                    row += [float(x) for x in res[h]] + [float(np.mean(res[h]))]
            rows.append(row)
        return rows

    def detailed_csv(self, tracker: str) -> str:
        """The content of TrackEval's ``pedestrian_detailed.csv`` for ``tracker``."""
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        for r in self.detailed(tracker):
            w.writerow(r)
        return buf.getvalue()

    def to_dict(self) -> dict:
        """JSON-ready dict: ``{tracker: {seq: {metric: {field: value}}}}`` plus the alphas; arrays
        become lists of floats (full precision)."""

        def conv(v):
            if isinstance(v, np.ndarray):
                return [float(x) for x in v]
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.floating,)):
                return float(v)
            return v

        return {"alpha_thresholds": [float(a) for a in ALPHAS], "metrics": list(self.metrics),
                "sequences": self.sequences, "trackers": conv(self.results)}

    def to_json(self, path=None, indent: int = 1) -> str:
        """:meth:`to_dict` as JSON text (written to ``path`` if given)."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            with open(path, "w") as f:
                f.write(text)
        return text

    def write(self, output_folder) -> list:
        """Writes TrackEval's files per tracker: ``<folder>/<tracker>/pedestrian_summary.txt`` and
        ``pedestrian_detailed.csv``; returns the paths."""
        paths = []
        for t in self.trackers:
            d = os.path.join(output_folder, t)
            os.makedirs(d, exist_ok=True)
            for name, text in (("pedestrian_summary.txt", self.summary_txt(t)),
                               ("pedestrian_detailed.csv", self.detailed_csv(t))):
                p = os.path.join(d, name)
                with open(p, "w", newline="") as f:
                    f.write(text)
                paths.append(p)
        return paths

    def plot(self, path_prefix) -> list:
        """Plots (matplotlib, Agg): ``<prefix>_hota_alpha.png`` (HOTA, DetA, AssA vs alpha per
        tracker, combined over sequences) and ``<prefix>_deta_assa.png`` (DetA vs AssA per tracker,
        with HOTA iso-lines). Needs HOTA. Returns the paths."""
        if "HOTA" not in self.metrics:
            raise ValueError("plot: the plots need the HOTA metric")
        from .plotting import pyplot, series_colors, style

        plt = pyplot()
        with style():
            out = []
            colors = series_colors(len(self.trackers))
            fig, ax = plt.subplots(figsize=(6.4, 4.8))
            styles = {"HOTA": "-", "DetA": "--", "AssA": ":"}
            for k, t in enumerate(self.trackers):
                res = self.results[t]["COMBINED_SEQ"]["HOTA"]
                color = colors[k]
                for field, ls in styles.items():
                    ax.plot(ALPHAS, res[field], ls, color=color,
                            label=f"{t} {field} ({100 * np.mean(res[field]):.2f})")
            out.append(_save(plt, fig, ax, "alpha (localisation threshold)", "score", "HOTA vs alpha",
                             f"{path_prefix}_hota_alpha.png"))

            fig, ax = plt.subplots(figsize=(5.5, 5.5))
            grid = np.linspace(0.01, 1, 200)
            for h in (0.2, 0.4, 0.6, 0.8):
                ax.plot(grid, np.where(grid >= h * h, h * h / grid, np.nan), color="0.85", lw=0.8)
            for k, t in enumerate(self.trackers):
                res = self.results[t]["COMBINED_SEQ"]["HOTA"]
                deta, assa = float(np.mean(res["DetA"])), float(np.mean(res["AssA"]))
                ax.scatter([deta], [assa], color=[colors[k]], label=f"{t} (HOTA {100 * np.mean(res['HOTA']):.2f})")
            out.append(_save(plt, fig, ax, "DetA", "AssA", "DetA vs AssA (grey: HOTA iso-lines)",
                             f"{path_prefix}_deta_assa.png"))
        return out


def _save(plt, fig, ax, xlabel, ylabel, title, path) -> str:
    from .plotting import fit_title, legend_outside, save

    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    legend_outside(ax)  # locuskit's look: legends outside the axes, titles that fit
    fit_title(fig, title)
    return save(fig, path)


def _row(items) -> str:
    s = "%-35s" % items[0]
    for v in items[1:]:
        s += "%-10s" % str(v)
    return s


def _early_return_types(r) -> None:
    """TrackEval returns early for a sequence without tracker (or GT) detections, leaving its
    float fields at the int 0 they were initialised with (MLR and LocA(0) are set to 1.0); keep
    those types so summaries and CSVs print the same text."""
    for fam, fields in (("HOTA", _HOTA_FLOATS), ("CLEAR", _CLEAR_FLOATS + ["Frag"]), ("Identity", _ID_FLOATS)):
        if fam in r:
            for f in fields:
                if r[fam][f] == 0:
                    r[fam][f] = 0


def _run_raw(names, gt_paths, seq_lengths, tracker_paths, benchmark, do_preproc, metrics):
    """(sorted sequence names, per tracker {sequence: metrics as the C++ core gives them},
    per tracker combined metrics)."""
    return _core.mot.evaluate_files(
        list(names), [os.fspath(p) for p in gt_paths], [int(n) for n in seq_lengths],
        [[os.fspath(p) for p in ps] for ps in tracker_paths], str(benchmark), bool(do_preproc),
        "HOTA" in metrics, "CLEAR" in metrics, "Identity" in metrics)


def _results(tracker_names, seqs, per, comb, metrics) -> "MotResults":
    """MotResults from the core's per-sequence and combined dicts (consumed)."""
    results = {}
    for t, per_seq, c in zip(tracker_names, per, comb):
        for r in per_seq.values():
            if r["Count"]["Dets"] == 0 or r["Count"]["GT_Dets"] == 0:
                _early_return_types(r)
        d = dict(per_seq)
        d["COMBINED_SEQ"] = c
        results[t] = d
    return MotResults(tracker_names, seqs, results, metrics)


def _run(names, gt_paths, seq_lengths, tracker_names, tracker_paths, benchmark, do_preproc, metrics,
         as_state=False):
    metrics = _metric_set(metrics)
    seqs, per, comb = _run_raw(names, gt_paths, seq_lengths, tracker_paths, benchmark, do_preproc, metrics)
    if as_state:
        settings = {"benchmark": str(benchmark), "do_preproc": bool(do_preproc), "metrics": list(metrics),
                    "conventions": "trackeval"}
        return MotState(settings, tracker_names, seqs, per)
    return _results(tracker_names, seqs, per, comb, metrics)


CONVENTIONS = ("trackeval", "motmetrics")


def _check_conventions(conventions) -> None:
    if conventions not in CONVENTIONS:
        raise ValueError(f"conventions must be one of {CONVENTIONS}, got {conventions!r}")


def _run_motmetrics(names, gt_paths, seq_lengths, tracker_names, tracker_paths):
    # py-motmetrics' OVERALL motp adds the sequences in the given order: use sorted names, as the
    # TrackEval mode does (eval_motchallenge uses glob order).
    order = sorted(range(len(names)), key=lambda i: names[i])
    per = _core.mot.motmetrics_files(
        [str(names[i]) for i in order], [os.fspath(gt_paths[i]) for i in order],
        [int(seq_lengths[i]) for i in order],
        [[os.fspath(ps[i]) for i in order] for ps in tracker_paths])
    return {t: dict(r) for t, r in zip(tracker_names, per)}


def evaluate(gt_folder, trackers_folder, benchmark: str = "MOT17", split: str = "train",
             metrics: Iterable[str] = METRICS, trackers: Optional[Sequence[str]] = None,
             sequences: Optional[Sequence[str]] = None, do_preproc: bool = True,
             tracker_sub_folder: str = "data", seqmap_file=None, skip_split_folder: bool = False,
             conventions: str = "trackeval", _as_state: bool = False):
    """Evaluates every tracker in TrackEval's MotChallenge2DBox layout, as
    ``scripts/run_mot_challenge.py --GT_FOLDER gt_folder --TRACKERS_FOLDER trackers_folder
    --BENCHMARK benchmark --SPLIT_TO_EVAL split --METRICS ...`` (serial mode):

    - GT ``<gt_folder>/<benchmark>-<split>/<seq>/gt/gt.txt`` and ``seqinfo.ini`` (seqLength),
      sequences from ``<gt_folder>/seqmaps/<benchmark>-<split>.txt`` (or ``seqmap_file``, or
      ``sequences``);
    - results ``<trackers_folder>/<benchmark>-<split>/<tracker>/<tracker_sub_folder>/<seq>.txt``
      for every tracker folder (or ``trackers``).

    ``benchmark`` "MOT15" disables distractor removal and class filtering, "MOT20" adds class 6 to
    the distractors; ``do_preproc=False`` is TrackEval's ``DO_PREPROC False``. A tracker without a
    file for some sequence raises FileNotFoundError naming it (TrackEval raises too); malformed
    files raise ValueError naming the file and line.

    ``conventions="motmetrics"`` gives py-motmetrics 1.4.0's numbers instead (its
    ``apps/eval_motchallenge.py``: no preprocessing, ``benchmark``/``do_preproc``/``metrics`` are
    ignored; differences in docs/mot.md) as a plain dict
    ``{tracker: {sequence | "OVERALL": {py-motmetrics field: value}}}``; NaN where py-motmetrics
    gives NaN."""
    _check_conventions(conventions)
    split_fol = _split_folder(benchmark, split, skip_split_folder)
    gt_root = os.path.join(os.fspath(gt_folder), split_fol)
    trk_root = os.path.join(os.fspath(trackers_folder), split_fol)
    sequences = _sequence_list(gt_folder, split_fol, sequences, seqmap_file)
    if trackers is None:
        if not os.path.isdir(trk_root):
            raise FileNotFoundError(f"{trk_root}: no trackers folder")
        trackers = sorted(d for d in os.listdir(trk_root) if os.path.isdir(os.path.join(trk_root, d)))
        if not trackers:
            raise ValueError(f"{trk_root}: no tracker folders")
    trackers = list(trackers)
    gt_paths, lengths = [], []
    for s in sequences:
        lengths.append(read_seq_length(os.path.join(gt_root, s, "seqinfo.ini")))
        gt = os.path.join(gt_root, s, "gt", "gt.txt")
        if not os.path.isfile(gt):
            raise FileNotFoundError(f"{gt}: GT file of sequence {s} not found")
        gt_paths.append(gt)
    tracker_paths = []
    for t in trackers:
        ps = []
        for s in sequences:
            p = os.path.join(trk_root, t, tracker_sub_folder, s + ".txt")
            if not os.path.isfile(p):
                raise FileNotFoundError(f"{p}: tracker {t} has no result for sequence {s}")
            ps.append(p)
        tracker_paths.append(ps)
    if conventions == "motmetrics":
        return _run_motmetrics(sequences, gt_paths, lengths, trackers, tracker_paths)
    return _run(sequences, gt_paths, lengths, trackers, tracker_paths, benchmark, do_preproc, metrics, _as_state)


def evaluate_files(pairs: Mapping[str, tuple], benchmark: str = "MOT17", metrics: Iterable[str] = METRICS,
                   seq_lengths: Optional[Mapping[str, int]] = None, do_preproc: bool = True,
                   tracker_name: str = "tracker", conventions: str = "trackeval", _as_state: bool = False):
    """Evaluates plain file pairs ``{sequence: (gt_path, tracker_path)}`` as one tracker. The
    sequence length (TrackEval's seqLength) is ``seq_lengths[sequence]`` when given, else the last
    frame in either file (frames after the last row only change ``CLR_Frames`` and
    ``FP_per_frame``). Same rules, errors and ``conventions`` as :func:`evaluate`."""
    _check_conventions(conventions)
    if not pairs:
        raise ValueError("pairs: no sequences")
    names, gts, lengths, trks = [], [], [], []
    for s, pair in pairs.items():
        if len(pair) != 2:
            raise ValueError(f"pairs[{s!r}]: expected (gt_path, tracker_path)")
        g, t = os.fspath(pair[0]), os.fspath(pair[1])
        for p in (g, t):
            if not os.path.isfile(p):
                raise FileNotFoundError(f"{p}: no such file (sequence {s})")
        if seq_lengths is not None and s in seq_lengths:
            n = int(seq_lengths[s])
        else:
            n = 0
            for p, kind in ((g, "gt"), (t, "tracker")):
                f = read_mot(p, kind)["frame"]
                if f.size:
                    n = max(n, int(f.max()))
        names.append(str(s))
        gts.append(g)
        trks.append(t)
        lengths.append(n)
    if conventions == "motmetrics":
        return _run_motmetrics(names, gts, lengths, [tracker_name], [trks])
    return _run(names, gts, lengths, [tracker_name], [trks], benchmark, do_preproc, metrics, _as_state)


# --- mergeable, serializable state (kind "mot"; docs/eval.md "Evaluation state") -----------------
_STATE_SETTINGS = ("benchmark", "do_preproc", "metrics", "conventions")


class MotState:
    """The state of a MOT evaluation over a set of sequences: per (tracker, sequence) the metric
    dicts TrackEval combines (the raw fields ``HOTA_TP/FN/FP``, ``AssA/AssRe/AssPr/LocA``,
    ``CLR_*``, ``MT/PT/ML``, ``Frag``, ``MOTP_sum``, ``ID*``, Count, with the derived per-sequence
    values). States over disjoint sequence sets of the same trackers and settings ``merge``;
    ``compute()`` runs the C++ combine step of :func:`evaluate` over the sorted sequences, so it
    equals one process on all sequences bit for bit (per sequence and ``COMBINED_SEQ``).

    ``settings``: benchmark, do_preproc, metrics, conventions ("trackeval"); ``trackers`` in
    evaluation order; ``per[k][sequence]`` the metrics of tracker k.
    """

    kind = "mot"

    def __init__(self, settings: dict, trackers, sequences, per):
        self.settings = {k: settings[k] for k in _STATE_SETTINGS}
        self.settings["metrics"] = list(_metric_set(self.settings["metrics"]))
        self.trackers = [str(t) for t in trackers]
        self.sequences = sorted(str(s) for s in sequences)
        if len(set(self.sequences)) != len(self.sequences):
            raise ValueError("MotState: a sequence appears twice")
        if len(per) != len(self.trackers) or any(sorted(p) != self.sequences for p in per):
            raise ValueError("MotState: per-sequence metrics do not match trackers x sequences")
        self.per = [dict(p) for p in per]

    def merge(self, *others: "MotState") -> "MotState":
        """A state over this state's sequences and the others' (disjoint sequence sets, same
        trackers and settings: ValueError otherwise). Associative and commutative."""
        for o in others:
            if not isinstance(o, MotState):
                raise TypeError(f"merge: expected MotState, got {type(o).__name__}")
            if o.settings != self.settings:
                diff = [k for k in _STATE_SETTINGS if o.settings[k] != self.settings[k]]
                raise ValueError(f"merge: the states were evaluated with different settings ({', '.join(diff)})")
            if o.trackers != self.trackers:
                raise ValueError(f"merge: the states hold different trackers ({self.trackers} vs {o.trackers})")
        per = [dict(p) for p in self.per]
        for o in others:
            for k, p in enumerate(o.per):
                for s, m in p.items():
                    if s in per[k]:
                        raise ValueError(f"merge: sequence {s!r} is in two states (shard by sequence)")
                    per[k][s] = m
        return MotState(self.settings, self.trackers, list(per[0]) if per else [], per)

    def compute(self) -> "MotResults":
        """The :class:`MotResults` :func:`evaluate` gives on the covered sequences (bit for bit)."""
        if not self.sequences:
            raise ValueError("compute: the state covers no sequences")
        fams = self.settings["metrics"]
        which = ("HOTA" in fams, "CLEAR" in fams, "Identity" in fams)
        per, comb = [], []
        for p in self.per:
            seqs = [_copy_metrics(p[s]) for s in self.sequences]
            comb.append(_core.mot.combine(seqs, *which))
            per.append(dict(zip(self.sequences, seqs)))
        return _results(self.trackers, list(self.sequences), per, comb, tuple(fams))

    # --- serialization: header {settings, trackers, sequences}; per field one array over
    # (tracker, sequence) named "<family>.<field>", (K, S) or (K, S, 19) for HOTA arrays.
    def _arrays(self) -> dict:
        out = {}
        if not self.sequences:
            return out
        first = self.per[0][self.sequences[0]]
        for fam, fields in first.items():
            for f, v in fields.items():
                vals = [[p[s][fam][f] for s in self.sequences] for p in self.per]
                dt = np.float64 if isinstance(v, (float, np.ndarray)) else np.int64
                out[f"{fam}.{f}"] = np.asarray(vals, dtype=dt)
        return out

    def _header(self) -> dict:
        return {"kind": self.kind, "settings": self.settings, "trackers": self.trackers, "sequences": self.sequences}

    def save(self, path) -> None:
        """Writes the state file (docs/eval.md, "Evaluation state", kind "mot"), atomically."""
        from .eval._state import write_arrays

        write_arrays(path, self._header(), self._arrays())

    def to_bytes(self) -> bytes:
        from .eval._state import FORMAT, VERSION

        f = io.BytesIO()
        head = json.dumps(dict(self._header(), format=FORMAT, version=VERSION), sort_keys=True).encode()
        np.savez(f, header=np.frombuffer(head, np.uint8), **self._arrays())
        return f.getvalue()

    @classmethod
    def load(cls, source) -> "MotState":
        """A state from a file written by ``save`` (or its bytes)."""
        from .eval._state import read_arrays

        header, a = read_arrays(source, cls.kind)
        try:
            trackers, seqs = header["trackers"], header["sequences"]
            per = [{s: {} for s in seqs} for _ in trackers]
            for key, arr in a.items():
                fam, f = key.split(".", 1)
                if arr.shape[:2] != (len(trackers), len(seqs)):
                    raise ValueError(f"mot state: {key} has shape {arr.shape}")
                for k in range(len(trackers)):
                    for j, s in enumerate(seqs):
                        v = arr[k, j]
                        per[k][s].setdefault(fam, {})[f] = (v.copy() if arr.ndim == 3 else
                                                            float(v) if arr.dtype == np.float64 else int(v))
            return cls(header["settings"], trackers, seqs, per)
        except KeyError as exc:
            raise ValueError(f"mot state: missing entry {exc.args[0]!r}") from None

    from_bytes = load

    def __reduce__(self):  # pickling (dask, torch.distributed) goes through the documented format
        return (MotState.from_bytes, (self.to_bytes(),))

    def __len__(self) -> int:
        return len(self.sequences)

    def __repr__(self) -> str:
        return f"MotState({len(self.trackers)} trackers, {len(self.sequences)} sequences)"


def _copy_metrics(m: dict) -> dict:
    return {fam: {f: (v.copy() if isinstance(v, np.ndarray) else v) for f, v in fields.items()}
            for fam, fields in m.items()}


def _check_state_conventions(conventions) -> None:
    _check_conventions(conventions)
    if conventions != "trackeval":
        raise ValueError("state: only conventions='trackeval' has a mergeable state (py-motmetrics' OVERALL "
                         "is combined inside the C++ call)")


def state(gt_folder, trackers_folder, benchmark: str = "MOT17", split: str = "train",
          metrics: Iterable[str] = METRICS, trackers: Optional[Sequence[str]] = None,
          sequences: Optional[Sequence[str]] = None, do_preproc: bool = True,
          tracker_sub_folder: str = "data", seqmap_file=None, skip_split_folder: bool = False,
          conventions: str = "trackeval") -> MotState:
    """:func:`evaluate` (same arguments) of ``sequences`` (one worker's shard), kept as a
    mergeable :class:`MotState`: ``state(..., sequences=a).merge(state(..., sequences=b))
    .compute()`` equals ``evaluate(..., sequences=a + b)`` bit for bit."""
    _check_state_conventions(conventions)
    return evaluate(gt_folder, trackers_folder, benchmark, split, metrics, trackers, sequences, do_preproc,
                    tracker_sub_folder, seqmap_file, skip_split_folder, conventions, _as_state=True)


def state_files(pairs: Mapping[str, tuple], benchmark: str = "MOT17", metrics: Iterable[str] = METRICS,
                seq_lengths: Optional[Mapping[str, int]] = None, do_preproc: bool = True,
                tracker_name: str = "tracker", conventions: str = "trackeval") -> MotState:
    """:func:`evaluate_files` (same arguments) kept as a mergeable :class:`MotState`."""
    _check_state_conventions(conventions)
    return evaluate_files(pairs, benchmark, metrics, seq_lengths, do_preproc, tracker_name, conventions,
                          _as_state=True)
