"""The validators run on schemas with their ``$ref``s inlined, and a valid instance is told by a
compiled predicate (issue 18: three and ten times faster). They must judge exactly as the
schemas as written: same verdicts, same findings, same paths, same messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from pay1st_mock.schemas import SchemaSet, _findings, load_schemas

SCHEMAS = load_schemas()
GENERIC = [None, 0, -1, 1.5, 10**13, True, "", "x", "NG", "https://a.example/x", [], [{}], {},
           {"unknown": 1}]
_WRONG = [None, "x", -5, 1.5, [], {}, True, "", "not a url", 10**13]


def _original_check(schemas: SchemaSet, uri: str, instance: Any) -> list[str]:
    validator = Draft202012Validator(schemas.documents[uri], registry=schemas.registry,
                                     format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=lambda e: (e.json_path, e.validator))
    return [str(f) for f in dict.fromkeys(f for e in errors for f in _findings(e))]


def _sample(schema: Any, depth: int = 0) -> Any:
    """A plausible instance of an (inlined) schema: consts, first enum values, typed values."""
    if not isinstance(schema, dict) or depth > 6:
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _sample(schema[key][0], depth + 1)
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        return {name: _sample(sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_sample(schema.get("items", {}), depth + 1)]
    return {"string": "NG", "integer": 1, "number": 100, "boolean": True}.get(str(kind))


def _variants(sample: Any) -> Iterator[Any]:
    """The sample, then with each top-level or nested field dropped or given a wrong value."""
    yield sample
    if isinstance(sample, dict):
        for key in sample:
            yield {k: v for k, v in sample.items() if k != key}
            for wrong in _WRONG:
                yield {**sample, key: wrong}
            for inner in _variants(sample[key]):
                yield {**sample, key: inner}
    elif isinstance(sample, list) and sample:
        for inner in _variants(sample[0]):
            yield [inner, *sample[1:]]


@pytest.mark.parametrize("uri", sorted(SCHEMAS.documents))
def test_inlined_validator_judges_like_the_schema_as_written(uri: str) -> None:
    inlined = SCHEMAS.inline_refs(uri)
    instances = [*GENERIC, *_variants(_sample(inlined))]
    assert len(instances) > 5
    valid = SCHEMAS.predicate(uri)
    assert valid is not None, f"{uri} uses a keyword schema_predicates does not compile"
    for instance in instances[:400]:
        expected = _original_check(SCHEMAS, uri, instance)
        got = [str(f) for f in SCHEMAS.check(uri, instance)]
        assert got == expected, (
            f"{uri}: the inlined schema judges {json.dumps(instance)[:300]} differently")
        assert valid(instance) == (expected == []), (
            f"{uri}: the predicate says {valid(instance)} of {json.dumps(instance)[:300]}; "
            f"jsonschema found {expected}")


@pytest.mark.parametrize(("schema", "instance"), [
    ({"enum": [1, 2]}, 1.0), ({"const": True}, 1), ({"type": "integer"}, 1.0),
    ({"type": "integer"}, True), ({"type": "number"}, False), ({"minimum": 0}, "x"),
    ({"maxLength": 2}, "ééé"), ({"format": "date-time"}, "2026-13-01T00:00:00Z"),
    ({"patternProperties": {"^a": {"type": "string"}}, "additionalProperties": False},
     {"ab": 1}),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 3),
    ({"not": {"required": ["a", "b"]}}, {"a": 1, "b": 2}),
])
def test_the_predicate_agrees_with_jsonschema_on_its_edges(schema: dict[str, Any],
                                                          instance: Any) -> None:
    uri = "https://pay1st-mock.local/schemas/test/edge.json"
    schemas = SchemaSet({uri: {"$id": uri, **schema}})
    valid = schemas.predicate(uri)
    expected = _original_check(schemas, uri, instance) == []
    assert valid is None or valid(instance) == expected, (
        f"{schema} on {instance!r}: the predicate says {valid(instance)}, jsonschema {expected}")


def test_every_shipped_ref_is_inlined() -> None:
    left = [uri for uri in SCHEMAS.documents if '"$ref"' in json.dumps(SCHEMAS.inline_refs(uri))]
    assert left == [], f"$ref left (each costs a registry look-up per call): {left}"


def test_a_recursive_ref_is_left_alone_and_still_validates() -> None:
    uri = "https://pay1st-mock.local/schemas/test/tree.json"
    tree = {"$id": uri, "type": "object", "properties": {
        "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}}}
    schemas = SchemaSet({uri: tree})
    assert '"$ref": "#"' in json.dumps(schemas.inline_refs(uri))
    bad = {"name": "a", "children": [{"name": 1}]}
    assert [str(f) for f in schemas.check(uri, bad)] == _original_check(schemas, uri, bad)
    assert schemas.check(uri, bad), "the nested wrong name must be found"


def test_a_ref_beside_validation_keywords_keeps_both() -> None:
    uri = "https://pay1st-mock.local/schemas/test/both.json"
    schema = {"$id": uri, "$defs": {"short": {"type": "string", "maxLength": 3}},
              "properties": {"code": {"$ref": "#/$defs/short", "pattern": "^[A-Z]+$"}}}
    schemas = SchemaSet({uri: schema})
    for instance in ({"code": "ABCD"}, {"code": "ab"}, {"code": "AB"}, {"code": 5}):
        assert [str(f) for f in schemas.check(uri, instance)] == \
            _original_check(schemas, uri, instance)
    assert len(schemas.check(uri, {"code": "abcd"})) == 2  # too long and not upper case
