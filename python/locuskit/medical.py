"""Medical segmentation metrics for 2D/3D binary masks with anisotropic voxel spacing: Dice,
Hausdorff distance (max and 95th percentile), average (symmetric) surface distance and normalized
surface Dice, equal to MONAI 1.5 (``convention="monai"``, the default) or medpy 0.5.2
(``convention="medpy"``).

Both peers measure between **surface voxels** (``mask XOR erosion(mask)`` with the face-connected
cross, the grid border counting as background) with an **exact** Euclidean distance transform in
physical units (``spacing``); locuskit lists the surfaces in C++ and finds, for each surface voxel
only, its exact nearest voxel of the other surface (a cell-grid search, several threads; the same
values as the EDT bit for bit) and applies each peer's reductions:

============  =====================================  ======================================
              MONAI (default)                        medpy
============  =====================================  ======================================
values        float32 (distances rounded to float32) float64
HD95          max of the two directed 95th           95th percentile of both directions
              percentiles (linear, float32)          pooled (``np.percentile``)
ASSD          mean of both directions pooled         the same, float64
Dice          GT empty -> NaN (``ignore_empty``)     both empty -> 1.0, one empty -> 0.0
empty masks   HD/ASSD inf, HD95 NaN, NSD 0, both     ValueError (medpy raises RuntimeError)
              empty -> NaN
============  =====================================  ======================================

Why MONAI is the default: it is the reference of current medical segmentation challenges and
pipelines, it defines every metric for every input (no exception mid-dataset) and its HD95 is the
symmetric definition (max of directed percentiles). Its one trap, kept for parity: with one empty
mask HD95 is NaN (MONAI issue #9095), which NaN-skipping means silently drop -- check
``surface_distances`` or HD (inf) for such cases.
"""
from __future__ import annotations

import numpy as np

from ._arrays import as_array
from ._core import mask as _mask

__all__ = ["average_surface_distance", "dice", "evaluate", "hausdorff_distance", "normalized_surface_dice",
           "surface_distances"]

CONVENTIONS = ("monai", "medpy")


def _binary(x, name):
    a = as_array(x, name)
    if a.dtype != np.bool_:
        if a.dtype.kind not in "iub" and a.dtype.kind != "f":
            raise TypeError(f"{name}: dtype {a.dtype} is not supported; pass a bool or 0/1 mask")
        if a.size and not np.isin(a, (0, 1)).all():
            bad = a[~np.isin(a, (0, 1))].flat[0]
            raise ValueError(f"{name}: mask is not binary (found value {bad}); pass 0/1 or bool")
        a = a.astype(np.bool_)
    if a.ndim not in (2, 3):
        raise ValueError(f"{name}: expected a 2-D or 3-D mask, got shape {a.shape}")
    return np.ascontiguousarray(a)


def _pair(pred, gt, spacing):
    p, g = _binary(pred, "pred"), _binary(gt, "gt")
    if p.shape != g.shape:
        raise ValueError(f"pred and gt have different shapes: {p.shape} vs {g.shape}")
    if spacing is None:
        sp = np.ones(p.ndim)
    else:
        sp = np.asarray(spacing, dtype=np.float64).reshape(-1)
        if sp.size == 1:
            sp = np.full(p.ndim, sp[0])
        if sp.size != p.ndim:
            raise ValueError(f"spacing: expected {p.ndim} values (one per axis), got {sp.size}")
        if not (np.isfinite(sp).all() and (sp > 0).all()):
            raise ValueError(f"spacing must be finite and > 0, got {sp.tolist()}")
    return p, g, np.ascontiguousarray(sp)


def _check(convention):
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def surface_distances(pred, gt, spacing=None, connectivity: int = 1):
    """``(pred -> gt, gt -> pred)`` float64 distances from every surface voxel of one mask (C order)
    to the nearest surface voxel of the other; ``inf`` for each when the other mask is empty.
    ``connectivity=1`` is the face-connected erosion of MONAI and medpy, ``connectivity=ndim`` the
    full cube (medpy's ``connectivity`` argument)."""
    p, g, sp = _pair(pred, gt, spacing)
    if connectivity not in (1, p.ndim):
        raise ValueError(f"connectivity must be 1 or {p.ndim} (intermediate connectivities are not supported)")
    return _mask.surface_distances(p, g, sp, connectivity == p.ndim and p.ndim > 1)


def _monai_directed(d_from, d_other):
    # MONAI get_surface_distance: an empty 'from' surface facing a non-empty one yields one inf per
    # voxel of the other surface (not an empty list).
    if d_from.size == 0 and d_other.size:
        return np.full(d_other.size, np.inf, np.float32)
    return d_from.astype(np.float32)


def _torch_quantile(d32: np.ndarray, q: float) -> np.float32:
    """torch.quantile(d, q) (linear) in float32, as MONAI 1.5 calls it."""
    if d32.size == 0:
        return np.float32(np.nan)
    v = np.sort(d32)
    rank = np.float32(q) * np.float32(v.size - 1)
    lo = int(np.floor(rank))
    hi = int(np.ceil(rank))
    w = np.float32(rank - np.float32(lo))
    a, b = v[lo], v[hi]
    with np.errstate(invalid="ignore"):
        return np.float32(a + w * (b - a)) if w < 0.5 else np.float32(b - (b - a) * (np.float32(1) - w))


def _distances(pred, gt, spacing, convention, connectivity=1):
    _check(convention)
    p, g, sp = _pair(pred, gt, spacing)
    if connectivity not in (1, p.ndim):
        raise ValueError(f"connectivity must be 1 or {p.ndim} (intermediate connectivities are not supported)")
    d_pg, d_gp = _mask.surface_distances(p, g, sp, connectivity == p.ndim and p.ndim > 1)
    if convention == "medpy":
        if not p.any():
            raise ValueError("The first supplied array does not contain any binary object.")
        if not g.any():
            raise ValueError("The second supplied array does not contain any binary object.")
        return d_pg, d_gp
    return _monai_directed(d_pg, d_gp), _monai_directed(d_gp, d_pg)


def dice(pred, gt, convention: str = "monai", ignore_empty: bool = True) -> float:
    """Dice ``2|A and B| / (|A| + |B|)``. MONAI: float32, GT empty -> NaN with ``ignore_empty``
    (else 1.0 if the prediction is empty too, 0.0 otherwise). medpy: float64, both empty -> 1.0."""
    _check(convention)
    p, g, _ = _pair(pred, gt, None)
    inter, sp, sg = int(np.count_nonzero(p & g)), int(np.count_nonzero(p)), int(np.count_nonzero(g))
    if convention == "medpy":
        return 1.0 if sp + sg == 0 else 2.0 * inter / float(sp + sg)
    if sg == 0 and ignore_empty:
        return float("nan")
    den = np.float32(sg) + np.float32(sp)
    if den == 0:
        return 1.0
    return float(np.float32(np.float32(2.0) * np.float32(inter)) / den)


def hausdorff_distance(pred, gt, spacing=None, percentile: float | None = None, directed: bool = False,
                       convention: str = "monai", connectivity: int = 1) -> float:
    """Hausdorff distance (``percentile=None``) or its percentile variant (``95`` for HD95)."""
    if percentile is not None and not 0 <= percentile <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {percentile}")
    d1, d2 = _distances(pred, gt, spacing, convention, connectivity)
    if convention == "medpy":
        if percentile is None:
            return float(max(d1.max(), d2.max())) if not directed else float(d1.max())
        both = d1 if directed else np.hstack((d1, d2))
        return float(np.percentile(both, percentile))

    def one(d):
        if d.size == 0:
            return np.float32(np.nan)
        return d.max() if percentile is None else _torch_quantile(d, percentile / 100)

    if directed:
        return float(one(d1))
    a, b = one(d1), one(d2)
    return float("nan") if np.isnan(a) or np.isnan(b) else float(max(a, b))


def average_surface_distance(pred, gt, spacing=None, symmetric: bool = True, convention: str = "monai",
                             connectivity: int = 1) -> float:
    """Mean surface distance: both directions pooled (ASSD, ``symmetric=True``) or pred -> gt."""
    d1, d2 = _distances(pred, gt, spacing, convention, connectivity)
    d = np.concatenate([d1, d2]) if symmetric else d1
    if d.size == 0:
        return float("nan")
    return float(np.mean(d))


def normalized_surface_dice(pred, gt, tolerance: float, spacing=None) -> float:
    """Normalized surface Dice at ``tolerance`` (MONAI ``compute_surface_dice``, without
    sub-voxel edges): surface voxels within the tolerance (``<=``) of the other surface, over all
    surface voxels; 0/0 -> NaN, one mask empty -> 0."""
    d1, d2 = _distances(pred, gt, spacing, "monai")
    total = d1.size + d2.size
    if total == 0:
        return float("nan")
    tau = np.float32(tolerance)
    return float(np.float32((np.count_nonzero(d1 <= tau) + np.count_nonzero(d2 <= tau)) / total))


def evaluate(pred, gt, spacing=None, tolerance: float = 1.0, convention: str = "monai") -> dict:
    """Every metric of this module for one pair, as a dict of floats (medpy: empty masks give
    ``None`` for the surface metrics instead of raising)."""
    out = {"dice": dice(pred, gt, convention)}
    try:
        out["hd"] = hausdorff_distance(pred, gt, spacing, convention=convention)
        out["hd95"] = hausdorff_distance(pred, gt, spacing, percentile=95, convention=convention)
        out["assd"] = average_surface_distance(pred, gt, spacing, convention=convention)
    except ValueError:
        if convention != "medpy":
            raise
        out.update(hd=None, hd95=None, assd=None)
    out["nsd"] = normalized_surface_dice(pred, gt, tolerance, spacing)
    return out
