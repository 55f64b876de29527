"""What the commands that drive a running emulator share: ``--server`` and ``--control-token``,
and one client of its control API whose every failure is a one-line ``CommandError``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from pay1st_mock.cli_args import http_url

DEFAULT_SERVER = "http://127.0.0.1:8080"


class CommandError(Exception):
    """Bad input or an unreachable server: one line saying what to change."""


class Unreachable(CommandError):
    """No answer from the server (it is down, or restarting)."""


def request_errors() -> tuple[type[Exception], ...]:
    import requests

    return (requests.RequestException,)  # refused, reset, cut mid-answer (a server stopping)


def server_arguments(parser: argparse.ArgumentParser) -> None:
    """``--server URL`` and ``--control-token``, with their environment defaults."""
    parser.add_argument("--server", metavar="URL", type=http_url,
                        help=f"the running emulator (default: $PAY1ST_MOCK_URL, else "
                             f"{DEFAULT_SERVER})")
    parser.add_argument("--control-token", help="the server's control token, if it requires "
                                                "one (default: $PAY1ST_MOCK_CONTROL_TOKEN)")


class ControlClient:
    """The control API of the emulator named by ``--server``."""

    def __init__(self, args: argparse.Namespace) -> None:
        import requests

        from pay1st_mock.config import CONTROL_TOKEN_HEADER

        self.server = (args.server or os.environ.get("PAY1ST_MOCK_URL")
                       or DEFAULT_SERVER).rstrip("/")
        self.session: requests.Session = requests.Session()
        self.session.trust_env = False  # the emulator is local: no proxy
        token = args.control_token or os.environ.get("PAY1ST_MOCK_CONTROL_TOKEN")
        if token:
            self.session.headers[CONTROL_TOKEN_HEADER] = token

    def call(self, method: str, path: str, query: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, timeout: float = 30.0,
             retry: bool = False) -> dict[str, Any]:
        """``METHOD /_mock{path}`` → the JSON answer; ``CommandError`` saying what went wrong
        (``Unreachable`` when nothing answers)."""
        try:
            response = self.session.request(method, f"{self.server}/_mock{path}", params=query,
                                            json=body, timeout=timeout)
        except request_errors():
            raise Unreachable(f"no emulator answers at {self.server}; start one with "
                               "'pay1st-mock serve' or pass --server URL") from None
        if retry and response.status_code in (502, 503, 504):  # a proxy in front, restarting
            raise Unreachable(f"{self.server} answered {response.status_code}")
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            raise CommandError(f"{self.server} answered {response.status_code} without JSON; "
                               "is it a pay1st-mock server?") from None
        if response.status_code >= 400:
            raise CommandError(f"{answer.get('errorCode', response.status_code)}: "
                               f"{answer.get('errorMessage', response.text[:200])}")
        return answer
