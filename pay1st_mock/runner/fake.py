"""``{{ fake.METHOD }}``: seeded fake data for scenario templates, always JSON values."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pay1st_mock.runner.templates import TemplateError


def make_fake(rng: random.Random) -> Callable[[str], Any]:
    """A function from a Faker method name to a value, seeded from ``rng``.

    Only argument-free public methods can be used; their results become JSON values (dates as
    ISO-8601 text, decimals as numbers). Anything else is a ``TemplateError`` naming the method.
    """
    cache: list[Any] = []

    def fake(method: str) -> Any:
        if method == "uuid4":  # the common case, without Faker's ~100 ms import
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if not cache:
            from faker import Faker  # imported on first use: it takes ~100 ms

            faker = Faker()
            faker.seed_instance(rng.getrandbits(64))
            cache.append(faker)
        provider = getattr(cache[0], method, None) if not method.startswith("_") else None
        if not callable(provider):
            raise TemplateError(f"{{{{ fake.{method} }}}}: Faker has no {method!r}; try uuid4, "
                                "user_name, email, first_name, phone_number")
        try:
            value = provider()
        except TypeError:
            raise TemplateError(f"{{{{ fake.{method} }}}}: it needs arguments; only "
                                "argument-free Faker methods can be used") from None
        except Exception as exc:  # Faker's own refusals, e.g. UnsupportedFeature
            raise TemplateError(f"{{{{ fake.{method} }}}}: Faker could not make one "
                                f"({type(exc).__name__}: {exc})") from None
        return _json_value(value, method)

    return fake


def _json_value(value: Any, method: str) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [_json_value(item, method) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item, method) for key, item in value.items()}
    raise TemplateError(f"{{{{ fake.{method} }}}}: it makes a {type(value).__name__}, which is "
                        "not a JSON value; choose a method that returns text or numbers")
