"""What a report adds when a partner refuses a webhook the emulator signed correctly: the usual
signing mistakes of each kind, and the exact string that was signed."""

from __future__ import annotations

_SHOWN = 400  # characters of the signed string a report shows

_PAYMENT_EVENT = ("compute HMAC-SHA256 over the raw body bytes as received, not over JSON you "
                  "parsed and wrote again; use the signing key's text as the key (do not "
                  "Base64-decode it); put the X-TIMESTAMP header text immediately before the "
                  "body, with no separator; compare lowercase hex; accept timestamps up to 300 s "
                  "old")
_SUMMARY = ("compute HMAC-SHA256 over the raw body with surrounding whitespace trimmed, not over "
            "JSON you parsed and wrote again; the key is the Base64 text of "
            "username:password, used as text (do not decode it, do not use username:password "
            "itself); there is no timestamp; compare lowercase hex")


def refused_signature_hint(kind: str, status: int | None, signed: str,
                           signature: str | None) -> str | None:
    """A hint when a correctly signed webhook of ``kind`` ("payment_event" or "summary") was
    answered 401 or 403; None for any other answer."""
    if status not in (401, 403) or signature is None:
        return None
    mistakes = _SUMMARY if kind == "summary" else _PAYMENT_EVENT
    shown = signed if len(signed) <= _SHOWN else signed[:_SHOWN] + f"… ({len(signed)} chars)"
    return (f"hint: the webhook was signed correctly (X-SIGNATURE {signature}), yet the partner "
            f"answered {status}. The usual causes: {mistakes}. The exact signed string was "
            f"{shown!r}")
