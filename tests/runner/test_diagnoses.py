"""Reports say what happened, not what didn't: the emulator's own diagnosis of a refused call,
the limit and the time of a slow answer, the state of a delivery, a hint for a correctly signed
webhook refused as unsigned, and a skip (not a failure) for what the partner did not declare."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from pay1st_mock.client import PartnerClient
from pay1st_mock.config import SANDBOX_PARTNER
from pay1st_mock.runner.events import PASSED, SKIPPED, RunFinished, ScenarioFinished
from pay1st_mock.runner.reporters.text import summary_line
from pay1st_mock.runner.steps_state import written
from tests.runner.fixtures import Rig, document, rig

FULFILMENTS = "/api/pay1st/payments/fulfilments"
CREATE = {"name": "create a payment", "create_payment": {}, "capture": {"ref": "$.body.reference"}}
WAIT_FULFIL = {"name": "the partner fulfils", "wait_for_call": {
    "path": FULFILMENTS, "reference": "{{ vars.ref }}", "within_seconds": 1.5}}


@pytest.fixture
def r() -> Iterator[Rig]:
    with rig(fulfil="never") as made:
        yield made


@pytest.fixture
def client(r: Rig) -> Iterator[PartnerClient]:
    """The partner's own app, calling the emulator behind the runner's back."""
    made = _client(r)
    try:
        yield made
    finally:
        made.http.close()


def _client(r: Rig) -> PartnerClient:
    client = PartnerClient(r.mock.url, {
        "partnerId": SANDBOX_PARTNER.id, "code": SANDBOX_PARTNER.code,
        "apiKey": SANDBOX_PARTNER.api_key, "apiSecret": SANDBOX_PARTNER.api_secret,
        "signingKey": SANDBOX_PARTNER.signing_key})
    client.http.headers["User-Agent"] = "partner-app/1.0"  # not the runner's own calls
    return client


def _later(action: Callable[[], object], delay: float = 0.3) -> threading.Thread:
    """Run ``action`` as the partner would, while the scenario waits (join it before the
    partner's session closes)."""
    def run() -> None:
        time.sleep(delay)
        action()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_fulfilment_for_the_wrong_reference_quotes_the_emulators_answer(
        r: Rig, client: PartnerClient) -> None:
    client.login()
    partner_app = _later(lambda: client.post(FULFILMENTS, {
        "reference": "my-order-17", "products": [
        {"sku": "CRE-11", "fulfilmentStatus": "FULFILLED", "quantity": 1}]}))
    result = r.run_one(document(CREATE, WAIT_FULFIL))
    partner_app.join()
    (failure,) = result.steps[-1].failures
    reference = result.steps[0].captured["ref"]
    assert failure.startswith(f"the partner called POST {FULFILMENTS} 1 time(s) in this "
                              f"scenario, but never for {reference} within 1.5 s; the emulator "
                              "answered 404 ")
    assert "my-order-17" in failure
    assert "did not call" not in failure
    assert result.steps[-1].observations[0].exchange.label == (
        "the partner's call, as the emulator recorded it")


def test_a_token_in_the_wrong_header_is_reported_with_the_emulators_words(
        r: Rig, client: PartnerClient) -> None:
    client.login()
    partner_app = _later(lambda: client.http.post(
        r.mock.url + FULFILMENTS, data=b"{}", timeout=5, headers={
            "Authorization": f"Bearer {client.access_token}", "User-Agent": "partner-app/1.0"}))
    result = r.run_one(document(CREATE, WAIT_FULFIL))
    partner_app.join()
    (failure,) = result.steps[-1].failures
    assert "1 time(s) in this scenario, but never for" in failure
    assert ("the emulator answered 401 MISSING_ACCESS_TOKEN: send the token in the AccessToken "
            "header as `Bearer <token>`; it arrived in Authorization") in failure


def test_fulfilling_an_unpaid_payment_names_the_status_it_was_in(
        r: Rig, client: PartnerClient) -> None:
    client.login()
    reference = client.create_payment()["reference"]
    partner_app = _later(lambda: client.post(FULFILMENTS, {"reference": reference, "products": [
        {"sku": "CRE-11", "fulfilmentStatus": "FULFILLED", "quantity": 1}]}), delay=0.1)
    result = r.run_one(document({"name": "no fulfilment while unpaid", "no_call": {
        "path": FULFILMENTS, "reference": reference, "for_seconds": 0.6}}))
    partner_app.join()
    (failure,) = result.steps[-1].failures
    assert failure == (
        f"the partner called POST {FULFILMENTS} for {reference} 1 time(s) in this scenario; "
        f"expected none; the emulator answered 400 PAYMENT_NOT_SUCCESSFUL: payment {reference} "
        "is NEW; fulfil only after it is SUCCESSFUL (wait for the webhook or query status)")


def test_a_slow_webhook_answer_names_the_limit_and_the_time() -> None:
    with rig(webhook_timeout=0.3) as slow:
        slow.partner.webhook_delay = 0.6
        result = slow.run_one(document(
            CREATE, {"name": "paid", "complete_payment": {"reference": "{{ vars.ref }}"}},
            {"name": "acknowledged", "wait_for_delivery": {"reference": "{{ vars.ref }}",
                                                           "event": "SUCCESSFUL"},
             "expect": {"status": "2xx"}}))
    (failure,) = result.steps[-1].failures
    assert failure.startswith("the partner did not answer the SUCCESSFUL webhook within the "
                              "webhook timeout of 0.3 s ([webhooks] timeout_seconds): the attempt "
                              "was cut off after 0.3 s")
    assert "answer 2xx at once and do slow work afterwards" in failure


def test_a_correctly_signed_event_refused_401_gets_the_signing_hint(r: Rig) -> None:
    r.partner.refuse_events = True
    result = r.run_one(document(
        CREATE, {"name": "paid", "complete_payment": {"reference": "{{ vars.ref }}"}},
        {"name": "acknowledged", "wait_for_delivery": {"reference": "{{ vars.ref }}",
                                                       "event": "SUCCESSFUL"},
         "expect": {"status": "2xx"}}))
    *_, status, hint = result.steps[-1].failures
    assert status == "status: expected 2xx, got 401"
    assert hint.startswith("hint: the webhook was signed correctly (X-SIGNATURE ")
    assert "not over JSON you parsed and wrote again" in hint
    assert "do not Base64-decode it" in hint
    attempt = result.steps[-1].observations[0].exchange
    stamp = attempt.request_headers["X-TIMESTAMP"]
    assert f"The exact signed string was {stamp + attempt.request_body!r}" in hint


def test_a_delivery_still_waiting_reads_as_payment_status_and_delivery_state() -> None:
    with rig(webhook_timeout=0.2) as waiting:
        waiting.partner.refuse_events = True
        result = waiting.run_one(document(
            CREATE, {"name": "paid", "complete_payment": {"reference": "{{ vars.ref }}"}},
            {"name": "delivered?", "wait_for_delivery": {"reference": "{{ vars.ref }}",
                                                         "event": "FAILED"}}))
    (failure,) = result.steps[-1].failures
    assert failure.endswith("deliveries: none")
    assert "(the webhook timeout is 0.2 s)" in failure


def test_a_scenario_needing_an_undeclared_suspended_player_is_skipped_not_failed(r: Rig) -> None:
    needs = document({"name": "ask", "user_info": {"query": {"playerId": "x"}}},
                     name="suspended", requires=["suspended_player"])
    events = r.run(needs, document({"name": "ok", "advance_clock": {"seconds": 0.001}}))
    finished = [e for e in events if isinstance(e, ScenarioFinished)]
    assert [f.outcome for f in finished] == [SKIPPED, PASSED]
    assert finished[0].failures == [
        "skipped: this scenario needs a player who exists but is suspended; name one with "
        "[run] suspended_player_id in the config (docs/scenarios.md)"]
    (last,) = [e for e in events if isinstance(e, RunFinished)]
    assert (last.passed, last.failed, last.skipped) == (1, 0, 1)
    assert summary_line(last.passed, last.failed, last.skipped) == "1 passed, 0 failed, 1 skipped"


def test_pretty_bodies_are_bytes_no_reserialisation_gives_back() -> None:
    body = {"reference": "C-1-P", "orderAmount": 2500, "channelName": "Visa / Mastercard",
            "paid": True}
    raw = written(body, "pretty", float_fields=("orderAmount",))
    assert json.loads(raw) == {**body, "orderAmount": 2500.0}
    text = raw.decode()
    assert '"orderAmount": 2500.0' in text and "Visa \\/ Mastercard" in text and "\n  " in text
    for again in (json.dumps(json.loads(raw)), json.dumps(json.loads(raw), indent=2),
                  json.dumps(json.loads(raw), separators=(",", ":"))):
        assert again.encode() != raw
    assert written(body) == b'{"reference":"C-1-P","orderAmount":2500,' \
                            b'"channelName":"Visa / Mastercard","paid":true}'
