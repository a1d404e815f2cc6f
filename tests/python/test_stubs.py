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
