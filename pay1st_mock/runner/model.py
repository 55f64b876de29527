"""Scenario files: finding them, parsing them, and checking them against the scenario schema.

Every file is checked before anything runs. A bad file yields ``Problem`` objects that name the
file, the JSON path and what was expected; ``ScenarioFileError`` carries them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from pay1st_mock.frozen import frozen
from pay1st_mock.schemas import load_schemas

SCHEMA = "scenario.schema.json"

# The action keys of a step, in the order the README documents them.
ACTIONS = ("user_info", "summary_webhook", "payment_webhook", "create_payment",
           "complete_payment", "refund_payment", "open_chargeback", "shop_purchase",
           "advance_clock", "wait_for_call", "no_call", "wait_for_delivery", "resend_delivery",
           "http")


@frozen
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


@frozen
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


@frozen
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
        """Whether ``-k pattern`` selects it.

        A term matches when its words appear, in order, among the words of the name, the file
        path, a tag or a requirement (so ``hooks`` matches ``"requires": ["hooks"]`` but not
        "webhooks"). ``not T`` inverts a term; ``A and B``, ``A or B`` combine them (``and``
        binds tighter); case does not matter.
        """
        if not pattern or not pattern.strip():
            return True
        return any(all(self._matches_term(term) for term in re.split(r"\s+and\s+", option))
                   for option in re.split(r"\s+or\s+", pattern.strip().lower()))

    def _matches_term(self, term: str) -> bool:
        negate = term.startswith("not ")
        wanted = _words(term.removeprefix("not "))
        texts = [self.name, self.file, *self.tags, *self.requires]
        found = any(_contains(_words(text), wanted) for text in texts)
        return found != negate


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _contains(words: list[str], wanted: list[str]) -> bool:
    return bool(wanted) and any(words[i:i + len(wanted)] == wanted
                                for i in range(len(words) - len(wanted) + 1))


def find_files(paths: Iterable[str | Path], suffixes: tuple[str, ...] = (".json",)) -> list[Path]:
    """Expand directories into the files under them with those suffixes, sorted; keep files
    given by name as they are."""
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in suffixes and p.is_file())
            if not files:
                kinds = " or ".join(f"*{s}" for s in suffixes)
                problems.append(Problem(str(path), "$", f"no {kinds} files in this directory"))
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
    except ValueError as exc:  # e.g. a number with more digits than Python reads
        raise ScenarioFileError([Problem(name, "$", f"not valid JSON: {exc}")]) from None
    except RecursionError:
        raise ScenarioFileError([Problem(name, "$", "not valid JSON: nested too deeply")]) from None
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
    problems = sorted([*action_problems, *schema_problems, *_signature_problems(document, source)],
                      key=lambda p: _natural(p.path))
    problems += _id_problems(document, source)
    return problems


def _natural(path: str) -> list[str | int]:
    """Sort key that puts ``steps[2]`` before ``steps[10]``."""
    return [int(part) if part.isascii() and part.isdigit() else part
            for part in re.split(r"([0-9]+)", path)]


def _signature_problems(document: Any, source: str) -> list[Problem]:
    """A Summary Webhook has no timestamp, so it cannot be ``stale``."""
    steps = document.get("steps") if isinstance(document, dict) else None
    problems = []
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        summary = step.get("summary_webhook") if isinstance(step, dict) else None
        if isinstance(summary, dict) and summary.get("signature") == "stale":
            problems.append(Problem(source, f"$.steps[{index}].summary_webhook.signature",
                                    "Summary Webhooks carry no timestamp, so they cannot be "
                                    "stale; expected valid, missing or wrong"))
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
