"""``GET /``: where things are, for a human who opens the server's URL (a page) and for a
client (JSON)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from pay1st_mock import __version__
from pay1st_mock.web.http import json_response
from pay1st_mock.web.operations import Operation

blueprint = Blueprint("index", __name__)


@blueprint.get("/")
@Operation(also_page=True)
def index() -> Response:
    """200 with the emulator's surfaces and where to read about them: JSON, or a page for a
    browser (one that prefers `text/html` to `application/json`)."""
    base = request.host_url.rstrip("/")
    links = {
        "name": "pay1st-mock", "version": __version__,
        "gateway": f"{base}/api/pay1st",
        "control": f"{base}/_mock",
        "dashboard": f"{base}/_mock/ui",
        "health": f"{base}/_mock/health",
        "sandboxPartner": f"{base}/_mock/partners/1",
    }
    accepted = request.accept_mimetypes
    if accepted.quality("text/html") > accepted.quality("application/json"):
        answer = Response(render_template("index/index.html", base=base, version=__version__),
                          mimetype="text/html")
    else:
        answer = json_response(links)
    answer.vary.add("Accept")  # one URL, two representations: caches must keep both
    return answer
