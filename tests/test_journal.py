"""The request journal (``GET /_mock/journal``): one entry per ``/api/pay1st`` call, with the
findings a partner needs to fix its integration, and never a secret."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from pay1st_mock.clock import Clock
from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.signing import sign_request
from tests.harness import ClientPartner
from tests.support import AUTH, PAYMENT, basic, now_timestamp, payment_body

CREATE = "/api/pay1st/payments/create"
SANDBOX_ID = 1


def _journal(client: FlaskClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/_mock/journal", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    entries: list[dict[str, Any]] = response.get_json()["entries"]
    return entries


def _newest(client: FlaskClient) -> dict[str, Any]:
    entries = _journal(client, limit=1)
    assert entries, "the journal is empty"
    return entries[0]


def _shown(secret: str, text: str) -> bool:
    """Whether ``secret`` appears in ``text`` as is, JSON-escaped or URL-escaped."""
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret)}
    return any(form in text for form in forms)


def _kinds(entry: dict[str, Any]) -> list[str]:
    return [finding["kind"] for finding in entry["findings"]]


@pytest.fixture
def sandbox(client: FlaskClient) -> ClientPartner:
    """The sandbox partner, logged in through the test client."""
    return ClientPartner(client).login()


def test_good_create_is_recorded_without_findings(client: FlaskClient,
                                                  sandbox: ClientPartner) -> None:
    response = sandbox.create(partnerReference="order-good")
    assert response.status_code == 201, response.get_data(as_text=True)
    reference = response.get_json()["reference"]

    entry = _newest(client)
    assert entry["method"] == "POST"
    assert entry["path"] == CREATE
    assert entry["status"] == 201
    assert entry["partnerId"] == SANDBOX_ID
    assert entry["reference"] == reference
    assert entry["findings"] == []
    assert json.loads(entry["requestBody"])["partnerReference"] == "order-good"
    assert json.loads(entry["responseBody"])["reference"] == reference
    assert entry["requestHeaders"]["Content-Type"] == PAYMENT
    headers = {name.lower(): value for name, value in entry["requestHeaders"].items()}
    assert headers["accesstoken"].startswith("Bearer <redacted sha256:")
    assert sandbox.access_token not in headers["accesstoken"]
    assert entry["durationMs"] >= 0
    assert entry["at"]


def test_amount_not_matching_the_products_is_a_hint(client: FlaskClient,
                                                    sandbox: ClientPartner) -> None:
    response = sandbox.create(amount=250)  # one product at 100 × 1
    assert response.status_code == 201, response.get_data(as_text=True)

    entry = _newest(client)
    assert entry["status"] == 201
    hints = [f for f in entry["findings"] if f["kind"] == "hint"]
    assert [f["path"] for f in hints] == ["$.amount"], entry["findings"]
    assert hints[0]["severity"] == "warning"
    assert "250" in hints[0]["message"] and "100" in hints[0]["message"]


def test_unknown_field_is_a_warning(client: FlaskClient, sandbox: ClientPartner) -> None:
    response = sandbox.create(colour="red")
    assert response.status_code == 201, response.get_data(as_text=True)

    entry = _newest(client)
    unknown = [f for f in entry["findings"] if f["path"] == "$.colour"]
    assert len(unknown) == 1, entry["findings"]
    assert unknown[0]["severity"] == "warning"
    assert "unknown field" in unknown[0]["message"]


def test_schema_errors_are_listed_by_json_path(client: FlaskClient,
                                               sandbox: ClientPartner) -> None:
    body = payment_body(amount="a hundred")
    del body["countryCode"]
    body["products"][0]["quantity"] = 0
    response = sandbox.signed_post(CREATE, body)
    assert response.status_code == 400, response.get_data(as_text=True)

    entry = _newest(client)
    assert entry["status"] == 400
    assert entry["partnerId"] == SANDBOX_ID
    paths = {f["path"] for f in entry["findings"] if f["kind"] == "schema"}
    assert {"$.countryCode", "$.amount", "$.products[0].quantity"} <= paths, entry["findings"]
    assert all(f["severity"] == "error" for f in entry["findings"] if f["path"] in paths)


def test_bad_signature_finding_shows_the_exact_string_to_sign(
        client: FlaskClient, sandbox: ClientPartner) -> None:
    raw = json.dumps(payment_body()).encode()
    timestamp = now_timestamp()
    response = client.post(CREATE, data=raw, headers={
        "AccessToken": f"Bearer {sandbox.access_token}", "Content-Type": PAYMENT,
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": sign_request("not-the-signing-key", timestamp, raw)})
    assert response.status_code == 400, response.get_data(as_text=True)

    entry = _newest(client)
    signature = [f for f in entry["findings"] if f["kind"] == "signature"]
    assert len(signature) == 1, entry["findings"]
    assert signature[0]["expected"] == timestamp + raw.decode()
    assert entry["partnerId"] == SANDBOX_ID


def test_token_in_authorization_is_a_token_finding_without_partner(
        client: FlaskClient, sandbox: ClientPartner) -> None:
    response = client.get("/api/pay1st/payments/methods", query_string={"countryCode": "NG"},
                          headers={"Authorization": f"Bearer {sandbox.access_token}"})
    assert response.status_code == 401, response.get_data(as_text=True)

    entry = _newest(client)
    assert entry["status"] == 401
    assert "token" in _kinds(entry), entry["findings"]
    assert entry["partnerId"] is None
    assert "Authorization" in " ".join(f["message"] for f in entry["findings"])


def test_expired_token_is_a_token_finding_with_partner(
        client: FlaskClient, sandbox: ClientPartner, clock: Clock, settings: Settings) -> None:
    clock.advance(settings.access_ttl_seconds + 1)
    response = sandbox.query("C-000000000000001-P")
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["errorCode"] == "EXPIRED_ACCESS_TOKEN"

    entry = _newest(client)
    token = [f for f in entry["findings"] if f["kind"] == "token"]
    assert token and "EXPIRED_ACCESS_TOKEN" in token[0]["message"], entry["findings"]
    assert entry["partnerId"] == SANDBOX_ID


def test_no_secret_appears_anywhere_in_the_journal(client: FlaskClient) -> None:
    made = client.post("/_mock/partners", json={"code": "SECRETIVE"})
    assert made.status_code == 201
    partner = ClientPartner.from_control(client, made.get_json())
    tokens = partner.token_response().get_json()
    partner.access_token = tokens["accessToken"]
    refreshed = client.post("/api/pay1st/auth/refresh", headers={"Content-Type": AUTH},
                            data=json.dumps({"role": "API_USER",
                                             "refreshToken": tokens["refreshToken"]}))
    assert refreshed.status_code == 200, refreshed.get_data(as_text=True)
    new_tokens = refreshed.get_json()
    partner.access_token = new_tokens["accessToken"]
    assert partner.create().status_code == 201
    # Mistakes that carry secrets: the token in Authorization, a wrong secret, the wrong token.
    client.get("/api/pay1st/payments/methods", query_string={"countryCode": "NG"},
               headers={"Authorization": f"Bearer {partner.access_token}"})
    client.post("/api/pay1st/auth/token", data=json.dumps({"role": "API_USER"}),
                headers={"Authorization": basic(partner.api_key, partner.api_secret + "x"),
                         "Content-Type": AUTH})
    client.get("/api/pay1st/payments", query_string={"reference": "C-1-P"},
               headers={"AccessToken": f"Bearer {new_tokens['refreshToken']}"})

    text = client.get("/_mock/journal", query_string={"limit": 1000}).get_data(as_text=True)
    assert len(json.loads(text)["entries"]) >= 6
    basic_value = base64.b64encode(f"{partner.api_key}:{partner.api_secret}".encode()).decode()
    secrets = {
        "access token": tokens["accessToken"], "refresh token": tokens["refreshToken"],
        "refreshed access token": new_tokens["accessToken"],
        "refreshed refresh token": new_tokens["refreshToken"],
        "API secret": partner.api_secret, "Basic credentials": basic_value,
        "signing key": partner.signing_key,
    }
    leaked = [name for name, secret in secrets.items() if _shown(secret, text)]
    assert not leaked, f"the journal shows: {', '.join(leaked)}"
    assert "<redacted" in text


def test_token_in_the_query_string_is_redacted(client: FlaskClient,
                                               sandbox: ClientPartner) -> None:
    # A partner mixing up the checkout link (?accessToken=) with the gateway API.
    token = sandbox.access_token or ""
    client.get("/api/pay1st/payments/methods",
               query_string={"countryCode": "NG", "accessToken": token})
    text = client.get("/_mock/journal").get_data(as_text=True)
    assert _journal(client)[0]["status"] == 401  # the gateway wants the AccessToken header
    assert not _shown(token, text), "the journal keeps an access token sent in the query string"


def test_refresh_token_in_a_malformed_body_is_redacted(client: FlaskClient) -> None:
    tokens = ClientPartner(client).token_response().get_json()
    broken = '{"role": "API_USER", "refreshToken": "' + tokens["refreshToken"] + '",}'
    response = client.post("/api/pay1st/auth/refresh", data=broken,
                           headers={"Content-Type": AUTH})
    assert response.status_code == 400
    text = client.get("/_mock/journal").get_data(as_text=True)
    assert not _shown(tokens["refreshToken"], text), (
        "the journal keeps a refresh token sent in a body that is not valid JSON")


@pytest.mark.parametrize("mistake", ["refresh_token in the body", "access_token in the query"])
def test_token_under_a_misspelt_name_is_redacted(client: FlaskClient, mistake: str) -> None:
    tokens = ClientPartner(client).token_response().get_json()
    if mistake == "refresh_token in the body":
        secret = tokens["refreshToken"]
        client.post("/api/pay1st/auth/refresh", headers={"Content-Type": AUTH},
                    data=json.dumps({"role": "API_USER", "refresh_token": secret}))
    else:
        secret = tokens["accessToken"]
        client.get("/api/pay1st/payments/methods",
                   query_string={"countryCode": "NG", "access_token": secret})
    assert _newest(client)["status"] in (400, 401)
    text = client.get("/_mock/journal").get_data(as_text=True)
    leaked = _shown(secret, text)
    assert not leaked, f"the journal keeps a live token sent as {mistake}"


def test_filters_by_partner_and_reference(client: FlaskClient, sandbox: ClientPartner) -> None:
    made = client.post("/_mock/partners", json={"code": "OTHER"})
    other = ClientPartner.from_control(client, made.get_json()).login()
    other_id = made.get_json()["partnerId"]
    mine = sandbox.create_reference()
    theirs = other.create_reference()
    assert sandbox.query(mine).status_code == 200
    assert other.query(theirs).status_code == 200

    sandbox_entries = _journal(client, partnerId=SANDBOX_ID)
    assert {e["partnerId"] for e in sandbox_entries} == {SANDBOX_ID}
    assert len(sandbox_entries) == 3  # token, create, query
    other_entries = _journal(client, partnerId=other_id)
    assert {e["partnerId"] for e in other_entries} == {other_id}
    assert len(other_entries) == 3

    by_reference = _journal(client, reference=mine)
    assert [(e["method"], e["path"]) for e in by_reference] == [
        ("GET", "/api/pay1st/payments"), ("POST", CREATE)]  # newest first
    assert _journal(client, reference=mine, partnerId=other_id) == []
    assert len(_journal(client, limit=2)) == 2
    assert client.get("/_mock/journal", query_string={"limit": 0}).status_code == 400
    assert client.get("/_mock/journal", query_string={"partnerId": "x"}).status_code == 400


@pytest.mark.parametrize("settings", [Settings(data=MEMORY, seed=7, journal_max_entries=100)])
def test_journal_is_bounded_and_keeps_the_newest(client: FlaskClient) -> None:
    calls = 350
    for number in range(calls):
        response = client.get("/api/pay1st/payments", query_string={"reference": f"call-{number}"})
        assert response.status_code == 401
    entries = _journal(client, limit=1000)
    assert len(entries) <= 200, f"{len(entries)} entries kept with journal_max_entries=100"
    assert entries[0]["reference"] == f"call-{calls - 1}"
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)
    assert not _journal(client, reference="call-0")


def test_full_reset_empties_and_partner_reset_removes_only_that_partner(
        client: FlaskClient, sandbox: ClientPartner) -> None:
    made = client.post("/_mock/partners", json={"code": "KEEPER"})
    keeper_id = made.get_json()["partnerId"]
    keeper = ClientPartner.from_control(client, made.get_json()).login()
    sandbox.create_reference()
    keeper.create_reference()
    client.get("/api/pay1st/payments/methods")  # anonymous: no partner

    assert client.post("/_mock/reset", json={"partnerId": SANDBOX_ID}).status_code == 200
    assert _journal(client, partnerId=SANDBOX_ID) == []
    assert len(_journal(client, partnerId=keeper_id)) == 2
    assert any(e["partnerId"] is None for e in _journal(client))

    assert client.post("/_mock/reset").status_code == 200
    assert _journal(client) == []
