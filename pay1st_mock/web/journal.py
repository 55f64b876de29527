"""Recording every partner call to ``/api/pay1st`` in the request journal, with findings.

Views and helpers add findings to ``flask.g`` as they go (schema warnings, signature problems
with the exact string that should have been signed, domain hints); errors add theirs when they
are rendered. After the response, one entry is written with secrets redacted.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any, cast

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from pay1st_mock.activity import CALL, call_fields
from pay1st_mock.clock import isoformat
from pay1st_mock.records import JournalEntry
from pay1st_mock.schemas import Finding
from pay1st_mock.web.http import add_findings, services

PREFIX = "/api/pay1st"
BODY_KEPT = 16384
_SECRET_HEADERS = {"authorization", "accesstoken"}
# Token fields under any casing or snake_case spelling (accessToken, refresh_token, ...).
_SECRET_FIELD = re.compile(r"^(?:access|refresh)_?token$", re.IGNORECASE)
_KIND_OF_CODE = {
    **dict.fromkeys(("MISSING_CREDENTIALS", "INVALID_CREDENTIALS", "MISSING_ACCESS_TOKEN",
                     "INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN", "INVALID_REFRESH_TOKEN"),
                    "token"),
    **dict.fromkeys(("MISSING_SIGNATURE", "INVALID_TIMESTAMP", "TIMESTAMP_OUT_OF_WINDOW",
                     "INVALID_SIGNATURE"), "signature"),
    **dict.fromkeys(("MALFORMED_JSON", "VALIDATION_ERROR", "INVALID_PARAMETER",
                     "REQUEST_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"), "schema"),
}


def note_error(code: str, message: str, partner_id: int | None) -> None:
    """Record the error a request ends with, unless a more precise finding already says it."""
    if partner_id is not None:
        g.setdefault("partner_id", partner_id)
    if not g.get("error_recorded"):
        add_findings([Finding("request", f"{code}: {message}",
                              kind=_KIND_OF_CODE.get(code, "rule"))])


def _redact_header(name: str, value: str) -> str:
    if name.lower() not in _SECRET_HEADERS:
        return value
    scheme, _, secret = value.partition(" ")
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:8]
    return f"{scheme} <redacted sha256:{fingerprint}>"


_SECRET_IN_TEXT = re.compile(r'("(?:access|refresh)_?token"\s*:\s*")[^"]*(")', re.IGNORECASE)
_SECRET_IN_QUERY = re.compile(r"((?:^|&)(?:access|refresh)_?token=)[^&]*", re.IGNORECASE)


def _redact_query(query: str) -> str:
    return _SECRET_IN_QUERY.sub(r"\1<redacted>", query) if "oken" in query.lower() else query


def _redact_body(text: str) -> str:
    if "token" not in text.lower():  # cheap test first: most bodies hold no token at all
        return text[:BODY_KEPT]
    try:
        document = json.loads(text)
    except ValueError:  # not JSON, but may still carry a token: redact by pattern
        return _SECRET_IN_TEXT.sub(r"\1<redacted>\2", text)[:BODY_KEPT]
    secrets = [k for k in document if _SECRET_FIELD.match(k)] if isinstance(document, dict) else []
    if secrets:
        for key in secrets:
            document[key] = "<redacted>"
        return json.dumps(document)[:BODY_KEPT]
    return text[:BODY_KEPT]


def _redact_answer(text: str) -> str:
    """Our own answer, tokens redacted: it is compact JSON we wrote, whose token values are
    Base64 (no quote or backslash inside), so a pattern is exact and parsing it is not needed."""
    if "oken" not in text and "OKEN" not in text:
        return text[:BODY_KEPT]
    return _SECRET_IN_TEXT.sub(r"\1<redacted>\2", text)[:BODY_KEPT]


def _request_text(environ: dict[str, Any]) -> str:
    """The request body as text; a body over the size limit is not read (it was refused)."""
    if environ.get("CONTENT_LENGTH", "0") in ("0", "") \
            and not environ.get("wsgi.input_terminated"):
        return ""  # no body (most GETs): nothing to read, as werkzeug would find
    try:
        return request.get_data(as_text=True)
    except RequestEntityTooLarge:
        return f"<{request.content_length} bytes: over the limit, not kept>"


_HEADER_NAMES: dict[str, str] = {}  # environ key -> the name werkzeug's EnvironHeaders gives


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers as werkzeug names them, secrets redacted (read from the environ
    directly: ``request.headers`` costs several times more, on every gateway call)."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        name = _HEADER_NAMES.get(key)
        if name is None:
            if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                name = key[5:].replace("_", "-").title()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = key.replace("_", "-").title()
            else:
                continue
            if len(_HEADER_NAMES) < 1000:  # bounded: clients may invent any header name
                _HEADER_NAMES[key] = name
        if value or not key.startswith("CONTENT_"):
            headers[name] = _redact_header(name, value)
    return headers


def _reference(response_text: str, request_text: str) -> str | None:
    found = g.get("journal_reference") or (
        request.args.get("reference") if "reference=" in request.environ.get("QUERY_STRING", "")
        else None)
    for text in (response_text, request_text):
        if found:
            break
        if '"reference"' not in text:
            continue
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("reference"), str):
            found = document["reference"]
    return found


def register(app: Flask) -> None:
    """Journal the gateway's requests on ``app``."""

    @app.before_request
    def _start() -> None:
        if request.path.startswith(PREFIX):
            g.journal_started = time.perf_counter()
            g.journal_arrived = services().clock.now()  # the call's place in time: its start

    @app.after_request
    def _record(response: Response) -> Response:
        state = g._get_current_object()  # each proxy use costs: resolve both once
        started = state.get("journal_started")
        if started is None:
            return response
        svc = services()
        req: Request = cast(Any, request)._get_current_object()
        environ = req.environ
        method, path, status = req.method, req.path, response.status_code
        body = response.get_data(as_text=True) if not response.is_streamed else ""
        sent = _request_text(environ)
        partner_id, reference = state.get("partner_id"), _reference(body, sent)
        findings = [f.as_dict() for f in state.get("findings", [])]
        entry = JournalEntry(
            id=0, partner_id=partner_id, method=method, path=path,
            query=_redact_query(environ.get("QUERY_STRING", "")),
            request_headers=_request_headers(environ),
            request_body=_redact_body(sent),
            status=status, response_body=_redact_answer(body),
            duration_ms=(time.perf_counter() - started) * 1000, reference=reference,
            findings=findings, at=state.journal_arrived)
        svc.journal.add(entry)
        svc.activity.publish(CALL, entry.at, partner_id, reference, call_fields(entry))
        if partner_id is not None:  # the go-live checklist learns from every identified call
            svc.checklist.observe_call(partner_id, method, path, status, reference, findings,
                                       sent, state.get("request_document"))
        return response


def entry_body(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry as the control API shows it."""
    return {"id": entry.id, "partnerId": entry.partner_id, "method": entry.method,
            "path": entry.path, "query": entry.query, "requestHeaders": entry.request_headers,
            "requestBody": entry.request_body, "status": entry.status,
            "responseBody": entry.response_body, "durationMs": round(entry.duration_ms, 3),
            "reference": entry.reference, "findings": entry.findings,
            "at": isoformat(entry.at)}
