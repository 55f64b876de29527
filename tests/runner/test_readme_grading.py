"""The docs stay true about grading: docs/scenarios.md's config builds the target it describes,
its commands grade the reference partner as shown, its pack table lists the pack; and the
reference-partner walkthrough (docs/integrating.md) quotes the partner's source exactly."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import textwrap
import tomllib

import pytest

from pay1st_mock.config import settings_from_mapping
from pay1st_mock.runner.target import build_target
from tests.runner.conftest import PACK, ROOT
from tests.test_readme import _block, _doc

PAGE = _doc("scenarios.md")


def test_the_partner_config_describes_the_partner_once() -> None:
    block = re.search(r"```toml\n(.*?)\n *```", PAGE, re.S)
    assert block
    target = build_target(settings_from_mapping(tomllib.loads(textwrap.dedent(block.group(1)))))
    assert (target.partner.code, target.partner.webhook_url) == (
        "ACME", "http://127.0.0.1:5000/pay1st/payment-events")
    assert target.product is not None and target.product.summary_url.endswith("/pay1st/summary")
    assert (target.hooks_url, target.player_id) == ("http://127.0.0.1:5000/pay1st-test",
                                                    "player-1")


def test_the_pack_table_lists_every_shipped_scenario() -> None:
    listed = re.findall(r"^\| `((?:gateway|shop)/[a-z0-9-]+\.json)` \|", PAGE, re.M)
    assert sorted(listed) == sorted(str(p.relative_to(PACK)) for p in PACK.rglob("*.json"))


@pytest.mark.slow
def test_the_grading_commands_run_as_shown() -> None:
    lines = [line for line in _block("readme-grade").splitlines() if not line.startswith("#")]
    emulator_port = _free_port()
    partner_cmd = (lines[0].replace("cd examples && python", sys.executable)
                   .replace("--port 5000", "--port 0").replace("8080", str(emulator_port)))
    partner = subprocess.Popen(partner_cmd.split(), cwd=ROOT / "examples",
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert partner.stdout is not None
        url = next(line.split("=", 1)[1].strip() for line in partner.stdout
                   if line.startswith("REFERENCE_PARTNER_URL="))
        run_cmd = lines[1].replace("http://127.0.0.1:5000", url).split()
        assert run_cmd[0] == "pay1st-mock"
        result = subprocess.run(
            [sys.executable, "-m", "pay1st_mock", *run_cmd[1:], "--port", str(emulator_port)],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        partner.terminate()
        partner.communicate(timeout=10)
    assert result.returncode == 0, result.stdout + result.stderr
    # --partner-url names no suspended player: that one scenario is skipped, never failed.
    requiring = [p for p in PACK.rglob("*.json")
                 if "suspended_player" in json.loads(p.read_text("utf-8")).get("requires", [])]
    shipped = len(list(PACK.rglob("*.json")))
    assert result.stdout.rstrip().endswith(
        f"{shipped - len(requiring)} passed, 0 failed, {len(requiring)} skipped")
    assert f"It ends `{result.stdout.rstrip().splitlines()[-1]}`" in PAGE  # as the page says


def _free_port() -> int:
    with socket.socket() as probe:  # a small race with other processes; acceptable in a test
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_quotes_of_the_reference_partner_match_its_source() -> None:
    text = _doc("integrating.md")
    quotes = re.findall(r"<!-- quoted: (\S+) -->\n```python\n(.*?)\n```", text, re.S)
    assert len(quotes) >= 5
    for path, quote in quotes:
        source = (ROOT / path).read_text("utf-8")
        assert quote in source or _indented_in(quote, source), (
            f"docs/integrating.md quote of {path} no longer matches the source:\n{quote}")


def _indented_in(quote: str, source: str) -> bool:
    """A quoted method appears in the source indented by one level."""
    return textwrap.indent(quote, "    ") in source
