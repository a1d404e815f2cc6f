"""CUDA kernels (filled in by its issue): available only when locuskit was built with CUDA."""
from __future__ import annotations

__all__: list = []
