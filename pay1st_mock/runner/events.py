"""What the engine emits while it runs; reporters and the pytest plugin consume these."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from pay1st_mock.frozen import frozen
from pay1st_mock.runner.model import Scenario, Step
from pay1st_mock.runner.results import Observation

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


@frozen
class RunStarted:
    """Before the first scenario: how many will run and against what."""

    total: int
    server_url: str
    partner: str


@frozen
class ScenarioStarted:
    """A scenario begins."""

    scenario: Scenario


@frozen
class StepFinished:
    """A step ran (or could not): ``outcome`` is passed, failed or error.

    ``failures`` are the reasons, each a full sentence; ``observations`` the HTTP it made or
    watched, so a report can show the request and the answer.
    """

    scenario: Scenario
    step: Step
    outcome: str
    duration_ms: float
    observations: list[Observation] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    captured: dict[str, Any] = field(default_factory=dict)


@frozen
class ScenarioFinished:
    """A scenario ended; ``failed_step`` is the step that stopped it, if any."""

    scenario: Scenario
    outcome: str
    duration_ms: float
    steps: list[StepFinished]
    failures: list[str] = field(default_factory=list)  # scenario-level (e.g. missing hooks)

    @property
    def failed_step(self) -> StepFinished | None:
        """The step that failed or errored."""
        return next((s for s in self.steps if s.outcome != PASSED), None)

    def messages(self) -> list[str]:
        """Every failure reason, scenario-level first."""
        step = self.failed_step
        return [*self.failures, *(step.failures if step else [])]


@frozen
class RunFinished:
    """After the last scenario."""

    passed: int
    failed: int
    duration_ms: float
    results: list[ScenarioFinished]
    skipped: int = 0  # scenarios needing what the partner under test does not declare


Event = RunStarted | ScenarioStarted | StepFinished | ScenarioFinished | RunFinished
