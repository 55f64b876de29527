"""Helpers for the CLI, durability, tenant and control tests.

* ``run_cli``: a ``python -m pay1st_mock`` command run to completion. A server in a subprocess
  is ``pay1st_mock.process.ServerProcess``.
* ``ClientPartner``: a partner talking to an app through Flask's test client (no socket).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock.process import PYTHON_COMMAND
from pay1st_mock.services import EXTENSION_KEY
from pay1st_mock.signing import sign_request
from tests.support import AUTH, PAYMENT, SANDBOX, basic, now_timestamp, payment_body


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
    return subprocess.run([*PYTHON_COMMAND, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, input=stdin, check=False)


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

    def signed_post(self, path: str, body: dict[str, Any],
                    media_type: str = PAYMENT) -> TestResponse:
        raw = json.dumps(body).encode()
        timestamp = now_timestamp()
        return self.client.post(path, data=raw, headers={
            "AccessToken": f"Bearer {self.access_token}", "Content-Type": media_type,
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
