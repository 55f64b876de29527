"""The accounting: what the clients were told, what the emulator holds, what the listeners got.

``account`` compares the three views after the clock drive: every payment a client created is
in ``GET /_mock/payments`` with the final status its outcome gives and its fulfilment; no
``partnerReference`` twice; every webhook the history calls for was acknowledged by the payment's
own partner's listener, correctly signed; an event acknowledged twice is a duplicate by the
emulator's fault unless its delivery log explains it (bench/README.md, "The accounting").
``accounting_metrics`` turns the result into the rows the soak and the crash run share.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness import Metric

from .clients import ClientStats, Flow, Partner, Worker
from .emulator import Control
from .listeners import Reception
from .settings import ALL_STATUSES, OUTCOMES, WEBHOOK_STATUSES


def server_payments(control: Control, partners: list[Partner],
                    flows: list[Flow]) -> tuple[dict[str, dict[str, Any]], bool]:
    """Every payment of these partners as ``GET /_mock/payments`` shows it.

    Listed per partner and status (the list holds at most 1,000); a reference a client holds
    that no list showed (a list was full) is looked up one by one.
    """
    found: dict[str, dict[str, Any]] = {}
    truncated = False
    for partner in partners:
        for status in ALL_STATUSES:
            page = control.get("/_mock/payments", partnerId=partner.partner_id, status=status,
                               limit=1000)["payments"]
            truncated |= len(page) >= 1000
            found.update((p["reference"], p) for p in page)
    for flow in flows:
        if flow.reference and flow.reference not in found:
            response = control.call("GET", f"/_mock/payments/{flow.reference}")
            if response.status_code == 200:
                found[flow.reference] = response.json()
    return found, truncated


def account(control: Control, partners: list[Partner], flows: list[Flow],
            killed_at: float | None = None) -> dict[str, Any]:
    """Compare what the clients were told, what the emulator holds and what the listeners got."""
    payments, truncated = server_payments(control, partners, flows)

    # Payments.
    created = [f for f in flows if f.reference]
    missing = [f.reference for f in created if f.reference not in payments]
    wrong_status = [f.reference for f in created if f.reference in payments and f.completed
                    and payments[f.reference]["status"] != OUTCOMES[f.outcome]]
    fulfilment_lost = [f.reference for f in created if f.fulfilled and f.reference in payments
                       and not payments[f.reference]["fulfilments"]]
    by_partner_reference = Counter((p["partnerId"], p["partnerReference"])
                                   for p in payments.values())
    duplicated = sum(1 for n in by_partner_reference.values() if n > 1)
    known = {f.reference for f in created}
    orphans = [r for r in payments if r not in known]  # the emulator has, no client learnt of

    # Webhooks: one per status change to a webhook status, to the partner's listener.
    expected: set[tuple[str, str]] = set()
    for reference, payment in payments.items():
        for change in payment["history"]:
            if change["status"] in WEBHOOK_STATUSES:
                expected.add((reference, change["status"]))
    acknowledged: dict[tuple[str, str], list[Reception]] = {}
    arrivals = failures_answered = bad_signatures = misrouted = 0
    for partner in partners:
        for r in partner.listener.snapshot():
            arrivals += 1
            failures_answered += r.answered != 200
            bad_signatures += not r.signature_ok
            owner = payments.get(str(r.reference), {}).get("partnerId")
            if r.partner_id != partner.partner_id or owner != partner.partner_id:
                misrouted += 1
            if r.answered == 200 and r.reference and r.status:
                acknowledged.setdefault((r.reference, r.status), []).append(r)
    lost = sorted(expected - acknowledged.keys())
    unexpected_events = sorted(acknowledged.keys() - expected)

    # Duplicates: an event acknowledged (2xx) more than once. Each 2xx is matched to the
    # emulator's logged attempt by its X-TIMESTAMP (fresh for every attempt). It is the
    # emulator's fault when it logged two 2xx for one event (outside a resend), or when a 2xx
    # it never logged arrived other than just before a kill. Explained: a 2xx it logged as a
    # failure (it stopped waiting, so it retried, as documented) or one the kill cut off
    # before the log entry (README: "a crash in the instant between your 2xx and our log
    # entry can repeat one delivery").
    by_fault: list[dict[str, Any]] = []
    explained: list[dict[str, Any]] = []
    for (reference, status), got in acknowledged.items():
        if len(got) < 2:
            continue
        log = [d for d in control.get("/_mock/deliveries", reference=reference,
                                      limit=1000)["deliveries"] if d["event"] == status]
        logged: dict[str | None, tuple[bool, bool]] = {}  # X-TIMESTAMP → (2xx, resend)
        for delivery in log:
            for attempt in delivery["attempts"]:
                stamp = {k.lower(): v for k, v in attempt["requestHeaders"].items()}.get(
                    "x-timestamp")
                answered = attempt["responseStatus"]
                logged[stamp] = (answered is not None and 200 <= answered < 300,
                                 delivery["resendOf"] is not None)
        kinds: Counter[str] = Counter()
        for r in got:
            if r.timestamp not in logged:
                kinds["unlogged, just before the kill" if killed_at is not None
                      and r.at <= killed_at else "unlogged"] += 1
            elif not logged[r.timestamp][0]:
                kinds["logged as a failure"] += 1
            elif logged[r.timestamp][1]:
                kinds["logged as delivered by a resend"] += 1
            else:
                kinds["logged as delivered"] += 1
        entry = {"reference": reference, "event": status, "acknowledged": len(got),
                 "how": dict(kinds),
                 "deliveries": [{"id": d["id"], "status": d["status"], "resendOf": d["resendOf"],
                                 "attempts": [(a["number"], a["responseStatus"], a["error"])
                                              for a in d["attempts"]]} for d in log]}
        fault = kinds["logged as delivered"] > 1 or kinds["unlogged"] > 0
        (by_fault if fault else explained).append(entry)

    undelivered = {status: len(control.get("/_mock/deliveries", status=status,
                                           limit=1000)["deliveries"])
                   for status in ("PENDING", "EXHAUSTED", "SKIPPED")}
    return {
        "flows": len(flows),
        "flows_completed": sum(f.completed and (f.outcome != "success" or f.fulfilled)
                               for f in flows),
        "payments_created": len(created),
        "payments_found_on_retry": sum(f.create == "found" for f in flows),
        "creates_unanswered": sum(f.create == "unknown" for f in flows),
        "server_payments": len(payments),
        "list_truncated": truncated,
        "missing": missing,
        "wrong_status": wrong_status,
        "fulfilment_lost": fulfilment_lost,
        "duplicated_partner_references": duplicated,
        "orphans": orphans,
        "by_status": dict(Counter(p["status"] for p in payments.values())),
        "webhooks_expected": len(expected),
        "webhooks_acknowledged": len(expected & acknowledged.keys()),
        "listener_arrivals": arrivals,
        "listener_answered_500": failures_answered,
        "bad_signatures": bad_signatures,
        "misrouted": misrouted,
        "lost": lost,
        "unexpected_events": unexpected_events,
        "duplicates_by_fault": by_fault,
        "duplicates_explained": explained,
        "undelivered": undelivered,
        "partners": {p.index: p.partner_id for p in partners},
    }


def merged_stats(workers: list[Worker]) -> ClientStats:
    stats = ClientStats()
    for worker in workers:
        stats.merge(worker.stats)
    return stats


def json_stats(stats: ClientStats) -> dict[str, Any]:
    return {"statuses": {f"{label} {status}": n for (label, status), n
                         in sorted(stats.statuses.items())},
            "transport_errors": dict(stats.transport), "unexpected": dict(stats.unexpected),
            "unexpected_samples": stats.samples}


def short(result: dict[str, Any]) -> dict[str, Any]:
    """The accounting for the JSON: counts, and the first few references of each problem."""
    out = {}
    for key, value in result.items():
        if isinstance(value, list):
            out[key] = {"count": len(value), "first": value[:10]}
        else:
            out[key] = value
    return out


def accounting_metrics(prefix: str, result: dict[str, Any], stats: ClientStats,
                        control_5xx: int) -> list[Metric]:
    undelivered = result["undelivered"]
    return [
        Metric(f"{prefix}payments missing or in a wrong final status",
               len(result["missing"]) + len(result["wrong_status"]), "count", 0),
        Metric(f"{prefix}fulfilments acknowledged but not recorded",
               len(result["fulfilment_lost"]), "count", 0),
        Metric(f"{prefix}partnerReference stored twice", result["duplicated_partner_references"],
               "count", 0),
        Metric(f"{prefix}webhooks expected (status changes)", result["webhooks_expected"],
               "count"),
        Metric(f"{prefix}deliveries the listeners failed (500, retried)",
               result["listener_answered_500"], "count"),
        Metric(f"{prefix}webhooks lost (never acknowledged)", len(result["lost"]), "count", 0),
        Metric(f"{prefix}webhooks duplicated by the emulator's fault",
               len(result["duplicates_by_fault"]), "count", 0),
        Metric(f"{prefix}duplicates its delivery log explains",
               len(result["duplicates_explained"]), "count"),
        Metric(f"{prefix}events not expected / misrouted / badly signed",
               len(result["unexpected_events"]) + result["misrouted"] + result["bad_signatures"],
               "count", 0),
        Metric(f"{prefix}deliveries not DELIVERED after the clock drive",
               undelivered["PENDING"] + undelivered["EXHAUSTED"] + undelivered["SKIPPED"],
               "count", 0),
        Metric(f"{prefix}5xx answers (gateway and control calls)",
               stats.five_xx() + control_5xx, "count", 0),
    ]
