"""The README stays true: its error table matches the code and its examples run as shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

from pay1st_mock.errors import ERROR_CODES

README = Path(__file__).resolve().parent.parent / "README.md"


def _block(marker: str) -> str:
    """Return the fenced code block that follows ``<!-- tested: marker -->``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- tested: {marker} -->\n```\w+\n(.*?)\n```", text, re.S)
    assert match, f"README has no block marked {marker}"
    return match.group(1)


def test_error_code_table_matches_the_code() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (\d{3}) \| (.+) \|$", README.read_text("utf-8"), re.M)
    assert rows == [(e.code, str(e.status), e.meaning) for e in ERROR_CODES.values()]


def test_quick_start_has_exactly_the_two_commands() -> None:
    text = README.read_text("utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick, re.S)
    assert commands == ["pip install . && pay1st-mock serve", "./scripts/test"]
    assert "./scripts/test" in (README.parent / ".ci" / "run").read_text("utf-8")


def test_curl_flow_runs_as_shown(live_url: str) -> None:
    script = _block("readme-curl").replace("BASE=http://127.0.0.1:8080", f"BASE={live_url}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"status":"SUCCESSFUL"' in result.stdout
    assert result.stdout.rstrip().endswith("200")
    payments = requests.get(f"{live_url}/_mock/payments").json()["payments"]
    assert [f["quantity"] for f in payments[0]["fulfilments"]] == [1]


def test_python_flow_runs_as_shown(live_url: str) -> None:
    script = _block("readme-python").replace('BASE = "http://127.0.0.1:8080"',
                                             f'BASE = "{live_url}"')
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    reference, status = result.stdout.split()
    assert re.fullmatch(r"C-\d{15}-P", reference) and status == "NEW"


def test_outcome_table_matches_the_engine_data() -> None:
    from pay1st_mock.domain.outcome_table import TABLE

    text = README.read_text("utf-8")
    section = text.split("<!-- outcome-table:", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \| (.+?) \|$", section, re.M)[1:]  # no header
    assert rows == [(r.flow, r.value, r.outcome) for r in TABLE]


def test_every_toml_example_is_a_valid_config() -> None:
    import textwrap
    import tomllib

    from pay1st_mock.config import settings_from_mapping

    blocks = re.findall(r"```toml\n(.*?)\n *```", README.read_text("utf-8"), re.S)
    assert len(blocks) >= 3
    for block in map(textwrap.dedent, blocks):  # blocks inside list items are indented
        text = block if block.lstrip().startswith("version") else "version = 1\n" + block
        settings_from_mapping(tomllib.loads(text), source="README.md")


def test_plugin_example_passes() -> None:
    """The README's pytest example runs green as a user's test file."""
    import tempfile

    code = _block("readme-plugin")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "test_example.py"
        path.write_text(code, encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:benchmark",
                                 "-p", "no:cacheprovider", str(path)], capture_output=True,
                                text=True, timeout=120, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_mockserver_example_runs() -> None:
    result = subprocess.run([sys.executable, "-c", _block("readme-mockserver")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    url, reference = result.stdout.split()
    assert url.startswith("http://127.0.0.1:") and re.fullmatch(r"C-\d{15}-P", reference)
