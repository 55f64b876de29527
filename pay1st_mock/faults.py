"""Fault injection: make the next N matching requests (or a seeded share of them) slow, fail,
or drop, and make webhook deliveries late, doubled or out of order (design.md §6).

Faults live in memory, per app; a full reset clears them. Matching is by HTTP method, a path
glob and, when given, the partner the request or delivery belongs to.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from pay1st_mock.frozen import frozen


@frozen
class Fault:
    """One injected fault and how many more times it fires (None: until cleared)."""

    id: int
    target: str  # "request" or "webhook"
    action: dict[str, Any]
    method: str | None = None
    path: str = "*"
    partner_id: int | None = None
    remaining: int | None = 1
    probability: float = 1.0
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        return {"id": self.id, "target": self.target, "method": self.method, "path": self.path,
                "partnerId": self.partner_id, "remaining": self.remaining,
                "probability": self.probability, "action": self.action, "fired": self.fired}


@dataclass
class FaultBook:
    """The faults in force; thread-safe. ``seed`` makes probabilistic faults repeatable."""

    seed: int | None = None
    _faults: list[Fault] = field(default_factory=list)
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def add(self, target: str, action: dict[str, Any], method: str | None = None,
            path: str = "*", partner_id: int | None = None, count: int | None = 1,
            probability: float = 1.0) -> Fault:
        """Register a fault and return it."""
        with self._lock:
            fault = Fault(self._next_id, target, action, method.upper() if method else None,
                          path, partner_id, count, probability)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def all(self) -> list[Fault]:
        """The faults still in force."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def __bool__(self) -> bool:
        """Whether any fault is in force (read without the lock: a hint for the hot path)."""
        return bool(self._faults)

    def take(self, target: str, method: str | None, path: str,
             partner_id: int | None) -> dict[str, Any] | None:
        """The action of the first fault matching this request or delivery, consuming one use."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.target != target or (fault.method and fault.method != method):
                    continue
                if not fnmatch.fnmatchcase(path, fault.path):
                    continue
                if fault.partner_id is not None and fault.partner_id != partner_id:
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                remaining = None if fault.remaining is None else fault.remaining - 1
                if remaining == 0:
                    del self._faults[index]
                else:
                    self._faults[index] = replace(fault, remaining=remaining,
                                                  fired=fault.fired + 1)
                return fault.action
        return None
