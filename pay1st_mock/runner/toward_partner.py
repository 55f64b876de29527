"""Steps that act as Pay1st toward the partner: User Info, Summary and Payment Webhook
calls, signed (or not) as asked, with the product's Basic auth on the Shop's two calls (or
without, as asked), and plain HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pay1st_mock.runner.hints import refused_signature_hint
from pay1st_mock.runner.http import send
from pay1st_mock.runner.results import Observation, subject_of
from pay1st_mock.runner.steps_state import (
    RunState,
    StepError,
    answers_of,
    as_number,
    emulator_call,
    product_of,
    query_text,
    written,
)
from pay1st_mock.shop.catalogue import Product
from pay1st_mock.signing import sign_request, sign_summary, summary_key
from pay1st_mock.webhooks.payloads import customer_of, event_body


def user_info(state: RunState, args: Mapping[str, Any],
              expect: Mapping[str, Any]) -> list[Observation]:
    """GET the partner's User Info Webhook with ``args.query`` (pay1st-api.md §7.2)."""
    product = product_of(state)
    if not product.user_info_url:
        raise StepError("the partner under test has no User Info Webhook URL: set "
                        "user_info_url in its [[products]] entry, or pass --partner-url")
    exchange = send(state.session, "GET", product.user_info_url,
                    headers=_basic_auth(product, args.get("basic_auth", "valid")),
                    params={k: query_text(v) for k, v in args.get("query", {}).items()},
                    timeout=state.partner_timeout(expect))
    return [Observation(exchange, subject_of(exchange))]


def summary_webhook(state: RunState, args: Mapping[str, Any],
                    expect: Mapping[str, Any]) -> list[Observation]:
    """POST a Summary Webhook signed per pay1st-api.md §5.2 (or not, as asked)."""
    product, bundle = product_of(state), state.target.bundle
    if bundle is None:
        raise StepError(f"product {product.id} has no active bundle to send a Summary for")
    if not product.summary_url:
        raise StepError("the partner under test has no Summary Webhook URL: set summary_url "
                        "in its [[products]] entry, or pass --partner-url")
    price, quantity = bundle.prices.get(state.target.country, 0), args.get("quantity", 1)
    # As the Shop sends it (ShopService.summary_body): amount and tokens for every bundle bought.
    body = {"reference": state.reference(), "playerId": state.player_id(),
            "productBundleId": bundle.id, "amount": int(price * quantity * 100),
            "currency": state.target.currency, "tokensPurchased": bundle.tokens * quantity,
            "digitalCurrency": {"name": product.currency_name, "code": product.currency_code},
            "status": "SUCCESSFUL", "externalReference": state.uuid(),
            "productBundleExternalId": bundle.sku, "quantity": quantity,
            "paymentMethod": "Visa / Mastercard", **args.get("body", {})}
    raw = written(body, args.get("body_format", "compact"))
    signature = args.get("signature", "valid")
    if signature == "stale":
        raise StepError("summary_webhook: Summary Webhooks carry no timestamp, so 'stale' does "
                        "not apply; use valid, missing or wrong")
    headers = {"Content-Type": "application/json",
               **_basic_auth(product, args.get("basic_auth", "valid"))}
    if signature != "missing":
        password = product.password + ("-wrong" if signature == "wrong" else "")
        headers["X-SIGNATURE"] = sign_summary(summary_key(product.username, password), raw)
    return _post_repeatedly(state, product.summary_url, raw, lambda: headers, args, expect,
                            "summary")


def _basic_auth(product: Product, how: str) -> dict[str, str]:
    """``Authorization: Basic`` as the Shop sends it when the product configures its pair
    (``valid``), or ``missing``, or made with another password (``wrong``)."""
    if not product.basic_auth or how == "missing":
        return {}
    password = product.password + ("-wrong" if how == "wrong" else "")
    return {"Authorization": f"Basic {summary_key(product.username, password)}"}


def payment_webhook(state: RunState, args: Mapping[str, Any],
                    expect: Mapping[str, Any]) -> list[Observation]:
    """POST a Payment Webhook Event signed like the emulator's dispatcher (design.md §3)."""
    url = state.target.partner.webhook_url
    if not url:
        raise StepError("the partner under test has no payment webhook URL: set webhook_url "
                        "in its [[partners]] entry, or pass --partner-url")
    body = _event_body(state, args.get("reference"))
    body["status"] = args.get("status", body["status"])
    body.update(args.get("body", {}))
    raw = written(body, args.get("body_format", "compact"), float_fields=("orderAmount",))
    signature = args.get("signature", "valid")
    key = state.target.partner.signing_key
    age = args.get("timestamp_age_seconds", 600 if signature == "stale" else 0)

    def headers() -> dict[str, str]:  # a fresh timestamp per delivery, as a real resend has
        stamp = (datetime.now(UTC) - timedelta(seconds=age)).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        # "missing" keeps a fresh X-TIMESTAMP: a partner that checks only the timestamp must
        # still be caught accepting an unsigned event.
        sent = {"Content-Type": "application/json", "X-TIMESTAMP": stamp}
        if signature != "missing":
            signing_key = key + "-wrong" if signature == "wrong" else key
            sent["X-SIGNATURE"] = sign_request(signing_key, stamp, raw)
        return sent

    return _post_repeatedly(state, url, raw, headers, args, expect, "payment_event")


def _event_body(state: RunState, reference: str | None) -> dict[str, Any]:
    """The §6.8 body for the emulator's payment ``reference`` (or for a made-up payment)."""
    partner = state.target.partner
    if reference is None:
        bundle = state.target.bundle
        price = bundle.prices.get(state.target.country, 100) if bundle else 100
        return event_body(
            partner_id=partner.id, partner_code=partner.code, partner_reference=state.uuid(),
            reference=state.reference(), amount=as_number(price),
            currency=state.target.currency, country=state.target.country,
            customer_id=state.player_id(), status="SUCCESSFUL", channel_id=None,
            channel_name=None)
    payment = emulator_call(lambda: state.emulator.payment(reference))
    return event_body(
        partner_id=partner.id, partner_code=partner.code,
        partner_reference=payment["partnerReference"], reference=reference,
        amount=payment["amount"], currency=payment["currencyCode"],
        country=payment["countryCode"], customer_id=customer_of(payment["metadata"]),
        status=payment["status"], channel_id=payment["channelId"],
        channel_name=payment["channelName"])


def _post_repeatedly(state: RunState, url: str, raw: bytes, headers: Callable[[], dict[str, str]],
                     args: Mapping[str, Any], expect: Mapping[str, Any],
                     kind: str) -> list[Observation]:
    observations = []
    for _ in range(args.get("repeat", 1)):
        sent = headers()
        exchange = send(state.session, "POST", url, headers=sent, data=raw,
                        timeout=state.partner_timeout(expect))
        hint = None
        if args.get("signature", "valid") == "valid":
            text = raw.decode("utf-8", "replace")
            signed = text.strip() if kind == "summary" else sent.get("X-TIMESTAMP", "") + text
            hint = refused_signature_hint(kind, exchange.status, signed, sent.get("X-SIGNATURE"))
        observations.append(Observation(exchange, subject_of(exchange),
                                        (hint,) if hint else ()))
    return observations


def http(state: RunState, args: Mapping[str, Any],
         expect: Mapping[str, Any]) -> list[Observation]:
    """A plain HTTP call, e.g. to the partner's own test hooks."""
    headers = dict(args.get("headers", {}))
    data = None
    if "json" in args:
        data = json.dumps(args["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "body" in args:
        data = str(args["body"]).encode()
    timeout = args.get("timeout_seconds") or state.partner_timeout(expect)
    hook = bool(state.target.hooks_url) and str(args["url"]).startswith(
        str(state.target.hooks_url))
    floor = _newest_call(state) if hook else 0
    exchange = send(state.session, args.get("method", "GET"), args["url"], headers=headers,
                    params={k: query_text(v) for k, v in args.get("query", {}).items()},
                    data=data, timeout=timeout)
    hints: tuple[str, ...] = ()
    if hook and (exchange.status is None or exchange.status >= 400):
        hints = _refused_while_answering(state, floor)
    return [Observation(exchange, subject_of(exchange), hints)]


def _newest_call(state: RunState) -> int:
    newest = emulator_call(lambda: state.emulator.journal(limit=1, own_calls=True))
    return int(newest[0]["id"]) if newest else 0


def _refused_while_answering(state: RunState, floor: int) -> tuple[str, ...]:
    """What the emulator refused the partner while its test hook was working: the reason a
    hook answers 5xx is often there (an expired token, a bad signature)."""
    calls = [e for e in reversed(emulator_call(lambda: state.emulator.journal(
        unattributed=True))) if e["id"] > floor and e["status"] >= 400]
    if not calls:
        return ()
    made = ", ".join(f"{e['method']} {e['path']}" for e in calls[-5:])
    return (f"hint: while answering, the partner called the emulator ({made}) and "
            f"{answers_of(calls[-5:])}",)
