"""A hostile partner cannot hang or exhaust the emulator: answers that never come, trickle in,
or weigh 50 MB are cut off by a deadline and a size cap; partner URLs must be http(s)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from pay1st_mock.config import MEMORY, ConfigError, Settings, settings_from_mapping
from pay1st_mock.outbound import BODY_KEPT as RESPONSE_BODY_KEPT
from pay1st_mock.server import MockServer

TIMEOUT = 1.0
FIFTY_MB = 50 * 1024 * 1024


class HostilePartner:
    """A raw-socket HTTP server whose every answer is ``behave(connection)``."""

    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self.behave = behave
        self.sent_bytes = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/hook"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)  # the request; its content does not matter here
            with contextlib.suppress(OSError):  # the emulator hung up on us: that is the point
                self.behave(connection)

    def close(self) -> None:
        self._socket.close()


def never_answers(connection: socket.socket) -> None:
    time.sleep(TIMEOUT * 4)


def trickles(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        connection.sendall(b"x")
        time.sleep(0.05)  # well under the read timeout each time, far over the deadline in all


def fifty_megabytes(partner: HostilePartner) -> Callable[[socket.socket], None]:
    def send(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                           + f"Content-Length: {FIFTY_MB}\r\n\r\n".encode())
        chunk = b"y" * 65536
        while partner.sent_bytes < FIFTY_MB:
            connection.sendall(chunk)
            partner.sent_bytes += len(chunk)
    return send


@pytest.fixture
def mock() -> Iterator[MockServer]:
    settings = settings_from_mapping({
        "version": 1, "server": {"data": MEMORY},
        "webhooks": {"timeout_seconds": TIMEOUT, "retry_delays_seconds": [600]},
        "shop": {"user_info_timeout_seconds": TIMEOUT}})
    with MockServer(settings) as server:
        yield server


def _paid_delivery(mock: MockServer, webhook_url: str) -> dict[str, Any]:
    """Pay a fresh payment whose webhook goes to ``webhook_url``; its delivery once attempted."""
    partner = requests.post(f"{mock.url}/_mock/partners", json={"webhookUrl": webhook_url},
                            timeout=10).json()
    from pay1st_mock.client import PartnerClient

    client = PartnerClient(mock.url, partner)
    reference = client.create_payment()["reference"]
    client.complete(reference)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = client.deliveries(reference)
        if found and found[0]["attempts"]:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no attempt for {reference} within 10 s")


@pytest.mark.parametrize(("behave", "error"), [
    (never_answers, f"no answer within {TIMEOUT:g} s"),
    (trickles, f"the answer was still arriving after {TIMEOUT:g} s"),
])
def test_a_partner_that_stalls_is_cut_off_at_the_timeout(
        mock: MockServer, behave: Callable[[socket.socket], None], error: str) -> None:
    partner = HostilePartner(behave)
    try:
        started = time.monotonic()
        delivery = _paid_delivery(mock, partner.url)
        took = time.monotonic() - started
    finally:
        partner.close()
    (attempt,) = delivery["attempts"]
    assert attempt["error"] == error
    assert delivery["status"] == "PENDING"  # failed, so retried later: nothing is lost
    assert took < TIMEOUT * 3, f"the dispatcher was held {took:.1f} s"


def test_a_50_mb_answer_is_read_no_further_than_the_cap(mock: MockServer) -> None:
    partner = HostilePartner(never_answers)
    partner.behave = fifty_megabytes(partner)
    try:
        delivery = _paid_delivery(mock, partner.url)
        time.sleep(0.2)
    finally:
        partner.close()
    (attempt,) = delivery["attempts"]
    assert attempt["responseStatus"] == 200 and delivery["status"] == "DELIVERED"
    assert len(attempt["responseBody"]) == RESPONSE_BODY_KEPT
    assert attempt["durationMs"] < TIMEOUT * 1000
    # What the partner managed to write is bounded by the kernel's socket buffers (a few MB on
    # loopback), not by the 50 MB it wanted to send: the emulator hung up after the cap.
    assert partner.sent_bytes < FIFTY_MB / 2, "the emulator kept reading the huge body"


@pytest.mark.parametrize("behave", [never_answers, trickles])
def test_a_stalling_user_info_webhook_is_a_partner_fault_at_the_timeout(
        behave: Callable[[socket.socket], None]) -> None:
    partner = HostilePartner(behave)
    settings = settings_from_mapping({
        "version": 1, "server": {"data": MEMORY}, "shop": {"user_info_timeout_seconds": TIMEOUT},
        "products": [{"id": 5, "name": "Gems", "countries": ["ZA"], "user_info_url": partner.url,
                      "bundles": [{"id": 50, "sku": "G-1", "name": "1 Gem", "tokens": 1,
                                   "prices": {"ZA": 5}}]}]})
    try:
        with MockServer(settings) as mock:
            started = time.monotonic()
            answer = requests.post(f"{mock.url}/_mock/shop/purchases", timeout=10, json={
                "productBundleId": 50, "countryCode": "ZA", "playerId": "p1"})
            took = time.monotonic() - started
    finally:
        partner.close()
    assert answer.status_code >= 400, answer.text
    assert "did not answer within 1 s" in answer.json()["errorMessage"]
    assert took < TIMEOUT * 3


@pytest.mark.parametrize("url", ["ftp://partner.example/hook", "javascript:alert(1)",
                                 "partner.example/hook", "http://", "http:// spaced.example"])
def test_partner_urls_must_be_http_or_https_in_the_config(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"version": 1, "partners": [{
            "id": 2, "code": "ACME", "api_key": "acme-api-key", "api_secret": "acme-secret",
            "signing_key": "acme-signing-key", "webhook_url": url}]})
    assert "partners[0].webhook_url: expected an http:// or https:// URL" in str(caught.value)


def test_partner_urls_must_be_http_or_https_in_the_control_api() -> None:
    with MockServer(Settings(data=MEMORY)) as mock:
        created = requests.post(f"{mock.url}/_mock/partners", timeout=10,
                                json={"webhookUrl": "file:///etc/passwd"})
        changed = requests.patch(f"{mock.url}/_mock/partners/1",
                                 timeout=10, json={"callbacks": {"success": "data:text/html,x"}})
    for answer, where in ((created, "$.webhookUrl"), (changed, "$.callbacks.success")):
        assert answer.status_code == 400
        assert answer.json()["errorMessage"].startswith(
            f"{where}: expected an http:// or https:// URL")


class CountingPartner(HostilePartner):
    """An HTTP/1.1 keep-alive partner: answers each POST ``200 ok`` and counts requests and
    connections; ``close_idle()`` hangs up on every open connection."""

    def __init__(self) -> None:
        self.requests = 0
        self.connections = 0
        self._open: list[socket.socket] = []
        super().__init__(lambda connection: None)

    @property
    def url(self) -> str:
        return super().url + "?x=1"  # a query string travels with the path

    def _serve(self, connection: socket.socket) -> None:
        self.connections += 1
        self._open.append(connection)
        buffer = b""
        with contextlib.suppress(OSError):
            while chunk := connection.recv(65536):
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    head, _, rest = buffer.partition(b"\r\n\r\n")
                    length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                                       if line.lower().startswith(b"content-length:")), b"0"))
                    if len(rest) < length:
                        break
                    buffer = rest[length:]
                    self.requests += 1
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def close_idle(self) -> None:
        for connection in self._open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self._open.clear()

    def close(self) -> None:
        super().close()
        self.close_idle()


def test_webhook_posts_reuse_one_connection_and_survive_a_partner_hanging_up() -> None:
    from pay1st_mock.outbound import Connections, post_bounded

    partner, connections = CountingPartner(), Connections()
    try:
        answers = [post_bounded(connections, partner.url, b"{}", {}, TIMEOUT) for _ in range(3)]
        assert [a.status for a in answers] == [200] * 3 and answers[0].body == "ok"
        assert (partner.requests, partner.connections) == (3, 1), "keep-alive: one connection"
        partner.close_idle()
        time.sleep(0.05)  # the FIN reaches us
        again = post_bounded(connections, partner.url, b"{}", {}, TIMEOUT)
        assert again.succeeded, f"a closed keep-alive connection must be replaced: {again}"
        assert (partner.requests, partner.connections) == (4, 2), "sent once, on a new one"
    finally:
        connections.close()
        partner.close()


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "http:///hook",
                                 "http://127.0.0.1:notaport/hook", "http://127.0.0.1:9/päth",
                                 "http://127.0.0.1:9/a b"])
def test_a_post_to_an_unusable_url_is_an_error_not_an_exception(url: str) -> None:
    from pay1st_mock.outbound import Connections, post_bounded

    answer = post_bounded(Connections(), url, b"{}", {}, TIMEOUT)
    assert not answer.succeeded and answer.status is None
    assert answer.error, f"no reason given for {url!r}"


def test_credentials_in_a_webhook_url_are_sent_as_basic_auth() -> None:
    """As requests did before webhooks moved to http.client: ``https://user:pass@host/``."""
    import base64

    from pay1st_mock.listener import WebhookListener
    from pay1st_mock.outbound import Connections, post_bounded

    connections = Connections()
    with WebhookListener() as listener:
        url = listener.url.replace("http://", "http://hook:s%3Acret@") + "/pay1st"
        answer = post_bounded(connections, url, b"{}", {"Authorization": "Basic other"},
                              TIMEOUT)
        (received,) = listener.wait_for(1)
        connections.close()
    assert answer.succeeded, answer
    assert received.headers["Authorization"] == \
        "Basic " + base64.b64encode(b"hook:s:cret").decode()
