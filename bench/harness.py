"""Small helpers shared by the benchmarks: metrics, percentiles, the table, JSON, the server.

Benchmarks are plain functions ``fn(ctx: Context) -> list[Metric]`` collected in a module's
``BENCHMARKS`` list (see ``gateway.py``); ``run.py`` runs them and reports. The server under
test runs in its own process, started by the package's ``pay1st_mock.process.ServerProcess``
(the same one the test suite uses).
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pay1st_mock.process import PYTHON_COMMAND, ServerProcess

ROOT = Path(__file__).resolve().parent.parent
# After ``serve --host 127.0.0.1 --port 0`` (ServerProcess pins loopback whatever a config says).
SERVE_ARGS = ("--data", ":memory:")
PYCACHE = ROOT / "bench" / "results" / "pycache"


def bytecode_env() -> dict[str, str]:
    """This environment, but with bytecode written and read under ``bench/results/pycache``.

    A pip-installed package has its bytecode compiled at install; this checkout runs with
    ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__``, so without this every spawned server
    would compile the package first, a cost no user pays. Nothing is written into the package.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    PYCACHE.mkdir(parents=True, exist_ok=True)
    return env


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
            self._server = start_server()
        return self._server

    def shared_server_cpu(self) -> float:
        """CPU seconds used so far by the shared server (0 when none is running)."""
        if self._server is None:
            return 0.0
        return process_cpu_seconds(self._server.pid) or 0.0

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


Benchmark = Callable[[Context], list[Metric]]


# --------------------------------------------------------------------------- the server


def start_server(*args: str, command: Sequence[str] = PYTHON_COMMAND,
                 timeout: float = 15.0) -> ServerProcess:
    """`serve --host 127.0.0.1 --port 0 ARGS` (default ``SERVE_ARGS``) from the repository root,
    answering /_mock/health; see ``pay1st_mock.process`` for the protocol."""
    server = ServerProcess(*(args or SERVE_ARGS), command=command, cwd=ROOT).start(timeout)
    try:
        server.wait_healthy(timeout)
    except BaseException:
        server.close()
        raise
    return server


@contextlib.contextmanager
def running_server(command: Sequence[str] = PYTHON_COMMAND) -> Iterator[ServerProcess]:
    """``start_server`` for a ``with`` block; SIGTERM after it (a profiling variant writes its
    stats on the way out)."""
    server = start_server(command=command)
    try:
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
