"""Each operation's HTTP contract, declared once, beside its view.

A view carries an ``Operation`` (``@Operation(...)`` under the route decorator): the media type
and JSON Schema of its request body, the schema and status of its success answer, its security,
whether it is signed, its query parameters and form fields, and whether it answers a page or a
redirect. The request checks in ``web/http.py`` read it (``json_body()``,
``require_media_type()``, ``verify_signature()``), the OpenAPI document is built from it, and
the tests check every response against it. Adding an endpoint touches the view, its schemas
and its domain code, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

from pay1st_mock.frozen import frozen

JSON = "application/json"
_ATTRIBUTE = "pay1st_operation"

# Security requirements, as OpenAPI writes them; ``{}`` in a list makes the scheme optional.
Security = tuple[dict[str, list[str]], ...]
BASIC_AUTH: Security = ({"basicAuth": []},)
OPTIONAL_BASIC_AUTH: Security = ({"basicAuth": []}, {})
ACCESS_TOKEN: Security = ({"AccessToken": []},)


@frozen
class Param:
    """One query parameter of a GET."""

    name: str
    description: str
    required: bool = False
    type: str = "string"
    extra: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The OpenAPI parameter object."""
        return {"name": self.name, "in": "query", "required": self.required,
                "description": self.description, "schema": {"type": self.type, **dict(self.extra)}}


@frozen
class Form:
    """The fields of an HTML form a page posts (all text, as forms are)."""

    fields: tuple[tuple[str, str], ...]
    required: tuple[str, ...]
    more_fields: str | None = None

    def schema(self) -> dict[str, Any]:
        """The form as a JSON Schema of string fields."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: {"type": "string", "description": text}
                           for name, text in self.fields},
            "required": list(self.required)}
        if self.more_fields:
            schema["additionalProperties"] = {"type": "string", "description": self.more_fields}
        return schema


# Query parameters shared by the control API's and the dashboard's lists.
LIMIT = Param("limit", "How many to answer, newest first: 1 to 1000 (default 100).",
              type="integer", extra=(("minimum", 1), ("maximum", 1000), ("default", 100)))
PARTNER_ID = Param("partnerId", "Only this partner's (404 if no partner has the id).",
                   type="integer")

View = TypeVar("View", bound=Callable[..., Any])


@frozen
class Operation:
    """The contract of one view; used as a decorator, it attaches itself to the view.

    ``request``/``response`` name schemas in ``schemas/`` (``None``: no JSON body, or no
    published schema for the answer). ``signed`` is ``None`` for unsigned operations, ``False``
    where X-SIGNATURE/X-TIMESTAMP are checked when sent, ``True`` where they are required.
    ``redirect`` says where a 303 sends the browser; ``page`` marks views answering HTML;
    ``file`` describes the file (an image) a view answers instead.
    """

    request: str | None = None
    response: str | None = None
    media_type: str = JSON
    optional_body: bool = False
    status: int = 200
    empty_response: bool = False
    security: Security = ()
    access: str | None = None  # the partner API group it belongs to (403 ACCESS_DENIED outside)
    signed: bool | None = None
    query: tuple[Param, ...] = ()
    form: Form | None = None
    redirect: str | None = None
    page: bool = False
    also_page: bool = False  # a JSON view that answers a browser asking for text/html a page
    file: str | None = None

    def __call__(self, view: View) -> View:
        setattr(view, _ATTRIBUTE, self)
        return view


def operation_of(view: Callable[..., Any] | None) -> Operation | None:
    """The operation a view declared, if any."""
    found = getattr(view, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None


def endpoint_operation(app: Flask, endpoint: str) -> Operation | None:
    """The operation declared by the view of ``endpoint`` in ``app``."""
    return operation_of(app.view_functions.get(endpoint))


_OPERATION_ENVIRON = "pay1st_mock.operation"


def current_operation() -> Operation:
    """The operation of the request being handled (a view without one is a programming error);
    found once per request (several checks ask for it)."""
    environ = request.environ
    declared: Operation | None = environ.get(_OPERATION_ENVIRON)
    if declared is None:
        declared = endpoint_operation(current_app, request.endpoint or "")
        if declared is None:
            raise LookupError(f"view {request.endpoint!r} declares no Operation")
        environ[_OPERATION_ENVIRON] = declared
    return declared


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints of ``app`` whose view declares no operation (``static`` excepted)."""
    return sorted(endpoint for endpoint in app.view_functions
                  if endpoint != "static" and endpoint_operation(app, endpoint) is None)
