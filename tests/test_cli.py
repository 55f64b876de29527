"""The ``pay1st-mock`` command: ``serve`` as a real process (banner, signals, errors) and ``sign``.

design.md §8; the signature vectors are pay1st-api.md §5.1 and §5.2.
"""

from __future__ import annotations

import io
import re
import shutil
import signal
import socket
from pathlib import Path

import pytest
import requests

from pay1st_mock import __version__
from pay1st_mock.cli import main
from pay1st_mock.process import ServerProcess, ServerStartError
from pay1st_mock.signing import verify_request
from tests.harness import run_cli, wait_until
from tests.support import SANDBOX
from tests.vectors import REQUEST_BODY as GATEWAY_BODY
from tests.vectors import REQUEST_KEY as GATEWAY_KEY
from tests.vectors import REQUEST_SIGNATURE as GATEWAY_SIGNATURE
from tests.vectors import REQUEST_TIMESTAMP as GATEWAY_TIMESTAMP
from tests.vectors import SUMMARY_BODY, SUMMARY_SIGNATURE

pytestmark = pytest.mark.slow


URL_PATTERN = re.compile(r"http://127\.0\.0\.1:(\d+)")


def _port_is_free(port: int) -> bool:
    """Tell whether a new server could listen on ``port`` (TIME_WAIT leftovers allowed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
        return True


def _health(url: str) -> requests.Response:
    with requests.Session() as http:
        return http.get(f"{url}/_mock/health", timeout=5)


# --- serve -----------------------------------------------------------------------------------


def test_console_script_prints_urls_and_sandbox_credentials(tmp_path: Path) -> None:
    command = shutil.which("pay1st-mock")
    assert command is not None, "the pay1st-mock console script is not on PATH"
    with ServerProcess("--data", str(tmp_path / "data"), cwd=tmp_path,
                       command=[command]) as server:
        url = server.url
        assert url is not None
        match = URL_PATTERN.fullmatch(url)
        assert match, f"PAY1ST_MOCK_URL is not an http://127.0.0.1:<port> URL: {url!r}"
        port = int(match.group(1))
        assert port > 0, "--port 0 must print the port actually bound, not 0"

        banner = server.stdout
        assert f"pay1st-mock {__version__} listening on {url}" in banner
        assert f"{url}/api/pay1st" in banner, "the gateway URL is missing from the banner"
        assert f"{url}/_mock" in banner, "the control URL is missing from the banner"
        assert "Partner SANDBOX (partnerId 1)" in banner
        for value in (SANDBOX["api_key"], SANDBOX["api_secret"], SANDBOX["signing_key"]):
            assert value in banner, f"sandbox credential {value} missing from the banner"
        assert str((tmp_path / "data").resolve()) in banner
        # The machine-readable line is exactly one line of its own, after the human banner.
        assert server.stdout_lines[-1] == f"PAY1ST_MOCK_URL={url}"
        assert sum(line.startswith("PAY1ST_MOCK_URL=") for line in server.stdout_lines) == 1

        health = _health(url)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["version"] == __version__

        assert server.stop(signal.SIGINT) == 0, server.stderr
        assert "stopped" in server.stdout_lines[-1]
        assert "Traceback" not in server.stderr
    assert _port_is_free(port), "the port is still held after the server stopped"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_the_server_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    with ServerProcess("--data", ":memory:", cwd=tmp_path) as server:
        assert server.url is not None
        assert _health(server.url).status_code == 200
        port = int(server.url.rsplit(":", 1)[1])
        assert server.stop(signum) == 0, server.stderr
        assert server.stdout_lines[-1] == "pay1st-mock: stopped"
        assert "Traceback" not in server.stderr, server.stderr
        assert "KeyboardInterrupt" not in server.stderr
    assert _port_is_free(port)
    with pytest.raises(requests.ConnectionError):
        _health(server.url)


def test_url_file_holds_the_url(tmp_path: Path) -> None:
    url_file = tmp_path / "mock.url"
    with ServerProcess("--data", ":memory:", "--url-file", str(url_file), cwd=tmp_path) as server:
        written = wait_until(lambda: url_file.exists() and url_file.read_text().endswith("\n")
                             and url_file.read_text(), 10, "the --url-file contents")
        assert written == f"{server.url}\n"
        assert _health(written.strip()).status_code == 200
        assert server.stop() == 0


def test_data_defaults_to_a_directory_under_the_working_directory(tmp_path: Path) -> None:
    with ServerProcess(cwd=tmp_path) as server:
        assert str((tmp_path / ".pay1st-mock").resolve()) in server.stdout
        assert server.stop() == 0
    assert (tmp_path / ".pay1st-mock" / "pay1st-mock.sqlite3").is_file()


def test_banner_lists_configured_partners_and_the_seed(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('version = 1\n\n[[partners]]\nid = 7\ncode = "ACME"\n'
                      'api_key = "acme-api-key"\napi_secret = "acme-api-secret"\n'
                      'signing_key = "acme-signing-key"\n', encoding="utf-8")
    with ServerProcess("--data", ":memory:", "--config", str(config), "--seed", "77",
                       cwd=tmp_path) as server:
        assert re.search(r"^\s*Seed\s+77$", server.stdout, re.MULTILINE), server.stdout
        assert "in memory" in server.stdout
        assert "Partner ACME (partnerId 7)" in server.stdout
        assert "acme-api-key" in server.stdout
        assert "Partner SANDBOX (partnerId 1)" in server.stdout
        assert server.stop() == 0


BAD_CONFIGS = {
    "toml-syntax": ('version = 1\n[server\nport = 1\n', ["not valid TOML", "line 2"]),
    "short-api-key": ('version = 1\n[[partners]]\nid = 2\ncode = "ACME"\napi_key = "short"\n'
                      'api_secret = "acme-api-secret"\nsigning_key = "acme-signing-key"\n',
                      ["partners[0].api_key"]),
    "unknown-table": ('version = 1\n[gatway]\nstrict_amounts = true\n', ["gatway"]),
    "new-country-without-groups": ('version = 1\n[countries.ZM]\nname = "Zambia"\n'
                                   'currency = "ZMW"\n', ["countries.ZM", "groups"]),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path, name: str) -> None:
    text, expected = BAD_CONFIGS[name]
    config = tmp_path / f"{name}.toml"
    config.write_text(text, encoding="utf-8")
    result = run_cli("serve", "--port", "0", "--data", ":memory:", "--config", str(config),
                     cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert config.name in result.stderr
    for fragment in expected:
        assert fragment in result.stderr, result.stderr
    assert "PAY1ST_MOCK_URL=" not in result.stdout


def test_port_in_use_exits_2_suggesting_port_0(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--host", "127.0.0.1", "--port", str(port), "--data",
                         ":memory:", cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert f"127.0.0.1:{port}" in result.stderr
    assert "--port 0" in result.stderr
    assert "Traceback" not in result.stderr
    assert "PAY1ST_MOCK_URL=" not in result.stdout


def test_in_process_serve_with_bad_config_returns_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('version = 1\n[server]\nport = "x"\n', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["serve", "--config", str(config), "--data", ":memory:"], stdout=out, stderr=err)
    assert code == 2
    assert "bad.toml" in err.getvalue() and "server.port" in err.getvalue()
    assert out.getvalue() == ""


# --- sign --------------------------------------------------------------------------------------


def test_sign_gateway_prints_the_documented_vector(tmp_path: Path) -> None:
    result = run_cli("sign", "gateway", "--key", GATEWAY_KEY, "--timestamp", GATEWAY_TIMESTAMP,
                     "--body", GATEWAY_BODY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"X-TIMESTAMP: {GATEWAY_TIMESTAMP}",
                                          f"X-SIGNATURE: {GATEWAY_SIGNATURE}"]


def test_sign_summary_prints_the_documented_vector(tmp_path: Path) -> None:
    result = run_cli("sign", "summary", "--username", "apiuser", "--password", "apipassword",
                     "--body", SUMMARY_BODY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"X-SIGNATURE: {SUMMARY_SIGNATURE}"]


def test_sign_gateway_reads_the_body_from_stdin_byte_for_byte(tmp_path: Path) -> None:
    result = run_cli("sign", "gateway", "--key", GATEWAY_KEY, "--timestamp", GATEWAY_TIMESTAMP,
                     "--body-file", "-", cwd=tmp_path, stdin=GATEWAY_BODY)
    assert result.returncode == 0, result.stderr
    assert f"X-SIGNATURE: {GATEWAY_SIGNATURE}" in result.stdout.splitlines()
    # A trailing newline is part of the gateway message, so the signature changes.
    changed = run_cli("sign", "gateway", "--key", GATEWAY_KEY, "--timestamp", GATEWAY_TIMESTAMP,
                      "--body-file", "-", cwd=tmp_path, stdin=GATEWAY_BODY + "\n")
    assert f"X-SIGNATURE: {GATEWAY_SIGNATURE}" not in changed.stdout


def _run_main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_in_process_sign_gateway() -> None:
    code, out, err = _run_main("sign", "gateway", "--key", GATEWAY_KEY, "--timestamp",
                               GATEWAY_TIMESTAMP, "--body", GATEWAY_BODY)
    assert code == 0
    assert out.splitlines() == [f"X-TIMESTAMP: {GATEWAY_TIMESTAMP}",
                                f"X-SIGNATURE: {GATEWAY_SIGNATURE}"]
    # The documented vector is old: signed all the same, with a note that the server would
    # refuse it now (on standard error, so the headers stay machine-readable).
    assert "day(s) in the past" in err and "TIMESTAMP_OUT_OF_WINDOW" in err
    assert len(err.splitlines()) == 1


def test_in_process_sign_summary_trims_the_body() -> None:
    code, out, err = _run_main("sign", "summary", "--username", "apiuser", "--password",
                               "apipassword", "--body", SUMMARY_BODY)
    assert (code, err) == (0, "")
    assert out == f"X-SIGNATURE: {SUMMARY_SIGNATURE}\n"
    code, padded, _ = _run_main("sign", "summary", "--username", "apiuser", "--password",
                                "apipassword", "--body", f"  \n{SUMMARY_BODY}\n ")
    assert code == 0 and padded == out, "the summary signature is over the trimmed body"


def test_in_process_sign_from_body_file(tmp_path: Path) -> None:
    body_file = tmp_path / "body.json"
    body_file.write_bytes(GATEWAY_BODY.encode())
    code, out, _ = _run_main("sign", "gateway", "--key", GATEWAY_KEY, "--timestamp",
                             GATEWAY_TIMESTAMP, "--body-file", str(body_file))
    assert code == 0
    assert f"X-SIGNATURE: {GATEWAY_SIGNATURE}" in out.splitlines()


def test_in_process_sign_with_missing_body_file_returns_2(tmp_path: Path) -> None:
    code, out, err = _run_main("sign", "gateway", "--key", GATEWAY_KEY, "--body-file",
                               str(tmp_path / "nope.json"))
    assert code == 2
    assert "nope.json" in err
    assert out == ""


def test_in_process_sign_gateway_defaults_the_timestamp_to_now() -> None:
    code, out, _ = _run_main("sign", "gateway", "--key", GATEWAY_KEY, "--body", "{}")
    assert code == 0
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines["X-TIMESTAMP"])
    assert verify_request(GATEWAY_KEY, lines["X-TIMESTAMP"], b"{}", lines["X-SIGNATURE"])


def test_missing_config_file_exits_2_before_listening(tmp_path: Path) -> None:
    """Also checks ``ServerProcess``: a server that dies before printing its URL fails fast."""
    server = ServerProcess("--data", ":memory:", "--config", str(tmp_path / "absent.toml"),
                           cwd=tmp_path)
    try:
        with pytest.raises(ServerStartError, match="exited"):
            server.start(timeout=10)
        assert server.process.returncode == 2
        assert "absent.toml" in server.stderr and "no such config file" in server.stderr
        assert "Traceback" not in server.stderr
    finally:
        server.close()
