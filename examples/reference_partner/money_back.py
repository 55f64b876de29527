"""Money going back: Refund and Chargeback Webhook Notifications.

Pay1st sends them, signed like payment events, to the refund's ``refundWebhookUrl`` or else our
Webhook URL, so they arrive beside the payment events and are told apart by their reference
field (``refundReference``, ``chargebackReference``). A refund takes back the credit it paid for
once it is SUCCESSFUL, and only once per ``refundReference``; a chargeback takes it back as soon
as it is opened (the card network has the money already) or lost, once per
``chargebackReference``, and gives it back if it is won. The order is found by the payment's
``partnerReference``: ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reference_partner.partner import Partner
from reference_partner.store import Order

TAKEN = frozenset({"OPEN", "LOST"})  # chargeback statuses that mean the money went back


def is_money_back(event: Mapping[str, Any]) -> bool:
    """Whether a notification is a refund's or a chargeback's, not a payment event."""
    return "refundReference" in event or "chargebackReference" in event


def apply(partner: Partner, event: Mapping[str, Any]) -> str:
    """Apply a verified refund or chargeback notification; return what was done. Anything we
    cannot use is answered 200 too: Pay1st must not retry it."""
    with partner.store.transaction():  # check and change as one step: deliveries may race
        order = partner.store.find_order(partner_reference=_text(event.get("partnerReference")))
        if order is None:
            return "no such order: ignored"
        if "refundReference" in event:
            return _refund(partner, order, event)
        return _chargeback(partner, order, event)


def _refund(partner: Partner, order: Order, event: Mapping[str, Any]) -> str:
    reference, status = _text(event.get("refundReference")), _text(event.get("status"))
    if status != "SUCCESSFUL" and not partner.bug("refund-reverse-any-status"):
        return f"refund {status}: nothing to do until it is SUCCESSFUL"
    if (reference is None or partner.store.taken_back(reference) is not None) and \
            not partner.bug("refund-double-reverse"):
        return f"refund {reference} was taken back already"
    tokens = _tokens(order, event)
    partner.store.debit(order.player_id, tokens)
    partner.store.record_taken_back(reference or "", tokens)
    return f"refund {reference}: {tokens} taken back from {order.player_id}"


def _chargeback(partner: Partner, order: Order, event: Mapping[str, Any]) -> str:
    if partner.bug("chargeback-ignored"):
        return "chargeback: ignored"
    reference, status = _text(event.get("chargebackReference")) or "", _text(event.get("status"))
    taken = partner.store.taken_back(reference)
    if status in TAKEN and taken is None:
        tokens = _tokens(order, event)
        partner.store.debit(order.player_id, tokens)
        partner.store.record_taken_back(reference, tokens)
        return f"chargeback {reference}: {tokens} taken back from {order.player_id}"
    if status == "WON" and taken and partner.store.first_given_back(reference):
        partner.store.credit(order.player_id, taken)
        return f"chargeback {reference} won: {taken} given back to {order.player_id}"
    return f"chargeback {reference} {status}: nothing to change"


def _tokens(order: Order, event: Mapping[str, Any]) -> int:
    """The credit a refund or chargeback of ``amount`` takes back: all of the order's for the
    whole amount, else its share, rounded down."""
    amount = event.get("amount")
    if event.get("fullRefund") is True or not order.amount or not isinstance(amount, int | float):
        return order.tokens
    return min(order.tokens, int(order.tokens * amount // order.amount))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
