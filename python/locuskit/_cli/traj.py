"""``locuskit traj ape|rpe|kitti``: trajectory evaluation from the command line (evo-compatible numbers)."""
from __future__ import annotations

import json
import sys


def _load(args):
    from .. import traj

    ref_fmt = args.format
    est_fmt = "tum" if ref_fmt == "euroc" else ref_fmt  # evo_ape euroc GT.csv EST.txt reads EST as TUM
    if getattr(args, "est_format", None):
        est_fmt = args.est_format
    ref = traj.read_trajectory(args.ref, ref_fmt)
    est = traj.read_trajectory(args.est, est_fmt)
    for w in ref.warnings + est.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return ref, est


def _print_stats(title: str, stats: dict, extra=()):
    print(title)
    for k, v in extra:
        print(f"  {k:>8s}  {v}")
    for k in ("rmse", "mean", "median", "std", "min", "max", "sse"):
        print(f"  {k:>8s}  {stats[k]:.9g}")
    print(f"  {'n':>8s}  {stats['n']}")


def _unit(relation: str) -> str:
    return {"trans_part": "m", "point_distance": "m", "angle_deg": "deg", "angle_rad": "rad"}.get(relation, "")


def _plot(path, result, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    ref_p = result.ref_poses[:, :3, 3]
    est_p = result.est_poses[:, :3, 3]
    # "Top view": the two axes along which the reference spreads most (x-y for TUM/EuRoC, x-z for
    # KITTI's camera frame, whose y axis points down).
    a, b = sorted(np.argsort(ref_p.std(axis=0))[1:])
    ax1.plot(ref_p[:, a], ref_p[:, b], "--", color="gray", lw=1, label="reference")
    if result.metric == "ape":
        sc = ax1.scatter(est_p[:, a], est_p[:, b], c=result.errors, s=3, cmap="jet")
    else:
        second = result.pairs[1]
        ax1.plot(est_p[:, a], est_p[:, b], color="lightblue", lw=0.5)
        sc = ax1.scatter(est_p[second, a], est_p[second, b], c=result.errors, s=5, cmap="jet")
    fig.colorbar(sc, ax=ax1, label=f"{result.relation} [{_unit(result.relation)}]")
    ax1.set_xlabel(f"{'xyz'[a]} [m]")
    ax1.set_ylabel(f"{'xyz'[b]} [m]")
    ax1.set_aspect("equal", adjustable="datalim")
    ax1.set_title("top view (aligned estimate, error as colour)")
    ax1.legend(loc="best")
    if result.stamps is not None:
        x = result.stamps - result.stamps[0]
        ax2.set_xlabel("t [s]")
    else:
        x = np.arange(len(result.errors))
        ax2.set_xlabel("index")
    ax2.plot(x, result.errors, lw=0.8)
    ax2.axhline(result.stats["rmse"], color="r", ls="--", lw=0.8, label=f"rmse {result.stats['rmse']:.4g}")
    ax2.axhline(result.stats["median"], color="g", ls=":", lw=0.8, label=f"median {result.stats['median']:.4g}")
    ax2.set_ylabel(f"{result.relation} [{_unit(result.relation)}]")
    ax2.set_title("error over time")
    ax2.legend(loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _align_mode(args) -> str:
    return args.align


def _run_ape(args) -> int:
    from .. import traj

    ref, est = _load(args)
    r = traj.ape(ref, est, args.relation, _align_mode(args), args.n_to_align, args.t_max_diff, args.t_offset)
    extra = [("align", args.align)]
    if "s" in r.alignment:
        extra.append(("scale", f"{r.alignment['s']:.9g}"))
    _print_stats(f"APE w.r.t. {args.relation} [{_unit(args.relation)}] ({len(r.errors)} poses)", r.stats, extra)
    _finish(args, r, "APE")
    return 0


def _run_rpe(args) -> int:
    from .. import traj

    ref, est = _load(args)
    r = traj.rpe(ref, est, args.relation, args.delta, args.unit, args.all_pairs, _align_mode(args), args.n_to_align,
                 args.delta_tol, args.t_max_diff, args.t_offset)
    extra = [("delta", f"{args.delta:g} {'frames' if args.unit == 'f' else 'm'}"
                       f"{' (all pairs)' if args.all_pairs else ''}"), ("align", args.align)]
    _print_stats(f"RPE w.r.t. {args.relation} [{_unit(args.relation)}] ({len(r.errors)} pairs)", r.stats, extra)
    _finish(args, r, "RPE")
    return 0


def _output(option: str, path, write) -> None:
    """Runs ``write()``; an unwritable ``path`` (a directory, a missing folder) becomes a
    ValueError naming the option and the path, which the CLI prints without a traceback."""
    try:
        write()
    except OSError as exc:
        raise ValueError(f"{option} {path}: {exc.strerror or exc}") from exc


def _write_json(path, data) -> None:
    def write():
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
    _output("--json", path, write)


def _finish(args, r, title):
    if args.json:
        _write_json(args.json, r.as_dict())
    if args.plot:
        _output("--plot", args.plot, lambda: _plot(args.plot, r, f"{title} {args.relation}: {args.est} vs {args.ref}"))


def _run_kitti(args) -> int:
    from .. import traj

    args.format = "kitti"
    ref, est = _load(args)
    d = traj.kitti_metric(ref, est, args.precision)
    print(f"KITTI odometry metric ({d['num_segments']} segments, precision {args.precision})")
    print(f"  translation error  {d['t_err_percent']:.6f} %")
    print(f"  rotation error     {d['r_err_deg_per_m']:.9f} deg/m  ({d['r_err_deg_per_100m']:.6f} deg/100m)")
    print(f"  stats.txt          {d['stats_txt_line']}")
    print("  length [m]   n    t_err [%]   r_err [deg/m]")
    for k, v in d["per_length"].items():
        if v["n"] > 2.5:
            print(f"  {k:>9s} {v['n']:5d}  {v['t_err_percent']:10.6f}  {v['r_err_deg_per_m']:.9f}")
    if args.json:
        _write_json(args.json, {k: v for k, v in d.items() if k != "segments"})
    return 0


def _common(p, with_align=True):
    p.add_argument("ref", help="reference (ground-truth) trajectory file")
    p.add_argument("est", help="estimated trajectory file")
    p.add_argument("--format", default="tum", choices=["tum", "kitti", "euroc"],
                   help="file format of REF (EST is read as TUM when REF is EuRoC, as evo does)")
    p.add_argument("--est-format", default=None, choices=["tum", "kitti", "euroc"], help="override EST's format")
    p.add_argument("--t-max-diff", type=float, default=0.01, help="association: max |dt| in s (default 0.01)")
    p.add_argument("--t-offset", type=float, default=0.0, help="association: offset added to EST stamps (s)")
    if with_align:
        p.add_argument("--align", default="none", choices=["se3", "sim3", "scale", "none", "origin"],
                       help="alignment of EST onto REF (evo -a / -as / -s / --align_origin)")
        p.add_argument("--n-to-align", type=int, default=-1, help="align on the first N poses only (-1: all)")
    p.add_argument("--json", default=None, metavar="OUT.json", help="write the numbers as JSON")


def register(sub) -> None:
    p = sub.add_parser("traj", help="trajectory evaluation: APE, RPE, KITTI odometry metric")
    tsub = p.add_subparsers(dest="traj_command", metavar="METRIC")
    tsub.required = True

    a = tsub.add_parser("ape", help="absolute pose error (evo_ape)")
    _common(a)
    a.add_argument("--relation", "-r", default="trans_part",
                   choices=["trans_part", "angle_deg", "angle_rad", "rot_part", "full", "point_distance"])
    a.add_argument("--plot", default=None, metavar="OUT.png", help="plot trajectories and error (matplotlib)")
    a.set_defaults(func=_run_ape)

    r = tsub.add_parser("rpe", help="relative pose error (evo_rpe)")
    _common(r)
    r.add_argument("--relation", "-r", default="trans_part",
                   choices=["trans_part", "angle_deg", "angle_rad", "rot_part", "full", "point_distance"])
    r.add_argument("--delta", "-d", type=float, default=1, help="pair distance (default 1)")
    r.add_argument("--unit", "-u", default="f", choices=["f", "m"], help="delta unit: frames or meters")
    r.add_argument("--all-pairs", action="store_true", help="use all pairs (overlapping), not consecutive")
    r.add_argument("--delta-tol", type=float, default=0.1, help="relative tolerance for --all-pairs -u m")
    r.add_argument("--plot", default=None, metavar="OUT.png", help="plot trajectories and error (matplotlib)")
    r.set_defaults(func=_run_rpe)

    k = tsub.add_parser("kitti", help="KITTI odometry devkit metric (t_err %%, r_err deg/m)")
    k.add_argument("ref", help="ground-truth poses (KITTI format)")
    k.add_argument("est", help="estimated poses (KITTI format)")
    k.add_argument("--precision", default="devkit", choices=["devkit", "double"],
                   help="devkit: float32 bit-exact emulation (default); double: float64")
    k.add_argument("--json", default=None, metavar="OUT.json", help="write the numbers as JSON")
    k.set_defaults(func=_run_kitti, est_format=None)
