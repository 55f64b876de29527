"""Applying injected request faults to gateway calls, and the control API that manages faults."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, request

from pay1st_mock.errors import envelope
from pay1st_mock.web.http import json_body, json_response, services
from pay1st_mock.web.operations import Operation

blueprint = Blueprint("faults", __name__, url_prefix="/_mock")
FAULTED_PREFIXES = ("/api/pay1st", "/api/fulfilments")


def _request_partner() -> int | None:
    """Best effort: whose request this is, from its access token or Basic key (no errors)."""
    svc = services()
    header = request.headers.get("AccessToken", "")
    if header.startswith("Bearer "):
        record = svc.tokens.lookup(header[7:].strip())
        return record.partner_id if record else None
    if request.authorization and request.authorization.username:
        partner = svc.tokens.partner_of_key(request.authorization.username)
        return partner.id if partner else None
    return None


def _dropped() -> Response:
    """A response that dies after its first byte: the client sees the connection drop."""

    def body() -> Iterator[bytes]:
        yield b"{"
        raise ConnectionAbortedError("pay1st-mock fault: connection dropped on purpose")

    return Response(body(), status=200, mimetype="application/json",
                    headers={"Content-Length": "1024"})


def register(app: Flask) -> None:
    """Apply request faults before the gateway handles a matching call."""

    @app.before_request
    def _inject() -> Response | None:
        if not request.path.startswith(FAULTED_PREFIXES) or not services().faults:
            return None
        action = services().faults.take("request", request.method, request.path,
                                        _request_partner())
        if action is None:
            return None
        if "latencyMs" in action:
            time.sleep(action["latencyMs"] / 1000)
            return None
        if action.get("drop"):
            return _dropped()
        body = envelope(action.get("errorCode", "INJECTED_FAULT"),
                        action.get("errorMessage", "fault injected by pay1st-mock's control API"),
                        services().randomness.session_id())
        return json_response(body, status=int(action["status"]))


def _fault_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "target"}


@blueprint.post("/faults")
@Operation(request="control/fault-request.json", status=201)
def add_fault() -> Response:
    """``{target?, method?, path?, partnerId?, count?, probability?, action}`` → 201 the fault.

    Requests: ``action`` is ``{latencyMs}``, ``{status, errorCode?, errorMessage?}`` or
    ``{drop: true}``. Webhooks (``target: "webhook"``, ``path`` = delivery kind glob):
    ``{delayMs}``, ``{duplicate: true}`` or ``{reorder: true}``.
    """
    body, _ = json_body(unknown_fields_are_errors=True)
    fault = services().faults.add(
        body.get("target", "request"), body["action"], body.get("method"),
        body.get("path", "*"), body.get("partnerId"), body.get("count", 1),
        body.get("probability", 1.0))
    return json_response(fault.as_dict(), status=201)


@blueprint.get("/faults")
@Operation()
def list_faults() -> Response:
    """200 ``{faults: [...]}``: the faults still in force, with how often each fired."""
    return json_response({"faults": [f.as_dict() for f in services().faults.all()]})


@blueprint.delete("/faults")
@Operation()
def clear_faults() -> Response:
    """Remove every fault → 200 ``{faults: []}``."""
    services().faults.clear()
    return json_response({"faults": []})
