"""The JSON Schemas in ``schemas/``: loading, the ``$id`` registry, and readable findings.

Validators are built once per schema and reused. A check returns ``Finding`` objects (what,
where as a JSON path, expected vs got) rather than a boolean, so callers can render them as an
error envelope, a journal entry or a scenario failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache, cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any

from pay1st_mock.frozen import frozen
from pay1st_mock.schema_predicates import Predicate, compile_predicate

if TYPE_CHECKING:  # imported when first needed: a server meeting only valid bodies never is
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

ID_PREFIX = "https://pay1st-mock.local/schemas/"
URL_PATTERN_START = "^https?://"  # the schemas' pattern for webhook, callback and hook URLs

# Errors of these kinds mean "a field we do not know": a typo the partner should hear about,
# but the real gateway ignores unknown fields, so by default they are warnings, not rejections.
_UNKNOWN_FIELD_KINDS = frozenset({"additionalProperties", "unevaluatedProperties"})


@frozen
class Finding:
    """One problem found in a document: a JSON path, a readable message, and its kind."""

    path: str
    message: str
    kind: str = "schema"
    severity: str = "error"
    expected: str | None = None  # e.g. the exact string the signature should cover

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """Return the finding as JSON-ready data."""
        found = {"path": self.path, "message": self.message, "kind": self.kind,
                 "severity": self.severity}
        if self.expected is not None:
            found["expected"] = self.expected
        return found


class SchemaSet:
    """Every schema under ``schemas/``, addressable by ``$id`` or by its relative file name."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents
        self._validators: dict[str, Draft202012Validator] = {}
        self._predicates: dict[str, Predicate | None] = {}

    @cached_property
    def registry(self) -> Registry[Any]:
        """Every schema, by ``$id``, for the ``$ref``s an inlined schema still holds."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        return Registry().with_resources(
            (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
            for uri, doc in self.documents.items())

    def resolve_id(self, name: str) -> str:
        """Return the full ``$id`` for ``name`` (a ``$id`` or a path such as ``gateway/x.json``)."""
        uri = name if name.startswith(ID_PREFIX) else ID_PREFIX + name
        if not uri.endswith(".json"):
            uri += ".json"
        if uri not in self.documents:
            known = ", ".join(sorted(u.removeprefix(ID_PREFIX) for u in self.documents))
            raise KeyError(f"no schema {name!r}; known schemas: {known}")
        return uri

    def validator(self, name: str) -> Draft202012Validator:
        """Return the (cached) validator of schema ``name``.

        It validates a copy of the schema with its ``$ref``s replaced by what they point at
        (``inline_refs``): the same verdicts and errors, about three times faster, since each
        ``$ref`` otherwise costs a registry look-up on every call (most of a Create Payment's
        validation time).
        """
        from jsonschema import Draft202012Validator, FormatChecker

        uri = self.resolve_id(name)
        found = self._validators.get(uri)
        if found is None:
            found = Draft202012Validator(self.inline_refs(uri), registry=self.registry,
                                         format_checker=FormatChecker())
            self._validators[uri] = found
        return found

    def inline_refs(self, uri: str) -> dict[str, Any]:
        """Schema ``uri`` with each ``$ref`` to a known document or one of its ``$defs``
        replaced by its target (also inlined); a ``$ref`` beside validation keywords becomes
        ``allOf: [target]``, and a recursive one is left as it is."""
        document = self.documents[uri]
        inlined = _inline(document, document, self.documents, ())
        assert isinstance(inlined, dict)
        return inlined

    def predicate(self, name: str) -> Predicate | None:
        """Schema ``name`` as one "is it valid?" function (``schema_predicates``), if it
        compiles."""
        uri = self.resolve_id(name)
        if uri not in self._predicates:
            self._predicates[uri] = compile_predicate(self.inline_refs(uri))
        return self._predicates[uri]

    def check(self, name: str, instance: Any) -> list[Finding]:
        """Return every way ``instance`` breaks schema ``name``, as findings sorted by path.

        Unknown-field problems come back with severity ``warning``. A valid instance is told
        by the schema's predicate, about ten times faster than jsonschema finds no error.
        """
        valid = self.predicate(name)
        if valid is not None and valid(instance):
            return []
        errors = sorted(self.validator(name).iter_errors(instance),
                        key=lambda e: (e.json_path, e.validator))
        # dict.fromkeys: one finding per problem even when jsonschema reports it twice
        # (it raises a ``required`` error per missing name, each seeing every missing name).
        return list(dict.fromkeys(finding for error in errors for finding in _findings(error)))


_ANNOTATIONS = frozenset({"description", "title", "examples", "default", "$comment"})
_LITERALS = frozenset({"enum", "const", "examples", "default"})  # values, not schemas


def _inline(node: Any, document: dict[str, Any], documents: dict[str, dict[str, Any]],
            seen: tuple[str, ...]) -> Any:
    """``node`` (inside ``document``) with its ``$ref``s inlined; ``seen``: the refs being
    inlined around it, so a recursive one stops."""
    if isinstance(node, list):
        return [_inline(item, document, documents, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    target = _target(ref, document, documents) if isinstance(ref, str) else None
    if target is None or ref in seen:
        return {key: value if key in _LITERALS else _inline(value, document, documents, seen)
                for key, value in node.items()}
    assert isinstance(ref, str)
    target_document, target_node = target
    inlined = _inline(target_node, target_document, documents, (*seen, ref))
    if isinstance(inlined, dict) and '"$ref"' not in json.dumps(inlined):
        # An embedded document's $id would make it a resource of its own: drop what only
        # mattered for resolving refs, now that none is left.
        inlined = {k: v for k, v in inlined.items() if k not in ("$id", "$schema", "$defs")}
    rest = {key: value if key in _LITERALS else _inline(value, document, documents, seen)
            for key, value in node.items() if key != "$ref"}
    if set(rest) <= _ANNOTATIONS and isinstance(inlined, dict):
        return {**inlined, **rest}
    return {**rest, "allOf": [inlined]}


def _target(ref: str, document: dict[str, Any], documents: dict[str, dict[str, Any]]
            ) -> tuple[dict[str, Any], Any] | None:
    """The document and node a ``$ref`` points at (a known ``$id``, ``#/…`` JSON pointer)."""
    base, _, fragment = ref.partition("#")
    target_document = documents.get(base) if base else document
    if target_document is None or (fragment and not fragment.startswith("/")):
        return None
    node: Any = target_document
    for part in fragment.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return target_document, node


@cache
def load_schemas() -> SchemaSet:
    """Load every schema shipped in the package (once per process; the set is immutable)."""
    documents: dict[str, dict[str, Any]] = {}
    root = resources.files("pay1st_mock") / "schemas"
    for entry in _walk(root):
        document = json.loads(entry.read_text(encoding="utf-8"))
        documents[document["$id"]] = document
    return SchemaSet(documents)


def _walk(folder: Any) -> Iterator[Any]:
    for entry in sorted(folder.iterdir(), key=lambda e: str(e.name)):
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.name.endswith(".json"):
            yield entry


def describe(value: Any) -> str:
    """Describe a JSON value for a message: its JSON type and a short rendering."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {json.dumps(shown)}"
    if isinstance(value, int | float) or type(value).__name__ == "Decimal":
        return f"the number {value}"
    if isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    return "an object"


_TYPE_NAMES = {"string": "a string", "number": "a number", "integer": "an integer",
               "object": "an object", "array": "an array", "boolean": "a boolean", "null": "null"}


def _type_text(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in names)


def _findings(error: ValidationError) -> list[Finding]:
    """Turn one jsonschema error into findings whose message says expected vs got."""
    path, kind = error.json_path, str(error.validator)
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if kind in _UNKNOWN_FIELD_KINDS and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {})) if isinstance(schema, dict) else []
        extras = [key for key in instance if key not in allowed]
        return [Finding(_child(path, key), "unknown field; expected one of: " + ", ".join(allowed),
                        kind="unknown-field", severity="warning") for key in extras]
    if kind == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        return [Finding(_child(path, name), "required field is missing") for name in missing]
    messages = {
        "type": lambda: f"expected {_type_text(value)}, got {describe(instance)}",
        "const": lambda: f"expected {json.dumps(value)}, got {describe(instance)}",
        "enum": lambda: "expected one of " + ", ".join(json.dumps(v) for v in value)
        + f", got {describe(instance)}",
        "pattern": lambda: (f"expected an http:// or https:// URL, got {describe(instance)}"
                            if str(value).startswith(URL_PATTERN_START) else
                            f"expected text matching {value}, got {describe(instance)}"),
        "minLength": lambda: f"expected at least {value} character(s), got {len(instance)}",
        "maxLength": lambda: f"expected at most {value} characters, got {len(instance)}",
        "minItems": lambda: f"expected at least {value} item(s), got {len(instance)}",
        "maxItems": lambda: f"expected at most {value} items, got {len(instance)}",
        "minimum": lambda: f"expected a number ≥ {value}, got {instance}",
        "maximum": lambda: f"expected a number ≤ {value}, got {instance}",
        "exclusiveMinimum": lambda: f"expected a number > {value}, got {instance}",
        "exclusiveMaximum": lambda: f"expected a number < {value}, got {instance}",
        "format": lambda: f"expected a {value} string, got {describe(instance)}",
    }
    if kind in ("anyOf", "oneOf") and error.context:
        # "expected an integer or text matching ^[1-5]xx$, got the string "200""
        wanted = dict.fromkeys(_expectation(sub) for sub in error.context
                               if sub.json_path == path)
        if wanted:
            return [Finding(path, f"expected {' or '.join(wanted)}, got {describe(instance)}")]
    if kind == "not" and isinstance(value, dict) and "required" in value:
        together = " and ".join(value["required"])
        return [Finding(path, f"expected at most one of {together}, got both")]
    render = messages.get(kind)
    return [Finding(path, render() if render else error.message)]


def _expectation(error: ValidationError) -> str:
    """What one alternative of an anyOf/oneOf wanted, as a phrase."""
    kind = str(error.validator)
    value: Any = error.validator_value
    if kind in ("anyOf", "oneOf") and error.context:
        return " or ".join(dict.fromkeys(_expectation(sub) for sub in error.context
                                         if sub.json_path == error.json_path))
    phrases = {"type": lambda: _type_text(value), "const": lambda: json.dumps(value),
               "pattern": lambda: f"text matching {value}",
               "enum": lambda: "one of " + ", ".join(json.dumps(v) for v in value),
               "minimum": lambda: f"a number ≥ {value}", "maximum": lambda: f"a number ≤ {value}"}
    render = phrases.get(kind)
    return render() if render else error.message


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"
