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


# Made once: json.dumps/loads with options build a new encoder/decoder on every call.
_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> str:
    """Render ``value`` as compact JSON, numbers from ``Decimal`` included."""
    return _ENCODER.encode(value)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; send a finite number")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)


def loads(text: str | bytes) -> Any:
    """Parse JSON text, reading non-integer numbers as ``Decimal``.

    Python's parser accepts ``NaN`` and ``Infinity``; JSON does not, and neither do we. Raises
    ``ValueError`` (``json.JSONDecodeError`` or ``UnicodeDecodeError``) on bad input.
    """
    if isinstance(text, str):  # what json.loads does before decoding, with the same errors
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    else:
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    return _DECODER.decode(text)
