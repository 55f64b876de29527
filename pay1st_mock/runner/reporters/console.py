"""Progress as it happens, a failure report per failed scenario, and ``N passed, N failed``."""

from __future__ import annotations

from typing import TextIO

from pay1st_mock.runner.events import (
    PASSED,
    SKIPPED,
    Event,
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioStarted,
    StepFinished,
)
from pay1st_mock.runner.reporters.text import failure_report, step_line, summary_line


class ConsoleReporter:
    """Writes to ``out`` line by line, flushing so CI logs show progress live."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def handle(self, event: Event) -> None:
        """Render one event."""
        if isinstance(event, RunStarted):
            self._write(f"pay1st-mock run: {event.total} scenario(s), partner {event.partner}, "
                        f"emulator {event.server_url}")
        elif isinstance(event, ScenarioStarted):
            self._write(f"\n● {event.scenario.name}  ({event.scenario.file})")
        elif isinstance(event, StepFinished):
            self._write("  " + step_line(event))
        elif isinstance(event, ScenarioFinished):
            self._scenario_finished(event)
        elif isinstance(event, RunFinished):
            self._run_finished(event)

    def _scenario_finished(self, event: ScenarioFinished) -> None:
        if event.outcome == PASSED:
            self._write(f"PASSED  {event.duration_ms / 1000:.2f} s")
            return
        if event.outcome == SKIPPED:
            self._write(f"SKIPPED  {event.failures[0] if event.failures else ''}")
            return
        self._write(failure_report(event, indent="    "))
        self._write(f"FAILED  {event.duration_ms / 1000:.2f} s")

    def _run_finished(self, event: RunFinished) -> None:
        failed = [r for r in event.results if r.outcome not in (PASSED, SKIPPED)]
        if failed:
            self._write("\nFailed scenarios:")
            for result in failed:
                first = (result.messages() or ["(no reason recorded)"])[0]
                self._write(f"  {result.scenario.file}: {result.scenario.name}: {first}")
        self._write(f"\nRan {len(event.results)} scenario(s) in {event.duration_ms / 1000:.2f} s")
        self._write(summary_line(event.passed, event.failed, event.skipped))

    def _write(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def close(self) -> None:
        """Nothing buffered."""
