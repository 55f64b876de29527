"""Bad command-line input is one line on standard error saying what to change, and exit 2 —
never a traceback (issue 17, point 3). Each case runs the real command in a subprocess without a
terminal, as a user's shell or CI script would."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from tests.harness import run_cli
from tests.vectors import REQUEST_BODY, REQUEST_KEY

pytestmark = pytest.mark.slow  # a subprocess per case

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = {"version": 1, "name": "health", "steps": [
    {"name": "health", "request": {"method": "GET", "path": "/_mock/health"},
     "expect": {"status": 200}}]}

# argv, then fragments the one line must hold (what is wrong and what to do instead).
CASES: dict[str, tuple[list[str], list[str]]] = {
    "serve-port-too-big": (["serve", "--port", "99999"],
                           ["--port", "0 to 65535", "99999", "0 picks a free one"]),
    "serve-port-negative": (["serve", "--port", "-1"], ["--port", "0 to 65535", "-1"]),
    "serve-port-not-a-number": (["serve", "--port", "eighty"], ["--port", "'eighty'"]),
    "run-port-too-big": (["run", "SCENARIO", "--port", "70000"], ["--port", "0 to 65535", "70000"]),
    "serve-data-unusable": (["serve", "--port", "0", "--data", "/proc/nope"],
                            ["/proc/nope", "--data", ":memory:"]),
    "serve-host-not-an-address": (["serve", "--port", "0", "--host", "999.1.1.1",
                                   "--insecure-open-control"],
                                  ["999.1.1.1", "not an address of this machine", "--host"]),
    "serve-host-typo": (["serve", "--port", "0", "--host", "999.1.1.1"],
                        ["999.1.1.1", "not an address of this machine", "--host 127.0.0.1"]),
    "serve-host-not-this-machine": (["serve", "--port", "0", "--host", "192.0.2.7",
                                     "--insecure-open-control"],
                                    ["192.0.2.7", "not an address of this machine",
                                     "--host 127.0.0.1"]),
    "serve-url-file-unwritable": (["serve", "--port", "0", "--data", ":memory:", "--url-file",
                                   "/proc/nope/url"], ["--url-file", "/proc/nope/url"]),
    "serve-config-is-a-folder": (["serve", "--port", "0", "--config", "."],
                                 ["cannot read the config file"]),
    "run-partner-url-not-a-url": (["run", "SCENARIO", "--partner-url", "notaurl"],
                                  ["--partner-url", "http://", "'notaurl'"]),
    "run-server-not-a-url": (["run", "SCENARIO", "--server", "localhost:8080"],
                             ["--server", "http://"]),
    "sign-timestamp-not-a-time": (["sign", "gateway", "--key", REQUEST_KEY, "--timestamp",
                                   "notatime", "--body", REQUEST_BODY],
                                  ["--timestamp", "'notatime'", "ISO-8601", "zone"]),
    "sign-timestamp-without-zone": (["sign", "gateway", "--key", REQUEST_KEY, "--timestamp",
                                     "2025-03-17T08:10:52", "--body", "{}"],
                                    ["--timestamp", "zone"]),
    "sign-timestamp-impossible-date": (["sign", "gateway", "--key", REQUEST_KEY, "--timestamp",
                                        "2025-02-30T08:10:52Z", "--body", "{}"],
                                       ["--timestamp", "not a real date-time"]),
    "unknown-command": (["serv"], ["invalid choice", "'serv'"]),
    "missing-option": (["sign", "gateway", "--body", "{}"], ["--key", "required"]),
    "tail-server-not-a-url": (["tail", "--server", "ftp://x"], ["--server", "http://"]),
    "trigger-unknown-event": (["trigger", "payment.sucessful"],
                              ["payment.sucessful", "payment.successful"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    argv, fragments = CASES[name]
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    argv = [str(scenario) if a == "SCENARIO" else a for a in argv]
    result = run_cli(*argv, cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{result.stderr}"
    assert lines[0].startswith("pay1st-mock"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} missing from: {lines[0]}"
    assert "PAY1ST_MOCK_URL=" not in result.stdout
    assert "scenario(s)" not in result.stdout, "run must refuse before running anything"


def test_partner_url_is_refused_once_before_any_scenario_runs(tmp_path: Path) -> None:
    """The issue's case: the whole conformance pack with a URL that is not one — one line, not
    a failure per scenario."""
    result = run_cli("run", str(ROOT / "scenarios"), "--partner-url", "notaurl", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--partner-url" in result.stderr


def test_data_folder_without_write_permission(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write any folder: no unwritable --data to try")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run_cli("serve", "--port", "0", "--data", str(locked), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(locked) in result.stderr and ":memory:" in result.stderr


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "pay1st-mock.sqlite3").write_text("not a database\n" * 100, encoding="utf-8")
    result = run_cli("serve", "--port", "0", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert str(data) in result.stderr and "--data" in result.stderr


def test_port_in_use_names_the_port_and_the_way_out(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--data", ":memory:", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"pay1st-mock: cannot listen on 127.0.0.1:{port}: the port is taken by another "
        "process; stop it or pass --port 0 for any free port"]


def test_a_port_below_1024_says_it_needs_rights(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may listen on any port")
    result = run_cli("serve", "--port", "81", "--data", ":memory:", cwd=tmp_path)
    assert result.returncode == 2 and "below 1024" in result.stderr


def test_sign_accepts_every_form_the_server_accepts(tmp_path: Path) -> None:
    for timestamp in ("2025-03-17T08:10:52.544247646Z", "2025-03-17T09:10:52+01:00",
                      "2025-03-17 08:10:52,5z", "2025-03-17T08:10:52+0100"):
        result = run_cli("sign", "gateway", "--key", REQUEST_KEY, "--timestamp", timestamp,
                         "--body", "{}", cwd=tmp_path)
        assert result.returncode == 0, (timestamp, result.stderr)
        assert result.stdout.startswith(f"X-TIMESTAMP: {timestamp}\n")
        assert "TIMESTAMP_OUT_OF_WINDOW" in result.stderr  # an old time: a note, not a refusal
