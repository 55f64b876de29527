"""The go-live checklist, over real sockets: a partner walking the gateway flow sees each item
tick in order; a signing bug shows as a problem with its fix; "Verify my webhook endpoint"
judges a real listener; ticks survive a restart and go with a partner reset; the CLI reports
and gates; the configuration export is accepted by ``serve --config`` and holds no secret."""

from __future__ import annotations

import io
import json
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from pay1st_mock.cli import main
from pay1st_mock.client import PartnerClient
from pay1st_mock.config import MEMORY, Settings, settings_from_mapping
from pay1st_mock.listener import Received, WebhookListener
from pay1st_mock.server import MockServer
from pay1st_mock.signing import verify_request

TOLERANCE = 300


def _verifying(signing_key: str) -> Any:
    """A correct partner endpoint: 401 unless the event is signed with ``signing_key`` and
    fresh, 200 otherwise."""
    def answer(received: Received) -> int:
        stamp = received.headers.get("X-TIMESTAMP", "")
        signature = received.headers.get("X-SIGNATURE", "")
        try:
            age = abs((datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds())
        except ValueError:
            return 401
        if age > TOLERANCE or not verify_request(signing_key, stamp, received.body, signature):
            return 401
        return 200
    return answer


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(Settings(data=MEMORY, seed=7)) as mock:
        yield mock


def _states(url: str, partner_id: int) -> dict[str, str]:
    body = requests.get(f"{url}/_mock/partners/{partner_id}/checklist", timeout=10).json()
    return {item["key"]: item["state"] for item in body["items"]}


def _item(url: str, partner_id: int, key: str) -> dict[str, Any]:
    body = requests.get(f"{url}/_mock/partners/{partner_id}/checklist", timeout=10).json()
    found: dict[str, Any] = next(i for i in body["items"] if i["key"] == key)
    return found


def _run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_partner_walking_the_gateway_flow_sees_each_item_tick_in_order(
        server: MockServer) -> None:
    url = server.url
    with WebhookListener() as listener:
        partner = PartnerClient.create(url, webhookUrl=f"{listener.url}/pay1st")
        listener.answer_with(_verifying(partner.signing_key))
        pid = partner.partner_id
        states = _states(url, pid)
        assert [k for k, v in states.items() if v == "done"] == ["gateway.credentials"]
        assert states["gateway.webhooks"] == "in_progress"  # the URL, not yet the callbacks
        assert "shop.user_info" not in states  # no products: the gateway checklist only

        partner.login()
        assert _states(url, pid)["gateway.token"] == "done"
        methods = partner.get("/api/pay1st/payments/methods", countryCode="NG").json()
        channel = methods["data"]["groups"][0]["channels"][0]["id"]
        assert _states(url, pid)["gateway.methods"] == "done"

        paid = partner.create_payment(callbackSuccessUrl="http://127.0.0.1:9/done")["reference"]
        after_create = _states(url, pid)
        assert after_create["gateway.create"] == "done"
        assert after_create["gateway.webhooks"] == "done"
        assert after_create["gateway.checkout"] == "todo"

        page = requests.get(partner.checkout_url(paid, channel), timeout=10)
        assert page.status_code == 200
        assert _states(url, pid)["gateway.checkout"] == "done"

        partner.complete(paid, "success")
        partner.wait_for_delivery(paid)
        webhook = _item(url, pid, "gateway.webhook")
        assert webhook["state"] == "in_progress"
        assert "a non-successful event acknowledged" in webhook["nextStep"]

        failed = partner.create_payment()["reference"]
        partner.complete(failed, "declined")
        partner.wait_for_delivery(failed)
        verified = requests.post(f"{url}/_mock/partners/{pid}/verify-webhooks", timeout=30).json()
        assert verified["passed"] is True
        assert [r["status"] for r in verified["results"]] == [200, 401, 401]
        assert _states(url, pid)["gateway.webhook"] == "done"

        fulfil = partner.post("/api/pay1st/payments/fulfilments", {"reference": paid, "products": [
            {"sku": "SKU-10", "fulfilmentStatus": "FULFILLED", "quantity": 1}]})
        assert fulfil.status_code == 200
        final = _states(url, pid)
        assert final["gateway.fulfilment"] == "done"
        assert final["gateway.end_to_end"] == "done"
        assert final["gateway.uat"] == "todo"  # by hand only

        code, out, _ = _run_cli("checklist", "--server", url, "--partner", str(pid))
        assert code == 0, out
        assert "· ready" in out.splitlines()[0]
        assert "✓ A full end-to-end test payment — done" in out
        listener.check()


def test_a_signing_bug_is_a_problem_that_says_the_fix(server: MockServer) -> None:
    partner = PartnerClient.create(server.url)
    raw = json.dumps({"countryCode": "NG", "currencyCode": "NGN", "amount": 100,
                      "partnerReference": "bug-1", "products": [
                          {"title": "x", "sku": "S", "price": 100, "quantity": 1}]}).encode()
    headers = partner.signed_headers(raw)
    headers["X-SIGNATURE"] = headers["X-SIGNATURE"][::-1]  # a signature over something else
    refused = requests.post(f"{server.url}/api/pay1st/payments/create", data=raw,
                            headers=headers, timeout=10)
    assert refused.status_code == 400
    create = _item(server.url, partner.partner_id, "gateway.create")
    assert create["state"] == "problem"
    assert "X-SIGNATURE does not match" in create["detail"]
    assert create["nextStep"].startswith("Fix this, then try again: header X-SIGNATURE: ")
    (evidence,) = create["evidence"]
    assert evidence["link"] == f"/_mock/ui/journal?partnerId={partner.partner_id}"

    partner.create_payment()  # fixed: a clean create is newer than the problem
    assert _item(server.url, partner.partner_id, "gateway.create")["state"] == "done"


def test_a_webhook_refused_although_correctly_signed_is_a_problem_with_the_usual_causes(
        server: MockServer) -> None:
    with WebhookListener(lambda _: 401) as listener:
        partner = PartnerClient.create(server.url, webhookUrl=f"{listener.url}/pay1st")
        paid = partner.create_payment()["reference"]
        partner.complete(paid, "success")
        listener.wait_for(1)
        # The attempt is logged, then the checklist told, just after the listener answered.
        deadline = time.monotonic() + 5
        while (webhook := _item(server.url, partner.partner_id, "gateway.webhook"))["state"] \
                != "problem" and time.monotonic() < deadline:
            time.sleep(0.02)
    assert webhook["state"] == "problem"
    assert webhook["detail"].startswith("your Payment Webhook Event URL answered 401 to a "
                                        "correctly signed event; the usual causes: compute "
                                        "HMAC-SHA256 over the raw body bytes")
    assert webhook["evidence"][-1]["link"].startswith("/_mock/ui/deliveries/")


def test_verify_finds_an_endpoint_that_accepts_forged_and_stale_events(
        server: MockServer) -> None:
    with WebhookListener() as listener:  # 200 to everything: no signature check at all
        partner = PartnerClient.create(server.url, webhookUrl=f"{listener.url}/pay1st")
        code, out, _ = _run_cli("checklist", "--server", server.url, "--partner",
                                str(partner.partner_id), "--verify")
        bodies = [r.json() for r in listener.wait_for(3)]
    assert code == 1
    assert "✓ a correctly signed test event is acknowledged: expected 2xx, answered 200" in out
    assert "✗ a badly signed event is refused: expected refused (not 2xx), answered 200" in out
    assert all(b["test"] is True and b["reference"] == "C-000000000000000-P" for b in bodies)
    webhook = _item(server.url, partner.partner_id, "gateway.webhook")
    assert webhook["state"] == "problem"
    assert "so it accepted an event it must refuse" in webhook["detail"]


def test_ticks_survive_a_restart_and_go_with_a_partner_reset(tmp_path: Path) -> None:
    settings = Settings(data=str(tmp_path / "data"), seed=3)
    with MockServer(settings) as first:
        partner = PartnerClient.create(first.url)
        partner.login()
        ticked = requests.post(
            f"{first.url}/_mock/partners/{partner.partner_id}/checklist/items/gateway.uat",
            json={"done": True, "note": "Ada, 3 Dec"}, timeout=10)
        assert ticked.status_code == 200
        first.services.journal.clear()  # trimming the journal never un-ticks an item
    with MockServer(settings) as again:
        states = _states(again.url, partner.partner_id)
        assert (states["gateway.token"], states["gateway.uat"]) == ("done", "done")
        assert _item(again.url, partner.partner_id, "gateway.uat")["tick"]["note"] == "Ada, 3 Dec"
        reset = requests.post(f"{again.url}/_mock/reset", json={"partnerId": partner.partner_id},
                              timeout=10)
        assert reset.status_code == 200
        after = _states(again.url, partner.partner_id)
        assert (after["gateway.token"], after["gateway.uat"]) == ("todo", "todo")


def test_an_observed_item_cannot_be_ticked_by_hand(server: MockServer) -> None:
    answer = requests.post(f"{server.url}/_mock/partners/1/checklist/items/gateway.token",
                           json={"done": True}, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["errorMessage"].startswith(
        "item 'gateway.token' is not ticked by hand; the manual items are: gateway.welcome")


def test_the_cli_reports_in_three_formats_and_refuses_bad_input(server: MockServer) -> None:
    code, out, _ = _run_cli("checklist", "--server", server.url, "--format", "json")
    body = json.loads(out)
    assert code == 1 and body["ready"] is False and body["styles"] == ["gateway", "shop"]
    code, report, _ = _run_cli("checklist", "--server", server.url, "--format", "markdown")
    assert report.startswith("# Pay1st go-live readiness: Sandbox Games (SANDBOX)")
    assert "| 5 | Generate an access token | ○ to do | ~2 | Pay1st Partner's Development Team |" \
        in report
    assert "## Shop integration" in report
    code, _, err = _run_cli("checklist", "--server", server.url, "--partner", "999")
    assert code == 2 and err.startswith("pay1st-mock: PARTNER_NOT_FOUND: ")
    code, _, err = _run_cli("checklist", "--server", "http://127.0.0.1:9")
    assert code == 2
    assert err == ("pay1st-mock: no emulator answers at http://127.0.0.1:9; start one with "
                   "'pay1st-mock serve' or pass --server URL\n")
    code, _, err = _run_cli("checklist", "--server", "localhost:8080")
    assert code == 2 and "argument --server: must be an http:// or https:// URL" in err


def test_the_configuration_export_is_accepted_and_holds_no_secret(
        server: MockServer, tmp_path: Path) -> None:
    partner = PartnerClient.create(server.url, webhookUrl="http://127.0.0.1:9/hooks",
                                   callbacks={"success": "http://127.0.0.1:9/ok"})
    target = tmp_path / "production.toml"
    code, out, _ = _run_cli("config", "export", "--server", server.url, "--partner",
                            str(partner.partner_id), "--output", str(target))
    assert code == 0
    text = target.read_text("utf-8")
    for secret in (partner.api_key, partner.api_secret, partner.signing_key):
        assert secret not in text
    settings = settings_from_mapping(tomllib.loads(text), source=str(target))
    (exported,) = [p for p in settings.all_partners if p.id == partner.partner_id]
    assert (exported.webhook_url, exported.callbacks.success) == (
        "http://127.0.0.1:9/hooks", "http://127.0.0.1:9/ok")
    assert "Set in Pay1st's production console:" in out
    assert "Payment Webhook URL: http://127.0.0.1:9/hooks → your production URL." in out

    code, sandbox, _ = _run_cli("config", "export", "--server", server.url)
    parsed = settings_from_mapping(tomllib.loads(sandbox), source="stdout")
    assert [len(p["bundles"]) for p in parsed.products] == [3]
    assert "apipassword" not in sandbox  # the product's Basic Auth password is a secret too
