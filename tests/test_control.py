"""The control API under /_mock (design.md §6), over the test client."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from pay1st_mock import __version__
from tests.harness import ClientPartner
from tests.support import SANDBOX


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["errorCode"] == code, body
    message: str = body["errorMessage"]
    return message


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def sandbox(client: FlaskClient) -> ClientPartner:
    return ClientPartner(client).login()


def _new_partner(client: FlaskClient, **body: Any) -> dict[str, Any]:
    response = client.post("/_mock/partners", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


# --- health ------------------------------------------------------------------------------------


def test_health(client: FlaskClient) -> None:
    response = client.get("/_mock/health")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"status", "version", "time"}
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert abs(_epoch(body["time"]) - time.time()) < 60


def test_unknown_control_path_is_a_404_envelope(client: FlaskClient) -> None:
    _error(client.get("/_mock/nothing-here"), 404, "NOT_FOUND")
    _error(client.delete("/_mock/health"), 405, "METHOD_NOT_ALLOWED")


# --- partners ----------------------------------------------------------------------------------


def test_create_partner_returns_fresh_credentials(client: FlaskClient) -> None:
    first = _new_partner(client)
    second = _new_partner(client, code="ACME", name="Acme Games",
                          webhookUrl="https://acme.example/hook",
                          callbacks={"success": "https://acme.example/ok"})
    assert first["partnerId"] == 2 and second["partnerId"] == 3
    assert first["origin"] == second["origin"] == "api"
    assert re.fullmatch(r"[A-Z0-9_]{2,32}", first["code"])
    assert (second["code"], second["name"], second["webhookUrl"]) == (
        "ACME", "Acme Games", "https://acme.example/hook")
    assert second["callbacks"] == {"success": "https://acme.example/ok", "failure": None,
                                   "pending": None, "cancel": None}
    secrets = [p[k] for p in (first, second) for k in ("apiKey", "apiSecret", "signingKey")]
    secrets += list(SANDBOX.values())
    assert len(set(secrets)) == len(secrets), "credentials must be fresh and distinct"
    assert all(len(s) >= 16 and ":" not in s for s in secrets[:6]), "generated ones"

    # The new credentials work at once.
    acme = ClientPartner.from_control(client, second).login()
    reference = acme.create_reference()
    status = acme.query(reference).get_json()
    assert status["partnerSettings"]["partnerId"] == 3
    assert status["partnerSettings"]["webhookUrl"] == "https://acme.example/hook"
    assert status["partnerSettings"]["successCallbackUrl"] == "https://acme.example/ok"


def test_list_and_show_partners(client: FlaskClient) -> None:
    made = _new_partner(client, code="ACME")
    listed = client.get("/_mock/partners")
    assert listed.status_code == 200
    partners = listed.get_json()["partners"]
    assert [p["partnerId"] for p in partners] == [1, 2]
    sandbox = partners[0]
    assert (sandbox["code"], sandbox["apiKey"], sandbox["apiSecret"], sandbox["signingKey"],
            sandbox["origin"]) == ("SANDBOX", SANDBOX["api_key"], SANDBOX["api_secret"],
                                   SANDBOX["signing_key"], "sandbox")
    assert partners[1] == made
    shown = client.get("/_mock/partners/2")
    assert shown.status_code == 200 and shown.get_json() == made


def test_show_unknown_partner_is_404_listing_known_ids(client: FlaskClient) -> None:
    message = _error(client.get("/_mock/partners/99"), 404, "PARTNER_NOT_FOUND")
    assert "99" in message and "1" in message


@pytest.mark.parametrize("code", ["ACME", "SANDBOX"])
def test_partner_code_conflict_is_409(client: FlaskClient, code: str) -> None:
    if code != "SANDBOX":
        _new_partner(client, code=code)
    message = _error(client.post("/_mock/partners", json={"code": code}), 409,
                     "PARTNER_CONFLICT")
    assert code in message
    assert len(client.get("/_mock/partners").get_json()["partners"]) == (
        1 if code == "SANDBOX" else 2)


def test_generated_code_does_not_collide_with_a_chosen_one(client: FlaskClient) -> None:
    """Partner 2 chose the code the generator would give partner 3 (PARTNER_3)."""
    _new_partner(client, code="PARTNER_3")
    response = client.post("/_mock/partners", json={})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["code"] != "PARTNER_3"


@pytest.mark.parametrize("body", [{"code": "lower"}, {"code": "A"}, {"name": ""},
                                  {"callbacks": {"sucess": "x"}}, [1, 2]])
def test_invalid_partner_body_is_400(client: FlaskClient, body: Any) -> None:
    response = client.post("/_mock/partners", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["errorCode"] == "VALIDATION_ERROR"


# --- payments ----------------------------------------------------------------------------------


def test_list_payments_filters(client: FlaskClient, sandbox: ClientPartner) -> None:
    other = ClientPartner.from_control(client, _new_partner(client)).login()
    mine = [sandbox.create_reference() for _ in range(3)]
    theirs = [other.create_reference() for _ in range(2)]
    done = client.post(f"/_mock/payments/{mine[1]}/complete", json={"status": "SUCCESSFUL"})
    assert done.status_code == 200, done.get_data(as_text=True)

    def refs(**params: str) -> list[str]:
        response = client.get("/_mock/payments", query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [p["reference"] for p in response.get_json()["payments"]]

    assert refs() == [*reversed(theirs), *reversed(mine)], "newest first"
    assert refs(partnerId="1") == list(reversed(mine))
    assert refs(partnerId="2") == list(reversed(theirs))
    assert refs(status="SUCCESSFUL") == [mine[1]]
    assert refs(status="successful") == [mine[1]]
    assert refs(status="NEW", partnerId="1") == [mine[2], mine[0]]
    assert refs(status="FAILED") == []
    assert refs(limit="2") == list(reversed(theirs))
    assert refs(limit="1", partnerId="1") == [mine[2]]

    listed = client.get("/_mock/payments", query_string={"partnerId": "2"}).get_json()
    assert {p["partnerId"] for p in listed["payments"]} == {2}


@pytest.mark.parametrize("params", [{"partnerId": "abc"}, {"partnerId": "1.5"},
                                    {"limit": "ten"}])
def test_list_payments_bad_parameter_is_400(client: FlaskClient,
                                            params: dict[str, str]) -> None:
    message = _error(client.get("/_mock/payments", query_string=params), 400,
                     "INVALID_PARAMETER")
    (name, value), = params.items()
    assert name in message and value in message


def test_list_payments_of_unknown_partner_is_404(client: FlaskClient) -> None:
    _error(client.get("/_mock/payments", query_string={"partnerId": "42"}), 404,
           "PARTNER_NOT_FOUND")


def test_show_payment(client: FlaskClient, sandbox: ClientPartner) -> None:
    body = {"metadata": [{"key": "customerId", "value": "77"}]}
    reference = sandbox.create_reference(**body)
    shown = client.get(f"/_mock/payments/{reference}")
    assert shown.status_code == 200
    payment = shown.get_json()
    assert (payment["reference"], payment["partnerId"], payment["status"]) == (reference, 1, "NEW")
    assert payment["metadata"] == body["metadata"]
    assert [h["status"] for h in payment["history"]] == ["NEW"]
    assert payment["channelId"] is None and payment["fulfilments"] == []
    message = _error(client.get("/_mock/payments/C-000000000000000-P"), 404, "PAYMENT_NOT_FOUND")
    assert "C-000000000000000-P" in message


def test_complete_moves_new_to_successful_with_history(client: FlaskClient,
                                                      sandbox: ClientPartner,
                                                      clock: Any) -> None:
    reference = sandbox.create_reference()
    clock.advance(5)
    done = client.post(f"/_mock/payments/{reference}/complete", json={"status": "SUCCESSFUL"})
    assert done.status_code == 200, done.get_data(as_text=True)
    payment = done.get_json()
    assert payment["status"] == "SUCCESSFUL"
    assert [h["status"] for h in payment["history"]] == ["NEW", "SUCCESSFUL"]
    first, second = (_epoch(h["at"]) for h in payment["history"])
    assert second - first >= 5, "history times come from the emulator clock"
    assert payment["updatedAt"] == payment["history"][-1]["at"]
    # Without channelId the country's first channel is used.
    methods = sandbox.get("/api/pay1st/payments/methods", countryCode="NG").get_json()
    first_channel = methods["data"]["groups"][0]["channels"][0]
    assert payment["channelId"] == first_channel["id"]
    assert payment["channelName"] == first_channel["channel"]["name"]
    # The partner sees it too.
    assert sandbox.query(reference).get_json()["status"] == "SUCCESSFUL"
    assert client.get(f"/_mock/payments/{reference}").get_json()["history"] == payment["history"]


def test_completing_a_final_payment_is_409(client: FlaskClient, sandbox: ClientPartner) -> None:
    reference = sandbox.create_reference()
    assert client.post(f"/_mock/payments/{reference}/complete",
                       json={"status": "FAILED"}).status_code == 200
    message = _error(client.post(f"/_mock/payments/{reference}/complete",
                                 json={"status": "SUCCESSFUL"}), 409, "INVALID_TRANSITION")
    assert "FAILED" in message and reference in message
    history = client.get(f"/_mock/payments/{reference}").get_json()["history"]
    assert [h["status"] for h in history] == ["NEW", "FAILED"], "a refused move left a trace"


def test_pending_then_successful_and_pending_twice(client: FlaskClient,
                                                  sandbox: ClientPartner) -> None:
    reference = sandbox.create_reference()
    url = f"/_mock/payments/{reference}/complete"
    palmpay = 58  # a phone + OTP wallet in NG: PENDING means its phone never answered
    assert client.post(url, json={"status": "PENDING", "channelId": palmpay}).status_code == 200
    _error(client.post(url, json={"status": "PENDING"}), 409, "INVALID_TRANSITION")
    done = client.post(url, json={"status": "SUCCESSFUL"})
    assert [h["status"] for h in done.get_json()["history"]] == ["NEW", "PENDING", "SUCCESSFUL"]


def test_channel_of_another_country_is_400_naming_the_offered_ones(
        client: FlaskClient, sandbox: ClientPartner) -> None:
    reference = sandbox.create_reference()  # NG
    za = sandbox.get("/api/pay1st/payments/methods", countryCode="ZA").get_json()
    za_channel = za["data"]["groups"][0]["channels"][0]["id"]
    ng = sandbox.get("/api/pay1st/payments/methods", countryCode="NG").get_json()
    ng_channels = [c["id"] for g in ng["data"]["groups"] for c in g["channels"]]

    message = _error(client.post(f"/_mock/payments/{reference}/complete",
                                 json={"status": "SUCCESSFUL", "channelId": za_channel}),
                     400, "VALIDATION_ERROR")
    assert "channelId" in message and str(za_channel) in message and "NG" in message
    for channel_id in ng_channels:
        assert str(channel_id) in message, f"offered channel {channel_id} not named: {message}"
    _error(client.post(f"/_mock/payments/{reference}/complete",
                       json={"status": "SUCCESSFUL", "channelId": 987654}),
           400, "VALIDATION_ERROR")
    assert client.get(f"/_mock/payments/{reference}").get_json()["status"] == "NEW"

    chosen = client.post(f"/_mock/payments/{reference}/complete",
                         json={"status": "SUCCESSFUL", "channelId": ng_channels[-1]})
    assert chosen.status_code == 200
    assert chosen.get_json()["channelId"] == ng_channels[-1]


@pytest.mark.parametrize("body", [{"status": "DONE"}, {}, {"status": "SUCCESSFUL",
                                                           "channelId": "card"}])
def test_complete_with_invalid_body_is_400(client: FlaskClient, sandbox: ClientPartner,
                                           body: dict[str, Any]) -> None:
    reference = sandbox.create_reference()
    _error(client.post(f"/_mock/payments/{reference}/complete", json=body), 400,
           "VALIDATION_ERROR")


def test_complete_unknown_payment_is_404(client: FlaskClient) -> None:
    _error(client.post("/_mock/payments/C-000000000000000-P/complete",
                       json={"status": "SUCCESSFUL"}), 404, "PAYMENT_NOT_FOUND")


# --- reset -------------------------------------------------------------------------------------


def test_reset_one_partner_deletes_only_its_payments_and_tokens(
        client: FlaskClient, sandbox: ClientPartner) -> None:
    other = ClientPartner.from_control(client, _new_partner(client, code="OTHER")).login()
    kept = sandbox.create_reference()
    gone = other.create_reference()

    response = client.post("/_mock/reset", json={"partnerId": 2})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"reset": "partner", "partnerId": 2}

    assert client.get(f"/_mock/payments/{gone}").status_code == 404
    assert client.get("/_mock/payments", query_string={"partnerId": "2"}).get_json() == {
        "payments": []}
    _error(other.query(gone), 401, "INVALID_ACCESS_TOKEN")
    # The partner itself remains, with the same credentials.
    assert client.get("/_mock/partners/2").get_json()["code"] == "OTHER"
    other.login()
    assert other.query(gone).status_code == 404

    # The other tenant is untouched: payment and token.
    assert sandbox.query(kept).status_code == 200
    assert [p["reference"] for p in client.get("/_mock/payments").get_json()["payments"]] == [
        kept]


def test_reset_of_unknown_partner_is_404(client: FlaskClient, sandbox: ClientPartner) -> None:
    reference = sandbox.create_reference()
    _error(client.post("/_mock/reset", json={"partnerId": 9}), 404, "PARTNER_NOT_FOUND")
    assert client.get(f"/_mock/payments/{reference}").status_code == 200


@pytest.mark.parametrize("body", [{"partnerId": "1"}, {"partnerId": 0}, {"partner": 1}])
def test_reset_with_bad_body_is_400(client: FlaskClient, body: dict[str, Any]) -> None:
    _error(client.post("/_mock/reset", json=body), 400, "VALIDATION_ERROR")


def test_full_reset(client: FlaskClient, sandbox: ClientPartner) -> None:
    made = _new_partner(client, code="TEMP")
    temp = ClientPartner.from_control(client, made).login()
    temp.create_reference()
    reference = sandbox.create_reference()
    client.post("/_mock/clock/advance", json={"seconds": 7200})

    response = client.post("/_mock/reset")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["reset"] == "all"

    partners = client.get("/_mock/partners").get_json()["partners"]
    assert [(p["partnerId"], p["code"]) for p in partners] == [(1, "SANDBOX")]
    assert client.get("/_mock/payments").get_json() == {"payments": []}
    assert client.get(f"/_mock/payments/{reference}").status_code == 404
    _error(temp.token_response(), 401, "INVALID_CREDENTIALS")
    _error(sandbox.query(reference), 401, "INVALID_ACCESS_TOKEN")
    clock = client.get("/_mock/clock").get_json()
    assert clock["offsetSeconds"] == 0
    assert abs(_epoch(clock["now"]) - time.time()) < 60
    # The sandbox keeps its documented credentials, and a new partner gets id 2 again.
    sandbox.login()
    assert _new_partner(client)["partnerId"] == 2


def test_full_reset_with_an_empty_json_body(client: FlaskClient) -> None:
    response = client.post("/_mock/reset", json={})
    assert response.status_code == 200
    assert response.get_json() == {"reset": "all", "partnerId": None}


# --- clock -------------------------------------------------------------------------------------


def test_clock_get_and_advance(client: FlaskClient) -> None:
    start = client.get("/_mock/clock")
    assert start.status_code == 200
    assert start.get_json()["offsetSeconds"] == 0
    before = _epoch(start.get_json()["now"])

    moved = client.post("/_mock/clock/advance", json={"seconds": 3600})
    assert moved.status_code == 200
    assert moved.get_json()["offsetSeconds"] == 3600
    assert 3599 <= _epoch(moved.get_json()["now"]) - before < 3660
    again = client.post("/_mock/clock/advance", json={"seconds": 0.5}).get_json()
    assert again["offsetSeconds"] == 3600.5
    assert client.get("/_mock/clock").get_json()["offsetSeconds"] == 3600.5
    assert _epoch(client.get("/_mock/health").get_json()["time"]) - before >= 3599


def test_clock_advance_expires_tokens(client: FlaskClient, sandbox: ClientPartner) -> None:
    reference = sandbox.create_reference()
    client.post("/_mock/clock/advance", json={"seconds": 3601})
    _error(sandbox.query(reference), 401, "EXPIRED_ACCESS_TOKEN")


def test_after_the_clock_moves_a_refreshed_partner_signing_with_real_time_is_accepted(
        client: FlaskClient, sandbox: ClientPartner) -> None:
    client.post("/_mock/clock/advance", json={"seconds": 7200})
    _error(sandbox.create(), 401, "EXPIRED_ACCESS_TOKEN")
    sandbox.login()  # the partner refreshes (here: a new token), and signs with real UTC time
    assert sandbox.create().status_code == 201


@pytest.mark.parametrize("body", [{"seconds": -1}, {}, {"seconds": "60"}, {"secs": 5}])
def test_clock_advance_rejects_bad_bodies(client: FlaskClient, body: dict[str, Any]) -> None:
    message = _error(client.post("/_mock/clock/advance", json=body), 400, "VALIDATION_ERROR")
    assert "seconds" in message or "secs" in message
    assert client.get("/_mock/clock").get_json()["offsetSeconds"] == 0


def test_clock_advance_rejects_malformed_json(client: FlaskClient) -> None:
    response = client.post("/_mock/clock/advance", data="{seconds: 5",
                           content_type="application/json")
    _error(response, 400, "MALFORMED_JSON")


@pytest.mark.parametrize("path", ["/_mock/payments", "/_mock/deliveries"])
@pytest.mark.parametrize("limit", ["0", "-1", "1001", "ten"])
def test_list_limit_out_of_range_is_400(client: FlaskClient, path: str, limit: str) -> None:
    response = client.get(path, query_string={"limit": limit})
    assert response.status_code == 400
    assert response.get_json()["errorCode"] == "INVALID_PARAMETER"
    assert "limit" in response.get_json()["errorMessage"]


def test_complete_with_a_status_picks_a_method_of_the_country_that_can_end_so(
        client: FlaskClient, sandbox: ClientPartner) -> None:
    pending = sandbox.create_reference()
    moved = client.post(f"/_mock/payments/{pending}/complete", json={"status": "PENDING"})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json()["status"] == "PENDING"
    failed = client.post(f"/_mock/payments/{pending}/complete", json={"status": "FAILED"})
    assert failed.get_json()["status"] == "FAILED"  # a PENDING phone payment can still fail
    moroccan = sandbox.create_reference(countryCode="MA", currencyCode="MAD")
    message = _error(client.post(f"/_mock/payments/{moroccan}/complete",
                                 json={"status": "PENDING"}), 400, "VALIDATION_ERROR")
    assert message.startswith("$.status: no payment method in MA can end PENDING; its methods: ")
