"""Request parsing shared by the blueprints: services, media types, JSON bodies, credentials.

Every helper raises ``Pay1stError`` with a message naming the header or field and what was
expected; ``web/errors.py`` renders it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from flask import Response, current_app, g, request

from pay1st_mock import jsontext
from pay1st_mock.domain.signatures import check_request_signature
from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Partner
from pay1st_mock.schemas import Finding
from pay1st_mock.services import EXTENSION_KEY, Services
from pay1st_mock.web.operations import current_operation

WARNING_HEADER = "X-Pay1st-Mock-Warning"
_MAX_LISTED = 5


def add_findings(findings: list[Finding]) -> None:
    """Attach findings to the request being handled (the journal keeps them for gateway calls)."""
    g.setdefault("findings", []).extend(findings)


# The services of the app whose request this thread is handling (set by ``serving``): a gateway
# call asks for them about seven times, and ``current_app`` is a proxy costing a context
# look-up and two attribute look-ups each time.
_SERVING: ContextVar[Services | None] = ContextVar("pay1st_mock_serving", default=None)


@contextmanager
def serving(svc: Services) -> Iterator[None]:
    """Make ``svc`` what ``services()`` returns while one request of its app is handled."""
    token = _SERVING.set(svc)
    try:
        yield
    finally:
        _SERVING.reset(token)


def services() -> Services:
    """Return the services of the app handling this request (or of the current app context,
    outside a request: a test's ``app.app_context()``, a streamed answer)."""
    return _SERVING.get() or cast(Services, current_app.extensions[EXTENSION_KEY])


def json_response(data: Any, status: int = 200, warnings: Iterable[Finding] = ()) -> Response:
    """Return ``data`` as ``application/json``, with one warning header per finding."""
    response = Response(jsontext.dumps(data), status=status, mimetype="application/json")
    _add_warnings(response, warnings)
    return response


def _remember(warnings: Iterable[Finding]) -> list[Finding]:
    listed = list(warnings)
    add_findings([w for w in listed if w not in g.get("findings", [])])
    return listed


def empty_response(warnings: Iterable[Finding] = ()) -> Response:
    """Return 200 with no body (and no Content-Type), with one warning header per finding."""
    response = Response(status=200)
    response.headers.pop("Content-Type", None)
    _add_warnings(response, warnings)
    return response


def _add_warnings(response: Response, warnings: Iterable[Finding]) -> None:
    if not warnings:  # the usual case: nothing to remember, no header to add
        return
    for finding in _remember(warnings):
        response.headers.add(WARNING_HEADER, _header_safe(str(finding)))


def _header_safe(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii").replace("\n", " ")[:500]


def require_media_type() -> None:
    """405 ``UNSUPPORTED_MEDIA_TYPE`` unless Content-Type is the operation's media type
    (parameters allowed)."""
    expected = current_operation().media_type
    got = request.mimetype
    if got != expected:
        shown = request.content_type or "no Content-Type header"
        raise Pay1stError("UNSUPPORTED_MEDIA_TYPE",
                          f"send Content-Type: {expected} on {request.method} {request.path}; "
                          f"got {shown}")


def json_body(unknown_fields_are_errors: bool = False) -> tuple[dict[str, Any], list[Finding]]:
    """Parse the body as JSON and check it against the operation's request schema.

    Returns the document and the warnings (unknown fields, which the gateway tolerates as
    Pay1st does; the control API passes ``unknown_fields_are_errors``). Raises
    ``MALFORMED_JSON`` or ``VALIDATION_ERROR`` listing each problem with its JSON path. An
    operation with an optional body reads none (or an empty one) as ``{}``.
    """
    declared = current_operation()
    if declared.request is None:
        raise LookupError(f"view {request.endpoint!r} declares no request schema")
    raw = request.get_data(cache=True)
    if not raw.strip():
        if declared.optional_body:
            return {}, []
        raise Pay1stError("MALFORMED_JSON", "the body is empty; send a JSON object")
    try:
        document = jsontext.loads(raw)
    except UnicodeDecodeError:
        raise Pay1stError("MALFORMED_JSON", "the body is not UTF-8 text; send UTF-8 JSON") from None
    except ValueError as exc:
        raise Pay1stError("MALFORMED_JSON", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise Pay1stError("MALFORMED_JSON", "the body is nested too deeply; send at most a few "
                                            "hundred levels of arrays and objects") from None
    if not isinstance(document, dict):
        raise Pay1stError("VALIDATION_ERROR", "$: expected a JSON object at the top level")
    g.request_document = document  # the journal's observers read it, not the text again
    findings = services().schemas.check(declared.request, document)
    if findings:
        add_findings(findings)
    errors = [f for f in findings if f.severity == "error" or unknown_fields_are_errors]
    if errors:
        g.error_recorded = True  # the findings above say it path by path
        listed = "; ".join(str(f) for f in errors[:_MAX_LISTED])
        more = f" (and {len(errors) - _MAX_LISTED} more)" if len(errors) > _MAX_LISTED else ""
        raise Pay1stError("VALIDATION_ERROR", listed + more)
    return document, [f for f in findings if f.severity != "error"]


def basic_credentials(pair: str = "API_KEY:API_SECRET") -> tuple[str, str] | None:
    """Return the two halves of ``Authorization: Basic``, or None when absent.

    ``pair`` names what the halves are, for the error messages.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise Pay1stError("MISSING_CREDENTIALS",
                          f"Authorization uses {scheme!r}; send Authorization: Basic "
                          f"base64({pair})")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Pay1stError("INVALID_CREDENTIALS",
                          f"Authorization: Basic is not valid Base64 of {pair}") from None
    key, colon, secret = decoded.partition(":")
    if not colon:
        raise Pay1stError("INVALID_CREDENTIALS",
                          f"the Basic credentials have no ':'; encode {pair}")
    return key, secret


def access_partner() -> Partner:
    """Return the partner of the ``AccessToken: Bearer <token>`` header; 401 saying why not."""
    header = request.environ.get("HTTP_ACCESSTOKEN")  # request.headers: dearer, on every call
    if header is None:
        authorization = request.headers.get("Authorization", "")
        if authorization.strip().lower().startswith("bearer"):
            raise Pay1stError("MISSING_ACCESS_TOKEN",
                              "send the token in the AccessToken header as `Bearer <token>`; it "
                              "arrived in Authorization")
        raise Pay1stError("MISSING_ACCESS_TOKEN",
                          "send the header AccessToken: Bearer <accessToken from the token call>")
    scheme, _, token = header.strip().partition(" ")
    if scheme != "Bearer" or not token.strip():
        problem = "without the Bearer prefix" if scheme != "Bearer" else "with no token"
        raise Pay1stError("INVALID_ACCESS_TOKEN",
                          f"the AccessToken header must be `Bearer <token>`; got a value {problem}")
    partner = services().tokens.authenticate(token.strip())
    g.partner_id = partner.id
    admit(partner)
    return partner


def admit(partner: Partner) -> None:
    """Let an identified partner's call through: 429 ``RATE_LIMITED`` beyond the opt-in rate
    limit, then 403 ``ACCESS_DENIED`` when its credentials lack the operation's API group."""
    services().rate_limits.admit(partner.id)
    group = current_operation().access
    if not partner.config.may_use(group):
        allowed = ", ".join(partner.config.access) or "none"
        raise Pay1stError(
            "ACCESS_DENIED",
            f"partner {partner.config.code}'s credentials have no access to the {group} API "
            f"(its access: {allowed}); ask your Pay1st Implementation Manager to enable it — in "
            f"pay1st-mock add {group!r} to the partner's access ([[partners]] access, or PATCH "
            f"/_mock/partners/{partner.id} {{\"access\": [...]}})", partner_id=partner.id)


def note_reference(reference: str) -> None:
    """Name the payment a call is about, for the journal (when its body and query do not)."""
    g.journal_reference = reference


def verify_signature(partner: Partner) -> None:
    """Check ``X-SIGNATURE``/``X-TIMESTAMP`` over the raw body with the partner's signing key,
    as the operation declares: required, or checked only when sent."""
    required = bool(current_operation().signed)
    environ = request.environ  # request.headers.get: an exception raised per absent header
    timestamp, signature = environ.get("HTTP_X_TIMESTAMP"), environ.get("HTTP_X_SIGNATURE")
    if not required and timestamp is None and signature is None:
        return
    svc = services()
    body = request.get_data(cache=True)
    try:
        check_request_signature(
            signing_key=partner.config.signing_key, timestamp=timestamp, signature=signature,
            body=body, now=svc.clock.now(), tolerance=svc.settings.timestamp_tolerance_seconds,
            required=required, wall=svc.clock.wall_now())
    except Pay1stError as error:
        expected = ((timestamp or "") + body.decode("utf-8", "replace")
                    if error.code == "INVALID_SIGNATURE" else None)
        add_findings([Finding("header X-SIGNATURE", error.message, kind="signature",
                              expected=expected)])
        g.error_recorded = True
        raise


def query_parameter(name: str) -> str:
    """Return a mandatory query parameter; 400 ``INVALID_PARAMETER`` when absent or empty."""
    value = request.args.get(name, "").strip()
    if not value:
        raise Pay1stError("INVALID_PARAMETER",
                          f"query parameter {name} is required: {request.path}?{name}=...")
    return value


def int_arg(name: str) -> int | None:
    """A whole-number query parameter (none or empty: ``None``); 400 INVALID_PARAMETER when it
    is not ASCII digits or too long for the store's 64-bit integers."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 18:
        raise Pay1stError("INVALID_PARAMETER",
                          f"query parameter {name} must be a whole number; got {raw!r}")
    return int(raw)


def limit_arg() -> int:
    """The ``limit`` query parameter: 1 to 1000, default 100."""
    limit = int_arg("limit")
    if limit is None:
        return 100
    if not 1 <= limit <= 1000:
        raise Pay1stError("INVALID_PARAMETER",
                          f"query parameter limit must be from 1 to 1000; got {limit}")
    return limit
