"""Bodies of the webhooks Pay1st sends (pay1st-api.md §6.8, §6.10, design.md §3, §10). Pure
functions. A refund or chargeback notification is the refund or chargeback exactly as the
Gateway API answers it (``refund_body``, ``chargeback_body``): the documented Create Refund
response, and its sibling for chargebacks (our choice: Pay1st publishes neither notification)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pay1st_mock.clock import isoformat
from pay1st_mock.records import Chargeback, Partner, Payment, Refund

# The statuses that send a Payment Webhook Event (design.md §3): REFUND when refunds reach the
# amount paid, CHARGEBACK when a chargeback is opened.
WEBHOOK_STATUSES = frozenset({"PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED",
                              "REFUND", "CHARGEBACK"})


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


def refund_body(refund: Refund, payment: Payment) -> dict[str, Any]:
    """A refund as Create Refund answers it (pay1st-api.md §6.10), and as every refund
    endpoint and the Refund Webhook Notification show it."""
    return {
        "refundReference": refund.reference,
        "transactionReference": refund.transaction_reference,
        "partnerReference": payment.partner_reference,
        "partnerRefundReference": refund.partner_refund_reference,
        "amount": refund.amount,
        "currencyCode": refund.currency_code,
        "status": refund.status,
        "handlingType": refund.handling_type,
        "fullRefund": refund.full_refund,
        "reason": refund.reason,
        "createdDate": isoformat(refund.created_at),
        "lastModifiedDate": isoformat(refund.updated_at),
    }


def chargeback_body(chargeback: Chargeback, payment: Payment) -> dict[str, Any]:
    """A chargeback as the chargeback endpoints and the Chargeback Webhook Notification show
    it: shaped like the refund (our choice; Pay1st publishes no chargeback shape)."""
    return {
        "chargebackReference": chargeback.reference,
        "transactionReference": chargeback.transaction_reference,
        "partnerReference": payment.partner_reference,
        "amount": chargeback.amount,
        "currencyCode": chargeback.currency_code,
        "status": chargeback.status,
        "reason": chargeback.reason,
        "reasonCode": chargeback.reason_code,
        "dueDate": isoformat(chargeback.due_at),
        "createdDate": isoformat(chargeback.created_at),
        "lastModifiedDate": isoformat(chargeback.updated_at),
    }


def money_back_url(own: str | None, payment: Payment, partner: Partner) -> str | None:
    """Where a refund or chargeback notification goes: the refund's ``refundWebhookUrl``, else
    the payment's ``webhookUrl``, else the partner's Webhook URL (our choice)."""
    return own or payment_webhook_url(payment, partner)
