"""Reporters: console progress and failure reports, JUnit XML, the JSON report."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from pay1st_mock import __version__
from pay1st_mock.runner.events import (
    ERROR,
    FAILED,
    PASSED,
    Event,
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioStarted,
    StepFinished,
)
from pay1st_mock.runner.reporters.console import ConsoleReporter
from pay1st_mock.runner.reporters.jsonfile import JsonReporter
from pay1st_mock.runner.reporters.junit import JUnitReporter
from pay1st_mock.runner.results import Exchange, Observation, subject_of
from pay1st_mock.runner.session import run_scenarios
from tests.runner.fixtures import document, rig, scenario

PASSING = scenario(document({"name": "ask", "user_info": {}}, {"name": "again", "user_info": {}},
                            name="User Info answers", style="shop", tags=["shop"]),
                   "pack/shop/ok.json")
FAILING = scenario(document(
    {"name": "read balance", "user_info": {}},
    {"name": "send event", "payment_webhook": {}, "why": "Answer a signed event 2xx."},
    name="Event is acknowledged", style="gateway"), "pack/gateway/event.json")
ERRORED = scenario(document({"name": "ask", "user_info": {}}, name="Needs hooks"),
                   "pack/hooks.json")

SENT = Exchange("POST", "http://127.0.0.1:9/pay1st/payment-events",
                request_headers={"Host": "127.0.0.1:9", "User-Agent": "python-requests",
                                 "Content-Length": "12", "X-SIGNATURE": "abc123",
                                 "Content-Type": "application/json"},
                request_body='{"status":"SUCCESSFUL"}', status=500,
                response_headers={"Content-Type": "application/json", "Server": "x",
                                  "X-Trace": "t-1"},
                response_body='{"errorMessage": "boom"}', latency_ms=31.6)


def step(scenario_: Any, index: int, outcome: str, *observations: Exchange,
         failures: Sequence[str] = (), captured: dict[str, Any] | None = None) -> StepFinished:
    return StepFinished(scenario_, scenario_.steps[index], outcome, 12.4,
                        [Observation(e, subject_of(e)) for e in observations], list(failures),
                        captured or {})


PASSED_STEPS = [step(PASSING, 0, PASSED, Exchange("GET", "http://p/u", status=200),
                     captured={"user": "player-1"}),
                step(PASSING, 1, PASSED)]
FAILED_STEPS = [step(FAILING, 0, PASSED),
                step(FAILING, 1, FAILED, SENT, failures=[
                    "status: expected 2xx, got 500", 'body: $.ok: missing; expected true'])]
RESULTS = [ScenarioFinished(PASSING, PASSED, 20.0, PASSED_STEPS),
           ScenarioFinished(FAILING, FAILED, 1234.0, FAILED_STEPS),
           ScenarioFinished(ERRORED, ERROR, 3.0, [], ["no hooks: pass --partner-url"])]


def events() -> Iterator[Event]:
    yield RunStarted(3, "http://127.0.0.1:1", "SANDBOX (partnerId 1)")
    for result, steps in zip(RESULTS, [PASSED_STEPS, FAILED_STEPS, []], strict=True):
        yield ScenarioStarted(result.scenario)
        yield from steps
        yield result
    yield RunFinished(1, 2, 2500.0, RESULTS)


def feed(reporter: Any, stream: Iterator[Event]) -> None:
    for event in stream:
        reporter.handle(event)
    reporter.close()


def console_text(stream: Iterator[Event]) -> str:
    out = io.StringIO()
    feed(ConsoleReporter(out), stream)
    return out.getvalue()


# --- console -------------------------------------------------------------------------------------


def test_console_progress_failure_report_and_summary() -> None:
    lines = console_text(events()).splitlines()
    assert lines[0] == ("pay1st-mock run: 3 scenario(s), partner SANDBOX (partnerId 1), emulator "
                        "http://127.0.0.1:1")
    assert lines[1:6] == ["", "● User Info answers  (pack/shop/ok.json)", "  ✓ 1. ask  12 ms",
                          "  ✓ 2. again  12 ms", "PASSED  0.02 s"]
    start = lines.index("● Event is acknowledged  (pack/gateway/event.json)")
    assert lines[start:start + 25] == [
        "● Event is acknowledged  (pack/gateway/event.json)",
        "  ✓ 1. read balance  12 ms",
        "  ✗ 2. send event  12 ms",
        "    step 2 (send event) failed:",
        "      - status: expected 2xx, got 500",
        "      - body: $.ok: missing; expected true",
        "      why it matters: Answer a signed event 2xx.",
        "      → POST http://127.0.0.1:9/pay1st/payment-events",
        "        X-SIGNATURE: abc123",
        "        Content-Type: application/json",
        '        {"status":"SUCCESSFUL"}',
        "      ← 500  (32 ms)",
        "        Content-Type: application/json",
        "        X-Trace: t-1",
        '        {"errorMessage": "boom"}',
        "FAILED  1.23 s",
        "",
        "● Needs hooks  (pack/hooks.json)",
        "    no hooks: pass --partner-url",
        "FAILED  0.00 s",
        "",
        "Failed scenarios:",
        "  pack/gateway/event.json: Event is acknowledged: status: expected 2xx, got 500",
        "  pack/hooks.json: Needs hooks: no hooks: pass --partner-url",
        "",
    ]
    assert lines[-2:] == ["Ran 3 scenario(s) in 2.50 s", "1 passed, 2 failed"]


def test_console_final_line_when_everything_passes() -> None:
    text = console_text(iter([RunStarted(1, "u", "p"), RESULTS[0],
                              RunFinished(1, 0, 10.0, RESULTS[:1])]))
    assert text.endswith("\nRan 1 scenario(s) in 0.01 s\n1 passed, 0 failed\n")
    assert "Failed scenarios" not in text


def test_console_shows_unanswered_labelled_and_long_exchanges() -> None:
    refused = Exchange("GET", "http://127.0.0.1:2/x", error="could not connect: refused")
    journaled = Exchange("POST", "/api/pay1st/payments/fulfilments", status=400,
                         response_body="\n".join(f"line {n}" for n in range(30)),
                         label="the partner's call, as the emulator recorded it")
    older = Exchange("GET", "http://never-shown/", status=200)
    broken = StepFinished(ERRORED, ERRORED.steps[0], ERROR, 1.0,
                          [Observation(e, subject_of(e)) for e in
                           (older, older, refused, journaled)], ["it went wrong"])
    text = console_text(iter([ScenarioFinished(ERRORED, ERROR, 1.0, [broken])]))
    assert "  ! 1. ask" not in text  # step lines come from StepFinished events only
    assert "step 1 (ask) could not run:" in text
    assert "      ← no answer: could not connect: refused" in text
    assert "      the partner's call, as the emulator recorded it:" in text
    assert "        line 24\n        … 5 more line(s)" in text
    assert "line 25" not in text
    assert text.count("never-shown") == 1, "only the last three exchanges are shown"


def test_step_marks() -> None:
    text = console_text(iter([PASSED_STEPS[0], FAILED_STEPS[1],
                              StepFinished(ERRORED, ERRORED.steps[0], ERROR, 0.4)]))
    assert text.splitlines() == ["  ✓ 1. ask  12 ms", "  ✗ 2. send event  12 ms",
                                 "  ! 1. ask  0 ms"]


# --- JUnit ---------------------------------------------------------------------------------------


def junit_root(tmp_path: Path, stream: Iterator[Event]) -> ET.Element:
    path = tmp_path / "reports" / "junit.xml"
    feed(JUnitReporter(path), stream)
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.parse(path).getroot()


def test_junit_counts_suites_and_testcases(tmp_path: Path) -> None:
    root = junit_root(tmp_path, events())
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("name", "tests", "failures", "errors", "skipped", "time")} == {
        "name": "pay1st-mock", "tests": "3", "failures": "1", "errors": "1", "skipped": "0",
        "time": "2.500"}
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["gateway", "scenarios", "shop"]
    assert [(s.get("tests"), s.get("failures"), s.get("errors")) for s in suites.values()] == [
        ("1", "1", "0"), ("1", "0", "1"), ("1", "0", "0")]
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert list(cases) == ["Event is acknowledged", "Needs hooks", "User Info answers"]
    ok = cases["User Info answers"]
    assert (ok.get("classname"), ok.get("file"), ok.get("time")) == (
        "pay1st-mock.shop", "pack/shop/ok.json", "0.020")
    assert ok.find("failure") is None and ok.find("error") is None
    assert ok.findtext("system-out") == "✓ 1. ask  12 ms\n✓ 2. again  12 ms"


def test_junit_failure_and_error_elements(tmp_path: Path) -> None:
    cases = {c.get("name"): c for c in junit_root(tmp_path, events()).iter("testcase")}
    failure = cases["Event is acknowledged"].find("failure")
    assert failure is not None
    assert failure.get("message") == "status: expected 2xx, got 500"
    assert failure.get("type") == FAILED
    assert failure.text is not None
    for fragment in ("step 2 (send event) failed:", "  - body: $.ok: missing; expected true",
                     "why it matters: Answer a signed event 2xx.",
                     "→ POST http://127.0.0.1:9/pay1st/payment-events", "← 500  (32 ms)",
                     '{"errorMessage": "boom"}'):
        assert fragment in failure.text
    error = cases["Needs hooks"].find("error")
    assert error is not None and cases["Needs hooks"].find("failure") is None
    assert (error.get("message"), error.get("type")) == ("no hooks: pass --partner-url", ERROR)
    assert cases["Needs hooks"].get("classname") == "pay1st-mock.scenarios"


def test_junit_escapes_markup_in_messages(tmp_path: Path) -> None:
    weird = StepFinished(ERRORED, ERRORED.steps[0], FAILED, 1.0,
                         failures=['body: $.html: expected "<b>&amp;</b>", got "]]>"'])
    root = junit_root(tmp_path, iter([ScenarioFinished(ERRORED, FAILED, 1.0, [weird])]))
    failure = next(root.iter("failure"))
    assert failure.get("message") == 'body: $.html: expected "<b>&amp;</b>", got "]]>"'


def test_junit_is_well_formed_whatever_the_partner_answered(tmp_path: Path) -> None:
    ansi = Exchange("GET", "http://p/x", status=500, response_body="\x1b[31mERROR\x1b[0m")
    bad = step(FAILING, 1, FAILED, ansi, failures=["status: expected 2xx, got 500"])
    root = junit_root(tmp_path, iter([ScenarioFinished(FAILING, FAILED, 1.0, [bad])]))
    assert "ERROR" in (next(root.iter("failure")).text or "")


# --- JSON ----------------------------------------------------------------------------------------


def test_json_report_fields(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    feed(JsonReporter(path), events())
    report = json.loads(path.read_text(encoding="utf-8"))
    assert {k: v for k, v in report.items() if k != "scenarios"} == {
        "version": 1, "tool": f"pay1st-mock {__version__}", "server": "http://127.0.0.1:1",
        "partner": "SANDBOX (partnerId 1)", "passed": 1, "failed": 2, "skipped": 0,
        "durationMs": 2500.0}
    ok, bad, errored = report["scenarios"]
    assert ok == {"name": "User Info answers", "file": "pack/shop/ok.json", "style": "shop",
                  "tags": ["shop"], "outcome": PASSED, "durationMs": 20.0, "failures": [],
                  "steps": [
                      {"index": 0, "name": "ask", "action": "user_info", "outcome": PASSED,
                       "durationMs": 12.4, "failures": [], "captured": {"user": "player-1"},
                       "exchanges": [{"label": None, "method": "GET", "url": "http://p/u",
                                      "requestHeaders": {}, "requestBody": "", "status": 200,
                                      "responseHeaders": {}, "responseBody": "",
                                      "latencyMs": None, "error": None}]},
                      {"index": 1, "name": "again", "action": "user_info", "outcome": PASSED,
                       "durationMs": 12.4, "failures": [], "captured": {}, "exchanges": []}]}
    assert (bad["outcome"], bad["style"], bad["tags"]) == (FAILED, "gateway", [])
    assert bad["failures"] == ["status: expected 2xx, got 500",
                               "body: $.ok: missing; expected true"]
    (exchange,) = bad["steps"][1]["exchanges"]
    assert (exchange["status"], exchange["latencyMs"], exchange["requestHeaders"]["X-SIGNATURE"],
            exchange["responseBody"]) == (500, 31.6, "abc123", '{"errorMessage": "boom"}')
    assert (errored["outcome"], errored["style"], errored["steps"]) == (ERROR, None, [])
    assert errored["failures"] == ["no hooks: pass --partner-url"]


# --- a real run through every reporter -------------------------------------------------------


def test_reporters_are_closed_even_when_the_run_is_interrupted(tmp_path: Path) -> None:
    class Interrupted:
        def run(self, scenarios: Sequence[Any]) -> Iterator[Event]:
            yield RunStarted(1, "http://x", "SANDBOX (partnerId 1)")
            raise KeyboardInterrupt

    junit, report = JUnitReporter(tmp_path / "j.xml"), JsonReporter(tmp_path / "r.json")
    with pytest.raises(KeyboardInterrupt):
        run_scenarios(Interrupted(), [PASSING], [junit, report])  # type: ignore[arg-type]
    assert ET.parse(tmp_path / "j.xml").getroot().get("tests") == "0"
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["server"] == "http://x"


def test_a_real_failing_run_through_every_reporter(tmp_path: Path) -> None:
    out = io.StringIO()
    doc = document({"name": "ask a stranger", "user_info": {"query": {"playerId": "ghost"}},
                    "expect": {"status": 200}, "why": "The Shop needs a 200 for a player."},
                   name="stranger")
    with rig() as built:
        reporters = [ConsoleReporter(out), JUnitReporter(tmp_path / "j.xml"),
                     JsonReporter(tmp_path / "r.json")]
        result = run_scenarios(built.engine, [scenario(doc, "stranger.json")], reporters)
        url = built.partner.url
    assert (result.passed, result.failed) == (0, 1)
    text = out.getvalue()
    assert f"      → GET {url}/pay1st/user-info?playerId=ghost" in text
    assert "      ← 400  (" in text and '"errorMessage": "no player ghost"' in text
    assert "      - status: expected 200, got 400" in text
    assert "      why it matters: The Shop needs a 200 for a player." in text
    assert text.splitlines()[-1] == "0 passed, 1 failed"
    failure = next(ET.parse(tmp_path / "j.xml").getroot().iter("failure"))
    assert failure.get("message") == "status: expected 200, got 400"
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert report["scenarios"][0]["steps"][0]["exchanges"][0]["status"] == 400
