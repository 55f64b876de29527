"""Steps that set up emulator state: payments created as the partner, completed through the
outcome engine, headless Shop purchases, the clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pay1st_mock.runner.results import Observation, subject_of
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
