"""``MockServer`` on its own, without any pytest fixture: ready at once, isolated, loud about
server-side bugs, and leak-free over many start/stop cycles."""

from __future__ import annotations

import gc
import os
import socket
import threading
import time
from typing import Any

import pytest
import requests

from pay1st_mock.client import PartnerClient
from pay1st_mock.listener import WebhookListener
from pay1st_mock.server import MockServer

CYCLES = 50
FD_SLACK = 3  # interpreter-internal descriptors (e.g. a lazily opened /dev/urandom)


def _get(url: str, **kwargs: Any) -> requests.Response:
    """A GET on a throw-away session (no pooled connection outlives the call)."""
    with requests.Session() as http:
        http.trust_env = False
        return http.get(url, timeout=10, **kwargs)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _settle(predicate: Any, timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until true (threads that were joined may take a moment to vanish)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_plain_context_manager_serves_and_stops() -> None:
    with MockServer() as mock:
        url = mock.url
        port = int(url.rsplit(":", 1)[1])
        assert url.startswith("http://127.0.0.1:")
        assert _get(f"{url}/_mock/health").json()["status"] == "ok"
    assert _port_is_free(port), "the port is still bound after the with block"
    with pytest.raises(requests.ConnectionError):
        _get(f"{url}/_mock/health")


def test_ready_when_start_returns() -> None:
    mock = MockServer()
    try:
        assert mock.start() is mock
        # No retry loop: the very first request after start() must be answered.
        response = _get(f"{mock.url}/_mock/health")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
    finally:
        mock.stop()


def test_port_zero_picks_a_free_port() -> None:
    with MockServer(port=0) as first, MockServer(port=0) as second:
        ports = {int(first.url.rsplit(":", 1)[1]), int(second.url.rsplit(":", 1)[1])}
        assert len(ports) == 2
        assert all(port > 0 for port in ports)


def test_a_taken_port_fails_start_and_leaves_nothing_behind() -> None:
    with MockServer() as mock:
        port = int(mock.url.rsplit(":", 1)[1])
        gc.collect()
        threads, fds = threading.active_count(), _open_fds()

        other = MockServer(port=port)
        with pytest.raises(OSError):
            other.start()
        del other
        gc.collect()

        assert _get(f"{mock.url}/_mock/health").status_code == 200
        assert _settle(lambda: _open_fds() <= fds, timeout=2), (
            f"a start() that failed to bind left {_open_fds() - fds} descriptor(s) open")
        assert _settle(lambda: threading.active_count() <= threads, timeout=2), (
            f"a start() that failed to bind left threads running: "
            f"{sorted(t.name for t in threading.enumerate())} (before: {threads})")


def test_two_servers_side_by_side_are_isolated() -> None:
    with MockServer() as one, MockServer() as two:
        partner_one = PartnerClient.create(one.url, code="ALPHA")
        partner_two = PartnerClient.create(two.url, code="ALPHA")  # same code: no conflict
        created = partner_one.create_payment(partnerReference="order-1")
        reference = created["reference"]

        assert _get(f"{one.url}/_mock/payments/{reference}").status_code == 200
        assert _get(f"{two.url}/_mock/payments/{reference}").status_code == 404
        assert _get(f"{two.url}/_mock/payments").json()["payments"] == []
        # The other server's credentials mean nothing here.
        stranger = PartnerClient(two.url, {
            "partnerId": partner_one.partner_id, "code": partner_one.code,
            "apiKey": partner_one.api_key, "apiSecret": partner_one.api_secret,
            "signingKey": partner_one.signing_key})
        with pytest.raises(AssertionError, match="could not log in: HTTP 401"):
            stranger.login()
        partner_two.create_payment(partnerReference="order-1")  # same reference: no duplicate
        one.services.clock.advance(600)
        assert two.services.clock.offset == 0
        for client in (partner_one, partner_two, stranger):
            client.http.close()


class Boom(RuntimeError):
    """The bug planted in the server."""


def test_stop_reraises_an_exception_raised_on_the_server_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    mock = MockServer().start()
    try:
        def explode(*_: object) -> list[dict[str, Any]]:
            raise Boom("planted in catalogue.api_groups")

        monkeypatch.setattr(mock.services.catalogue, "api_groups", explode)
        partner = PartnerClient.create(mock.url)
        response = partner.get("/api/pay1st/payments/methods", countryCode="NG")
        partner.http.close()

        assert response.status_code == 500
        body = response.json()
        assert body["errorCode"] == "INTERNAL_ERROR", body
        assert "Boom" in body["errorMessage"], body
    except BaseException:
        mock.stop()
        raise
    with pytest.raises(Boom, match=r"planted in catalogue\.api_groups"):
        mock.stop()


def test_stop_without_server_errors_does_not_raise() -> None:
    mock = MockServer().start()
    assert _get(f"{mock.url}/_mock/nowhere").status_code == 404  # an expected error, not a bug
    mock.stop()
    mock.stop()  # idempotent


def _exercise(mock: MockServer, webhook_url: str) -> None:
    """One partner's day: log in, create, pay, and get the webhook delivered."""
    partner = PartnerClient.create(mock.url)
    try:
        reference = partner.create_payment(webhookUrl=webhook_url)["reference"]
        partner.complete(reference, outcome="success")
        partner.wait_for_delivery(reference)
    finally:
        partner.http.close()


def test_many_start_stop_cycles_leak_nothing() -> None:
    listener = WebhookListener().start()
    try:
        # One warm-up cycle: first-use imports and caches (schemas, Flask) are not leaks.
        with MockServer() as warm:
            _exercise(warm, listener.url)
        baseline_threads = threading.active_count()
        baseline_fds = _open_fds()

        for cycle in range(CYCLES):
            with MockServer() as mock:
                port = int(mock.url.rsplit(":", 1)[1])
                _exercise(mock, listener.url)
            assert _port_is_free(port), f"cycle {cycle}: port {port} still bound after stop()"
        assert len(listener.wait_for(CYCLES + 1)) == CYCLES + 1

        assert _settle(lambda: threading.active_count() <= baseline_threads), (
            f"threads leaked over {CYCLES} cycles: {threading.active_count()} alive, "
            f"{baseline_threads} before: {sorted(t.name for t in threading.enumerate())}")
        assert _settle(lambda: _open_fds() <= baseline_fds + FD_SLACK), (
            f"file descriptors leaked over {CYCLES} cycles: {_open_fds()} open, "
            f"{baseline_fds} before")
    finally:
        listener.stop()
