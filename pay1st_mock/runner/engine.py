"""Run scenarios against the partner under test and yield events; never prints."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests

from pay1st_mock.runner.actions import ACTIONS, SETUP_ACTIONS, RunState, StepError, StepFailed
from pay1st_mock.runner.checks import read_path, run_checks
from pay1st_mock.runner.emulator import Emulator, EmulatorError
from pay1st_mock.runner.events import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    Event,
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioStarted,
    StepFinished,
)
from pay1st_mock.runner.fake import make_fake
from pay1st_mock.runner.http import new_session
from pay1st_mock.runner.model import Scenario, Step
from pay1st_mock.runner.results import Observation, parse_body
from pay1st_mock.runner.target import Target
from pay1st_mock.runner.templates import Context, TemplateError, render
from pay1st_mock.schemas import SchemaSet, load_schemas


class Engine:
    """Runs scenarios for one partner under test on one emulator at ``server_url``."""

    def __init__(self, target: Target, server_url: str, *, seed: int | None = None,
                 env: Mapping[str, str] | None = None, schemas: SchemaSet | None = None,
                 session: requests.Session | None = None,
                 control_token: str | None = None) -> None:
        self.target = target
        self.server_url = server_url
        self.seed = seed
        self.env = dict(os.environ if env is None else env)
        self.schemas = schemas or load_schemas()
        self.session = session or new_session()
        self.emulator = Emulator(server_url, target.partner, self.session, control_token)

    def run(self, scenarios: Sequence[Scenario]) -> Iterator[Event]:
        """Yield ``RunStarted``, then per scenario its events, then ``RunFinished``."""
        started = time.perf_counter()
        yield RunStarted(len(scenarios), self.server_url,
                         f"{self.target.partner.code} (partnerId {self.target.partner.id})")
        results: list[ScenarioFinished] = []
        for scenario in scenarios:
            for event in self.run_scenario(scenario):
                if isinstance(event, ScenarioFinished):
                    results.append(event)
                yield event
        passed = sum(1 for r in results if r.outcome == PASSED)
        skipped = sum(1 for r in results if r.outcome == SKIPPED)
        yield RunFinished(passed, len(results) - passed - skipped, _ms_since(started), results,
                          skipped)

    def run_scenario(self, scenario: Scenario) -> Iterator[Event]:
        """Yield ``ScenarioStarted``, a ``StepFinished`` per step run, ``ScenarioFinished``.

        The first step that fails or errors ends the scenario; later steps do not run.
        """
        started = time.perf_counter()
        yield ScenarioStarted(scenario)
        state = RunState(self.target, self.emulator, self.session, random.Random())
        steps_data: dict[str, Any] = {}
        context = Context({"vars": state.variables, "steps": steps_data, "env": self.env,
                           **self.target.template_namespaces()}, make_fake(state.random))
        missing = self._undeclared(scenario)
        if missing:
            yield ScenarioFinished(scenario, SKIPPED, _ms_since(started), [], [missing])
            return
        problem = self._prepare(scenario, state, context)
        if problem:
            yield ScenarioFinished(scenario, ERROR, _ms_since(started), [], [problem])
            return
        finished: list[StepFinished] = []
        for step in scenario.steps:
            result = self._run_step(scenario, step, state, context)
            finished.append(result)
            if step.id and result.observations:
                steps_data[step.id] = result.observations[-1].subject.as_data()
            yield result
            if result.outcome != PASSED:
                break
        outcome = next((s.outcome for s in finished if s.outcome != PASSED), PASSED)
        yield ScenarioFinished(scenario, outcome, _ms_since(started), finished)

    def _undeclared(self, scenario: Scenario) -> str | None:
        """Why the scenario is skipped: it needs a test player the config does not name (the
        docs cannot tell the emulator who is suspended; only the partner can), or a Basic Auth
        pair the product does not configure."""
        if "suspended_player" in scenario.requires and not self.target.suspended_player_id:
            return ("skipped: this scenario needs a player who exists but is suspended; name one "
                    "with [run] suspended_player_id in the config (docs/scenarios.md)")
        product = self.target.product
        if "basic_auth" in scenario.requires and (product is None or not product.basic_auth):
            return ("skipped: this scenario checks the Shop's Basic auth, and the product under "
                    "test configures none; add basic_auth = { username, password } to its "
                    "[[products]] entry (docs/shop.md)")
        return None

    def _prepare(self, scenario: Scenario, state: RunState, context: Context) -> str | None:
        """Check what the scenario needs and note where its journal starts; a reason if not."""
        if "hooks" in scenario.requires and not self.target.hooks_url:
            return ("this scenario uses the partner's test hooks, and none are configured: set "
                    "[run] hooks_url in the config or pass --partner-url (README, 'Partner test "
                    "hooks'); or deselect it with -k 'not hooks'")
        try:
            newest = self.emulator.journal(limit=1, own_calls=True)
            state.journal_floor = newest[0]["id"] if newest else 0
            state.random.seed(self._seed_of(scenario, state.journal_floor))
            for name, value in scenario.variables.items():
                state.variables[name] = render(value, context)
        except (EmulatorError, TemplateError) as exc:
            return str(exc)
        return None

    def _run_step(self, scenario: Scenario, step: Step, state: RunState,
                  context: Context) -> StepFinished:
        started = time.perf_counter()
        observations: list[Observation] = []
        try:
            arguments = render(step.arguments, context)
            expect = render(step.expect, context)
            observations = ACTIONS[step.action](state, arguments, expect)
        except (StepError, TemplateError) as exc:
            return StepFinished(scenario, step, ERROR, _ms_since(started), observations,
                                [str(exc)])
        except StepFailed as exc:
            return StepFinished(scenario, step, FAILED, _ms_since(started), exc.observations,
                                [str(exc)])
        failures = self._check(step, expect, observations)
        captured: dict[str, Any] = {}
        if not failures and observations:
            data = observations[-1].subject.as_data()
            for name, path in step.capture.items():
                try:
                    captured[name] = read_path(data, path)
                except LookupError as exc:
                    failures.append(f"capture {name}: {exc}")
            state.variables.update(captured)
        return StepFinished(scenario, step, FAILED if failures else PASSED, _ms_since(started),
                            observations, failures, captured)

    def _check(self, step: Step, expect: Mapping[str, Any],
               observations: list[Observation]) -> list[str]:
        failures: list[str] = []
        for number, observation in enumerate(observations, start=1):
            prefix = f"delivery {number} of {len(observations)}: " if len(observations) > 1 else ""
            exchange = observation.exchange
            if exchange.error:
                failures.append(f"{prefix}{exchange.method} {exchange.url}: {exchange.error}")
            if step.action in SETUP_ACTIONS and "status" not in expect and (
                    exchange.status is None or exchange.status >= 300):
                refusal = _refusal(exchange.status, exchange.response_body)
                failures.append(f"{prefix}the emulator refused: {refusal}")
            unmet = run_checks(expect, observation.subject, self.schemas)
            failures += [f"{prefix}{each}" for each in unmet]
            if unmet:
                failures += list(observation.hints)
        return failures

    def _seed_of(self, scenario: Scenario, journal_floor: int) -> str | None:
        """Same seed and a fresh emulator → the same references and fake data. The journal's
        position makes a second run on the same server differ, so its partnerReferences are
        not refused as duplicates and its Summary references are new."""
        if self.seed is None:
            return None
        return f"{self.seed}:{scenario.file}:{scenario.name}:{journal_floor}"


def _refusal(status: int | None, text: str) -> str:
    body = parse_body(text)
    if isinstance(body, dict) and "errorMessage" in body:
        return f"HTTP {status} {body.get('errorCode', '')}: {body['errorMessage']}"
    return f"HTTP {status}: {text[:300]}" if status else "no answer"


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
