"""Checking the integer (count, index, seed) parameters of the public functions.

``int(x)`` would silently truncate ``2.7`` and hand ``2**70`` to the compiled layer, which then
fails with a message that does not name the argument. Every integer parameter goes through
:func:`integer` instead: anything with ``__index__`` (Python and NumPy integers) in range is
accepted; a float or other type raises TypeError, an out-of-range value ValueError, each naming
the argument.
"""
from __future__ import annotations

import operator

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
UINT64_MAX = 2**64 - 1


def integer(value, name: str, *, minimum: int = 0, maximum: int = INT64_MAX, allow_none: bool = False):
    """``value`` as a Python int in [minimum, maximum] (None passes through when ``allow_none``)."""
    if value is None and allow_none:
        return None
    try:
        v = operator.index(value)
    except TypeError:
        expected = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"{name}: expected {expected}, got {type(value).__name__} {value!r}") from None
    if not minimum <= v <= maximum:
        raise ValueError(f"{name}: must lie in [{minimum}, {maximum}], got {v}")
    return v
