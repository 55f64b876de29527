"""Test hooks under ``/pay1st-test``: a documented contract the conformance scenarios drive.

``POST /orders`` is the production checkout flow behind a button; the two GETs show the state
a scenario asserts on.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from reference_partner.errors import NotFoundError, PartnerError
from reference_partner.orders import place_order
from reference_partner.web import current_partner, json_object

blueprint = Blueprint("pay1st_test", __name__, url_prefix="/pay1st-test")


@blueprint.post("/orders")
def create_order() -> ResponseReturnValue:
    """``{playerId, sku, quantity?=1, countryCode?="NG"}`` → 201 ``{reference,
    partnerReference, checkoutUrl}``; 400 for an unknown player, SKU or country; 502 with
    Pay1st's ``errorMessage`` when Pay1st refuses."""
    data = json_object(request.get_data())
    player_id, sku = data.get("playerId"), data.get("sku")
    quantity, country_code = data.get("quantity", 1), data.get("countryCode", "NG")
    if not (isinstance(player_id, str) and isinstance(sku, str)
            and isinstance(country_code, str) and type(quantity) is int):
        raise PartnerError('send {"playerId": "...", "sku": "...", "quantity": 1, '
                           '"countryCode": "NG"} (quantity and countryCode optional)')
    order, checkout_url = place_order(current_partner(), player_id, sku, quantity, country_code)
    return {"reference": order.reference, "partnerReference": order.partner_reference,
            "checkoutUrl": checkout_url}, 201


@blueprint.get("/players/<player_id>")
def show_player(player_id: str) -> ResponseReturnValue:
    """200 ``{playerId, balance, credits}``; 404 for a player we do not have."""
    partner = current_partner()
    if player_id not in partner.settings.players:
        raise NotFoundError(f"no player has id {player_id!r}")
    account = partner.store.account(player_id)
    return {"playerId": player_id, "balance": account.balance, "credits": account.credits}


@blueprint.get("/orders/<reference>")
def show_order(reference: str) -> ResponseReturnValue:
    """200 ``{reference, partnerReference, status, fulfilled}`` by Pay1st's reference (or
    ours); 404 if unknown."""
    order = current_partner().store.find_order(reference, reference)
    if order is None:
        raise NotFoundError(f"no order has reference {reference!r}")
    return {"reference": order.reference, "partnerReference": order.partner_reference,
            "status": order.status, "fulfilled": order.fulfilled}
