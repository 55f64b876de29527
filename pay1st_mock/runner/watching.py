"""Steps that watch the partner: its calls to the emulator (or their absence) and its answers
to the emulator's webhooks."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pay1st_mock.runner.results import Exchange, Observation, Subject, parse_body
from pay1st_mock.runner.steps_state import POLL_SECONDS, RunState, StepFailed, emulator_call


def wait_for_call(state: RunState, args: Mapping[str, Any],
                  expect: Mapping[str, Any]) -> list[Observation]:
    """Wait for the partner's call to the emulator; checks read what the partner sent."""
    within = args.get("within_seconds", 5)
    deadline = time.monotonic() + within
    while True:
        calls = _calls(state, args)
        if calls:
            return [_journaled(calls[-1])]
        if time.monotonic() >= deadline:
            raise StepFailed(f"the partner did not call {_call_name(args)} within {within:g} s; "
                             + _seen(state, args.get("reference")))
        time.sleep(POLL_SECONDS)


def no_call(state: RunState, args: Mapping[str, Any],
            expect: Mapping[str, Any]) -> list[Observation]:
    """Watch for ``for_seconds``; fail if the partner made more than ``at_most`` such calls."""
    period, at_most = args.get("for_seconds", 1), args.get("at_most", 0)
    time.sleep(period)
    calls = _calls(state, args)
    if len(calls) > at_most:
        allowed = "none" if at_most == 0 else f"at most {at_most}"
        raise StepFailed(f"the partner called {_call_name(args)} {len(calls)} time(s) in this "
                         f"scenario; expected {allowed}",
                         [_journaled(call) for call in calls])
    return []


def wait_for_delivery(state: RunState, args: Mapping[str, Any],
                      expect: Mapping[str, Any]) -> list[Observation]:
    """Wait until the emulator's webhook for ``reference`` got an answer (or gave up)."""
    reference, event = args["reference"], args.get("event")
    within = args.get("within_seconds", 5)
    deadline = time.monotonic() + within
    while True:
        deliveries = [d for d in emulator_call(lambda: state.emulator.deliveries(reference))
                      if event is None or d["event"] == event]
        answered = [d for d in deliveries if d["attempts"] or d["status"] == "SKIPPED"]
        if answered:
            return [_attempt_observation(answered[0])]
        if time.monotonic() >= deadline:
            what = f"{event} delivery" if event else "delivery"
            seen = ", ".join(f"#{d['id']} {d['event']} {d['status']}" for d in deliveries)
            raise StepFailed(f"no webhook {what} for {reference} was answered within "
                             f"{within:g} s; deliveries: {seen or 'none'}")
        time.sleep(POLL_SECONDS)


def _attempt_observation(delivery: dict[str, Any]) -> Observation:
    if not delivery["attempts"]:
        raise StepFailed(f"the webhook was not sent: {delivery.get('note') or 'no URL'}; set the "
                         "partner's webhook_url (or pass --partner-url)")
    attempt = delivery["attempts"][-1]
    exchange = Exchange("POST", attempt["url"], attempt["requestHeaders"], attempt["requestBody"],
                        status=attempt["responseStatus"], response_body=attempt["responseBody"]
                        or "", latency_ms=attempt["durationMs"], error=attempt["error"],
                        label=f"the emulator's {delivery['event']} webhook, attempt "
                              f"{attempt['number']} (delivery #{delivery['id']}, "
                              f"{delivery['status']})")
    return Observation(exchange, Subject(status=attempt["responseStatus"],
                                         body=parse_body(attempt["responseBody"] or ""),
                                         latency_ms=attempt["durationMs"],
                                         extra={"delivery": delivery}))


def _calls(state: RunState, args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The partner's matching calls during this scenario, oldest first."""
    method = args.get("method", "POST").upper()
    entries = emulator_call(lambda: state.emulator.journal(args.get("reference")))
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
