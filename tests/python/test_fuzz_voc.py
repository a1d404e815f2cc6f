"""The VOC folder parser under the coverage-guided Python fuzzer (tests/fuzz/pyfuzz.py): a fixed seed
and input count, so the result is reproducible (docs/fuzzing.md records the hour-long run), plus
the regression tests of what it found."""
from __future__ import annotations

import pathlib
import sys

import pytest

FUZZ = pathlib.Path(__file__).resolve().parents[1] / "fuzz"
sys.path.insert(0, str(FUZZ))
import pyfuzz  # noqa: E402


def test_voc_parser_survives_fixed_seed_fuzzing(tmp_path):
    target = pyfuzz.VocTarget()
    seeds = target.seeds()
    assert len(seeds) >= 4, "tests/fuzz/corpus/pyfuzz_voc/ is the seed corpus"
    stats = pyfuzz.fuzz(target, seeds, runs=1500, seed=1, work=tmp_path)
    assert stats["runs"] == 1500
    assert stats["arcs"] > 50  # the tracer saw the parser: a fuzzer blind to coverage finds nothing


def test_fuzzer_reports_an_unexpected_exception(tmp_path):
    def target(data):
        if b"boom" in data:
            raise KeyError("boom")

    with pytest.raises(pyfuzz.Finding) as info:
        pyfuzz.fuzz(target, [b"boom"], runs=1, work=tmp_path)
    assert pathlib.Path(info.value.path).read_bytes() == b"boom"


@pytest.mark.parametrize("gt_line,det_line", [
    ("a 0 0 0 1 1", "a nan 0 0 1 1"),  # found by pyfuzz: "det_score: NaN ..." named no file
    ("a 0 nan 0 1 1", "a 0.5 0 0 1 1"),  # a NaN ground-truth box was accepted silently
    ("a 0 0 0 inf 1", "a 0.5 0 0 1 1"),
    ("a 0 0 0 1 1", "a 0.5 0 -inf 1 1"),
])
def test_non_finite_numbers_name_file_and_line(tmp_path, gt_line, det_line):
    from locuskit.eval import voc_evaluate

    (tmp_path / "g").mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "g" / "x.txt").write_text(f"a 0 0 0 2 2\n{gt_line}\n")
    (tmp_path / "d" / "x.txt").write_text(f"a 0.1 0 0 2 2\n{det_line}\n")
    with pytest.raises(ValueError, match=r"x\.txt:2: expected finite numbers"):
        voc_evaluate(tmp_path / "g", tmp_path / "d")


def test_non_finite_xml_coordinates_name_the_file(tmp_path):
    from locuskit.eval import voc_evaluate

    (tmp_path / "g").mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "g" / "x.xml").write_text(
        "<annotation><object><name>a</name><bndbox><xmin>nan</xmin><ymin>0</ymin><xmax>1</xmax>"
        "<ymax>1</ymax></bndbox></object></annotation>")
    (tmp_path / "d" / "x.txt").write_text("a 0.1 0 0 2 2\n")
    with pytest.raises(ValueError, match=r"x\.xml: object 0: expected finite numbers"):
        voc_evaluate(tmp_path / "g", tmp_path / "d")


@pytest.mark.parametrize("flag", ["9223372036854775808", "-1", "2"])
def test_any_nonzero_difficult_is_difficult(tmp_path, flag):
    # found by pyfuzz (the hour-long run): 2**63 overflowed the uint8 conversion (OverflowError);
    # the devkit's astype(bool) makes every nonzero value difficult
    from locuskit.eval import voc_evaluate

    (tmp_path / "g").mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "g" / "x.txt").write_text(f"a 0 0 0 2 2\na {flag} 5 5 2 2\n")
    (tmp_path / "d" / "x.txt").write_text("a 0.9 0 0 2 2\na 0.8 5 5 2 2\n")
    r = voc_evaluate(tmp_path / "g", tmp_path / "d").classes["a"]
    assert r.npos == 1  # the difficult object is not counted
    (tmp_path / "g" / "x.txt").unlink()
    (tmp_path / "g" / "x.xml").write_text(
        f"<annotation><object><name>a</name><difficult>{flag}</difficult><bndbox><xmin>5</xmin><ymin>5</ymin>"
        "<xmax>7</xmax><ymax>7</ymax></bndbox></object></annotation>")
    assert voc_evaluate(tmp_path / "g", tmp_path / "d", box_format="xyxy").classes["a"].npos == 0
