"""``serve`` keeps to one CPU (all its threads), the one fewest other processes keep to, unless
``--any-cpu``; see ``pay1st_mock/cpu_affinity.py`` for why."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pay1st_mock.cpu_affinity import choose_cpu, processor_of, single_cpu_processes
from pay1st_mock.process import ServerProcess

ALLOWED = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
needs_two_cpus = pytest.mark.skipif(len(ALLOWED) < 2, reason="needs Linux and two CPUs allowed")
SERVE = ("--data", ":memory:", "--quiet")


def test_the_processor_field_is_read_after_the_command_name() -> None:
    fields = " ".join(str(n) for n in range(3, 53))  # fields 3..52: field 39 holds "39"
    assert processor_of(f"4242 (python) {fields}") == 39
    assert processor_of(f"4242 (a (b) c) {fields}") == 39  # a name with spaces and ")"
    assert processor_of("4242 (python) S 1 2") is None  # cut short
    assert processor_of("") is None


def test_the_cpu_with_the_fewest_kept_processes_is_chosen() -> None:
    assert choose_cpu({0, 1, 2}, 1, {1: {77}}) == 0  # another emulator is on 1
    assert choose_cpu({0, 1, 2}, 1, {0: {7, 8}, 1: {9}, 2: {10, 11}}) == 1
    assert choose_cpu({0, 1, 2}, 2, {}) == 2  # a tie: where it runs
    assert choose_cpu({0, 1, 2}, None, {0: {7}}) == 1  # a tie, nowhere known: the lowest
    assert choose_cpu({4, 5}, 1, {}) == 4  # running outside the allowed set


@needs_two_cpus
def test_processes_kept_to_one_cpu_are_found() -> None:
    code = ("import os, sys, time; os.sched_setaffinity(0, {int(sys.argv[1])}); print('kept', "
            "flush=True); time.sleep(60)")
    helpers = {cpu: subprocess.Popen([sys.executable, "-c", code, str(cpu)],
                                     stdout=subprocess.PIPE, text=True) for cpu in ALLOWED}
    try:
        for helper in helpers.values():
            assert helper.stdout is not None and helper.stdout.readline() == "kept\n"
        kept = single_cpu_processes(ALLOWED, os.getpid())
        for cpu, helper in helpers.items():
            assert helper.pid in kept.get(cpu, set())
        found = set().union(*kept.values())
        assert os.getpid() not in found
        assert all(Path(f"/proc/{pid}/cmdline").read_bytes() for pid in found
                   if Path(f"/proc/{pid}").exists())  # no kernel thread
    finally:
        for helper in helpers.values():
            helper.kill()
            helper.communicate()


def _cpus_of_threads(pid: int) -> list[set[int]]:
    return [os.sched_getaffinity(int(task.name)) for task in Path(f"/proc/{pid}/task").iterdir()]


def _kept_cpu(server: ServerProcess, timeout: float = 10.0) -> int:
    """The one CPU every thread of ``server`` keeps to, once it has chosen (just after its
    banner, beside serving)."""
    deadline = time.monotonic() + timeout
    while True:
        cpus = _cpus_of_threads(server.pid)
        if len({frozenset(each) for each in cpus}) == 1 and len(cpus[0]) == 1:
            return next(iter(cpus[0]))
        if time.monotonic() > deadline:
            raise AssertionError(f"the server's threads are not kept to one CPU: {cpus}")
        time.sleep(0.01)


@needs_two_cpus
def test_serve_and_all_its_threads_keep_to_one_cpu() -> None:
    with ServerProcess(*SERVE) as server:
        server.wait_healthy()
        cpu = _kept_cpu(server)
        assert len(_cpus_of_threads(server.pid)) >= 3  # main, HTTP, dispatcher: all moved
    assert cpu in ALLOWED


@needs_two_cpus
def test_any_cpu_leaves_the_cpus_alone() -> None:
    with ServerProcess(*SERVE, "--any-cpu") as server:
        server.wait_healthy()
        time.sleep(0.2)  # long past when it would have chosen
        cpus = _cpus_of_threads(server.pid)
    assert all(each == ALLOWED for each in cpus), cpus
