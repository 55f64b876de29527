"""Scenario documents built in memory: partner-facing steps in turn, and emulator-facing pairs."""

from __future__ import annotations

from typing import Any

from .settings import EMPTY_OK_SCHEMA, PARTNER_KINDS, STEPS_PER_SCENARIO


def partner_step(kind: str, number: int) -> dict[str, Any]:
    """One partner-facing step of ``kind`` with the checks a pack step of that kind makes."""
    name = f"{kind} #{number}"
    if kind == "http":
        return {"name": name,
                "http": {"method": "GET",
                         "url": "{{ partner.hooks_url }}/players/{{ partner.player_id }}"},
                "expect": {"status": 200, "body": {}},
                "capture": {"answered": "$.status"}}
    if kind == "user_info":
        return {"name": name,
                "user_info": {"query": {"playerId": "{{ partner.player_id }}",
                                        "productBundleId": "{{ bundle.id }}",
                                        "productBundleExternalId": "{{ bundle.sku }}",
                                        "amount": "{{ bundle.price }}",
                                        "currencyCode": "{{ partner.currency }}",
                                        "countryCode": "{{ partner.country }}",
                                        "quantity": 1}},
                "expect": {"status": 200, "schema": EMPTY_OK_SCHEMA, "body": {},
                           "max_latency_ms": "{{ limits.user_info_timeout_ms }}"}}
    if kind == "payment_webhook":
        return {"name": name,
                "payment_webhook": {"status": "SUCCESSFUL", "signature": "valid"},
                "expect": {"status": "2xx", "body": {},
                           "max_latency_ms": "{{ limits.webhook_timeout_ms }}"}}
    if kind == "summary_webhook":
        return {"name": name,
                "summary_webhook": {"signature": "valid",
                                    "body": {"playerId": "{{ partner.player_id }}"}},
                "expect": {"status": [200, 204], "schema": EMPTY_OK_SCHEMA, "body": {}}}
    raise ValueError(kind)


def partner_scenarios(steps: int, per_scenario: int = STEPS_PER_SCENARIO,
                      prefix: str = "partner") -> list[dict[str, Any]]:
    """Scenario documents with ``steps`` steps in all, the partner-facing kinds in turn."""
    documents = []
    for first in range(0, steps, per_scenario):
        count = min(per_scenario, steps - first)
        documents.append({
            "version": 1, "name": f"{prefix} steps {first}–{first + count - 1}",
            "steps": [partner_step(PARTNER_KINDS[n % len(PARTNER_KINDS)], n)
                      for n in range(first, first + count)]})
    return documents


def emulator_scenarios(pairs: int, per_scenario: int = STEPS_PER_SCENARIO) -> list[dict[str, Any]]:
    """``create_payment`` then ``complete_payment`` of it, ``pairs`` times in all."""
    documents = []
    per_pairs = per_scenario // 2
    for first in range(0, pairs, per_pairs):
        steps = []
        for n in range(first, min(pairs, first + per_pairs)):
            steps += [{"name": f"create #{n}", "create_payment": {},
                       "expect": {"status": [200, 201],
                                  "schema": "gateway/create-payment-response.json"},
                       "capture": {"reference": "$.body.reference"}},
                      {"name": f"complete #{n}",
                       "complete_payment": {"reference": "{{ vars.reference }}",
                                            "outcome": "success"},
                       "expect": {"status": 200, "body": {"status": "SUCCESSFUL"}}}]
        documents.append({"version": 1, "name": f"emulator pairs {first}–", "steps": steps})
    return documents
