"""``pay1st-mock run`` and ``pay1st-mock validate`` in-process: output, files and exit codes."""

from __future__ import annotations

import io
import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from pay1st_mock.cli import main
from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.runner.model import find_files
from pay1st_mock.runner.target import with_partner_url
from pay1st_mock.server import MockServer
from tests.runner.fixtures import Partner, document, running_partner, write_json

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "scenarios"

ASK = {"name": "the Shop asks about the player", "user_info": {"query": {
    "playerId": "{{ partner.player_id }}"}}, "expect": {"status": 200}}
GOOD = document(ASK, name="valid player", tags=["user-info"])
BAD = document({**ASK, "expect": {"status": 201}, "why": "The Shop wants 201 (it does not)."},
               name="expects too much")

ACME_CONFIG = """version = 1

[[partners]]
id = 7
code = "ACME"
api_key = "acme-api-key"
api_secret = "acme-api-secret"
signing_key = "acme-signing-key-0123456789"

[[products]]
id = 70
partner_id = 7
name = "Acme Quest"
countries = ["KE"]
basic_auth = {{ username = "apiuser", password = "apipassword" }}
user_info_url = "{url}/pay1st/user-info"
summary_url = "{url}/pay1st/summary"
bundles = [{{ id = 71, sku = "ACME-5", name = "5 Gems", tokens = 5, prices = {{ KE = 100 }} }}]

[run]
player_id = "acme-player"
"""


def cli(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def partner() -> Iterator[Partner]:
    with running_partner() as started:
        yield started


@pytest.fixture
def server(partner: Partner) -> Iterator[str]:
    """An emulator that sends its webhooks to ``partner`` (for ``run --server``)."""
    mock = MockServer(with_partner_url(Settings(data=MEMORY), partner.url)).start()
    partner.emulator_url = mock.url
    yield mock.url
    mock.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- run -----------------------------------------------------------------------------------------


def test_run_exits_0_when_every_scenario_passes(tmp_path: Path, partner: Partner) -> None:
    path = write_json(tmp_path / "good.json", GOOD)
    code, out, err = cli("run", path, "--port", "0", "--partner-url", partner.url)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("pay1st-mock: emulator started at http://127.0.0.1:")
    assert "pay1st-mock run: 1 scenario(s), partner SANDBOX (partnerId 1)" in lines[1]
    assert f"● valid player  ({path})" in lines
    assert lines[-1] == "1 passed, 0 failed"
    assert len(partner.calls_to("/pay1st/user-info")) == 1


def test_run_exits_1_when_a_scenario_fails_and_writes_reports(tmp_path: Path,
                                                              partner: Partner) -> None:
    write_json(tmp_path / "pack" / "a-good.json", GOOD)
    write_json(tmp_path / "pack" / "b-bad.json", BAD)
    junit, report = tmp_path / "out" / "junit.xml", tmp_path / "out" / "run.json"
    code, out, err = cli("run", tmp_path / "pack", "--port", "0", "--partner-url", partner.url,
                         "--junit", junit, "--json", report, "--seed", "4")
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == "1 passed, 1 failed"
    assert "      - status: expected 201, got 200" in out
    assert "      why it matters: The Shop wants 201 (it does not)." in out
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    failure = next(root.iter("failure"))
    assert failure.get("message") == "status: expected 201, got 200"
    data = json.loads(report.read_text("utf-8"))
    assert (data["passed"], data["failed"]) == (1, 1)
    assert [s["outcome"] for s in data["scenarios"]] == ["passed", "failed"]
    assert data["server"].startswith("http://127.0.0.1:")


def test_run_k_selects_scenarios(tmp_path: Path, partner: Partner) -> None:
    write_json(tmp_path / "pack" / "a-good.json", GOOD)
    write_json(tmp_path / "pack" / "b-bad.json", BAD)
    code, out, _ = cli("run", tmp_path / "pack", "-k", "not too much", "--port", "0",
                       "--partner-url", partner.url)
    assert code == 0
    assert "run: 1 scenario(s)" in out and "expects too much" not in out


def test_run_the_shipped_shop_user_info_scenarios(partner: Partner) -> None:
    code, out, err = cli("run", PACK / "shop", "-k", "user-info", "--port", "0",
                         "--partner-url", partner.url, "--seed", "1")
    assert (code, err) == (0, ""), out
    # "user info" also names the end-to-end Shop purchase, whose first steps need no hooks, and
    # the Basic-auth one (the demo product configures a pair); the suspended-player scenario is
    # skipped: this partner's config names no suspended player
    assert out.splitlines()[-1] == "6 passed, 0 failed, 1 skipped"


def test_run_against_a_running_emulator_with_hooks(partner: Partner, server: str) -> None:
    scenario_file = PACK / "gateway" / "successful-payment-is-fulfilled.json"
    code, out, err = cli("run", scenario_file, "--server", server, "--partner-url", partner.url)
    assert (code, err) == (0, ""), out
    assert "emulator started" not in out
    assert f"emulator {server}" in out.splitlines()[0]
    assert out.splitlines()[-1] == "1 passed, 0 failed"
    assert partner.fulfilment_statuses == [200]


def test_run_with_a_config_grades_its_partner(tmp_path: Path, partner: Partner) -> None:
    config = tmp_path / "acme.toml"
    config.write_text(ACME_CONFIG.format(url=partner.url), encoding="utf-8")
    partner.players["acme-player"] = 0
    doc = document(ASK, {"name": "summary", "summary_webhook": {}, "expect": {"status": 200}})
    code, out, err = cli("run", write_json(tmp_path / "s.json", doc), "--config", config,
                         "--port", "0")
    assert (code, err) == (0, ""), out
    assert "partner ACME (partnerId 7)" in out
    (call,) = partner.calls_to("/pay1st/user-info")
    assert call.query == {"playerId": "acme-player"}
    summary = partner.calls_to("/pay1st/summary")[0].json()
    assert (summary["currency"], summary["productBundleExternalId"], summary["amount"]) == (
        "KES", "ACME-5", 10000)
    assert partner.players["acme-player"] == 5


def test_run_invalid_scenario_exits_2_naming_file_and_path(tmp_path: Path) -> None:
    good = write_json(tmp_path / "good.json", GOOD)
    bad = write_json(tmp_path / "bad.json", document({"name": "no action"}))
    code, out, err = cli("run", good, bad, "--port", "0")
    assert (code, out) == (2, "")
    assert err.startswith(f"pay1st-mock: {bad}: $.steps[0]: expected exactly one action (")
    assert "got none" in err and str(good) not in err


def test_run_bad_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('version = 1\n[gatway]\nstrict_amounts = true\n', encoding="utf-8")
    code, out, err = cli("run", write_json(tmp_path / "s.json", GOOD), "--config", config,
                         "--port", "0")
    assert (code, out) == (2, "")
    assert "bad.toml" in err and "gatway" in err


def test_run_config_naming_an_unknown_partner_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text("version = 1\n[run]\npartner_id = 9\n", encoding="utf-8")
    code, _, err = cli("run", write_json(tmp_path / "s.json", GOOD), "--config", config)
    assert code == 2
    assert err == (f"pay1st-mock: {config}: run.partner_id: no partner has id 9 (partner ids: "
                   "1)\n")


def test_run_missing_scenario_path_exits_2(tmp_path: Path) -> None:
    code, _, err = cli("run", tmp_path / "nope", "--port", "0")
    assert code == 2
    assert err == f"pay1st-mock: {tmp_path / 'nope'}: $: no such file or directory\n"


def test_run_port_taken_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = cli("run", write_json(tmp_path / "s.json", GOOD), "--host", "127.0.0.1",
                             "--port", str(port))
    assert (code, out) == (2, "")
    assert f"cannot start the emulator on 127.0.0.1:{port}" in err
    assert "--port" in err and "--server" in err
    assert "Traceback" not in err


def test_run_server_pointing_at_nothing_exits_2(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = cli("run", write_json(tmp_path / "s.json", GOOD), "--server", url)
    assert (code, out) == (2, "")
    assert f"no pay1st-mock at {url}" in err


def test_run_k_matching_nothing_exits_2(tmp_path: Path) -> None:
    code, out, err = cli("run", write_json(tmp_path / "s.json", GOOD), "-k", "zzz", "--port", "0")
    assert (code, out) == (2, "")
    assert err == "pay1st-mock: no scenario matches -k 'zzz'\n"


# --- validate ------------------------------------------------------------------------------------


def test_validate_good_files_exits_0(tmp_path: Path, partner: Partner) -> None:
    first = write_json(tmp_path / "pack" / "a.json", GOOD)
    second = write_json(tmp_path / "pack" / "deeper" / "b.json", BAD)
    config = tmp_path / "acme.toml"
    config.write_text(ACME_CONFIG.format(url=partner.url), encoding="utf-8")
    code, out, err = cli("validate", tmp_path / "pack", config)
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"ok       {first}", f"ok       {second}", f"ok       {config}",
                                "3 valid, 0 invalid"]


def test_validate_bad_files_exits_2_and_reports_each(tmp_path: Path) -> None:
    good = write_json(tmp_path / "good.json", GOOD)
    bad = write_json(tmp_path / "bad.json", {**GOOD, "version": 2})
    broken = tmp_path / "broken.json"
    broken.write_text("{\n  oops\n}", encoding="utf-8")
    config = tmp_path / "bad.toml"
    config.write_text('version = 1\n[server]\nport = "x"\n', encoding="utf-8")
    code, out, err = cli("validate", good, bad, broken, config)
    assert (code, err) == (2, "")
    lines = out.splitlines()
    assert lines[0] == f"ok       {good}"
    assert lines[1] == (f"invalid  {bad}: $.version: this pay1st-mock reads scenario version 1, "
                        "the file says 2")
    assert lines[2].startswith(f"invalid  {broken}: $: not valid JSON: ")
    assert lines[2].endswith("at line 2 column 3")
    assert lines[3].startswith(f"invalid  {config}: ") and "server.port" in out
    assert lines[-1] == "1 valid, 3 invalid"


def test_validate_missing_path_exits_2(tmp_path: Path) -> None:
    code, out, err = cli("validate", tmp_path / "absent.json")
    assert (code, out) == (2, "")
    assert err == f"pay1st-mock: {tmp_path / 'absent.json'}: $: no such file or directory\n"


def test_validate_the_shipped_pack() -> None:
    code, out, err = cli("validate", PACK)
    count = len(find_files([PACK]))
    assert (code, err) == (0, "")
    assert count >= 14
    assert out.splitlines()[-1] == f"{count} valid, 0 invalid"
    assert all(line.startswith("ok       ") for line in out.splitlines()[:-1])


def test_validate_a_directory_checks_its_configs_too(tmp_path: Path) -> None:
    write_json(tmp_path / "ci" / "scenario.json", GOOD)
    (tmp_path / "ci" / "pay1st.toml").write_text('version = 1\n[server]\nport = "x"\n',
                                                 encoding="utf-8")
    code, out, _ = cli("validate", tmp_path / "ci")
    assert code == 2, out
