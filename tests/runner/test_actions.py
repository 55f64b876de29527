"""Each step action against a real emulator and a real partner (``tests.runner.fixtures``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from pay1st_mock.config import SANDBOX_PARTNER
from pay1st_mock.runner.events import ERROR, FAILED, PASSED, ScenarioFinished
from pay1st_mock.runner.model import ScenarioFileError
from pay1st_mock.schemas import load_schemas
from pay1st_mock.signing import summary_key, verify_request, verify_summary
from tests.harness import wait_until
from tests.runner.fixtures import SUMMARY_PASSWORD, SUMMARY_USER, Rig, document, rig

FULFILMENTS = "/api/pay1st/payments/fulfilments"
CREATE = {"name": "create a payment", "id": "create", "create_payment": {},
          "expect": {"status": 201, "schema": "gateway/create-payment-response.json"},
          "capture": {"ref": "$.body.reference"}}
COMPLETE = {"name": "pay it", "complete_payment": {"reference": "{{ vars.ref }}"}}


@pytest.fixture
def r() -> Iterator[Rig]:
    with rig() as built:
        yield built


def only_step(result: ScenarioFinished) -> tuple[str, list[str]]:
    (step,) = result.steps
    return step.outcome, step.failures


# --- toward the partner, as Pay1st ------------------------------------------------------------


def test_user_info_asks_with_the_rendered_query(r: Rig) -> None:
    result = r.run_one(document({
        "name": "ask", "user_info": {"query": {"playerId": "{{ partner.player_id }}",
                                               "quantity": 1, "gift": False}},
        "expect": {"status": 200, "schema": "shop/user-info-response.json",
                   "body": {"userId": "player-1"}, "max_latency_ms": 2000}}))
    assert only_step(result) == (PASSED, [])
    (call,) = r.partner.calls_to("/pay1st/user-info")
    assert (call.method, call.query) == ("GET", {"playerId": "player-1", "quantity": "1",
                                                 "gift": "false"})


def test_user_info_failure_keeps_the_partners_answer(r: Rig) -> None:
    result = r.run_one(document({"name": "ask", "user_info": {"query": {"playerId": "ghost"}},
                                 "expect": {"status": 200, "body": {"userId": "ghost"}}}))
    assert only_step(result) == (FAILED, [
        "status: expected 200, got 400",
        'body: $.userId: missing; expected "ghost"'])
    (observation,) = result.steps[0].observations
    assert observation.exchange.status == 400
    assert "no player ghost" in observation.exchange.response_body


def test_user_info_too_slow_for_the_bound() -> None:
    with rig(user_info_delay=0.3) as slow:
        result = slow.run_one(document({"name": "ask", "user_info": {"query": {
            "playerId": "player-1"}}, "expect": {"status": 200, "max_latency_ms": 100}}))
    outcome, (failure,) = only_step(result)
    assert outcome == FAILED
    assert failure.startswith("max_latency_ms: expected an answer within 100 ms, it took ")


@pytest.mark.parametrize(("signature", "status"), [("valid", 200), ("missing", 401),
                                                   ("wrong", 401)])
def test_summary_webhook_signatures(r: Rig, signature: str, status: int) -> None:
    result = r.run_one(document({"name": "summary", "summary_webhook": {
        "signature": signature, "body": {"playerId": "player-1"}}, "expect": {"status": status}}))
    assert only_step(result) == (PASSED, [])
    (call,) = r.partner.calls_to("/pay1st/summary")
    assert call.verdict == signature
    key = summary_key(SUMMARY_USER, SUMMARY_PASSWORD)
    sent = call.headers.get("X-Signature")
    assert (sent is not None and verify_summary(key, call.body, sent)) is (signature == "valid")
    body = call.json()
    assert load_schemas().check("shop/summary-webhook.json", body) == []
    assert (body["playerId"], body["productBundleId"], body["tokensPurchased"]) == (
        "player-1", 1, 11)
    assert r.partner.players["player-1"] == (11 if signature == "valid" else 0)


def test_summary_webhook_cannot_be_stale(r: Rig) -> None:
    with pytest.raises(ScenarioFileError) as caught:
        r.run_one(document({"name": "s", "summary_webhook": {"signature": "stale"}}))
    assert [p.message for p in caught.value.problems] == [
        "Summary Webhooks carry no timestamp, so they cannot be stale; expected valid, missing "
        "or wrong"]
    assert r.partner.calls_to("/pay1st/summary") == []


def test_summary_webhook_repeat_checks_every_answer(r: Rig) -> None:
    result = r.run_one(document({"name": "twice", "summary_webhook": {"repeat": 2},
                                 "expect": {"status": 202}}))
    assert only_step(result) == (FAILED, ["delivery 1 of 2: status: expected 202, got 200",
                                          "delivery 2 of 2: status: expected 202, got 200"])
    first, second = r.partner.calls_to("/pay1st/summary")
    assert first.body == second.body and first.json()["reference"].startswith("C-")
    assert r.partner.players["player-1"] == 11, "the partner credits a reference once"


@pytest.mark.parametrize(("signature", "status"), [("valid", 200), ("missing", 401),
                                                   ("wrong", 401), ("stale", 401)])
def test_payment_webhook_signatures(r: Rig, signature: str, status: int) -> None:
    result = r.run_one(document(CREATE, {
        "name": "event", "payment_webhook": {"reference": "{{ vars.ref }}", "status": "FAILED",
                                             "signature": signature},
        "expect": {"status": status}}))
    assert result.outcome == PASSED, result.messages()
    (call,) = r.partner.calls_to("/pay1st/payment-events")
    assert call.verdict == signature
    stamp, sent = call.headers["X-Timestamp"], call.headers.get("X-Signature")
    assert (sent is not None and verify_request(SANDBOX_PARTNER.signing_key, stamp, call.body,
                                                sent)) == (signature in ("valid", "stale"))
    age = (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()
    assert 590 < age < 660 if signature == "stale" else abs(age) < 30
    event = call.json()
    created = result.steps[0].observations[0].subject.body
    assert event["reference"] == created["reference"] == result.steps[0].captured["ref"]
    assert (event["status"], event["partnerId"], event["partnerCode"], event["customerId"],
            event["orderAmount"]) == ("FAILED", 1, "SANDBOX", "player-1", 1000)


def test_payment_webhook_repeat_and_age(r: Rig) -> None:
    result = r.run_one(document({"name": "three stale events", "payment_webhook": {
        "signature": "stale", "timestamp_age_seconds": 1000, "repeat": 3,
        "body": {"channelName": "Card"}}, "expect": {"status": 401}}))
    assert only_step(result) == (PASSED, [])
    calls = r.partner.calls_to("/pay1st/payment-events")
    assert [c.verdict for c in calls] == ["stale"] * 3
    assert len({c.body for c in calls}) == 1, "a repeat resends the same body"
    event = calls[0].json()
    assert (event["status"], event["channelName"]) == ("SUCCESSFUL", "Card")
    assert event["reference"].startswith("C-") and event["partnerReference"]
    for call in calls:
        age = (datetime.now(UTC) - datetime.fromisoformat(call.headers["X-Timestamp"]))
        assert 990 < age.total_seconds() < 1060


def test_payment_webhook_for_an_unknown_payment_is_an_error(r: Rig) -> None:
    result = r.run_one(document({"name": "e", "payment_webhook": {
        "reference": "C-999999999999999-P"}}))
    assert only_step(result) == (ERROR, [
        "GET /_mock/payments/C-999999999999999-P failed: no payment has reference "
        "'C-999999999999999-P'"])


# --- emulator state ------------------------------------------------------------------------------


def test_create_payment_is_signed_as_the_partner(r: Rig) -> None:
    result = r.run_one(document(CREATE))
    assert result.outcome == PASSED, result.messages()
    reference = result.steps[0].captured["ref"]
    payment = r.mock.services.payments.find(reference)
    assert (payment.partner_id, payment.amount, payment.country_code) == (1, 1000, "NG")


def test_a_refused_setup_step_fails_unless_its_status_is_expected(r: Rig) -> None:
    bad = {"name": "bad amount", "create_payment": {"body": {"amount": -1}}}
    assert only_step(r.run_one(document(bad))) == (FAILED, [
        "the emulator refused: HTTP 400 VALIDATION_ERROR: $.amount: expected a number > 0, "
        "got -1"])
    assert only_step(r.run_one(document({**bad, "expect": {"status": 400}}))) == (PASSED, [])


def test_complete_payment_sends_the_real_webhook_and_the_partner_fulfils(r: Rig) -> None:
    result = r.run_one(document(
        CREATE, COMPLETE,
        {"name": "acknowledged", "wait_for_delivery": {"reference": "{{ vars.ref }}",
                                                       "event": "SUCCESSFUL"},
         "expect": {"status": "2xx", "max_latency_ms": 5000}},
        {"name": "fulfilled", "wait_for_call": {"path": FULFILMENTS, "reference": "{{ vars.ref }}",
                                                "within_seconds": 2},
         "expect": {"status": 200, "schema": "gateway/fulfilment-request.json",
                    "body": {"reference": "{{ vars.ref }}", "products": [
                        {"sku": "{{ bundle.sku }}", "fulfilmentStatus": "FULFILLED"}]}}},
        {"name": "pay it again", "complete_payment": {"reference": "{{ vars.ref }}"}}))
    assert [s.outcome for s in result.steps] == [PASSED] * 4 + [FAILED]
    events = r.partner.calls_to("/pay1st/payment-events")
    assert [(c.json()["status"], c.verdict) for c in events] == [("SUCCESSFUL", "valid")]
    delivery = result.steps[2].observations[0]
    assert delivery.exchange.label is not None and "SUCCESSFUL webhook, attempt 1" in \
        delivery.exchange.label
    assert delivery.subject.extra["delivery"]["status"] == "DELIVERED"
    (again,) = result.steps[4].failures
    assert again.startswith("the emulator refused: HTTP 409 ")


def test_complete_payment_with_another_outcome(r: Rig) -> None:
    result = r.run_one(document(
        CREATE, {"name": "declined", "complete_payment": {"reference": "{{ vars.ref }}",
                                                          "outcome": "declined"}},
        {"name": "told", "wait_for_delivery": {"reference": "{{ vars.ref }}", "event": "FAILED"},
         "expect": {"status": 200}},
        {"name": "not fulfilled", "no_call": {"path": FULFILMENTS, "for_seconds": 0.1}}))
    assert result.outcome == PASSED, result.messages()
    assert [c.json()["status"] for c in r.partner.calls_to("/pay1st/payment-events")] == ["FAILED"]


def test_shop_purchase_runs_user_info_and_the_summary(r: Rig) -> None:
    result = r.run_one(document(
        {"name": "buy", "shop_purchase": {"player_id": "player-1"},
         "capture": {"ref": "$.body.purchase.reference"}},
        {"name": "summary answered", "wait_for_delivery": {"reference": "{{ vars.ref }}"},
         "expect": {"status": 200}}))
    assert result.outcome == PASSED, result.messages()
    assert len(r.partner.calls_to("/pay1st/user-info")) == 1
    (summary,) = r.partner.calls_to("/pay1st/summary")
    assert summary.verdict == "valid" and r.partner.players["player-1"] == 11
    refused = r.run_one(document({"name": "buy", "shop_purchase": {"player_id": "ghost"}}))
    assert only_step(refused) == (FAILED, [
        "the emulator refused: HTTP 400 PLAYER_REJECTED: no player ghost (exchange 2); nothing "
        "was charged"])


def test_advance_clock_moves_the_emulator_clock(r: Rig) -> None:
    result = r.run_one(document({"name": "later", "advance_clock": {"seconds": 90},
                                 "expect": {"status": 200, "body": {"offsetSeconds": 90}}}))
    assert result.outcome == PASSED, result.messages()
    assert requests.get(f"{r.mock.url}/_mock/clock", timeout=5).json()["offsetSeconds"] == 90


# --- watching the partner --------------------------------------------------------------------


def test_wait_for_call_that_times_out_lists_the_calls_seen() -> None:
    with rig(fulfil="never") as lazy:
        result = lazy.run_one(document(CREATE, COMPLETE, {
            "name": "fulfilled", "wait_for_call": {"path": FULFILMENTS,
                                                   "reference": "{{ vars.ref }}",
                                                   "within_seconds": 0.3}}))
        reference = result.steps[0].captured["ref"]
        wait_until(lambda: lazy.partner.calls_to("/pay1st/payment-events"), 5, "the webhook")
    assert result.steps[-1].outcome == FAILED
    # The runner's own create (made with the partner's credentials) is not the partner's call.
    assert result.steps[-1].failures == [
        f"the partner did not call POST {FULFILMENTS} for {reference} within 0.3 s; it made no "
        f"call to the emulator about {reference} in this scenario"]


def test_wait_for_call_with_no_call_at_all(r: Rig) -> None:
    result = r.run_one(document({"name": "w", "wait_for_call": {
        "method": "get", "path": "/api/pay1st/payments", "within_seconds": 0.1}}))
    assert only_step(result) == (FAILED, [
        "the partner did not call GET /api/pay1st/payments within 0.1 s; it made no call to the "
        "emulator in this scenario"])


def test_no_call_fails_with_the_count_and_shows_the_calls() -> None:
    with rig(fulfil="always") as eager:
        result = eager.run_one(document(
            CREATE, COMPLETE,
            {"name": "fulfilled", "wait_for_call": {"path": FULFILMENTS}},
            {"name": "again", "payment_webhook": {"reference": "{{ vars.ref }}"}},
            {"name": "once", "no_call": {"path": FULFILMENTS, "reference": "{{ vars.ref }}",
                                         "for_seconds": 0.1, "at_most": 1}}))
        reference = result.steps[0].captured["ref"]
        strict = eager.run_one(document({"name": "none", "no_call": {
            "path": FULFILMENTS, "for_seconds": 0.1}}))
    last = result.steps[-1]
    assert last.failures == [
        f"the partner called POST {FULFILMENTS} for {reference} 2 time(s) in this scenario; "
        "expected at most 1; the emulator answered 200; then 400 FULFILMENT_QUANTITY_EXCEEDED: "
        "$.products[0]: 2 unit(s) of SKU 'CRE-11' fulfilled in all, but 1 were paid for; "
        "fulfil each unit once"]
    assert [o.exchange.label for o in last.observations] == [
        "the partner's call, as the emulator recorded it"] * 2
    assert [o.subject.status for o in last.observations] == [200, 400]
    assert only_step(strict) == (PASSED, []), "calls of an earlier scenario do not count"


def test_wait_for_delivery_that_times_out_lists_the_deliveries() -> None:
    with rig(webhook_timeout=0.1) as quick:
        result = quick.run_one(document(CREATE, {"name": "d", "wait_for_delivery": {
            "reference": "{{ vars.ref }}", "event": "SUCCESSFUL", "within_seconds": 0.2}}))
    reference = result.steps[0].captured["ref"]
    assert result.steps[-1].failures == [
        f"no webhook SUCCESSFUL delivery for {reference} was answered within 5.1 s "
        "(the webhook timeout is 0.1 s); deliveries: none"]


# --- http ----------------------------------------------------------------------------------------


def test_http_sends_method_headers_query_and_json(r: Rig) -> None:
    result = r.run_one(document({
        "name": "echo", "id": "echo",
        "http": {"method": "PUT", "url": "{{ env.PARTNER_URL }}/echo",
                 "headers": {"X-Who": "{{ partner.code }}"}, "query": {"n": "{{ bundle.id }}"},
                 "json": {"sku": "{{ bundle.sku }}", "tokens": "{{ bundle.tokens }}"}},
        "expect": {"status": 200, "headers": {"content-type": "application/json"},
                   "body": {"method": "PUT", "query": {"n": "1"}}},
        "capture": {"who": "$.body.headers.X-Who", "type": "$.headers.CONTENT-TYPE"}}))
    assert only_step(result) == (PASSED, [])
    assert result.steps[0].captured == {"who": "SANDBOX", "type": "application/json"}
    (call,) = r.partner.calls_to("/echo")
    assert call.json() == {"sku": "CRE-11", "tokens": 11}
    assert call.headers["Content-Type"] == "application/json"


def test_http_sends_a_raw_body(r: Rig) -> None:
    result = r.run_one(document({"name": "raw", "http": {
        "method": "POST", "url": r.partner.url + "/echo", "body": "a=1&b={{ bundle.sku }}",
        "headers": {"Content-Type": "text/plain"}}, "expect": {"body": {
            "body": "a=1&b=CRE-11"}}}))
    assert only_step(result) == (PASSED, [])


def test_http_timeout_is_a_readable_failure(r: Rig) -> None:
    url = r.partner.url + "/slow?seconds=0.6"
    result = r.run_one(document({"name": "slow", "http": {"url": url, "timeout_seconds": 0.1}}))
    assert only_step(result) == (FAILED, [f"GET {url}: no answer within 0.1 s"])


def test_http_status_of_a_non_json_answer(r: Rig) -> None:
    result = r.run_one(document({"name": "404", "http": {"url": r.partner.url + "/nowhere"},
                                 "expect": {"status": 404, "body": {
                                     "errorMessage": "no route GET /nowhere"}}}))
    assert only_step(result) == (PASSED, [])
    assert json.loads(result.steps[0].observations[0].exchange.response_body)
