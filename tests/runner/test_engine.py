"""The engine: event stream, captures and ``{{ steps.ID }}``, stopping, errors, seeding.

Each action kind is exercised in ``test_actions.py``; this module is about how steps and
scenarios are strung together and how the engine reports what goes wrong.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.events import (
    ERROR,
    FAILED,
    PASSED,
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioStarted,
    StepFinished,
)
from pay1st_mock.runner.target import build_target
from pay1st_mock.server import MockServer
from tests.runner.fixtures import Rig, document, rig, scenario, step_events

ECHO_STEP = {"name": "echo", "http": {"url": "{{ env.PARTNER_URL }}/echo"}}


@pytest.fixture
def r() -> Iterator[Rig]:
    with rig() as built:
        yield built


@pytest.fixture
def bare() -> Iterator[tuple[MockServer, Engine]]:
    """An emulator and an engine for a partner with no URLs at all (no --partner-url)."""
    settings = Settings(data=MEMORY)
    mock = MockServer(settings).start()
    engine = Engine(build_target(settings), mock.url, seed=3)
    yield mock, engine
    engine.session.close()
    mock.stop()


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def echo(query: dict[str, Any], **step: Any) -> dict[str, Any]:
    return {**ECHO_STEP, **step, "http": {**ECHO_STEP["http"], "query": query}}


def finished(events: list[Any]) -> list[ScenarioFinished]:
    return [e for e in events if isinstance(e, ScenarioFinished)]


# --- the event stream ----------------------------------------------------------------------------


def test_the_event_stream_brackets_scenarios_and_steps(r: Rig) -> None:
    passing = document(echo({"a": 1}), echo({"b": 2}), name="passes")
    failing = document(echo({}, expect={"status": 201}), echo({}), name="fails")
    events = r.run(passing, failing)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["RunStarted", "ScenarioStarted", "StepFinished", "StepFinished",
                     "ScenarioFinished", "ScenarioStarted", "StepFinished", "ScenarioFinished",
                     "RunFinished"]
    started = events[0]
    assert isinstance(started, RunStarted)
    assert (started.total, started.server_url, started.partner) == (
        2, r.mock.url, "SANDBOX (partnerId 1)")
    assert [e.scenario.name for e in events if isinstance(e, ScenarioStarted)] == [
        "passes", "fails"]
    steps = step_events(events)
    assert [(s.scenario.name, s.step.index, s.outcome) for s in steps] == [
        ("passes", 0, PASSED), ("passes", 1, PASSED), ("fails", 0, FAILED)]
    assert all(s.duration_ms >= 0 for s in steps)
    done = events[-1]
    assert isinstance(done, RunFinished)
    assert (done.passed, done.failed) == (1, 1)
    assert done.results == finished(events)
    assert [res.outcome for res in done.results] == [PASSED, FAILED]
    assert done.results[1].failed_step is steps[2]
    assert done.results[1].messages() == ["status: expected 201, got 200"]
    assert done.results[0].failed_step is None and done.results[0].messages() == []


def test_a_failing_step_stops_the_scenario(r: Rig) -> None:
    result = r.run_one(document(echo({"n": 1}), echo({"n": 2}, expect={"body": {"x": 1}}),
                                echo({"n": 3})))
    assert [s.outcome for s in result.steps] == [PASSED, FAILED]
    assert result.outcome == FAILED
    assert [c.query for c in r.partner.calls_to("/echo")] == [{"n": "1"}, {"n": "2"}]


def test_an_error_stops_the_scenario_and_the_next_one_still_runs(r: Rig) -> None:
    events = r.run(document(echo({"n": "{{ vars.nope }}"}), echo({}), name="broken"),
                   document(echo({}), name="fine"))
    broken, fine = finished(events)
    assert broken.outcome == ERROR
    (step,) = broken.steps
    assert (step.outcome, step.observations) == (ERROR, [])
    assert step.failures == ["{{ vars.nope }}: vars has no 'nope'; it has: nothing yet"]
    assert fine.outcome == PASSED
    assert isinstance(events[-1], RunFinished) and events[-1].failed == 1


# --- captures and steps.ID -------------------------------------------------------------------


def test_captures_and_step_results_feed_later_steps(r: Rig) -> None:
    result = r.run_one(document(
        {"name": "create", "id": "create", "create_payment": {},
         "capture": {"ref": "$.body.reference", "currency": "$.body.currencyCode"}},
        echo({"ref": "{{ vars.ref }}", "same": "{{ steps.create.body.reference }}",
              "status": "{{ steps.create.status }}", "who": "{{ vars.player_id }}"},
             id="echo", capture={"echoed": "$.body.query.ref"}),
        echo({"twice": "{{ steps.echo.body.query.same }}-{{ vars.echoed }}"}),
        variables={"player_id": "{{ partner.player_id }}"}))
    assert result.outcome == PASSED, result.messages()
    create, first, _ = result.steps
    ref = create.captured["ref"]
    assert ref.startswith("C-") and create.captured["currency"] == "NGN"
    assert first.captured == {"echoed": ref}
    assert [c.query for c in r.partner.calls_to("/echo")] == [
        {"ref": ref, "same": ref, "status": "201", "who": "player-1"},
        {"twice": f"{ref}-{ref}"}]


def test_a_step_without_id_is_not_in_steps(r: Rig) -> None:
    result = r.run_one(document(echo({}), echo({"x": "{{ steps.echo.status }}"})))
    assert result.steps[-1].failures == [
        "{{ steps.echo.status }}: steps has no 'echo'; it has: nothing yet"]


def test_a_capture_that_finds_nothing_fails_the_step(r: Rig) -> None:
    result = r.run_one(document(echo({}, capture={"ref": "$.body.reference"}), echo({})))
    (step,) = result.steps
    assert (step.outcome, step.captured) == (FAILED, {})
    assert step.failures == ["capture ref: $.body.reference: $.body has no 'reference'"]


def test_variables_are_rendered_before_the_first_step(r: Rig) -> None:
    result = r.run_one(document(echo({"v": "{{ vars.total }}", "e": "{{ env.GREETING }}"}),
                                variables={"total": "{{ bundle.tokens + 1 }}"}))
    assert result.outcome == PASSED
    assert r.partner.calls_to("/echo")[0].query == {"v": "12", "e": "hello"}
    broken = r.run_one(document(echo({}), variables={"x": "{{ steps.first.body }}"}))
    assert (broken.outcome, broken.steps) == (ERROR, [])
    assert broken.failures == ["{{ steps.first.body }}: steps has no 'first'; it has: nothing yet"]


# --- seeding -----------------------------------------------------------------------------------


def test_a_seed_makes_fake_values_and_references_repeatable() -> None:
    doc = document(echo({"id": "{{ fake.uuid4 }}", "name": "{{ vars.who }}"}),
                   {"name": "summary", "summary_webhook": {}}, variables={"who": "{{ fake.name }}"})

    def sent(seed: int | None) -> list[str]:
        with rig(seed=seed) as built:  # a fresh emulator and partner each time
            events = list(built.engine.run([scenario(doc, "same.json")]))
            assert finished(events)[0].outcome == PASSED
            query = built.partner.calls_to("/echo")[0].query
            return [query["id"], query["name"],
                    built.partner.calls_to("/pay1st/summary")[0].json()["reference"]]

    assert sent(5) == sent(5)
    assert sent(5) != sent(6)
    assert sent(None) != sent(None)


def test_two_seeded_runs_against_one_emulator_both_pass(r: Rig) -> None:
    doc = document({"name": "create", "create_payment": {}})
    first = list(r.engine.run([scenario(doc, "pack/create.json")]))
    second = list(r.engine.run([scenario(doc, "pack/create.json")]))
    assert finished(first)[0].outcome == PASSED
    assert finished(second)[0].messages() == []


# --- what the engine cannot do, said plainly -------------------------------------------------


def test_a_scenario_that_needs_hooks_without_hooks_url_points_at_partner_url(
        bare: tuple[MockServer, Engine]) -> None:
    _, engine = bare
    needy = scenario(document(echo({}), name="needs hooks", requires=["hooks"]), "a.json")
    plain = scenario(document({"name": "clock", "advance_clock": {"seconds": 1}}), "b.json")
    events = list(engine.run([needy, plain]))
    assert [type(e).__name__ for e in events] == [
        "RunStarted", "ScenarioStarted", "ScenarioFinished", "ScenarioStarted", "StepFinished",
        "ScenarioFinished", "RunFinished"]
    first, second = finished(events)
    assert (first.outcome, first.steps) == (ERROR, [])
    (message,) = first.messages()
    assert "test hooks" in message and "hooks_url" in message and "--partner-url" in message
    assert second.outcome == PASSED


@pytest.mark.parametrize(("step", "fragment"), [
    ({"user_info": {}}, "no User Info Webhook URL: set user_info_url"),
    ({"summary_webhook": {}}, "no Summary Webhook URL: set summary_url"),
    ({"payment_webhook": {}}, "no payment webhook URL: set webhook_url"),
])
def test_a_partner_endpoint_that_is_not_configured(bare: tuple[MockServer, Engine],
                                                   step: dict[str, Any], fragment: str) -> None:
    _, engine = bare
    (result,) = finished(list(engine.run([scenario(document({"name": "s", **step}))])))
    (failure,) = result.messages()
    assert result.outcome == ERROR
    assert fragment in failure and failure.endswith("or pass --partner-url")


def test_a_webhook_the_emulator_could_not_send(bare: tuple[MockServer, Engine]) -> None:
    _, engine = bare
    doc = document({"name": "c", "create_payment": {}, "capture": {"ref": "$.body.reference"}},
                   {"name": "pay", "complete_payment": {"reference": "{{ vars.ref }}"}},
                   {"name": "d", "wait_for_delivery": {"reference": "{{ vars.ref }}"}})
    (result,) = finished(list(engine.run([scenario(doc)])))
    assert result.steps[-1].outcome == FAILED
    assert result.messages() == [
        "the webhook was not sent: no webhook URL: set webhookUrl on the payment or the partner; "
        "set the partner's webhook_url (or pass --partner-url)"]


def test_an_unreachable_partner_is_a_readable_failure() -> None:
    url = dead_url()
    with rig(partner_url=url) as lost:
        result = lost.run_one(document({"name": "ask", "user_info": {
            "query": {"playerId": "p"}}}))
    (step,) = result.steps
    assert step.outcome == FAILED
    assert step.failures == [f"GET {url}/pay1st/user-info?playerId=p: could not connect: "
                             "connection refused (is it running, on that port?)"]
    (observation,) = step.observations
    assert observation.exchange.status is None and observation.subject.status is None


def test_an_unreachable_partner_is_named_even_when_a_status_is_expected() -> None:
    with rig(partner_url=dead_url()) as lost:
        result = lost.run_one(document({"name": "ask", "user_info": {},
                                        "expect": {"status": 200}}))
    assert any("could not connect" in m for m in result.messages()), result.messages()


def test_an_unreachable_emulator_is_a_readable_error() -> None:
    engine = Engine(build_target(Settings(data=MEMORY)), dead_url(), seed=1)
    try:
        events = list(engine.run([scenario(document(echo({})))]))
    finally:
        engine.session.close()
    (result,) = finished(events)
    assert result.outcome == ERROR
    (message,) = result.messages()
    assert message.startswith("GET /_mock/journal failed: could not connect: connection refused")


def test_an_http_url_without_a_scheme_is_a_step_error(r: Rig) -> None:
    result = r.run_one(document({"name": "bad url", "http": {"url": "localhost:1/orders"}}))
    assert result.outcome in (ERROR, FAILED)
    assert "localhost:1/orders" in result.messages()[0]


def test_a_latency_bound_that_is_not_a_number_is_a_step_error(r: Rig) -> None:
    result = r.run_one(document(echo({}, expect={"max_latency_ms": "{{ vars.limit }}"}),
                                variables={"limit": "100"}))
    assert result.outcome == FAILED
    assert result.messages() == ['max_latency_ms: expected a number of milliseconds, got the '
                                 'string "100"']


def test_steps_of_a_scenario_see_only_their_own_calls(r: Rig) -> None:
    fulfilments = "/api/pay1st/payments/fulfilments"
    first = r.run_one(document(
        {"name": "c", "create_payment": {}, "capture": {"ref": "$.body.reference"}},
        {"name": "pay", "complete_payment": {"reference": "{{ vars.ref }}"}},
        {"name": "fulfilled", "wait_for_call": {"path": fulfilments, "within_seconds": 3}}))
    assert first.outcome == PASSED, first.messages()
    later = r.run_one(document({"name": "w", "wait_for_call": {
        "path": fulfilments, "within_seconds": 0.1}}))
    assert later.messages() == [
        f"the partner did not call POST {fulfilments} within 0.1 s; it made no call to the "
        "emulator in this scenario"]


def test_step_finished_events_are_the_scenarios_steps(r: Rig) -> None:
    events = r.run(document(echo({}), echo({})))
    (result,) = finished(events)
    assert result.steps == [e for e in events if isinstance(e, StepFinished)]
