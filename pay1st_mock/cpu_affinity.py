"""Keeping ``serve`` on one CPU.

The server's threads (HTTP, webhook dispatcher and workers, the log) take turns on one
interpreter lock, so the process never runs Python on two CPUs at once. What a second CPU adds
is hand-offs: each SQLite statement and socket call releases the lock, and a thread woken on
another CPU takes it there, moving the thread's state between CPU caches. On the project's
2-core machine that cost over a quarter of a payment's CPU: the full flow (8 clients) took 3.12
against 4.37 ms of server CPU a flow, 319 against 232 flows/s (``serve`` against
``serve --any-cpu``, medians of 6 alternating runs).

A process kept to one CPU cannot be moved off a busy one, so the CPU is chosen: the allowed one
with the fewest other processes kept to a single CPU (other emulators, above all), and on a tie
the one the server runs on, where the scheduler just put it. Two servers on two CPUs therefore
take one each (sharing one, they did half the flows). Other work is not kept anywhere, and the
scheduler moves it away from a busy CPU. Only Linux lets a process choose; elsewhere nothing
changes.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping


def keep_to_one_cpu() -> int | None:
    """Choose a CPU (see the module) and keep every thread of this process to it; the threads
    they start later inherit it.

    Returns the CPU, or ``None`` where it cannot be done: not Linux, fewer than two CPUs
    allowed, or the system refusing (a container's CPU set, a seccomp filter).
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        allowed = os.sched_getaffinity(0)
        if len(allowed) < 2:
            return None
        cpu = choose_cpu(allowed, current_cpu(), single_cpu_processes(allowed, os.getpid()))
        for _ in range(2):  # again: a thread started meanwhile by a thread not yet moved
            for task in os.listdir("/proc/self/task"):
                try:
                    os.sched_setaffinity(int(task), {cpu})
                except ProcessLookupError:  # the thread ended meanwhile
                    continue
    except OSError:
        return None
    return cpu


def choose_cpu(allowed: Iterable[int], current: int | None,
               kept: Mapping[int, Collection[int]]) -> int:
    """The allowed CPU with the fewest processes ``kept`` to it (CPU → their ids); ``current``
    on a tie, else the lowest."""
    return min(sorted(allowed), key=lambda cpu: (len(kept.get(cpu, ())), cpu != current))


def single_cpu_processes(allowed: set[int], own_pid: int) -> dict[int, set[int]]:
    """The user processes (not this one, not the kernel's own threads) kept to a single CPU of
    ``allowed``, by CPU."""
    kept: dict[int, set[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == own_pid:
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                if not cmdline.read(1):
                    continue  # a kernel thread: there is one of those on every CPU
            cpus = os.sched_getaffinity(int(name))
        except OSError:  # ended meanwhile, or not ours to look at
            continue
        if len(cpus) == 1 and cpus <= allowed:
            kept.setdefault(next(iter(cpus)), set()).add(int(name))
    return kept


def current_cpu() -> int | None:
    """The CPU this thread last ran on, from ``/proc/thread-self/stat``, if known."""
    try:
        with open("/proc/thread-self/stat", encoding="utf-8", errors="replace") as stat:
            return processor_of(stat.read())
    except OSError:
        return None


def processor_of(stat: str) -> int | None:
    """Field 39 (``processor``) of a ``/proc/<pid>/stat`` line, or ``None`` if it has none."""
    # The command name (field 2) is in parentheses and may hold spaces and parentheses of its
    # own: count from the last ")".
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[36])  # fields[0] is field 3
    except (IndexError, ValueError):
        return None
