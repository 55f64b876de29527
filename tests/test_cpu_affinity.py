"""``serve`` keeps to the CPU it starts on (all its threads), unless ``--any-cpu``; see
``pay1st_mock/cpu_affinity.py`` for why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pay1st_mock.cpu_affinity import processor_of
from pay1st_mock.process import ServerProcess

ALLOWED = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
needs_two_cpus = pytest.mark.skipif(len(ALLOWED) < 2, reason="needs Linux and two CPUs allowed")


def test_the_processor_field_is_read_after_the_command_name() -> None:
    fields = " ".join(str(n) for n in range(3, 53))  # fields 3..52: field 39 holds "39"
    assert processor_of(f"4242 (python) {fields}") == 39
    assert processor_of(f"4242 (a (b) c) {fields}") == 39  # a name with spaces and ")"
    assert processor_of("4242 (python) S 1 2") is None  # cut short
    assert processor_of("") is None


def _threads_cpus(pid: int) -> list[set[int]]:
    return [os.sched_getaffinity(int(task.name)) for task in Path(f"/proc/{pid}/task").iterdir()]


@needs_two_cpus
def test_serve_and_all_its_threads_keep_to_one_cpu() -> None:
    with ServerProcess("--data", ":memory:", "--quiet") as server:
        server.wait_healthy()
        cpus = _threads_cpus(server.pid)
    assert len(cpus) >= 3  # the main thread, the HTTP server's, the dispatcher's
    assert all(len(each) == 1 for each in cpus), cpus
    assert len({frozenset(each) for each in cpus}) == 1, f"threads on different CPUs: {cpus}"
    assert cpus[0] <= ALLOWED


@needs_two_cpus
def test_any_cpu_leaves_the_cpus_alone() -> None:
    with ServerProcess("--data", ":memory:", "--quiet", "--any-cpu") as server:
        server.wait_healthy()
        cpus = _threads_cpus(server.pid)
    assert all(each == ALLOWED for each in cpus), cpus
