"""The optional control token: when the settings have one, ``/_mock`` asks for it.

The control API hands out every partner's credentials and can move the clock, so a server that
listens beyond loopback should not offer it to anyone who can reach the port. ``/_mock/health``
stays open: it tells a CI script the server is up and says nothing else.

Scripts send the token in the ``X-Pay1st-Mock-Token`` header. A browser cannot, so the token is
also accepted from the ``pay1st_mock_token`` cookie, which ``GET /_mock/ui?token=<token>`` sets
(HttpOnly, SameSite=Strict, path ``/_mock``) before it redirects to the dashboard.
"""

from __future__ import annotations

import hmac

from flask import Flask, redirect, request
from werkzeug.wrappers import Response

from pay1st_mock.config import CONTROL_TOKEN_HEADER
from pay1st_mock.errors import Pay1stError
from pay1st_mock.web.http import services

HEADER = CONTROL_TOKEN_HEADER
COOKIE = "pay1st_mock_token"
DASHBOARD = "/_mock/ui"
_OPEN = frozenset({"/_mock/health"})


def _same(sent: str, token: str) -> bool:
    return hmac.compare_digest(sent.encode(), token.encode())


def _dashboard_login(token: str) -> Response:
    """``/_mock/ui?token=``: keep a matching token in a cookie and go to the dashboard."""
    if not _same(request.args.get("token", ""), token):
        raise Pay1stError("CONTROL_TOKEN_REQUIRED",
                          f"the token in {DASHBOARD}?token= is not this server's control token; "
                          "open the dashboard with the token given to serve --control-token "
                          "(or server.control_token)")
    response = redirect(DASHBOARD, code=303)
    response.set_cookie(COOKIE, token, path="/_mock", httponly=True, samesite="Strict",
                        secure=request.is_secure)
    return response


def register(app: Flask) -> None:
    """Check the control token on every ``/_mock`` request of ``app`` (if one is set)."""

    @app.before_request
    def _require_token() -> Response | None:
        token = services().settings.control_token
        if token is None or not request.path.startswith("/_mock") or request.path in _OPEN:
            return None
        if request.path == DASHBOARD and request.method == "GET" and "token" in request.args:
            return _dashboard_login(token)
        sent = request.headers.get(HEADER, "")
        kept = request.cookies.get(COOKIE, "")
        if _same(sent, token) or (kept and _same(kept, token)):
            return None
        told = "a wrong one" if sent or kept else "none"
        message = (f"this server requires its control token in the {HEADER} header for "
                   f"/_mock; {told} was sent")
        if request.path == DASHBOARD or request.path.startswith(DASHBOARD + "/"):
            message += (f"; in a browser, open {DASHBOARD}?token=<control token> once and the "
                        "dashboard keeps it in a cookie")
        raise Pay1stError("CONTROL_TOKEN_REQUIRED", message)
