"""Control API for the Shop: headless purchases, purchase list, partner exchanges."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from pay1st_mock.clock import isoformat
from pay1st_mock.config import Callbacks
from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Exchange, Purchase
from pay1st_mock.shop.purchases import Order
from pay1st_mock.web import serialise
from pay1st_mock.web.http import json_body, json_response, services
from pay1st_mock.web.operations import Operation
from pay1st_mock.webhooks.kinds import SummaryKind

blueprint = Blueprint("shop_control", __name__, url_prefix="/_mock")


def exchange_body(exchange: Exchange | None) -> dict[str, Any] | None:
    """An exchange with the partner as JSON."""
    if exchange is None:
        return None
    return {"id": exchange.id, "partnerId": exchange.partner_id,
            "productId": exchange.product_id, "kind": exchange.kind,
            "requestUrl": exchange.request_url, "responseStatus": exchange.response_status,
            "responseBody": exchange.response_body,
            "durationMs": round(exchange.duration_ms, 3), "verdict": exchange.verdict,
            "message": exchange.message, "findings": exchange.findings,
            "at": isoformat(exchange.at)}


def purchase_body(purchase: Purchase) -> dict[str, Any]:
    """A purchase with its payment's status."""
    payment = services().payments.find(purchase.payment_reference)
    return {"id": purchase.id, "reference": purchase.payment_reference,
            "externalReference": purchase.external_reference or None,
            "productId": purchase.product_id, "productBundleId": purchase.bundle_id,
            "quantity": purchase.quantity, "countryCode": purchase.country_code,
            "playerId": purchase.player_id, "userId": purchase.user_id,
            "source": purchase.source, "status": payment.status, "amount": payment.amount,
            "currencyCode": payment.currency_code, "channelName": payment.channel_name,
            "createdAt": isoformat(purchase.created_at)}


@blueprint.post("/shop/purchases")
@Operation(request="control/shop-purchase-request.json", status=201)
def create_purchase() -> Response:
    """A headless Shop purchase through the same steps as the storefront → 201.

    Body ``{productBundleId, countryCode, playerId, quantity?, channelId?, outcome?,
    externalReference?}``; answers the purchase, the User Info exchange and the Summary
    delivery. A refused player is 400 ``PLAYER_REJECTED`` or ``PARTNER_FAULT``.
    """
    body, _ = json_body(unknown_fields_are_errors=True)
    svc = services()
    product, bundle = svc.shop.bundle(body["productBundleId"])
    order = Order(product, bundle, body.get("quantity", 1), body["countryCode"],
                  body["playerId"], body.get("externalReference"))
    # Everything we can refuse is refused before the partner is called or anything is stored.
    svc.shop.check_order(order)
    channel = svc.checkout.channel_in(order.country_code, body.get("channelId"))
    outcome = body.get("outcome", "success")
    svc.checkout.check_outcome(channel, outcome)
    verdict = svc.shop.check_player(order)
    if not verdict.accepted:
        code = "PLAYER_REJECTED" if verdict.verdict == "rejected" else "PARTNER_FAULT"
        exchange = f" (exchange {verdict.exchange.id})" if verdict.exchange else ""
        raise Pay1stError(code, f"{verdict.message}{exchange}; nothing was charged")
    purchase, payment = svc.shop.buy(order, verdict, "control", Callbacks())
    svc.checkout.run(payment.reference, outcome, channel.id)
    summary = next((d for d in svc.outbox.search(None, payment.reference, None, 10)
                    if d.kind == SummaryKind.name), None)
    return json_response({
        "purchase": purchase_body(purchase),
        "userInfo": exchange_body(verdict.exchange),
        "summary": serialise.delivery(summary, svc.outbox.attempts(summary)) if summary else None,
    }, status=201)


@blueprint.get("/shop/purchases")
@Operation()
def list_purchases() -> Response:
    """200 ``{purchases: [...]}``, newest first."""
    return json_response({"purchases": [purchase_body(p)
                                        for p in services().shop.purchases()]})


@blueprint.get("/exchanges")
@Operation()
def list_exchanges() -> Response:
    """200 ``{exchanges: [...]}``: every User Info Webhook call, newest first."""
    return json_response({"exchanges": [exchange_body(e)
                                        for e in services().shop.exchanges()]})
