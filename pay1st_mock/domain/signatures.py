"""Checking ``X-SIGNATURE`` / ``X-TIMESTAMP`` on gateway requests (pay1st-api.md §5.1).

When a signature is wrong, the emulator tries the mistakes partners make most (the docs' own
prose swaps key and message; JSON re-serialised before signing; no timestamp prefix; a
separator; a decoded key; Base64 instead of hex) and says which one it was.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from pay1st_mock.clock import isoformat
from pay1st_mock.errors import Pay1stError
from pay1st_mock.signing import sign_request, verify_request

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)$", re.ASCII)
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_SHOWN_CHARS = 160


def parse_timestamp(text: str) -> float:
    """Parse an ISO-8601 date-time with a zone (fraction up to nanoseconds) to epoch seconds.

    Raises ``Pay1stError(INVALID_TIMESTAMP)`` saying what form is expected.
    """
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise Pay1stError(
            "INVALID_TIMESTAMP",
            f"X-TIMESTAMP {text[:60]!r} is not an ISO-8601 date-time with a zone; send e.g. "
            "2025-03-17T08:10:52.544247646Z (UTC, fraction optional) and sign that exact text")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if zone in ("Z", "z"):
            tz = UTC
        else:
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:] or 0)  # "+01" is "+01:00"
            if hours > 23 or minutes > 59:
                raise ValueError(f"zone offset {zone} is out of range")
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          tzinfo=tz)
    except ValueError as exc:
        raise Pay1stError("INVALID_TIMESTAMP",
                          f"X-TIMESTAMP {text[:60]!r} is not a real date-time ({exc})") from None
    return moment.timestamp() + (int(fraction.ljust(9, "0")) / 1e9 if fraction else 0.0)


def check_request_signature(*, signing_key: str, timestamp: str | None, signature: str | None,
                            body: bytes, now: float, tolerance: float, required: bool,
                            wall: float | None = None) -> None:
    """Verify a request's signature headers; raise ``Pay1stError`` saying what to change.

    With ``required`` False (GET requests), absent headers are fine, but present ones are checked
    over an empty body (design.md §3). ``now`` is the emulator clock and ``wall`` the real UTC
    time: X-TIMESTAMP may be within ``tolerance`` of either, so a partner that signs with the
    real time is never refused because a test moved the emulator clock.
    """
    if timestamp is None and signature is None:
        if required:
            raise Pay1stError("MISSING_SIGNATURE",
                              "send X-TIMESTAMP (ISO-8601) and X-SIGNATURE = lowercase hex "
                              "HMAC-SHA256(signing key, X-TIMESTAMP + raw body); both are missing")
        return
    if timestamp is None or signature is None:
        missing, present = ("X-TIMESTAMP", "X-SIGNATURE") if timestamp is None else \
            ("X-SIGNATURE", "X-TIMESTAMP")
        raise Pay1stError("MISSING_SIGNATURE",
                          f"{present} arrived without {missing}; send both headers")
    moment = parse_timestamp(timestamp)
    _check_window(timestamp, moment, now, wall, tolerance)
    received = signature.strip()
    if verify_request(signing_key, timestamp, body, received):
        return
    expected = sign_request(signing_key, timestamp, body)
    raise Pay1stError("INVALID_SIGNATURE",
                      _mismatch_message(signing_key, timestamp, body, received, expected))


def _check_window(timestamp: str, moment: float, now: float, wall: float | None,
                  tolerance: float) -> None:
    """TIMESTAMP_OUT_OF_WINDOW unless ``moment`` is within ``tolerance`` of the emulator clock
    or of the real time."""
    clocks = [("the emulator clock", now)]
    if wall is not None and abs(wall - now) >= 1:  # the emulator clock was moved
        clocks = [("the current UTC time", wall), ("the emulator clock, which was moved", now)]
    if any(abs(moment - at) <= tolerance for _, at in clocks):
        return
    drifts = [f"{abs(moment - at):.0f} s {'ahead of' if moment > at else 'behind'} {name} "
              f"({isoformat(at)})" for name, at in clocks]
    raise Pay1stError(
        "TIMESTAMP_OUT_OF_WINDOW",
        f"X-TIMESTAMP {timestamp} is {' and '.join(drifts)}; the window is ±{tolerance:.0f} s: "
        "sign with the current UTC time")


def _mismatch_message(key: str, timestamp: str, body: bytes, received: str, expected: str) -> str:
    shown = (timestamp.encode() + body).decode("utf-8", "replace")
    if len(shown) > _SHOWN_CHARS:
        shown = shown[:_SHOWN_CHARS] + f"… ({len(timestamp.encode() + body)} bytes in all)"
    base = (f"X-SIGNATURE does not match; expected lowercase hex HMAC-SHA256 with the signing "
            f"key as key over X-TIMESTAMP immediately followed by the raw body, i.e. over "
            f"{shown!r} = {expected}")
    diagnosis = _diagnose(key, timestamp, body, received)
    return f"{diagnosis}. {base}" if diagnosis else base


def _hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _diagnose(key: str, timestamp: str, body: bytes, received: str) -> str | None:
    """Name the common mistake that produced ``received``, if it is one of them."""
    if not _HEX64.match(received):
        digest = hmac.new(key.encode(), timestamp.encode() + body, hashlib.sha256).digest()
        if received in (base64.b64encode(digest).decode(), base64.urlsafe_b64encode(digest)
                        .decode()):
            return "X-SIGNATURE is Base64; send the same digest as 64 lowercase hex characters"
        return (f"X-SIGNATURE must be 64 hex characters; it has {len(received)} characters")
    got = received.lower()
    ts, k = timestamp.encode(), key.encode()
    candidates: list[tuple[str, Callable[[], str]]] = [
        ("the signing key and the message are swapped (the Pay1st docs' prose says it the wrong "
         "way round); use the signing key as the HMAC key and timestamp + body as the message",
         lambda: _hex(ts + body, k)),
        ("the signature covers the body without the timestamp; prefix the body with the exact "
         "X-TIMESTAMP text", lambda: _hex(k, body)),
        ("a separator was put between timestamp and body; concatenate them with nothing between",
         lambda: next((s for sep in (b".", b"\n", b" ", b":")
                       if (s := _hex(k, ts + sep + body)) == got), "")),
        ("the signing key was Base64-decoded; use its text as it is, as UTF-8 bytes",
         lambda: _hex(_b64decode(key), ts + body)),
    ]
    for reason, compute in candidates:
        if compute() == got:
            return reason
    for variant in _reserialisations(body):
        if _hex(k, ts + variant) == got:
            return ("the signature covers the JSON re-serialised, not the bytes that were sent; "
                    "sign the exact body bytes you put on the wire")
    return None


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def _reserialisations(body: bytes) -> list[bytes]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []
    forms = [json.dumps(document), json.dumps(document, separators=(",", ":")),
             json.dumps(document, sort_keys=True), json.dumps(document, indent=2),
             json.dumps(document, separators=(",", ":"), sort_keys=True)]
    return [form.encode() for form in forms if form.encode() != body]
