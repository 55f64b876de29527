"""The ``pay1st-mock`` command: ``serve``, ``run``, ``validate``, ``checklist``, ``config
export``, ``tail``, ``trigger`` and ``sign``.

``main(argv) -> exit code``: 0 success, 1 failure, 2 bad input (a bad option value, unreadable
config, port taken), each said in one line on standard error.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO, cast

from pay1st_mock import __version__
from pay1st_mock.cli_args import (
    OneLineParser,
    UsageError,
    host_problem,
    listen_problem,
    port_number,
    seconds_from_now,
    server_timestamp,
)
from pay1st_mock.config import MEMORY, SANDBOX_PARTNER, ConfigError, Settings, load_settings
from pay1st_mock.console_log import FORMATS, TEXT, LogPrinter, wants_colour
from pay1st_mock.cpu_affinity import keep_to_one_cpu
from pay1st_mock.signing import sign_request, sign_summary, summary_key

if TYPE_CHECKING:
    from flask import Flask

    from pay1st_mock.server import HttpServer


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line ``argv`` and return the exit code."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    words = sys.argv[1:] if argv is None else argv
    try:
        # `serve` builds only its own options: the other commands' would import their modules,
        # 5-6 ms of every start of the emulator.
        args = _parser(only_serve=bool(words) and words[0] == "serve").parse_args(words)
    except UsageError as exc:
        print(exc, file=err)
        return 2
    if args.command == "serve":
        return _serve(args, out, err)
    if args.command in ("tail", "trigger"):
        from pay1st_mock import cli_live

        return (cli_live.tail_command if args.command == "tail"
                else cli_live.trigger_command)(args, out, err)
    if args.command in ("checklist", "config"):
        from pay1st_mock import cli_checklist

        return (cli_checklist.checklist_command if args.command == "checklist"
                else cli_checklist.config_export_command)(args, out, err)
    if args.command in ("run", "validate"):
        from pay1st_mock import cli_run  # imported here: `sign` must stay fast

        command = cli_run.run_command if args.command == "run" else cli_run.validate_command
        return command(args, out, err)
    return _sign(args, out, err)


def _parser(only_serve: bool = False) -> argparse.ArgumentParser:
    """Every command's options, or only ``serve``'s (its usage, help and errors are the same)."""
    parser = OneLineParser(prog="pay1st-mock",
                                     description="Local emulator of Carry1st's Pay1st gateway.")
    parser.add_argument("--version", action="version", version=f"pay1st-mock {__version__}")
    # Typed as argparse's own: the subcommand modules add plain parsers' options.
    commands = cast("argparse._SubParsersAction[argparse.ArgumentParser]",
                    parser.add_subparsers(dest="command", required=True))

    serve = commands.add_parser("serve", help="run the emulator on a port")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=port_number,
                       help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--config", help="TOML config file (partners, countries, timings)")
    serve.add_argument("--data", help="data directory (default ./.pay1st-mock) or :memory:")
    serve.add_argument("--seed", type=int, help="seed for references, tokens and credentials")
    serve.add_argument("--url-file", help="also write the server's URL to this file when ready")
    serve.add_argument("--control-token", help="require this token (X-Pay1st-Mock-Token header) "
                                               "on the control API; use it beyond loopback")
    serve.add_argument("--insecure-open-control", action="store_true",
                       help="listen beyond loopback without a control token: anyone who can "
                            "reach the port can read every partner's secrets and drive /_mock")
    serve.add_argument("--allowed-host", action="append", metavar="NAME",
                       help="a host name the control API may be reached by, besides IP "
                            "addresses and localhost (repeatable; server.allowed_hosts)")
    serve.add_argument("--quiet", "-q", action="store_true",
                       help="print only the banner, not a line per partner call and webhook")
    serve.add_argument("--any-cpu", action="store_true",
                       help="let the system move the server between CPUs; by default it keeps "
                            "to one (the one fewest other processes keep to), where its threads "
                            "hand each other the interpreter lock cheaply (pass this when more "
                            "servers than CPUs are busy for long)")
    serve.add_argument("--log-format", choices=FORMATS, default=TEXT,
                       help="the per-request log: text (coloured on a terminal) or json "
                            "(one object per line, as GET /_mock/events)")
    if only_serve:
        return parser

    from pay1st_mock import cli_checklist, cli_live, cli_run

    cli_run.add_commands(commands)
    cli_checklist.add_commands(commands)
    cli_live.add_commands(commands)

    sign = commands.add_parser("sign", help="compute a Pay1st signature")
    kinds = sign.add_subparsers(dest="kind", required=True)
    gateway = kinds.add_parser("gateway", help="X-SIGNATURE of a gateway request / payment webhook")
    gateway.add_argument("--key", required=True, help="the partner's signing key")
    gateway.add_argument("--timestamp", type=server_timestamp,
                         help="X-TIMESTAMP text, ISO-8601 with a zone (default: now, UTC)")
    summary = kinds.add_parser("summary", help="X-SIGNATURE of a Summary Webhook body")
    summary.add_argument("--username", required=True, help="product Basic Auth username")
    summary.add_argument("--password", required=True, help="product Basic Auth password")
    for kind in (gateway, summary):
        source = kind.add_mutually_exclusive_group(required=True)
        source.add_argument("--body", help="the exact body text")
        source.add_argument("--body-file", help="file holding the exact body bytes ('-' = stdin)")
    return parser


def _serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _collection_paused():
        built = _build_server(args, err)
    if isinstance(built, int):
        return built
    app, server, settings = built
    from pay1st_mock.app import services

    activity = services(app).activity

    def _stop(signum: int, frame: FrameType | None) -> None:
        activity.close()  # readers waiting on /_mock/events answer now, freeing their threads
        server.stop(timeout=0)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    if not _is_loopback(settings.host):  # before the banner: CI scripts stop reading there
        print(_exposure_warning(settings), file=err, flush=True)
    _print_banner(out, server.url, settings)
    printer = None if args.quiet else LogPrinter(out, args.log_format, wants_colour(out)).start()
    if printer is not None:
        activity.subscribe(printer)
    if not args.any_cpu:  # beside serving: choosing looks at every process, a few ms
        threading.Thread(target=keep_to_one_cpu, name="pay1st-mock-cpu", daemon=True).start()
    try:
        server.serve()
    finally:
        services(app).close()
    if printer is None:
        print("pay1st-mock: stopped", file=out, flush=True)
    elif printer.stop():  # never block on an output nobody reads any more
        printer.write("pay1st-mock: stopped")
    return 0


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Run the body with the cyclic garbage collector paused, then freeze what it built.

    Nearly everything a start allocates (modules, classes, the app, its routes) lives as long
    as the server: the hundred or so collections a start triggers find next to nothing, and
    cost about 17 ms of a 190 ms start. Freezing moves those objects out of the collector's
    generations, so the first collection after the start does not walk them all either.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _build_server(args: argparse.Namespace, err: TextIO
                  ) -> tuple[Flask, HttpServer, Settings] | int:
    """The app and its bound server for ``serve``'s options, or the exit code (2) of a problem
    already said on ``err``."""
    from pay1st_mock.app import create_app, services  # imported here: `sign` must stay fast
    from pay1st_mock.server import HttpServer

    try:
        settings = load_settings(args.config).with_overrides(
            host=args.host, port=args.port, data=args.data, seed=args.seed,
            control_token=args.control_token)
        if args.allowed_host:
            settings = settings.with_overrides(
                allowed_hosts=(*settings.allowed_hosts, *args.allowed_host))
        # A name that does not resolve is a typo: say so first. Then the exposure rule (it
        # needs no bind), then whether the address is this machine's.
        problem = host_problem(settings.host, resolve_only=True)
        if problem is None and not (_is_loopback(settings.host) or settings.control_token
                                    or args.insecure_open_control):
            print(_exposure_refusal(settings), file=err)
            return 2
        problem = problem or host_problem(settings.host)
        if problem:
            print(f"pay1st-mock: {problem}", file=err)
            return 2
        app = create_app(settings)
    except ConfigError as exc:
        print(f"pay1st-mock: {exc}", file=err)
        return 2
    except (OSError, sqlite3.Error) as exc:
        print(f"pay1st-mock: {_data_problem(settings, exc)}", file=err)
        return 2
    try:
        server = HttpServer(app, settings.host, settings.port,
                            idle_timeout=settings.idle_timeout_seconds)
        if args.url_file:
            Path(args.url_file).write_text(server.url + "\n", encoding="utf-8")
    except OSError as exc:
        services(app).close()
        problem = (f"cannot write --url-file {args.url_file} ({exc.strerror}); pass a file in "
                   "a folder you can write" if exc.filename else
                   listen_problem(settings.host, settings.port, exc))
        print(f"pay1st-mock: {problem}", file=err)
        return 2
    return app, server, settings


def _data_problem(settings: Settings, exc: OSError | sqlite3.Error) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return (f"cannot keep data in {settings.data} ({reason}); pass --data with a folder you can "
            "write, or --data :memory: to keep nothing")


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it is reachable from elsewhere


def _exposure_refusal(settings: Settings) -> str:
    return (f"pay1st-mock: refusing to listen on {settings.host} without a control token: "
            "anyone who can reach the port could read every partner's credentials and drive the "
            "control API (/_mock). Set one with --control-token TOKEN (or server.control_token in "
            "the config; at least 16 characters) and send it in the X-Pay1st-Mock-Token header, "
            "bind --host 127.0.0.1, or pass --insecure-open-control to accept the risk.")


def _exposure_warning(settings: Settings) -> str:
    where = f"pay1st-mock: warning: listening on {settings.host}, beyond this machine."
    if settings.control_token:
        return (f"{where} The control API (/_mock) requires the control token; the checkout, "
                "Shop and Gateway API are open to anyone who can reach the port.")
    return (f"{where} --insecure-open-control: anyone who can reach the port can use the "
            "control API (/_mock), which shows every partner's credentials: set "
            "--control-token (or server.control_token) to require a token, or bind 127.0.0.1.")


def _print_banner(out: TextIO, url: str, settings: Settings) -> None:
    data = ("in memory (gone when the server stops)" if settings.data == MEMORY
            else f"{Path(settings.data).resolve()} (survives restarts; --data :memory: for none)")
    lines = [
        f"pay1st-mock {__version__} listening on {url}",
        f"  Gateway API    {url}/api/pay1st",
        f"  Control API    {url}/_mock  (health: {url}/_mock/health)",
        f"  Dashboard      {url}/_mock/ui",
        f"  Data           {data}",
        f"  Seed           {settings.seed if settings.seed is not None else 'none (random)'}",
    ]
    for partner in settings.all_partners:
        lines += [f"Partner {partner.code} (partnerId {partner.id})",
                  f"  API key        {partner.api_key}"]
        if partner == SANDBOX_PARTNER:  # the documented, public test credentials
            lines += [f"  API secret     {partner.api_secret}",
                      f"  Signing key    {partner.signing_key}"]
        else:  # secrets never go to the output: say where they are
            where = f"partners[{settings.partners.index(partner)}] in {settings.source}"
            lines += [f"  Secrets        not printed: API secret and signing key are in {where},",
                      f"                 GET {url}/_mock/partners/{partner.id} and "
                      f"{url}/_mock/ui/partners"]
    lines += [
        "Press Ctrl+C to stop.",
        # One machine-readable line for CI scripts in any language: grep '^PAY1ST_MOCK_URL='.
        f"PAY1ST_MOCK_URL={url}",
    ]
    print("\n".join(lines), file=out, flush=True)


def _sign(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.body is not None:
        body = args.body.encode("utf-8")
    elif args.body_file == "-":
        body = sys.stdin.buffer.read()
    else:
        try:
            body = Path(args.body_file).read_bytes()
        except OSError as exc:
            print(f"pay1st-mock: cannot read {args.body_file}: {exc.strerror}", file=err)
            return 2
    if args.kind == "gateway":
        timestamp = args.timestamp or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        print(f"X-TIMESTAMP: {timestamp}", file=out)
        print(f"X-SIGNATURE: {sign_request(args.key, timestamp, body)}", file=out)
        off = seconds_from_now(timestamp)
        window = Settings.timestamp_tolerance_seconds
        if abs(off) > window:  # signed all the same: the docs' vectors are old on purpose
            print(f"pay1st-mock: note: this X-TIMESTAMP is {_age(off)}; the emulator refuses "
                  f"a request whose X-TIMESTAMP is more than {window:g} s from its clock "
                  "(TIMESTAMP_OUT_OF_WINDOW): to sign a request you will send, leave "
                  "--timestamp out", file=err)
    else:
        print(f"X-SIGNATURE: {sign_summary(summary_key(args.username, args.password), body)}",
              file=out)
    return 0


def _age(offset: float) -> str:
    """``-90000`` → ``1 day(s) in the past``; ``400`` → ``6 minute(s) in the future``."""
    when = "in the past" if offset < 0 else "in the future"
    seconds = abs(offset)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return f"{seconds // size:.0f} {unit}(s) {when}"
    return f"{seconds:.0f} s {when}"
