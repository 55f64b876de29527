"""``{{ ... }}`` templates: types, text, nesting, every namespace, arithmetic and each error."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.fake import make_fake
from pay1st_mock.runner.target import build_target
from pay1st_mock.runner.templates import Context, TemplateError, render, render_text

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def no_fake(method: str) -> Any:
    raise AssertionError(f"fake.{method} was not expected")


def context(fake: Callable[[str], Any] = no_fake, **namespaces: Any) -> Context:
    base: dict[str, Any] = {
        "vars": {"n": 5, "price": 2.5, "name": "Ada", "flag": True, "nothing": None,
                 "items": [{"sku": "A"}, {"sku": "B"}], "obj": {"a": 1, "b": [1, 2]},
                 "text_number": "7"},
        "steps": {"create": {"status": 201, "headers": {"Content-Type": "application/json"},
                             "body": {"reference": "C-1-P", "products": [{"sku": "CRE-11"}]}}},
        "env": {"GREETING": "hello"},
    }
    base.update(namespaces)
    return Context(base, fake)


@pytest.fixture
def engine() -> Iterator[Engine]:
    """An engine only for its Faker (nothing is sent)."""
    built = Engine(build_target(Settings(data=MEMORY)), "http://127.0.0.1:9", seed=1)
    yield built
    built.session.close()


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "value"), [
    ("{{ vars.n }}", 5),
    ("{{vars.n}}", 5),
    ("{{   vars.price   }}", 2.5),
    ("{{ vars.flag }}", True),
    ("{{ vars.nothing }}", None),
    ("{{ vars.obj }}", {"a": 1, "b": [1, 2]}),
    ("{{ vars.items }}", [{"sku": "A"}, {"sku": "B"}]),
    ("{{ vars.items[1].sku }}", "B"),
    ("{{ vars.obj.b[0] }}", 1),
    ("{{ steps.create.body.products[0].sku }}", "CRE-11"),
    ("{{ steps.create.status }}", 201),
    ("{{ env.GREETING }}", "hello"),
])
def test_a_whole_string_template_keeps_the_type(template: str, value: Any) -> None:
    rendered = render_text(template, context())
    assert rendered == value and type(rendered) is type(value)


@pytest.mark.parametrize(("text", "rendered"), [
    ("id-{{ vars.n }}", "id-5"),
    ("{{ vars.name }} has {{ vars.n }} of {{ vars.items[0].sku }}", "Ada has 5 of A"),
    ("flag={{ vars.flag }} none={{ vars.nothing }}", "flag=true none=null"),
    ("obj={{ vars.obj }}", 'obj={"a":1,"b":[1,2]}'),
    ("{{ env.GREETING }}, {{ vars.name }}!", "hello, Ada!"),
    ("no templates here", "no templates here"),
    ("{ single braces }", "{ single braces }"),
])
def test_templates_inside_text_render_as_text(text: str, rendered: str) -> None:
    assert render_text(text, context()) == rendered


def test_render_walks_nested_dicts_and_lists_and_leaves_other_values() -> None:
    value = {"reference": "{{ steps.create.body.reference }}",
             "amount": "{{ vars.n }}",
             "products": [{"sku": "{{ vars.items[0].sku }}", "quantity": 1},
                          ["{{ vars.flag }}", "x-{{ vars.n }}", None, 2.0]],
             "{{ vars.n }}": False}
    assert render(value, context()) == {
        "reference": "C-1-P", "amount": 5,
        "products": [{"sku": "A", "quantity": 1}, [True, "x-5", None, 2.0]],
        "{{ vars.n }}": False}  # keys are not templates
    assert render(7, context()) == 7


def test_the_target_namespaces_describe_the_partner_under_test() -> None:
    target = build_target(Settings(data=MEMORY))
    ctx = context(**target.template_namespaces())
    assert render({"code": "{{ partner.code }}", "id": "{{ partner.id }}",
                   "player": "{{ partner.player_id }}", "country": "{{ partner.country }}",
                   "currency": "{{ partner.currency }}", "sku": "{{ bundle.sku }}",
                   "tokens": "{{ bundle.tokens }}", "price": "{{ bundle.price }}",
                   "second": "{{ product.bundles[1].sku }}",
                   "webhook_ms": "{{ limits.webhook_timeout_ms }}",
                   "user_info_ms": "{{ limits.user_info_timeout_ms }}"}, ctx) == {
        "code": "SANDBOX", "id": 1, "player": "player-1", "country": "NG", "currency": "NGN",
        "sku": "CRE-11", "tokens": 11, "price": 1000, "second": "CRE-60",
        "webhook_ms": 10000, "user_info_ms": 5000}


# --- arithmetic --------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "value"), [
    ("{{ vars.n + bundle.tokens }}", 16),
    ("{{ vars.n - 2 }}", 3),
    ("{{ 2 + vars.n - bundle.tokens }}", -4),
    ("{{ vars.price + vars.n }}", 7.5),
    ("{{ vars.items[0].qty + 1 }}", 3),
])
def test_numbers_add_and_subtract(template: str, value: Any) -> None:
    ctx = context(bundle={"tokens": 11}, vars={"n": 5, "price": 2.5, "items": [{"qty": 2}]})
    assert render_text(template, ctx) == value


def test_arithmetic_inside_text() -> None:
    assert render_text("balance {{ vars.n + 1 }} credits", context()) == "balance 6 credits"


@pytest.mark.parametrize(("template", "term"), [
    ("{{ vars.name + 1 }}", "vars.name"),
    ("{{ vars.n + vars.text_number }}", "vars.text_number"),
    ("{{ vars.flag + 1 }}", "vars.flag"),
    ("{{ vars.nothing - 1 }}", "vars.nothing"),
])
def test_arithmetic_on_a_non_number_says_which_term(template: str, term: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(template, context())
    assert str(caught.value) == (f"{template}: {term} is not a number, so it cannot be added or "
                                 "subtracted")


# --- errors ------------------------------------------------------------------------------------


def test_an_unknown_namespace_lists_the_known_ones() -> None:
    target = build_target(Settings(data=MEMORY))
    with pytest.raises(TemplateError) as caught:
        render_text("{{ var.n }}", context(**target.template_namespaces()))
    assert str(caught.value) == ("{{ var.n }}: unknown name 'var'; templates start with one of: "
                                 "bundle, env, limits, partner, product, steps, vars, fake")


@pytest.mark.parametrize(("template", "message"), [
    ("{{ vars.missing }}",
     "{{ vars.missing }}: vars has no 'missing'; it has: flag, items, n, name, nothing, obj, "
     "price, text_number"),
    ("{{ steps.create.body.ref }}",
     "{{ steps.create.body.ref }}: steps.create.body has no 'ref'; it has: products, reference"),
    ("{{ steps.later.body }}", "{{ steps.later.body }}: steps has no 'later'; it has: create"),
    ("{{ env.NOPE }}", "{{ env.NOPE }}: env has no 'NOPE'; it has: GREETING"),
    ("{{ steps.create.headers.content-type }}",
     "{{ steps.create.headers.content-type }}: steps.create.headers has no 'content-type'; it "
     "has: Content-Type"),
])
def test_a_missing_key_lists_what_exists(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(template, context())
    assert str(caught.value) == message


def test_an_empty_namespace_says_nothing_yet() -> None:
    with pytest.raises(TemplateError, match=r"steps has no 'first'; it has: nothing yet$"):
        render_text("{{ steps.first.body }}", context(steps={}))


@pytest.mark.parametrize(("template", "message"), [
    ("{{ vars.items[2].sku }}", "{{ vars.items[2].sku }}: vars.items has 2 item(s)"),
    ("{{ steps.create.body.products[5] }}",
     "{{ steps.create.body.products[5] }}: steps.create.body.products has 1 item(s)"),
    ("{{ vars.name[0] }}", "{{ vars.name[0] }}: vars.name is not a list"),
    ("{{ vars.n.digits }}", "{{ vars.n.digits }}: vars.n is int, not an object, so it has no "
                            "'digits'"),
])
def test_indexes_and_attributes_of_the_wrong_thing(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(template, context())
    assert str(caught.value) == message


@pytest.mark.parametrize(("template", "fragment"), [
    ("{{ vars..n }}", "cannot read it at '..n'"),
    ("{{ .vars }}", "cannot read it at '.vars'"),
    ("{{ vars.items[x] }}", "cannot read it at '[x]'"),
    ("{{ }}", "empty template"),
    ("{{ fake }}", "write fake.METHOD, e.g. fake.uuid4"),
    ("{{ fake.person.name }}", "write fake.METHOD"),
])
def test_unreadable_templates_say_how_to_write_them(template: str, fragment: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(template, context())
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("{{")


def test_an_error_deep_in_a_structure_is_raised() -> None:
    with pytest.raises(TemplateError, match="vars has no 'gone'"):
        render({"a": [1, {"b": "x {{ vars.gone }}"}]}, context())


# --- fake ----------------------------------------------------------------------------------------


def test_fake_calls_the_context_function_with_the_method_name() -> None:
    asked: list[str] = []

    def fake(method: str) -> str:
        asked.append(method)
        return f"<{method}>"

    assert render_text("{{ fake.user_name }}@{{ fake.domain_name }}", context(fake)) == (
        "<user_name>@<domain_name>")
    assert asked == ["user_name", "domain_name"]


def test_seeded_faker_gives_the_same_values_for_the_same_seed(engine: Engine) -> None:
    def values(seed: int) -> list[Any]:
        ctx = context(make_fake(random.Random(seed)))
        return [render_text(t, ctx) for t in ("{{ fake.uuid4 }}", "{{ fake.user_name }}",
                                              "{{ fake.email }}", "{{ fake.random_int }}")]

    first, again, other = values(42), values(42), values(43)
    assert first == again
    assert first != other
    assert UUID.fullmatch(first[0]) and "@" in first[2]
    assert isinstance(first[3], int), "a whole-string fake keeps its type"


@pytest.mark.parametrize(("method", "message"), [
    ("no_such_method", "{{ fake.no_such_method }}: Faker has no 'no_such_method'; try uuid4, "
                       "user_name, email, first_name, phone_number"),
    ("_private", "{{ fake._private }}: Faker has no '_private'"),
    ("parse", "{{ fake.parse }}: it needs arguments; only argument-free Faker methods can be "
              "used"),
])
def test_unknown_or_unusable_faker_methods_are_clear_errors(engine: Engine, method: str,
                                                            message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(f"{{{{ fake.{method} }}}}", context(make_fake(random.Random(1))))
    assert str(caught.value).startswith(message)
