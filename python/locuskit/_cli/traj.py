"""``locuskit traj ape|rpe|show|res|kitti``: trajectory evaluation from the command line.

``ape``/``rpe`` accept evo's command lines (``evo_ape kitti GT EST -as -r angle_deg`` works as
``locuskit traj ape kitti GT EST -as -r angle_deg``) and give evo's numbers; ``show`` is
``evo_traj`` (information, plots, conversion) and ``res`` is ``evo_res`` (tables and plots over
saved results). Only the public Python API is used; NumPy/matplotlib are imported when needed so
that a plain evaluation starts fast.

Exit codes: 0 success; 1 invalid input (unreadable or malformed file, no association, bad option
value: the message on stderr names the file/option); 2 command-line usage error (argparse).
Warnings about suspicious inputs go to stderr (``-q``/``--silent`` hides them).
"""
from __future__ import annotations

import argparse
import os
import sys

_FORMATS = ("tum", "kitti", "euroc")
_OLD_ALIGN_MODES = ("se3", "sim3", "scale", "none", "origin")  # locuskit 0.x `--align MODE`
_RELATIONS = ("full", "trans_part", "rot_part", "angle_deg", "angle_rad", "point_distance")
_UNITS = ("mm", "cm", "m", "km", "deg", "rad")
_PLOT_MODES = ("xy", "xz", "yx", "yz", "zx", "zy", "xyz")
_IGNORED = ("ros_map_yaml", "map_tile", "rerun", "rerun_rec_id", "logfile", "config")


# ---------------------------------------------------------------- messages
from ._log import Log as _Log  # noqa: E402  (shared with locuskit eval)


def _short(path: str, width: int = 48) -> str:
    """A path short enough for a plot title: the file name, its folder if it fits, '…' in the middle."""
    path = str(path)
    base = os.path.basename(path) or path
    parent = os.path.basename(os.path.dirname(path))
    s = f"{parent}/{base}" if parent and len(parent) + len(base) + 1 <= width else base
    if len(s) > width:
        half = (width - 1) // 2
        s = s[:half] + "…" + s[-(width - 1 - half):]
    return s


# ---------------------------------------------------------------- arguments
def _opt(parser, name, *short, **kw):
    """Adds --name_with_underscores (evo's spelling) and --name-with-dashes."""
    spellings = list(short) + [f"--{name}"]
    if "_" in name:
        spellings.append(f"--{name.replace('_', '-')}")
    kw.setdefault("dest", name)
    parser.add_argument(*spellings, **kw)


def _positional_files(args, parser_name: str, n_files: int):
    """Splits evo's ``[FORMAT] REF EST`` (FORMAT optional: detected from the files) and the old
    ``--align MODE`` spelling, whose MODE argparse leaves among the positionals."""
    items = list(args.files)
    args.align_mode_word = None
    if args.align:
        words = [w for w in items if w in _OLD_ALIGN_MODES and not os.path.exists(w)]
        if len(words) == 1 and len(items) > n_files:
            args.align_mode_word = words[0]
            items.remove(words[0])
    fmt = None
    if items and items[0] in _FORMATS + ("auto",) and not os.path.exists(items[0]):
        fmt = items.pop(0)
    if len(items) != n_files:
        raise ValueError(f"traj {parser_name}: expected [tum|kitti|euroc] REF EST, got {' '.join(args.files)}")
    if getattr(args, "format", None):  # --format overrides
        fmt = args.format
    return fmt, items


def _align_mode(args) -> str:
    word = getattr(args, "align_mode_word", None)
    if word is not None:
        if args.correct_scale or args.align_origin:
            raise ValueError("--align MODE cannot be combined with -s/--align_origin")
        return word
    if args.align_origin and (args.align or args.correct_scale):
        raise ValueError("--align_origin cannot be combined with -a/-s (evo refuses it too)")
    if args.align_origin:
        return "origin"
    if args.align and args.correct_scale:
        return "sim3"
    if args.align:
        return "se3"
    if args.correct_scale:
        return "scale"
    return "none"


def _title_suffix(mode: str, n_to_align: int) -> str:
    s = {"se3": "(with SE(3) Umeyama alignment)", "sim3": "(with Sim(3) Umeyama alignment)",
         "scale": "(scale corrected)", "origin": "(with origin alignment)", "none": "(not aligned)"}[mode]
    if mode in ("se3", "sim3", "scale") and n_to_align != -1:
        s += f" (aligned poses: {n_to_align})"
    return s


# ---------------------------------------------------------------- loading
def _read(path, fmt, log, role):
    from locuskit import traj

    detected = fmt is None or fmt == "auto"
    if detected:
        fmt = traj.detect_format(path)
        log.info(f"{path}: detected {fmt} format")
    try:
        t = traj.read_trajectory(path, fmt)
    except ValueError as exc:
        if detected:
            raise
        # A wrong explicit format: say which one the file looks like.
        try:
            guess = traj.detect_format(path)
        except (ValueError, OSError):
            guess = None
        if guess and guess != fmt:
            raise ValueError(f"{exc} (the {role} file looks like {guess}: use '{guess}' or omit the format)") from None
        raise
    for w in t.warnings:
        log.warn(w)
    return t, fmt


def _load_pair(args, log, parser_name):
    fmt, (ref_path, est_path) = _positional_files(args, parser_name, 2)
    ref, ref_fmt = _read(ref_path, fmt, log, "reference")
    # evo_ape euroc GT.csv EST.txt reads EST as TUM.
    est_fmt = args.est_format or ("tum" if ref_fmt == "euroc" and fmt is not None else fmt)
    est, est_fmt = _read(est_path, est_fmt, log, "estimate")
    if (ref.stamps is None) != (est.stamps is None):
        raise ValueError(f"{ref_path} ({ref_fmt}) and {est_path} ({est_fmt}): one has timestamps and the other has "
                         "none; give both as KITTI (matched by index) or both with timestamps")
    return ref, est, ref_path, est_path


def _prepare(args, log, ref, est):
    """evo's order: downsample / motion filter, then --t_start/--t_end on the reference, then
    association (done by the metric)."""
    from locuskit import traj

    if args.downsample:
        ref, est = traj.downsample(ref, args.downsample), traj.downsample(est, args.downsample)
    if args.motion_filter:
        if ref.stamps is None:
            raise ValueError("--motion_filter needs timestamps (it would break KITTI's index matching)")
        ref = traj.motion_filter(ref, *args.motion_filter)
        est = traj.motion_filter(est, *args.motion_filter)
    if getattr(args, "t_start", None) is not None or getattr(args, "t_end", None) is not None:
        ref = traj.select_time_range(ref, args.t_start, args.t_end)
    if ref.stamps is None and len(ref) != len(est):
        raise ValueError(f"{ref.name} has {len(ref)} poses and {est.name} has {len(est)}: KITTI files are matched by "
                         "index and need equal lengths")
    return ref, est


def _check_association(log, ref, est, args):
    if ref.stamps is None:
        return
    from locuskit import traj

    ri, ei = traj.associate(ref, est, args.t_max_diff, args.t_offset)
    longer = ei if len(est) > len(ref) else ri
    _association_warnings(log, args, len(ri), min(len(ref), len(est)), len(longer) - len(set(longer.tolist())))


def _association_warnings(log, args, associated, shorter, reused):
    log.info(f"associated {associated} of {shorter} poses (|dt| <= {args.t_max_diff} s, offset {args.t_offset} s)")
    if 0 < associated < 0.5 * shorter:
        log.warn(f"only {associated} of {shorter} poses were associated (--t_max_diff {args.t_max_diff}, "
                 f"--t_offset {args.t_offset}): are the clocks the same?")
    if reused:
        log.warn(f"{reused} pose(s) of the longer trajectory matched more than once "
                 "(duplicated stamps?); kept, as evo does")


# ---------------------------------------------------------------- units
_LENGTH = {"mm": 1e3, "cm": 1e2, "m": 1.0, "km": 1e-3}


def _change_unit(result, new_unit):
    """evo's --change_unit: metres <-> mm/cm/km, degrees <-> radians; others refuse."""
    import numpy as np

    from locuskit import traj

    unit = result.unit
    if new_unit is None or new_unit == unit:
        return result
    if unit in _LENGTH and new_unit in _LENGTH:
        factor = _LENGTH[new_unit] / _LENGTH[unit]
    elif unit in ("deg", "rad") and new_unit in ("deg", "rad"):
        factor = np.pi / 180 if new_unit == "rad" else 180 / np.pi
    else:
        raise ValueError(f"--change_unit {new_unit}: the metric is in {unit}, which cannot be converted")
    result.errors = result.errors * factor
    result.stats = traj.statistics(result.errors)
    result.settings["change_unit"] = new_unit
    result.relation_unit = new_unit
    return result


def _unit_of(result) -> str:
    return getattr(result, "relation_unit", None) or result.unit




# ---------------------------------------------------------------- output
_STAT_ORDER = ("max", "mean", "median", "min", "rmse", "sse", "std")  # evo prints them sorted


def _print_stats(log, title, stats):
    log.out(title)
    log.out()
    for k in _STAT_ORDER:
        log.out(f"{k:>10}\t{stats[k]:.10g}")
    log.out(f"{'n':>10}\t{stats['n']}")
    log.out()


def _output(option: str, path, write) -> None:
    """Runs ``write()``; an unwritable ``path`` becomes a ValueError naming the option and path."""
    try:
        write()
    except OSError as exc:
        raise ValueError(f"{option} {path}: {exc.strerror or exc}") from exc


def _write_json(path, data) -> None:
    import json

    def write():
        with open(path, "w") as f:
            json.dump(data, f, indent=1)
    _output("--json", path, write)


def _pyplot():
    from locuskit.plotting import pyplot

    return pyplot(apply_style=True)


def series_colors(n):
    from locuskit.plotting import series_colors as colors

    return colors(n)


def _axes_for(fig, mode, position=111):
    if mode == "xyz":
        return fig.add_subplot(position, projection="3d")
    return fig.add_subplot(position)


def _xy(P, mode):
    idx = {"x": 0, "y": 1, "z": 2}
    if mode == "xyz":
        return P[:, 0], P[:, 1], P[:, 2]
    return P[:, idx[mode[0]]], P[:, idx[mode[1]]]


def _label_axes(ax, mode):
    if mode == "xyz":
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.set_zlabel("z [m]")
    else:
        ax.set_xlabel(f"{mode[0]} [m]")
        ax.set_ylabel(f"{mode[1]} [m]")
        ax.set_aspect("equal", adjustable="datalim")


def _plot_metric(args, result, title, ref_full=None):
    import numpy as np

    plt = _pyplot()
    mode = args.plot_mode
    fig = plt.figure(figsize=(13, 5.5))
    ax1 = _axes_for(fig, mode, 121)
    ax2 = fig.add_subplot(122)
    ref_p = (ref_full if ref_full is not None else result.ref_poses)[:, :3, 3]
    est_p = result.est_poses[:, :3, 3]
    ax1.plot(*_xy(ref_p, mode), "--", color="0.4", lw=1, label="reference")
    pts = est_p if result.pairs is None else est_p[result.pairs[1]]
    if result.pairs is not None:
        ax1.plot(*_xy(est_p, mode), color="0.75", lw=0.6)
    vmin = args.plot_colormap_min if args.plot_colormap_min is not None else result.stats["min"]
    vmax = args.plot_colormap_max if args.plot_colormap_max is not None else result.stats["max"]
    if args.plot_colormap_max_percentile is not None:
        vmax = float(np.percentile(result.errors, args.plot_colormap_max_percentile))
    sc = ax1.scatter(*_xy(pts, mode), c=result.errors, s=4, cmap="viridis", vmin=vmin, vmax=vmax, label="estimate")
    unit = _unit_of(result)
    fig.colorbar(sc, ax=ax1, label=f"{result.relation} [{unit}]", shrink=0.8)
    _label_axes(ax1, mode)
    ax1.set_title(f"estimate coloured by error ({mode})", fontsize=10)
    ax1.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=2, frameon=False, fontsize=9)
    if args.plot_x_dimension == "seconds" and result.stamps is not None:
        x, xlabel = np.asarray(result.stamps) - result.stamps[0], "t [s]"
    elif args.plot_x_dimension == "distances":
        x, xlabel = result.distances_from_start(), "distance along the reference [m]"
    else:
        x, xlabel = np.arange(len(result.errors)), "index"
    ax2.plot(x, result.errors, lw=0.8, color="tab:blue", label=result.relation)
    for key, style in (("rmse", ("tab:red", "--")), ("median", ("tab:green", ":")), ("mean", ("tab:orange", "-."))):
        ax2.axhline(result.stats[key], color=style[0], ls=style[1], lw=0.9, label=f"{key} {result.stats[key]:.4g}")
    ax2.set_xlabel(xlabel)
    ax2.set_ylabel(f"{result.relation} [{unit}]")
    ax2.set_title("error", fontsize=10)
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def _finish_plot(args, log, fig, option_path, report=None):
    """--html (``report``, or the printed output and warnings, plus the figure), then --plot /
    --save_plot (written, shown, or a warning without a display); closes the figure."""
    plt = _pyplot()
    if getattr(args, "html", None):
        import locuskit

        from ._html import HtmlReport

        if report is None:
            report = HtmlReport(f"locuskit traj {args.traj_command}", [f"locuskit {locuskit.__version__}"])
            report.section("Output").pre("\n".join(log.lines).strip() or "(no output)")
            if log.warnings:
                report.section("Warnings").items(log.warnings, "warn")
        report.section("Plot").figure(fig)
        _output("--html", args.html, lambda: report.write(args.html))
        log.info(f"report written to {args.html}")
    if not (args.plot or args.save_plot):
        plt.close(fig)
        return
    if option_path:
        option = "--plot" if isinstance(getattr(args, "plot", None), str) else "--save_plot"
        _output(option, option_path, lambda: fig.savefig(option_path, dpi=110, bbox_inches="tight"))
        log.info(f"plot written to {option_path}")
    elif plt.get_backend().lower() != "agg":
        plt.show()
    else:
        log.warn("--plot without a file and no display: nothing shown (give --save_plot PATH or --plot PATH)")
    plt.close(fig)


def _plot_path(args):
    if isinstance(args.plot, str):
        return args.plot
    return args.save_plot


def _warn_ignored(args, log):
    for name in _IGNORED:
        v = getattr(args, name, None)
        if v:
            log.warn(f"--{name} is accepted for evo compatibility and ignored")


# ---------------------------------------------------------------- ape / rpe
_NEEDS_ARRAYS = ("plot", "save_plot", "json", "save_results", "project_to_plane", "change_unit", "downsample",
                 "motion_filter", "html")


def _titles(args, metric, relation, mode, unit):
    if metric == "ape":
        return f"APE w.r.t. {_RELATION_NAMES[relation]} ({unit})\n{_title_suffix(mode, args.n_to_align)}"
    delta = int(args.delta) if args.delta_unit == "f" else args.delta
    unit_name = {"f": "frames", "m": "m", "d": "deg", "r": "rad"}[args.delta_unit]
    return (f"RPE w.r.t. {_RELATION_NAMES[relation]} ({unit})\nfor delta = {delta} ({unit_name}) using "
            f"{'all' if args.all_pairs else 'consecutive'} pairs\n{_title_suffix(mode, args.n_to_align)}")


def _statistics_only(args, log, metric: str) -> int:
    """The common case (numbers only): one call into C++, no NumPy (fast start-up)."""
    from locuskit import traj

    fmt, (ref_path, est_path) = _positional_files(args, metric, 2)
    mode = _align_mode(args)
    relation = args.pose_relation
    if metric == "ape" and relation == "point_distance_error_ratio":
        raise ValueError("-r point_distance_error_ratio is an RPE relation (evo_rpe)")
    ref_fmt = fmt if fmt not in (None, "auto") else traj.detect_format(ref_path)
    est_fmt = args.est_format or ("tum" if ref_fmt == "euroc" and fmt not in (None, "auto") else fmt)
    est_fmt = est_fmt if est_fmt not in (None, "auto") else traj.detect_format(est_path)
    if fmt in (None, "auto"):
        log.info(f"{ref_path}: detected {ref_fmt} format; {est_path}: {est_fmt}")
    rpe = metric == "rpe"
    try:
        d = traj.evaluate_files(ref_path, est_path, metric, relation, mode, ref_format=ref_fmt, est_format=est_fmt,
                                n_to_align=args.n_to_align, max_diff=args.t_max_diff, offset=args.t_offset,
                                t_start=args.t_start, t_end=args.t_end,
                                delta=args.delta if rpe else 1, unit=args.delta_unit if rpe else "f",
                                all_pairs=args.all_pairs if rpe else False,
                                rel_tol=args.delta_tol if rpe else 0.1,
                                pairs_from_reference=args.pairs_from_reference if rpe else False)
    except ValueError as exc:
        if fmt in (None, "auto"):
            raise
        for path, used, role in ((ref_path, ref_fmt, "reference"), (est_path, est_fmt, "estimate")):
            if str(path) in str(exc):
                try:
                    guess = traj.detect_format(path)
                except (ValueError, OSError):
                    guess = None
                if guess and guess != used:
                    raise ValueError(f"{exc} (the {role} file looks like {guess}: use '{guess}' or omit the "
                                     "format)") from None
        raise
    for w in d["warnings"]:
        log.warn(w)
    if d["stamped"]:
        _association_warnings(log, args, d["associated"], d["shorter_side"], d["reused_rows"])
    if rpe and d["ignored_zero_distance_pairs"]:
        log.warn(f"ignoring {d['ignored_zero_distance_pairs']} pair(s) with zero reference distance in the ratio")
    elif rpe and relation in ("trans_part", "point_distance") and d["zero_reference_steps"]:
        log.warn(f"{d['zero_reference_steps']} RPE pair(s) have a zero reference step (duplicated stamps?)")
    unit = {"trans_part": "m", "point_distance": "m", "angle_deg": "deg", "angle_rad": "rad",
            "point_distance_error_ratio": "%"}.get(relation, "unit-less")
    _scale_lines(log, mode, d["scale"])
    _print_stats(log, _titles(args, metric, relation, mode, unit), d["stats"])
    return 0


def _scale_lines(log, mode, scale):
    if mode in ("sim3", "scale"):
        log.out(f"Scale correction: {scale:.10g}")  # evo logs it too
        if mode == "sim3" and not (0.2 < scale < 5):
            log.warn(f"Sim(3) scale {scale:.4g}: the estimate's scale is far from the reference's")


def _run_metric(args, metric: str) -> int:
    from locuskit import traj

    log = _Log(args)
    _warn_ignored(args, log)
    if not any(getattr(args, k, None) for k in _NEEDS_ARRAYS):
        return _statistics_only(args, log, metric)
    ref, est, ref_path, est_path = _load_pair(args, log, metric)
    ref, est = _prepare(args, log, ref, est)
    _check_association(log, ref, est, args)
    mode = _align_mode(args)
    relation = args.pose_relation
    if metric == "ape":
        if relation == "point_distance_error_ratio":
            raise ValueError("-r point_distance_error_ratio is an RPE relation (evo_rpe)")
        r = traj.ape(ref, est, relation, mode, args.n_to_align, args.t_max_diff, args.t_offset)
    else:
        r = traj.rpe(ref, est, relation, args.delta, args.delta_unit, args.all_pairs, mode, args.n_to_align,
                     args.delta_tol, args.t_max_diff, args.t_offset, args.pairs_from_reference)
        if "ignored_zero_distance_pairs" in r.alignment:
            log.warn(f"ignoring {r.alignment['ignored_zero_distance_pairs']} pair(s) with zero reference distance "
                     "in the ratio")
        if relation in ("trans_part", "point_distance"):
            zero = int((abs(r.ref_poses[r.pairs[0], :3, 3] - r.ref_poses[r.pairs[1], :3, 3]).sum(axis=1) == 0).sum())
            if zero:
                log.warn(f"{zero} RPE pair(s) have a zero reference step (duplicated stamps?)")
    title = _titles(args, metric, relation, mode, r.unit)
    if args.project_to_plane:
        _project_result(r, args.project_to_plane, metric, relation)
    r.settings.update(reference=ref_path, estimate=est_path, align=mode)
    if args.change_unit:
        _change_unit(r, args.change_unit)
        title = title.replace(f"({r.unit})", f"({_unit_of(r)})", 1)
    if "s" in r.alignment:
        _scale_lines(log, mode, r.alignment["s"])
    _print_stats(log, title, r.stats)
    if args.json:
        _write_json(args.json, dict(r.as_dict(arrays=True), unit=_unit_of(r), title=title))
    if args.save_results:
        _output("--save_results", args.save_results,
                lambda: traj.save_result(args.save_results, r, title, ref_path, est_path))
    if args.plot or args.save_plot or args.html:
        ref_full = None
        if args.plot_full_ref:
            ref_full = ref.poses
        fig = _plot_metric(args, r, f"{title.splitlines()[0]}: {_short(est_path)} vs {_short(ref_path)}", ref_full)
        report = _metric_report(args, log, r, title, ref_path, est_path) if args.html else None
        _finish_plot(args, log, fig, _plot_path(args), report)
    return 0


def _metric_report(args, log, r, title, ref_path, est_path):
    """--html of ape/rpe: statistics, warnings and settings (_finish_plot adds the figure)."""
    import locuskit

    from ._html import HtmlReport

    report = HtmlReport(f"locuskit traj {args.traj_command}", [f"reference: {ref_path}", f"estimate: {est_path}",
                                                               f"locuskit {locuskit.__version__}"])
    s = report.section("Statistics").pre(title)
    s.table(["statistic", f"value ({_unit_of(r)})"],
            [[k, f"{float(r.stats[k]):.10g}"] for k in _STAT_ORDER] + [["n", int(r.stats["n"])]])
    if log.warnings:
        report.section("Warnings").items(log.warnings, "warn")
    report.section("Settings").table(["setting", "value"], [[k, str(v)] for k, v in sorted(r.settings.items())])
    return report


def _project_result(r, plane, metric, relation):
    """--project_to_plane: recompute on positions projected into the plane (translation-type
    relations; evo also flattens orientations, which only angle relations would see)."""
    from locuskit import traj

    if relation not in ("trans_part", "point_distance"):
        raise ValueError(f"--project_to_plane is supported for trans_part/point_distance, not {relation}")
    dim = {"xy": 2, "xz": 1, "yz": 0}[plane]
    r.ref_poses = r.ref_poses.copy()
    r.est_poses = r.est_poses.copy()
    r.ref_poses[:, dim, 3] = 0
    r.est_poses[:, dim, 3] = 0
    if metric == "ape":
        r.errors = traj.ape(r.ref_poses, r.est_poses, relation).errors
    else:
        import numpy as np

        f, s = r.pairs
        d = lambda P: np.linalg.norm(P[s, :3, 3] - P[f, :3, 3], axis=1)  # noqa: E731
        if relation == "point_distance":
            r.errors = np.abs(d(r.ref_poses) - d(r.est_poses))
        else:
            from locuskit import pose

            Qr = pose.se3_compose(pose.se3_inverse(r.ref_poses[f]), r.ref_poses[s])
            Pr = pose.se3_compose(pose.se3_inverse(r.est_poses[f]), r.est_poses[s])
            E = pose.se3_compose(pose.se3_inverse(Qr), Pr)
            r.errors = np.linalg.norm(E[:, :3, 3], axis=1)
    r.stats = traj.statistics(r.errors)
    r.settings["project_to_plane"] = plane


_RELATION_NAMES = {"trans_part": "translation part", "rot_part": "rotation part", "full": "full transformation",
                   "angle_deg": "rotation angle in degrees", "angle_rad": "rotation angle in radians",
                   "point_distance": "point distance", "point_distance_error_ratio": "point distance error ratio"}


def _run_ape(args) -> int:
    return _run_metric(args, "ape")


def _run_rpe(args) -> int:
    return _run_metric(args, "rpe")


# ---------------------------------------------------------------- show (evo_traj)
def _run_show(args) -> int:
    import numpy as np

    from locuskit import traj

    log = _Log(args)
    items = list(args.files)
    fmt = None
    if items and items[0] in _FORMATS + ("auto",) and not os.path.exists(items[0]):
        fmt = items.pop(0)
    if args.format:
        fmt = args.format
    if not items and not args.ref:
        raise ValueError("traj show: no trajectory files given")
    trajs = []
    for path in items:
        t, f = _read(path, fmt, log, "trajectory")
        trajs.append((path, t, f))
    ref = None
    if args.ref:
        ref_fmt = args.ref_format or ("euroc" if fmt == "euroc" else fmt)
        ref, _ = _read(args.ref, ref_fmt, log, "reference")
        if args.t_start is not None or args.t_end is not None:
            ref = traj.select_time_range(ref, args.t_start, args.t_end)
    if args.downsample:
        trajs = [(p, traj.downsample(t, args.downsample), f) for p, t, f in trajs]
    if args.motion_filter:
        trajs = [(p, traj.motion_filter(t, *args.motion_filter), f) for p, t, f in trajs]
    mode = _align_mode(args) if (args.align or args.correct_scale or args.align_origin) else "none"
    if mode != "none" and ref is None:
        raise ValueError("alignment (-a/-s/--align_origin) needs a reference: --ref REF")
    shown = []
    for path, t, f in trajs:
        if ref is not None and (args.sync or mode != "none"):
            r_al, e_al, stamps = traj.synchronize(ref, t, args.t_max_diff, args.t_offset)
            if mode != "none":
                e_al, info = traj.align(r_al, e_al, mode, args.n_to_align)
                if "s" in info:
                    log.info(f"{path}: scale {info['s']:.10g}")
            t = traj.Trajectory(poses=e_al, stamps=stamps, name=path, warnings=[])
        shown.append((path, t, f))
    report = {}
    for path, t, f in ([(args.ref, ref, "ref")] if ref is not None else []) + shown:
        info = _traj_info(t)
        report[path] = info
        log.out(f"name:\t{path}")
        for k, v in info.items():
            log.out(f"  {k:<14}{_fmt_value(v)}")
        log.out()
        if args.full_check:
            for w in _full_check(t):
                log.warn(f"{path}: {w}")
    if args.json:
        _write_json(args.json, report)
    for option, out_fmt, ext in (("save_as_tum", "tum", ".tum"), ("save_as_kitti", "kitti", ".kitti"),
                                 ("save_as_euroc", "euroc", ".csv")):
        if not getattr(args, option):
            continue
        for path, t, _ in ([(args.ref, ref, None)] if ref is not None else []) + shown:
            out = os.path.join(args.out_dir or ".", os.path.splitext(os.path.basename(path))[0] + ext)
            _output(f"--{option}", out, lambda out=out, t=t: traj.write_trajectory(out, t, out_fmt))
            log.info(f"wrote {out}")
    if args.plot or args.save_plot or args.html:
        plt = _pyplot()
        fig = plt.figure(figsize=(8, 7) if args.plot_mode != "xyz" else (9, 8))
        ax = _axes_for(fig, args.plot_mode)
        if ref is not None:
            ax.plot(*_xy(ref.positions, args.plot_mode), "--", color="0.4", lw=1, label=_short(args.ref, 40))
        colours = series_colors(len(shown))
        for (path, t, _), c in zip(shown, colours):
            ax.plot(*_xy(t.positions, args.plot_mode), color=c, lw=1, label=_short(path, 40))
        _label_axes(ax, args.plot_mode)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, fontsize=9)
        ax.set_title(f"trajectories ({args.plot_mode}{', aligned: ' + mode if mode != 'none' else ''})", fontsize=11)
        fig.tight_layout()
        _finish_plot(args, log, fig, _plot_path(args))
    return 0


def _traj_info(t) -> dict:
    import numpy as np

    p = t.positions
    info = {"poses": len(t), "path_length_m": t.path_length(),
            "pos_start_m": p[0].tolist(), "pos_end_m": p[-1].tolist()}
    if t.stamps is not None:
        info.update(t_start_s=repr(float(t.stamps[0])), t_end_s=repr(float(t.stamps[-1])),
                    duration_s=float(t.stamps[-1] - t.stamps[0]))
        if len(t) > 1:
            dt = np.diff(t.stamps)
            info["rate_hz"] = float((len(t) - 1) / (t.stamps[-1] - t.stamps[0])) if t.stamps[-1] > t.stamps[0] else 0.0
            info["max_gap_s"] = float(dt.max())
    return info


def _full_check(t):
    import numpy as np

    R = t.poses[:, :3, :3]
    dev = np.linalg.norm(np.einsum("nij,nkj->nik", R, R) - np.eye(3), axis=(1, 2))
    out = []
    if dev.max() > 1e-6:
        out.append(f"{int((dev > 1e-6).sum())} rotation(s) are not orthonormal within 1e-6 (max {dev.max():.3g})")
    if t.stamps is not None and len(t) > 1 and (np.diff(t.stamps) <= 0).any():
        out.append("timestamps are not strictly increasing")
    return out


def _fmt_value(v):
    if isinstance(v, float):
        return f"{v:.10g}"
    if isinstance(v, list):
        return "[" + ", ".join(f"{x:.6g}" for x in v) + "]"
    return str(v)


# ---------------------------------------------------------------- res (evo_res)
def _run_res(args) -> int:
    import numpy as np

    from locuskit import traj

    log = _Log(args)
    results = [traj.load_result(p) for p in args.result_files]
    if not results:
        raise ValueError("traj res: no result files given")
    names = []
    for p, r in zip(args.result_files, results):
        names.append(p if args.use_filenames else r["info"].get("est_name", p))
    if len(set(names)) < len(names):  # same estimate in several results: fall back to file names
        names = list(args.result_files)
    labels = {r["info"].get("label", "") for r in results}
    if len(labels) > 1 and not args.ignore_title:
        log.warn(f"the results measure different things ({', '.join(sorted(labels))}); compare with care")
    keys = ("rmse", "mean", "median", "std", "min", "max", "sse")
    width = max(len(_short(n, 60)) for n in names)
    log.out(f"{'':<{width}}  " + "  ".join(f"{k:>12}" for k in keys))
    for n, r in zip(names, results):
        log.out(f"{_short(n, 60):<{width}}  " + "  ".join(f"{r['stats'].get(k, float('nan')):>12.6g}" for k in keys))
    if args.save_table:
        import csv

        def write():
            with open(args.save_table, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["name", *keys, "title"])
                for n, r in zip(names, results):
                    w.writerow([n, *(repr(float(r["stats"].get(k, float("nan")))) for k in keys),
                                r["info"].get("title", "").replace("\n", " ")])
        _output("--save_table", args.save_table, write)
    if args.json:
        _write_json(args.json, {n: {"stats": r["stats"], "info": r["info"]} for n, r in zip(names, results)})
    if args.plot or args.save_plot or args.html:
        plt = _pyplot()
        fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 5), gridspec_kw={"width_ratios": [2.2, 1, 1]})
        colours = series_colors(len(results))
        for n, r, c in zip(names, results, colours):
            e = r["arrays"].get("error_array")
            if e is None:
                continue
            x = r["arrays"].get("seconds_from_start")  # evo_res --use_rel_time: on whenever stamps exist
            if x is None or len(x) != len(e):
                x = np.arange(len(e))
            ax1.plot(x, e, lw=0.8, color=c, label=_short(n, 36), marker="o" if args.plot_markers else None, ms=2)
        ax1.set_xlabel("t [s]")
        ax1.set_ylabel(results[0]["info"].get("label", "error"))
        ax1.set_title("error over time", fontsize=10)
        shown = [_short(n, 24) for n in names]
        ax2.boxplot([np.asarray(r["arrays"].get("error_array", [np.nan])) for r in results], vert=False,
                    showfliers=False)
        ax2.set_yticks(range(1, len(results) + 1), shown, fontsize=8)
        ax2.set_title("distribution (no outliers)", fontsize=10)
        rm = [r["stats"].get("rmse", np.nan) for r in results]
        ax3.barh(range(len(results)), rm, color=colours)
        ax3.set_yticks(range(len(results)), shown, fontsize=8)
        ax3.set_title("rmse", fontsize=10)
        ax1.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncol=2, frameon=False, fontsize=8)
        fig.suptitle(_short(results[0]["info"].get("title", "").split("\n")[0], 90), fontsize=11)
        fig.tight_layout()
        _finish_plot(args, log, fig, _plot_path(args))
    return 0


# ---------------------------------------------------------------- kitti devkit metric
def _run_kitti(args) -> int:
    from locuskit import traj

    log = _Log(args)
    ref, _ = _read(args.ref, "kitti", log, "reference")
    est, _ = _read(args.est, "kitti", log, "estimate")
    d = traj.kitti_metric(ref, est, args.precision)
    log.out(f"KITTI odometry metric ({d['num_segments']} segments, precision {args.precision})")
    log.out(f"  translation error  {d['t_err_percent']:.6f} %")
    log.out(f"  rotation error     {d['r_err_deg_per_m']:.9f} deg/m  ({d['r_err_deg_per_100m']:.6f} deg/100m)")
    log.out(f"  stats.txt          {d['stats_txt_line']}")
    log.out("  length [m]   n    t_err [%]   r_err [deg/m]")
    for k, v in d["per_length"].items():
        if v["n"] > 2.5:
            log.out(f"  {k:>9s} {v['n']:5d}  {v['t_err_percent']:10.6f}  {v['r_err_deg_per_m']:.9f}")
    if args.json:
        out = {k: v for k, v in d.items() if k != "segments"}
        out["segments"] = d["segments"].tolist()
        out["settings"] = {"reference": args.ref, "estimate": args.est, "precision": args.precision}
        _write_json(args.json, out)
    if args.plot or args.save_plot or args.html:
        plt = _pyplot()
        lengths = [int(k) for k, v in d["per_length"].items() if v["n"] > 2.5]
        t_err = [d["per_length"][str(k)]["t_err_percent"] for k in lengths]
        r_err = [d["per_length"][str(k)]["r_err_deg_per_m"] * 100 for k in lengths]
        fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(15, 4.5))
        ax0.plot(ref.positions[:, 0], ref.positions[:, 2], "--", color="0.4", lw=1, label="ground truth")
        ax0.plot(est.positions[:, 0], est.positions[:, 2], color="tab:blue", lw=1, label="estimate")
        ax0.set_xlabel("x [m]")
        ax0.set_ylabel("z [m]")
        ax0.set_aspect("equal", adjustable="datalim")
        ax0.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=2, frameon=False, fontsize=9)
        ax0.set_title("top view (x-z)", fontsize=10)
        ax1.plot(lengths, t_err, "o-", color="tab:blue")
        ax1.set_xlabel("path length [m]")
        ax1.set_ylabel("translation error [%]")
        ax1.set_title(f"translation error (mean {d['t_err_percent']:.4g} %)", fontsize=10)
        ax2.plot(lengths, r_err, "o-", color="tab:red")
        ax2.set_xlabel("path length [m]")
        ax2.set_ylabel("rotation error [deg/100 m]")
        ax2.set_title(f"rotation error (mean {d['r_err_deg_per_100m']:.4g} deg/100 m)", fontsize=10)
        fig.suptitle(f"KITTI odometry metric: {_short(args.est)} vs {_short(args.ref)}", fontsize=11)
        fig.tight_layout()
        _finish_plot(args, log, fig, _plot_path(args))
    return 0


# ---------------------------------------------------------------- parsers
def _usability(p):
    g = p.add_argument_group("usability options")
    g.add_argument("-v", "--verbose", action="store_true", help="details on stderr (formats, association, scale)")
    g.add_argument("-q", "--quiet", "--silent", dest="silent", action="store_true",
                   help="print nothing but errors (no statistics, no warnings)")
    g.add_argument("--debug", action="store_true", help="same as --verbose")
    _opt(g, "no_warnings", action="store_true", help="accepted for evo compatibility (locuskit never asks to confirm)")
    _opt(g, "logfile", default=None, help="accepted for evo compatibility; ignored")
    g.add_argument("-c", "--config", default=None, help="accepted for evo compatibility; ignored")


def _plot_options(p, modes=True):
    g = p.add_argument_group("output options")
    g.add_argument("-p", "--plot", nargs="?", const=True, default=None, metavar="OUT.png",
                   help="plot; with a file name the figure is written there (headless), else shown")
    _opt(g, "save_plot", default=None, metavar="OUT.png", help="write the plot to this file (png, pdf, svg)")
    if modes:
        _opt(g, "plot_mode", default="xyz", choices=_PLOT_MODES, help="axes of the trajectory plot (default xyz)")
    g.add_argument("--json", default=None, metavar="OUT.json",
                   help="write statistics, per-pose/per-pair arrays and settings as JSON")
    g.add_argument("--html", default=None, metavar="OUT.html",
                   help="write a self-contained HTML report (the printed results, warnings and the plot)")
    return g


class _Parser(argparse.ArgumentParser):
    """Collects positionals that follow options (``GT EST --align sim3``, ``kitti -a GT EST``) into
    ``files`` as evo's command lines and locuskit 0.x's ``--align MODE`` put them."""

    def parse_known_args(self, args=None, namespace=None):
        ns, extras = super().parse_known_args(args, namespace)
        if hasattr(ns, "files"):
            loose = [a for a in extras if not a.startswith("-") or a == "-"]
            if loose:
                ns.files = list(ns.files or []) + loose
                extras = [a for a in extras if a not in loose]
        return ns, extras


def _metric_parser(tsub, name, help_text):
    p = tsub.add_parser(name, help=help_text, description=help_text + ". Accepts evo's options and spellings.")
    p.add_argument("files", nargs="+", metavar="[FORMAT] REF EST",
                   help="optional format (tum, kitti, euroc: evo's subcommand; detected when omitted), "
                        "the reference (ground truth) and the estimate")
    g = p.add_argument_group("algorithm options")
    relations = _RELATIONS + (("point_distance_error_ratio",) if name == "rpe" else ())
    _opt(g, "pose_relation", "-r", default="trans_part", choices=relations, help="pose relation (default trans_part)")
    g.add_argument("--relation", dest="pose_relation", choices=relations, help=argparse.SUPPRESS)
    g.add_argument("-a", "--align", action="store_true", help="SE(3) Umeyama alignment (with -s: Sim(3))")
    g.add_argument("-s", "--correct_scale", "--correct-scale", dest="correct_scale", action="store_true",
                   help="scale correction (alone: scale only, about the origin; with -a: Sim(3))")
    _opt(g, "align_origin", action="store_true", help="align the first estimate pose onto the first reference pose")
    _opt(g, "n_to_align", type=int, default=-1, help="align on the first N poses only (default -1: all)")
    _opt(g, "change_unit", default=None, choices=_UNITS, help="output unit (m<->mm/cm/km, deg<->rad)")
    _opt(g, "project_to_plane", default=None, choices=("xy", "xz", "yz"), help="project positions into a plane")
    g.add_argument("--downsample", type=int, default=None, help="downsample both to at most N poses")
    _opt(g, "motion_filter", type=float, nargs=2, default=None, metavar=("DISTANCE", "ANGLE_DEGREES"),
         help="keep poses that moved at least DISTANCE m or ANGLE degrees")
    if name == "rpe":
        g.add_argument("-d", "--delta", type=float, default=1, help="pair distance (default 1)")
        g.add_argument("-t", "--delta_tol", "--delta-tol", dest="delta_tol", type=float, default=0.1,
                       help="relative delta tolerance for --all_pairs (default 0.1)")
        g.add_argument("-u", "--delta_unit", "--delta-unit", "--unit", dest="delta_unit", default="f",
                       choices=("f", "d", "r", "m"), help="unit of delta: f frames, m metres, d degrees, r radians")
        _opt(g, "all_pairs", action="store_true", help="all pairs instead of consecutive pairs")
        _opt(g, "pairs_from_reference", action="store_true", help="choose the pairs on the reference")
    s = p.add_argument_group("file and association options")
    s.add_argument("--format", default=None, choices=_FORMATS + ("auto",), help="format of both files (as FORMAT)")
    _opt(s, "est_format", default=None, choices=_FORMATS, help="override the estimate's format")
    _opt(s, "t_max_diff", type=float, default=0.01, help="association: max |dt| in s (default 0.01)")
    _opt(s, "t_offset", type=float, default=0.0, help="association: offset added to the estimate's stamps (s)")
    _opt(s, "t_start", type=float, default=None, help="use reference poses with stamp >= T only")
    _opt(s, "t_end", type=float, default=None, help="use reference poses with stamp <= T only")
    g2 = _plot_options(p)
    _opt(g2, "plot_x_dimension", default="seconds", choices=("index", "seconds", "distances"),
         help="x axis of the error plot")
    _opt(g2, "plot_colormap_max", type=float, default=None, help="upper bound of the colour map")
    _opt(g2, "plot_colormap_min", type=float, default=None, help="lower bound of the colour map")
    _opt(g2, "plot_colormap_max_percentile", type=float, default=None, help="upper bound as a percentile (%%)")
    _opt(g2, "plot_full_ref", action="store_true", help="plot the whole reference, not only associated poses")
    _opt(g2, "save_results", default=None, metavar="OUT.zip", help="write the result as a zip (evo's layout)")
    _opt(g2, "ros_map_yaml", default=None, help="accepted for evo compatibility; ignored")
    _opt(g2, "map_tile", default=None, help="accepted for evo compatibility; ignored")
    g2.add_argument("--rerun", action="store_true", help="accepted for evo compatibility; ignored")
    _opt(g2, "rerun_rec_id", default=None, help="accepted for evo compatibility; ignored")
    _usability(p)
    return p


def register(sub) -> None:
    p = sub.add_parser("traj", help="trajectory evaluation: APE, RPE (evo-compatible), show, res, KITTI metric")
    tsub = p.add_subparsers(dest="traj_command", metavar="COMMAND", parser_class=_Parser)
    tsub.required = True

    _metric_parser(tsub, "ape", "absolute pose error (evo_ape)").set_defaults(func=_run_ape)
    _metric_parser(tsub, "rpe", "relative pose error (evo_rpe)").set_defaults(func=_run_rpe)

    s = tsub.add_parser("show", help="trajectory information, plots and conversion (evo_traj)",
                        description="evo_traj: information, plots (xy/xz/xyz...), conversion between TUM, KITTI "
                                    "and EuRoC, alignment onto --ref before plotting or saving.")
    s.add_argument("files", nargs="*", metavar="[FORMAT] FILE", help="optional format, then trajectory files")
    s.add_argument("--ref", default=None, help="reference trajectory (plotted dashed; needed for alignment)")
    s.add_argument("--format", default=None, choices=_FORMATS + ("auto",), help="format of the files")
    _opt(s, "ref_format", default=None, choices=_FORMATS, help="format of --ref (default: as the files)")
    s.add_argument("-a", "--align", action="store_true", help="SE(3)-align each file onto --ref")
    s.add_argument("-s", "--correct_scale", "--correct-scale", dest="correct_scale", action="store_true",
                   help="scale correction (with -a: Sim(3))")
    _opt(s, "align_origin", action="store_true", help="align the first poses")
    _opt(s, "n_to_align", type=int, default=-1, help="align on the first N poses only")
    s.add_argument("--sync", action="store_true", help="associate each file with --ref (implied by alignment)")
    _opt(s, "t_max_diff", type=float, default=0.01, help="association: max |dt| in s")
    _opt(s, "t_offset", type=float, default=0.0, help="association: offset added to the files' stamps (s)")
    _opt(s, "t_start", type=float, default=None, help="reference poses with stamp >= T only")
    _opt(s, "t_end", type=float, default=None, help="reference poses with stamp <= T only")
    s.add_argument("--downsample", type=int, default=None, help="at most N poses per file")
    _opt(s, "motion_filter", type=float, nargs=2, default=None, metavar=("DISTANCE", "ANGLE_DEGREES"))
    _opt(s, "full_check", action="store_true", help="check rotations and stamps, warn on problems")
    _opt(s, "save_as_tum", action="store_true", help="write each trajectory as <name>.tum")
    _opt(s, "save_as_kitti", action="store_true", help="write each trajectory as <name>.kitti")
    _opt(s, "save_as_euroc", action="store_true", help="write each trajectory as <name>.csv (EuRoC)")
    _opt(s, "out_dir", default=None, help="folder for --save_as_* (default: the current one)")
    _plot_options(s)
    _usability(s)
    s.set_defaults(func=_run_show)

    r = tsub.add_parser("res", help="tables and plots over saved results (evo_res)",
                        description="evo_res: compare result zips written by --save_results (locuskit's or evo's).")
    r.add_argument("result_files", nargs="+", metavar="RESULT.zip")
    _opt(r, "use_filenames", action="store_true", help="name rows by file instead of the estimate's name")
    _opt(r, "ignore_title", action="store_true", help="do not warn when the results measure different things")
    _opt(r, "use_rel_time", action="store_true", help="accepted for evo compatibility: seconds from the start are "
                                                     "used whenever the results have them")
    _opt(r, "save_table", default=None, metavar="OUT.csv", help="write the statistics table as CSV")
    _opt(r, "plot_markers", action="store_true", help="markers on the error curves")
    r.add_argument("--merge", action="store_true", help="accepted for evo compatibility; ignored")
    _plot_options(r, modes=False)
    _usability(r)
    r.set_defaults(func=_run_res)

    k = tsub.add_parser("kitti", help="KITTI odometry devkit metric (t_err %%, r_err deg/m)")
    k.add_argument("ref", help="ground-truth poses (KITTI format)")
    k.add_argument("est", help="estimated poses (KITTI format)")
    k.add_argument("--precision", default="devkit", choices=["devkit", "double"],
                   help="devkit: float32 bit-exact emulation (default); double: float64")
    _plot_options(k, modes=False)
    _usability(k)
    k.set_defaults(func=_run_kitti)
