"""Plain-text failure reports: shared by the console, the JUnit ``<failure>`` body and pytest."""

from __future__ import annotations

from pay1st_mock.runner.events import ScenarioFinished, StepFinished
from pay1st_mock.runner.results import Exchange

# Headers every HTTP client sends; a report hides them so the ones that matter stand out.
_NOISE = frozenset({"host", "user-agent", "accept-encoding", "connection", "content-length",
                    "accept", "date", "server"})
_BODY_LINES = 25


def step_line(step: StepFinished) -> str:
    """``✓ 3. name  12 ms`` (or ✗ / !)."""
    mark = {"passed": "✓", "failed": "✗"}.get(step.outcome, "!")
    return f"{mark} {step.step.index + 1}. {step.step.name}  {step.duration_ms:.0f} ms"


def failure_report(result: ScenarioFinished, indent: str = "") -> str:
    """Why a scenario failed: each unmet check, the step's ``why``, and its HTTP exchanges."""
    lines: list[str] = []
    step = result.failed_step
    lines += [f"{indent}{message}" for message in result.failures]
    if step is not None:
        verb = "could not run" if step.outcome == "error" else "failed"
        lines.append(f"{indent}step {step.step.index + 1} ({step.step.name}) {verb}:")
        lines += [f"{indent}  - {message}" for message in step.failures]
        if step.step.why:
            lines.append(f"{indent}  why it matters: {step.step.why}")
        for observation in step.observations[-3:]:
            lines += exchange_lines(observation.exchange, indent + "  ")
    return "\n".join(lines)


def exchange_lines(exchange: Exchange, indent: str) -> list[str]:
    """A request and its answer, the way a reader wants to see them."""
    lines = [f"{indent}{exchange.label}:"] if exchange.label else []
    lines.append(f"{indent}→ {exchange.method} {exchange.url}")
    lines += [f"{indent}  {name}: {value}" for name, value in exchange.request_headers.items()
              if name.lower() not in _NOISE]
    lines += _body(exchange.request_body, indent + "  ")
    if exchange.error and exchange.status is None:
        lines.append(f"{indent}← no answer: {exchange.error}")
        return lines
    took = f"  ({exchange.latency_ms:.0f} ms)" if exchange.latency_ms is not None else ""
    lines.append(f"{indent}← {exchange.status}{took}"
                 + (f"  [{exchange.error}]" if exchange.error else ""))
    lines += [f"{indent}  {name}: {value}" for name, value in exchange.response_headers.items()
              if name.lower() not in _NOISE]
    lines += _body(exchange.response_body, indent + "  ")
    return lines


def _body(text: str, indent: str) -> list[str]:
    if not text:
        return []
    lines = text.splitlines() or [text]
    shown = [f"{indent}{line}" for line in lines[:_BODY_LINES]]
    if len(lines) > _BODY_LINES:
        shown.append(f"{indent}… {len(lines) - _BODY_LINES} more line(s)")
    return shown


def summary_line(passed: int, failed: int, skipped: int = 0) -> str:
    """The final line: ``N passed, N failed`` (and ``, N skipped`` when some were)."""
    return f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
