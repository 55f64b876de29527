"""Hypothesis properties of the scenario runner's pure parts: templates and the scenario loader.

Every property runs derandomized (no example database), so CI sees the same examples each run.
The bugs these properties found here (odd digits and over-long numbers in template arithmetic
and scenario files, non-JSON Faker values, Faker's own exceptions, deep nesting) are fixed; the
tests beside each property pin them. Signatures and X-TIMESTAMP:
``test_signature_properties.py``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.fake import make_fake
from pay1st_mock.runner.model import (
    ACTIONS,
    Problem,
    Scenario,
    ScenarioFileError,
    check_document,
    load_scenario,
    parse_scenario,
)
from pay1st_mock.runner.target import build_target
from pay1st_mock.runner.templates import Context, TemplateError, render, render_text
from tests.reliability.strategies import PROPERTY, identifiers, json_scalars, json_values

# -- scenario templates -------------------------------------------------------------------------

plain_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20).filter(lambda s: "{{" not in s)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)


def identical(left: Any, right: Any) -> bool:
    """Equal and of the same JSON type all the way down (``True`` is not ``1``, nor 1.0)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(identical(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(identical, left, right))
    if isinstance(left, float):
        return repr(left) == repr(right)  # -0.0 is not 0.0
    return bool(left == right)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """An engine only for its Faker (nothing is sent), as tests/runner/test_templates.py."""
    built = Engine(build_target(Settings(data=MEMORY)), "http://127.0.0.1:9", seed=1)
    yield built
    built.session.close()


def no_fake(method: str) -> Any:
    raise AssertionError(f"fake.{method} was not expected")


@PROPERTY
@given(value=plain_values)
def test_values_without_templates_render_unchanged(value: Any) -> None:
    rendered = render(value, Context({"vars": {}}, no_fake))
    assert identical(rendered, value)


@PROPERTY
@given(name=identifiers, value=json_values, inner=st.sampled_from(["", " ", "  ", "\t", "\n"]),
       nested=st.booleans())
def test_a_whole_string_template_keeps_its_type(name: str, value: Any, inner: str,
                                                nested: bool) -> None:
    if nested:  # reached through an object and a list index
        namespaces: dict[str, Any] = {"vars": {"outer": [{name: value}]}}
        path = f"vars.outer[0].{name}"
    else:
        namespaces, path = {"vars": {name: value}}, f"vars.{name}"
    context = Context(namespaces, no_fake)
    assert identical(render_text(f"{{{{{inner}{path}{inner}}}}}", context), value)
    assert identical(render({"k": [f"{{{{ {path} }}}}"]}, context), {"k": [value]})


@PROPERTY
@given(name=identifiers, value=json_values,
       prefix=st.text(max_size=10).filter(lambda s: not set(s) & set("{}")),
       suffix=st.text(min_size=1, max_size=10).filter(lambda s: not set(s) & set("{}")))
def test_a_template_inside_text_renders_as_text(name: str, value: Any, prefix: str,
                                                suffix: str) -> None:
    shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    rendered = render_text(f"{prefix}{{{{ vars.{name} }}}}{suffix}",
                           Context({"vars": {name: value}}, no_fake))
    assert rendered == f"{prefix}{shown}{suffix}"


# Faker methods the soup may name: argument-free ones returning JSON values, the three kinds of
# refusal (unknown, private, needs arguments), non-JSON values (dates, decimals) and a method
# that fails inside Faker (image, without Pillow).
FAKES = ["uuid4", "user_name", "email", "first_name", "phone_number", "random_int", "word",
         "pybool", "no_such_method", "_private", "parse", "past_date", "pydecimal", "image"]
FRAGMENTS = ["{{", "}}", "{{ ", " }}", "{", "}", " + ", " - ", "+", "-", ".", "[", "]", "[0]",
             "[1]", "[-1]", "[99]", "vars", "steps", "env", "partner", "nope", "vars.n",
             "vars.price", "vars.name", "vars.items", "vars.obj", "vars.obj.b", "vars.flag",
             "steps.create.body", "env.HOME", "2", "10", "٣", "0x1", "1.5", " ", "\n",
             *[f"fake.{name}" for name in FAKES]]
template_soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)),
                         max_size=12).map("".join)


def soup_context(engine: Engine) -> Context:
    return Context({
        "vars": {"n": 5, "price": 2.5, "name": "Ada", "flag": True,
                 "items": [{"sku": "A"}, {"sku": "B"}], "obj": {"a": 1, "b": [1, 2]}},
        "steps": {"create": {"status": 201, "body": {"reference": "C-1-P"}}},
        "env": {"HOME": "/root"},
        "partner": {"code": "SANDBOX", "id": 1},
    }, make_fake(random.Random(7)))


@PROPERTY
@given(text=st.one_of(st.text(max_size=40), template_soup))
def test_any_text_renders_or_is_a_template_error(engine: Engine, text: str) -> None:
    try:
        rendered = render_text(text, soup_context(engine))
    except TemplateError as error:
        assert str(error)
    else:
        json.dumps(rendered)  # a JSON value, as every scenario value must be
        if "{{" not in text:
            assert rendered == text


@pytest.mark.parametrize("text", [
    pytest.param("{{ vars.n + ² }}", id="superscript-two"),
    pytest.param("{{ vars.n + " + "1" * 4301 + " }}", id="4301-digits"),
])
def test_odd_number_term_is_a_template_error(text: str) -> None:
    with pytest.raises(TemplateError):
        render_text(text, Context({"vars": {"n": 5}}, no_fake))


@pytest.mark.parametrize("text", [
    pytest.param("born {{ fake.past_date }}", id="date-in-text"),
    pytest.param("{{ fake.past_date }}", id="date-whole"),
    pytest.param("{{ fake.pydecimal }}", id="decimal-whole"),
])
def test_non_json_faker_values_are_template_errors(engine: Engine, text: str) -> None:
    try:
        rendered = render_text(text, soup_context(engine))
    except TemplateError:
        return
    json.dumps(rendered)


def test_failing_faker_method_is_a_template_error(engine: Engine) -> None:
    try:
        rendered = render_text("{{ fake.image }}", soup_context(engine))
    except TemplateError:
        return
    json.dumps(rendered)


# -- the scenario loader ------------------------------------------------------------------------

SIGNATURES = ["valid", "missing", "wrong", "stale", "bogus"]
SCENARIO_FILES = sorted((Path(__file__).parents[2] / "scenarios").rglob("*.json"))
REAL_SCENARIOS = [json.loads(path.read_text(encoding="utf-8")) for path in SCENARIO_FILES]
header_maps = st.dictionaries(st.text(max_size=6), json_scalars, max_size=3)
# Arguments close to what each action takes (so some documents are valid), else anything.
LIKELY_ARGUMENTS: dict[str, st.SearchStrategy[Any]] = {
    "advance_clock": st.fixed_dictionaries({"seconds": st.one_of(st.floats(0, 600), json_scalars)}),
    "http": st.fixed_dictionaries(
        {"url": st.one_of(st.just("http://127.0.0.1:9/x"), json_scalars)},
        optional={"method": st.sampled_from(["GET", "POST", "get", 1]), "headers": header_maps,
                  "query": header_maps, "json": json_values}),
    "summary_webhook": st.fixed_dictionaries({}, optional={
        "signature": st.sampled_from(SIGNATURES), "body": json_values,
        "repeat": json_scalars}),
    "no_call": st.fixed_dictionaries({"path": st.sampled_from(["/x", "x", ""])},
                                     optional={"for_seconds": json_scalars}),
    "wait_for_call": st.fixed_dictionaries({"path": st.sampled_from(["/x", "x"])},
                                           optional={"within_seconds": json_scalars}),
}


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    """A step: a name, usually one action (sometimes none or two), optional extras."""
    step: dict[str, Any] = {"name": draw(st.one_of(st.text(max_size=10), json_scalars))}
    count = draw(st.sampled_from([1, 1, 1, 0, 2]))
    for action in draw(st.lists(st.sampled_from(ACTIONS), min_size=count, max_size=count,
                                unique=True)):
        likely = LIKELY_ARGUMENTS.get(action, json_values)
        step[action] = draw(st.one_of(likely, json_values))
    extras = draw(st.fixed_dictionaries({}, optional={
        "id": st.one_of(st.sampled_from(["a", "b"]), json_scalars),
        "why": json_scalars,
        "expect": st.one_of(json_values, st.fixed_dictionaries({}, optional={
            "status": json_scalars, "headers": header_maps, "body": json_values})),
        "capture": st.one_of(json_values, header_maps),
    }))
    return {**step, **extras}


scenario_documents = st.fixed_dictionaries(
    {"steps": st.one_of(st.lists(steps(), max_size=4), json_values)},
    optional={"version": st.sampled_from([1, 1, 1, 2, 0, None, "1", True, 1.0, [], {}]),
              "name": st.one_of(st.text(max_size=10), json_scalars),
              "description": json_scalars, "style": st.sampled_from(["gateway", "shop", "x"]),
              "tags": st.one_of(st.lists(st.text(max_size=5), max_size=3), json_values),
              "requires": st.one_of(st.just(["hooks"]), json_values),
              "variables": st.one_of(st.dictionaries(identifiers, json_values, max_size=3),
                                     json_values),
              "extra": json_values})


@PROPERTY
@given(document=st.one_of(json_values, scenario_documents, st.sampled_from(REAL_SCENARIOS)))
def test_any_json_is_a_scenario_or_a_scenario_file_error(document: Any) -> None:
    """``check_document`` lists problems and ``parse_scenario`` raises ScenarioFileError (with
    the same problems) or returns the scenario; nothing else, whatever the JSON."""
    problems = check_document(document, "fuzz.json")
    assert all(isinstance(p, Problem) for p in problems)
    try:
        scenario = parse_scenario(document, "fuzz.json")
    except ScenarioFileError as error:
        assert error.problems and problems
        assert all(p.file == "fuzz.json" and p.message for p in error.problems)
    else:
        assert not problems
        assert isinstance(scenario, Scenario) and scenario.steps


def test_superscript_key_is_a_scenario_problem() -> None:
    document = {"version": 1, "name": "x", "steps": [
        {"name": "s", "http": {"method": "GET", "url": "http://127.0.0.1:9/", "headers":
                               {"1²3": 5}}}]}
    with pytest.raises(ScenarioFileError):
        parse_scenario(document, "fuzz.json")


@pytest.mark.parametrize("text", [
    pytest.param('{"version": 1, "name": "x", "steps": [], "n": ' + "1" * 5000 + "}",
                 id="5000-digit-integer"),
    pytest.param("[" * 100_000 + "]" * 100_000, id="nested-100000"),
])
def test_unparseable_json_file_is_a_scenario_file_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioFileError):
        load_scenario(path)


@PROPERTY
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                     json_values.map(lambda v: json.dumps(v).encode())))
def test_any_small_file_loads_or_is_a_scenario_file_error(tmp_path_factory: pytest.TempPathFactory,
                                                           raw: bytes) -> None:
    path = tmp_path_factory.mktemp("scenario") / "s.json"
    path.write_bytes(raw)
    try:
        load_scenario(path)
    except ScenarioFileError as error:
        assert error.problems
