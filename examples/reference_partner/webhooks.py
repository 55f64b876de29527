"""The calls Pay1st makes to us, and the page its checkout sends customers back to, under
``/pay1st``: the Shop's User Info and Summary Webhooks (with the product's Basic auth), and
Payment Webhook Events with the refund and chargeback notifications that share their URL.

Each view reads the raw body first, verifies it, and only then parses and acts: a signature is
over bytes, and re-serialised JSON would not match it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from reference_partner import money_back, orders, shop
from reference_partner.bugs import TIGHT_FRESHNESS_SECONDS, decoded_summary_key, reserialised
from reference_partner.signatures import (
    summary_key,
    verify_basic_auth,
    verify_payment_webhook,
    verify_summary_signature,
    verify_timestamp_fresh,
)
from reference_partner.web import current_partner, json_object

blueprint = Blueprint("pay1st", __name__, url_prefix="/pay1st")


@blueprint.get("/user-info")
def user_info() -> ResponseReturnValue:
    """User Info Webhook (§7.2): ``?playerId=...`` → 200 ``{userId, externalReference, amount,
    currencyCode}`` for an active player; 400 ``{errorMessage, errorCode}`` otherwise; 401
    ``{error}`` without the product's ``Authorization: Basic``."""
    partner = current_partner()
    if partner.bug("slow-user-info"):
        time.sleep(partner.settings.slow_seconds)
    if not partner.bug("user-info-no-basic-auth"):  # 401 {error}: only the Shop may ask
        verify_basic_auth(partner.settings.shop_username, partner.settings.shop_password,
                          request.headers.get("Authorization"))
    try:
        return shop.user_info(partner, request.args.to_dict())
    except shop.PlayerError as exc:
        return {"errorMessage": str(exc), "errorCode": exc.code}, 400


@blueprint.post("/summary")
def summary() -> ResponseReturnValue:
    """Summary Webhook (§7.3): a signed body (§5.2) → 200, credited once per ``reference``;
    401 ``{error}`` for a missing or bad ``Authorization: Basic`` or ``X-SIGNATURE``; 400 for a
    body that is not JSON."""
    partner = current_partner()
    settings, body = partner.settings, request.get_data()
    if not partner.bug("summary-no-basic-auth"):
        verify_basic_auth(settings.shop_username, settings.shop_password,
                          request.headers.get("Authorization"))
    if not partner.bug("summary-no-signature-check"):
        make_key = decoded_summary_key if partner.bug("summary-decoded-key") else summary_key
        key = make_key(settings.shop_username, settings.shop_password)
        signed = reserialised(body) if partner.bug("summary-reserialised-hmac") else body
        verify_summary_signature(key, signed, request.headers.get("X-SIGNATURE"))
    return {"received": True, "note": shop.credit_summary(partner, json_object(body))}


@blueprint.post("/payment-events")
def payment_event() -> ResponseReturnValue:
    """Payment Webhook Event (§6.8), or a refund or chargeback notification: signed like our
    requests (§5.1) and at most ``timestamp_tolerance_seconds`` old → 200, applied once; 401
    ``{error}`` otherwise."""
    partner = current_partner()
    if partner.bug("slow-payment-webhook"):
        time.sleep(partner.settings.slow_seconds)
    settings, body = partner.settings, request.get_data()
    timestamp = request.headers.get("X-TIMESTAMP")
    if not partner.bug("webhook-no-signature-check"):
        signed = reserialised(body) if partner.bug("webhook-reserialised-hmac") else body
        verify_payment_webhook(settings.signing_key, timestamp,
                               request.headers.get("X-SIGNATURE"), signed)
    if not partner.bug("webhook-no-timestamp-check"):
        tolerance = (TIGHT_FRESHNESS_SECONDS if partner.bug("webhook-tight-freshness")
                     else settings.timestamp_tolerance_seconds)
        verify_timestamp_fresh(timestamp, datetime.now(UTC), tolerance)
    event = json_object(body)
    if money_back.is_money_back(event):  # a refund's or chargeback's, sent to the same URL
        return {"received": True, "note": money_back.apply(partner, event)}
    return {"received": True, "note": orders.apply_payment_event(partner, event)}


@blueprint.get("/return")
def checkout_return() -> ResponseReturnValue:
    """Where the hosted checkout sends the customer back (the callback URLs): a page saying how
    the payment went. It never credits anything: only a verified event does."""
    status = request.args.get("status", "")
    words = {"SUCCESSFUL": "Thank you: your payment went through.",
             "PENDING": "Your payment is on its way; we credit you once it is confirmed.",
             "CANCELLED": "You cancelled the payment."}.get(status, "The payment did not go "
                                                                   "through.")
    return {"order": request.args.get("partnerReference"), "status": status, "message": words}
