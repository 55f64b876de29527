"""``{{ ... }}`` templates in scenario values.

A string that is exactly one template keeps the type of what it names (``"{{ bundle.id }}"``
renders to the integer); templates inside longer text are rendered as text. Names are dotted
paths with ``[n]`` indexes into the context's namespaces: ``vars``, ``steps``, ``env``,
``fake``, ``partner``, ``product``, ``bundle``, ``limits``. Numbers can be added and subtracted
(``{{ vars.balance + bundle.tokens }}``), which is enough to state an expected balance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_DIGITS = re.compile(r"[0-9]+")
_ARITHMETIC = re.compile(r"\s+([+-])\s+")
_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


class TemplateError(Exception):
    """A template that cannot be rendered; the message names it and what is available."""


class Context:
    """What templates can name. ``fake`` is a function from a Faker method name to a value."""

    def __init__(self, namespaces: Mapping[str, Any], fake: Callable[[str], Any]) -> None:
        self.namespaces = namespaces
        self.fake = fake

    def evaluate(self, expression: str) -> Any:
        """The value of ``name``, or of ``name + name - 2`` when every term is a number."""
        terms = _ARITHMETIC.split(expression)
        if len(terms) == 1:
            return self.lookup(expression)
        total: int | float = 0
        sign = 1
        for index, term in enumerate(terms):
            if index % 2:
                sign = 1 if term == "+" else -1
                continue
            value = _integer(term, expression) if _DIGITS.fullmatch(term) else self.lookup(term)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TemplateError(f"{{{{ {expression} }}}}: {term} is not a number, so it "
                                    "cannot be added or subtracted")
            total += sign * value
        return total

    def lookup(self, expression: str) -> Any:
        """Return the value ``expression`` (e.g. ``steps.create.body.reference``) names."""
        parts = _parse(expression)
        head = str(parts[0])
        if head == "fake":
            if len(parts) != 2 or not isinstance(parts[1], str):
                raise TemplateError(f"{{{{ {expression} }}}}: write fake.METHOD, e.g. "
                                    "fake.uuid4 or fake.user_name")
            return self.fake(parts[1])
        if head not in self.namespaces:
            raise TemplateError(f"{{{{ {expression} }}}}: unknown name {head!r}; templates start "
                                "with one of: " + ", ".join([*sorted(self.namespaces), "fake"]))
        value: Any = self.namespaces[head]
        walked = str(head)
        for part in parts[1:]:
            value = _step_into(value, part, walked, expression)
            walked += f"[{part}]" if isinstance(part, int) else f".{part}"
        return value


def render(value: Any, context: Context) -> Any:
    """Return ``value`` with every template in it (at any depth) filled from ``context``."""
    if isinstance(value, str):
        return render_text(value, context)
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    return value


def render_text(text: str, context: Context) -> Any:
    """Render one string; a whole-string template keeps its value's type."""
    whole = TEMPLATE.fullmatch(text)
    if whole:
        return context.evaluate(whole.group(1))
    return TEMPLATE.sub(lambda match: _as_text(context.evaluate(match.group(1))), text)


def _integer(term: str, expression: str) -> int:
    try:
        return int(term)
    except ValueError:  # beyond Python's limit on digits in a number
        raise TemplateError(f"{{{{ {expression} }}}}: the number {term[:20]}… is too "
                            "long") from None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _parse(expression: str) -> list[str | int]:
    parts: list[str | int] = []
    position = 0
    while position < len(expression):
        match = _PART.match(expression, position)
        if match is None or (position == 0 and match.group(0).startswith(".")):
            raise TemplateError(f"{{{{ {expression} }}}}: cannot read it at "
                                f"{expression[position:]!r}; write names joined by dots, with "
                                "[n] for list items, e.g. steps.order.body.products[0].sku")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if not parts or not isinstance(parts[0], str):
        raise TemplateError(f"{{{{ {expression} }}}}: empty template")
    return parts


def _step_into(value: Any, part: str | int, walked: str, expression: str) -> Any:
    if isinstance(part, int):
        if isinstance(value, list) and -len(value) <= part < len(value):
            return value[part]
        size = f"has {len(value)} item(s)" if isinstance(value, list) else "is not a list"
        raise TemplateError(f"{{{{ {expression} }}}}: {walked} {size}")
    if isinstance(value, Mapping) and part in value:
        return value[part]
    if isinstance(value, Mapping):
        known = ", ".join(sorted(map(str, value))) or "nothing yet"
        raise TemplateError(f"{{{{ {expression} }}}}: {walked} has no {part!r}; it has: {known}")
    raise TemplateError(f"{{{{ {expression} }}}}: {walked} is {type(value).__name__}, not an "
                        f"object, so it has no {part!r}")
