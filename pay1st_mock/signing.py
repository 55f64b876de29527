"""Pay1st signatures as pure functions (pay1st-api.md §5).

Both algorithms are HMAC-SHA256 rendered as lowercase hex. They differ in key and message:

* Gateway requests (partner → Pay1st) and Payment Webhook Events (Pay1st → partner):
  key = the Signing Key's UTF-8 text (never base64-decoded),
  message = the ``X-TIMESTAMP`` header text immediately followed by the raw body bytes.
* Summary Webhook (Shop → partner): key = the ASCII text of base64(``username:password``),
  message = the raw body with surrounding whitespace trimmed.

This module imports nothing from the rest of the package so partners can use it on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign_request(signing_key: str, timestamp: str, body: str | bytes) -> str:
    """Return the ``X-SIGNATURE`` of a gateway request: hex HMAC-SHA256(key, timestamp + body).

    ``body`` must be the exact bytes sent on the wire; re-serialised JSON gives another signature.
    """
    message = timestamp.encode("utf-8") + _as_bytes(body)
    return hmac.new(signing_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_request(signing_key: str, timestamp: str, body: str | bytes, signature: str) -> bool:
    """Tell whether ``signature`` is the gateway signature of ``timestamp`` + ``body``.

    The comparison is constant-time; hex case is ignored.
    """
    expected = sign_request(signing_key, timestamp, body)
    return _same(expected, signature)


def summary_key(username: str, password: str) -> str:
    """Return the Summary Webhook key: the Base64 *text* of ``username:password``."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def sign_summary(key: str, body: str | bytes) -> str:
    """Return the Summary Webhook ``X-SIGNATURE``: hex HMAC-SHA256(key text, trimmed body)."""
    message = _as_bytes(body).strip()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_summary(key: str, body: str | bytes, signature: str) -> bool:
    """Tell whether ``signature`` is the Summary Webhook signature of ``body`` (constant-time)."""
    return _same(sign_summary(key, body), signature)


def _same(expected_hex: str, received: str) -> bool:
    """Constant-time comparison that also answers False (not TypeError) for non-ASCII input."""
    return hmac.compare_digest(expected_hex.encode("ascii"),
                               received.strip().lower().encode("utf-8", "replace"))
