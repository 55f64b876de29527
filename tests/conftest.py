"""Fixtures: a fresh in-memory app per test, its test client, and the app on a real port.

Every response any test provokes is checked against its schema in ``schemas/`` (errors against
error-response.json), so the server and the schemas cannot drift apart.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, Response, request
from flask.testing import FlaskClient

from pay1st_mock.app import create_app, services
from pay1st_mock.clock import Clock
from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.schemas import load_schemas
from pay1st_mock.server import HttpServer
from pay1st_mock.web.operations import endpoint_operation
from tests.support import GatewayClient

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Subprocesses the tests start (``python -m pay1st_mock``, the ``pay1st-mock`` script)
    import this checkout, whatever copy is installed: scripts/test never reinstalls over a
    user's ``pip install .`` (a server may be running from it)."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(ROOT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *paths])


def install_response_checker(app: Flask, problems: list[str]) -> None:
    """Validate every JSON response of ``app``; append readable problems to ``problems``."""
    schemas = load_schemas()

    @app.after_request
    def _check(response: Response) -> Response:
        if response.is_streamed:  # only injected faults stream (a dropped connection)
            return response
        if request.path.startswith(("/checkout", "/shop", "/payment", "/_mock/ui")):
            # HTML pages for people; a JSON body here would be the bug.
            if response.mimetype == "application/json":
                problems.append(f"{request.method} {request.path}: JSON on a page")
            return response
        if response.status_code >= 400:
            name: str | None = "error-response.json"
        else:
            declared = endpoint_operation(app, request.endpoint or "")
            name = declared.response if declared else None
        if name is None:
            return response
        try:
            body = json.loads(response.get_data())
        except ValueError:
            problems.append(f"{request.method} {request.path}: body is not JSON")
            return response
        for finding in schemas.check(name, body):
            problems.append(f"{request.method} {request.path} → {name}: {finding}")
        return response


@contextmanager
def checked_app(settings: Settings, clock: Clock | None = None) -> Iterator[Flask]:
    """An app whose every response is schema-checked; closed, and the checks asserted, after."""
    application = create_app(settings, clock)
    problems: list[str] = []
    install_response_checker(application, problems)
    yield application
    services(application).close()
    assert not problems, "responses broke their schemas:\n" + "\n".join(problems)


@pytest.fixture
def settings() -> Settings:
    """Settings of the app under test: in memory, seeded."""
    return Settings(data=MEMORY, seed=1234)


@pytest.fixture
def clock() -> Clock:
    """The app's clock; tests move it with ``advance``."""
    return Clock()


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[Flask]:
    """A fresh emulator whose every response is schema-checked at teardown."""
    with checked_app(settings, clock) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client of ``app``."""
    return app.test_client()


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """``app`` served on a free port of 127.0.0.1 by the real server, in a thread."""
    server = HttpServer(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server.url
    server.stop()
    thread.join(5)


@pytest.fixture
def partner(live_url: str) -> GatewayClient:
    """The sandbox partner, logged in, talking to the live server."""
    gateway = GatewayClient(live_url)
    gateway.login()
    return gateway
