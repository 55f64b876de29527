"""Gateway v4 orders: creating the payment, applying Payment Webhook Events, fulfilling.

An order's status only moves forward: once SUCCESSFUL, FAILED, CANCELLED or ABANDONED it never
changes again, whatever order the events arrive in and however often they are repeated. The
player is credited, and Pay1st told about the fulfilment, exactly once: on the first SUCCESSFUL.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reference_partner.bugs import CENTS_PER_UNIT
from reference_partner.catalogue import CURRENCIES, ITEMS, Item
from reference_partner.errors import GatewayError, PartnerError
from reference_partner.partner import Partner
from reference_partner.pay1st import now_timestamp
from reference_partner.shop import check_player
from reference_partner.store import Order, OrderLine

log = logging.getLogger("reference_partner.orders")

FINAL = frozenset({"SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED"})
EVENT_STATUSES = FINAL | {"PENDING"}  # the Payment Webhook Events we act on


def place_order(partner: Partner, player_id: str, sku: str, quantity: int,
                country_code: str) -> tuple[Order, str]:
    """Create the Pay1st payment for an order; return the order and its checkout link."""
    check_player(partner.settings, player_id)
    item = ITEMS.get(sku)
    if item is None:
        raise PartnerError(f"no SKU {sku!r}; we sell " + ", ".join(ITEMS))
    if country_code not in CURRENCIES:
        raise PartnerError(f"we do not sell in {country_code!r}; we sell in "
                           + ", ".join(CURRENCIES))
    if quantity < 1:
        raise PartnerError(f"quantity must be at least 1; got {quantity}")
    order = Order(str(uuid.uuid4()), player_id, (OrderLine(item.sku, quantity, item.tokens),),
                  amount=item.prices[country_code] * quantity)
    # Saved before the call: its event may arrive before Pay1st's answer (found by
    # partnerReference), and if the answer is lost the payment may still exist.
    partner.store.save_order(order)
    scale = CENTS_PER_UNIT if partner.bug("amount-in-cents") else 1
    created = partner.pay1st.create_payment(payment_request(order, item, country_code, scale))
    with partner.store.transaction():
        order = partner.store.find_order(partner_reference=order.partner_reference) or order
        order = replace(order, reference=created["reference"])
        partner.store.save_order(order)
    return order, partner.pay1st.checkout_url(created["reference"])


def payment_request(order: Order, item: Item, country_code: str,
                    scale: int = 1) -> dict[str, Any]:
    """The Create Payment Request body (§6.4) for a one-SKU order: amounts in major units, as
    v4 wants them (``scale`` 100 is bug ``amount-in-cents``)."""
    currency, price = CURRENCIES[country_code], item.prices[country_code] * scale
    quantity = order.lines[0].quantity
    return {
        "countryCode": country_code, "currencyCode": currency, "amount": price * quantity,
        "partnerReference": order.partner_reference,
        "products": [{"title": item.title, "sku": item.sku, "price": price,
                      "quantity": quantity, "currencyCode": currency}],
        "metadata": [{"key": "customerId", "value": order.player_id}],
    }


def apply_payment_event(partner: Partner, event: Mapping[str, Any]) -> str:
    """Apply a verified Payment Webhook Event to its order; return what was done.

    Unknown orders, repeats and late events are ignored (and answered 200: Pay1st must not
    retry them). The first SUCCESSFUL credits the player and queues the fulfilment report.
    """
    reference, status = text_or_none(event.get("reference")), text_or_none(event.get("status"))
    with partner.store.transaction():  # check and change as one step: deliveries may race
        order = partner.store.find_order(reference, text_or_none(event.get("partnerReference")))
        if order is None:
            return "no such order: ignored"
        if status not in EVENT_STATUSES:
            return f"status {status}: nothing to do"
        if not may_apply(partner, order, status):
            return f"the order is already {order.status}: ignored"
        order = replace(order, status=status, reference=order.reference or reference)
        partner.store.save_order(order)
        if pays_for(partner, status):
            deliver(partner, order)
            return f"{status}: credited, fulfilment queued"
    return f"the order is now {status}"


def pays_for(partner: Partner, status: str) -> bool:
    """Only SUCCESSFUL means the customer paid: deliver on it and on nothing else (PENDING is
    not paid yet; ABANDONED never was). The bugs each add statuses that deliver."""
    return (status == "SUCCESSFUL"
            or (status in FINAL and partner.bug("webhook-fulfil-any-status"))
            or (status == "PENDING" and partner.bug("fulfil-on-pending"))
            or (status not in ("FAILED", "CANCELLED") and partner.bug("fulfil-deny-list")))


def may_apply(partner: Partner, order: Order, status: str) -> bool:
    """Final statuses never change, and a repeated status changes nothing."""
    if order.status == status:
        return status == "SUCCESSFUL" and partner.bug("webhook-double-fulfil")
    return order.status not in FINAL or partner.bug("webhook-regress-status")


def deliver(partner: Partner, order: Order) -> None:
    """Credit the player, and report the fulfilment to Pay1st in the background."""
    partner.store.credit(order.player_id, order.tokens)
    if not partner.bug("no-fulfilment"):
        partner.fulfilments.submit(lambda: fulfil(partner, order))


def fulfil(partner: Partner, order: Order) -> None:
    """Tell Pay1st every SKU of a paid order was delivered (runs on the worker thread)."""
    assert order.reference is not None  # a SUCCESSFUL event always names the payment
    suffix = "-WRONG" if partner.bug("fulfil-wrong-sku") else ""
    at = now_timestamp()
    products = [{"sku": line.sku + suffix, "fulfilmentStatus": "FULFILLED",
                 "quantity": line.quantity, "fulfilmentTime": at} for line in order.lines]
    try:
        partner.pay1st.send_fulfilment(order.reference, products)
    except GatewayError as exc:
        log.warning("fulfilment of %s not accepted: %s", order.reference, exc)
        return
    with partner.store.transaction():
        current = partner.store.find_order(partner_reference=order.partner_reference) or order
        partner.store.save_order(replace(current, fulfilled=True))


def text_or_none(value: object) -> str | None:
    """A JSON field that should be a string, or None."""
    return value if isinstance(value, str) else None
