"""What a report adds when a partner refuses a webhook the emulator signed correctly: the usual
signing mistakes of each kind, and the exact string that was signed."""

from __future__ import annotations

from pay1st_mock.webhooks.kinds import PaymentEventKind, SummaryKind

_SHOWN = 400  # characters of the signed string a report shows


def refused_signature_hint(kind: str, status: int | None, signed: str,
                           signature: str | None) -> str | None:
    """A hint when a correctly signed webhook of ``kind`` ("payment_event" or "summary") was
    answered 401 or 403; None for any other answer."""
    if status not in (401, 403) or signature is None:
        return None
    mistakes = (SummaryKind if kind == SummaryKind.name else PaymentEventKind).mistakes
    shown = signed if len(signed) <= _SHOWN else signed[:_SHOWN] + f"… ({len(signed)} chars)"
    return (f"hint: the webhook was signed correctly (X-SIGNATURE {signature}), yet the partner "
            f"answered {status}. The usual causes: {mistakes}. The exact signed string was "
            f"{shown!r}")
