"""Payment Webhook Events through the outbox: signatures, the retry schedule on the emulator
clock, ordering, the delivery log, resend and abandonment, against a real listener."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from pay1st_mock import verify_request
from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.listener import Received, WebhookListener
from tests.support import SANDBOX, GatewayClient

PALMPAY = 58  # NG, phone + OTP: "no_answer" leaves it PENDING, "success" then finishes it


@pytest.fixture
def settings() -> Settings:
    return Settings(data=MEMORY, seed=7, webhook_timeout_seconds=1.0)


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    partner_side = WebhookListener().start()
    yield partner_side
    partner_side.stop()


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def complete(base: str, reference: str, **body: Any) -> dict[str, Any]:
    response = requests.post(f"{base}/_mock/payments/{reference}/complete", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def deliveries(base: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = requests.get(f"{base}/_mock/deliveries",
                                               params=params).json()["deliveries"]
    return found


def attempts_of(base: str, delivery_id: int, count: int) -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = requests.get(
            f"{base}/_mock/deliveries/{delivery_id}").json()["attempts"]
        return found if len(found) >= count else None
    result: list[dict[str, Any]] = wait_until(check, what=f"{count} attempt(s) of {delivery_id}")
    return result


def advance(base: str, seconds: float) -> None:
    assert requests.post(f"{base}/_mock/clock/advance", json={"seconds": seconds}).ok


def event(received: Received) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(received.body)
    return body


def test_successful_payment_sends_a_signed_event(partner: GatewayClient, live_url: str,
                                                 listener: WebhookListener) -> None:
    reference = partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
    complete(live_url, reference, outcome="success", channelId=2)
    (received,) = listener.wait_for(1, path="/hook")
    headers = {k.upper(): v for k, v in received.headers.items()}
    assert verify_request(SANDBOX["signing_key"], headers["X-TIMESTAMP"], received.body,
                          headers["X-SIGNATURE"])
    assert headers["CONTENT-TYPE"] == "application/json"
    body = event(received)
    assert body["reference"] == reference and body["status"] == "SUCCESSFUL"
    assert body["partnerId"] == 1 and body["partnerCode"] == "SANDBOX"
    assert body["orderAmount"] == 100 and body["currencyCode"] == "NGN"
    assert body["customerId"] == "1"
    assert (body["channelId"], body["channelName"]) == (2, "Visa / Mastercard")

    (delivery,) = deliveries(live_url, reference=reference)
    wait_until(lambda: deliveries(live_url, reference=reference)[0]["status"] == "DELIVERED",
               what="DELIVERED")
    (attempt,) = attempts_of(live_url, delivery["id"], 1)
    assert attempt["url"] == f"{listener.url}/hook"
    assert attempt["responseStatus"] == 200 and attempt["responseBody"] == "ok"
    assert attempt["requestBody"] == received.body.decode()
    assert attempt["requestHeaders"]["X-SIGNATURE"] == headers["X-SIGNATURE"]
    assert attempt["durationMs"] > 0 and attempt["error"] is None


def test_partner_webhook_url_is_the_default(live_url: str, listener: WebhookListener) -> None:
    created = requests.post(f"{live_url}/_mock/partners",
                            json={"webhookUrl": f"{listener.url}/partner-hook"}).json()
    acme = GatewayClient(live_url, created["apiKey"], created["apiSecret"],
                         created["signingKey"])
    acme.login()
    reference = acme.create().json()["reference"]
    complete(live_url, reference, status="FAILED")
    (received,) = listener.wait_for(1, path="/partner-hook")
    headers = {k.upper(): v for k, v in received.headers.items()}
    assert verify_request(created["signingKey"], headers["X-TIMESTAMP"], received.body,
                          headers["X-SIGNATURE"])
    assert event(received)["status"] == "FAILED"


def test_retries_follow_the_schedule_on_the_emulator_clock(partner: GatewayClient,
                                                            live_url: str) -> None:
    failing = WebhookListener([500] * 3).start()
    try:
        reference = partner.create(webhookUrl=f"{failing.url}/hook").json()["reference"]
        complete(live_url, reference, outcome="success")
        failing.wait_for(1)
        (delivery,) = deliveries(live_url, reference=reference)
        attempts_of(live_url, delivery["id"], 1)
        for number, delay in enumerate((5, 300, 1800), start=2):
            time.sleep(0.2)  # the next attempt is not due before the clock moves
            assert len(failing.requests) == number - 1, "retried before it was due"
            advance(live_url, delay)
            failing.wait_for(number)
        attempts = attempts_of(live_url, delivery["id"], 4)
        assert [a["responseStatus"] for a in attempts] == [500, 500, 500, 200]
        assert all("only a 2xx counts" in a["error"] for a in attempts[:3])
        moments = [_epoch(a["at"]) for a in attempts]
        for (earlier, later), delay in zip(itertools.pairwise(moments), (5, 300, 1800),
                                           strict=True):
            assert delay <= later - earlier < delay + 3, (earlier, later, delay)
        signatures = {r.headers.get("X-SIGNATURE") for r in failing.requests}
        assert len(signatures) == 4, "each attempt is signed with a fresh timestamp"
        wait_until(lambda: deliveries(live_url, reference=reference)[0]["status"] == "DELIVERED",
                   what="DELIVERED")
    finally:
        failing.stop()


def test_exhausted_after_the_last_attempt(partner: GatewayClient, live_url: str) -> None:
    down = WebhookListener(lambda _: 500).start()
    try:
        reference = partner.create(webhookUrl=f"{down.url}/hook").json()["reference"]
        complete(live_url, reference, outcome="declined")
        (delivery,) = deliveries(live_url, reference=reference)
        delays = (5, 300, 1800, 7200, 18000, 36000, 36000)
        attempts_of(live_url, delivery["id"], 1)
        for number, delay in enumerate(delays, start=2):
            advance(live_url, delay)
            attempts_of(live_url, delivery["id"], number)
        final = wait_until(lambda: (d := deliveries(live_url, reference=reference)[0])["status"]
                           == "EXHAUSTED" and d, what="EXHAUSTED")
        assert final["nextAttemptAt"] is None
        advance(live_url, 10**6)
        time.sleep(0.3)
        assert len(down.requests) == 8
    finally:
        down.stop()


def test_events_of_one_payment_arrive_in_order_once_each(partner: GatewayClient, live_url: str,
                                                         listener: WebhookListener) -> None:
    """20 payments completing at once, each PENDING then SUCCESSFUL."""
    references = [partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
                  for _ in range(20)]
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def pay(reference: str) -> None:
        try:
            start.wait()
            complete(live_url, reference, outcome="no_answer", channelId=PALMPAY)
            complete(live_url, reference, outcome="success")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(r,)) for r in references]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    listener.wait_for(40)
    time.sleep(0.2)
    assert len(listener.requests) == 40, "no event twice"
    per_reference: dict[str, list[str]] = {}
    for received in listener.requests:
        body = event(received)
        per_reference.setdefault(body["reference"], []).append(body["status"])
    assert per_reference == {r: ["PENDING", "SUCCESSFUL"] for r in references}


def test_resend_signs_afresh_and_keeps_the_body(partner: GatewayClient, live_url: str,
                                                listener: WebhookListener) -> None:
    reference = partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
    complete(live_url, reference, outcome="success")
    listener.wait_for(1)
    (original,) = deliveries(live_url, reference=reference)
    time.sleep(0.01)  # a later timestamp for the resend
    resent = requests.post(f"{live_url}/_mock/deliveries/{original['id']}/resend")
    assert resent.status_code == 202, resent.text
    assert resent.json()["resendOf"] == original["id"]
    first, second = listener.wait_for(2)
    assert first.body == second.body
    assert first.headers["X-TIMESTAMP"] != second.headers["X-TIMESTAMP"]
    assert first.headers["X-SIGNATURE"] != second.headers["X-SIGNATURE"]
    missing = requests.post(f"{live_url}/_mock/deliveries/999999/resend")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "DELIVERY_NOT_FOUND"


def test_no_webhook_url_is_logged_as_skipped(partner: GatewayClient, live_url: str) -> None:
    reference = partner.create().json()["reference"]
    complete(live_url, reference, outcome="success")
    (delivery,) = deliveries(live_url, reference=reference)
    assert delivery["status"] == "SKIPPED" and "no webhook URL" in delivery["note"]
    assert deliveries(live_url, status="skipped")[0]["id"] == delivery["id"]


def test_a_partner_that_never_answers_times_out(partner: GatewayClient, live_url: str) -> None:
    slow = WebhookListener().start()
    slow.answer_with(lambda received: (time.sleep(2), (200, b"late"))[1])
    try:
        reference = partner.create(webhookUrl=f"{slow.url}/hook").json()["reference"]
        complete(live_url, reference, outcome="success")
        (delivery,) = deliveries(live_url, reference=reference)
        (attempt,) = attempts_of(live_url, delivery["id"], 1)
        assert attempt["responseStatus"] is None
        assert attempt["error"] == "no answer within 1 s"
        assert deliveries(live_url, reference=reference)[0]["status"] == "PENDING"
    finally:
        slow.stop()


def test_unfinished_payment_is_abandoned_after_30_minutes(partner: GatewayClient, live_url: str,
                                                          listener: WebhookListener) -> None:
    reference = partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
    advance(live_url, 1700)
    time.sleep(0.2)
    assert requests.get(f"{live_url}/_mock/payments/{reference}").json()["status"] == "NEW"
    advance(live_url, 101)
    (received,) = listener.wait_for(1)
    assert event(received)["status"] == "ABANDONED"
    payment = requests.get(f"{live_url}/_mock/payments/{reference}").json()
    assert [h["status"] for h in payment["history"]] == ["NEW", "ABANDONED"]


def test_paying_a_final_payment_again_is_refused(partner: GatewayClient, live_url: str,
                                                 listener: WebhookListener) -> None:
    reference = partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
    complete(live_url, reference, outcome="cancel")
    again = requests.post(f"{live_url}/_mock/payments/{reference}/complete",
                          json={"outcome": "success"})
    assert again.status_code == 409
    assert "already CANCELLED" in again.json()["errorMessage"]
    listener.wait_for(1)
    time.sleep(0.2)
    assert [event(r)["status"] for r in listener.requests] == ["CANCELLED"]


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_cancelling_a_voucher_already_issued_is_refused(partner: GatewayClient,
                                                        live_url: str) -> None:
    reference = partner.create(countryCode="ZA", currencyCode="ZAR", products=[
        {"title": "Gems", "sku": "G", "price": 100, "quantity": 1}]).json()["reference"]
    complete(live_url, reference, outcome="pending", channelId=103)
    refused = requests.post(f"{live_url}/_mock/payments/{reference}/complete",
                            json={"outcome": "cancel"})
    assert refused.status_code == 409
    assert "past the point where a customer can cancel" in refused.json()["errorMessage"]


def test_the_dispatcher_sleeps_while_an_event_is_in_flight_or_waits_behind_a_retry(
        app: Any, partner: GatewayClient, live_url: str) -> None:
    """A delivery being sent, or queued behind one whose retry is not due, is no reason to look
    at the outbox again: the dispatcher once re-queried it in a loop (issue 18)."""
    from pay1st_mock.app import services

    dispatcher = services(app).dispatcher
    turns: list[float] = []
    take_turn = dispatcher._turn

    def counted() -> None:
        turns.append(time.monotonic())
        take_turn()

    dispatcher._turn = counted  # type: ignore[method-assign]
    release = threading.Event()
    slow = WebhookListener().start()
    slow.answer_with(lambda received: (release.wait(10), (500, b"not yet"))[1])
    try:
        reference = partner.create(webhookUrl=f"{slow.url}/hook").json()["reference"]
        complete(live_url, reference, outcome="no_answer", channelId=PALMPAY)  # PENDING event
        complete(live_url, reference, outcome="success")  # SUCCESSFUL, queued behind it
        slow.wait_for(1)
        turns.clear()
        time.sleep(1.0)
        assert len(turns) <= 5, f"{len(turns)} outbox turns in 1 s with one event in flight"
        release.set()
        (first, second) = sorted(deliveries(live_url, reference=reference), key=lambda d: d["id"])
        attempts_of(live_url, first["id"], 1)  # answered 500: its retry is due in 5 s
        turns.clear()
        time.sleep(1.0)
        assert len(turns) <= 5, (
            f"{len(turns)} outbox turns in 1 s while the next event waits behind a retry")
        assert len(slow.requests) == 1, "the queued event went out before the retry"
        assert second["event"] == "SUCCESSFUL"
    finally:
        release.set()
        slow.stop()
