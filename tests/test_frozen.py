"""``@frozen`` behaves as ``@dataclass(frozen=True)``: each case builds the same class both ways
and compares what ``==``, ``hash()``, ``repr()`` and the rest answer."""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import pytest

from pay1st_mock.frozen import frozen


def _twins(body: dict[str, Any], annotations: dict[str, str]) -> tuple[type, type]:
    """The same class made by ``@dataclass(frozen=True)`` and by ``@frozen``."""
    made: list[type] = []
    for decorate in (dataclass(frozen=True), frozen):
        namespace = {"__annotations__": dict(annotations), "__qualname__": "Thing",
                     "__module__": __name__, **body}
        made.append(decorate(type("Thing", (), namespace)))
    return made[0], made[1]


CASES: dict[str, tuple[dict[str, Any], dict[str, str], tuple[Any, ...], tuple[Any, ...]]] = {
    "plain": ({"b": 2}, {"a": "int", "b": "int"}, (1,), (1, 3)),
    "one field": ({}, {"a": "str"}, ("x",), ("y",)),
    "no field": ({}, {}, (), ()),
    "not compared": ({"b": field(default=0, compare=False)}, {"a": "int", "b": "int"},
                     (1, 5), (1, 6)),
    "not hashed": ({"b": field(default=0, hash=False)}, {"a": "int", "b": "int"}, (1, 5), (2, 5)),
    "hashed though not compared": (
        {"b": field(default=0, compare=False, hash=True)}, {"a": "int", "b": "int"}, (1, 5),
        (1, 6)),
    "hidden from repr": ({"b": field(default="s3cret", repr=False)}, {"a": "int", "b": "str"},
                         (1,), (1, "other")),
    "mutable default": ({"b": field(default_factory=list)}, {"a": "int", "b": "list[int]"},
                        (1,), (1, [2])),
    "nan": ({}, {"a": "float"}, (float("nan"),), (1.0,)),
}


def _hash_or_error(thing: object) -> object:
    try:
        return hash(thing)
    except TypeError as exc:  # a list field: unhashable, as with dataclass
        return str(exc)


@pytest.mark.parametrize("name", CASES)
def test_answers_as_dataclass_does(name: str) -> None:
    body, annotations, first, second = CASES[name]
    generated, shared = _twins(body, annotations)
    for args_a in (first, second):
        for args_b in (first, second):
            a_gen, b_gen = generated(*args_a), generated(*args_b)
            a_shared, b_shared = shared(*args_a), shared(*args_b)
            assert (a_shared == b_shared) == (a_gen == b_gen)
            assert (a_shared != b_shared) == (a_gen != b_gen)
            assert (a_shared == a_shared) == (a_gen == a_gen)  # the same object, even with NaN
        assert _hash_or_error(shared(*args_a)) == _hash_or_error(generated(*args_a))
        assert repr(shared(*args_a)) == repr(generated(*args_a))
    assert [f.name for f in dataclasses.fields(shared)] == [
        f.name for f in dataclasses.fields(generated)]
    assert vars(shared)["__match_args__"] == vars(generated)["__match_args__"]


def test_other_classes_are_never_equal() -> None:
    generated, shared = _twins({}, {"a": "int"})
    other_generated, other_shared = _twins({}, {"a": "int"})
    assert shared(1) != other_shared(1)
    assert shared(1) != (1,)
    assert shared(1).__eq__(generated(1)) is NotImplemented
    assert generated(1) != other_generated(1)


def test_assignment_raises_and_replace_makes_a_copy() -> None:
    _, shared = _twins({"b": 2}, {"a": "int", "b": "int"})
    thing = shared(1)
    with pytest.raises(FrozenInstanceError):
        thing.a = 5
    with pytest.raises(FrozenInstanceError):
        del thing.b
    changed = dataclasses.replace(thing, b=7)
    assert (thing.b, changed.b) == (2, 7)
    assert dataclasses.asdict(changed) == {"a": 1, "b": 7}
    assert {thing, dataclasses.replace(thing), changed} == {thing, changed}


def test_methods_the_class_defines_are_kept() -> None:
    @frozen
    class Own:
        a: int

        def __repr__(self) -> str:
            return "mine"

        def __eq__(self, other: object) -> bool:
            return True

    assert repr(Own(1)) == "mine"
    assert Own(1) == Own(2)
    # __eq__ alone: Python set __hash__ to None, and dataclass (and @frozen) hash the fields.
    assert hash(Own(1)) == hash(Own(1))

    @frozen
    class OwnHash:
        a: int

        def __hash__(self) -> int:
            return 42

    assert hash(OwnHash(1)) == 42
    assert OwnHash(1) == OwnHash(1) != OwnHash(2)


def test_recursion_shows_dots_and_names_are_the_class_s() -> None:
    generated, shared = _twins({}, {"children": "list[Any]"})
    nodes = generated([]), shared([])
    for node in nodes:
        node.children.append(node)
    assert repr(nodes[1]) == repr(nodes[0]) == "Thing(children=[...])"
    assert shared.__eq__.__qualname__ == generated.__eq__.__qualname__ == "Thing.__eq__"


def test_a_subclass_compares_its_own_fields() -> None:
    @frozen
    class Base:
        a: int

    @frozen
    class Child(Base):
        b: int = 0

    assert Child(1, 2) != Child(1, 3)
    assert Child(1, 2) == Child(1, 2)
    assert Base(1) != Child(1, 0)
    assert repr(Child(1, 2)).endswith("Child(a=1, b=2)")
