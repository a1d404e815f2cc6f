"""Typed public API: the public modules' functions and classes are annotated, the annotations agree
with the runtime (mypy's stubtest), and every public function's docstring states shapes, dtypes
and the peer it matches (or that it has none)."""
from __future__ import annotations

import importlib
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys
import typing

import pytest

HERE = pathlib.Path(__file__).parent

# The public modules of the areas box, anchor, coder, match, roi, mask and cuda.
MODULES = ["locuskit.ops._boxes", "locuskit.ops._focal", "locuskit.anchors", "locuskit.coders",
           "locuskit.match", "locuskit.roi", "locuskit.mask", "locuskit.cuda"]

PEERS = re.compile(r"torchvision|pycocotools|detectron2|mmdet|mmcv|ultralytics|yolo|scipy|opencv|cv2|"
                   r"detr|ssd|centernet|prroi|iou-net|retinanet|torchmetrics|numpy|no peer|locuskit's own|locuskit\.", re.I)
SHAPE = re.compile(r"\((?:[A-Za-z0-9_*+ ]+,)+ ?[A-Za-z0-9_*+ ]*\)|\([A-Z][A-Za-z0-9_]*,?\)")
DTYPE = re.compile(r"float32|float64|float16|int64|int32|uint8|bool|dtype|integer|float|int\b", re.I)


def public_callables():
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj):
                if obj.__module__ != mod.__name__:
                    continue
                yield f"{modname}.{name}", obj.__init__, obj
                for attr, member in vars(obj).items():
                    if callable(member) and not attr.startswith("_") and attr != "forward":
                        yield f"{modname}.{name}.{attr}", member, obj
                    elif attr == "forward" or attr == "__call__":
                        yield f"{modname}.{name}.{attr}", member, obj
            elif callable(obj):
                yield f"{modname}.{name}", obj, None


CALLABLES = list(public_callables())


@pytest.mark.parametrize("qualname,func,owner", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_public_callable_is_annotated(qualname, func, owner):
    if func is object.__init__ or not hasattr(func, "__code__") and not hasattr(func, "__wrapped__"):
        pytest.skip("no Python signature (inherited or builtin)")
    sig = inspect.signature(func)
    missing = [p.name for i, p in enumerate(sig.parameters.values())
               if p.annotation is inspect.Parameter.empty and not (owner is not None and i == 0)
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert not missing, f"{qualname}: parameters without annotation: {missing}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{qualname}: no return annotation"
    # The annotations are strings (from __future__ import annotations): they must also resolve at run
    # time, to the objects the module really uses (a misspelt or unimported name fails here).
    torch = pytest.importorskip("torch")  # named in annotations under TYPE_CHECKING
    target = inspect.unwrap(func)
    namespace = {**vars(sys.modules[target.__module__]), "torch": torch}
    hints = typing.get_type_hints(target, globalns=namespace)
    params = [p for p in inspect.signature(target).parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert {p.name for p in params[1 if owner is not None else 0:]} <= set(hints), qualname


FUNCTIONS = [c for c in CALLABLES if c[2] is None]


@pytest.mark.parametrize("qualname,func,owner", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_public_function_docstring_states_shapes_dtypes_and_peer(qualname, func, owner):
    doc = inspect.getdoc(func) or ""
    assert doc, f"{qualname}: no docstring"
    takes_arrays = any(p.annotation not in (inspect.Parameter.empty,) and "Array" in str(p.annotation)
                       for p in inspect.signature(func).parameters.values())
    if takes_arrays:  # functions of arrays: their shapes, dtypes and the peer they match
        assert SHAPE.search(doc), f"{qualname}: the docstring states no shape like (N, 4)"
        assert DTYPE.search(doc), f"{qualname}: the docstring states no dtype"
        assert PEERS.search(doc), f"{qualname}: the docstring names no peer (say 'no peer' if there is none)"


def test_annotations_agree_with_the_runtime_stubtest():
    """mypy type-checks the public modules (bodies against their annotations and _core.pyi), then
    its stubtest compares what mypy reads from the sources with the imported modules: public names (``__all__``), classes, functions and their arguments. For the
    functions wrapped by ``tensor_io`` the run-time signature it sees is the wrapper's
    ``(*args, **kwargs)``, so their arguments are checked by test_public_callable_is_annotated
    (``inspect.signature`` follows ``__wrapped__``) rather than here."""
    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("scripts/test-sanitized-python checks the compiled core; typing is checked by the main pytest stage")
    stubtest = shutil.which("stubtest")
    if stubtest is None:
        pytest.skip("mypy's stubtest is not installed (Debian package mypy, scripts/setup-debian installs it)")
    import locuskit

    pkg_root = str(pathlib.Path(locuskit.__file__).parent.parent)
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "--ignore-missing-stub", "--ignore-unused-allowlist",
                        "--mypy-config-file", str(HERE / "stubtest.ini"), "--allowlist", str(HERE / "stubtest-allowlist.txt"),
                        *MODULES], capture_output=True, text=True, cwd=pkg_root, timeout=600)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
