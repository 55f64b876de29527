"""The JSON report for tools: every scenario, step, failure and exchange."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pay1st_mock import __version__
from pay1st_mock.runner.events import Event, RunFinished, RunStarted, ScenarioFinished


class JsonReporter:
    """Writes ``path`` (format version 1) when the run finishes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.report: dict[str, Any] = {"version": 1, "tool": f"pay1st-mock {__version__}"}

    def handle(self, event: Event) -> None:
        """Record the run's header and, at the end, its results."""
        if isinstance(event, RunStarted):
            self.report |= {"server": event.server_url, "partner": event.partner}
        elif isinstance(event, RunFinished):
            self.report |= {"passed": event.passed, "failed": event.failed,
                            "skipped": event.skipped,
                            "durationMs": round(event.duration_ms, 3),
                            "scenarios": [scenario_data(r) for r in event.results]}

    def close(self) -> None:
        """Write the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.report, indent=2) + "\n", encoding="utf-8")


def scenario_data(result: ScenarioFinished) -> dict[str, Any]:
    """One scenario's result as JSON-ready data."""
    return {
        "name": result.scenario.name, "file": result.scenario.file,
        "style": result.scenario.style, "tags": list(result.scenario.tags),
        "outcome": result.outcome, "durationMs": round(result.duration_ms, 3),
        "failures": result.messages(),
        "steps": [{"index": s.step.index, "name": s.step.name, "action": s.step.action,
                   "outcome": s.outcome, "durationMs": round(s.duration_ms, 3),
                   "failures": s.failures, "captured": s.captured,
                   "exchanges": [o.exchange.as_dict() for o in s.observations]}
                  for s in result.steps],
    }
