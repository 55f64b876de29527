"""``expect`` checks: each returns the reasons it is unmet (empty when met), never a boolean."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pay1st_mock.frozen import frozen
from pay1st_mock.runner.results import Subject
from pay1st_mock.schemas import SchemaSet, describe


@frozen
class Unmet:
    """One unmet check: which one (``status``, ``body``, ...) and why."""

    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


def run_checks(expect: Mapping[str, Any], subject: Subject, schemas: SchemaSet) -> list[Unmet]:
    """Every way ``subject`` misses ``expect`` (already rendered)."""
    unmet: list[Unmet] = []
    if "status" in expect:
        unmet += check_status(expect["status"], subject.status)
    if "schema" in expect:
        unmet += check_schema(expect["schema"], subject.body, schemas)
    if "body" in expect:
        unmet += [Unmet("body", m) for m in subset_mismatches(expect["body"], subject.body, "$")]
    if "headers" in expect:
        unmet += check_headers(expect["headers"], subject.headers)
    if "max_latency_ms" in expect:
        unmet += check_latency(expect["max_latency_ms"], subject.latency_ms)
    return unmet


def check_status(expected: Any, status: int | None) -> list[Unmet]:
    """``expected`` is a status, a class such as ``"2xx"``, or a list of either."""
    options = expected if isinstance(expected, list) else [expected]
    wanted = " or ".join(str(o) for o in options)
    if status is None:
        return [Unmet("status", f"expected {wanted}; no status (nothing answered)")]
    for option in options:
        if option == status or (isinstance(option, str) and option[0] == str(status)[0]):
            return []
    return [Unmet("status", f"expected {wanted}, got {status}")]


def check_schema(name: str, body: Any, schemas: SchemaSet) -> list[Unmet]:
    """The body must validate against schema ``name`` (warnings about unknown fields pass)."""
    try:
        findings = schemas.check(name, body)
    except KeyError as exc:
        return [Unmet("schema", str(exc.args[0]))]
    return [Unmet("schema", f"{name}: {f.path}: {f.message}")
            for f in findings if f.severity == "error"]


def subset_mismatches(expected: Any, actual: Any, path: str) -> list[str]:
    """Where ``actual`` does not contain ``expected``: objects by key (extra keys allowed),
    arrays item by item with the same length, other values by equality."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {describe(actual)}"]
        found: list[str] = []
        for key, value in expected.items():
            child = f"{path}.{key}"
            if key not in actual:
                found.append(f"{child}: missing; expected {_shown(value)}")
            else:
                found += subset_mismatches(value, actual[key], child)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {describe(actual)}"]
        if len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} item(s), got {len(actual)}: "
                    f"{_shown(actual)}"]
        return [m for index, (e, a) in enumerate(zip(expected, actual, strict=True))
                for m in subset_mismatches(e, a, f"{path}[{index}]")]
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):
        return [f"{path}: expected {_shown(expected)}, got {_shown(actual)}"]
    return []


def check_headers(expected: Mapping[str, str | None], headers: Mapping[str, str]) -> list[Unmet]:
    """Header values by case-insensitive name; ``None`` means "must be absent"."""
    lowered = {name.lower(): value for name, value in headers.items()}
    unmet = []
    for name, value in expected.items():
        actual = lowered.get(name.lower())
        if value is None and actual is not None:
            unmet.append(Unmet("headers", f"{name}: expected no such header, got {actual!r}"))
        elif value is not None and actual != value:
            got = "no such header" if actual is None else repr(actual)
            unmet.append(Unmet("headers", f"{name}: expected {value!r}, got {got}"))
    return unmet


def check_latency(limit_ms: Any, latency_ms: float | None) -> list[Unmet]:
    """The answer came within ``limit_ms``."""
    if isinstance(limit_ms, bool) or not isinstance(limit_ms, int | float):
        return [Unmet("max_latency_ms", f"expected a number of milliseconds, got "
                                        f"{describe(limit_ms)}")]
    if latency_ms is None:
        return [Unmet("max_latency_ms", f"expected an answer within {limit_ms:g} ms; none came")]
    if latency_ms > limit_ms:
        return [Unmet("max_latency_ms", f"expected an answer within {limit_ms:g} ms, it took "
                                        f"{latency_ms:.0f} ms")]
    return []


def _shown(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def read_path(data: Any, path: str) -> Any:
    """Follow ``$.a.b[0]`` through ``data``; raise ``LookupError`` saying where it stopped."""
    value = data
    walked = "$"
    for name, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]", path):
        if name:
            if isinstance(value, Mapping):
                lowered = {str(k).lower(): k for k in value} if walked == "$.headers" else {}
                key = lowered.get(name.lower(), name)
                if key in value:
                    value = value[key]
                    walked += f".{name}"
                    continue
            raise LookupError(f"{path}: {walked} has no {name!r}")
        position = int(index)
        if not isinstance(value, list) or position >= len(value):
            raise LookupError(f"{path}: {walked} has no item [{position}]")
        value = value[position]
        walked += f"[{position}]"
    return value
