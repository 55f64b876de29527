"""Run ``pay1st-mock serve --port 0`` as a subprocess and learn its URL.

The protocol, for a CI script in any language:

1. Start ``pay1st-mock serve --host 127.0.0.1 --port 0`` (port 0: any free port) with its
   standard output on a pipe.
2. Read that output line by line until one starts with ``PAY1ST_MOCK_URL=``: the rest of the
   line is the base URL (``--url-file FILE`` writes it to a file as well). The port is bound
   by then; ``GET {url}/_mock/health`` answers 200 as soon as requests are served.
3. Keep reading both outputs (or send them to files), so the server never blocks on a full pipe.
   If it exits before printing the URL, standard error says why (exit status 2: a bad config
   file, a port already taken).
4. Stop it with SIGTERM or SIGINT: it prints ``pay1st-mock: stopped`` and exits with 0.

``ServerProcess`` does exactly that from Python; the test suite and the benchmarks use it::

    with ServerProcess("--data", ":memory:", "--seed", "7") as server:
        requests.get(f"{server.url}/_mock/health")
        assert server.stop() == 0        # SIGTERM; leaving ``with`` kills it if still running

For the emulator inside the test process (no subprocess), use ``pay1st_mock.server.MockServer``.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

URL_PREFIX = "PAY1ST_MOCK_URL="
PYTHON_COMMAND = (sys.executable, "-m", "pay1st_mock")  # the console script's equivalent
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


class ServerStartError(RuntimeError):
    """The server exited, or stayed silent, before it could be used; the message has its output."""


class ServerProcess:
    """``COMMAND serve --host 127.0.0.1 --port 0 ARGS`` in a subprocess; ``start()`` it.

    ``command`` is what comes before ``serve`` (``["pay1st-mock"]``, or a script wrapping the
    CLI); later ``ARGS`` win over the defaults (``"--host", "0.0.0.0"``). Both outputs are read
    by background threads into ``stdout_lines`` and ``stderr_lines``. Times (``spawned_at``,
    ``url_at``, the result of ``wait_healthy``) are ``time.perf_counter()`` values.
    """

    def __init__(self, *args: str, command: Sequence[str] = PYTHON_COMMAND,
                 cwd: str | Path | None = None, env: Mapping[str, str] | None = None) -> None:
        self.argv = [*command, "serve", "--host", "127.0.0.1", "--port", "0", *args]
        self.cwd = cwd
        # Unbuffered: each line reaches the readers as it is printed, whatever the program.
        self.env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
        self.url: str | None = None
        self.spawned_at: float | None = None
        self.url_at: float | None = None
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._url_or_end = threading.Event()
        self._readers: list[threading.Thread] = []

    # -- life cycle ----------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Spawn the server and wait for its URL; return self.

        Raises ``ServerStartError`` (after killing it) when it exits first or prints no URL
        within ``timeout`` seconds; ``process``, ``stdout`` and ``stderr`` then tell why.
        """
        if self._process is not None:
            raise RuntimeError("this ServerProcess is already started")
        self.spawned_at = time.perf_counter()
        self._process = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            errors="replace")
        assert self._process.stdout is not None and self._process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self._process.stdout,),
                             name="pay1st-mock-stdout", daemon=True),
            threading.Thread(target=self._read_stderr, args=(self._process.stderr,),
                             name="pay1st-mock-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            self.wait_for_url(timeout)
        except ServerStartError:
            self.close()
            raise
        return self

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``signum`` (SIGKILL after ``timeout`` s if it is still running), wait for the
        exit and for all output; return the exit status (negative: killed by that signal)."""
        process = self.process
        if process.poll() is None:
            process.send_signal(signum)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._join_readers()
        return process.returncode

    def close(self) -> None:
        """Kill the server if it still runs and release its pipes (safe to call twice)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT)
        self._join_readers()
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what it said --------------------------------------------------------------------------

    @property
    def process(self) -> subprocess.Popen[str]:
        """The ``Popen`` of the server."""
        if self._process is None:
            raise RuntimeError("start() the ServerProcess first")
        return self._process

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stdout(self) -> str:
        """Standard output so far (the banner, the URL line, ``pay1st-mock: stopped``)."""
        return "\n".join(self.stdout_lines)

    @property
    def stderr(self) -> str:
        """Standard error so far (warnings; why it could not start)."""
        return "\n".join(self.stderr_lines)

    def wait_for_url(self, timeout: float = START_TIMEOUT) -> str:
        """Wait for the ``PAY1ST_MOCK_URL=`` line; return the URL (``ServerStartError`` if the
        server exits first or stays silent for ``timeout`` seconds)."""
        if not self._url_or_end.wait(timeout):
            raise ServerStartError(f"no {URL_PREFIX} line within {timeout:g} s; "
                                   f"{self._output()}")
        if self.url is None:
            code = self.process.wait(STOP_TIMEOUT)
            self._join_readers()
            raise ServerStartError(f"the server exited ({code}) before printing its URL; "
                                   f"{self._output()}")
        return self.url

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` from the URL."""
        host, _, port = self.wait_for_url().removeprefix("http://").rpartition(":")
        return host.strip("[]"), int(port)

    def wait_healthy(self, timeout: float = START_TIMEOUT, interval: float = 0.002) -> float:
        """Poll ``GET /_mock/health`` (a fresh connection each time) until it answers 200;
        return the ``time.perf_counter()`` of that answer."""
        host, port = self.address
        deadline = time.perf_counter() + timeout
        while True:
            connection = http.client.HTTPConnection(host, port, timeout=max(0.05, timeout))
            try:
                connection.request("GET", "/_mock/health")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    return time.perf_counter()
            except OSError:
                pass  # not serving yet
            finally:
                connection.close()
            if self.process.poll() is not None:
                self._join_readers()
                raise ServerStartError(f"the server exited ({self.process.returncode}); "
                                       f"{self._output()}")
            if time.perf_counter() > deadline:
                raise ServerStartError(f"GET /_mock/health did not answer 200 within "
                                       f"{timeout:g} s; {self._output()}")
            time.sleep(interval)

    # -- the readers ---------------------------------------------------------------------------

    def _read_stdout(self, stream: IO[str]) -> None:
        for line in stream:
            line = line.rstrip("\r\n")
            self.stdout_lines.append(line)  # first: whoever the URL wakes sees its line
            if self.url is None and line.startswith(URL_PREFIX):
                self.url_at = time.perf_counter()
                self.url = line.removeprefix(URL_PREFIX).strip()
                self._url_or_end.set()
        self._url_or_end.set()  # the end of the output: the process is ending

    def _read_stderr(self, stream: IO[str]) -> None:
        for line in stream:
            self.stderr_lines.append(line.rstrip("\r\n"))

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(STOP_TIMEOUT)

    def _output(self) -> str:
        return f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
