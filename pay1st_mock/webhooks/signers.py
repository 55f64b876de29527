"""Signature headers for each kind of outgoing webhook, computed at send time."""

from __future__ import annotations

from pay1st_mock.shop.catalogue import ShopCatalogue
from pay1st_mock.signing import sign_request, sign_summary, summary_key
from pay1st_mock.store.deliveries import Delivery
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.purchases import PurchaseRepository
from pay1st_mock.webhooks.dispatcher import SignHeaders


def make_signer(partners: PartnerRepository, purchases: PurchaseRepository,
                shop: ShopCatalogue) -> SignHeaders:
    """Return the function the dispatcher calls to sign a delivery for a timestamp.

    Payment Webhook Events: ``X-TIMESTAMP`` and ``X-SIGNATURE`` = hex HMAC-SHA256(partner's
    signing key, timestamp + body), the gateway scheme (design.md §3). Summary Webhooks:
    ``X-SIGNATURE`` = hex HMAC-SHA256(Base64 text of the product's ``username:password``,
    trimmed body), no timestamp (pay1st-api.md §5.2).
    """

    def sign(delivery: Delivery, timestamp: str) -> dict[str, str]:
        partner = partners.get(delivery.partner_id)
        if partner is None:
            raise LookupError(f"delivery {delivery.id}: partner {delivery.partner_id} is gone")
        if delivery.kind == "payment_event":
            return {"X-TIMESTAMP": timestamp,
                    "X-SIGNATURE": sign_request(partner.config.signing_key, timestamp,
                                                delivery.body)}
        if delivery.kind == "summary":
            purchase = purchases.for_payment(delivery.reference)
            found = shop.bundle(purchase.bundle_id) if purchase else None
            if found is None:
                raise LookupError(f"delivery {delivery.id}: its purchase or product is gone")
            product = found[0]
            key = summary_key(product.username, product.password)
            return {"X-SIGNATURE": sign_summary(key, delivery.body)}
        raise ValueError(f"delivery {delivery.id}: no signer for kind {delivery.kind!r}")

    return sign
