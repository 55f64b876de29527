"""What a start of the emulator imports: every module costs start-up time (issue 18's cold start),
so modules only some commands or a config file need are not imported by `serve` itself."""

from __future__ import annotations

import json
import subprocess
import sys

# Imported by `serve` before this was looked at, and needed only elsewhere.
NOT_AT_START = ("pay1st_mock.cli_run", "pay1st_mock.cli_checklist", "pay1st_mock.cli_live",
                "pay1st_mock.cli_control", "tomllib", "xml.sax", "urllib.request")


def _run(code: str) -> str:
    """The last line ``code`` prints, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.splitlines()[-1]


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    printed = _run(f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))")
    return set(json.loads(printed))


def test_serve_builds_only_its_own_options() -> None:
    # An out-of-range port stops `serve` right after its options are read.
    loaded = _modules_after("from pay1st_mock.cli import main\n"
                            "assert main(['serve', '--port', '70000']) == 2")
    assert not loaded & set(NOT_AT_START), "serve imported another command's module"


def test_an_app_on_the_defaults_imports_only_what_serving_needs() -> None:
    loaded = _modules_after("from pay1st_mock.app import create_app, services\n"
                            "from pay1st_mock.config import MEMORY, load_settings\n"
                            "app = create_app(load_settings(None).with_overrides(data=MEMORY))\n"
                            "services(app).close()")
    assert "pay1st_mock.web.gateway" in loaded  # the app was built
    assert not loaded & set(NOT_AT_START)


def test_other_commands_still_have_their_options() -> None:
    loaded = _modules_after("from pay1st_mock.cli import main\n"
                            "assert main(['tail', '--since', 'nonsense']) == 2")
    assert "pay1st_mock.cli_live" in loaded


def test_serve_builds_without_collecting_then_collects_again() -> None:
    # The collector is paused while serve builds, and what the start built is frozen out of
    # it: the collector runs again (over the requests' objects only) once serving starts.
    seen = json.loads(_run(
        "import gc, json\n"
        "from pay1st_mock import cli\n"
        "from pay1st_mock.server import HttpServer\n"
        "seen = {}\n"
        "def serve(self):\n"
        "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count(),\n"
        "                young=gc.get_count()[0])\n"
        "HttpServer.serve = serve\n"
        "assert cli.main(['serve', '--port', '0', '--data', ':memory:', '--quiet']) == 0\n"
        "print(json.dumps(seen))"))
    assert seen["enabled"] is True
    assert seen["frozen"] > 50_000, "the start's objects should be frozen out of collection"
    assert seen["young"] < 1_000


def test_a_start_that_fails_leaves_the_collector_running() -> None:
    enabled = _run("import gc, sys\n"
                   "from pay1st_mock import cli\n"
                   "assert cli.main(['serve', '--config', '/nonexistent/pay1st.toml']) == 2\n"
                   "print(gc.isenabled())")
    assert enabled == "True"
