"""Python mirrors C++: one _core submodule per C++ area, thin public modules calling it, one
exception-translation unit, the CLI and the benchmark scripts on the public API only."""
from __future__ import annotations

import ast
import pathlib
import types

import pytest

import locuskit
from locuskit import _core

ROOT = pathlib.Path(__file__).resolve().parents[2]
PKG = pathlib.Path(locuskit.__file__).parent
SRC = ROOT / "python" / "src"

# C++ area -> the public Python module(s) that wrap its _core submodule.
AREAS = {
    "core": [],  # version, SIMD, threads: re-exported by locuskit/__init__.py
    "box": ["ops/_boxes.py", "_autograd.py"],
    "anchor": ["anchors.py"],
    "coder": ["coders.py"],
    "match": ["match.py"],
    "mask": ["mask.py"],
    "roi": ["roi.py"],
}


@pytest.mark.parametrize("area", sorted(AREAS))
def test_each_area_is_one_core_submodule(area):
    sub = getattr(_core, area, None)
    assert isinstance(sub, types.ModuleType), f"_core.{area} is not a submodule"
    assert [n for n in dir(sub) if not n.startswith("__")], f"_core.{area} is empty"


@pytest.mark.parametrize("area", sorted(a for a in AREAS if a != "core"))
def test_area_functions_are_not_flat_in_core(area):
    sub = getattr(_core, area)
    flat = [n for n in dir(sub) if not n.startswith("__") and (hasattr(_core, n) or hasattr(_core, "_" + n))]
    assert not flat, f"_core still has flat copies of _core.{area}: {flat}"


def _core_attributes(path: pathlib.Path) -> set:
    """Names read as ``_core.<name>`` in a module."""
    tree = ast.parse(path.read_text())
    return {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "_core"}


@pytest.mark.parametrize("area,module", [(a, m) for a, ms in AREAS.items() for m in ms])
def test_public_module_calls_only_its_area(area, module):
    used = _core_attributes(PKG / module)
    assert used <= {area}, f"{module} reads _core.{sorted(used - {area})}; it wraps _core.{area} only"


def test_one_exception_translation_unit():
    units = sorted(p.name for p in SRC.glob("*.cpp") if "py::register_exception_translator(" in p.read_text())
    assert set(units) == {"errors.cpp"}, units


def _private_imports(path: pathlib.Path, package: str) -> list:
    """Imports of private locuskit modules (a path component starting with '_'), absolute or relative."""
    tree = ast.parse(path.read_text())
    bad = []
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            if n.level:  # relative: resolve against the module's package
                base = package.split(".")[: len(package.split(".")) - (n.level - 1)]
                mod = ".".join(base + ([n.module] if n.module else []))
            else:
                mod = n.module or ""
            names = [mod + "." + a.name for a in n.names]
            targets = [mod] + names
        elif isinstance(n, ast.Import):
            targets = [a.name for a in n.names]
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ("locuskit", "lk"):
            targets = ["locuskit." + n.attr]
        else:
            continue
        for t in targets:
            parts = t.split(".")
            if parts[0] == "locuskit" and any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
                bad.append(t)
    return bad


@pytest.mark.parametrize("name", sorted(p.stem for p in (PKG / "_cli").glob("*.py")))
def test_cli_uses_only_the_public_api(name):
    """Every CLI module uses the library's public API; the CLI's own helpers (_cli._log, ...) are its own."""
    imports = _private_imports(PKG / "_cli" / f"{name}.py", "locuskit._cli")
    assert [t for t in imports if not t.startswith("locuskit._cli")] == []


# bench_eval.py / bench_coco_load.py read locuskit.eval._result (the eval area's, restructured apart).
BENCH_OWNED_ELSEWHERE = {"bench_eval.py", "bench_coco_load.py"}


@pytest.mark.skipif(not (ROOT / "bench" / "python").is_dir(), reason="bench/ is not in an installed package")
def test_bench_scripts_use_only_the_public_api():
    bad = {p.name: _private_imports(p, "bench")
           for p in sorted((ROOT / "bench" / "python").glob("*.py")) if p.name not in BENCH_OWNED_ELSEWHERE}
    assert {k: v for k, v in bad.items() if v} == {}


def test_benchmarks_module_lists_the_shipped_areas():
    from locuskit import benchmarks

    areas = benchmarks.areas()
    assert "nms" in areas
    for mod in areas.values():
        assert mod.DESCRIPTION and callable(mod.add_arguments) and callable(mod.run)
    boxes, scores = benchmarks.clustered_boxes(__import__("numpy").random.default_rng(0), 50)
    assert boxes.shape == (50, 4) and scores.shape == (50,)
