"""The child interpreters' plumbing: starting one and reading its JSON line, printing that line,
and reading a ``RunFinished`` (step times, failures) as both children do."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import ci  # child_env; imports nothing from the package

from .settings import PACKAGE_DIR, RESULT_MARKER


def emit(result: dict[str, Any]) -> None:
    print(RESULT_MARKER + json.dumps(result), flush=True)


def run_child(args: Sequence[str], timeout: float = 600.0) -> dict[str, Any]:
    """Run ``python bench/scenarios --child ARGS`` and return its JSON result."""
    return ci.run_child(args, timeout, script=PACKAGE_DIR, marker=RESULT_MARKER)


def step_durations(finished: Any) -> list[tuple[str, float, Any]]:
    """(action, ms, last observation) of every step a ``RunFinished`` ran."""
    return [(step.step.action, step.duration_ms,
             step.observations[-1] if step.observations else None)
            for result in finished.results for step in result.steps]


def failure_messages(finished: Any) -> list[str]:
    return [f"{r.scenario.file} :: {r.scenario.name}: {'; '.join(r.messages())[:500]}"
            for r in finished.results if r.outcome != "passed"]
