"""Requests refused before any view: a body the server would not read, and control calls that a
web page of another site could make.

The control API (``/_mock``) needs no credentials unless a control token is set, and a browser
sends requests to 127.0.0.1 for any page it shows. Two attacks follow, and three rules stop them:

* **DNS rebinding.** A page at ``evil.example`` whose name is made to point at 127.0.0.1 reads
  ``/_mock/partners`` (every partner's secrets) as a same-origin page. Its requests carry
  ``Host: evil.example``, so ``/_mock`` answers only requests addressed to a name this server
  is reached by: an IP address, ``localhost``, ``server.host`` or ``server.allowed_hosts``. A
  request that carried the control token passes (a page cannot know the token).
* **Cross-site requests.** A form or ``fetch`` on any site can post to ``/_mock/reset``.
  Browsers say where such a request comes from (``Origin``, else ``Referer``, and
  ``Sec-Fetch-Site``): a state-changing ``/_mock`` call from another origin is refused.
* **Bodies a page may send without asking.** An HTML form posts ``text/plain``,
  ``multipart/form-data`` or URL-encoded fields, never JSON; so the JSON control API takes a body
  only as JSON: ``application/json`` (or ``+json``), or curl's default form type when the text is
  a JSON object, which a form cannot produce (it escapes ``{``). The dashboard's own forms
  (``/_mock/ui``) post fields, and the origin rule guards them.

curl, scripts, ``PartnerClient``, the pytest plugin and the runner send no ``Origin`` and
address the server by the name they were given, so they pass.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from pay1st_mock.config import Settings
from pay1st_mock.errors import Pay1stError
from pay1st_mock.http_wire import BODY_REFUSED_ENVIRON
from pay1st_mock.web.http import services

CONTROL = "/_mock"
DASHBOARD = "/_mock/ui"
_OPEN = frozenset({"/_mock/health"})  # says only "up", and CI scripts call it by any name
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _split_host(host: str) -> tuple[str, str]:
    """``127.0.0.1:8080`` → (``127.0.0.1``, ``8080``); ``[::1]:80`` → (``::1``, ``80``)."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, rest.removeprefix(":")
    name, colon, port = host.rpartition(":")
    if not colon or ":" in name:  # no port, or a bare IPv6 address
        return host, ""
    return name, port


def is_served_name(name: str, settings: Settings) -> bool:
    """Whether ``/_mock`` answers a request whose ``Host`` names ``name`` (no port)."""
    name = name.rstrip(".")
    try:
        ipaddress.ip_address(name)
        return True  # a page's own origin is a name: an address cannot be rebound
    except ValueError:
        pass
    served = {"localhost", settings.host.lower(), *(h.lower() for h in settings.allowed_hosts)}
    return name in served or name.endswith(".localhost")


def _origin_of(url: str) -> tuple[str, str]:
    """(host, port) of an Origin or Referer URL, default port made explicit; ("", "") for
    ``null`` or anything unreadable."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return "", ""
    if not parts.hostname:
        return "", ""
    return parts.hostname.lower(), str(port or _DEFAULT_PORTS.get(parts.scheme, ""))


def _check_host(settings: Settings) -> None:
    host = request.headers.get("Host", "")
    name, _ = _split_host(host)
    if not host or is_served_name(name, settings):
        return
    raise Pay1stError(
        "CROSS_SITE_REQUEST",
        f"this server answers /_mock only when addressed by an IP address, localhost or a name "
        f"in server.allowed_hosts; Host was {host!r}, which a web page using DNS rebinding would "
        "send. Open it by its IP address or localhost, add the name to server.allowed_hosts "
        f"(serve --allowed-host {name}), or send the control token")


def _same_origin(sent: str, host: str) -> bool:
    """Whether an Origin or Referer URL names the server this ``Host`` addresses. A ``Host``
    without a port matches the scheme's default port, whichever scheme the browser used (a
    TLS proxy in front may have forwarded an https page as http)."""
    name, port = _split_host(host)
    their_name, their_port = _origin_of(sent)
    if their_name != name:
        return False
    return their_port == port if port else their_port in _DEFAULT_PORTS.values()


def _check_origin() -> None:
    host = request.headers.get("Host", "")
    for header in ("Origin", "Referer"):
        sent = request.headers.get(header)
        if sent is None:
            continue
        if not _same_origin(sent, host):
            raise Pay1stError(
                "CROSS_SITE_REQUEST",
                f"a web page of another site may not change this server: {header} is "
                f"{sent!r}, but the call went to {host!r}. Call the control API from a script "
                "or curl (they send no Origin), or use the dashboard's own pages")
        break  # Origin decides when it is there; Referer only stands in for it
    site = request.headers.get("Sec-Fetch-Site")
    if site in ("cross-site", "same-site"):
        raise Pay1stError("CROSS_SITE_REQUEST",
                          f"a web page of another site may not change this server "
                          f"(Sec-Fetch-Site: {site}); call the control API from a script or curl")


def _check_body_type() -> None:
    mimetype = request.mimetype
    if not mimetype or mimetype == "application/json" or mimetype.endswith("+json"):
        return
    if (mimetype == "application/x-www-form-urlencoded"
            and request.get_data(cache=True).lstrip()[:1] == b"{"):
        return  # curl -d '{...}': JSON text, which no HTML form can send
    raise Pay1stError(
        "UNSUPPORTED_MEDIA_TYPE",
        f"send control API bodies as JSON with Content-Type: application/json on "
        f"{request.method} {request.path}; got {request.content_type!r}, which a web page's form "
        "can send, so it is refused")


def register(app: Flask) -> None:
    """Guard every request of ``app``: oversized bodies, then cross-site control calls."""

    @app.before_request
    def _guard() -> None:
        if request.environ.get(BODY_REFUSED_ENVIRON):
            raise RequestEntityTooLarge()  # the server did not read it; say so, then close
        path = request.path
        if not _under(path, CONTROL) or path in _OPEN:
            return
        settings = services().settings
        if settings.control_token is None:  # else control_auth has checked the token
            _check_host(settings)
        if request.method in _SAFE_METHODS:
            return
        _check_origin()
        if not _under(path, DASHBOARD):
            _check_body_type()
