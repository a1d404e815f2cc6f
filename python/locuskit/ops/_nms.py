"""Non-maximum suppression family (issue: NMS family on the CPU)."""
from __future__ import annotations

__all__: list = []
