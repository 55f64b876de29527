"""``GET /``: where things are, for a human who opens the server's URL."""

from __future__ import annotations

from flask import Blueprint, Response, request

from pay1st_mock import __version__
from pay1st_mock.web.http import json_response
from pay1st_mock.web.operations import Operation

blueprint = Blueprint("index", __name__)


@blueprint.get("/")
@Operation()
def index() -> Response:
    """200 with the emulator's surfaces and where to read about them."""
    base = request.host_url.rstrip("/")
    return json_response({
        "name": "pay1st-mock", "version": __version__,
        "gateway": f"{base}/api/pay1st",
        "control": f"{base}/_mock",
        "dashboard": f"{base}/_mock/ui",
        "health": f"{base}/_mock/health",
        "sandboxPartner": f"{base}/_mock/partners/1",
    })
