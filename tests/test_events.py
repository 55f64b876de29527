"""The live activity feed: ``ActivityFeed`` and ``GET /_mock/events`` (issue 17, point 2).

Every answer of the ``app`` fixture is checked against ``schemas/control/events.json``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pay1st_mock.activity import ActivityFeed, CursorError, redact_url
from pay1st_mock.app import services
from pay1st_mock.listener import WebhookListener
from tests.harness import ClientPartner, wait_until
from tests.support import SANDBOX


def events(client: FlaskClient, **query: Any) -> dict[str, Any]:
    response = client.get("/_mock/events", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def publish(feed: ActivityFeed, partner_id: int | None = 1) -> None:
    feed.publish("call", time.time(), partner_id, None, {"method": "GET"})


# -- the feed -------------------------------------------------------------------------------------


def test_a_reader_pages_through_the_feed_with_its_cursor() -> None:
    feed = ActivityFeed()
    for _ in range(5):
        publish(feed)
    first = feed.read(limit=3)
    assert [e.seq for e in first.events] == [3, 4, 5], "without a cursor: the newest, oldest first"
    start = feed.read(feed.cursor(0), limit=2)
    assert [e.seq for e in start.events] == [1, 2]
    rest = feed.read(start.next, limit=10)
    assert [e.seq for e in rest.events] == [3, 4, 5]
    assert feed.read(rest.next).events == []


def test_a_reader_that_fell_behind_is_told_how_much_it_missed() -> None:
    feed = ActivityFeed(capacity=3)
    cursor = feed.read().next
    for _ in range(5):
        publish(feed)
    page = feed.read(cursor)
    assert [e.seq for e in page.events] == [3, 4, 5]
    assert page.missed == 2


def test_the_partner_filter_moves_the_cursor_past_other_partners_events() -> None:
    feed = ActivityFeed()
    publish(feed, 1)
    publish(feed, 2)
    publish(feed, 2)
    page = feed.read(feed.cursor(0), partner_id=1)
    assert [e.seq for e in page.events] == [1]
    assert page.next == feed.cursor(3), "the next read must not look at events 2 and 3 again"


def test_a_waiting_reader_gets_the_next_event_as_soon_as_it_happens() -> None:
    feed = ActivityFeed()
    cursor = feed.read().next
    timer = threading.Timer(0.2, publish, args=(feed,))
    started = time.monotonic()
    timer.start()
    page = feed.read(cursor, timeout=10)
    elapsed = time.monotonic() - started
    timer.join()
    assert [e.seq for e in page.events] == [1]
    assert 0.15 < elapsed < 2, elapsed


def test_a_waiting_reader_gives_up_at_its_timeout() -> None:
    feed = ActivityFeed()
    started = time.monotonic()
    page = feed.read(feed.read().next, timeout=0.3)
    assert page.events == [] and 0.25 < time.monotonic() - started < 2


def test_only_one_reader_waits_so_the_other_worker_thread_keeps_serving() -> None:
    feed = ActivityFeed()
    cursor = feed.read().next
    waiter = threading.Thread(target=feed.read, args=(cursor,), kwargs={"timeout": 5})
    waiter.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert feed.read(cursor, timeout=5).events == []
    assert time.monotonic() - started < 0.5, "a second reader must be answered at once"
    publish(feed)
    waiter.join(5)
    assert not waiter.is_alive()


def test_closing_the_feed_answers_the_waiting_reader_at_once() -> None:
    feed = ActivityFeed()
    answered: list[float] = []
    started = time.monotonic()

    def read() -> None:
        feed.read(feed.read().next, timeout=20)
        answered.append(time.monotonic() - started)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.1)
    feed.close()
    reader.join(5)
    assert answered and answered[0] < 2


def test_a_cursor_from_an_earlier_run_reads_this_run_from_its_start_without_waiting() -> None:
    before, after = ActivityFeed(), ActivityFeed()
    publish(after)
    started = time.monotonic()
    page = after.read(before.cursor(7), timeout=10)
    assert page.restarted and [e.seq for e in page.events] == [1]
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("cursor", ["", "nope", "abc:", ":1", "abc:-1", "abc:1.5", "abc:١"])
def test_a_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(CursorError, match="after must be a cursor"):
        ActivityFeed().read(cursor or "x")


def test_a_cursor_ahead_of_the_feed_is_refused() -> None:
    feed = ActivityFeed()
    with pytest.raises(CursorError, match="ahead of the newest event"):
        feed.read(feed.cursor(5))


def test_a_listener_that_fails_does_not_fail_the_publisher() -> None:
    feed = ActivityFeed()
    seen: list[int] = []
    feed.subscribe(lambda event: 1 / 0)
    stop = feed.subscribe(lambda event: seen.append(event.seq))
    publish(feed)
    stop()
    publish(feed)
    assert seen == [1]


def test_webhook_urls_lose_their_password() -> None:
    assert redact_url("https://hook:s3cret@partner.example/pay1st") == \
        "https://hook:<redacted>@partner.example/pay1st"
    assert redact_url("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"


# -- GET /_mock/events ----------------------------------------------------------------------------


def test_calls_and_webhook_attempts_appear_in_order(app: Flask, client: FlaskClient) -> None:
    cursor = events(client)["next"]
    partner = ClientPartner(client).login()
    with WebhookListener() as listener:
        hook = f"{listener.url}/hook"
        reference = partner.create_reference(webhookUrl=hook)
        assert client.post(f"/_mock/payments/{reference}/complete",
                           json={"status": "SUCCESSFUL"}).status_code == 200
        page = wait_until(lambda: (lambda p: p if any(e["type"] == "webhook"
                                                      for e in p["events"]) else None)(
            events(client, after=cursor)), 10, "the webhook attempt")
    calls = [e for e in page["events"] if e["type"] == "call"]
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/api/pay1st/auth/token", 200), ("POST", "/api/pay1st/payments/create", 201)]
    assert calls[1]["reference"] == reference and calls[1]["partnerId"] == 1
    webhook = next(e for e in page["events"] if e["type"] == "webhook")
    assert webhook["reference"] == reference and webhook["event"] == "SUCCESSFUL"
    assert webhook["url"] == hook
    assert (webhook["responseStatus"], webhook["outcome"], webhook["attempt"]) == \
        (200, "DELIVERED", 1)
    ids = [e["id"] for e in page["events"]]
    assert ids == sorted(ids)
    text = repr(page)
    for secret in (SANDBOX["api_secret"], SANDBOX["signing_key"], str(partner.access_token)):
        assert secret not in text, "events carry no headers, bodies or secrets"


def test_a_failed_attempt_says_when_the_next_retry_is(app: Flask, client: FlaskClient) -> None:
    partner = ClientPartner(client).login()
    cursor = events(client)["next"]
    listener = WebhookListener().start()
    dead = listener.url
    listener.stop()  # nothing listens there any more
    reference = partner.create_reference(webhookUrl=f"{dead}/hook")
    client.post(f"/_mock/payments/{reference}/complete", json={"status": "FAILED"})
    page = wait_until(lambda: (lambda p: p if any(e["type"] == "webhook"
                                                  for e in p["events"]) else None)(
        events(client, after=cursor)), 10, "the failed attempt")
    webhook = next(e for e in page["events"] if e["type"] == "webhook")
    assert webhook["outcome"] == "PENDING" and webhook["responseStatus"] is None
    assert webhook["error"] and webhook["nextAttemptAt"]


def test_a_finding_is_in_the_call_event(app: Flask, client: FlaskClient) -> None:
    partner = ClientPartner(client, signing_key="not-the-signing-key").login()
    cursor = events(client)["next"]
    assert partner.create().status_code == 400
    (call,) = events(client, after=cursor)["events"]
    assert call["status"] == 400
    assert any(f["kind"] == "signature" for f in call["findings"])
    assert all("expected" not in f for f in call["findings"]), "the signed body stays out"


def test_partner_filter_limit_and_errors(app: Flask, client: FlaskClient) -> None:
    other = client.post("/_mock/partners", json={}).get_json()
    ClientPartner(client).login()
    ClientPartner.from_control(client, other).login()
    mine = events(client, partnerId=other["partnerId"])["events"]
    assert [e["partnerId"] for e in mine] == [other["partnerId"]]
    assert len(events(client, limit=1)["events"]) == 1
    for query, status in (({"partnerId": 999}, 404), ({"after": "nope"}, 400),
                          ({"timeout": "26"}, 400), ({"timeout": "nan"}, 400),
                          ({"limit": 0}, 400)):
        response = client.get("/_mock/events", query_string=query)
        assert response.status_code == status, (query, response.get_data(as_text=True))
        assert response.get_json()["errorCode"] in ("INVALID_PARAMETER", "UNKNOWN_PARTNER",
                                                    "PARTNER_NOT_FOUND", "NOT_FOUND")


def test_the_long_poll_over_a_real_socket(app: Flask, live_url: str) -> None:
    import requests

    cursor = requests.get(f"{live_url}/_mock/events", timeout=5).json()["next"]
    timer = threading.Timer(0.3, lambda: requests.post(
        f"{live_url}/api/pay1st/auth/token", timeout=5))
    started = time.monotonic()
    timer.start()
    answer = requests.get(f"{live_url}/_mock/events",
                          params={"after": cursor, "timeout": 10}, timeout=15).json()
    timer.join()
    assert [e["path"] for e in answer["events"]] == ["/api/pay1st/auth/token"]
    assert time.monotonic() - started < 3
    services(app).activity.close()  # a clean stop does not wait for readers


def test_the_operation_is_in_the_openapi_document(client: FlaskClient) -> None:
    document = client.get("/_mock/openapi.json").get_json()
    operation = document["paths"]["/_mock/events"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"after", "partnerId", "limit", "timeout"}
    timeout = next(p for p in operation["parameters"] if p["name"] == "timeout")
    assert timeout["schema"]["maximum"] == 25


def test_a_mock_server_stops_at_once_while_a_reader_waits() -> None:
    import requests

    from pay1st_mock.config import MEMORY, Settings
    from pay1st_mock.server import MockServer

    mock = MockServer(Settings(data=MEMORY)).start()
    cursor = requests.get(f"{mock.url}/_mock/events", timeout=5).json()["next"]

    def read() -> None:
        with contextlib.suppress(requests.RequestException):  # the stop may cut the answer
            requests.get(f"{mock.url}/_mock/events", params={"after": cursor, "timeout": 25},
                         timeout=30)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)
    started = time.monotonic()
    mock.stop()
    reader.join(10)
    assert time.monotonic() - started < 2, "stop() waited for the long poll"
