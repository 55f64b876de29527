"""Rewrite the documentation's generated tables (error codes, outcome test values) from the code.

The error codes are in docs/gateway-api.md and the outcome test values in docs/checkout.md;
every page (README.md and docs/*.md) is scanned, so a table keeps being rewritten wherever it
moves. Run after changing pay1st_mock/errors.py or pay1st_mock/domain/outcome_table.py; the tests
in tests/test_readme.py fail until the pages match.
"""

from __future__ import annotations

import re
from pathlib import Path

from pay1st_mock.domain.outcome_table import TABLE
from pay1st_mock.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def rewrite(text: str) -> str:
    """``text`` with its error-code and outcome tables regenerated (others left alone)."""
    errors = "\n".join(f"| `{e.code}` | {e.status} | {e.meaning} |" for e in ERROR_CODES.values())
    outcomes = "\n".join(f"| {r.flow} | {r.value} | {r.outcome} |" for r in TABLE)
    text = re.sub(r"(\| errorCode \| HTTP \| when \|\n\|---\|---\|---\|\n)(?:\|.*\|\n)+",
                  lambda m: m.group(1) + errors + "\n", text)
    return re.sub(r"(\| flow \| test value \| outcome \|\n\|---\|---\|---\|\n)(?:\|.*\|\n)+",
                  lambda m: m.group(1) + outcomes + "\n", text)


def main() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            print(f"rewrote {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
