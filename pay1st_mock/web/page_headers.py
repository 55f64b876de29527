"""Protective headers: every page (checkout, Shop, dashboard, error pages) tells the browser to
load nothing from elsewhere, run only its own script, never be framed, and never pass its URL
to another site.

* ``Content-Security-Policy``: nothing by default; styles from the page itself; scripts only
  with this response's nonce (the dashboard's live refresh, ``<script nonce="{{ csp_nonce()
  }}">``); fetches to this server; no ``<base>``; no framing. The dashboard's forms post only
  here (``form-action 'self'``); the checkout's and the Shop's may not say so, because a
  finished payment's form is answered with a redirect to the partner's callback URL, which a
  browser checks against ``form-action`` too.
* ``X-Frame-Options: DENY`` for browsers without ``frame-ancestors``.
* ``Referrer-Policy: same-origin`` on every answer: the checkout URL carries an access token,
  and no other site may see it. (``no-referrer`` would also blank the ``Origin`` of the
  dashboard's own forms, which the control API's cross-site rule reads.)
* ``X-Content-Type-Options: nosniff`` on every answer.

The nonce is random per response (``secrets``, never the seeded randomness: a seed is no
secret).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

_POLICY = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
           "img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
_DASHBOARD_EXTRA = "; form-action 'self'"


def csp_nonce() -> str:
    """This response's script nonce (made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return str(nonce)


def _is_dashboard(path: str) -> bool:
    return path == "/_mock/ui" or path.startswith("/_mock/ui/")


def register(app: Flask) -> None:
    """Add the headers to every response of ``app``, and ``csp_nonce()`` to the templates."""

    @app.context_processor
    def _nonce() -> dict[str, object]:
        return {"csp_nonce": csp_nonce}

    @app.after_request
    def _protect(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if (response.content_type or "").startswith("text/html"):  # no parse of every JSON type
            policy = _POLICY.format(nonce=csp_nonce())
            if _is_dashboard(request.path):
                policy += _DASHBOARD_EXTRA
            headers["Content-Security-Policy"] = policy
            headers["X-Frame-Options"] = "DENY"
        return response
