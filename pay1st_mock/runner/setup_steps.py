"""Steps that set up emulator state: payments created as the partner, completed through the
outcome engine, refunded as the partner, charged back as the card network would, headless Shop
purchases, the clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pay1st_mock.runner.results import Observation, parse_body, subject_of
from pay1st_mock.runner.steps_state import RunState, StepError, as_number, emulator_call


def create_payment(state: RunState, args: Mapping[str, Any],
                   expect: Mapping[str, Any]) -> list[Observation]:
    """Create a payment through the Gateway API as the partner under test."""
    bundle = state.target.bundle
    price = as_number(bundle.prices.get(state.target.country, 100)) if bundle else 100
    item = {"title": bundle.name if bundle else "Credits", "sku": bundle.sku if bundle else "SKU-1",
            "price": price, "quantity": 1}
    body = {"countryCode": state.target.country, "currencyCode": state.target.currency,
            "amount": price, "partnerReference": state.uuid(), "products": [item],
            "metadata": [{"key": "customerId", "value": state.player_id()}],
            **args.get("body", {})}
    exchange = emulator_call(lambda: state.emulator.create_payment(body))
    return [Observation(exchange, subject_of(exchange))]


def complete_payment(state: RunState, args: Mapping[str, Any],
                     expect: Mapping[str, Any]) -> list[Observation]:
    """Run the outcome engine headlessly; the dispatcher then sends the real webhooks."""
    reference = args["reference"]
    emulator_call(lambda: state.emulator.payment(reference))  # refuse other partners' payments
    body: dict[str, Any] = ({"status": args["status"]} if "status" in args
                            else {"outcome": args.get("outcome", "success")})
    if "channel_id" in args:
        body["channelId"] = args["channel_id"]
    exchange = state.emulator.control("POST", f"/payments/{reference}/complete", body)
    return [Observation(exchange, subject_of(exchange))]


def shop_purchase(state: RunState, args: Mapping[str, Any],
                  expect: Mapping[str, Any]) -> list[Observation]:
    """A headless Shop purchase: User Info Webhook, payment, Summary Webhook."""
    bundle = state.target.bundle
    bundle_id = args.get("bundle_id", bundle.id if bundle else None)
    if bundle_id is None:
        raise StepError("shop_purchase: the partner under test has no Shop product; configure "
                        "one in [[products]] or give bundle_id")
    body = {"productBundleId": bundle_id, "countryCode": args.get("country", state.target.country),
            "playerId": args["player_id"], "quantity": args.get("quantity", 1),
            "outcome": args.get("outcome", "success")}
    exchange = state.emulator.control("POST", "/shop/purchases", body)
    return [Observation(exchange, subject_of(exchange))]


def advance_clock(state: RunState, args: Mapping[str, Any],
                  expect: Mapping[str, Any]) -> list[Observation]:
    """Move the emulator's clock (shared by every partner on that server)."""
    exchange = state.emulator.control("POST", "/clock/advance", {"seconds": args["seconds"]})
    return [Observation(exchange, subject_of(exchange))]


def refund_payment(state: RunState, args: Mapping[str, Any],
                   expect: Mapping[str, Any]) -> list[Observation]:
    """Refund a payment through the Gateway API as the partner under test (Create Refund, signed
    with its credentials), then, with ``status``, move the refund there as its PSP would
    (``POST /_mock/refunds/REF/complete``); the dispatcher sends the real notifications."""
    reference = args["reference"]
    emulator_call(lambda: state.emulator.payment(reference))  # refuse other partners' payments
    body: dict[str, Any] = {"transactionReference": reference.removesuffix("-P") + "-T",
                            "partnerRefundReference": state.uuid(),
                            "reason": args.get("reason", "Customer requested refund")}
    if "amount" in args:
        body["amount"] = args["amount"]
    created = emulator_call(lambda: state.emulator.create_refund(body))
    observations = [Observation(created, subject_of(created))]
    answer = parse_body(created.response_body)
    if "status" in args and created.status == 201 and isinstance(answer, dict):
        moved = state.emulator.control("POST", f"/refunds/{answer['refundReference']}/complete",
                                       {"status": args["status"]})
        observations.append(Observation(moved, subject_of(moved)))
    return observations


def open_chargeback(state: RunState, args: Mapping[str, Any],
                    expect: Mapping[str, Any]) -> list[Observation]:
    """Open a chargeback on a payment as the card network would
    (``POST /_mock/payments/REF/chargebacks``); with ``status`` WON or LOST, decide it too."""
    reference = args["reference"]
    emulator_call(lambda: state.emulator.payment(reference))  # refuse other partners' payments
    body = {key: args[name] for name, key in (("amount", "amount"), ("reason", "reason"),
                                              ("reason_code", "reasonCode")) if name in args}
    opened = state.emulator.control("POST", f"/payments/{reference}/chargebacks", body)
    observations = [Observation(opened, subject_of(opened))]
    answer = parse_body(opened.response_body)
    if "status" in args and opened.status == 201 and isinstance(answer, dict):
        chargeback = answer["chargeback"]["chargebackReference"]
        decided = state.emulator.control("POST", f"/chargebacks/{chargeback}/decide",
                                         {"status": args["status"]})
        observations.append(Observation(decided, subject_of(decided)))
    return observations
