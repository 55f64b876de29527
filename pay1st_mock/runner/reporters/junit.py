"""JUnit XML, the shape CI systems (GitHub, GitLab, Jenkins) render: a testcase per scenario."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from pay1st_mock.runner.events import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    Event,
    RunFinished,
    ScenarioFinished,
)
from pay1st_mock.runner.reporters.text import failure_report, step_line


class JUnitReporter:
    """Collects results and writes ``path`` when the run finishes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.results: list[ScenarioFinished] = []
        self.duration_ms = 0.0

    def handle(self, event: Event) -> None:
        """Keep finished scenarios."""
        if isinstance(event, ScenarioFinished):
            self.results.append(event)
        elif isinstance(event, RunFinished):
            self.duration_ms = event.duration_ms

    def close(self) -> None:
        """Write the XML file (suites grouped by scenario style)."""
        root = ET.Element("testsuites", {"name": "pay1st-mock", **_counts(self.results),
                                         "time": f"{self.duration_ms / 1000:.3f}"})
        for style in sorted({r.scenario.style or "scenarios" for r in self.results}):
            members = [r for r in self.results if (r.scenario.style or "scenarios") == style]
            seconds = sum(r.duration_ms for r in members) / 1000
            suite = ET.SubElement(root, "testsuite", {"name": style, **_counts(members),
                                                      "time": f"{seconds:.3f}"})
            for result in members:
                _testcase(suite, result, style)
        ET.indent(root)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(root).write(self.path, encoding="utf-8", xml_declaration=True)


def _testcase(suite: ET.Element, result: ScenarioFinished, style: str) -> None:
    case = ET.SubElement(suite, "testcase", name=_xml(result.scenario.name),
                         classname=f"pay1st-mock.{style}", file=_xml(result.scenario.file),
                         time=f"{result.duration_ms / 1000:.3f}")
    if result.outcome == SKIPPED:
        ET.SubElement(case, "skipped", message=_xml((result.failures or ["skipped"])[0]))
    elif result.outcome != PASSED:
        tag = "error" if result.outcome == ERROR else "failure"
        first = (result.messages() or ["failed"])[0]
        failure = ET.SubElement(case, tag, message=_xml(first), type=result.outcome)
        failure.text = _xml(failure_report(result))
    ET.SubElement(case, "system-out").text = _xml("\n".join(step_line(s) for s in result.steps))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (a partner's ANSI colours, NULs)."""
    return _NOT_XML.sub("\ufffd", text)


def _counts(results: list[ScenarioFinished]) -> dict[str, str]:
    return {"tests": str(len(results)),
            "failures": str(sum(1 for r in results if r.outcome == FAILED)),
            "errors": str(sum(1 for r in results if r.outcome == ERROR)),
            "skipped": str(sum(1 for r in results if r.outcome == SKIPPED))}
