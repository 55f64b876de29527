"""JSON text in and out, with amounts kept exact.

Bodies are parsed with ``Decimal`` for non-integers so ``10.10`` stays ``10.10`` (and its
precision can be checked); on the way out a ``Decimal`` becomes a plain JSON number.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    """Render ``value`` as compact JSON, numbers from ``Decimal`` included."""
    return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; send a finite number")


def loads(text: str | bytes) -> Any:
    """Parse JSON text, reading non-integer numbers as ``Decimal``.

    Python's parser accepts ``NaN`` and ``Infinity``; JSON does not, and neither do we. Raises
    ``ValueError`` (``json.JSONDecodeError`` or ``UnicodeDecodeError``) on bad input.
    """
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
