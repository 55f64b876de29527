"""Bodies of the webhooks Pay1st sends (pay1st-api.md §6.8, design.md §3). Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pay1st_mock.records import Partner, Payment

# The statuses that send a Payment Webhook Event (design.md §3).
WEBHOOK_STATUSES = frozenset({"PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED"})


def payment_event(payment: Payment, partner: Partner) -> dict[str, Any]:
    """The Payment Webhook Event body for the payment's current status."""
    return event_body(
        partner_id=partner.id, partner_code=partner.config.code,
        partner_reference=payment.partner_reference, reference=payment.reference,
        amount=payment.amount, currency=payment.currency_code, country=payment.country_code,
        customer_id=customer_of(payment.metadata), status=payment.status,
        channel_id=payment.channel_id, channel_name=payment.channel_name)


def event_body(*, partner_id: int, partner_code: str, partner_reference: str, reference: str,
               amount: Any, currency: str, country: str, customer_id: Any, status: str,
               channel_id: int | None, channel_name: str | None) -> dict[str, Any]:
    """The §6.8 body from its fields; the scenario runner builds its events with it too."""
    return {
        "partnerId": partner_id,
        "partnerCode": partner_code,
        "partnerReference": partner_reference,
        "reference": reference,
        "orderAmount": amount,
        "currencyCode": currency,
        "countryCode": country,
        "customerId": customer_id,
        "status": status,
        "channelId": channel_id,
        "channelName": channel_name,
    }


def customer_of(metadata: Iterable[Mapping[str, Any]]) -> Any:
    """The ``customerId`` metadata value (design.md §3), if any."""
    return next((item.get("value") for item in metadata if item.get("key") == "customerId"),
                None)


def payment_webhook_url(payment: Payment, partner: Partner) -> str | None:
    """Where the event goes: the payment's ``webhookUrl``, else the partner's."""
    return payment.webhook_url or partner.config.webhook_url
