"""Scenario files: finding them, parsing them, and checking them against the scenario schema.

Every file is checked before anything runs. A bad file yields ``Problem`` objects that name the
file, the JSON path and what was expected; ``ScenarioFileError`` carries them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pay1st_mock.schemas import load_schemas

SCHEMA = "scenario.schema.json"

# The action keys of a step, in the order the README documents them.
ACTIONS = ("user_info", "summary_webhook", "payment_webhook", "create_payment",
           "complete_payment", "shop_purchase", "advance_clock", "wait_for_call", "no_call",
           "wait_for_delivery", "http")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class ScenarioFileError(Exception):
    """Scenario files that cannot be run; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Step:
    """One step: its action (a key of ``ACTIONS``) with its arguments, checks and captures."""

    index: int
    name: str
    action: str
    arguments: Mapping[str, Any]
    id: str | None = None
    why: str | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)
    capture: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A parsed, schema-valid scenario file."""

    file: str
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    style: str | None = None
    tags: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, pattern: str | None) -> bool:
        """Whether ``-k pattern`` selects it: a case-insensitive substring of the name, the
        file or a tag; ``not X`` inverts; ``A or B`` either."""
        if not pattern:
            return True
        return any(self._matches_one(option.strip()) for option in pattern.split(" or "))

    def _matches_one(self, pattern: str) -> bool:
        negate = pattern.startswith("not ")
        needle = pattern.removeprefix("not ").strip().lower()
        haystack = [self.name.lower(), self.file.lower(), *(t.lower() for t in self.tags)]
        found = any(needle in text for text in haystack)
        return found != negate


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories into the ``*.json`` files under them, sorted; keep files as given."""
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(path.rglob("*.json"))
            if not files:
                problems.append(Problem(str(path), "$", "no *.json scenario files in this "
                                                        "directory"))
            found += files
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(str(path), "$", "no such file or directory"))
    if problems:
        raise ScenarioFileError(problems)
    return found


def load_scenarios(paths: Iterable[str | Path]) -> list[Scenario]:
    """Load every scenario under ``paths``; raise ``ScenarioFileError`` listing all problems."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for path in find_files(paths):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioFileError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioFileError(problems)
    return scenarios


def load_scenario(path: Path) -> Scenario:
    """Parse and check one file."""
    name = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ScenarioFileError([Problem(name, "$", f"not UTF-8 text ({exc.reason})")]) from None
    except json.JSONDecodeError as exc:
        raise ScenarioFileError([Problem(name, "$", f"not valid JSON: {exc.msg} at line "
                                                    f"{exc.lineno} column {exc.colno}")]) from None
    except OSError as exc:
        raise ScenarioFileError([Problem(name, "$", f"cannot read it: {exc.strerror}")]) from None
    return parse_scenario(document, name)


def parse_scenario(document: Any, source: str) -> Scenario:
    """Check ``document`` against the scenario schema and build the ``Scenario``."""
    problems = check_document(document, source)
    if problems:
        raise ScenarioFileError(problems)
    steps = []
    for index, raw in enumerate(document["steps"]):
        action = next(key for key in ACTIONS if key in raw)
        steps.append(Step(index=index, name=raw["name"], action=action, arguments=raw[action],
                          id=raw.get("id"), why=raw.get("why"), expect=raw.get("expect", {}),
                          capture=raw.get("capture", {})))
    return Scenario(file=source, name=document["name"], steps=tuple(steps),
                    description=document.get("description", ""), style=document.get("style"),
                    tags=tuple(document.get("tags", ())),
                    requires=tuple(document.get("requires", ())),
                    variables=document.get("variables", {}))


def check_document(document: Any, source: str) -> list[Problem]:
    """Every problem in a scenario document (empty when it can run)."""
    if isinstance(document, dict) and document.get("version") not in (None, 1):
        return [Problem(source, "$.version", f"this pay1st-mock reads scenario version 1, the "
                                             f"file says {json.dumps(document['version'])}")]
    action_problems = _action_problems(document, source)
    step_paths = {p.path for p in action_problems}
    schema_problems = [Problem(source, f.path, f.message)
                       for f in load_schemas().check(SCHEMA, document)
                       # The oneOf over actions gives an unreadable message; ours replaces it.
                       if f.path not in step_paths]
    problems = sorted([*action_problems, *schema_problems], key=lambda p: p.path)
    problems += _id_problems(document, source)
    return problems


def _action_problems(document: Any, source: str) -> list[Problem]:
    steps = document.get("steps") if isinstance(document, dict) else None
    if not isinstance(steps, list):
        return []
    problems = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        present = [key for key in ACTIONS if key in step]
        if len(present) != 1:
            got = "none" if not present else " and ".join(present)
            problems.append(Problem(source, f"$.steps[{index}]",
                                    f"expected exactly one action ({', '.join(ACTIONS)}), "
                                    f"got {got}"))
    return problems


def _id_problems(document: Any, source: str) -> list[Problem]:
    """Step ids must be unique, or ``{{ steps.ID }}`` would be ambiguous."""
    steps = document.get("steps") if isinstance(document, dict) else None
    seen: dict[str, int] = {}
    problems = []
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        step_id = step.get("id") if isinstance(step, dict) else None
        if not isinstance(step_id, str):
            continue
        if step_id in seen:
            problems.append(Problem(source, f"$.steps[{index}].id",
                                    f"{step_id!r} is already the id of steps[{seen[step_id]}]"))
        seen.setdefault(step_id, index)
    return problems
