"""The one place errors become the Pay1st envelope, for every path the app serves."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from pay1st_mock.errors import Pay1stError, envelope
from pay1st_mock.web.http import json_response, services
from pay1st_mock.web.journal import note_error

log = logging.getLogger("pay1st_mock")

_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}


def render(error: Pay1stError) -> Response:
    """Render a ``Pay1stError``: the envelope, or an error page where people browse
    (``/checkout``, the Shop at ``/shop``, the legacy ``/payment`` link, the dashboard)."""
    session_id = services().randomness.session_id()
    note_error(error.code, error.message, error.partner_id)
    template = _page_template(request.path)
    if template:
        page = render_template(template, title=_TITLES.get(error.status, "Error"),
                               message=f"{error.message} (session {session_id})")
        return Response(page, status=error.status, mimetype="text/html")
    response = json_response(envelope(error.code, error.message, session_id),
                             status=error.status)
    response.headers.update(error.headers)  # e.g. Retry-After on 429
    return response


def _page_template(path: str) -> str | None:
    if path == "/checkout" or path.startswith("/checkout/"):
        return "checkout/error.html"
    if path in ("/shop", "/payment") or path.startswith(("/shop/", "/payment/")):
        return "shop/error.html"
    if path == "/_mock/ui" or path.startswith("/_mock/ui/"):
        return "dashboard/error.html"
    return None


_TITLES = {404: "Page not found", 405: "Not allowed", 400: "Bad request",
           500: "Something went wrong"}


def _from_http(exc: HTTPException) -> Response:
    code = _HTTP_CODES.get(exc.code or 500, "VALIDATION_ERROR")
    if exc.code == 404:
        message = (f"no endpoint {request.method} {request.path}; the gateway serves "
                   "/api/pay1st/auth/token, /api/pay1st/auth/refresh, "
                   "/api/pay1st/payments/methods, /api/pay1st/payments/create, "
                   "/api/pay1st/payments, /api/pay1st/payments/fulfilments, "
                   "/api/pay1st/transactions/refunds[/create|/{refundReference}] and "
                   "/api/pay1st/transactions/chargebacks[/...]; the control API lives under "
                   "/_mock/")
    elif isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(m for m in exc.valid_methods or () if m not in ("HEAD",
                                                                                  "OPTIONS")))
        message = f"{request.method} is not allowed on {request.path}; use {allowed}"
    elif exc.code == 413:
        limit = services().settings.max_body_bytes
        message = (f"the body is larger than {limit} bytes; send a smaller body (the limit is "
                   "gateway.max_body_bytes in the config)")
    else:
        message = exc.description or "bad request"
    return render(Pay1stError(code, message))


def _out_of_range(exc: OverflowError) -> Response:
    """An id or number too large for SQLite's 64-bit integers (or for a date) is the caller's
    mistake, not ours."""
    return render(Pay1stError("INVALID_PARAMETER",
                              f"a number in the request is out of range ({exc}); ids and "
                              "counts must be below 2^63"))


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    services().errors.append(exc)
    return render(Pay1stError("INTERNAL_ERROR",
                              f"pay1st-mock failed on {request.method} {request.path} "
                              f"({type(exc).__name__}); this is an emulator bug, please report it"))


def register(app: Flask) -> None:
    """Make every error the app answers, ours or werkzeug's, a Pay1st envelope."""
    app.register_error_handler(Pay1stError, render)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(OverflowError, _out_of_range)
    app.register_error_handler(Exception, _unexpected)
