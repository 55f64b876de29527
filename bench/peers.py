"""The servers pay1st-mock is measured against in the same run: a peer and floors.

- **Prism** (Stoplight's OpenAPI mock server, Node.js), the peer: installed on demand with npm
  into ``bench/results/peers/prism`` (git-ignored), version ``PRISM_VERSION``, and run as
  ``prism mock -h 127.0.0.1 -p PORT SPEC`` on a small OpenAPI 3 document (``prism_document``)
  whose examples are the bodies pay1st-mock itself answered, so both send the same bytes.
- **floors**: a bare Flask app answering the same routes with fixed bodies, on the emulator's
  own HTTP server (``pay1st_mock.http_server.HttpServer``) and on waitress. They show what the
  HTTP server and Flask cost before the emulator does any work. ``python bench/peers.py floor
  --server http_server|waitress --bodies FILE serve --host H --port 0`` is one; it speaks the
  ``pay1st_mock.process`` protocol (a ``PAY1ST_MOCK_URL=`` line, ``GET /_mock/health``,
  SIGTERM), so ``ServerProcess`` runs it like the emulator.

Nothing here measures: ``gateway.versus_peers`` does. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PEERS_DIR = BENCH_DIR / "results" / "peers"
FLOOR_BODIES = PEERS_DIR / "floor-bodies.json"  # the bodies the floors answer, written per run
PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.14.2"  # pinned: what the project's experiments used
PRISM_LABEL = f"Prism {PRISM_VERSION}"
INSTALL_TIMEOUT_S = 600.0
START_TIMEOUT_S = 30.0
FLOOR_SERVERS = {"http_server": "floor: bare Flask on HttpServer",
                 "waitress": "floor: bare Flask on waitress (threads=2)"}
HEALTH_PATH = "/_mock/health"
URL_PREFIX = "PAY1ST_MOCK_URL="  # pay1st_mock.process's protocol, spoken by the floor too


class PeerUnavailable(RuntimeError):
    """A peer cannot be measured on this machine; ``str()`` is the reason, for the table."""


class Running(Protocol):
    """A server process under measurement (``ServerProcess`` and ``PrismProcess`` both are)."""

    @property
    def pid(self) -> int: ...

    @property
    def address(self) -> tuple[str, int]: ...

    def stop(self) -> object: ...


@dataclass(frozen=True)
class Probe:
    """One HTTP request that must answer 200: what readiness and verification send."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


# --------------------------------------------------------------------------- Prism


def prism_executable(directory: Path = PEERS_DIR / "prism") -> Path:
    """The ``prism`` launcher of ``PRISM_VERSION`` under ``directory``, installed first with
    ``npm install --no-audit --no-fund`` when missing or another version.

    Raises ``PeerUnavailable`` (with the reason) when node or npm is missing or npm fails.
    """
    if shutil.which("node") is None:
        raise PeerUnavailable("node not found on PATH")
    launcher = directory / "node_modules" / ".bin" / "prism"
    if launcher.exists() and installed_prism_version(directory) == PRISM_VERSION:
        return launcher
    npm = shutil.which("npm")
    if npm is None:
        raise PeerUnavailable("npm not found on PATH")
    _npm_install(npm, directory, f"{PRISM_PACKAGE}@{PRISM_VERSION}")
    if not launcher.exists() or installed_prism_version(directory) != PRISM_VERSION:
        raise PeerUnavailable(f"npm install left no {PRISM_PACKAGE} {PRISM_VERSION} in "
                              f"{directory}")
    return launcher


def installed_prism_version(directory: Path) -> str | None:
    """The version of ``PRISM_PACKAGE`` installed under ``directory``, or None."""
    manifest = directory / "node_modules" / PRISM_PACKAGE / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def _npm_install(npm: str, directory: Path, package: str) -> None:
    """``npm install`` ``package`` into ``directory`` (its own package.json, so npm does not
    look further up); output to ``install.log`` there. Raises ``PeerUnavailable`` on failure."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / "package.json"
    if not manifest.exists():
        manifest.write_text(json.dumps({"name": "pay1st-mock-bench-peers", "private": True})
                            + "\n", encoding="utf-8")
    log = directory / "install.log"
    print(f"installing {package} into {directory} (npm) ...", file=sys.stderr, flush=True)
    with log.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run([npm, "install", "--no-audit", "--no-fund", package],
                                  cwd=directory, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT_S,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PeerUnavailable(f"npm install failed: {exc}") from exc
    if done.returncode != 0:
        tail = _last_line(log.read_text(encoding="utf-8", errors="replace"))
        raise PeerUnavailable(f"npm install failed (exit {done.returncode}): {tail}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:120] if lines else "no output"


def prism_document(methods_path: str, methods_body: bytes, token_path: str, token_body: bytes,
                   token_media_type: str) -> dict[str, Any]:
    """An OpenAPI 3.0 document for Prism: the two operations the load sends, 200 only.

    ``methods_path`` may carry a query (``?countryCode=NG``): its parameters become required
    query parameters. The methods call also declares the ``AccessToken`` header the emulator
    requires; the token call's request body has ``token_media_type`` and no security
    requirement, so Prism neither answers 401 nor 415/422 to the load's requests. The bodies
    are the JSON the emulator answered, as ``example``s (Prism returns them as they are).
    """
    path, _, query = methods_path.partition("?")
    query_names = [pair.partition("=")[0] for pair in query.split("&") if pair]
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
        for name in query_names]
    parameters.append({"name": "AccessToken", "in": "header", "required": True,
                       "schema": {"type": "string"}})
    return {
        "openapi": "3.0.3",
        "info": {"title": "pay1st-mock benchmark peer", "version": "1"},
        "paths": {
            path: {"get": {
                "operationId": "getPaymentMethods",
                "parameters": parameters,
                "responses": {"200": _json_example("payment methods", methods_body)}}},
            token_path: {"post": {
                "operationId": "getAccessToken",
                "requestBody": {"required": True, "content": {token_media_type: {"schema": {
                    "type": "object", "properties": {"role": {"type": "string"}}}}}},
                "responses": {"200": _json_example("tokens", token_body)}}},
        },
    }


def _json_example(description: str, body: bytes) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"example": json.loads(body)}}}


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` just now (bound to 0, read, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class PrismProcess:
    """``prism mock -h 127.0.0.1 -p PORT SPEC`` in a subprocess (single process: NODE_ENV is
    left out of its environment, so ``pid`` is the node process that serves).

    ``start()`` spawns it on a free port; ``wait_ready(probe)`` polls until the probe answers
    200 and returns that moment. Its output (a few lines per request at Prism's default
    level) goes to ``log_path``, never to a pipe that could fill.
    """

    def __init__(self, executable: Path, spec: Path, log_path: Path) -> None:
        self.executable = executable
        self.spec = spec
        self.log_path = log_path
        self.host = "127.0.0.1"
        self.port = 0
        self.spawned_at: float | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def argv(self) -> list[str]:
        return [str(self.executable), "mock", "-h", self.host, "-p", str(self.port),
                str(self.spec)]

    def start(self) -> PrismProcess:
        """Spawn on a free port; return self."""
        self.port = free_port(self.host)
        env = {k: v for k, v in os.environ.items() if k != "NODE_ENV"}
        with self.log_path.open("wb") as log:
            self.spawned_at = time.perf_counter()
            self._process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT, env=env)
        return self

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("start() the PrismProcess first")
        return self._process.pid

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def wait_ready(self, probe: Probe, timeout: float = START_TIMEOUT_S,
                   interval: float = 0.002) -> float:
        """``first_200`` on this process; ``PeerUnavailable`` with its log's last line when it
        exits or stays unready."""
        try:
            return first_200(self.address, probe, timeout, interval, self._exited)
        except PeerUnavailable as exc:
            raise PeerUnavailable(f"{exc}; Prism said: {self.log_tail()}") from exc

    def _exited(self) -> bool:
        return self._process is not None and self._process.poll() is not None

    def log_tail(self) -> str:
        try:
            return _last_line(self.log_path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return "no log"

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (SIGKILL after ``timeout`` s) and wait; the exit status, None if never
        started."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout)
        return self._process.returncode


def first_200(address: tuple[str, int], probe: Probe, timeout: float, interval: float,
              exited: Any = lambda: False) -> float:
    """Send ``probe`` on a fresh connection every ``interval`` s until it answers 200; return
    the ``time.perf_counter()`` of that answer. ``PeerUnavailable`` when ``exited()`` turns true
    or after ``timeout`` s (with the last status seen)."""
    deadline = time.perf_counter() + timeout
    last = "no answer"
    while True:
        connection = http.client.HTTPConnection(*address, timeout=max(0.05, timeout))
        try:
            connection.request(probe.method, probe.path, body=probe.body or None,
                               headers=dict(probe.headers))
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return time.perf_counter()
            last = f"HTTP {response.status}"
        except OSError as exc:
            last = type(exc).__name__
        finally:
            connection.close()
        if exited():
            raise PeerUnavailable(f"exited before answering 200 ({last})")
        if time.perf_counter() > deadline:
            raise PeerUnavailable(f"no 200 within {timeout:g} s ({last})")
        time.sleep(interval)


# --------------------------------------------------------------------------- floors


def floor_command(server: str, bodies: Path) -> list[str]:
    """What comes before ``serve`` to run a floor with ``ServerProcess(command=...)``."""
    if server not in FLOOR_SERVERS:
        raise ValueError(f"unknown floor server {server!r}")
    return [sys.executable, str(Path(__file__).resolve()), "floor", "--server", server,
            "--bodies", str(bodies)]


def write_bodies(path: Path, routes: Mapping[str, bytes]) -> Path:
    """Write ``{"GET /path": body, ...}`` (bodies as text) for ``floor_app``; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {route: body.decode("utf-8") for route, body in routes.items()}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def floor_app(routes: Mapping[str, bytes]) -> Any:
    """A bare Flask app: each ``"METHOD /path"`` of ``routes`` answers 200 with its fixed JSON
    body (the request body is read, nothing is checked), and ``GET /_mock/health`` answers 200
    for ``ServerProcess``. Nothing else: no validation, no logging, no store."""
    from flask import Flask, Response, request

    app = Flask("pay1st_mock_bench_floor")

    def handler(body: bytes) -> Any:
        def answer() -> Response:
            request.get_data()
            return Response(body, status=200, mimetype="application/json")
        return answer

    for index, (route, body) in enumerate(routes.items()):
        method, _, path = route.partition(" ")
        app.add_url_rule(path.partition("?")[0], f"route{index}", handler(body),
                         methods=[method])
    app.add_url_rule(HEALTH_PATH, "health", handler(b'{"status":"ok"}'), methods=["GET"])
    return app


def serve_floor(server: str, bodies: Path, host: str, port: int) -> int:
    """Serve ``floor_app`` on ``server`` until SIGTERM or SIGINT; print the URL line first."""
    routes = {route: text.encode("utf-8")
              for route, text in json.loads(bodies.read_text(encoding="utf-8")).items()}
    app = floor_app(routes)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if server == "http_server":
        from pay1st_mock.http_server import HttpServer

        ours = HttpServer(app, host, port)
        _run_until(stop, ours.serve, ours.stop, ours.url)
    else:
        from waitress.server import create_server

        theirs = create_server(app, host=host, port=port, threads=2)
        _run_until(stop, theirs.run, theirs.close, f"http://{host}:{theirs.effective_port}")
    return 0


def _run_until(stop: threading.Event, serve: Callable[[], object], close: Callable[[], object],
               url: str) -> None:
    """Serve on a daemon thread, print ``url`` for ``ServerProcess``, close once ``stop`` is set."""
    threading.Thread(target=serve, name="floor-server", daemon=True).start()
    print(f"{URL_PREFIX}{url}", flush=True)
    while not stop.wait(1.0):
        pass
    close()


# --------------------------------------------------------------------------- process facts


def memory_kb(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak RSS) of a process in kB, from /proc; {} where
    unavailable."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = int(value.split()[0])
    return out


def stop_all(servers: Sequence[Running]) -> None:
    """Stop each server (errors are swallowed: this runs on the way out)."""
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


def main(argv: list[str] | None = None) -> int:
    """``peers.py floor --server S --bodies FILE serve --host H --port P [...]``."""
    parser = argparse.ArgumentParser(description="run a benchmark floor server")
    commands = parser.add_subparsers(dest="command", required=True)
    floor = commands.add_parser("floor")
    floor.add_argument("--server", choices=sorted(FLOOR_SERVERS), required=True)
    floor.add_argument("--bodies", type=Path, required=True)
    floor.add_argument("serve", choices=["serve"])
    floor.add_argument("--host", default="127.0.0.1")
    floor.add_argument("--port", type=int, default=0)
    args, _ = parser.parse_known_args(argv)  # ServerProcess may add arguments the floor ignores
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return serve_floor(args.server, args.bodies, args.host, args.port)


if __name__ == "__main__":
    raise SystemExit(main())
