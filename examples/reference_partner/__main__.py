"""``python -m reference_partner``: run the reference partner until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TextIO

from reference_partner.bugs import BUG_DESCRIPTIONS
from reference_partner.server import PartnerServer
from reference_partner.settings import PartnerSettings, settings_from_env, split_names


def parser() -> argparse.ArgumentParser:
    """The command line; flags win over REFERENCE_PARTNER_* environment variables."""
    cli = argparse.ArgumentParser(prog="python -m reference_partner",
                                  description="A partner that integrates with Pay1st correctly.")
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    cli.add_argument("--pay1st-url", help="Pay1st's base URL (default http://127.0.0.1:8080)")
    cli.add_argument("--bug", action="append", default=[], metavar="NAME",
                     help="turn on a deliberate bug (repeatable); see --list-bugs")
    cli.add_argument("--slow-seconds", type=float, help="how long the slow-* bugs sleep")
    cli.add_argument("--list-bugs", action="store_true", help="list the bugs and exit")
    return cli


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
         stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """Run the partner; 0 after a clean stop, 2 for bad input or a port that is taken."""
    args = parser().parse_args(argv)
    if args.list_bugs:
        for name, description in sorted(BUG_DESCRIPTIONS.items()):
            print(f"{name}: {description}", file=stdout)
        return 0
    try:
        settings = settings_from(args, os.environ if environ is None else environ)
    except ValueError as exc:  # an unknown bug name, a number that is not one
        print(f"error: {exc}", file=stderr)
        return 2
    return serve(settings, args.host, args.port, stdout, stderr)


def settings_from(args: argparse.Namespace, environ: Mapping[str, str]) -> PartnerSettings:
    """The environment's settings, overridden by the flags that were given."""
    settings = settings_from_env(environ)
    settings.bugs = split_names([*settings.bugs, *args.bug])
    settings.pay1st_url = args.pay1st_url or settings.pay1st_url
    if args.slow_seconds is not None:
        settings.slow_seconds = args.slow_seconds
    return settings


def serve(settings: PartnerSettings, host: str, port: int, stdout: TextIO,
          stderr: TextIO) -> int:
    """Serve until SIGINT or SIGTERM; print the URLs to configure in Pay1st."""
    stopping = threading.Event()  # handlers first: a signal right after the banner must count
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        server = PartnerServer(settings, host, port, log_requests=True).start()
    except OSError as exc:
        print(f"error: {exc}", file=stderr)
        return 2
    print(f"Reference partner on {server.url}, talking to Pay1st at {settings.pay1st_url}\n"
          f"  User Info Webhook:      {server.url}/pay1st/user-info\n"
          f"  Summary Webhook:        {server.url}/pay1st/summary\n"
          f"  Payment Webhook Events: {server.url}/pay1st/payment-events\n"
          f"  bugs on: {', '.join(sorted(settings.bugs)) or 'none'}\n"
          f"REFERENCE_PARTNER_URL={server.url}", file=stdout, flush=True)
    while not stopping.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
