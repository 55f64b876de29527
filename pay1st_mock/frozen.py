"""``@frozen``: ``@dataclass(frozen=True)``, with ``==``, ``hash()`` and ``repr()`` shared
instead of compiled for each class.

Python 3.11's ``dataclass`` writes every method it adds as source text and compiles it
(``exec``), about 65 µs a method. The emulator's ~50 frozen classes made that the largest part
of its own start: measured in-process, ``__repr__``, ``__eq__`` and ``__hash__`` were 15 of the
40 ms compiled. Here those three are closures over each class's field names, built from code
compiled once, and behave as the generated ones do:

- ``a == b`` compares the ``compare`` fields, in order, when both are of exactly the same class
  (``NotImplemented`` otherwise);
- ``hash(a)`` hashes the fields ``dataclass`` would hash (``compare`` ones unless ``hash=`` says);
- ``repr(a)`` is ``Name(field=value, ...)`` over the ``repr`` fields, ``...`` on recursion.

A method the class body defines itself is kept, as ``dataclass`` keeps it. ``__init__`` and the
frozen ``__setattr__``/``__delattr__`` are still ``dataclass``'s own: assigning to a field
raises ``FrozenInstanceError``, and ``fields()``, ``replace()`` and ``asdict()`` work as usual.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

Cls = TypeVar("Cls", bound=type)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: Cls) -> Cls:
    """Make ``cls`` a frozen dataclass (see the module's docstring for what differs in cost)."""
    dataclasses.dataclass(frozen=True, repr=False, eq=False)(cls)  # adds to cls, in place
    all_fields = dataclasses.fields(cls)
    compared = _getter([f.name for f in all_fields if f.compare])
    hashed = _getter([f.name for f in all_fields if (f.compare if f.hash is None else f.hash)])
    shown = [f.name for f in all_fields if f.repr]

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({values})"

    own = vars(cls)
    # A body defining __eq__ alone gets __hash__ = None from Python: dataclass replaces that.
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    for method in (__eq__, __hash__, __repr__):
        name = method.__name__
        if name in own and (name != "__hash__" or explicit_hash):
            continue
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)
    return cls


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The named attributes of an object, always as a tuple (as dataclass compares them)."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()
