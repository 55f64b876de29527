"""What ``serve`` exposes (issue 16, points 4 and 5): it will not listen beyond loopback with a
token-less control API unless told to take the risk, and it never prints a partner's secrets.

The refusals are shown on 192.0.2.1 (TEST-NET-1, never a local address): the check comes
before any bind, and were it missing the bind would fail instead, so nothing here ever listens
beyond loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pay1st_mock.process import ServerProcess
from tests.harness import run_cli
from tests.support import SANDBOX

BEYOND = "192.0.2.1"
TOKEN = "s3cret-control-token-0123"


@pytest.mark.parametrize("where", ["flag", "config"])
def test_serving_beyond_loopback_without_a_token_is_refused(tmp_path: Path, where: str) -> None:
    if where == "flag":
        args = ["serve", "--host", BEYOND, "--port", "0", "--data", ":memory:"]
    else:
        config = tmp_path / "mock.toml"
        config.write_text(f'version = 1\n[server]\nhost = "{BEYOND}"\nport = 0\n'
                          'data = ":memory:"\n', encoding="utf-8")
        args = ["serve", "--config", str(config)]
    result = run_cli(*args, cwd=tmp_path, timeout=20)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "PAY1ST_MOCK_URL=" not in result.stdout
    said = result.stderr
    assert f"refusing to listen on {BEYOND} without a control token" in said
    for how in ("--control-token TOKEN", "server.control_token", "--host 127.0.0.1",
                "--insecure-open-control"):
        assert how in said, f"the refusal does not mention {how}: {said}"


@pytest.mark.parametrize("extra", [("--control-token", TOKEN), ("--insecure-open-control",)],
                         ids=["token", "risk-taken"])
def test_a_token_or_the_named_risk_lets_it_go_on(tmp_path: Path, extra: tuple[str, ...]) -> None:
    result = run_cli("serve", "--host", BEYOND, "--port", "0", "--data", ":memory:", *extra,
                     cwd=tmp_path, timeout=20)
    # It went on to bind, which fails on an address this machine does not have.
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"cannot listen on {BEYOND}" in result.stderr
    assert "refusing" not in result.stderr


@pytest.mark.slow
def test_the_output_names_where_the_secrets_are_never_the_secrets(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('version = 1\n\n[[partners]]\nid = 7\ncode = "ACME"\n'
                      'api_key = "acme-api-key"\napi_secret = "acme-api-secret-value"\n'
                      'signing_key = "acme-signing-key-value"\n', encoding="utf-8")
    with ServerProcess("--data", ":memory:", "--config", str(config), cwd=tmp_path) as server:
        url = server.wait_for_url()
        assert server.stop() == 0
    output = server.stdout + server.stderr
    assert "acme-api-secret-value" not in output and "acme-signing-key-value" not in output
    assert "acme-api-key" in output  # an identifier, not a secret
    assert f"partners[0] in {config}" in output
    assert f"{url}/_mock/partners/7" in output and f"{url}/_mock/ui/partners" in output
    # The sandbox partner's credentials are public (README) and stay in the banner.
    for value in SANDBOX.values():
        assert value in output


@pytest.mark.slow
def test_a_redefined_sandbox_partner_keeps_its_secrets_too(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('version = 1\n\n[[partners]]\nid = 1\ncode = "SANDBOX"\n'
                      'api_key = "own-sandbox-key"\napi_secret = "own-sandbox-secret"\n'
                      'signing_key = "own-sandbox-signing-key"\n', encoding="utf-8")
    with ServerProcess("--data", ":memory:", "--config", str(config), cwd=tmp_path) as server:
        assert server.stop() == 0
    output = server.stdout + server.stderr
    assert "own-sandbox-secret" not in output and "own-sandbox-signing-key" not in output
    assert SANDBOX["api_secret"] not in output
