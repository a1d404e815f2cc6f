"""Reports of ``locuskit eval``: plots that read at 1, 74 and 1000 classes, the per-category x
area table (against pycocotools), warnings and -q/-v, and the self-contained ``--html`` page
(rendered by headless Chromium)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import DATA, ROOT

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from locuskit import plotting  # noqa: E402
from locuskit.cli import main  # noqa: E402

SAMPLE = ROOT / "examples" / "data" / "coco_val2014_100"
GT = SAMPLE / "instances_val2014_100.json"
DT = SAMPLE / "instances_val2014_fakebbox100_results.json"
COUNTS = json.loads((DATA / "eval" / "report" / "coco_input_counts.json").read_text())


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "locuskit", *map(str, args)], capture_output=True, text=True)


def _curves(n, seed=0):
    """n classes with random detector outputs: recall/precision as VOC computes them (the first
    detection may be a false positive: recall 0, precision 0)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        npos = int(rng.integers(1, 60))
        tp = rng.random(int(rng.integers(1, 80))) < rng.uniform(0.2, 0.9)
        tp[0] = k % 3 != 0  # every third class starts with a false positive
        ctp = np.cumsum(tp)
        recall = ctp / npos
        precision = ctp / np.arange(1, tp.size + 1)
        out.append(plotting.PRCurve(f"class_{k:04d}_with_a_long_name", recall, precision,
                                    float(rng.uniform(0, 1)), npos))
    return out


def _check_figure(fig, curves, top_k=8):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("pr:")]
    assert 1 <= len(lines) <= top_k + 1
    # no two shown series share a colour
    colors = [matplotlib.colors.to_rgba(ln.get_color()) for ln in lines]
    assert len(set(colors)) == len(colors)
    # every class curve starts at the first recall the class reaches, never at (0, 0)
    by_label = {c.label: c for c in curves}
    for ln in lines:
        label = ln.get_gid()[3:]
        x = ln.get_xdata()
        if label == "others":
            assert x[0] > 0
            continue
        r = np.asarray(by_label[label].recall)
        assert x[0] == r[r > 0][0]
    # legends sit outside every axes
    for a in fig.axes:
        leg = a.get_legend()
        if leg is None:
            continue
        lb = leg.get_window_extent(renderer)
        for other in fig.axes:
            assert not lb.overlaps(other.get_window_extent(renderer)), "legend over an axes"
    # the title fits the figure
    title = fig._suptitle
    assert title is not None
    assert title.get_window_extent(renderer).width <= fig.bbox.width


@pytest.mark.parametrize("n", [1, 74, 1000])
def test_pr_figure_reads_at_any_class_count(n):
    curves = _curves(n, seed=n)
    title = "VOC precision-recall\n" + "/very/long/path/" * 30 + "detections_of_a_model_with_a_long_name.json"
    fig = plotting.pr_figure(curves, title)
    _check_figure(fig, curves)
    assert len(fig.axes) == (1 if n == 1 else 2)
    if n > 8:
        assert any(ln.get_gid() == "pr:others" for ln in fig.axes[0].get_lines())
        # the drawn classes are those with the most GT
        drawn = {ln.get_gid()[3:] for ln in fig.axes[0].get_lines() if ln.get_gid() not in (None, "pr:others")}
        most = sorted(curves, key=lambda c: (-c.n_gt, -c.ap, c.label))[:8]
        assert drawn == {c.label for c in most}
    plotting.pyplot().close(fig)


def test_series_colors_distinct_and_perceptual():
    for n in (1, 2, 10, 74, 200):
        c = plotting.series_colors(n)
        assert len(c) == n and len(set(c)) == n
    viridis = matplotlib.colormaps["viridis"]
    assert plotting.series_colors(2)[0] == tuple(float(v) for v in viridis(0.0))


def test_shorten_elides_long_paths():
    p = "/a/" + "b" * 100 + "/results.json"
    assert plotting.shorten(p, 40) == "results.json"
    s = plotting.shorten("x" * 100, 21)
    assert len(s) == 21 and "…" in s
    assert plotting.shorten("short", 40) == "short"


def _voc_folders(tmp_path, n_classes, seed=0):
    """A VOC text fixture with n_classes classes: random GT boxes, detections = jittered GT plus
    false positives."""
    rng = np.random.default_rng(seed)
    g, d = tmp_path / "gt", tmp_path / "det"
    g.mkdir()
    d.mkdir()
    for i in range(40):
        gl, dl = [], []
        for _ in range(int(rng.integers(1, 12))):
            c = f"c{int(rng.integers(0, n_classes)):03d}"
            x, y = rng.uniform(0, 400, 2)
            w, h = rng.uniform(10, 100, 2)
            gl.append(f"{c} {x:.1f} {y:.1f} {w:.1f} {h:.1f}")
            if rng.random() < 0.8:
                j = rng.normal(0, 4, 4)
                dl.append(f"{c} {rng.uniform(0.3, 1):.3f} {x + j[0]:.1f} {y + j[1]:.1f} {w + j[2]:.1f} {h + j[3]:.1f}")
            if rng.random() < 0.5:
                dl.append(f"{c} {rng.uniform(0, 0.9):.3f} {rng.uniform(0, 400):.1f} {rng.uniform(0, 400):.1f} 30 30")
        (g / f"im{i:03d}.txt").write_text("\n".join(gl) + "\n")
        (d / f"im{i:03d}.txt").write_text("\n".join(dl) + "\n")
    return g, d


def test_cli_voc_plot_74_classes(tmp_path, monkeypatch, capsys):
    """The figure `eval voc --plot` writes with 74 classes: legend outside, no repeated colour,
    curves from the first recall, title fits (issue 13: the old plot failed each of these)."""
    g, d = _voc_folders(tmp_path, 74)
    figs = []
    real_save = plotting.save
    monkeypatch.setattr(plotting, "save", lambda fig, path: (figs.append(fig), fig.canvas.draw(),
                                                             _check_voc(fig, g, d), real_save(fig, path))[-1])
    png = tmp_path / "pr" / ("x" * 120 + ".png")
    png.parent.mkdir()
    assert main(["eval", "voc", str(g), str(d), "--plot", str(png), "-q"]) == 0
    assert len(figs) == 1 and png.stat().st_size > 10000
    assert capsys.readouterr().out == ""


def _check_voc(fig, g, d):
    from locuskit.eval import voc_evaluate

    res = voc_evaluate(g, d)
    curves = [plotting.PRCurve(n, c.recall, c.precision, c.ap_all_point, c.npos) for n, c in res.classes.items()]
    assert len(curves) >= 70
    _check_figure(fig, curves)


@pytest.mark.parametrize("case", sorted(COUNTS["cases"]))
def test_coco_per_category_area_equals_pycocotools(case):
    """GT counts per category and area range (pycocotools' npig: crowd, area bounds inclusive,
    keypoints without keypoints, 'ignore' overwritten by iscrowd), result counts, images without
    GT and the per-area AP, against pycocotools on bbox, segm and keypoints fixtures."""
    from locuskit.eval import coco_evaluate

    c = COUNTS["cases"][case]
    res = coco_evaluate(ROOT / c["gt"], ROOT / c["dt"], c["iouType"])
    assert res.params["catIds"] == c["catIds"]
    assert list(res.params["areaRngLbl"]) == c["areaRngLbl"]
    assert res.gt_counts.tolist() == c["npig"]
    assert res.dt_counts.tolist() == c["results"]
    assert res.images_without_gt == c["images_without_gt"]
    rows = res.per_category_area()
    for row, expected, npig in zip(rows, c["ap_area"], c["npig"]):
        for lbl, ap, n in zip(c["areaRngLbl"], expected, npig):
            got = row["AP"] if lbl == "all" else row[f"AP_{lbl}"]
            assert (np.isnan(got) and ap is None) or got == ap, (row["name"], lbl)
            assert row["GT" if lbl == "all" else f"GT_{lbl}"] == n


def test_cli_coco_per_class_area_table_and_json(tmp_path):
    out = tmp_path / "o.json"
    r = _cli("eval", "coco", GT, DT, "--per-class", "--json", out)
    assert r.returncode == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if line.startswith("category"))
    for col in ("GT", "results", "AP_small", "AP_medium", "AP_large", "GT_small", "GT_medium", "GT_large"):
        assert col in header.split()
    person = next(line for line in r.stdout.splitlines() if line.startswith("person"))
    c = COUNTS["cases"]["cocoapi_fake100.bbox"]
    k = c["catIds"].index(1)
    assert person.split()[2:4] == [str(c["npig"][k][0]), str(c["results"][k])]
    rep = json.loads(out.read_text())
    row = next(x for x in rep["per_class"] if x["category_id"] == 1)
    assert [row["GT"], row["GT_small"], row["GT_medium"], row["GT_large"]] == c["npig"][k]
    assert row["AP_small"] == c["ap_area"][k][1]
    assert rep["warnings"]  # pizza never predicted; categories with results but no GT


def _tiny_gt(tmp_path):
    gt = {"images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
          "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
          "annotations": [
              {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
              {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 50, 20, 20], "area": 400, "iscrowd": 0}]}
    p = tmp_path / "gt.json"
    p.write_text(json.dumps(gt))
    return p


def test_cli_coco_empty_results_warns(tmp_path):
    gt = _tiny_gt(tmp_path)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    r = _cli("eval", "coco", gt, empty)
    assert r.returncode == 0
    assert "warning:" in r.stderr and "no results" in r.stderr and "every AP is 0" in r.stderr
    assert "1 of 2 evaluated images have no GT annotation" in r.stderr
    r = _cli("eval", "coco", gt, empty, "-q")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""


def test_cli_coco_never_predicted_and_verbose(tmp_path):
    gt = _tiny_gt(tmp_path)
    dt = tmp_path / "dt.json"
    dt.write_text(json.dumps([{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9}]))
    r = _cli("eval", "coco", gt, dt, "-v")
    assert r.returncode == 0, r.stderr
    assert "1 of 2 categories with GT were never predicted (AP 0): dog" in r.stderr
    assert "2 images, 2 categories, 2 GT (not crowd), 1 results" in r.stderr
    r = _cli("eval", "coco", gt, dt)
    assert "2 images, 2 categories" not in r.stderr  # details only with -v


def test_cli_voc_warnings(tmp_path):
    g, d = tmp_path / "g", tmp_path / "d"
    g.mkdir()
    d.mkdir()
    (g / "a.txt").write_text("cat 0 0 10 10\ndog 20 20 10 10\n")
    (d / "a.txt").write_text("cat 0.9 0 0 10 10\nbird 0.5 40 40 5 5\n")
    r = _cli("eval", "voc", g, d)
    assert r.returncode == 0, r.stderr
    assert "1 of 2 classes with GT were never predicted (AP 0): dog" in r.stderr
    assert "1 classes have results but no GT" in r.stderr and "bird" in r.stderr
    (d / "a.txt").write_text("")
    r = _cli("eval", "voc", g, d)
    assert "no results on the evaluated images and classes: every AP is 0" in r.stderr


def _html_ok(path, table=True):
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in text and ("<table>" in text or not table)
    # self-contained: nothing fetched from anywhere
    for needle in ("http://", "https://", "<script", "<link", "src=\"/", "src=\"file"):
        assert needle not in text
    return text


def test_cli_coco_html(tmp_path):
    html = tmp_path / "r.html"
    r = _cli("eval", "coco", GT, DT, "--html", html)
    assert r.returncode == 0, r.stderr
    text = _html_ok(html)
    assert "person" in text and "AP_small" in text and "Warnings" in text
    assert "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505" in text


def test_cli_voc_html(tmp_path):
    g, d = _voc_folders(tmp_path, 5)
    html = tmp_path / "v.html"
    r = _cli("eval", "voc", g, d, "--html", html, "-q")
    assert r.returncode == 0 and r.stdout == ""
    assert "c000" in _html_ok(html)


def test_html_report_api_escapes():
    from locuskit._cli._html import HtmlReport

    rep = HtmlReport("a <b>")
    rep.section("s & t").table(["name", "v"], [["<x>", 0.5], ["y", float("nan")]]).text("1 < 2")
    out = rep.render()
    assert "<b>" not in out and "&lt;x&gt;" in out and "<td>-</td>" in out and "1 &lt; 2" in out


def _browser_env():
    """The environment without the sanitizer preload of scripts/test-sanitized-python: Chromium
    hangs with libasan preloaded, and it is the page under test, not the browser."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None and not os.environ.get("LOCUSKIT_REQUIRE_CHROMIUM"),
                    reason="chromium is not installed (apt-get install chromium; CI installs it)")
def test_html_renders_in_headless_chromium(tmp_path):
    chromium = _chromium()
    assert chromium, "LOCUSKIT_REQUIRE_CHROMIUM is set but chromium is not installed"
    html = tmp_path / "r.html"
    assert _cli("eval", "coco", GT, DT, "--html", html, "-q").returncode == 0
    shot = tmp_path / "shot.png"
    r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1200,900", f"--screenshot={shot}", html.as_uri()],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_browser_env())
    assert shot.exists(), r.stderr[-2000:]
    import matplotlib.image

    img = matplotlib.image.imread(str(shot))
    assert img.shape[:2] == (900, 1200)
    gray = img[..., :3].mean(axis=2)
    assert gray.std() > 0.05  # not blank: text, table rules
    assert (gray < 0.3).mean() > 0.005  # dark text is there
    assert (gray > 0.9).mean() > 0.5  # on a white page


def test_plotting_imports_matplotlib_lazily():
    code = ("import sys, locuskit.plotting, locuskit.cli; locuskit.cli.build_parser(); "
            "print('matplotlib' in sys.modules, 'locuskit._cli._html' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "False False", r.stderr


def test_quiet_and_verbose_on_every_eval_command(tmp_path, capsys):
    """-q/-v are accepted by dota, kitti3d and mot as by coco/voc/traj; -q prints nothing."""
    dota = DATA / "rotated" / "dota" / "micro" / "recall_0p7_arange"
    argv = ["eval", "dota", str(dota / "labelTxt"), str(dota), "--imageset", str(dota / "imageset.txt"),
            "--classes", "plane"]
    assert main(argv + ["-q"]) == 0
    assert capsys.readouterr().out == ""
    assert main(argv + ["-v"]) == 0
    assert "plane" in capsys.readouterr().out
    g, d = _voc_folders(tmp_path, 3)
    for flag in ("-q", "--quiet", "--silent"):
        assert main(["eval", "voc", str(g), str(d), flag]) == 0
        assert capsys.readouterr() == ("", "")
    for cmd in ("kitti3d", "mot"):
        help_text = subprocess.run([sys.executable, "-m", "locuskit", "eval", cmd, "--help"], capture_output=True,
                                   text=True).stdout
        assert "-q, --quiet" in help_text and "-v, --verbose" in help_text


def _check_legends_outside(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = [a for a in fig.axes if a.get_visible()]
    for a in axes:
        leg = a.get_legend()
        if leg is not None:
            for other in axes:
                assert not leg.get_window_extent(renderer).overlaps(other.get_window_extent(renderer))
        colors = [matplotlib.colors.to_rgba(ln.get_color()) for ln in a.get_lines()]
        assert len(set(colors)) == len(colors)
    assert fig._suptitle.get_window_extent(renderer).width <= fig.bbox.width


def test_cli_kitti3d_and_dota_plots_share_the_look(tmp_path, monkeypatch):
    from test_box3d_kitti_eval import MICRO, _write_case

    figs = []
    real_save = plotting.save
    monkeypatch.setattr(plotting, "save", lambda fig, path: (figs.append(fig), _check_legends_outside(fig),
                                                             real_save(fig, path))[-1])
    root = _write_case(tmp_path / "k", MICRO["cases"]["score_ties"])
    html = tmp_path / "k.html"
    assert main(["eval", "kitti3d", str(root / "label_2"), str(root / "det"), "--split", str(root / "val.txt"),
                 "--plot", str(tmp_path / "k.png"), "--html", str(html), "-q"]) == 0
    assert len(figs) == 1 and len([a for a in figs[0].axes if a.get_visible()]) == 9
    # AP|R40 reads precision at recall i/40, i >= 1: the curves start there, not at (0, 0)
    for a in figs[0].axes:
        for ln in a.get_lines():
            assert ln.get_xdata()[0] == pytest.approx(1 / 40)
    assert "Car_3d/moderate_R40" in _html_ok(html)
    dota = DATA / "rotated" / "dota" / "micro" / "recall_0p7_arange"
    html = tmp_path / "d.html"
    assert main(["eval", "dota", str(dota / "labelTxt"), str(dota), "--imageset", str(dota / "imageset.txt"),
                 "--classes", "plane", "--plot", str(tmp_path / "d.png"), "--html", str(html), "-q"]) == 0
    assert len(figs) == 2 and (tmp_path / "d.png").stat().st_size > 5000
    assert "plane" in _html_ok(html)


def test_cli_traj_ape_html(tmp_path):
    t = DATA / "traj"
    html = tmp_path / "t.html"
    r = _cli("traj", "ape", "tum", t / "freiburg1_xyz-groundtruth.txt", t / "freiburg1_xyz-rgbdslam.txt", "-a",
             "--html", html, "--plot_mode", "xy")
    assert r.returncode == 0, r.stderr
    rmse = next(line.split()[1] for line in r.stdout.splitlines() if line.strip().startswith("rmse"))
    text = _html_ok(html)
    assert f">{rmse}<" in text and "freiburg1_xyz-rgbdslam.txt" in text


def test_cli_mot_html(tmp_path):
    from test_mot import _tiny

    gt, trk = _tiny()
    html = tmp_path / "m.html"
    assert main(["eval", "mot", str(gt), str(trk), "--html", str(html), "-q"]) == 0
    text = _html_ok(html)
    assert text.count("data:image/png;base64,") == 2 and "HOTA" in text and "trkA" in text


@pytest.mark.parametrize("name", ["eval", "eval_dota", "eval_kitti3d", "eval_mot", "traj", "_html", "_log"])
def test_report_cli_uses_only_the_public_api(name):
    """The commands share the CLI's own helpers (locuskit._cli._html, _log) and otherwise use the
    public API only (locuskit.plotting, locuskit.eval, ...)."""
    from test_api_layout import PKG, _private_imports

    bad = [t for t in _private_imports(PKG / "_cli" / f"{name}.py", "locuskit._cli")
           if not t.startswith("locuskit._cli.")]
    assert bad == []


def test_figures_leave_the_callers_matplotlib_settings_alone():
    plt = plotting.pyplot()
    before = dict(plt.rcParams)
    plotting.pyplot().close(plotting.pr_figure(_curves(20), "t"))
    plotting.pyplot().close(plotting.small_multiples([("a", _curves(3))], "t"))
    assert dict(plt.rcParams) == before


@pytest.mark.parametrize("cmd", ["show", "res"])
def test_cli_traj_show_res_html(tmp_path, cmd):
    t = DATA / "traj"
    html = tmp_path / f"{cmd}.html"
    if cmd == "show":
        args = ["traj", "show", "tum", t / "freiburg1_xyz-rgbdslam.txt", "--ref", t / "freiburg1_xyz-groundtruth.txt",
                "-a", "--plot_mode", "xy"]
    else:
        args = ["traj", "res", t / "evo_ape_result_fr1_xyz_origin.zip", t / "evo_rpe_result_fr1_xyz_5deg.zip"]
    r = _cli(*args, "--html", html, "-q")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    text = _html_ok(html, table=False)
    assert text.count("data:image/png;base64,") == 1
    assert ("path_length_m" in text) if cmd == "show" else ("rmse" in text)


def test_cli_traj_kitti_html(tmp_path):
    from conftest import SHARED_REFERENCE

    d = SHARED_REFERENCE / "trajectories" / "data"
    if not (d / "KITTI_00_gt.txt").exists():
        pytest.skip(f"{d} not present (KITTI files live in ../shared/reference)")
    html = tmp_path / "k.html"
    r = _cli("traj", "kitti", d / "KITTI_00_gt.txt", d / "KITTI_00_ORB.txt", "--html", html, "-q")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    text = _html_ok(html, table=False)
    assert "translation error" in text and text.count("data:image/png;base64,") == 1
