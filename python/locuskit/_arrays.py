"""Turning what callers pass into arrays the kernels take, and results back into what they passed.

Inputs
    NumPy arrays and CPU torch tensors of any layout (non-contiguous, Fortran order, negative
    strides, transposed views, column slices) are accepted. C-contiguous inputs are used in place
    (never copied); any other layout is copied ONCE into a C-contiguous buffer.
    ``set_copy_policy("warn" | "raise")`` reports those copies (a debugging aid).
    float16 / bfloat16 are computed in float32 (as torchvision under autocast) and the float
    results are returned in the input's dtype. Class ids / labels of any integer dtype
    (int8..uint64, bool excluded) become int64 (:func:`as_ids`). Objects exposing DLPack or the
    buffer protocol become zero-copy NumPy views; anything else goes through ``np.asarray``.

Outputs (:func:`tensor_io`)
    A public function decorated with ``tensor_io`` returns torch tensors when any argument is a
    torch tensor (CPU; ``torch.from_numpy``, no copy) and NumPy otherwise, as before. Float
    results of a function that is not differentiable are refused (TypeError naming the argument)
    when an input requires grad under grad mode, instead of being silently detached.

torch is imported only when a tensor is seen (``import locuskit`` does not import torch).
"""
from __future__ import annotations

import functools
import sys
import warnings
from typing import Any, Callable, TypeVar, Union, overload

import numpy as np

__all__ = ["Array", "as_array", "as_ids", "tensor_io", "set_copy_policy", "get_copy_policy", "is_tensor"]

#: What public functions take and return: a NumPy array or a (CPU) torch tensor.
F = TypeVar("F", bound=Callable[..., Any])  # a decorated function keeps its signature for type checkers
Array = Union[np.ndarray, "torch.Tensor"]  # noqa: F821 - torch is optional, named for type checkers

_POLICY = "allow"


def set_copy_policy(policy: str) -> str:
    """Sets what happens when an input must be copied to be C-contiguous (or cast from a half
    dtype / a narrow integer id dtype): ``"allow"`` (default, silent), ``"warn"``
    (``locuskit.CopyWarning``) or ``"raise"`` (ValueError naming the argument). Returns the
    previous policy. Process-wide; not meant to be toggled concurrently from several threads."""
    global _POLICY
    if policy not in ("allow", "warn", "raise"):
        raise ValueError(f"policy: expected 'allow', 'warn' or 'raise', got {policy!r}")
    previous, _POLICY = _POLICY, policy
    return previous


def get_copy_policy() -> str:
    """The current :func:`set_copy_policy` value."""
    return _POLICY


class CopyWarning(UserWarning):
    """An input was copied (layout or dtype) before reaching a kernel; see ``set_copy_policy``."""


def _report_copy(name: str, why: str) -> None:
    if _POLICY == "allow":
        return
    msg = f"{name}: copied once ({why})"
    if _POLICY == "raise":
        raise ValueError(msg + "; set_copy_policy('raise') is active")
    warnings.warn(msg, CopyWarning, stacklevel=4)


def is_tensor(x) -> bool:
    """True for a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _tensor_to_numpy(x, name: str) -> np.ndarray:
    import torch

    if not x.is_cpu:
        raise ValueError(f"{name}: tensor lives on {x.device}; use locuskit.cuda for GPU tensors or move it "
                         "to the CPU")
    if x.requires_grad:
        x = x.detach()
    dtype = x.dtype
    if dtype is torch.float16 or dtype is torch.bfloat16:
        _report_copy(name, f"{dtype} computed in float32")
        x = x.float()
    elif dtype.is_complex:
        raise TypeError(f"{name}: complex dtype {dtype} is not supported")
    elif x.is_neg():  # a lazily negated view (torch >= 1.10): materialise it
        x = x.resolve_neg()
    try:
        return x.numpy()
    except (TypeError, RuntimeError) as exc:  # e.g. quantized or sparse tensors: name the argument
        raise TypeError(f"{name}: {x.dtype} {x.layout} tensor cannot be used ({exc})") from exc


def as_array(x, name: str = "array") -> np.ndarray:
    """``x`` as a C-contiguous NumPy array: a view when ``x`` already is one (or a contiguous CPU
    tensor), else one copy. float16/bfloat16 become float32. Dtype and shape are checked by the
    compiled layer (TypeError/ValueError naming ``name``)."""
    if isinstance(x, np.ndarray):
        a = x
    elif is_tensor(x):
        a = _tensor_to_numpy(x, name)
    elif hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__"):
        device_type, _ = x.__dlpack_device__()
        if device_type != 1:  # kDLCPU
            raise ValueError(
                f"{name}: array lives on a non-CPU device (DLPack device type {device_type}); "
                "use locuskit.cuda for GPU arrays or move it to the CPU"
            )
        a = np.from_dlpack(x)
    else:
        try:
            a = np.asarray(x)
        except Exception as exc:  # noqa: BLE001 - re-raised with the argument name
            raise TypeError(f"{name}: cannot be converted to an array ({exc})") from exc
    if a.dtype.char == "e":  # float16
        _report_copy(name, "float16 computed in float32")
        a = a.astype(np.float32)
    if not a.flags.c_contiguous:
        _report_copy(name, "not C-contiguous")
        a = np.ascontiguousarray(a)
    return a


_INT64_MAX = np.iinfo(np.int64).max


def as_ids(x, name: str = "ids") -> np.ndarray:
    """Class ids / labels of any integer dtype as a C-contiguous int64 array (a view if already
    int64 and contiguous). uint64 values above 2**63 - 1 and non-integer dtypes raise, naming
    ``name``."""
    a = as_array(x, name)
    if a.dtype == np.int64:
        return a
    if a.dtype.kind not in "iu":
        if a.size == 0 and a.dtype.kind == "f":  # np.asarray([]) is float64: an empty id list
            return np.zeros(a.shape, np.int64)
        raise TypeError(f"{name}: dtype {a.dtype} is not supported; expected an integer dtype (class ids)")
    if a.dtype == np.uint64 and a.size and int(a.max()) > _INT64_MAX:
        raise ValueError(f"{name}: uint64 id {int(a.max())} does not fit in int64")
    _report_copy(name, f"{a.dtype} ids widened to int64")
    return a.astype(np.int64)


# --- outputs -------------------------------------------------------------------------------------

_TORCH_OPS = [False]


def _scan(args, kwargs):
    """(first tensor seen or None, half dtype seen or None, name of an input requiring grad,
    whether a tensor lives on a CUDA device)."""
    torch = sys.modules.get("torch")
    first = half = grad_name = None
    cuda = False
    if torch is None:
        for v in (*args, *kwargs.values()):
            if isinstance(v, np.ndarray) and v.dtype.char == "e":
                return None, v.dtype, None, False
        return None, None, None, False
    if not _TORCH_OPS[0]:
        _TORCH_OPS[0] = True
        from . import _library

        try:
            _library.register()  # torch is loaded: make torch.ops.locuskit.* available
        except Exception as exc:  # noqa: BLE001 - the op registry is optional: the call itself must work
            warnings.warn(f"locuskit: torch.ops.locuskit could not be registered ({exc})", RuntimeWarning,
                          stacklevel=3)
    tensor = torch.Tensor
    for key, v in (*enumerate(args), *kwargs.items()):
        for t in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(t, tensor):
                if first is None:
                    first = t
                    # The first tensor's device decides (mixed devices then fail in the chosen path,
                    # naming the argument); one check per call keeps the per-call overhead flat.
                    cuda = _is_cuda(t)
                if half is None and (t.dtype is torch.float16 or t.dtype is torch.bfloat16):
                    half = t.dtype
                if grad_name is None and t.requires_grad:
                    grad_name = key if isinstance(key, str) else f"argument {key}"
            elif half is None and isinstance(t, np.ndarray) and t.dtype.char == "e":
                half = t.dtype
    return first, half, grad_name, cuda


def _is_cuda(t) -> bool:
    """Whether a tensor lives on a CUDA device (one place, so tests can mock the device)."""
    return t.is_cuda


# --- CUDA routing --------------------------------------------------------------------------------

#: Public functions of locuskit.ops with a CUDA twin of the same name in locuskit.cuda (the ops
#: with kernels in include/locuskit/cuda/). CUDA tensors given to them run there; CUDA tensors
#: given to any other function raise (no silent device round trip).
CUDA_TWINS = frozenset({"box_iou", "nms", "batched_nms", "multiclass_nms", "nms_rotated", "batched_nms_rotated"})


def _is_default(value, default) -> bool:
    if value is default:
        return True
    if is_tensor(value) or isinstance(value, np.ndarray):
        return False
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001 - incomparable: not the default
        return False


def _route_cuda(func, args, kwargs):
    """Runs ``func``'s CUDA twin on the same arguments (tensors stay on their device). Options of
    the CPU function that the twin lacks must be left at their defaults (else ValueError naming
    them); autograd through the GPU path is not offered (TypeError, rather than detaching)."""
    import inspect

    name = func.__name__
    if name not in CUDA_TWINS or not (func.__module__ or "").startswith("locuskit.ops"):
        raise ValueError(f"{name}: got a CUDA tensor, but locuskit has no CUDA kernel for {name}; move the "
                         f"inputs to the CPU (.cpu()); GPU twins exist for {', '.join(sorted(CUDA_TWINS))}")
    from . import cuda

    if cuda._cuda is None:
        raise RuntimeError(
            f"{name}: got a CUDA tensor, but this locuskit was built without CUDA (LOCUSKIT_WITH_CUDA=OFF or "
            "no nvcc at build time); rebuild with -DLOCUSKIT_WITH_CUDA=ON, or move the inputs to the CPU")
    sig = inspect.signature(func)
    bound = sig.bind(*args, **kwargs)
    twin = getattr(cuda, name)
    accepted = inspect.signature(twin).parameters
    call = {}
    for pname, value in bound.arguments.items():
        if pname in accepted:
            call[pname] = value
        elif not _is_default(value, sig.parameters[pname].default):
            shown = f"<{type(value).__name__}>" if is_tensor(value) or isinstance(value, np.ndarray) else repr(value)
            raise ValueError(f"{name}: {pname}={shown} is not supported for CUDA tensors (locuskit.cuda.{name} "
                             f"takes {', '.join(accepted)})")
    torch = sys.modules["torch"]
    if torch.is_grad_enabled() and any(getattr(v, "requires_grad", False) for v in call.values()):
        raise TypeError(f"{name}: the CUDA path is not differentiable; call it under torch.no_grad() or on "
                        ".detach()ed tensors")
    return twin(**call)


def _to_output(r, like, half):
    """NumPy results -> tensors when a tensor came in (float ones cast back to a half dtype)."""
    if isinstance(r, tuple):
        out = [_to_output(v, like, half) for v in r]
        return type(r)(*out) if hasattr(r, "_fields") else tuple(out)
    if isinstance(r, list):
        return [_to_output(v, like, half) for v in r]
    if isinstance(r, dict):
        return {k: _to_output(v, like, half) for k, v in r.items()}
    if like is None:
        if half is not None and isinstance(r, (np.ndarray, np.floating)) and r.dtype.kind == "f":
            return r.astype(half)
        return r
    import torch

    if isinstance(r, np.generic):
        r = np.asarray(r)
    if isinstance(r, np.ndarray):
        t = torch.from_numpy(r) if r.flags.writeable else torch.from_numpy(r.copy())
        if half is not None and t.is_floating_point():
            t = t.to(half)
        return t
    if isinstance(r, torch.Tensor) and half is not None and r.is_floating_point() and r.dtype != half:
        return r.to(half)
    return r


def _has_float(r) -> bool:
    if isinstance(r, (tuple, list)):
        return any(_has_float(v) for v in r)
    if isinstance(r, dict):
        return any(_has_float(v) for v in r.values())
    return isinstance(r, (np.ndarray, np.floating)) and r.dtype.kind == "f"


def _argument_name(func, args, kwargs, fallback: str) -> str:
    """The parameter name of the first input that requires grad (error path only)."""
    import inspect

    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return fallback
    for name, v in bound.arguments.items():
        for t in (v if isinstance(v, (list, tuple)) else (v,)):
            if getattr(t, "requires_grad", False):
                return name
    return fallback


@overload
def tensor_io(func: F, *, differentiable: bool = ...) -> F: ...


@overload
def tensor_io(func: None = ..., *, differentiable: bool = ...) -> Callable[[F], F]: ...


def tensor_io(func=None, *, differentiable: bool = False):  # type: ignore[no-untyped-def]
    """Decorator for public functions: NumPy in -> NumPy out; any torch tensor in -> tensors out
    (results of ``torch.from_numpy``: CPU, no copy; float results in the input's half dtype when
    one came in). ``differentiable=True`` marks a function that handles autograd itself; any other
    function given a tensor that requires grad (under grad mode) refuses to return float results
    rather than detaching silently. CUDA tensors go to the function's twin in ``locuskit.cuda``
    (:data:`CUDA_TWINS`), or raise where there is none or the build has no CUDA."""
    if func is None:
        return functools.partial(tensor_io, differentiable=differentiable)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        like, half, grad_name, cuda = _scan(args, kwargs)
        if cuda:
            return _route_cuda(func, args, kwargs)
        result = func(*args, **kwargs)
        if like is None and half is None:
            return result
        if grad_name is not None and not differentiable and _has_float(result):
            import torch

            if torch.is_grad_enabled():
                grad_name = _argument_name(func, args, kwargs, grad_name)
                raise TypeError(
                    f"{func.__name__}: {grad_name} requires grad, but this function is not differentiable "
                    "in locuskit; call it under torch.no_grad() or on .detach()ed tensors (differentiable: "
                    "box_convert, the pairwise and *_aligned IoU/GIoU/DIoU/CIoU, the box losses, sigmoid_focal_loss)")
        return _to_output(result, like, half)

    return wrapper
