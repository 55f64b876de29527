"""A server reachable beyond loopback warns, and can require a token on its control API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pay1st_mock.cli import _is_loopback
from pay1st_mock.client import PartnerClient
from pay1st_mock.config import CONTROL_TOKEN_HEADER, MEMORY, Settings
from pay1st_mock.process import ServerProcess
from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.model import parse_scenario
from pay1st_mock.runner.session import run_scenarios
from pay1st_mock.runner.target import build_target
from pay1st_mock.server import MockServer

TOKEN = "s3cret-control-token-0123"


@pytest.fixture(scope="module")
def guarded() -> Iterator[MockServer]:
    with MockServer(Settings(data=MEMORY, control_token=TOKEN)) as server:
        yield server


@pytest.mark.parametrize(("sent", "told"), [(None, "none was sent"),
                                            ("guess", "a wrong one was sent")])
def test_the_control_api_refuses_calls_without_the_token(guarded: MockServer, sent: str | None,
                                                         told: str) -> None:
    headers = {CONTROL_TOKEN_HEADER: sent} if sent else {}
    for method, path in (("GET", "/_mock/partners"), ("POST", "/_mock/clock/advance"),
                         ("GET", "/_mock/openapi.json"), ("GET", "/_mock/journal")):
        answer = requests.request(method, guarded.url + path, headers=headers, timeout=10,
                                  json={"seconds": 1} if method == "POST" else None)
        assert answer.status_code == 401, path
        body = answer.json()
        assert body["errorCode"] == "CONTROL_TOKEN_REQUIRED"
        assert body["errorMessage"] == ("this server requires its control token in the "
                                        f"X-Pay1st-Mock-Token header for /_mock; {told}")


def test_health_and_the_partner_surfaces_stay_open(guarded: MockServer) -> None:
    assert requests.get(f"{guarded.url}/_mock/health", timeout=10).status_code == 200
    token = requests.post(f"{guarded.url}/api/pay1st/auth/token", timeout=10,
                          auth=("sandbox-api-key", "sandbox-api-secret"),
                          data=b'{"role":"API_USER"}', headers={
                              "Content-Type": "application/vnd.carry1st.payments."
                                              "partnerauthentication+json"})
    assert token.status_code == 200


def test_clients_that_know_the_token_work(guarded: MockServer) -> None:
    partner = PartnerClient.create(guarded.url, control_token=TOKEN)
    reference = partner.create_payment()["reference"]
    assert partner.complete(reference)["status"] == "SUCCESSFUL"
    scenario = parse_scenario({"version": 1, "name": "clock", "steps": [
        {"name": "advance", "advance_clock": {"seconds": 1}}]}, "<test>")
    engine = Engine(build_target(Settings(data=MEMORY)), guarded.url, control_token=TOKEN)
    assert run_scenarios(engine, [scenario], []).passed == 1
    refused = Engine(build_target(Settings(data=MEMORY)), guarded.url)
    result = run_scenarios(refused, [scenario], [])
    assert "X-Pay1st-Mock-Token" in result.results[0].messages()[0]


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("127.0.0.2", True), ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
    ("example.internal", False)])
def test_loopback_is_recognised(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


@pytest.mark.slow
@pytest.mark.parametrize(("extra", "says"), [
    (("--insecure-open-control",), "set --control-token (or server.control_token)"),
    (("--control-token", TOKEN), "The control API (/_mock) requires the control token")])
def test_serving_beyond_loopback_warns(tmp_path: Path, extra: tuple[str, ...], says: str) -> None:
    with ServerProcess("--host", "0.0.0.0", "--data", MEMORY, *extra, cwd=tmp_path) as server:
        pass
    assert "warning: listening on 0.0.0.0, beyond this machine" in server.stderr
    assert says in server.stderr
