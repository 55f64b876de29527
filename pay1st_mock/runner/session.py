"""One run from start to end: pump the engine's events into reporters, return the verdict."""

from __future__ import annotations

from collections.abc import Sequence

from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.events import RunFinished
from pay1st_mock.runner.model import Scenario
from pay1st_mock.runner.reporters import Reporter


def run_scenarios(engine: Engine, scenarios: Sequence[Scenario],
                  reporters: Sequence[Reporter]) -> RunFinished:
    """Run ``scenarios``, show every event to every reporter, close them, return the result.

    Reporters are closed even when the run is interrupted, so partial JUnit/JSON files exist.
    A finished run's results are sent to the emulator as go-live checklist evidence.
    """
    finished: RunFinished | None = None
    try:
        for event in engine.run(scenarios):
            for reporter in reporters:
                reporter.handle(event)
            if isinstance(event, RunFinished):
                finished = event
    finally:
        for reporter in reporters:
            reporter.close()
    assert finished is not None  # Engine.run always ends with RunFinished
    engine.emulator.record_run(finished)
    return finished
