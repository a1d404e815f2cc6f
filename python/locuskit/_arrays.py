"""Turning what callers pass into NumPy arrays without copying.

NumPy arrays pass through untouched. Objects exposing DLPack (CPU torch tensors, JAX, CuPy on the
host side) or the buffer protocol become zero-copy NumPy views. Anything else goes through
``np.asarray`` (lists are converted, which is a copy by nature). Dtype, shape and contiguity are
checked by the compiled layer, which raises TypeError/ValueError naming the argument.
"""
from __future__ import annotations

import numpy as np


def as_array(x, name: str = "array") -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__"):
        device_type, _ = x.__dlpack_device__()
        if device_type != 1:  # kDLCPU
            raise ValueError(
                f"{name}: array lives on a non-CPU device (DLPack device type {device_type}); "
                "use locuskit.cuda for GPU arrays or move it to the CPU"
            )
        if getattr(x, "requires_grad", False):
            x = x.detach()
        return np.from_dlpack(x)
    try:
        return np.asarray(x)
    except Exception as exc:  # noqa: BLE001 - re-raised with the argument name
        raise TypeError(f"{name}: cannot be converted to an array ({exc})") from exc
