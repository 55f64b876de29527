"""Helpers for the CLI, durability, tenant and control tests.

* ``ServerProcess``: ``pay1st-mock serve --port 0`` in a subprocess, its output read line by line
  in the background so a test can wait for a line with a deadline instead of sleeping.
* ``ClientPartner``: a partner talking to an app through Flask's test client (no socket).
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock.services import EXTENSION_KEY
from pay1st_mock.signing import sign_request
from tests.support import AUTH, PAYMENT, SANDBOX, basic, now_timestamp, payment_body

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
URL_PREFIX = "PAY1ST_MOCK_URL="
PYTHON_MODULE = (sys.executable, "-m", "pay1st_mock")


def wait_until(predicate: Callable[[], Any], timeout: float, what: str,
               interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def run_cli(*args: str, cwd: Path, timeout: float = 30.0,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pay1st_mock ARGS`` to completion (commands that are meant to end)."""
    return subprocess.run([*PYTHON_MODULE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, input=stdin, check=False)


class ServerProcess:
    """One ``serve`` subprocess; always ``close()`` it (``serve_process`` does)."""

    def __init__(self, args: Sequence[str], cwd: Path,
                 command: Sequence[str] = PYTHON_MODULE) -> None:
        self.argv = [*command, "serve", "--host", "127.0.0.1", "--port", "0", *args]
        self.process = subprocess.Popen(self.argv, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout_lines,
                                                      self._lines), daemon=True),
            threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr_lines,
                                                      None), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.url: str | None = None

    @staticmethod
    def _pump(stream: IO[str], sink: list[str], lines: queue.Queue[str | None] | None) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))
            if lines is not None:
                lines.put(line.rstrip("\n"))
        if lines is not None:
            lines.put(None)

    @property
    def stdout(self) -> str:
        return "\n".join(self.stdout_lines)

    @property
    def stderr(self) -> str:
        return "\n".join(self.stderr_lines)

    def wait_for_url(self, timeout: float = START_TIMEOUT) -> str:
        """Read stdout until the ``PAY1ST_MOCK_URL=`` line; return the URL."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {URL_PREFIX} line within {timeout} s; stdout:\n"
                                     f"{self.stdout}\nstderr:\n{self.stderr}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.process.wait(STOP_TIMEOUT)
                raise AssertionError(f"server exited ({self.process.returncode}) before printing "
                                     f"its URL; stdout:\n{self.stdout}\nstderr:\n{self.stderr}")
            if line.startswith(URL_PREFIX):
                self.url = line.removeprefix(URL_PREFIX)
                return self.url

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``signum``, wait for the exit and for all output; return the exit code."""
        self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self._join_readers()
        return code

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(STOP_TIMEOUT)

    def close(self) -> None:
        """Kill the process if it still runs and release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
        self._join_readers()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def serve_process(*args: str, cwd: Path,
                  command: Sequence[str] = PYTHON_MODULE) -> Iterator[ServerProcess]:
    """Start ``serve --port 0 ARGS``, wait until it prints its URL, and always kill it after."""
    server = ServerProcess(args, cwd, command)
    try:
        server.wait_for_url()
        yield server
    finally:
        server.close()


def close_app(app: Flask) -> None:
    """Release an app built by ``create_app``: its background work and its database."""
    app.extensions[EXTENSION_KEY].close()


class ClientPartner:
    """A partner calling the gateway of an in-process app through Flask's test client."""

    def __init__(self, client: FlaskClient, api_key: str = SANDBOX["api_key"],
                 api_secret: str = SANDBOX["api_secret"],
                 signing_key: str = SANDBOX["signing_key"]) -> None:
        self.client = client
        self.api_key, self.api_secret, self.signing_key = api_key, api_secret, signing_key
        self.access_token: str | None = None

    @classmethod
    def from_control(cls, client: FlaskClient, partner: dict[str, Any]) -> ClientPartner:
        """The partner described by a control-API partner body."""
        return cls(client, partner["apiKey"], partner["apiSecret"], partner["signingKey"])

    def token_response(self) -> TestResponse:
        return self.client.post("/api/pay1st/auth/token", data=json.dumps({"role": "API_USER"}),
                                headers={"Authorization": basic(self.api_key, self.api_secret),
                                         "Content-Type": AUTH})

    def login(self) -> ClientPartner:
        response = self.token_response()
        assert response.status_code == 200, response.get_data(as_text=True)
        self.access_token = response.get_json()["accessToken"]
        return self

    def signed_post(self, path: str, body: dict[str, Any]) -> TestResponse:
        raw = json.dumps(body).encode()
        timestamp = now_timestamp()
        return self.client.post(path, data=raw, headers={
            "AccessToken": f"Bearer {self.access_token}", "Content-Type": PAYMENT,
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": sign_request(self.signing_key, timestamp, raw)})

    def get(self, path: str, **params: str) -> TestResponse:
        return self.client.get(path, query_string=params,
                               headers={"AccessToken": f"Bearer {self.access_token}"})

    def create(self, **overrides: Any) -> TestResponse:
        return self.signed_post("/api/pay1st/payments/create", payment_body(**overrides))

    def create_reference(self, **overrides: Any) -> str:
        """Create a payment and return its reference (asserting 201)."""
        response = self.create(**overrides)
        assert response.status_code == 201, response.get_data(as_text=True)
        reference: str = response.get_json()["reference"]
        return reference

    def query(self, reference: str) -> TestResponse:
        return self.get("/api/pay1st/payments", reference=reference)
