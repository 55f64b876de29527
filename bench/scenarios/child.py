"""The child interpreters' plumbing: starting one and reading its JSON line, printing that line,
and reading a ``RunFinished`` (step times, failures) as both children do."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import ci  # child_env; imports nothing from the package
import harness

from .settings import PACKAGE_DIR, RESULT_MARKER


def emit(result: dict[str, Any]) -> None:
    print(RESULT_MARKER + json.dumps(result), flush=True)


def run_child(args: Sequence[str], timeout: float = 600.0) -> dict[str, Any]:
    """Run ``python bench/scenarios --child ARGS`` and return its JSON result."""
    ci.PYCACHE.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, str(PACKAGE_DIR), "--child", *args],
                          cwd=harness.ROOT, env=ci.child_env(), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARKER):])
            return result
    raise RuntimeError(f"child {' '.join(args)} exited with {proc.returncode} and no result; "
                       f"stderr:\n{proc.stderr[-3000:]}")


def step_durations(finished: Any) -> list[tuple[str, float, Any]]:
    """(action, ms, last observation) of every step a ``RunFinished`` ran."""
    return [(step.step.action, step.duration_ms,
             step.observations[-1] if step.observations else None)
            for result in finished.results for step in result.steps]


def failure_messages(finished: Any) -> list[str]:
    return [f"{r.scenario.file} :: {r.scenario.name}: {'; '.join(r.messages())[:500]}"
            for r in finished.results if r.outcome != "passed"]
