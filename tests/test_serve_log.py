"""``serve``'s per-request log (issue 17, point 1): after the banner, one line per partner call and
per webhook attempt; plain when piped, coloured on a terminal, JSON with ``--log-format json``,
nothing with ``--quiet``; no secret ever printed; an output nobody reads never holds the server
up. Every test runs the real command in a subprocess and reads what it prints.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator

from pay1st_mock.client import PartnerClient
from pay1st_mock.listener import WebhookListener
from pay1st_mock.process import PYTHON_COMMAND, URL_PREFIX, ServerProcess
from pay1st_mock.schemas import load_schemas
from tests.harness import wait_until

pytestmark = pytest.mark.slow  # each test starts a server process

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CREATE = "/api/pay1st/payments/create"


def log_lines(server: ServerProcess) -> list[str]:
    """What the server printed after its banner (the URL line), before ``stopped``."""
    lines = server.stdout_lines
    start = next(i for i, line in enumerate(lines) if line.startswith(URL_PREFIX)) + 1
    return [line for line in lines[start:] if line != "pay1st-mock: stopped"]


def wait_for_line(server: ServerProcess, pattern: str, timeout: float = 10) -> str:
    found: str = wait_until(lambda: next((line for line in log_lines(server)
                                          if re.search(pattern, line)), None),
                            timeout, f"a log line matching {pattern!r}; got {log_lines(server)}")
    return found


def dead_url() -> str:
    listener = WebhookListener().start()
    url = listener.url
    listener.stop()
    return url


def test_one_line_per_call_and_per_webhook_attempt(tmp_path: Path) -> None:
    with ServerProcess("--data", ":memory:", cwd=tmp_path) as server, \
            WebhookListener() as listener:
        assert server.url is not None
        banner = list(server.stdout_lines)
        partner = PartnerClient.create(server.url)  # fresh credentials: secrets not in the banner
        payment = partner.create_payment(webhookUrl=f"{listener.url}/hook")
        reference = payment["reference"]
        partner.complete(reference, "success")
        partner.get("/api/pay1st/payments", reference=reference)

        token = wait_for_line(server, r"POST /api/pay1st/auth/token  200 ")
        assert f"partner {partner.partner_id}" in token
        create = wait_for_line(server, rf"POST {CREATE}  201 ")
        assert re.search(rf"\d\d:\d\d:\d\d\.\d{{3}}  POST {CREATE}  201  [\d.]+ ms  partner "
                         rf"{partner.partner_id}  {reference}$", create), create
        query = wait_for_line(server, r"GET  /api/pay1st/payments\?reference=")
        assert f"reference={reference}  200 " in query
        webhook = wait_for_line(server, r"webhook payment_event SUCCESSFUL")
        assert re.search(rf"webhook payment_event SUCCESSFUL {reference} -> {listener.url}/hook"
                         rf"  200  [\d.]+ ms  delivered$", webhook), webhook

        # A badly signed call: its line, then the finding under it.
        raw = json.dumps({"countryCode": "NG"}).encode()
        headers = partner.signed_headers(raw)
        headers["X-SIGNATURE"] = "0" * 64
        assert requests.post(server.url + CREATE, data=raw, headers=headers,
                             timeout=10).status_code == 400
        refused = wait_for_line(server, rf"POST {CREATE}  400 ")
        lines = log_lines(server)
        finding = lines[lines.index(refused) + 1]
        assert re.match(r"^ {10}! header X-SIGNATURE: ", finding), finding

        # The banner is unchanged, and its URL line is still the last line of it.
        assert banner[-1] == f"{URL_PREFIX}{server.url}"
        assert server.stop() == 0
        assert server.stdout_lines[-1] == "pay1st-mock: stopped"

    printed = server.stdout + server.stderr
    assert not ANSI.search(printed), "piped output is plain text"
    for secret in (partner.api_secret, partner.signing_key, partner.access_token):
        assert secret not in printed, "a secret reached the log"
    assert "Traceback" not in server.stderr


def test_a_refused_webhook_says_why_and_when_it_is_retried(tmp_path: Path) -> None:
    with ServerProcess("--data", ":memory:", cwd=tmp_path) as server:
        assert server.url is not None
        partner = PartnerClient.create(server.url)
        url = dead_url()
        reference = partner.create_payment(webhookUrl=f"{url}/hook")["reference"]
        partner.complete(reference, "declined")
        line = wait_for_line(server, r"webhook payment_event FAILED")
        assert re.search(rf"-> {url}/hook  connection refused  [\d.]+ ms  attempt 1 failed, "
                         r"retry at \d\d:\d\d:\d\d\.\d{3}$", line), line
        assert server.stop() == 0


def test_json_lines_for_machines(tmp_path: Path) -> None:
    schema = load_schemas().documents[
        "https://pay1st-mock.local/schemas/control/events.json"]
    event_schema = {**schema["$defs"]["event"], "$defs": schema["$defs"]}
    validator = Draft202012Validator(event_schema)
    with ServerProcess("--data", ":memory:", "--log-format", "json", cwd=tmp_path) as server, \
            WebhookListener() as listener:
        assert server.url is not None
        partner = PartnerClient.create(server.url)
        reference = partner.create_payment(webhookUrl=f"{listener.url}/hook")["reference"]
        partner.complete(reference, "success")
        wait_for_line(server, r'"type": "webhook"')
        assert server.stop() == 0
    events = [json.loads(line) for line in log_lines(server)]
    assert [e["type"] for e in events] == ["call", "call", "webhook"]
    for event in events:
        assert not list(validator.iter_errors(event)), event
    assert events[1]["reference"] == reference and events[2]["outcome"] == "DELIVERED"


def test_quiet_prints_only_the_banner(tmp_path: Path) -> None:
    with ServerProcess("--data", ":memory:", "--quiet", cwd=tmp_path) as server:
        assert server.url is not None
        partner = PartnerClient.create(server.url)
        partner.create_payment()
        time.sleep(0.5)
        assert server.stop() == 0
    assert log_lines(server) == []
    assert server.stdout_lines[-2:] == [f"{URL_PREFIX}{server.url}", "pay1st-mock: stopped"]


def test_colour_on_a_terminal(tmp_path: Path) -> None:
    """stdout a pseudo-terminal, as in a developer's shell: statuses are coloured."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    process = subprocess.Popen([*PYTHON_COMMAND, "serve", "--port", "0", "--data", ":memory:"],
                               cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=subprocess.PIPE, env={**env, "TERM": "xterm"})
    os.close(follower)
    seen = b""

    def read_until(needle: bytes, timeout: float = 15) -> bytes:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while needle not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.2)[0]:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
        assert needle in seen, seen.decode(errors="replace")
        return seen

    try:
        url = re.search(rb"PAY1ST_MOCK_URL=(\S+)", read_until(b"PAY1ST_MOCK_URL=http"))
        read_until(b"\n", 1)
        assert url is not None
        base = url.group(1).decode()
        requests.post(f"{base}/api/pay1st/auth/token", timeout=5)  # 401: no credentials
        output = read_until(b"auth/token").decode()
        read_until(b"MISSING_CREDENTIALS")
        line = next(line for line in seen.decode().splitlines() if "auth/token" in line)
        assert "\x1b[33m401\x1b[0m" in line, repr(line)  # a 4xx in yellow
        assert ANSI.sub("", line).endswith("partner unknown")
        assert output
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        os.close(leader)
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == 0


def test_an_output_nobody_reads_never_holds_the_server_up(tmp_path: Path) -> None:
    """A CI script reads up to the PAY1ST_MOCK_URL= line, then never again: the pipe fills (64
    KiB), the log drops lines, and the server still answers every call and stops at once."""
    process = subprocess.Popen([*PYTHON_COMMAND, "serve", "--port", "0", "--data", ":memory:"],
                               cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env={**os.environ,
                                                               "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    try:
        url = ""
        while not url:
            line = process.stdout.readline().decode()
            assert line, "the server ended before printing its URL"
            if line.startswith(URL_PREFIX):
                url = line.removeprefix(URL_PREFIX).strip()
        # Each refused call logs two lines (~250 bytes): 1,000 of them overflow the pipe 3 times.
        slowest = 0.0
        with requests.Session() as http:
            for _ in range(1000):
                started = time.monotonic()
                answer = http.post(f"{url}/api/pay1st/auth/token", timeout=5)
                slowest = max(slowest, time.monotonic() - started)
                assert answer.status_code == 401
        assert slowest < 0.9, f"a call waited {slowest:.2f} s for the log"
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert time.monotonic() - stopping < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def test_a_closed_output_never_stops_the_server(tmp_path: Path) -> None:
    """``serve | head -12``: the reader goes away; the server keeps serving and stops cleanly."""
    process = subprocess.Popen([*PYTHON_COMMAND, "serve", "--port", "0", "--data", ":memory:"],
                               cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    try:
        url = ""
        while not url:
            line = process.stdout.readline().decode()
            assert line
            if line.startswith(URL_PREFIX):
                url = line.removeprefix(URL_PREFIX).strip()
        process.stdout.close()
        for _ in range(20):
            assert requests.post(f"{url}/api/pay1st/auth/token", timeout=5).status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert "Traceback" not in process.stderr.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
