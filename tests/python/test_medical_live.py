"""locuskit.medical against MONAI and medpy run live on random 2-D and 3-D mask pairs (fixed seed),
beyond the stored fixtures of test_medical.py: blobs, noise, thin shells, touching borders,
anisotropic spacing.

Neither peer is a Debian package: put their public source trees beside each other (MONAI's
metric modules import with Debian's torch and scipy; medpy is pure Python on scipy) and point
LOCUSKIT_PEERS at the folder holding ``MONAI/`` and ``medpy/`` (default: <work>/peers; see
bench/setup-peers). Each peer's tests are skipped without it, saying so."""
from __future__ import annotations

import importlib
import math
import os
import pathlib
import sys
import warnings

import numpy as np
import pytest

from conftest import ROOT
from locuskit import medical


def _peer(folder, module):
    roots = [os.environ.get("LOCUSKIT_PEERS")] + [str(p / "peers") for p in (ROOT.parent, ROOT.parent.parent)]
    for r in roots:
        if r and (pathlib.Path(r) / folder).is_dir():
            path = str(pathlib.Path(r) / folder)
            if path not in sys.path:
                sys.path.append(path)
            break
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a peer that does not import is a peer that is absent
        return None


MONAI = _peer("MONAI", "monai.metrics")
MEDPY = _peer("medpy", "medpy.metric.binary")
torch = pytest.importorskip("torch")


def random_pair(rng):
    ndim = int(rng.integers(2, 4))
    shape = tuple(int(s) for s in rng.integers(6, 40 if ndim == 2 else 18, size=ndim))
    kind = rng.choice(["blobs", "noise", "shell", "border"])
    grids = np.indices(shape).astype(np.float64)

    def blob():
        c = [rng.uniform(0, s) for s in shape]
        r = [rng.uniform(1.5, max(2.0, s / 2)) for s in shape]
        return sum(((g - ci) / ri) ** 2 for g, ci, ri in zip(grids, c, r)) <= 1

    if kind == "noise":
        a, b = rng.random(shape) < 0.3, rng.random(shape) < 0.3
    elif kind == "shell":
        a = blob()
        b = a & ~blob()
    elif kind == "border":
        a, b = np.zeros(shape, bool), np.zeros(shape, bool)
        a[(slice(0, shape[0] // 2),)] = True  # touches the volume border: border value 0 in the erosion
        b[(slice(shape[0] // 3, None),)] = True
    else:
        a, b = blob() | blob(), blob()
    a.flat[int(rng.integers(a.size))] = True
    b.flat[int(rng.integers(b.size))] = True
    spacing = tuple(float(s) for s in rng.choice([0.5, 0.8, 1.0, 1.5, 2.5], size=ndim))
    return a, b, spacing


CASES = [random_pair(np.random.default_rng(1000 + k)) for k in range(40)]


def _t(m):
    return torch.from_numpy(m[None, None].astype(np.float32))


def _same(ours, peer, rtol):
    if math.isnan(peer):
        return math.isnan(ours)
    return ours == pytest.approx(peer, rel=rtol, abs=0)


@pytest.mark.skipif(MONAI is None, reason="MONAI source not found (LOCUSKIT_PEERS=<dir with MONAI/>)")
@pytest.mark.parametrize("k", range(len(CASES)))
def test_monai_live(k):
    p, g, sp = CASES[k]
    P, G = _t(p), _t(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = {
            "dice": float(MONAI.compute_dice(P, G, include_background=True)[0, 0]),
            "hd": float(MONAI.compute_hausdorff_distance(P, G, include_background=True, spacing=sp)[0, 0]),
            "hd95": float(MONAI.compute_hausdorff_distance(P, G, include_background=True, percentile=95,
                                                           spacing=sp)[0, 0]),
            "assd": float(MONAI.compute_average_surface_distance(P, G, include_background=True, symmetric=True,
                                                                 spacing=sp)[0, 0]),
            "nsd": float(MONAI.compute_surface_dice(P, G, [1.5], include_background=True, spacing=sp)[0, 0]),
        }
    ours = {
        "dice": medical.dice(p, g),
        "hd": medical.hausdorff_distance(p, g, sp),
        "hd95": medical.hausdorff_distance(p, g, sp, percentile=95),
        "assd": medical.average_surface_distance(p, g, sp),
        "nsd": medical.normalized_surface_dice(p, g, 1.5, sp),
    }
    for key, v in ours.items():
        # float32 like MONAI; the mean's float32 summation order differs from torch's
        assert _same(v, ref[key], 1e-6 if key == "assd" else 0), (key, v, ref[key])


@pytest.mark.skipif(MEDPY is None, reason="medpy source not found (LOCUSKIT_PEERS=<dir with medpy/>)")
@pytest.mark.parametrize("k", range(len(CASES)))
def test_medpy_live(k):
    p, g, sp = CASES[k]
    assert medical.dice(p, g, convention="medpy") == MEDPY.dc(p, g)
    for ours, ref in (
        (medical.hausdorff_distance(p, g, sp, convention="medpy"), MEDPY.hd(p, g, sp)),
        (medical.hausdorff_distance(p, g, sp, percentile=95, convention="medpy"), MEDPY.hd95(p, g, sp)),
        (medical.average_surface_distance(p, g, sp, convention="medpy"), MEDPY.assd(p, g, sp)),
        (medical.average_surface_distance(p, g, sp, symmetric=False, convention="medpy"), MEDPY.asd(p, g, sp)),
    ):
        assert ours == pytest.approx(ref, rel=1e-12, abs=0)
