"""The signature of a webhook delivery explained, for a partner comparing with their own code.

For each attempt: the ``X-SIGNATURE`` sent, the exact string that was signed, the key and the
scheme, and the signature recomputed from them (so the page shows they agree). A Payment Webhook
Event signs the ``X-TIMESTAMP`` text immediately followed by the body, keyed with the partner's
signing key; a Summary Webhook signs the trimmed body, keyed with the Base64 text of the
product's ``username:password`` (``pay1st_mock/signing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pay1st_mock.services import Services
from pay1st_mock.signing import sign_request, sign_summary, summary_key
from pay1st_mock.store.deliveries import Attempt, Delivery


@dataclass(frozen=True)
class Scheme:
    """How a kind of delivery is signed, and the key this delivery's signer uses."""

    message: str  # what the signed string is made of
    key_name: str  # what the key is
    key: str | None  # the key itself (None: it cannot be found any more)
    code: str  # the same in a line of Python


@dataclass(frozen=True)
class AttemptSignature:
    """One attempt's signature: what was sent, what was signed, and the check."""

    number: int
    sent: str | None  # X-SIGNATURE as sent
    timestamp: str | None  # X-TIMESTAMP as sent (payment events only)
    signed: str  # the exact signed string
    recomputed: str | None

    @property
    def matches(self) -> bool:
        """Whether recomputing from the signed string and the key gives what was sent."""
        return self.sent is not None and self.sent == self.recomputed


_PAYMENT_EVENT = ("the X-TIMESTAMP header text immediately followed by the body (no separator)",
                  "the partner's signing key (its UTF-8 text, never Base64-decoded)",
                  "hmac.new(signing_key.encode(), (x_timestamp + body).encode(), "
                  "hashlib.sha256).hexdigest()")
_SUMMARY = ("the body with surrounding whitespace trimmed (no timestamp)",
            "the Base64 text of the product's username:password (not decoded)",
            "hmac.new(base64.b64encode(f'{username}:{password}'.encode()), body.strip()"
            ".encode(), hashlib.sha256).hexdigest()")


def scheme(svc: Services, delivery: Delivery) -> Scheme:
    """The signing scheme of ``delivery`` and the key it is signed with."""
    if delivery.kind == "summary":
        purchase = svc.purchases.for_payment(delivery.reference)
        found = svc.shop.catalogue.bundle(purchase.bundle_id) if purchase else None
        key = summary_key(found[0].username, found[0].password) if found else None
        return Scheme(*_SUMMARY[:2], key, _SUMMARY[2])
    partner = svc.partners.get(delivery.partner_id)
    return Scheme(*_PAYMENT_EVENT[:2], partner.config.signing_key, _PAYMENT_EVENT[2])


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def attempt_signature(delivery: Delivery, attempt: Attempt, key: str | None) -> AttemptSignature:
    """Explain the signature one attempt carried."""
    sent = _header(attempt.request_headers, "X-SIGNATURE")
    if delivery.kind == "summary":
        signed = attempt.request_body.strip()
        recomputed = sign_summary(key, attempt.request_body) if key is not None else None
        return AttemptSignature(attempt.number, sent, None, signed, recomputed)
    timestamp = _header(attempt.request_headers, "X-TIMESTAMP") or ""
    recomputed = (sign_request(key, timestamp, attempt.request_body)
                  if key is not None else None)
    return AttemptSignature(attempt.number, sent, timestamp, timestamp + attempt.request_body,
                            recomputed)


def signatures(svc: Services, delivery: Delivery,
               attempts: list[Attempt]) -> tuple[Scheme, list[AttemptSignature]]:
    """The scheme of ``delivery`` and the signature of each of its attempts."""
    used = scheme(svc, delivery)
    return used, [attempt_signature(delivery, a, used.key) for a in attempts]
