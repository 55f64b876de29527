"""The optional control token: when the settings have one, ``/_mock`` asks for it.

The control API hands out every partner's credentials and can move the clock, so a server that
listens beyond loopback should not offer it to anyone who can reach the port. ``/_mock/health``
stays open: it tells a CI script the server is up and says nothing else.
"""

from __future__ import annotations

import hmac

from flask import Flask, request

from pay1st_mock.config import CONTROL_TOKEN_HEADER
from pay1st_mock.errors import Pay1stError
from pay1st_mock.web.http import services

HEADER = CONTROL_TOKEN_HEADER
_OPEN = frozenset({"/_mock/health"})


def register(app: Flask) -> None:
    """Check the control token on every ``/_mock`` request of ``app`` (if one is set)."""

    @app.before_request
    def _require_token() -> None:
        token = services().settings.control_token
        if token is None or not request.path.startswith("/_mock") or request.path in _OPEN:
            return
        sent = request.headers.get(HEADER, "")
        if not hmac.compare_digest(sent.encode(), token.encode()):
            told = "a wrong one" if sent else "none"
            raise Pay1stError("CONTROL_TOKEN_REQUIRED",
                              f"this server requires its control token in the {HEADER} header "
                              f"for /_mock; {told} was sent")
