"""What a step saw: the HTTP exchanges it made or observed, and the subject its checks read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from pay1st_mock.frozen import frozen


@frozen
class Exchange:
    """One request and its answer, as a report shows them.

    ``error`` is set when no answer came (refused, timed out). ``label`` says whose request it
    was when that is not obvious, e.g. "the partner's call, as the emulator journaled it".
    """

    method: str
    url: str
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: str = ""
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: str = ""
    latency_ms: float | None = None
    error: str | None = None
    label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the JSON report."""
        return {"label": self.label, "method": self.method, "url": self.url,
                "requestHeaders": dict(self.request_headers), "requestBody": self.request_body,
                "status": self.status, "responseHeaders": dict(self.response_headers),
                "responseBody": self.response_body,
                "latencyMs": None if self.latency_ms is None else round(self.latency_ms, 3),
                "error": self.error}


@frozen
class Subject:
    """What ``expect`` and ``capture`` read: ``$.status``, ``$.headers``, ``$.body``..."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    latency_ms: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        """The subject as a JSON-like tree for paths and templates."""
        return {"status": self.status, "headers": dict(self.headers), "body": self.body,
                "latency_ms": self.latency_ms, **self.extra}


@frozen
class Observation:
    """One exchange and the subject its checks apply to."""

    exchange: Exchange
    subject: Subject
    hints: tuple[str, ...] = ()  # added to the report when a check on it fails


def parse_body(text: str) -> Any:
    """The body as JSON when it is JSON, else the text itself (or None when empty)."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def subject_of(exchange: Exchange) -> Subject:
    """The subject of an exchange whose answer is what the checks read."""
    return Subject(status=exchange.status, headers=exchange.response_headers,
                   body=parse_body(exchange.response_body), latency_ms=exchange.latency_ms)
