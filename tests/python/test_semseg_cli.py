"""``locuskit eval semseg`` and ``locuskit eval medical`` end to end on fixture files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA
from locuskit.cli import main

SEM = json.loads((DATA / "masks" / "semantic_expected.json").read_text())["cases"]
LABELS = np.load(DATA / "masks" / "semantic_labels.npz")
MED = json.loads((DATA / "masks" / "medical_expected.json").read_text())["cases"]
VOLS = np.load(DATA / "masks" / "medical_volumes.npz")


def _write_case(tmp_path, name, fmt):
    pred_dir, gt_dir = tmp_path / "pred", tmp_path / "gt"
    pred_dir.mkdir()
    gt_dir.mkdir()
    for i in range(SEM[name]["images"]):
        for d, key in ((pred_dir, "pred"), (gt_dir, "gt")):
            a = LABELS[f"{name}.{key}{i}"]
            if fmt == "png":
                from PIL import Image

                Image.fromarray(a).save(d / f"img{i}.png")
            else:
                np.save(d / f"img{i}.npy", a)
    return pred_dir, gt_dir


@pytest.mark.parametrize("fmt", ["png", "npy"])
def test_semseg_cli_matches_mmseg(tmp_path, capsys, fmt):
    name = "ignore_255"
    pred_dir, gt_dir = _write_case(tmp_path, name, fmt)
    out_json = tmp_path / "out.json"
    plot = tmp_path / "plot.png"
    rc = main(["eval", "semseg", str(pred_dir), str(gt_dir), "--num-classes", str(SEM[name]["num_classes"]),
               "--ignore-index", "255", "--json", str(out_json)] + (["--plot", str(plot)] if fmt == "png" else []))
    assert rc == 0
    if fmt == "png":
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = json.loads(out_json.read_text())
    assert res["confusion_matrix"] == SEM[name]["confusion_matrix_gt_rows"]
    assert res["summary"]["mIoU"] == SEM[name]["mmseg_1x"]["summary_rounded"]["mIoU"]
    text = capsys.readouterr().out
    assert "mIoU" in text and "IoU" in text.splitlines()[0]


def test_semseg_cli_errors(tmp_path, capsys):
    pred_dir, gt_dir = _write_case(tmp_path, "basic", "npy")
    np.save(pred_dir / "img0.npy", np.zeros((3, 3), np.uint8))
    assert main(["eval", "semseg", str(pred_dir), str(gt_dir), "--num-classes", "6"]) == 1
    assert "shape" in capsys.readouterr().err
    (pred_dir / "img1.npy").unlink()
    assert main(["eval", "semseg", str(pred_dir), str(gt_dir), "--num-classes", "6"]) == 1
    assert "no prediction" in capsys.readouterr().err
    (gt_dir / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    np.save(pred_dir / "img1.npy", LABELS["basic.pred1"])
    (pred_dir / "bad.png").write_bytes(b"garbage")
    np.save(pred_dir / "img0.npy", LABELS["basic.pred0"])
    assert main(["eval", "semseg", str(pred_dir), str(gt_dir), "--num-classes", "6"]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_medical_cli(tmp_path, capsys):
    name = "2d.discs_offset_spacing"
    c = MED[name]
    for which in ("pred", "gt"):
        m = np.unpackbits(VOLS[f"{name}.{which}"])[: int(np.prod(c["shape"]))].reshape(c["shape"])
        np.save(tmp_path / f"{which}.npy", m.astype(np.uint8))
    out_json = tmp_path / "m.json"
    rc = main(["eval", "medical", str(tmp_path / "pred.npy"), str(tmp_path / "gt.npy"), "--spacing",
               *map(str, c["spacing"]), "--json", str(out_json)])
    assert rc == 0
    res = json.loads(out_json.read_text())
    assert res["hd"] == c["monai"]["hd"] and res["hd95"] == c["monai"]["hd95"]
    assert "hd95" in capsys.readouterr().out
    np.save(tmp_path / "bad.npy", np.full(c["shape"], 3, np.uint8))
    assert main(["eval", "medical", str(tmp_path / "bad.npy"), str(tmp_path / "gt.npy")]) == 1
    assert "not binary" in capsys.readouterr().err


def test_medical_cli_nifti_spacing_from_header(tmp_path, capsys):
    nibabel = pytest.importorskip("nibabel")
    name = "3d.ellipsoids_aniso"
    c = MED[name]
    for which in ("pred", "gt"):
        m = np.unpackbits(VOLS[f"{name}.{which}"])[: int(np.prod(c["shape"]))].reshape(c["shape"])
        img = nibabel.Nifti1Image(m.astype(np.uint8), np.diag(list(c["spacing"]) + [1.0]))
        nibabel.save(img, str(tmp_path / f"{which}.nii.gz"))
    out_json = tmp_path / "m.json"
    rc = main(["eval", "medical", str(tmp_path / "pred.nii.gz"), str(tmp_path / "gt.nii.gz"), "--json", str(out_json)])
    assert rc == 0
    res = json.loads(out_json.read_text())
    assert res["spacing"] == pytest.approx(c["spacing"], rel=1e-7)  # NIfTI stores float32 zooms
    assert res["hd95"] == pytest.approx(c["monai"]["hd95"], rel=1e-6) and res["dice"] == c["monai"]["dice"]


def test_semseg_and_medical_quiet_and_verbose(tmp_path, capsys):
    """-q prints nothing (the JSON is still written), -v adds details on stderr, the table stays on stdout."""
    pred_dir, gt_dir = _write_case(tmp_path, "ignore_255", "npy")
    np.save(pred_dir / "extra.npy", LABELS["ignore_255.pred0"])  # a prediction without GT: a warning
    argv = ["eval", "semseg", str(pred_dir), str(gt_dir), "--num-classes", str(SEM["ignore_255"]["num_classes"])]
    assert main(argv) == 0
    plain = capsys.readouterr()
    warning = f"{pred_dir}: 1 prediction(s) without ground truth left out, e.g. extra.npy"
    assert "mIoU" in plain.out and plain.err == f"warning: {warning}\n"
    out_json = tmp_path / "q.json"
    for flag in ("-q", "--quiet", "--silent"):
        assert main(argv + [flag, "--json", str(out_json)]) == 0
        assert capsys.readouterr() == ("", "")
        res = json.loads(out_json.read_text())
        assert res["summary"]["mIoU"] == SEM["ignore_255"]["mmseg_1x"]["summary_rounded"]["mIoU"]
        assert res["warnings"] == [warning]
    assert main(argv + ["-v"]) == 0
    verbose = capsys.readouterr()
    assert verbose.out == plain.out
    assert f"{SEM['ignore_255']['images']} image pairs, {SEM['ignore_255']['num_classes']} classes" in verbose.err

    name = "2d.discs_offset_spacing"
    c = MED[name]
    for which in ("pred", "gt"):
        m = np.unpackbits(VOLS[f"{name}.{which}"])[: int(np.prod(c["shape"]))].reshape(c["shape"])
        np.save(tmp_path / f"{which}.npy", m.astype(np.uint8))
    argv = ["eval", "medical", str(tmp_path / "pred.npy"), str(tmp_path / "gt.npy"),
            "--spacing", *map(str, c["spacing"])]
    assert main(argv + ["-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(argv) == 0
    plain = capsys.readouterr()
    assert "hd95" in plain.out and plain.err == ""
    assert main(argv + ["-v"]) == 0
    verbose = capsys.readouterr()
    assert verbose.out == plain.out and "spacing" in verbose.err and "from --spacing" in verbose.err
