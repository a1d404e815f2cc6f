"""The type stubs (_core.pyi) cover every binding of the compiled module (scripts/gen-stubs)."""
from __future__ import annotations

import ast
import pathlib

import locuskit
from locuskit import _core

STUB = pathlib.Path(locuskit.__file__).with_name("_core.pyi")


def stub_names() -> set:
    tree = ast.parse(STUB.read_text())
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def test_stub_is_shipped_and_parses():
    assert STUB.is_file(), "python/locuskit/_core.pyi is missing from the package"
    assert STUB.with_name("py.typed").is_file()
    assert stub_names()


def test_every_binding_has_a_stub():
    bound = {name for name in dir(_core) if not name.startswith("__") and callable(getattr(_core, name))}
    missing = sorted(bound - stub_names())
    assert not missing, f"bindings without a stub (run scripts/gen-stubs): {missing}"


def test_every_submodule_binding_has_a_stub():
    # scripts/gen-stubs folds each submodule (_core.mask, _core.roi, ...) into a class of that name.
    import types

    tree = ast.parse(STUB.read_text())
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    submodules = [name for name in dir(_core) if isinstance(getattr(_core, name), types.ModuleType)]
    assert submodules, "expected at least one _core submodule"
    for name in submodules:
        assert name in classes, f"_core.pyi has no class for the _core.{name} submodule (run scripts/gen-stubs)"
        stubbed = {n.name for n in classes[name].body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        sub = getattr(_core, name)
        bound = {k for k in dir(sub) if not k.startswith("__") and callable(getattr(sub, k))}
        assert bound <= stubbed, (name, sorted(bound - stubbed))
