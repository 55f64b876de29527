"""``create_app``: the reference partner as a Flask app. Wiring only."""

from __future__ import annotations

from typing import cast

from flask import Flask
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from reference_partner import hooks, webhooks
from reference_partner.errors import GatewayError, NotFoundError, PartnerError, SignatureError
from reference_partner.partner import Partner
from reference_partner.settings import PartnerSettings
from reference_partner.web import EXTENSION

# Our errors → HTTP statuses, most specific first.
STATUSES: tuple[tuple[type[PartnerError], int], ...] = (
    (SignatureError, 401), (NotFoundError, 404), (GatewayError, 502), (PartnerError, 400))


def create_app(settings: PartnerSettings | None = None) -> Flask:
    """Build a partner: state, Pay1st client and fulfilment worker, on a new Flask app.

    The ``Partner`` is at ``app.extensions["reference_partner"]``; its ``settings`` object is
    the one passed in and is read at call time. Call ``partner_of(app).close()`` when done.
    """
    app = Flask(__name__)
    app.extensions[EXTENSION] = Partner(settings or PartnerSettings())
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(hooks.blueprint)
    app.register_error_handler(PartnerError, render_partner_error)
    app.register_error_handler(HTTPException, render_http_error)
    return app


def partner_of(app: Flask) -> Partner:
    """The partner an app was built with."""
    return cast(Partner, app.extensions[EXTENSION])


def render_partner_error(error: PartnerError) -> ResponseReturnValue:
    """``{"error": message}`` with the error's status; Pay1st's own error rides along."""
    status = next(code for kind, code in STATUSES if isinstance(error, kind))
    body: dict[str, object] = {"error": str(error)}
    if isinstance(error, GatewayError):
        body.update({k: error.pay1st[k] for k in ("errorMessage", "errorCode")
                     if k in error.pay1st})
    return body, status


def render_http_error(error: HTTPException) -> ResponseReturnValue:
    """Unknown paths, wrong methods and crashes as JSON too."""
    return {"error": error.description or error.name}, error.code or 500
