"""``./scripts/test`` leaves the machine and the checkout as it found them (issue 17, point 4).

A user who ran ``pip install .`` and has ``pay1st-mock serve`` running from it keeps a working
server while the test command runs: the script installs only what is missing, never this package
over an installed copy (that swapped the files under the running server: TemplateNotFound on the
checkout page). The tests import this checkout through ``PYTHONPATH`` instead. The README's
screenshots are regenerated only by ``scripts/screenshots``.
"""

from __future__ import annotations

import hashlib
import os
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pay1st_mock.process import ServerProcess

pytestmark = pytest.mark.slow  # builds and installs the package into a virtualenv

ROOT = Path(__file__).resolve().parent.parent
BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes under ``folder`` (``__pycache__`` left out)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def user_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A virtualenv holding this project as ``pip install .`` leaves it (not editable): the
    package's files copied into site-packages, its dist-info, its console script; returns the
    interpreter. (Made by hand: building a wheel needs the ``wheel`` package, which this machine
    need not have, and no network.)"""
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    shutil.copytree(ROOT / "pay1st_mock", site / "pay1st_mock",
                    ignore=shutil.ignore_patterns("__pycache__"))
    info = site / "pay1st_mock-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pay1st-mock\nVersion: 0.1.0\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "entry_points.txt").write_text(
        "[console_scripts]\npay1st-mock = pay1st_mock.cli:main\n")
    script = venv / "bin" / "pay1st-mock"
    script.write_text(f"#!{python}\nimport sys\nfrom pay1st_mock.cli import main\n"
                      "sys.exit(main())\n")
    script.chmod(0o755)
    yield python


def installed_package(python: Path) -> Path:
    """The folder ``python`` imports pay1st_mock from, outside any checkout."""
    found = subprocess.run([str(python), "-c", "import pay1st_mock; print(pay1st_mock.__file__)"],
                           capture_output=True, text=True, check=True, cwd="/",
                           env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    return Path(found.stdout.strip()).parent


def test_the_test_command_leaves_a_running_server_from_pip_install_alone(
        user_install: Path, tmp_path: Path) -> None:
    package = installed_package(user_install)
    assert "site-packages" in package.parts and not package.is_relative_to(ROOT)
    before = tree_digest(package)
    user_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [str(user_install.parent / "pay1st-mock")]
    with ServerProcess("--data", ":memory:", "--quiet", command=command, cwd=tmp_path,
                       env=user_env) as server:
        assert requests.get(f"{server.url}/shop", timeout=5).status_code == 200

        setup = subprocess.run([str(ROOT / "scripts" / "test")], cwd=tmp_path, text=True,
                               capture_output=True, timeout=300,
                               env={**user_env, "PYTHON": str(user_install),
                                    "PAY1ST_MOCK_SETUP_ONLY": "1"})
        assert setup.returncode == 0, setup.stdout + setup.stderr
        assert "installing" not in setup.stderr, "nothing was missing: nothing to install"

        assert tree_digest(package) == before, "the installed files were touched"
        # Pages render from templates read at first use: these would be TemplateNotFound
        # (a plain-text 500) had the files been swapped.
        for path in ("/shop", "/"):
            page = requests.get(server.url + path, headers=BROWSER, timeout=5)
            assert page.status_code == 200 and page.headers["Content-Type"].startswith(
                "text/html"), (path, page.status_code, page.text[:200])
        assert server.stop() == 0
    assert "Traceback" not in server.stderr


def test_the_tests_import_this_checkout_whatever_is_installed(user_install: Path) -> None:
    """Under scripts/test (PYTHONPATH=the checkout) the user's older copy is not what runs."""
    found = subprocess.run([str(user_install), "-c",
                            "import pay1st_mock; print(pay1st_mock.__file__)"],
                           capture_output=True, text=True, check=True, cwd="/",
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert Path(found.stdout.strip()).parent == ROOT / "pay1st_mock"
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT), \
        "tests/conftest.py points the tests' subprocesses at this checkout"


def test_missing_requirements_are_found(user_install: Path) -> None:
    checker = ROOT / "scripts" / "missing_requirements.py"
    done = subprocess.run([str(user_install), str(checker)], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, ""), "everything is there: nothing to install"
    missing = runpy.run_path(str(checker))["missing"]
    assert missing(["pay1st-no-such-package>=1", "requests>=999", "requests>=2"]) == [
        "pay1st-no-such-package>=1", "requests>=999"]
