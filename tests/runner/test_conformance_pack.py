"""Each shipped scenario is proven both ways: the reference partner passes the whole pack, and
a partner with the bug a scenario targets fails that scenario with a message naming the symptom.
"""

from __future__ import annotations

import pytest

from pay1st_mock.runner.events import PASSED, RunFinished
from pay1st_mock.runner.model import load_scenarios
from tests.runner.conftest import PACK, Grade

# scenario file → (the deliberate bug it must catch, words its failure must contain)
TARGETS: dict[str, tuple[str, list[str]]] = {
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
}


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
    """A bug is caught by its scenario, not by unrelated ones: the pack stays precise."""
    result = grade(bugs=["summary-double-credit"])
    failed = sorted(r.scenario.file.split("scenarios/")[-1] for r in result.results
                    if r.outcome != PASSED)
    assert failed == ["shop/duplicate-summary-credits-once.json"]


def _report(result: RunFinished) -> str:
    from pay1st_mock.runner.reporters.text import failure_report

    return "\n".join(failure_report(r) for r in result.results if r.outcome != PASSED)


def test_pack_files_load() -> None:
    assert len(load_scenarios([PACK])) == len(TARGETS)
