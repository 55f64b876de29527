"""What a scenario's steps share: the run state, the two ways a step stops, small helpers."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from pay1st_mock.runner.emulator import Emulator, EmulatorError
from pay1st_mock.runner.results import Observation, parse_body
from pay1st_mock.runner.target import Target
from pay1st_mock.shop.catalogue import Product

PARTNER_TIMEOUT = 30.0  # seconds to wait for the partner when a step sets no latency bound
POLL_SECONDS = 0.005  # a journal or delivery read costs ~1 ms; webhooks land in a few ms

T = TypeVar("T")


class StepError(Exception):
    """The step could not be carried out (not a failed check): a config gap, an unreachable
    emulator, a template naming nothing."""


@dataclass
class RunState:
    """What actions share within one scenario."""

    target: Target
    emulator: Emulator
    session: requests.Session
    random: random.Random
    variables: dict[str, Any] = field(default_factory=dict)
    journal_floor: int = 0  # calls with an id above this were made during the scenario

    def partner_timeout(self, expect: Mapping[str, Any]) -> float:
        """How long to wait for the partner: a little past the latency bound, if there is one."""
        bound = expect.get("max_latency_ms")
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            return PARTNER_TIMEOUT  # none, or not a number (the latency check says so)
        return bound / 1000 * 1.2 + 0.5

    def uuid(self) -> str:
        """A UUID from the scenario's seeded randomness."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def reference(self) -> str:
        """A fresh Pay1st-shaped payment reference (``C-`` + 15 digits + ``-P``)."""
        return "C-" + "".join(str(self.random.randrange(10)) for _ in range(15)) + "-P"

    def player_id(self) -> str:
        """The scenario's player: ``vars.player_id``, else the config's ``[run] player_id``."""
        return str(self.variables.get("player_id", self.target.player_id))


Action = Callable[[RunState, Mapping[str, Any], Mapping[str, Any]], list[Observation]]


class StepFailed(Exception):
    """The step ran and the partner's behaviour is wrong in a way no ``expect`` can express
    (a call that never came, or came too often)."""

    def __init__(self, message: str, observations: list[Observation] | None = None) -> None:
        super().__init__(message)
        self.observations = observations or []


def product_of(state: RunState) -> Product:
    """The partner under test's Shop product; a ``StepError`` saying how to add one."""
    product = state.target.product
    if product is None:
        partner_id = state.target.partner.id
        raise StepError(f"the partner under test (id {partner_id}) has no Shop product: add a "
                        f"[[products]] entry with partner_id = {partner_id} to the config")
    return product


def emulator_call(call: Callable[[], T]) -> T:
    """``call()``, with the emulator's refusal turned into a ``StepError``."""
    try:
        return call()
    except EmulatorError as exc:
        raise StepError(str(exc)) from None


def compact_json(body: Any) -> bytes:
    """JSON without spaces, as Pay1st's own examples are sent (and signed)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def written(body: Any, body_format: str = "compact", float_fields: tuple[str, ...] = ()) -> bytes:
    """A webhook body's bytes: ``compact``, or ``pretty`` — indented, ``/`` escaped as ``\\/``
    and the ``float_fields`` written as ``100.0`` — bytes no JSON re-serialisation gives back,
    so only a partner that verifies the raw bytes accepts them."""
    if body_format == "compact":
        return compact_json(body)
    shown = {k: float(v) if k in float_fields and isinstance(v, int | float)
             and not isinstance(v, bool) else v for k, v in body.items()}
    return json.dumps(shown, indent=2).replace("/", "\\/").encode()


def as_number(value: Any) -> int | float:
    """A price as JSON shows it: ``1000``, not ``1000.0``."""
    return int(value) if value == int(value) else float(value)


def query_text(value: Any) -> str:
    """A query parameter's text; booleans as JSON spells them."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def answers_of(calls: list[dict[str, Any]]) -> str:
    """``the emulator answered 404 PAYMENT_NOT_FOUND: <its message>`` for each distinct answer."""
    seen: dict[str, None] = {}
    for call in calls:
        body = parse_body(call["responseBody"])
        if isinstance(body, dict) and "errorMessage" in body:
            seen[f"{call['status']} {body.get('errorCode', '')}: {body['errorMessage']}"] = None
        else:
            seen[str(call["status"])] = None
    return "the emulator answered " + "; then ".join(seen)
