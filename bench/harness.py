"""Small helpers shared by the benchmarks: metrics, percentiles, the table, JSON, the server.

Benchmarks are plain functions ``fn(ctx: Context) -> list[Metric]`` collected in a module's
``BENCHMARKS`` list (see ``gateway.py``); ``run.py`` runs them and reports. Nothing here
depends on the package under test except the command used to start it.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
URL_MARKER = "PAY1ST_MOCK_URL="
# --host pins the bench to loopback whatever a config file might say.
SERVE_ARGS = ["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"]


# --------------------------------------------------------------------------- metrics


@dataclass
class Metric:
    """One reported figure. ``target`` None means informational (never fails)."""

    name: str
    value: float | None
    unit: str
    target: float | None = None
    better: str = "lower"  # "lower": ok when value <= target; "higher": ok when value >= target
    note: str = ""

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        if self.value is None or math.isnan(self.value):
            return False
        return self.value <= self.target if self.better == "lower" else self.value >= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return ""
        return ("≤ " if self.better == "lower" else "≥ ") + _number(self.target)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) by linear interpolation between closest ranks.

    Same definition as numpy's default; NaN for no values.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def format_table(metrics: Sequence[Metric]) -> str:
    """A plain-text table: metric, value, unit, target, ok?."""
    rows = [("metric", "value", "unit", "target", "ok?")]
    for m in metrics:
        ok = {True: "yes", False: "NO", None: "-"}[m.ok]
        rows.append((m.name, _number(m.value), m.unit, m.target_text, ok))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    align = ["<", ">", "<", "<", "<"]
    lines = []
    for index, row in enumerate(rows):
        cells = zip(row, align, widths, strict=True)
        lines.append("  ".join(f"{cell:{a}{w}}" for cell, a, w in cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"python": sys.version.split()[0], "implementation":
                            platform.python_implementation(), "platform": platform.platform(),
                            "cpu_count": os.cpu_count()}
    with contextlib.suppress(OSError):
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What every benchmark gets: the mode, a shared server, and a place for details."""

    quick: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    _server: ServerProcess | None = None

    def server(self) -> ServerProcess:
        """A `pay1st-mock serve` subprocess started on first use and shared until ``close``."""
        if self._server is None:
            self._server = ServerProcess.start()
            self._server.wait_healthy(timeout=15)
        return self._server

    def shared_server_cpu(self) -> float:
        """CPU seconds used so far by the shared server (0 when none is running)."""
        if self._server is None:
            return 0.0
        return self._server.cpu_seconds() or 0.0

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


Benchmark = Callable[[Context], list[Metric]]


# --------------------------------------------------------------------------- the server


def serve_command(extra: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", "pay1st_mock", *SERVE_ARGS, *extra]


class ServerProcess:
    """A `pay1st-mock serve` subprocess on 127.0.0.1 with a free port.

    stdout is drained by a thread (the URL line is picked out); stderr goes to a temporary file
    so a chatty server can never block on a full pipe.
    """

    def __init__(self, proc: subprocess.Popen[bytes], spawned_at: float,
                 stderr_file: Any) -> None:
        self.proc = proc
        self.spawned_at = spawned_at
        self.url: str | None = None
        self.url_at: float | None = None
        self._url_event = threading.Event()
        self._stderr_file = stderr_file
        self._stderr_text: str | None = None
        self._stdout_lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, command: Sequence[str] | None = None) -> ServerProcess:
        stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 — closed with the process
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        spawned_at = time.perf_counter()
        proc = subprocess.Popen(list(command or serve_command()), cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr_file)
        return cls(proc, spawned_at, stderr_file)

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if self.url is None and line.startswith(URL_MARKER):
                self.url_at = time.perf_counter()
                self.url = line[len(URL_MARKER):].strip()
                self._url_event.set()
            self._stdout_lines.append(line)
        self._url_event.set()  # EOF: the process ended

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def host_port(self) -> tuple[str, int]:
        url = self.wait_url()
        host, _, port = url.removeprefix("http://").rpartition(":")
        if host != "127.0.0.1":  # the benchmarks only ever talk to loopback
            raise RuntimeError(f"server listens on {url}, not 127.0.0.1")
        return host, int(port)

    def wait_url(self, timeout: float = 15.0) -> str:
        if not self._url_event.wait(timeout) or self.url is None:
            self.stop()
            raise RuntimeError(f"server printed no {URL_MARKER} line; stderr:\n{self.stderr()}")
        return self.url

    def wait_healthy(self, timeout: float = 15.0, interval: float = 0.002) -> float:
        """Poll GET /_mock/health (a fresh connection each try) until 200; return the time."""
        deadline = time.perf_counter() + timeout
        host, port = self.host_port
        while True:
            conn = http.client.HTTPConnection(host, port, timeout=max(0.05, timeout))
            try:
                conn.request("GET", "/_mock/health")
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    return time.perf_counter()
            except OSError:
                pass
            finally:
                conn.close()
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.stderr()}")
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError("server never answered /_mock/health with 200")
            time.sleep(interval)

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self.pid)

    def stderr(self) -> str:
        if self._stderr_text is not None:
            return self._stderr_text
        with contextlib.suppress(OSError, ValueError):
            self._stderr_file.seek(0)
            return str(self._stderr_file.read().decode("utf-8", "replace"))
        return ""

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM (the server stops cleanly), then SIGKILL after ``timeout``."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._reader.join(1.0)
        if self._stderr_text is None:
            self._stderr_text = self.stderr()
            self._stderr_file.close()
        return self.proc.returncode


@contextlib.contextmanager
def running_server(command: Sequence[str] | None = None) -> Iterator[ServerProcess]:
    server = ServerProcess.start(command)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def process_cpu_seconds(pid: int) -> float | None:
    """user + system CPU seconds of a process (Linux /proc); None where unavailable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15)


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """user + system CPU seconds of each thread of a process (Linux); {} where unavailable.

    The thread whose id equals ``pid`` is the main thread (for the server: waitress's I/O loop).
    """
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def busy_cores(seconds: float = 1.0) -> float | None:
    """How many cores the whole machine kept busy over ``seconds`` (Linux /proc/stat).

    Taken before a run, this shows whether other processes share the machine with the benchmark.
    """

    def sample() -> tuple[int, int]:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    if total <= 0:
        return None
    return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / total)


class Interference:
    """CPU that processes other than ours used while a benchmark ran, in cores.

    Machine-wide busy time (/proc/stat) minus this process, its reaped children (servers and load
    generators that have stopped) and the still-running shared server. Near 0 means the figures
    had the machine to themselves; 0.5 means other work took half a core on average.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._start = self._sample()

    def _sample(self) -> tuple[float, float, float, float] | None:
        try:
            values = [int(x) for x in
                      Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        machine_busy = (sum(values[:8]) - idle) / ticks  # guest time is already in user
        own = os.times()
        ours = own.user + own.system + own.children_user + own.children_system
        return time.perf_counter(), machine_busy, ours, self._ctx.shared_server_cpu()

    def cores(self) -> float | None:
        end = self._sample()
        if self._start is None or end is None:
            return None
        wall = end[0] - self._start[0]
        if wall <= 0:
            return None
        others = (end[1] - self._start[1]) - (end[2] - self._start[2]) - (end[3] - self._start[3])
        return max(0.0, others / wall)
