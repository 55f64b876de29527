"""``WebhookListener``: what it records, how it answers, how a wait fails, and its life cycle."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator

import pytest
import requests

from pay1st_mock.listener import Received, WebhookListener


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    with WebhookListener() as started:
        yield started


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


def test_records_every_part_of_a_request(listener: WebhookListener,
                                         session: requests.Session) -> None:
    before = time.monotonic()
    answer = session.post(f"{listener.url}/hooks/pay1st?a=1&a=2&empty=", data=b'{"x": 1}',
                       headers={"X-TIMESTAMP": "2024-01-01T00:00:00Z"}, timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok")
    (received,) = listener.wait_for(1)
    assert (received.method, received.path) == ("POST", "/hooks/pay1st")
    assert received.query == {"a": ["1", "2"], "empty": [""]}
    assert received.body == b'{"x": 1}' and received.json() == {"x": 1}
    assert received.headers["x-timestamp"] == received.headers["X-Timestamp"]
    assert "X-TIMESTAMP" in list(received.headers), "names are kept as they were sent"
    assert before <= received.at <= time.monotonic()
    assert str(received) == "POST /hooks/pay1st?a=1&a=2&empty= (8 bytes)"


def test_a_list_script_is_used_once_per_request_then_200(session: requests.Session) -> None:
    with WebhookListener([500, (409, {"errorMessage": "again"}), (201, "made")]) as listener:
        answers = [session.post(listener.url, timeout=5) for _ in range(4)]
    assert [a.status_code for a in answers] == [500, 409, 201, 200]
    assert answers[0].text == "partner is down (scripted)"
    assert answers[1].json() == {"errorMessage": "again"}
    assert answers[1].headers["Content-Type"] == "application/json"
    assert (answers[2].text, answers[3].text) == ("made", "ok")


def test_a_callable_script_answers_from_the_request(listener: WebhookListener,
                                                    session: requests.Session) -> None:
    def echo(received: Received) -> tuple[int, bytes, dict[str, str]]:
        return 202, received.body[::-1], {"X-Seen": received.path}

    listener.answer_with(echo)
    answer = session.put(f"{listener.url}/p", data=b"abc", timeout=5)
    assert (answer.status_code, answer.content, answer.headers["X-Seen"]) == (202, b"cba", "/p")
    listener.reset()
    assert listener.requests == []
    assert session.get(listener.url, timeout=5).status_code == 200


def test_a_wait_that_runs_out_says_what_arrived(listener: WebhookListener,
                                                session: requests.Session) -> None:
    session.post(f"{listener.url}/user-info", data=b"{}", timeout=5)
    with pytest.raises(AssertionError) as failure:
        listener.wait_for(3, timeout=0.2, path="/summary")
    assert str(failure.value) == ("expected 3 webhook(s) to /summary within 0.2 s; got 0: "
                                  "nothing; to other paths: POST /user-info (2 bytes)")
    with pytest.raises(AssertionError, match=r"^expected 3 webhook\(s\) within 0.2 s; got 1: "
                                             r"POST /user-info \(2 bytes\)$"):
        listener.wait_for(3, timeout=0.2)


def test_keeps_the_connection_alive_and_reads_chunked_bodies(listener: WebhookListener) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=5)
    try:
        for body in (b"one", b"two"):
            connection.request("POST", "/hook", body=iter([body, b"!"]), encode_chunked=True,
                               headers={"Transfer-Encoding": "chunked"})
            assert connection.getresponse().read() == b"ok"
    finally:
        connection.close()
    assert [r.body for r in listener.wait_for(2)] == [b"one!", b"two!"]
    assert listener.connections == 1


def test_an_exception_in_a_script_answers_500_and_is_raised_by_stop(
        session: requests.Session) -> None:
    listener = WebhookListener(lambda received: json.loads(received.body)["missing"]).start()
    answer = session.post(listener.url, data=b"{}", timeout=5)
    assert answer.status_code == 500 and "KeyError" in answer.text
    with pytest.raises(KeyError, match="missing"):
        listener.stop()


def test_stop_releases_the_port_and_open_connections() -> None:
    listener = WebhookListener().start()
    url = listener.url
    with requests.Session() as kept_open:
        kept_open.trust_env = False
        assert kept_open.get(url, timeout=5).status_code == 200
        listener.stop()
        with pytest.raises(requests.ConnectionError):
            kept_open.get(url, timeout=5)
