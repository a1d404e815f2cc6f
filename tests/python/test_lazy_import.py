"""`import locuskit` is lazy (module __getattr__): nothing heavy is imported until used, and every
public name still resolves (the CLI's start-up depends on it)."""
from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_import_locuskit_imports_no_submodule_numpy_or_torch():
    out = _run("import sys, locuskit; print(sorted(m for m in sys.modules if m.startswith('locuskit.')), "
               "'numpy' in sys.modules, 'torch' in sys.modules)")
    assert out == "[] False False"


def test_every_public_name_resolves_and_star_import_works():
    out = _run("import locuskit, types\n"
               "missing = [n for n in locuskit.__all__ if getattr(locuskit, n, None) is None]\n"
               "ns = {}\nexec('from locuskit import *', ns)\n"
               "print(missing, set(locuskit.__all__) <= set(ns), isinstance(locuskit.traj, types.ModuleType), "
               "locuskit.nms is locuskit.ops.nms, sorted(set(locuskit.ops.__all__) - set(locuskit.__all__)))")
    assert out == "[] True True True []"


def test_unknown_and_private_names_raise_attribute_error():
    # A private name must not import ops (`from . import _core` inside the package asks for it).
    out = _run("import sys, locuskit\n"
               "for n in ('_no_such_private', 'no_such_name'):\n"
               "    try:\n        getattr(locuskit, n)\n    except AttributeError:\n"
               "        print('ok', 'locuskit.ops' in sys.modules, end=' ')\n")
    assert out == "ok False ok True"
