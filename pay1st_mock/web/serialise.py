"""Domain objects → the JSON shapes of the gateway and control APIs (checked by ``schemas/``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pay1st_mock.clock import isoformat
from pay1st_mock.records import (
    Attempt,
    Chargeback,
    Delivery,
    Evidence,
    Fulfilment,
    Partner,
    Payment,
    Refund,
    StatusChange,
    transaction_reference,
)
from pay1st_mock.webhooks.payloads import chargeback_body, refund_body

# Statuses of a payment that was paid: it has a transaction (C-…-T) to refund.
PAID = frozenset({"SUCCESSFUL", "REFUND", "CHARGEBACK"})


def created_payment(payment: Payment) -> dict[str, Any]:
    """The Create Payment Request response (pay1st-api.md §6.4)."""
    return {"reference": payment.reference, "partnerReference": payment.partner_reference,
            "countryCode": payment.country_code, "currencyCode": payment.currency_code,
            "amount": payment.amount, "status": payment.status}


def fulfilment(line: Fulfilment) -> dict[str, Any]:
    """One fulfilment line as reported back (emulator extension)."""
    return {"sku": line.sku, "quantity": line.quantity, "fulfilmentStatus": line.fulfilment_status,
            "fulfilmentTime": line.fulfilment_time, "receivedAt": isoformat(line.received_at)}


def payment_status(payment: Payment, partner: Partner, fulfilments: list[Fulfilment],
                   refunds: Sequence[Refund] = (),
                   chargeback: Chargeback | None = None) -> dict[str, Any]:
    """The Query Payment Status response (§6.6): per-request URLs win over the partner's; the
    transaction, refunds and chargeback are emulator extensions (design.md §10)."""
    own, default = payment.callbacks, partner.config.callbacks
    return {
        "countryCode": payment.country_code, "currencyCode": payment.currency_code,
        "amount": payment.amount, "reference": payment.reference,
        "partnerReference": payment.partner_reference,
        "partnerSettings": {
            "partnerId": partner.id,
            "webhookUrl": payment.webhook_url or partner.config.webhook_url,
            "successCallbackUrl": own.success or default.success,
            "failureCallbackUrl": own.failure or default.failure,
            "pendingCallbackUrl": own.pending or default.pending,
            "cancelCallbackUrl": own.cancel or default.cancel,
        },
        "products": payment.products, "metadata": payment.metadata, "status": payment.status,
        "channelId": payment.channel_id, "channelName": payment.channel_name,
        "fulfilments": [fulfilment(line) for line in fulfilments],
        "transactionReference": (transaction_reference(payment.reference)
                                 if payment.status in PAID else None),
        "refunds": [refund_body(r, payment) for r in refunds],
        "chargeback": chargeback_body(chargeback, payment) if chargeback else None,
    }


def control_payment(payment: Payment, history: list[StatusChange],
                    fulfilments: list[Fulfilment]) -> dict[str, Any]:
    """A payment as the control API shows it, with its status history."""
    return {
        "partnerId": payment.partner_id, "reference": payment.reference,
        "partnerReference": payment.partner_reference, "status": payment.status,
        "countryCode": payment.country_code, "currencyCode": payment.currency_code,
        "amount": payment.amount, "channelId": payment.channel_id,
        "channelName": payment.channel_name, "products": payment.products,
        "metadata": payment.metadata,
        "fulfilments": [fulfilment(line) for line in fulfilments],
        "createdAt": isoformat(payment.created_at), "updatedAt": isoformat(payment.updated_at),
        "history": [{"status": change.status, "at": isoformat(change.at)} for change in history],
        "step": payment.step, "stepData": payment.step_data,
    }


def partner(record: Partner) -> dict[str, Any]:
    """A partner with its credentials, as the control API returns it."""
    config = record.config
    return {
        "partnerId": config.id, "code": config.code, "name": config.name,
        "apiKey": config.api_key, "apiSecret": config.api_secret,
        "signingKey": config.signing_key, "webhookUrl": config.webhook_url,
        "callbacks": {"success": config.callbacks.success, "failure": config.callbacks.failure,
                      "pending": config.callbacks.pending, "cancel": config.callbacks.cancel},
        "access": list(config.access), "origin": record.origin,
    }


def delivery(record: Delivery, attempts: list[Attempt]) -> dict[str, Any]:
    """A webhook delivery with every attempt, as the control API shows it."""
    return {
        "id": record.id, "partnerId": record.partner_id, "kind": record.kind,
        "reference": record.reference, "event": record.event, "url": record.url,
        "body": record.body, "status": record.status, "note": record.note,
        "attempts": [{
            "number": a.number, "at": isoformat(a.at), "url": a.url,
            "requestHeaders": a.request_headers, "requestBody": a.request_body,
            "responseStatus": a.response_status, "responseBody": a.response_body,
            "durationMs": round(a.duration_ms, 3), "error": a.error,
        } for a in attempts],
        "nextAttemptAt": isoformat(record.next_attempt_at) if record.next_attempt_at else None,
        "resendOf": record.resend_of,
        "createdAt": isoformat(record.created_at),
    }


def refund(record: Refund, payment: Payment) -> dict[str, Any]:
    """A refund as the Refund API answers it (and its notification carries it)."""
    return refund_body(record, payment)


def chargeback(record: Chargeback, payment: Payment) -> dict[str, Any]:
    """A chargeback as the chargeback endpoints answer it (and its notification carries it)."""
    return chargeback_body(record, payment)


def history(changes: list[StatusChange]) -> list[dict[str, Any]]:
    """Status changes, oldest first, as the control API shows them."""
    return [{"status": change.status, "at": isoformat(change.at)} for change in changes]


def control_refund(record: Refund, payment: Payment,
                   changes: list[StatusChange]) -> dict[str, Any]:
    """A refund as the control API shows it: the Gateway API's view, plus its owner, payment,
    note and history."""
    return {"refund": refund_body(record, payment), "partnerId": record.partner_id,
            "paymentReference": record.payment_reference, "note": record.note,
            "history": history(changes)}


def evidence(document: Evidence) -> dict[str, Any]:
    """One document of a chargeback's case, as List Chargeback Evidences shows it."""
    return {"evidenceId": document.id, "fileName": document.file_name,
            "contentType": document.content_type, "size": len(document.content.encode()),
            "createdDate": isoformat(document.created_at)}


def control_chargeback(record: Chargeback, payment: Payment, changes: list[StatusChange],
                       documents: list[Evidence]) -> dict[str, Any]:
    """A chargeback as the control API shows it: the Gateway API's view, plus its owner,
    payment, history and evidence."""
    return {"chargeback": chargeback_body(record, payment), "partnerId": record.partner_id,
            "paymentReference": record.payment_reference, "history": history(changes),
            "evidences": [evidence(d) for d in documents]}
