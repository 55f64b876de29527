"""``GET /_mock/openapi.json``: the emulator's OpenAPI 3.1 document, generated from the app.

The paths come from ``app.url_map`` itself, so a route cannot be missing from the document;
summaries and descriptions are the views' docstrings; everything else (media types, request and
response schemas, statuses, security, signature headers, query parameters, forms, redirects) is
the ``Operation`` each view declares (``web/operations.py``). The schemas are the JSON Schemas in
``schemas/``, embedded under ``components.schemas``. OpenAPI 3.1 uses JSON Schema
2020-12, our schemas' dialect, so they go in unchanged except that references between them are
rewritten from ``$id`` URIs to ``#/components/schemas/...`` pointers (and ``$id``/``$schema``
dropped) so that any OpenAPI tool resolves them.
"""

from __future__ import annotations

import copy
import inspect
import re
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

from flask import Blueprint, Flask, Response, current_app
from werkzeug.routing import Rule

from pay1st_mock import __version__
from pay1st_mock.errors import ERROR_CODES
from pay1st_mock.schemas import ID_PREFIX, load_schemas
from pay1st_mock.web.http import WARNING_HEADER, json_response
from pay1st_mock.web.operations import JSON, Operation, endpoint_operation

blueprint = Blueprint("openapi", __name__, url_prefix="/_mock")

EXTENSION_KEY = "pay1st_mock.openapi"
OPENAPI_VERSION = "3.1.0"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html"

_COMPONENTS = "#/components/schemas/"
_IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
_METHOD_ORDER = ("get", "put", "post", "delete", "patch")
# Tags in the order a reader meets them; blueprints not listed follow, sorted.
_TAG_ORDER = ("gateway", "checkout", "shop", "legacy", "control", "events", "checklist",
              "shop_control", "dashboard", "openapi", "index")

_CONVERTER_TYPES: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
_RULE_VARIABLE = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?"
                            r"(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")


@blueprint.get("/openapi.json")
@Operation()
def document() -> Response:
    """200 with this OpenAPI 3.1 document, generated from the running app's routes."""
    return json_response(build(current_app))


def build(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of ``app`` (built once per app, then cached)."""
    cached: dict[str, Any] | None = app.extensions.get(EXTENSION_KEY)
    if cached is None:
        cached = _build(app)
        app.extensions[EXTENSION_KEY] = cached
    return cached


def schema_key(path: str) -> str:
    """The ``components.schemas`` key of a schema file: ``gateway/x.json`` → ``gateway_x``."""
    return path.removeprefix(ID_PREFIX).removesuffix(".json").replace("/", "_")


def schema_ref(path: str) -> dict[str, str]:
    """A ``$ref`` to the component of schema file ``path``."""
    return {"$ref": _COMPONENTS + schema_key(path)}


def openapi_path(rule: str) -> str:
    """Turn a Flask rule into an OpenAPI path template: ``<int:id>`` → ``{id}``."""
    return _RULE_VARIABLE.sub(lambda m: "{" + m.group("name") + "}", rule)


def _build(app: Flask) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        methods = sorted(m for m in rule.methods or () if m not in _IGNORED_METHODS)
        item = paths.setdefault(openapi_path(rule.rule), {})
        for method in methods:
            operation_id = rule.endpoint if len(methods) == 1 else (
                f"{rule.endpoint}.{method.lower()}")
            while operation_id in operation_ids:  # one view mounted on several rules
                operation_id += "_"
            operation_ids.add(operation_id)
            item[method.lower()] = _operation(app, rule, method, operation_id)
    for path, item in paths.items():
        paths[path] = {m: item[m] for m in _METHOD_ORDER if m in item}
    used_tags = {op["tags"][0] for item in paths.values() for op in item.values()}
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "pay1st-mock",
            "version": __version__,
            "summary": "A local emulator of Carry1st's Pay1st payment gateway.",
            "description": "The Pay1st Gateway v4 API (`/api/pay1st`), the hosted checkout "
                           "(`/checkout`), the Carry1st Shop (`/shop`, `/payment`, "
                           "`/api/fulfilments/status`), the emulator's control API "
                           "(`/_mock`) and its dashboard (`/_mock/ui`). Every error answered "
                           "as JSON is the Pay1st envelope `{errorMessage, errorCode, "
                           "sessionId}`.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": [_tag(app, name) for name in _tag_names(used_tags)],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _component_schemas(),
            "responses": {"Error": _error_response()},
            "securitySchemes": {
                "basicAuth": {
                    "type": "http", "scheme": "basic",
                    "description": "Token call: `base64(API_KEY:API_SECRET)`. Legacy status "
                                   "query: the product's Basic Auth `username:password`."},
                "AccessToken": {
                    "type": "apiKey", "in": "header", "name": "AccessToken",
                    "description": "`Bearer <accessToken>` from POST /api/pay1st/auth/token "
                                   "(in this header, not in Authorization)."},
            },
        },
    }


def _operation(app: Flask, rule: Rule, method: str, operation_id: str) -> dict[str, Any]:
    endpoint = rule.endpoint
    declared = endpoint_operation(app, endpoint)
    if declared is None:
        raise LookupError(f"view {endpoint!r} declares no Operation (web/operations.py)")
    tag = endpoint.partition(".")[0] if "." in endpoint else "app"
    summary, description = _docstring(app.view_functions.get(endpoint))
    operation: dict[str, Any] = {"tags": [tag], "operationId": operation_id,
                                 "summary": summary or endpoint}
    if declared.access is not None:  # the partner's access list (403) and the rate limit (429)
        description = "\n\n".join(filter(None, [description, (
            f"Needs the partner's `{declared.access}` access (403 `ACCESS_DENIED` otherwise); "
            "with opt-in rate limiting, 429 `RATE_LIMITED` carries `Retry-After`.")]))
    if description:
        operation["description"] = description
    parameters = _path_parameters(rule)
    if method == "GET":
        parameters += [p.as_dict() for p in declared.query]
    if declared.signed is not None:
        parameters += _signature_headers(required=declared.signed and method == "POST")
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(declared, method)
    if body is not None:
        operation["requestBody"] = body
    if declared.security:
        operation["security"] = list(declared.security)
    operation["responses"] = _responses(declared, tag, has_body=body is not None)
    return operation


def _docstring(view: Any) -> tuple[str, str]:
    """The first line of a view's docstring, and the rest, in Markdown."""
    text = (inspect.getdoc(view) or "") if view is not None else ""
    text = text.replace("``", "`")
    first, _, rest = text.strip().partition("\n")
    return first.strip(), rest.strip()


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    parameters = []
    for match in _RULE_VARIABLE.finditer(rule.rule):
        schema = _CONVERTER_TYPES.get(match.group("converter") or "default", {"type": "string"})
        parameters.append({"name": match.group("name"), "in": "path", "required": True,
                           "schema": dict(schema)})
    return parameters


def _signature_headers(required: bool) -> list[dict[str, Any]]:
    when = "Required." if required else "Optional; when one is sent, both must be and valid."
    return [
        {"name": "X-TIMESTAMP", "in": "header", "required": required,
         "description": f"ISO-8601 date-time with a zone, within the tolerance of now. {when}",
         "schema": {"type": "string"}},
        {"name": "X-SIGNATURE", "in": "header", "required": required,
         "description": "Lowercase hex HMAC-SHA256, keyed with the partner's signing key, of "
                        f"X-TIMESTAMP followed by the raw body. {when}",
         "schema": {"type": "string"}},
    ]


def _request_body(declared: Operation, method: str) -> dict[str, Any] | None:
    if declared.request is not None:
        return {"required": not declared.optional_body,
                "content": {declared.media_type: {"schema": schema_ref(declared.request)}}}
    if declared.form is not None and method == "POST":
        return {"required": True, "content": {FORM: {"schema": declared.form.schema()}}}
    return None


def _responses(declared: Operation, tag: str, has_body: bool) -> dict[str, Any]:
    success: dict[str, Any]
    if declared.redirect is not None:
        status = 303
        success = {"description": "See Other: " + declared.redirect,
                   "headers": {"Location": {"description": "Where the browser goes next.",
                                            "schema": {"type": "string",
                                                       "format": "uri-reference"}}}}
    elif declared.page:
        status = 200
        success = {"description": "An HTML page.",
                   "content": {HTML: {"schema": {"type": "string"}}}}
    elif declared.file is not None:
        status = 200
        success = {"description": declared.file,
                   "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}}}
    elif declared.empty_response:
        status = declared.status
        success = {"description": "Done; the body is empty."}
    else:
        status = declared.status
        name = declared.response
        schema: dict[str, Any] = schema_ref(name) if name else {"type": "object"}
        success = {"description": "Success." if name else "Success (no published schema).",
                   "content": {JSON: {"schema": schema}}}
        if declared.also_page:  # what a browser gets when it asks for text/html
            success["content"][HTML] = {"schema": {"type": "string"}}
    if has_body and tag == "gateway":
        success["headers"] = {WARNING_HEADER: {
            "description": "One per tolerated problem in the request, such as an unknown field.",
            "schema": {"type": "string"}}}
    answers: dict[str, Any] = {str(status): success}
    if declared.page or declared.redirect is not None or declared.file is not None:
        answers["default"] = {
            "description": "An error page saying what to fix (a bad link, token, filter or "
                           "form); the pages' own paths answer errors as HTML.",
            "content": {HTML: {"schema": {"type": "string"}},
                        JSON: {"schema": schema_ref("error-response.json")}}}
    else:
        answers["default"] = {"$ref": "#/components/responses/Error"}
    return answers


def _error_response() -> dict[str, Any]:
    listed = "\n".join(f"| {e.status} | `{e.code}` | {e.meaning} |" for e in ERROR_CODES.values())
    return {
        "description": "The Pay1st error envelope. The HTTP status follows from errorCode (a "
                       "429 also carries `Retry-After`, in seconds):\n\n"
                       "| status | errorCode | when |\n| --- | --- | --- |\n" + listed,
        "content": {JSON: {"schema": {**schema_ref("error-response.json"),
                                      "properties": {"errorCode": {"enum": list(ERROR_CODES)}}}}},
    }


def _tag_names(used: set[str]) -> list[str]:
    return [t for t in _TAG_ORDER if t in used] + sorted(used - set(_TAG_ORDER))


def _tag(app: Flask, name: str) -> dict[str, str]:
    bp = app.blueprints.get(name)
    doc = inspect.getdoc(sys.modules.get(bp.import_name)) if bp is not None else None
    if not doc:
        return {"name": name}
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    return {"name": name, "description": paragraph.replace("``", "`")}


def _component_schemas() -> dict[str, Any]:
    """Every schema of ``load_schemas()``, keyed by path, with refs pointing at components."""
    documents = load_schemas().documents
    return {schema_key(uri): _embed(document, uri, documents)
            for uri, document in sorted(documents.items())}


def _embed(document: dict[str, Any], uri: str, documents: Mapping[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    copied.pop("$id", None)
    copied.pop("$schema", None)
    _rewrite_refs(copied, uri, documents)
    return copied


# Keywords whose values are data, not schemas: a "$ref" key in them is not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
# Keywords whose values map names to schemas (so a property may be called "default").
_MAP_KEYWORDS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                           "dependentSchemas"})


def _rewrite_refs(node: Any, base: str, documents: Mapping[str, Any],
                  names_to_schemas: bool = False) -> None:
    """Point every ``$ref`` under ``node`` (relative to ``base``) at a component."""
    if isinstance(node, list):
        for item in node:
            _rewrite_refs(item, base, documents)
        return
    if not isinstance(node, dict):
        return
    if names_to_schemas:
        for value in node.values():
            _rewrite_refs(value, base, documents)
        return
    if "$id" in node:
        raise ValueError(f"{base}: nested $id {node['$id']!r} is not supported")
    ref = node.get("$ref")
    if isinstance(ref, str):
        target, fragment = urldefrag(urljoin(base, ref))
        if target not in documents:
            raise ValueError(f"{base}: $ref {ref!r} names no known schema")
        if fragment and not fragment.startswith("/"):
            raise ValueError(f"{base}: $ref {ref!r} uses an anchor; use a JSON pointer")
        node["$ref"] = _COMPONENTS + schema_key(target) + fragment
    for key, value in node.items():
        if key not in _DATA_KEYWORDS:
            _rewrite_refs(value, base, documents, names_to_schemas=key in _MAP_KEYWORDS)
