"""A JSON Schema turned into one Python predicate, "is this instance valid?", for the common
case: a well-formed request. ``SchemaSet.check`` asks it first and runs jsonschema (which names
every problem with its path) only when it says no.

It must never say yes where jsonschema would find a problem, so it knows only the keywords the
shipped schemas use, with jsonschema's own meaning (draft 2020-12 types, where 1.0 is an
integer and true no number; JSON equality for ``enum`` and ``const``; the ``date-time`` and
``uuid`` formats as jsonschema checks them); any other keyword or format means no predicate,
and jsonschema does all the work. ``tests/test_schema_inlining.py`` holds both to the same
verdicts. Nothing here imports jsonschema: a server that only meets valid bodies never loads it.
"""

from __future__ import annotations

import numbers
import re
import uuid
from collections.abc import Callable
from typing import Any

Predicate = Callable[[Any], bool]

# Annotations, and $defs (their $refs are inlined: a $ref left means no predicate).
_IGNORED = frozenset({"description", "title", "examples", "default", "$comment", "$id",
                      "$schema", "$defs", "deprecated", "readOnly", "writeOnly",
                      "contentMediaType", "contentEncoding", "contentSchema"})


class _Unsupported(Exception):
    """A keyword (or value) this module does not compile: leave the schema to jsonschema."""


def is_type(instance: Any, name: str) -> bool:
    """JSON Schema 2020-12's types, as jsonschema's ``draft202012_type_checker`` decides."""
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "null":
        return instance is None
    if name == "boolean":
        return isinstance(instance, bool)
    if isinstance(instance, bool):
        return False
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float)
                                             and instance.is_integer())
    if name == "number":
        return isinstance(instance, numbers.Number)
    raise _Unsupported(name)


def _date_time(instance: Any) -> bool:
    from rfc3339_validator import (  # type: ignore[import-untyped]  # jsonschema's checker
        validate_rfc3339,
    )

    return not isinstance(instance, str) or bool(validate_rfc3339(instance.upper()))


def _uuid(instance: Any) -> bool:
    if not isinstance(instance, str):
        return True
    try:
        uuid.UUID(instance)
    except ValueError:
        return False
    return all(instance[position] == "-" for position in (8, 13, 18, 23))


_FORMATS: dict[str, Predicate] = {"date-time": _date_time, "uuid": _uuid}
_PLAIN_TYPES: dict[str, type] = {"string": str, "object": dict, "array": list}


def compile_predicate(schema: Any) -> Predicate | None:
    """The predicate of ``schema`` (``$ref``s already inlined), or None when it uses anything
    not compiled here."""
    try:
        return _compile(schema)
    except _Unsupported:
        return None


def _compile(schema: Any) -> Predicate:
    if schema is True:
        return lambda _: True
    if schema is False:
        return lambda _: False
    if not isinstance(schema, dict):
        raise _Unsupported(schema)
    found = [_keyword(key, value, schema) for key, value in schema.items() if key not in _IGNORED]
    checks = [check for check in found if check is not None]
    if len(checks) == 1:
        return checks[0]

    def every(instance: Any) -> bool:  # a loop, not all(genexpr): this runs on every call
        for check in checks:  # noqa: SIM110
            if not check(instance):
                return False
        return True
    return every


def _keyword(key: str, value: Any, schema: dict[str, Any]) -> Predicate | None:
    if key == "type":
        types = tuple(value) if isinstance(value, list) else (value,)
        for name in types:
            is_type(None, name)  # an unknown type name: no predicate
        if len(types) == 1:
            (only,) = types
            python_type = _PLAIN_TYPES.get(only)
            if python_type is not None:  # not bool, not a number: isinstance says it all
                return lambda x: isinstance(x, python_type)
            return lambda x: is_type(x, only)
        return lambda x: any(is_type(x, name) for name in types)
    if key == "properties":
        fields = [(name, _compile(sub)) for name, sub in value.items()]

        def properties(x: Any) -> bool:
            if isinstance(x, dict):
                for name, check in fields:
                    if name in x and not check(x[name]):
                        return False
            return True
        return properties
    if key == "required":
        required = frozenset(value)
        return lambda x: not isinstance(x, dict) or required <= x.keys()
    if key == "additionalProperties":
        if "patternProperties" in schema:
            raise _Unsupported(key)
        known = frozenset(schema.get("properties", {}))
        if value is False:
            return lambda x: not isinstance(x, dict) or x.keys() <= known
        extra = _compile(value)
        return lambda x: not isinstance(x, dict) or all(
            name in known or extra(item) for name, item in x.items())
    if key == "items":
        if "prefixItems" in schema:
            raise _Unsupported(key)
        each = _compile(value)

        def items(x: Any) -> bool:
            if isinstance(x, list):
                for item in x:
                    if not each(item):
                        return False
            return True
        return items
    if key in ("enum", "const"):
        options = [_equals(item) for item in (value if key == "enum" else [value])]
        return lambda x: any(option(x) for option in options)
    if key == "uniqueItems":
        if not value:
            return None
        # Strings only: for other items JSON equality (1 == 1.0, True != 1) decides: jsonschema.
        return lambda x: not isinstance(x, list) or (
            all(isinstance(item, str) for item in x) and len(set(x)) == len(x))
    if key == "propertyNames":
        name_check = _compile(value)
        return lambda x: not isinstance(x, dict) or all(name_check(name) for name in x)
    if key in ("minProperties", "maxProperties"):
        if key == "minProperties":
            return lambda x: not isinstance(x, dict) or len(x) >= value
        return lambda x: not isinstance(x, dict) or len(x) <= value
    if key == "if":
        condition = _compile(value)
        then = _compile(schema.get("then", True))
        otherwise = _compile(schema.get("else", True))
        return lambda x: then(x) if condition(x) else otherwise(x)
    if key in ("then", "else"):
        return None  # with "if"
    if key == "pattern":
        search = re.compile(value).search
        return lambda x: not isinstance(x, str) or search(x) is not None
    if key in ("minLength", "maxLength", "minItems", "maxItems"):
        return _size(key, value)
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _bound(key, value)
    if key == "format":
        if value not in _FORMATS:
            raise _Unsupported(value)
        return _FORMATS[value]
    if key in ("anyOf", "oneOf", "allOf"):
        subs = [_compile(sub) for sub in value]
        if key == "anyOf":
            return lambda x: any(check(x) for check in subs)
        if key == "allOf":
            return lambda x: all(check(x) for check in subs)
        return lambda x: [check(x) for check in subs].count(True) == 1
    if key == "not":
        inner = _compile(value)
        return lambda x: not inner(x)
    raise _Unsupported(key)


def _equals(value: Any) -> Predicate:
    """Equality as JSON Schema means it (``1 == 1.0``, but ``True`` is no number)."""
    if value is None or isinstance(value, bool):
        return lambda x: x is value
    if isinstance(value, str):
        return lambda x: isinstance(x, str) and x == value
    if isinstance(value, int | float):
        return lambda x: is_type(x, "number") and x == value
    raise _Unsupported(value)  # arrays and objects: leave them to jsonschema


def _size(key: str, value: int) -> Predicate:
    kind = list if key.endswith("Items") else str
    if key.startswith("min"):
        return lambda x: not isinstance(x, kind) or len(x) >= value
    return lambda x: not isinstance(x, kind) or len(x) <= value


def _bound(key: str, value: Any) -> Predicate:
    compare: Callable[[Any], bool] = {
        "minimum": lambda x: x >= value, "maximum": lambda x: x <= value,
        "exclusiveMinimum": lambda x: x > value, "exclusiveMaximum": lambda x: x < value,
    }[key]
    return lambda x: not is_type(x, "number") or compare(x)
