"""State across restarts of ``pay1st-mock serve`` and determinism under ``--seed`` (design.md §4).

Every server here is a real subprocess on ``--port 0``; each restart is a new process on the same
``--data`` directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from pay1st_mock.process import ServerProcess
from tests.support import AUTH, GatewayClient, basic, payment_body

pytestmark = pytest.mark.slow

FIXED_BODY = payment_body(partnerReference="seeded-order-1")


@contextmanager
def gateway(url: str, **credentials: str) -> Iterator[GatewayClient]:
    """A logged-in GatewayClient whose HTTP session is closed afterwards."""
    client = GatewayClient(url, **credentials)
    try:
        client.login()
        yield client
    finally:
        client.http.close()


def control(method: str, url: str, **kwargs: Any) -> requests.Response:
    with requests.Session() as http:
        return http.request(method, url, timeout=10, **kwargs)


def token_status(url: str, api_key: str, api_secret: str) -> int:
    response = control("POST", f"{url}/api/pay1st/auth/token", data='{"role":"API_USER"}',
                       headers={"Authorization": basic(api_key, api_secret),
                                "Content-Type": AUTH})
    return response.status_code


def credentials(partner: dict[str, Any]) -> dict[str, str]:
    return {"api_key": partner["apiKey"], "api_secret": partner["apiSecret"],
            "signing_key": partner["signingKey"]}


def test_payments_partners_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with ServerProcess("--data", data, cwd=tmp_path) as first:
        url = first.url
        assert url is not None
        with gateway(url) as sandbox:
            created = sandbox.create()
            assert created.status_code == 201, created.text
            paid_ref = created.json()["reference"]
            open_ref = sandbox.create().json()["reference"]
            old_access_token = sandbox.access_token
        completed = control("POST", f"{url}/_mock/payments/{paid_ref}/complete",
                            json={"status": "SUCCESSFUL"})
        assert completed.status_code == 200, completed.text
        before = completed.json()

        made = control("POST", f"{url}/_mock/partners", json={"code": "DURABLE"})
        assert made.status_code == 201, made.text
        durable = made.json()
        with gateway(url, **credentials(durable)) as other:
            other_ref = other.create().json()["reference"]
        assert first.stop() == 0, first.stderr

    with ServerProcess("--data", data, cwd=tmp_path) as second:
        url = second.url
        assert url is not None
        with gateway(url) as sandbox:
            paid = sandbox.get("/api/pay1st/payments", reference=paid_ref)
            assert paid.status_code == 200, paid.text
            assert paid.json()["status"] == "SUCCESSFUL"
            assert paid.json()["channelId"] == before["channelId"]
            still_new = sandbox.get("/api/pay1st/payments", reference=open_ref)
            assert still_new.status_code == 200 and still_new.json()["status"] == "NEW"
            # Tenancy holds after the restart too.
            assert sandbox.get("/api/pay1st/payments", reference=other_ref).status_code == 404
            # The access token issued before the restart is still stored and valid.
            sandbox.access_token = old_access_token
            assert sandbox.get("/api/pay1st/payments", reference=paid_ref).status_code == 200

        shown = control("GET", f"{url}/_mock/payments/{paid_ref}")
        assert shown.status_code == 200
        assert shown.json()["history"] == before["history"]

        partner = control("GET", f"{url}/_mock/partners/{durable['partnerId']}")
        assert partner.status_code == 200, partner.text
        assert partner.json() == durable
        with gateway(url, **credentials(durable)) as other:
            mine = other.get("/api/pay1st/payments", reference=other_ref)
            assert mine.status_code == 200 and mine.json()["status"] == "NEW"

        # The next API partner gets a new id, not the survivor's.
        newer = control("POST", f"{url}/_mock/partners", json={})
        assert newer.status_code == 201, newer.text
        assert newer.json()["partnerId"] > durable["partnerId"]
        assert second.stop() == 0, second.stderr


def test_memory_data_is_gone_after_a_restart(tmp_path: Path) -> None:
    with ServerProcess("--data", ":memory:", cwd=tmp_path) as first:
        url = first.url
        assert url is not None
        with gateway(url) as sandbox:
            reference = sandbox.create().json()["reference"]
        made = control("POST", f"{url}/_mock/partners", json={"code": "EPHEMERAL"}).json()
        assert first.stop() == 0
    assert not any(tmp_path.rglob("*.sqlite3")), ":memory: must write no database file"

    with ServerProcess("--data", ":memory:", cwd=tmp_path) as second:
        url = second.url
        assert url is not None
        with gateway(url) as sandbox:  # the sandbox partner is always there
            lost = sandbox.get("/api/pay1st/payments", reference=reference)
            assert lost.status_code == 404
            assert lost.json()["errorCode"] == "PAYMENT_NOT_FOUND"
        assert control("GET", f"{url}/_mock/payments/{reference}").status_code == 404
        assert control("GET", f"{url}/_mock/payments").json()["payments"] == []
        assert token_status(url, made["apiKey"], made["apiSecret"]) == 401
        assert control("GET", f"{url}/_mock/partners/{made['partnerId']}").status_code == 404
        assert second.stop() == 0


def _seeded_run(url: str) -> dict[str, Any]:
    """One fixed sequence of calls; returns every generated value it saw."""
    with gateway(url) as sandbox:
        tokens = {"access": sandbox.access_token, "refresh": sandbox.refresh_token}
        created = sandbox.signed_post("/api/pay1st/payments/create", FIXED_BODY)
        assert created.status_code == 201, created.text
        missing = sandbox.get("/api/pay1st/payments", reference="C-000000000000000-P")
    partner = control("POST", f"{url}/_mock/partners", json={}).json()
    return {"tokens": tokens, "reference": created.json()["reference"],
            "sessionId": missing.json()["sessionId"],
            "partner": {k: partner[k] for k in ("partnerId", "apiKey", "apiSecret",
                                                "signingKey")}}


def test_same_seed_gives_the_same_references_tokens_and_credentials(tmp_path: Path) -> None:
    with ExitStack() as stack:
        servers = [stack.enter_context(ServerProcess("--data", ":memory:", "--seed", seed,
                                                     cwd=tmp_path))
                   for seed in ("42", "42", "43")]
        runs = []
        for server in servers:
            assert server.url is not None
            runs.append(_seeded_run(server.url))
    first, again, other = runs
    assert first == again, "the same --seed must replay the same references, tokens and ids"
    assert first["reference"] != other["reference"], "--seed 43 replayed seed 42's reference"
    assert first["tokens"]["access"] != other["tokens"]["access"]


def test_restart_with_the_same_seed_on_kept_data_still_works(tmp_path: Path) -> None:
    """A CI job that reuses its data dir and --seed must not collide with its own old state."""
    data = str(tmp_path / "data")
    references = []
    for _ in range(2):
        with ServerProcess("--data", data, "--seed", "7", cwd=tmp_path) as server:
            url = server.url
            assert url is not None
            assert token_status(url, "sandbox-api-key", "sandbox-api-secret") == 200, (
                "login after a seeded restart failed; stderr:\n" + server.stderr[-2000:])
            with gateway(url) as sandbox:
                created = sandbox.create()
                assert created.status_code == 201, created.text
                references.append(created.json()["reference"])
            made = control("POST", f"{url}/_mock/partners", json={})
            assert made.status_code == 201, made.text
            assert server.stop() == 0
    assert references[0] != references[1]
