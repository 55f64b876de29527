"""The documentation stays true: README.md and the pages in docs/ keep their tables equal to the
code, their examples run as shown, and their links lead somewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

from pay1st_mock.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_LINES = 300


def _doc(name: str) -> str:
    """The text of ``docs/<name>`` (e.g. ``_doc("gateway-api.md")``)."""
    return (DOCS / name).read_text(encoding="utf-8")


def _pages() -> list[Path]:
    """README.md and every page in docs/, in a stable order."""
    return [README, *sorted(DOCS.glob("*.md"))]


def _block(marker: str) -> str:
    """Return the fenced code block that follows ``<!-- tested: marker -->``, wherever it is."""
    found = [match.group(1) for page in _pages()
             for match in re.finditer(rf"<!-- tested: {marker} -->\n```\w+\n(.*?)\n```",
                                      page.read_text(encoding="utf-8"), re.S)]
    assert len(found) == 1, f"{len(found)} blocks marked {marker} in README.md and docs/"
    return found[0]


def test_error_code_table_matches_the_code() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (\d{3}) \| (.+) \|$", _doc("gateway-api.md"), re.M)
    assert rows == [(e.code, str(e.status), e.meaning) for e in ERROR_CODES.values()]


def test_quick_start_has_exactly_the_two_commands() -> None:
    text = README.read_text("utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick, re.S)
    assert commands == ["pip install . && pay1st-mock serve", "./scripts/test"]
    assert "./scripts/test" in (README.parent / ".ci" / "run").read_text("utf-8")


def test_readme_stays_short() -> None:
    """The README is for a newcomer; references belong in docs/."""
    count = len(README.read_text("utf-8").splitlines())
    assert count <= README_MAX_LINES, f"README.md has {count} lines; move references to docs/"


def test_readme_maps_every_docs_page() -> None:
    mapped = re.findall(r"^\| \[[^\]]+\]\(docs/([\w-]+\.md)\) \| .+ \|$",
                        README.read_text("utf-8"), re.M)
    assert sorted(mapped) == sorted(page.name for page in DOCS.glob("*.md"))


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

    section = _doc("checkout.md").split("<!-- outcome-table:", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \| (.+?) \|$", section, re.M)[1:]  # no header
    assert rows == [(r.flow, r.value, r.outcome) for r in TABLE]


def test_every_toml_example_is_a_valid_config() -> None:
    import textwrap
    import tomllib

    from pay1st_mock.config import settings_from_mapping

    count = 0
    for page in _pages():
        blocks = re.findall(r"```toml\n(.*?)\n *```", page.read_text("utf-8"), re.S)
        for block in map(textwrap.dedent, blocks):  # blocks inside list items are indented
            text = block if block.lstrip().startswith("version") else "version = 1\n" + block
            settings_from_mapping(tomllib.loads(text), source=str(page.relative_to(ROOT)))
            count += 1
    assert count >= 3


def test_plugin_example_passes() -> None:
    """The documented pytest example runs green as a user's test file."""
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


def _prose(markdown: str) -> str:
    """``markdown`` without fenced code blocks and inline code, where nothing is a link."""
    without_blocks = re.sub(r"^ *```.*?^ *```[ \t]*$", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", without_blocks)


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown`` (lower case, punctuation dropped,
    spaces to hyphens; a repeated slug gets ``-1``, ``-2``...)."""
    without_blocks = re.sub(r"^ *```.*?^ *```[ \t]*$", "", markdown, flags=re.S | re.M)
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", without_blocks, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        unique, n = slug, 0
        while unique in anchors:
            n += 1
            unique = f"{slug}-{n}"
        anchors.add(unique)
    return anchors


def test_anchor_slugs_follow_github() -> None:
    assert _anchors("# Control API (`/_mock`)\n## Choices where Pay1st's docs are silent\n"
                    "## From any language: `serve --port 0`\n## Limits\n## Limits\n") == {
        "control-api-_mock", "choices-where-pay1sts-docs-are-silent",
        "from-any-language-serve---port-0", "limits", "limits-1"}


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    problems = []
    for page in _pages():
        text = page.read_text("utf-8")
        for target in re.findall(r"\]\(([^)\s]+)(?: \"[^\"]*\")?\)", _prose(text)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                continue
            path_part, _, anchor = target.partition("#")
            linked = (page.parent / path_part).resolve() if path_part else page
            where = f"{page.relative_to(ROOT)} → {target}"
            if not linked.exists():
                problems.append(f"{where}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(
                    linked.read_text("utf-8")):
                problems.append(f"{where}: no heading with that anchor")
    assert not problems, "\n".join(problems)
