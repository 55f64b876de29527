"""Print what ``scripts/test`` must install, one pip requirement a line; exit 0 when nothing.

Exit 3 when the pay1st-mock distribution itself is not installed (then the caller installs
this checkout, editable, with its test extra); exit 1 when only dependencies are missing or too
old (they are printed, and the caller installs just those). An installed pay1st-mock is never
reinstalled: a user's ``pip install .`` may be serving right now from those very files, and the
tests import this checkout anyway (``PYTHONPATH``).
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirements() -> list[str]:
    """The project's dependencies and its ``test`` extra, as written in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def missing(wanted: list[str]) -> list[str]:
    """The requirements not satisfied by what is installed (all of them if we cannot tell)."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # a bare machine: let pip sort it out
        return wanted
    absent = []
    for text in wanted:
        requirement = Requirement(text.split("#")[0].strip())
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            absent.append(str(requirement))
            continue
        if requirement.specifier and not requirement.specifier.contains(version,
                                                                        prereleases=True):
            absent.append(str(requirement))
    return absent


def main() -> int:
    try:
        metadata.version("pay1st-mock")
    except metadata.PackageNotFoundError:
        return 3
    todo = missing(requirements())
    for requirement in todo:
        print(requirement)
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main())
