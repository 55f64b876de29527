"""``pay1st-mock tail`` and ``pay1st-mock trigger`` against a real server in another process
(issue 17, point 2): what a developer sees in a second terminal, read from the commands' own
output (no terminal: plain text)."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from pay1st_mock.listener import WebhookListener
from pay1st_mock.process import PYTHON_COMMAND, ServerProcess
from tests.harness import run_cli

pytestmark = pytest.mark.slow  # servers and commands in subprocesses

REFERENCE = r"C-\d{15}-P"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess("--data", ":memory:", "--quiet", cwd=tmp_path) as running:
        yield running


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    with WebhookListener() as partner_backend:
        yield partner_backend


class Command:
    """A long-running command whose output lines are read as they come."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.process = subprocess.Popen([*PYTHON_COMMAND, *args], cwd=cwd,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: list[tuple[str, str]] = []
        self.readers = [threading.Thread(target=self._read, args=(name, stream), daemon=True)
                        for name, stream in (("stdout", self.process.stdout),
                                             ("stderr", self.process.stderr))]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))

    def expect(self, pattern: str, stream: str = "stdout", timeout: float = 15) -> str:
        """The next line of ``stream`` matching ``pattern`` (fails after ``timeout`` s)."""
        for seen_stream, line in self.seen:
            if seen_stream == stream and re.search(pattern, line):
                self.seen.remove((seen_stream, line))
                return line
        deadline = time.monotonic() + timeout
        while True:
            try:
                seen_stream, line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {stream} line matching {pattern!r} within {timeout} s;"
                                     f" seen: {self.seen}") from None
            if seen_stream == stream and re.search(pattern, line):
                return line
            self.seen.append((seen_stream, line))

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        """Send ``signum``; the exit status and what standard error said."""
        self.process.send_signal(signum)
        code = self.process.wait(10)
        for reader in self.readers:
            reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        errors = [line for stream, line in self.seen if stream == "stderr"]
        while not self.lines.empty():
            stream, line = self.lines.get()
            if stream == "stderr":
                errors.append(line)
        return code, "\n".join(errors)


def trigger(server: ServerProcess, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert server.url is not None
    return run_cli("trigger", *args, "--server", server.url, cwd=cwd)


# -- trigger --------------------------------------------------------------------------------------


def test_trigger_a_successful_payment(server: ServerProcess, listener: WebhookListener,
                                      tmp_path: Path) -> None:
    result = trigger(server, "payment.successful", "--webhook-url", f"{listener.url}/hook",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"Created payment ({REFERENCE}) for partner SANDBOX \(partnerId 1\): "
                        r"100 NGN in NG", lines[0]), lines
    reference = lines[0].split()[2]
    assert re.fullmatch(r"Completed it with .+: status SUCCESSFUL", lines[1]), lines
    assert lines[2] == "Sent to the partner:"
    assert re.fullmatch(rf"  payment_event SUCCESSFUL -> {listener.url}/hook: 200 in \d+ ms "
                        r"\(delivered\)", lines[3]), lines
    (delivered,) = listener.received()
    assert json.loads(delivered.body)["reference"] == reference
    assert result.stderr == ""


@pytest.mark.parametrize("event, status", [("payment.failed", "FAILED"),
                                           ("payment.pending", "PENDING"),
                                           ("payment.cancelled", "CANCELLED"),
                                           ("payment.abandoned", "ABANDONED")])
def test_trigger_each_status(server: ServerProcess, listener: WebhookListener, tmp_path: Path,
                             event: str, status: str) -> None:
    result = trigger(server, event, "--webhook-url", f"{listener.url}/hook", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f": status {status}" in result.stdout
    assert f"  payment_event {status} -> {listener.url}/hook: 200 in " in result.stdout


def test_trigger_says_when_the_partner_did_not_take_the_webhook(server: ServerProcess,
                                                                 tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    result = trigger(server, "payment.successful", "--webhook-url", url, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(rf"  payment_event SUCCESSFUL -> {url}: connection refused in \d+ ms "
                     r"\(PENDING, next try at \S+\)", result.stdout), result.stdout


def test_trigger_without_a_webhook_url_says_where_to_set_one(server: ServerProcess,
                                                              tmp_path: Path) -> None:
    result = trigger(server, "payment.successful", cwd=tmp_path)
    assert result.returncode == 0
    assert "  payment_event SUCCESSFUL: not sent: " in result.stdout
    assert "webhook" in result.stdout.splitlines()[-1].lower()


def test_trigger_a_refund(server: ServerProcess, listener: WebhookListener,
                          tmp_path: Path) -> None:
    result = trigger(server, "refund.successful", "--webhook-url", f"{listener.url}/hook",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^Refund R-\d+ of 100 NGN created: status PENDING$", result.stdout, re.M)
    assert re.search(r"^Refund R-\d+ moved: status SUCCESSFUL$", result.stdout, re.M)
    sent = result.stdout.split("Sent to the partner:\n", 1)[1]
    kinds = [line.split(" -> ")[0].strip() for line in sent.splitlines()]
    assert kinds == ["payment_event SUCCESSFUL", "refund PENDING", "refund SUCCESSFUL",
                     "payment_event REFUND"], sent
    assert sent.count(": 200 in ") == 4


def test_trigger_a_shop_purchase(server: ServerProcess, tmp_path: Path) -> None:
    result = trigger(server, "shop.purchase", "--player", "player-7", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(rf"Bought bundle 1 of product 1 for player player-7: payment {REFERENCE}, "
                     r".+, status SUCCESSFUL", result.stdout), result.stdout
    assert "User Info Webhook: not called (the product has no user_info_url)" in result.stdout
    assert "  summary SUCCESSFUL: not sent: " in result.stdout


def test_trigger_for_an_unknown_partner_or_a_missing_server(server: ServerProcess,
                                                            tmp_path: Path) -> None:
    unknown = trigger(server, "payment.successful", "--partner", "99", cwd=tmp_path)
    assert unknown.returncode == 2
    assert unknown.stderr.count("\n") == 1 and "99" in unknown.stderr
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    missing = run_cli("trigger", "payment.successful", "--server", nowhere, cwd=tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr == (f"pay1st-mock: no emulator answers at {nowhere}; start one with "
                              "'pay1st-mock serve' or pass --server URL\n")


# -- tail -----------------------------------------------------------------------------------------


def test_tail_follow_shows_calls_and_webhooks_as_they_happen(
        server: ServerProcess, listener: WebhookListener, tmp_path: Path) -> None:
    assert server.url is not None
    tail = Command("tail", "--follow", "--server", server.url, cwd=tmp_path)
    try:
        time.sleep(1)  # tail has asked, and waits at the head of the feed
        started = time.monotonic()
        result = trigger(server, "payment.successful", "--webhook-url", f"{listener.url}/hook",
                         cwd=tmp_path)
        reference = result.stdout.split()[2]
        tail.expect(r"POST /api/pay1st/auth/token  200 .* partner 1$")
        tail.expect(rf"POST /api/pay1st/payments/create  201 .* partner 1  {reference}$")
        hook = tail.expect(rf"webhook payment_event SUCCESSFUL {reference} -> "
                           rf"{listener.url}/hook  200 .* delivered$")
        assert hook and time.monotonic() - started < 10
    finally:
        code, errors = tail.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in errors, errors


def test_tail_prints_recent_events_and_exits(server: ServerProcess, tmp_path: Path) -> None:
    assert server.url is not None
    trigger(server, "payment.failed", cwd=tmp_path)
    result = run_cli("tail", "--server", server.url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [re.sub(r"^\S+  ", "", line).split("  ")[0] for line in result.stdout.splitlines()] \
        == ["POST /api/pay1st/auth/token", "POST /api/pay1st/payments/create"]
    last = run_cli("tail", "--server", server.url, "--limit", "1", "--format", "json",
                   cwd=tmp_path)
    (event,) = [json.loads(line) for line in last.stdout.splitlines()]
    assert event["path"] == "/api/pay1st/payments/create" and event["status"] == 201


def test_tail_for_one_partner(server: ServerProcess, tmp_path: Path) -> None:
    assert server.url is not None
    from pay1st_mock.client import PartnerClient

    other = PartnerClient.create(server.url)
    other.login()
    trigger(server, "payment.pending", cwd=tmp_path)
    mine = run_cli("tail", "--server", server.url, "--partner", str(other.partner_id),
                   "--format", "json", cwd=tmp_path)
    partners = {json.loads(line)["partnerId"] for line in mine.stdout.splitlines()}
    assert partners == {other.partner_id}
    unknown = run_cli("tail", "--server", server.url, "--partner", "99", cwd=tmp_path)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1


def test_tail_without_a_server(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    result = run_cli("tail", "--follow", "--server", nowhere, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (f"pay1st-mock: no emulator answers at {nowhere}; start one with "
                             "'pay1st-mock serve' or pass --server URL\n")


def test_tail_follow_rides_out_a_restart(tmp_path: Path) -> None:
    """The emulator stops and starts again on the same port: tail says so, and goes on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    first = ServerProcess("--data", ":memory:", "--quiet", "--port", port, cwd=tmp_path).start()
    assert first.url is not None
    url = first.url
    trigger(first, "payment.successful", cwd=tmp_path)  # an event for tail's first page
    tail = Command("tail", "--follow", "--server", url, cwd=tmp_path)
    try:
        # Stop only once tail has read its first page: a tail started against no emulator at
        # all says so and exits, which is another test.
        tail.expect(r"POST /api/pay1st/payments/create  201 ")
        assert first.stop() == 0
        tail.expect(rf"lost the emulator at {re.escape(url)}; trying again", "stderr")
        with ServerProcess("--data", ":memory:", "--quiet", "--port", port,
                           cwd=tmp_path) as second:
            tail.expect("answers again", "stderr")
            result = trigger(second, "payment.successful", cwd=tmp_path)
            reference = result.stdout.split()[2]
            tail.expect(rf"POST /api/pay1st/payments/create  201 .*{reference}$")
    finally:
        code, errors = tail.stop(signal.SIGTERM)
        first.close()
    assert code == 0, errors
    assert "Traceback" not in errors
