"""Steps that watch the partner: its calls to the emulator (or their absence) and its answers
to the emulator's webhooks."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pay1st_mock.runner.hints import refused_signature_hint
from pay1st_mock.runner.results import Exchange, Observation, Subject, parse_body
from pay1st_mock.runner.steps_state import (
    POLL_SECONDS,
    RunState,
    StepError,
    StepFailed,
    answers_of,
    emulator_call,
)

DELIVERY_MARGIN_SECONDS = 5.0  # past the webhook timeout, for the attempt to be logged


def wait_for_call(state: RunState, args: Mapping[str, Any],
                  expect: Mapping[str, Any]) -> list[Observation]:
    """Wait for the partner's call to the emulator; checks read what the partner sent.

    With no ``within_seconds`` it waits ``[run] partner_action_seconds`` (30 s by default): the
    docs set no deadline for the partner's own actions, so only a generous one is fair.
    """
    within = args.get("within_seconds", state.target.partner_action_seconds)
    deadline = time.monotonic() + within
    while True:
        calls = _calls(state, args)
        if calls:
            return [_journaled(calls[-1])]
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    # Not for this reference: did it call the same endpoint otherwise (a wrong reference, a
    # refused token)? Then say what the emulator answered, which says what to fix.
    elsewhere = _calls(state, {**args, "reference": None}, unattributed=True)
    if elsewhere:
        raise StepFailed(
            f"the partner called {_call_name({**args, 'reference': None})} "
            f"{len(elsewhere)} time(s) in this scenario, but never for {args.get('reference')} "
            f"within {within:g} s; {answers_of(elsewhere)}",
            [_journaled(call) for call in elsewhere[-3:]])
    raise StepFailed(f"the partner did not call {_call_name(args)} within {within:g} s; "
                     + _seen(state, args.get("reference")))


def no_call(state: RunState, args: Mapping[str, Any],
            expect: Mapping[str, Any]) -> list[Observation]:
    """Watch for ``for_seconds``; fail if the partner made more than ``at_most`` such calls."""
    period, at_most = args.get("for_seconds", 1), args.get("at_most", 0)
    time.sleep(period)
    calls = _calls(state, args)
    if len(calls) > at_most:
        allowed = "none" if at_most == 0 else f"at most {at_most}"
        raise StepFailed(f"the partner called {_call_name(args)} {len(calls)} time(s) in this "
                         f"scenario; expected {allowed}; {answers_of(calls)}",
                         [_journaled(call) for call in calls])
    return []


def wait_for_delivery(state: RunState, args: Mapping[str, Any],
                      expect: Mapping[str, Any]) -> list[Observation]:
    """Wait until the emulator's webhook for ``reference`` got an answer (or gave up).

    It waits at least the webhook timeout plus a margin, so a partner that answers within the
    timeout is never failed for being slow.
    """
    reference, event = args["reference"], args.get("event")
    timeout = state.target.webhook_timeout_seconds
    within = max(args.get("within_seconds", 0), timeout + DELIVERY_MARGIN_SECONDS)
    deadline = time.monotonic() + within
    while True:
        deliveries = _matching(state, args)
        answered = [d for d in deliveries if d["attempts"] or d["status"] == "SKIPPED"]
        if answered:
            return [_attempt_observation(answered[0], timeout, expect)]
        if time.monotonic() >= deadline:
            what = f"{event} delivery" if event else "delivery"
            seen = "; ".join(_delivery_state(d) for d in deliveries)
            raise StepFailed(f"no webhook {what} for {reference} was answered within "
                             f"{within:g} s (the webhook timeout is {timeout:g} s); "
                             f"deliveries: {seen or 'none'}")
        time.sleep(POLL_SECONDS)


def resend_delivery(state: RunState, args: Mapping[str, Any],
                    expect: Mapping[str, Any]) -> list[Observation]:
    """Send the newest matching webhook again, as Pay1st's retries may (``POST
    /_mock/deliveries/ID/resend``), and wait for the partner's answer to the copy.

    The copy queues behind the reference's pending deliveries, so it waits the webhook timeout
    for each of them too.
    """
    found = _matching(state, args)
    if not found:
        what = " ".join(filter(None, [args.get("kind"), args.get("event")])) or "webhook"
        raise StepError(f"resend_delivery: the emulator has no {what} delivery for "
                        f"{args['reference']} to resend yet; wait for it first "
                        "(wait_for_delivery)")
    resent = emulator_call(lambda: state.emulator.control_json(
        "POST", f"/deliveries/{found[0]['id']}/resend"))
    timeout = state.target.webhook_timeout_seconds
    ahead = sum(1 for d in emulator_call(lambda: state.emulator.deliveries(args["reference"]))
                if d["status"] == "PENDING")
    deadline = time.monotonic() + ahead * timeout + DELIVERY_MARGIN_SECONDS
    while True:
        copy = emulator_call(lambda: state.emulator.control_json(
            "GET", f"/deliveries/{resent['id']}"))
        if copy["attempts"] or copy["status"] == "SKIPPED":
            return [_attempt_observation(copy, timeout, expect)]
        if time.monotonic() >= deadline:
            raise StepFailed(f"the resent webhook was not answered within "
                             f"{ahead * timeout + DELIVERY_MARGIN_SECONDS:g} s: "
                             + _delivery_state(copy))
        time.sleep(POLL_SECONDS)


def _matching(state: RunState, args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The reference's deliveries of ``kind`` and ``event`` (when given), newest first."""
    kind, event = args.get("kind"), args.get("event")
    return [d for d in emulator_call(lambda: state.emulator.deliveries(args["reference"]))
            if (event is None or d["event"] == event) and (kind is None or d["kind"] == kind)]


_SUBJECTS = {"refund": "refund", "chargeback": "chargeback"}  # else: the payment's status


def _delivery_state(delivery: dict[str, Any]) -> str:
    """``delivery #5 (payment status SUCCESSFUL): still waiting for a 2xx, 1 attempt so far``."""
    state = {"PENDING": "still waiting for a 2xx", "DELIVERED": "delivered (answered 2xx)",
             "EXHAUSTED": "given up after every retry", "SKIPPED": "not sent"}.get(
        delivery["status"], delivery["status"])
    subject = _SUBJECTS.get(delivery["kind"], "payment")
    return (f"delivery #{delivery['id']} ({subject} status {delivery['event']}): {state}, "
            f"{len(delivery['attempts'])} attempt(s) so far")


def _attempt_observation(delivery: dict[str, Any], timeout: float,
                         expect: Mapping[str, Any]) -> Observation:
    if not delivery["attempts"]:
        raise StepFailed(f"the webhook was not sent: {delivery.get('note') or 'no URL'}; set the "
                         "partner's webhook_url (or pass --partner-url)")
    attempt = delivery["attempts"][-1]
    exchange = Exchange("POST", attempt["url"], attempt["requestHeaders"], attempt["requestBody"],
                        status=attempt["responseStatus"], response_body=attempt["responseBody"]
                        or "", latency_ms=attempt["durationMs"], error=attempt["error"],
                        label=f"the emulator's {delivery['event']} webhook, attempt "
                              f"{attempt['number']} (delivery #{delivery['id']}: "
                              f"{delivery['status']})")
    slow = attempt["durationMs"] >= timeout * 1000 * 0.95 and attempt["responseStatus"] is None
    if slow and "status" in expect:
        raise StepFailed(
            f"the partner did not answer the {delivery['event']} webhook within the webhook "
            f"timeout of {timeout:g} s ([webhooks] timeout_seconds): the attempt was cut off "
            f"after {attempt['durationMs'] / 1000:.1f} s ({attempt['error']}); answer 2xx at "
            "once and do slow work afterwards", [Observation(exchange, Subject())])
    headers = attempt["requestHeaders"]
    timestamp = headers.get("X-TIMESTAMP", "")
    body = attempt["requestBody"]
    signed = body.strip() if delivery["kind"] == "summary" else timestamp + body
    hint = refused_signature_hint(delivery["kind"], attempt["responseStatus"], signed,
                                  headers.get("X-SIGNATURE"))
    return Observation(exchange, Subject(status=attempt["responseStatus"],
                                         body=parse_body(attempt["responseBody"] or ""),
                                         latency_ms=attempt["durationMs"],
                                         extra={"delivery": delivery}),
                       (hint,) if hint else ())


def _calls(state: RunState, args: Mapping[str, Any],
           unattributed: bool = False) -> list[dict[str, Any]]:
    """The partner's matching calls during this scenario, oldest first; with ``unattributed``
    also calls no partner could be identified for (a token in the wrong header, say)."""
    method = args.get("method", "POST").upper()
    entries = emulator_call(lambda: state.emulator.journal(args.get("reference"),
                                                           unattributed=unattributed))
    return [e for e in reversed(entries)
            if e["id"] > state.journal_floor and e["method"] == method
            and e["path"] == args["path"]]


def _journaled(entry: dict[str, Any]) -> Observation:
    query = f"?{entry['query']}" if entry["query"] else ""
    exchange = Exchange(entry["method"], entry["path"] + query, entry["requestHeaders"],
                        entry["requestBody"], status=entry["status"],
                        response_body=entry["responseBody"], latency_ms=entry["durationMs"],
                        label="the partner's call, as the emulator recorded it")
    findings = [f"{f['path']}: {f['message']}" for f in entry["findings"]]
    return Observation(exchange, Subject(status=entry["status"], headers=entry["requestHeaders"],
                                         body=parse_body(entry["requestBody"]),
                                         latency_ms=entry["durationMs"],
                                         extra={"response": parse_body(entry["responseBody"]),
                                                "findings": findings}))


def _call_name(args: Mapping[str, Any]) -> str:
    about = f" for {args['reference']}" if args.get("reference") else ""
    return f"{args.get('method', 'POST').upper()} {args['path']}{about}"


def _seen(state: RunState, reference: str | None) -> str:
    calls = [e for e in reversed(emulator_call(lambda: state.emulator.journal(reference)))
             if e["id"] > state.journal_floor]
    if not calls:
        about = f" about {reference}" if reference else ""
        return f"it made no call to the emulator{about} in this scenario"
    return "its calls in this scenario: " + ", ".join(
        f"{e['method']} {e['path']} → {e['status']}" for e in calls[-10:])
