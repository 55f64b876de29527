"""``ServerProcess``: the serve protocol (URL line, health, signals) driven from Python.

The CLI tests (``test_cli.py``) use it for the banner, signals and a server that cannot start;
here: what the benchmarks rely on besides (address, health, timings, a SIGKILL).
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from pay1st_mock.process import ServerProcess

pytestmark = pytest.mark.slow


def test_learns_the_url_waits_for_health_and_reports_a_kill(tmp_path: Path) -> None:
    with ServerProcess("--data", ":memory:", cwd=tmp_path) as server:
        host, port = server.address
        assert server.url == f"http://{host}:{port}" and host == "127.0.0.1" and port > 0
        healthy_at = server.wait_healthy(timeout=10)
        assert server.spawned_at is not None and server.url_at is not None
        assert server.spawned_at < server.url_at <= healthy_at
        assert server.argv[-2:] == ["--data", ":memory:"]
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        assert "pay1st-mock: stopped" not in server.stdout  # no shutdown code ran
