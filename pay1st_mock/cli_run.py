"""``pay1st-mock run`` and ``pay1st-mock validate``: the scenario commands.

Exit codes: 0 every scenario passed (every file valid), 1 a scenario failed, 2 bad input (a
scenario or config file that does not validate, an emulator that cannot start or be reached).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pay1st_mock.cli_args import http_url, listen_problem, port_number

if TYPE_CHECKING:
    from pay1st_mock.config import Settings

BAD_INPUT = 2


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run`` and ``validate`` to the CLI's subcommands."""
    run = commands.add_parser("run", help="grade a partner's build with scenario files")
    run.add_argument("paths", nargs="+", metavar="SCENARIO_OR_DIR")
    run.add_argument("--config", help="TOML config describing the partner under test")
    run.add_argument("--partner-url", type=http_url,
                     help="the partner's base URL; fills the default endpoint paths the config "
                          "leaves unset")
    run.add_argument("--server", metavar="URL", type=http_url,
                     help="use this running emulator instead of starting one")
    run.add_argument("--host", help="address for the emulator run starts (default: the "
                                    "config's server.host, else 127.0.0.1)")
    run.add_argument("--port", type=port_number,
                     help="its port (default: the config's server.port, else 8080; 0 = any "
                          "free port)")
    run.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    run.add_argument("--json", metavar="FILE", help="write a JSON report")
    run.add_argument("--seed", type=int, help="seed for generated references and fake data")
    run.add_argument("--control-token", help="the --server's control token, if it requires one")
    run.add_argument("-k", dest="pattern", metavar="PATTERN",
                     help="only scenarios whose name, file or tag contains PATTERN "
                          "('not X', 'A or B')")

    validate = commands.add_parser("validate", help="check scenario (.json) and config (.toml) "
                                                    "files without running anything")
    validate.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pay1st-mock run``: see the module docstring for exit codes."""
    # Imported here, not at the top: building the parser must stay cheap for `sign`.
    from pay1st_mock.config import MEMORY, ConfigError, load_settings
    from pay1st_mock.runner.emulator import EmulatorError
    from pay1st_mock.runner.engine import Engine
    from pay1st_mock.runner.model import ScenarioFileError, load_scenarios
    from pay1st_mock.runner.reporters import Reporter
    from pay1st_mock.runner.reporters.console import ConsoleReporter
    from pay1st_mock.runner.reporters.jsonfile import JsonReporter
    from pay1st_mock.runner.reporters.junit import JUnitReporter
    from pay1st_mock.runner.session import run_scenarios
    from pay1st_mock.runner.target import build_target, with_partner_url

    try:
        settings = with_partner_url(load_settings(args.config), args.partner_url)
        settings = settings.with_overrides(host=args.host, port=args.port, data=MEMORY,
                                           seed=args.seed)
        target = build_target(settings)
        scenarios = [s for s in load_scenarios(args.paths) if s.matches(args.pattern)]
    except (ConfigError, ScenarioFileError) as exc:
        print(f"pay1st-mock: {exc}", file=err)
        return BAD_INPUT
    if not scenarios:
        print(f"pay1st-mock: no scenario matches -k {args.pattern!r}", file=err)
        return BAD_INPUT
    reporters: list[Reporter] = [ConsoleReporter(out)]
    if args.junit:
        reporters.append(JUnitReporter(args.junit))
    if args.json:
        reporters.append(JsonReporter(args.json))
    with ExitStack() as stack:
        try:
            url = args.server or _start_emulator(stack, settings, out)
            engine = Engine(target, url, seed=args.seed,
                            control_token=args.control_token or settings.control_token)
            if args.server:
                engine.emulator.check_reachable()
        except (OSError, ConfigError, RuntimeError, EmulatorError) as exc:
            print(f"pay1st-mock: {exc}", file=err)
            return BAD_INPUT
        try:
            result = run_scenarios(engine, scenarios, reporters)
        except KeyboardInterrupt:
            print("pay1st-mock: interrupted", file=err)
            return 130
    return 0 if result.failed == 0 else 1


def _start_emulator(stack: ExitStack, settings: Settings, out: TextIO) -> str:
    from pay1st_mock.server import MockServer  # only when run starts its own

    try:
        mock = MockServer(settings, settings.host, settings.port).start()
    except OSError as exc:
        problem = listen_problem(settings.host, settings.port, exc)
        raise OSError(problem.replace("cannot listen on", "cannot start the emulator on", 1)
                      + ", or use --server URL with a running emulator") from None
    stack.callback(mock.stop)
    print(f"pay1st-mock: emulator started at {mock.url} (point the partner's Pay1st base URL "
          "here)", file=out, flush=True)
    return mock.url


def validate_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pay1st-mock validate``: 0 when every file is valid, 2 otherwise."""
    from pay1st_mock.runner.model import ScenarioFileError, find_files

    bad = 0
    try:
        files = find_files(args.paths, suffixes=(".json", ".toml"))
    except ScenarioFileError as exc:
        print(f"pay1st-mock: {exc}", file=err)
        return BAD_INPUT
    for path in files:
        problem = _problem(path)
        if problem is None:
            print(f"ok       {path}", file=out)
        else:
            bad += 1
            print(f"invalid  {problem}", file=out)
    print(f"{len(files) - bad} valid, {bad} invalid", file=out)
    return 0 if bad == 0 else BAD_INPUT


def _problem(path: Path) -> str | None:
    from pay1st_mock.config import ConfigError, load_settings
    from pay1st_mock.runner.model import ScenarioFileError, load_scenario
    from pay1st_mock.runner.target import build_target

    try:
        if path.suffix == ".toml":
            build_target(load_settings(path))
        else:
            load_scenario(path)
    except (ConfigError, ScenarioFileError) as exc:
        return str(exc)
    return None
