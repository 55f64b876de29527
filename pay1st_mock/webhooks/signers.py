"""Signature headers for each kind of outgoing webhook, computed at send time."""

from __future__ import annotations

from pay1st_mock.signing import sign_request
from pay1st_mock.store.deliveries import Delivery
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.webhooks.dispatcher import SignHeaders


def make_signer(partners: PartnerRepository) -> SignHeaders:
    """Return the function the dispatcher calls to sign a delivery for a timestamp.

    Payment Webhook Events: ``X-TIMESTAMP`` and ``X-SIGNATURE`` = hex HMAC-SHA256(partner's
    signing key, timestamp + body), the gateway scheme (design.md §3).
    """

    def sign(delivery: Delivery, timestamp: str) -> dict[str, str]:
        partner = partners.get(delivery.partner_id)
        if partner is None:
            raise LookupError(f"delivery {delivery.id}: partner {delivery.partner_id} is gone")
        if delivery.kind == "payment_event":
            return {"X-TIMESTAMP": timestamp,
                    "X-SIGNATURE": sign_request(partner.config.signing_key, timestamp,
                                                delivery.body)}
        raise ValueError(f"delivery {delivery.id}: no signer for kind {delivery.kind!r}")

    return sign
