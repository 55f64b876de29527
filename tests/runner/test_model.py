"""Scenario files → ``Scenario`` objects: loading, every problem's file/path/expectation, ``-k``."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pay1st_mock.runner.model import (
    ACTIONS,
    Problem,
    Scenario,
    ScenarioFileError,
    check_document,
    find_files,
    load_scenario,
    load_scenarios,
    parse_scenario,
)
from tests.runner.fixtures import write_json

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "scenarios"

VALID: dict[str, Any] = {
    "version": 1,
    "name": "User Info: a valid player",
    "description": "what it proves",
    "style": "shop",
    "tags": ["shop", "user-info"],
    "requires": ["hooks"],
    "variables": {"player": "{{ partner.player_id }}"},
    "steps": [
        {"name": "ask", "id": "ask", "why": "the Shop needs it",
         "user_info": {"query": {"playerId": "{{ vars.player }}"}},
         "expect": {"status": 200, "body": {"userId": "{{ vars.player }}"}},
         "capture": {"user": "$.body.userId"}},
        {"name": "wait", "no_call": {"path": "/api/pay1st/payments/fulfilments",
                                     "for_seconds": 0.1}},
    ],
}


def problems_of(tmp_path: Path, document: Any, name: str = "bad.json") -> list[Problem]:
    path = write_json(tmp_path / name, document)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return caught.value.problems


def changed(**fields: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    document.update(fields)
    return document


def with_step(step: dict[str, Any]) -> dict[str, Any]:
    return changed(steps=[step])


# --- loading -----------------------------------------------------------------------------------


def test_a_valid_file_becomes_a_scenario_with_its_steps(tmp_path: Path) -> None:
    path = write_json(tmp_path / "ok.json", VALID)
    scenario = load_scenario(path)
    assert scenario.file == str(path)
    assert (scenario.name, scenario.description, scenario.style) == (
        "User Info: a valid player", "what it proves", "shop")
    assert scenario.tags == ("shop", "user-info") and scenario.requires == ("hooks",)
    assert scenario.variables == {"player": "{{ partner.player_id }}"}
    first, second = scenario.steps
    assert (first.index, first.name, first.action, first.id, first.why) == (
        0, "ask", "user_info", "ask", "the Shop needs it")
    assert first.arguments == {"query": {"playerId": "{{ vars.player }}"}}
    assert first.expect == {"status": 200, "body": {"userId": "{{ vars.player }}"}}
    assert first.capture == {"user": "$.body.userId"}
    assert (second.index, second.action, second.id, second.why) == (1, "no_call", None, None)
    assert second.expect == {} and second.capture == {}


def test_directories_expand_recursively_into_sorted_json_files(tmp_path: Path) -> None:
    write_json(tmp_path / "pack" / "b" / "two.json", changed(name="two"))
    write_json(tmp_path / "pack" / "a.json", changed(name="one"))
    write_json(tmp_path / "pack" / "b" / "a" / "three.json", changed(name="three"))
    (tmp_path / "pack" / "notes.txt").write_text("not a scenario", encoding="utf-8")
    single = write_json(tmp_path / "single.json", changed(name="single"))
    assert [p.relative_to(tmp_path).as_posix() for p in find_files([tmp_path / "pack"])] == [
        "pack/a.json", "pack/b/a/three.json", "pack/b/two.json"]
    loaded = load_scenarios([single, tmp_path / "pack"])
    assert [s.name for s in loaded] == ["single", "one", "three", "two"]


def test_a_file_is_loaded_whatever_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "scenario.txt"
    path.write_text(json.dumps(VALID), encoding="utf-8")
    assert [s.name for s in load_scenarios([path])] == [VALID["name"]]


# --- problems: file, JSON path, what was expected ----------------------------------------------

ONE_ACTION = "expected exactly one action (" + ", ".join(ACTIONS) + ")"

PROBLEMS: dict[str, tuple[dict[str, Any], str, list[str]]] = {
    "wrong-version": (changed(version=2), "$.version",
                      ["reads scenario version 1", "the file says 2"]),
    "version-as-text": (changed(version="1"), "$.version", ['the file says "1"']),
    "missing-version": ({k: v for k, v in VALID.items() if k != "version"}, "$.version",
                        ["required field is missing"]),
    "missing-name": ({k: v for k, v in VALID.items() if k != "name"}, "$.name",
                     ["required field is missing"]),
    "empty-name": (changed(name=""), "$.name", ["expected at least 1 character"]),
    "unknown-top-level-key": (changed(nmae="x"), "$.nmae",
                              ["unknown field; expected one of:", "name", "steps"]),
    "no-steps": (changed(steps=[]), "$.steps", ["expected at least 1 item(s), got 0"]),
    "unknown-step-key": (with_step({"name": "s", "user_info": {}, "expct": {}}),
                         "$.steps[0].expct", ["unknown field; expected one of:", "expect"]),
    "unknown-argument": (with_step({"name": "s", "user_info": {"qeury": {}}}),
                         "$.steps[0].user_info.qeury", ["unknown field", "query"]),
    "no-action": (with_step({"name": "s", "why": "w"}), "$.steps[0]", [ONE_ACTION, "got none"]),
    "two-actions": (with_step({"name": "s", "user_info": {}, "http": {"url": "u"}}),
                    "$.steps[0]", [ONE_ACTION, "got user_info and http"]),
    "bad-signature": (with_step({"name": "s", "payment_webhook": {"signature": "forged"}}),
                      "$.steps[0].payment_webhook.signature",
                      ['expected one of "valid", "missing", "wrong", "stale"', '"forged"']),
    "bad-capture-path": (with_step({"name": "s", "user_info": {}, "capture": {"x": "body.a"}}),
                         "$.steps[0].capture.x", ["expected text matching", '"body.a"']),
    "relative-call-path": (with_step({"name": "s", "no_call": {"path": "fulfilments"}}),
                           "$.steps[0].no_call.path", ["expected text matching ^/"]),
    "bad-style": (changed(style="web"), "$.style", ['expected one of "gateway", "shop"']),
    "bad-id": (with_step({"name": "s", "id": "my-step", "user_info": {}}), "$.steps[0].id",
               ["expected text matching"]),
    "not-an-object": ([VALID], "$", ["expected an object, got an array of 1 item(s)"]),
}


@pytest.mark.parametrize("case", sorted(PROBLEMS))
def test_each_problem_names_file_path_and_expectation(tmp_path: Path, case: str) -> None:
    document, path, fragments = PROBLEMS[case]
    problems = problems_of(tmp_path, document, f"{case}.json")
    at_path = [p for p in problems if p.path == path]
    assert at_path, f"no problem at {path}: {[str(p) for p in problems]}"
    for problem in problems:
        assert problem.file == str(tmp_path / f"{case}.json")
        assert str(problem) == f"{problem.file}: {problem.path}: {problem.message}"
    for fragment in fragments:
        assert any(fragment in p.message for p in at_path), (fragment, [str(p) for p in problems])


def test_the_unreadable_one_of_message_is_replaced_by_the_action_message(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, with_step({"name": "s"}))
    assert [p.path for p in problems] == ["$.steps[0]"]
    assert "valid under" not in problems[0].message


def test_duplicate_step_ids_name_the_first_use(tmp_path: Path) -> None:
    steps = [{"name": "a", "id": "same", "user_info": {}},
             {"name": "b", "id": "other", "user_info": {}},
             {"name": "c", "id": "same", "user_info": {}}]
    problems = problems_of(tmp_path, changed(steps=steps))
    assert [(p.path, p.message) for p in problems] == [
        ("$.steps[2].id", "'same' is already the id of steps[0]")]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write_json(tmp_path / "pack" / "one.json", changed(version=3))
    write_json(tmp_path / "pack" / "two.json", with_step({"name": "s", "expct": {}}))
    write_json(tmp_path / "pack" / "fine.json", VALID)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios([tmp_path / "pack"])
    where = {(Path(p.file).name, p.path) for p in caught.value.problems}
    assert where == {("one.json", "$.version"), ("two.json", "$.steps[0].expct"),
                     ("two.json", "$.steps[0]")}


def test_bad_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "version": 1,\n  "name": "x"\n  "steps": []\n}\n', encoding="utf-8")
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.path) == (str(path), "$")
    assert problem.message.startswith("not valid JSON: Expecting ',' delimiter")
    assert problem.message.endswith("at line 4 column 3")


def test_non_utf8_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"version": 1, "name": "café"}'.encode("latin-1"))
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: $: not UTF-8 text (invalid continuation byte)"]


def test_a_missing_path_and_an_empty_directory_are_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("no scenarios", encoding="utf-8")
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios([tmp_path / "absent.json", tmp_path / "empty"])
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'absent.json'}: $: no such file or directory",
        f"{tmp_path / 'empty'}: $: no *.json files in this directory"]


def test_a_directory_passed_as_a_file_cannot_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(ScenarioFileError, match=r"folder\.json: \$: cannot read it"):
        load_scenario(folder)


def test_a_bad_status_says_what_is_expected(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, with_step({"name": "s", "user_info": {},
                                                "expect": {"status": "200"}}))
    (problem,) = problems
    assert problem.path == "$.steps[0].expect.status"
    assert "valid under" not in problem.message
    assert "2xx" in problem.message or "integer" in problem.message


def test_http_with_both_json_and_body_says_choose_one(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, with_step({"name": "s", "http": {
        "url": "http://x", "json": {}, "body": "text"}}))
    (problem,) = problems
    assert problem.path == "$.steps[0].http"
    assert "should not be valid" not in problem.message
    assert "json" in problem.message and "body" in problem.message


def test_a_step_without_a_name_gets_one_readable_problem(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, with_step({"user_info": {}}))
    assert [(p.path, p.message) for p in problems] == [
        ("$.steps[0].name", "required field is missing")]


def test_check_document_is_empty_for_a_valid_document() -> None:
    assert check_document(VALID, "x.json") == []
    assert parse_scenario(VALID, "x.json").name == VALID["name"]


# --- -k ------------------------------------------------------------------------------------------


def make(name: str, file: str, tags: tuple[str, ...] = (), requires: tuple[str, ...] = ()) -> \
        Scenario:
    document = changed(name=name, tags=list(tags), requires=list(requires))
    return parse_scenario(document, file)


SELECTABLE = [
    make("Summary credits the player", "pack/shop/summary.json", ("shop", "credit")),
    make("User Info: unknown player", "pack/shop/user-info.json", ("shop",)),
    make("SUCCESSFUL payment is fulfilled", "pack/gateway/success.json", ("fulfilment",)),
]


@pytest.mark.parametrize(("pattern", "selected"), [
    (None, [0, 1, 2]),
    ("", [0, 1, 2]),
    ("unknown PLAYER", [1]),                  # name, case-insensitive
    ("gateway/", [2]),                        # file
    ("credit", [0]),                          # tag
    ("shop", [0, 1]),                         # tag and file
    ("not shop", [2]),
    ("credit or fulfilment", [0, 2]),
    ("not shop or credit", [0, 2]),
    ("nothing-like-this", []),
])
def test_k_selects_by_name_file_and_tag(pattern: str | None, selected: list[int]) -> None:
    assert [i for i, s in enumerate(SELECTABLE) if s.matches(pattern)] == selected


def test_k_not_hooks_deselects_exactly_the_scenarios_that_require_hooks() -> None:
    pack = load_scenarios([PACK])
    kept = [s for s in pack if s.matches("not hooks")]
    assert kept, "the pack has scenarios without hooks"
    assert all("hooks" not in s.requires for s in kept), [s.file for s in kept]
    assert {s.file for s in pack if "hooks" not in s.requires} <= {s.file for s in kept}


# --- the shipped pack ----------------------------------------------------------------------------


def test_the_shipped_pack_validates() -> None:
    files = find_files([PACK])
    assert len(files) >= 14
    assert {p.parent.name for p in files} == {"gateway", "shop"}
    pack = load_scenarios([PACK])
    assert len(pack) == len(files)
    for scenario in pack:
        assert scenario.style == Path(scenario.file).parent.name, scenario.file
        assert scenario.description, scenario.file
        assert check_document(json.loads(Path(scenario.file).read_text("utf-8")),
                              scenario.file) == []
    assert len({s.name for s in pack}) == len(pack), "scenario names must be unique"
