"""``locuskit eval semseg|medical|panoptic``: pixel-wise evaluation from files.

Registered under the ``eval`` command that ``_cli/eval.py`` creates (modules register in name
order, so ``eval`` exists when this runs). Results go to stdout, details (``-v``) and warnings to
stderr through ``Log``, as the other ``eval`` commands do.
"""
from __future__ import annotations

import json
import math
import pathlib
import time

from ._log import Log, add_eval_command, add_usability

_EXTS = (".png", ".npy", ".nii", ".nii.gz")


def _stem(path: pathlib.Path) -> str:
    name = path.name
    for ext in _EXTS:
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return path.stem


def read_label_map(path) -> tuple[np.ndarray, tuple | None]:
    """(array, spacing or None) of a .png (Pillow), .npy or .nii/.nii.gz (nibabel) file."""
    import numpy as np  # imported when used: the command line starts without NumPy

    path = pathlib.Path(path)
    name = path.name.lower()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        if name.endswith(".npy"):
            return np.load(path, allow_pickle=False), None
        if name.endswith(".png"):
            from PIL import Image

            with Image.open(path) as im:
                if im.mode not in ("L", "P", "I", "I;16", "1"):
                    raise ValueError(f"{path}: PNG mode {im.mode} is not a single-channel label map")
                return np.array(im), None
        if name.endswith(".nii") or name.endswith(".nii.gz"):
            try:
                import nibabel
            except ImportError as exc:
                raise ValueError(f"{path}: reading NIfTI needs nibabel (Debian: python3-nibabel)") from exc
            img = nibabel.load(str(path))
            return np.asanyarray(img.dataobj), tuple(float(z) for z in img.header.get_zooms()[:3])
    except (OSError, SyntaxError) as exc:  # Pillow / numpy on a corrupt file
        raise ValueError(f"{path}: cannot be read ({exc})") from exc
    raise ValueError(f"{path}: unsupported file type (use {', '.join(_EXTS)})")


def _fmt(v) -> str:
    return "     -" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:6.2f}"


def _json_value(v):
    import numpy as np  # imported when used: the command line starts without NumPy

    if isinstance(v, np.ndarray):
        return [_json_value(x) for x in v.tolist()]
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else ("inf" if math.isinf(f) else f)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _run_semseg(args) -> int:
    from locuskit import semseg

    log = Log(args)
    t0 = time.perf_counter()
    pred_dir, gt_dir = pathlib.Path(args.pred_dir), pathlib.Path(args.gt_dir)
    for d in (pred_dir, gt_dir):
        if not d.is_dir():
            raise FileNotFoundError(f"{d}: not a directory")
    gts = {_stem(p): p for p in sorted(gt_dir.iterdir()) if p.name.lower().endswith(_EXTS)}
    preds = {_stem(p): p for p in sorted(pred_dir.iterdir()) if p.name.lower().endswith(_EXTS)}
    if not gts:
        raise ValueError(f"{gt_dir}: no label maps ({', '.join(_EXTS)})")
    missing = sorted(set(gts) - set(preds))
    if missing:
        raise ValueError(f"{pred_dir}: no prediction for {len(missing)} ground-truth file(s), e.g. {missing[0]}")
    extra = sorted(set(preds) - set(gts))
    if extra:
        log.warn(f"{pred_dir}: {len(extra)} prediction(s) without ground truth left out, e.g. {preds[extra[0]].name}")
    log.info(f"{len(gts)} image pairs, {args.num_classes} classes, ignore index {args.ignore_index}, "
             f"convention {args.convention}")
    ignore = None if args.ignore_index < 0 else args.ignore_index
    metric = semseg.SegmentationMetric(args.num_classes, ignore, args.reduce_zero_label)
    for key, gt_path in gts.items():
        gt, _ = read_label_map(gt_path)
        pred, _ = read_label_map(preds[key])
        if pred.shape != gt.shape:
            raise ValueError(f"{preds[key]}: shape {pred.shape} differs from {gt_path} {gt.shape}")
        metric.update(pred, gt)
    res = metric.compute(args.convention)
    log.info(f"read and accumulated in {time.perf_counter() - t0:.3f} s")
    out = {"images": metric.num_images, "num_classes": args.num_classes, "convention": args.convention,
           **_json_value(res), "confusion_matrix": metric.matrix.tolist(), "warnings": log.warnings}
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1))
    if args.plot:
        _plot_semseg(args.plot, metric, res, args.convention)
    if args.convention in ("mmseg", "mmseg0"):
        pc = res["per_class"]
        log.out(f"{'class':>6} {'IoU':>6} {'Acc':>6} {'Dice':>6}")
        for c in range(args.num_classes):
            log.out(f"{c:>6} " + " ".join(_fmt(100 * float(pc[k][c])) for k in ("IoU", "Acc", "Dice")))
        log.out("  ".join(f"{k} {float(v):.2f}" for k, v in res["summary"].items()))
    elif args.convention == "confusion":
        log.out(f"{'class':>6} {'IoU':>6} {'Acc':>6} {'Dice':>6}")
        for c in range(args.num_classes):
            log.out(f"{c:>6} " + " ".join(_fmt(100 * float(res[k][c])) for k in ("iou", "class_acc", "dice")))
        log.out(f"pixel acc {100 * res['pixel_acc']:.2f}  mean acc {100 * res['mean_acc']:.2f}  "
                f"mIoU {100 * res['miou']:.2f}  fwIoU {100 * res['fwiou']:.2f}")
    else:
        log.out(f"MeanIoU {100 * res['MeanIoU']:.2f}")
    return 0


def _plot_semseg(path, metric, res, convention) -> None:
    """Per-class IoU bars and the row-normalised confusion matrix as one PNG/PDF (matplotlib)."""
    import numpy as np  # imported when used: the command line starts without NumPy

    from locuskit.plotting import save, series_colors, style

    if convention in ("mmseg", "mmseg0"):
        iou = np.asarray(res["per_class"]["IoU"], np.float64)
    elif convention == "confusion":
        iou = np.asarray(res["iou"], np.float64)
    else:
        iou = np.asarray(res["MeanIoU_per_class"], np.float64)
    cm = metric.matrix.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        cm_norm = cm / cm.sum(axis=1, keepdims=True)
    c = metric.num_classes
    with style():  # locuskit's look (locuskit.plotting)
        from locuskit.plotting import pyplot

        fig, (a, b) = pyplot().subplots(1, 2, figsize=(12, 5))
        a.bar(np.arange(c), np.nan_to_num(iou) * 100, color=series_colors(1)[0])
        a.set_xlabel("class")
        a.set_ylabel("IoU (%)")
        a.set_title(f"per-class IoU ({convention})")
        im = b.imshow(cm_norm, cmap="viridis", vmin=0, vmax=1)
        b.grid(False)
        b.set_xlabel("prediction")
        b.set_ylabel("ground truth")
        b.set_title("confusion matrix (rows normalised)")
        fig.colorbar(im, ax=b)
        fig.tight_layout()
    save(fig, path)


def _run_medical(args) -> int:
    from locuskit import medical

    log = Log(args)
    t0 = time.perf_counter()
    pred, sp_pred = read_label_map(args.pred)
    gt, sp_gt = read_label_map(args.gt)
    spacing = args.spacing or sp_gt or sp_pred
    if args.spacing:
        source = "--spacing"
    elif spacing:
        source = f"the NIfTI header of {args.gt if sp_gt else args.pred}"
    else:
        source = "nowhere (1 per axis)"
    log.info(f"shape {tuple(gt.shape)}, spacing {spacing} from {source}, tolerance {args.tolerance}, "
             f"convention {args.convention}")
    if pred.shape != gt.shape:
        raise ValueError(f"{args.pred}: shape {pred.shape} differs from {args.gt} {gt.shape}")
    if spacing is not None:
        spacing = tuple(spacing)[: gt.ndim]
    res = medical.evaluate(pred, gt, spacing, args.tolerance, args.convention)
    log.info(f"read and evaluated in {time.perf_counter() - t0:.3f} s")
    out = {"pred": str(args.pred), "gt": str(args.gt), "spacing": spacing, "convention": args.convention,
           "tolerance": args.tolerance, **_json_value(res)}
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1))
    for k in ("dice", "hd", "hd95", "assd", "nsd"):
        v = res[k]
        log.out(f"{k:>5} {'-' if v is None else f'{v:.6g}'}")
    return 0


def _run_panoptic(args) -> int:
    from locuskit import panoptic

    log = Log(args)
    t0 = time.perf_counter()
    res = panoptic.pq_compute(args.gt_json, args.pred_json, args.gt_dir, args.pred_dir, args.process_split)
    log.info(f"{len(res['per_class'])} categories (things {res['Things']['n']}, stuff {res['Stuff']['n']}), "
             f"process split {args.process_split}, {time.perf_counter() - t0:.3f} s")
    if args.json:
        out = {k: ({str(c): v for c, v in res[k].items()} if k in ("per_class", "per_category_counts") else res[k])
               for k in res}
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1))
    log.out(f"{'':10}{'PQ':>8}{'SQ':>8}{'RQ':>8}{'N':>5}")
    for name in ("All", "Things", "Stuff"):
        r = res[name]
        log.out(f"{name:10}{100 * r['pq']:8.3f}{100 * r['sq']:8.3f}{100 * r['rq']:8.3f}{r['n']:5d}")
    log.out("per class:")
    for c, r in res["per_class"].items():
        log.out(f"{c:>10}{100 * r['pq']:8.3f}{100 * r['sq']:8.3f}{100 * r['rq']:8.3f}")
    return 0


def register(sub) -> None:
    p = add_eval_command(sub, "semseg", help="semantic segmentation: confusion matrix, per-class IoU/Acc/Dice, mIoU")
    p.add_argument("pred_dir", help="directory of predicted label maps (.png / .npy / .nii[.gz])")
    p.add_argument("gt_dir", help="directory of ground-truth label maps, matched to predictions by file name")
    p.add_argument("--num-classes", type=int, required=True)
    p.add_argument("--ignore-index", type=int, default=255, help="GT label to skip (default 255; -1: none)")
    p.add_argument("--reduce-zero-label", action="store_true", help="mmseg: GT 0 -> ignored, k -> k-1")
    p.add_argument("--convention", default="mmseg", choices=["mmseg", "mmseg0", "confusion", "torchmetrics"])
    p.add_argument("--json", help="write every number (and the confusion matrix) to this JSON file")
    p.add_argument("--plot", help="write per-class IoU bars and the confusion-matrix heat map to this image")
    add_usability(p)
    p.set_defaults(func=_run_semseg)
    m = add_eval_command(sub, "medical", help="Dice, Hausdorff (max, 95%%), ASSD, NSD of two binary masks")
    m.add_argument("pred", help="predicted mask (.npy / .png / .nii[.gz])")
    m.add_argument("gt", help="ground-truth mask")
    m.add_argument("--spacing", type=float, nargs="+", help="voxel spacing per axis (default: NIfTI header or 1)")
    m.add_argument("--tolerance", type=float, default=1.0, help="normalized surface Dice tolerance (default 1)")
    m.add_argument("--convention", default="monai", choices=["monai", "medpy"])
    m.add_argument("--json", help="write the numbers to this JSON file")
    add_usability(m)
    m.set_defaults(func=_run_medical)
    q = add_eval_command(sub, "panoptic", help="panoptic quality (PQ/SQ/RQ) of COCO panoptic PNG+JSON, as panopticapi")
    q.add_argument("gt_json")
    q.add_argument("gt_dir")
    q.add_argument("pred_json")
    q.add_argument("pred_dir")
    q.add_argument("--process-split", type=int, default=1,
                   help="reproduce panopticapi's per-process summation order (its cpu_count)")
    q.add_argument("--json", help="write the results to this JSON file")
    add_usability(q)
    q.set_defaults(func=_run_panoptic)
