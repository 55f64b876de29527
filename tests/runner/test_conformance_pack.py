"""Each shipped scenario is proven both ways: the reference partner passes the whole pack, and
a partner with the bug a scenario targets fails that scenario with a message naming the symptom.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from pay1st_mock.runner.events import PASSED, SKIPPED, RunFinished
from pay1st_mock.runner.model import load_scenarios
from pay1st_mock.runner.reporters.text import failure_report
from tests.runner.conftest import LIMITS, PACK, Grade

# scenario file → (the deliberate bug it must catch, words its failure must contain)
TARGETS: dict[str, tuple[str, list[str]]] = {
    "gateway/checkout-link-opens-the-payment.json":
        ("checkout-link-unescaped", ["status: expected 200, got 400", "URL-escape"]),
    "gateway/successful-payment-is-fulfilled.json":
        ("no-fulfilment", ["did not call POST /api/pay1st/payments/fulfilments",
                           "deliver the goods"]),
    "gateway/failed-payment-is-not-fulfilled.json":
        ("webhook-fulfil-any-status", ["1 time(s) in this scenario; expected none",
                                       "FAILED payment was never paid"]),
    "gateway/cancelled-payment-is-not-fulfilled.json":
        ("webhook-fulfil-any-status", ["1 time(s)", "expected none", "CANCELLED"]),
    "gateway/duplicate-payment-webhook-is-fulfilled-once.json":
        ("webhook-double-fulfil", ["time(s) in this scenario; expected at most 1",
                                   "idempotently"]),
    "gateway/out-of-order-payment-webhooks.json":
        ("webhook-regress-status", ["2 time(s) in this scenario; expected at most 1",
                                    "never regress"]),
    "gateway/payment-webhook-wrong-signature-is-rejected.json":
        ("webhook-no-signature-check", ["status: expected 4xx, got 200", "X-SIGNATURE"]),
    "gateway/payment-webhook-missing-signature-is-rejected.json":
        ("webhook-no-signature-check", ["status: expected 4xx, got 200", "no X-SIGNATURE"]),
    "gateway/payment-webhook-stale-timestamp-is-rejected.json":
        ("webhook-no-timestamp-check", ["status: expected 4xx, got 200", "X-TIMESTAMP"]),
    "gateway/slow-partner-answers-payment-webhook-in-time.json":
        ("slow-payment-webhook", ["expected an answer within 1000 ms"]),
    "shop/user-info-valid-player.json":
        ("user-info-wrong-shape", ["$.userId: required field is missing"]),
    "shop/user-info-unknown-player.json":
        ("user-info-accepts-unknown", ["status: expected 400, got 200", "unknown player"]),
    "shop/user-info-missing-player-id.json":
        ("user-info-500-on-missing-player", ["status: expected 400, got 500"]),
    "shop/user-info-answers-in-time.json":
        ("slow-user-info", ["expected an answer within 1000 ms"]),
    "shop/summary-credits-player.json":
        ("summary-decoded-key", ["status: expected 2xx, got 401", "Base64 TEXT"]),
    "shop/duplicate-summary-credits-once.json":
        ("summary-double-credit", ["$.balance: expected", "credit each summary reference once"]),
    "shop/summary-wrong-signature-is-rejected.json":
        ("summary-no-signature-check", ["status: expected 4xx, got 200"]),
    "shop/summary-missing-signature-is-rejected.json":
        ("summary-no-signature-check", ["status: expected 4xx, got 200", "no X-SIGNATURE"]),
    "shop/shop-purchase-end-to-end.json":
        ("summary-decoded-key", ["status: expected 2xx, got 401", "Summary signature"]),
    # Issue 12: fulfilling what was not paid; the message names the status it fulfilled.
    "gateway/pending-then-successful-is-fulfilled-once.json":
        ("fulfil-on-pending", ["1 time(s) in this scenario; expected none",
                               "400 PAYMENT_NOT_SUCCESSFUL", "is PENDING",
                               "deliver nothing until the SUCCESSFUL event"]),
    "gateway/pending-then-failed-is-not-fulfilled.json":
        ("fulfil-deny-list", ["expected none", "400 PAYMENT_NOT_SUCCESSFUL", "is PENDING",
                              "never on 'anything but FAILED or CANCELLED'"]),
    "gateway/abandoned-payment-is-not-fulfilled.json":
        ("fulfil-deny-list", ["expected none", "400 PAYMENT_NOT_SUCCESSFUL", "is ABANDONED",
                              "ABANDONED payment was never paid"]),
    # Players who exist but may not buy.
    "shop/user-info-suspended-player.json":
        ("user-info-accepts-suspended", ["status: expected 400, got 200", "exists and is active"]),
    # Blind spots.
    "gateway/payment-webhook-pretty-json-is-accepted.json":
        ("webhook-reserialised-hmac", ["status: expected 2xx, got 401",
                                       "hint: the webhook was signed correctly",
                                       "raw body bytes"]),
    "shop/summary-pretty-json-credits-player.json":
        ("summary-reserialised-hmac", ["status: expected 2xx, got 401",
                                       "hint: the webhook was signed correctly",
                                       "parsed and serialised again"]),
    "gateway/payment-webhook-two-minutes-old-is-accepted.json":
        ("webhook-tight-freshness", ["status: expected 2xx, got 401", "120 s old",
                                     "within ±300 s"]),
    "gateway/expired-access-token-is-refreshed.json":
        ("token-never-refreshed", ["status: expected 200 or 201, got 502",
                                   "hint: while answering, the partner called the emulator "
                                   "(POST /api/pay1st/payments/create) and the emulator "
                                   "answered 401 EXPIRED_ACCESS_TOKEN", "renew the token"]),
    "gateway/create-payment-charges-the-bundle-price.json":
        ("amount-in-cents", ["$.amount: expected 2000, got 200000", "MAJOR units"]),
    "shop/summary-quantity-credits-tokens-purchased-once.json":
        ("summary-quantity-twice", ["$.balance: expected 33, got 99",
                                    "without multiplying by quantity"]),
    # Issue 15: money going back, and the Shop's Basic auth.
    "gateway/refund-takes-the-credit-back-once.json":
        ("refund-double-reverse", ["$.balance: expected", "once per refundReference"]),
    "gateway/failed-refund-keeps-the-credit.json":
        ("refund-reverse-any-status", ["$.balance: expected", "on SUCCESSFUL alone"]),
    "gateway/chargeback-takes-the-credit-back.json":
        ("chargeback-ignored", ["$.balance: expected", "charged-back order was not paid for"]),
    "shop/user-info-without-basic-auth-is-refused.json":
        ("user-info-no-basic-auth", ["status: expected 4xx, got 200",
                                     "carries no Authorization: Basic"]),
    "shop/summary-without-basic-auth-is-refused.json":
        ("summary-no-basic-auth", ["status: expected 4xx, got 200",
                                   "no Authorization: Basic"]),
}
GATEWAY = PACK / "gateway"


def test_every_shipped_scenario_has_a_targeted_bug() -> None:
    shipped = {str(p.relative_to(PACK)) for p in PACK.rglob("*.json")}
    assert shipped == set(TARGETS)
    assert len(shipped) >= 14
    assert {name.split("/")[0] for name in shipped} == {"gateway", "shop"}


def test_the_reference_partner_passes_the_whole_pack(grade: Grade) -> None:
    result = grade()
    failures = {r.scenario.file: r.messages() for r in result.results if r.outcome != PASSED}
    assert failures == {}
    assert (result.passed, result.failed) == (len(TARGETS), 0)

    # The run is go-live evidence: every item of both checklists the emulator can observe is
    # done, the webhook item by the pack's signature scenarios, end to end by the checkout one.
    url = grade.emulator_urls[-1]  # type: ignore[attr-defined]
    body = requests.get(f"{url}/_mock/partners/1/checklist", timeout=10).json()
    observable = {i["key"]: (i["state"], i["nextStep"]) for i in body["items"]
                  if not i["manual"] and not i["optional"]}
    assert {k: v for k, v in observable.items() if v[0] != "done"} == {}
    assert body["styles"] == ["gateway", "shop"] and body["ready"] is True
    evidence = {i["key"]: {e["milestone"] for e in i["evidence"]} for i in body["items"]}
    assert {"webhook.refuses_forged", "webhook.refuses_stale"} <= evidence["gateway.webhook"]
    assert "payment.end_to_end" in evidence["gateway.end_to_end"]
    runs = [e for i in body["items"] for e in i["evidence"] if e["details"].get("kind") == "run"]
    assert runs and all(e["details"]["run"].startswith("pay1st-mock run ") for e in runs)


@pytest.mark.parametrize("scenario", sorted(TARGETS))
def test_the_scenario_fails_against_the_bug_it_targets(grade: Grade, scenario: str) -> None:
    bug, symptoms = TARGETS[scenario]
    result = grade([PACK / scenario], bugs=[bug])
    assert (result.passed, result.failed) == (0, 1), f"{scenario} did not catch {bug}"
    report = _report(result)
    for symptom in symptoms:
        assert symptom.lower() in report.lower(), f"{symptom!r} not in:\n{report}"


@pytest.mark.parametrize("bug", ["fulfil-wrong-sku"])
def test_a_wrong_sku_fails_the_fulfilment_scenario(grade: Grade, bug: str) -> None:
    result = grade([PACK / "gateway/successful-payment-is-fulfilled.json"], bugs=[bug])
    report = _report(result)
    assert result.failed == 1
    assert '$.products[0].sku: expected "CRE-11", got "CRE-11-WRONG"' in report
    assert "status: expected 200, got 400" in report  # the emulator refused the unknown SKU


def test_other_scenarios_still_pass_against_a_single_bug(grade: Grade) -> None:
    """A bug is caught by its scenarios, not by unrelated ones: the pack stays precise. (Both
    Summaries delivered twice catch a double credit.)"""
    result = grade(bugs=["summary-double-credit"])
    failed = sorted(r.scenario.file.split("scenarios/")[-1] for r in result.results
                    if r.outcome != PASSED)
    assert failed == ["shop/duplicate-summary-credits-once.json",
                      "shop/summary-quantity-credits-tokens-purchased-once.json"]


# The webhook timeout of the grading limits (tests/runner/conftest.py): [webhooks] timeout_seconds.
WEBHOOK_TIMEOUT = LIMITS["webhooks"]["timeout_seconds"]


@pytest.mark.parametrize("scenario", sorted(p.name for p in GATEWAY.glob("*.json")))
def test_a_partner_answering_events_in_0_7_of_the_timeout_passes_every_gateway_scenario(
        grade: Grade, scenario: str) -> None:
    """Slow but in time is correct: every wait for an acknowledgement outlasts the timeout.
    (One scenario per test, so the waits spread over the workers.)"""
    result = grade([GATEWAY / scenario], bugs=["slow-payment-webhook"],
                   slow_seconds=0.7 * WEBHOOK_TIMEOUT)
    assert [r.messages() for r in result.results if r.outcome != PASSED] == []
    assert result.passed == 1


def test_a_partner_answering_events_in_1_2_of_the_timeout_fails_naming_limit_and_time(
        grade: Grade) -> None:
    result = grade([GATEWAY / "successful-payment-is-fulfilled.json",
                    GATEWAY / "slow-partner-answers-payment-webhook-in-time.json"],
                   bugs=["slow-payment-webhook"], slow_seconds=1.2 * WEBHOOK_TIMEOUT)
    assert (result.passed, result.failed) == (0, 2)
    reports = {r.scenario.file.rsplit("/", 1)[1]: failure_report(r) for r in result.results}
    delivered = reports["successful-payment-is-fulfilled.json"]
    answered = reports["slow-partner-answers-payment-webhook-in-time.json"]
    assert (f"did not answer the SUCCESSFUL webhook within the webhook timeout of "
            f"{WEBHOOK_TIMEOUT:g} s ([webhooks] timeout_seconds)") in delivered
    assert re.search(r"the attempt was cut off after 1\.\d s", delivered), delivered
    assert f"expected an answer within {WEBHOOK_TIMEOUT * 1000:g} ms" in answered
    assert re.search(r"took 1[23]\d\d ms", answered), answered


def test_the_suspended_player_scenario_is_skipped_without_one(grade: Grade) -> None:
    """Only the partner knows a suspended player: without [run] suspended_player_id the
    scenario is skipped, never failed."""
    result = grade([PACK / "shop/user-info-suspended-player.json",
                    PACK / "shop/user-info-unknown-player.json"],
                   run={"suspended_player_id": None})
    assert (result.passed, result.failed, result.skipped) == (1, 0, 1)
    [skipped] = [r for r in result.results if r.outcome == SKIPPED]
    assert "[run] suspended_player_id" in skipped.messages()[0]


def test_the_pack_sets_no_deadline_on_the_partners_own_actions() -> None:
    """The docs set no fulfilment deadline: the pack waits [run] partner_action_seconds."""
    for path in PACK.rglob("*.json"):
        for step in json.loads(path.read_text("utf-8"))["steps"]:
            assert "within_seconds" not in step.get("wait_for_call", {}), (path, step["name"])
            assert step.get("no_call", {}).get("for_seconds", 0.5) <= 0.5, (path, step["name"])
            assert "README" not in step.get("why", ""), (path, step["name"])


def _report(result: RunFinished) -> str:
    return "\n".join(failure_report(r) for r in result.results if r.outcome != PASSED)


def test_pack_files_load() -> None:
    assert len(load_scenarios([PACK])) == len(TARGETS)
