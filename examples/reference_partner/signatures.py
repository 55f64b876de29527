"""Pay1st's two signature schemes (pay1st-api.md §5), computed and verified in constant time.

* Gateway requests we send, and the Payment Webhook Events Pay1st sends us:
  ``X-SIGNATURE`` = lowercase hex HMAC-SHA256(key = the Signing Key's UTF-8 text,
  message = the ``X-TIMESTAMP`` text immediately followed by the raw body bytes).
* The Shop's Summary Webhook: ``X-SIGNATURE`` = lowercase hex HMAC-SHA256(key = the Base64
  *text* of ``username:password``, message = the raw body trimmed of whitespace).
* The Shop's User Info and Summary calls also carry ``Authorization: Basic`` with that same
  Base64 text, which protects the two webhooks.

Always sign and verify the exact bytes on the wire, never re-serialised JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from reference_partner.errors import SignatureError


def gateway_signature(signing_key: str, timestamp: str, body: bytes) -> str:
    """Return the ``X-SIGNATURE`` of ``body`` sent with ``X-TIMESTAMP: timestamp``."""
    message = timestamp.encode("utf-8") + body
    return hmac.new(signing_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def summary_key(username: str, password: str) -> bytes:
    """Return the Summary Webhook key: the Base64 text of ``username:password``, as bytes."""
    return base64.b64encode(f"{username}:{password}".encode())


def summary_signature(key: bytes, body: bytes) -> str:
    """Return the Summary Webhook ``X-SIGNATURE`` of ``body`` (trimmed first)."""
    return hmac.new(key, body.strip(), hashlib.sha256).hexdigest()


def verify_payment_webhook(signing_key: str, timestamp: str | None, signature: str | None,
                           body: bytes) -> None:
    """Raise ``SignatureError`` unless ``signature`` signs ``timestamp`` + ``body``."""
    if not signature:
        raise SignatureError("missing X-SIGNATURE")
    if not timestamp:
        raise SignatureError("missing X-TIMESTAMP")
    if not same_hex(gateway_signature(signing_key, timestamp, body), signature):
        raise SignatureError("bad X-SIGNATURE")


def verify_timestamp_fresh(timestamp: str | None, now: datetime,
                           tolerance_seconds: float) -> None:
    """Raise ``SignatureError`` unless ``timestamp`` is within the tolerance of ``now``.

    Without this check, a captured webhook could be replayed forever: the signature covers
    the timestamp, so only its age tells an old delivery from a new one.
    """
    if not timestamp:
        raise SignatureError("missing X-TIMESTAMP")
    sent = parse_timestamp(timestamp)
    age = abs((now - sent).total_seconds())
    if age > tolerance_seconds:
        raise SignatureError(f"stale X-TIMESTAMP: {timestamp} is {age:.0f} s from our clock "
                             f"(at most {tolerance_seconds:g} s allowed)")


def verify_summary_signature(key: bytes, body: bytes, signature: str | None) -> None:
    """Raise ``SignatureError`` unless ``signature`` is the Summary signature of ``body``."""
    if not signature:
        raise SignatureError("missing X-SIGNATURE")
    if not same_hex(summary_signature(key, body), signature):
        raise SignatureError("bad X-SIGNATURE")


def verify_basic_auth(username: str, password: str, header: str | None) -> None:
    """Raise ``SignatureError`` unless ``header`` is ``Basic`` + the Base64 of
    ``username:password``: the pair the Shop sends on its User Info and Summary calls."""
    if not header:
        raise SignatureError("missing Authorization: Basic (the product's username:password)")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not hmac.compare_digest(
            value.strip().encode("utf-8", "replace"), summary_key(username, password)):
        raise SignatureError("wrong Authorization: expected Basic with the product's Basic Auth "
                             "username and password")


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 date-time with a zone (``Z`` or an offset), up to 9 fraction digits.

    Python 3.11's ``fromisoformat`` keeps the first 6 fraction digits and ignores the rest.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SignatureError(f"X-TIMESTAMP {text!r} is not an ISO-8601 date-time with a zone")
    return moment


def same_hex(expected: str, received: str) -> bool:
    """Compare hex digests in constant time (hex is case-insensitive; any text is safe)."""
    return hmac.compare_digest(expected.encode("ascii"),
                               received.strip().lower().encode("utf-8", "replace"))
