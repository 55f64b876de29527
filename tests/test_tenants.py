"""Partners are tenants (design.md §4): isolation, concurrency, and partners from config."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask

from pay1st_mock.config import MEMORY, settings_from_mapping
from tests.conftest import checked_app
from tests.harness import ClientPartner
from tests.support import AUTH, SANDBOX, GatewayClient, basic

PAYMENTS_PER_PARTNER = 25
WORKERS_PER_PARTNER = 5


def _control(method: str, url: str, **kwargs: Any) -> requests.Response:
    with requests.Session() as http:
        return http.request(method, url, timeout=10, **kwargs)


def _credentials(partner: dict[str, Any]) -> dict[str, str]:
    return {"api_key": partner["apiKey"], "api_secret": partner["apiSecret"],
            "signing_key": partner["signingKey"]}


def _partner_references(code: str, run: str) -> list[str]:
    """Half shared by both partners (same text), half the partner's own."""
    return [f"shared-{run}-{i}" if i % 2 == 0 else f"{code}-{run}-{i}"
            for i in range(PAYMENTS_PER_PARTNER)]


def _create_all(url: str, credentials: dict[str, str], access_token: str,
                partner_references: list[str]) -> list[requests.Response]:
    """One worker: its own HTTP session, the partner's shared token, several creates."""
    client = GatewayClient(url, **credentials)
    client.access_token = access_token
    try:
        return [client.create(partnerReference=ref) for ref in partner_references]
    finally:
        client.http.close()


def test_two_partners_in_parallel_never_see_each_other(live_url: str) -> None:
    made = _control("POST", f"{live_url}/_mock/partners", json={"code": "RIVAL"})
    assert made.status_code == 201, made.text
    partners = {1: dict(SANDBOX), made.json()["partnerId"]: _credentials(made.json())}
    clients = {pid: GatewayClient(live_url, **creds) for pid, creds in partners.items()}
    for client in clients.values():
        client.login()
    run = uuid.uuid4().hex[:8]
    wanted = {pid: _partner_references(f"P{pid}", run) for pid in partners}

    with ThreadPoolExecutor(max_workers=2 * WORKERS_PER_PARTNER) as pool:
        futures = {
            (pid, worker): pool.submit(_create_all, live_url, partners[pid],
                                       clients[pid].access_token or "",
                                       wanted[pid][worker::WORKERS_PER_PARTNER])
            for pid in partners for worker in range(WORKERS_PER_PARTNER)}
        results = {key: future.result(timeout=60) for key, future in futures.items()}

    created: dict[int, dict[str, str]] = {pid: {} for pid in partners}  # reference → partnerRef
    for (pid, _), responses in results.items():
        for response in responses:
            assert response.status_code == 201, response.text
            body = response.json()
            created[pid][body["reference"]] = body["partnerReference"]
    for pid in partners:
        assert sorted(created[pid].values()) == sorted(wanted[pid]), "a create was lost"
    assert not set(created[1]) & set(created[2]), "two payments share a reference"

    for pid, client in clients.items():
        other = 2 if pid == 1 else 1
        for reference, partner_reference in created[pid].items():
            mine = client.get("/api/pay1st/payments", reference=reference)
            assert mine.status_code == 200, mine.text
            assert mine.json()["partnerSettings"]["partnerId"] == pid
            assert mine.json()["partnerReference"] == partner_reference
        for reference in created[other]:
            theirs = client.get("/api/pay1st/payments", reference=reference)
            assert theirs.status_code == 404, f"partner {pid} can read {reference} of {other}"
            assert theirs.json()["errorCode"] == "PAYMENT_NOT_FOUND"

        listed = _control("GET", f"{live_url}/_mock/payments",
                          params={"partnerId": str(pid), "limit": "1000"}).json()["payments"]
        assert len(listed) == PAYMENTS_PER_PARTNER
        assert {p["reference"] for p in listed} == set(created[pid])
        assert {p["partnerId"] for p in listed} == {pid}
    everything = _control("GET", f"{live_url}/_mock/payments", params={"limit": "1000"})
    assert len(everything.json()["payments"]) == 2 * PAYMENTS_PER_PARTNER
    for client in clients.values():
        client.http.close()


def test_a_partner_cannot_fulfil_another_partners_payment(live_url: str) -> None:
    made = _control("POST", f"{live_url}/_mock/partners", json={}).json()
    owner, intruder = GatewayClient(live_url), GatewayClient(live_url, **_credentials(made))
    owner.login()
    intruder.login()
    reference = owner.create().json()["reference"]
    paid = _control("POST", f"{live_url}/_mock/payments/{reference}/complete",
                    json={"status": "SUCCESSFUL"})
    assert paid.status_code == 200, paid.text

    attempt = intruder.signed_post("/api/pay1st/payments/fulfilments", {
        "reference": reference,
        "products": [{"sku": "12345", "fulfilmentStatus": "FULFILLED", "quantity": 1}]})
    assert attempt.status_code == 404, attempt.text
    assert attempt.json()["errorCode"] == "PAYMENT_NOT_FOUND"
    status = owner.get("/api/pay1st/payments", reference=reference).json()
    assert status["fulfilments"] == [], "the other partner's fulfilment was recorded"
    for client in (owner, intruder):
        client.http.close()


def test_same_partner_reference_raced_by_one_partner_is_created_once(
        partner: GatewayClient, live_url: str) -> None:
    reference = f"raced-{uuid.uuid4()}"

    def attempt(_: int) -> requests.Response:
        return _create_all(live_url, SANDBOX, partner.access_token or "", [reference])[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(attempt, range(8), timeout=60))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [400] * 7, [r.text for r in responses]
    assert {r.json()["errorCode"] for r in responses if r.status_code == 400} == {
        "DUPLICATE_PARTNER_REFERENCE"}
    listed = _control("GET", f"{live_url}/_mock/payments", params={"partnerId": "1"})
    assert [p["partnerReference"] for p in listed.json()["payments"]] == [reference]
    partner.http.close()


def test_partners_created_concurrently_get_distinct_ids_and_working_credentials(
        live_url: str) -> None:
    count = 12

    def make(_: int) -> requests.Response:
        return _control("POST", f"{live_url}/_mock/partners", json={})

    with ThreadPoolExecutor(max_workers=count) as pool:
        responses = list(pool.map(make, range(count), timeout=60))
    assert [r.status_code for r in responses] == [201] * count, [r.text for r in responses]
    made = [r.json() for r in responses]
    ids = [p["partnerId"] for p in made]
    assert len(set(ids)) == count, f"concurrent creates handed out the same partnerId: {ids}"
    assert len({p["code"] for p in made}) == count
    assert len({p["apiKey"] for p in made}) == count
    listed = _control("GET", f"{live_url}/_mock/partners").json()["partners"]
    assert len(listed) == 1 + count
    for partner in made:
        client = GatewayClient(live_url, **_credentials(partner))
        response = client.http.post(client.url("/api/pay1st/auth/token"),
                                    data='{"role":"API_USER"}',
                                    headers={"Authorization": basic(partner["apiKey"],
                                                                    partner["apiSecret"]),
                                             "Content-Type": AUTH})
        client.http.close()
        assert response.status_code == 200, (
            f"partner {partner['partnerId']} was overwritten by a concurrent create: "
            + response.text)


# --- partners from config ----------------------------------------------------------------------

ACME = {"id": 2, "code": "ACME", "name": "Acme Games", "api_key": "acme-api-key",
        "api_secret": "acme-api-secret", "signing_key": "acme-signing-key-0123",
        "webhook_url": "https://acme.example/webhooks/pay1st",
        "callbacks": {"success": "https://acme.example/ok", "cancel": "https://acme.example/no"}}


@pytest.fixture
def config_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app built from ``settings_from_mapping(request.param)``, in memory, schema-checked."""
    settings = settings_from_mapping(request.param, source="tenants.toml").with_overrides(
        data=MEMORY, seed=99)
    with checked_app(settings) as app:
        yield app


@pytest.mark.parametrize("config_app", [{"version": 1, "partners": [ACME]}], indirect=True)
def test_configured_partner_logs_in_beside_the_sandbox(config_app: Flask) -> None:
    client = config_app.test_client()
    acme = ClientPartner(client, ACME["api_key"], ACME["api_secret"], ACME["signing_key"]).login()
    sandbox = ClientPartner(client).login()

    reference = acme.create_reference()
    status = acme.query(reference)
    assert status.status_code == 200
    settings = status.get_json()["partnerSettings"]
    assert settings["partnerId"] == 2
    assert settings["webhookUrl"] == ACME["webhook_url"]
    assert settings["successCallbackUrl"] == "https://acme.example/ok"
    assert settings["cancelCallbackUrl"] == "https://acme.example/no"
    assert settings["failureCallbackUrl"] is None
    assert sandbox.query(reference).status_code == 404

    listed = {p["partnerId"]: p for p in client.get("/_mock/partners").get_json()["partners"]}
    assert set(listed) == {1, 2}
    assert listed[1]["code"] == "SANDBOX" and listed[1]["origin"] == "sandbox"
    assert listed[2]["origin"] == "config"
    assert (listed[2]["code"], listed[2]["name"], listed[2]["apiKey"]) == (
        "ACME", "Acme Games", "acme-api-key")

    # A full reset keeps configured partners (and their credentials).
    assert client.post("/_mock/reset").status_code == 200
    ClientPartner(client, ACME["api_key"], ACME["api_secret"], ACME["signing_key"]).login()
    assert acme.query(reference).status_code == 401  # its tokens went with the reset


@pytest.mark.parametrize("config_app", [{"version": 1, "partners": [{**ACME, "id": 1}]}],
                         indirect=True)
def test_config_partner_with_id_1_replaces_the_sandbox(config_app: Flask) -> None:
    client = config_app.test_client()
    denied = ClientPartner(client).token_response()
    assert denied.status_code == 401
    assert denied.get_json()["errorCode"] == "INVALID_CREDENTIALS"
    acme = ClientPartner(client, ACME["api_key"], ACME["api_secret"], ACME["signing_key"]).login()
    reference = acme.create_reference()
    assert acme.query(reference).get_json()["partnerSettings"]["partnerId"] == 1
    partners = client.get("/_mock/partners").get_json()["partners"]
    assert [(p["partnerId"], p["code"], p["origin"]) for p in partners] == [(1, "ACME", "config")]
