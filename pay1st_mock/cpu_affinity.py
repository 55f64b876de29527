"""Keeping ``serve`` on one CPU.

The server's threads (HTTP, webhook dispatcher and workers, the log) take turns on one
interpreter lock, so the process never runs Python on two CPUs at once. What a second CPU adds
is hand-offs: each SQLite statement and socket call releases the lock, and a thread woken on
another CPU takes it there, moving the thread's state between CPU caches. On the project's
2-core machine that cost over a quarter of a payment's CPU: the full flow (8 clients) took 3.12
against 4.37 ms of server CPU a flow, 319 against 232 flows/s (``serve`` against
``serve --any-cpu``, medians of 6 alternating runs).

The CPU kept is the one the process is running on when it starts: the scheduler has just put it
on a CPU that had room, which spreads several emulators started side by side. Only Linux lets a
process choose; elsewhere nothing is changed.
"""

from __future__ import annotations

import os


def keep_to_current_cpu() -> int | None:
    """Restrict this thread, and every thread it starts from now on, to the CPU it runs on.

    Returns that CPU, or ``None`` where it cannot be done: not Linux, one CPU allowed anyway,
    or the system refusing (a container's CPU set, a seccomp filter).
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        allowed = os.sched_getaffinity(0)
        cpu = current_cpu()
        if cpu is None or len(allowed) < 2 or cpu not in allowed:
            return None
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return None
    return cpu


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
