"""Rewrite the README's generated tables (error codes, outcome test values) from the code.

Run after changing pay1st_mock/errors.py or pay1st_mock/domain/outcome_table.py; the tests in
tests/test_readme.py fail until the README matches.
"""

from __future__ import annotations

import re
from pathlib import Path

from pay1st_mock.domain.outcome_table import TABLE
from pay1st_mock.errors import ERROR_CODES

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    errors = "\n".join(f"| `{e.code}` | {e.status} | {e.meaning} |" for e in ERROR_CODES.values())
    outcomes = "\n".join(f"| {r.flow} | {r.value} | {r.outcome} |" for r in TABLE)
    text = re.sub(r"(\| errorCode \| HTTP \| when \|\n\|---\|---\|---\|\n)(?:\|.*\|\n)+",
                  lambda m: m.group(1) + errors + "\n", text)
    text = re.sub(r"(\| flow \| test value \| outcome \|\n\|---\|---\|---\|\n)(?:\|.*\|\n)+",
                  lambda m: m.group(1) + outcomes + "\n", text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
