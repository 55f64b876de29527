"""Readiness of sockets for ``http_server``: one-shot pollers that many threads wait on at once.

A connection reported ready is not reported again until re-armed, so exactly one thread has it.
``EpollPoller`` (Linux) lets every thread wait in the kernel; ``SelectorPoller`` (elsewhere)
lets one thread at a time select. Both are tested on Linux (``tests/test_http_server.py``).
"""

from __future__ import annotations

import contextlib
import select
import selectors
import socket
import threading
from collections import deque
from typing import Protocol


class Poller(Protocol):
    """Readiness of file descriptors, one-shot: a descriptor reported ready is not reported
    again until ``rearm``; so one thread at a time has a connection. ``wait`` may be called
    from many threads at once; ``wake_all`` makes every waiting and later ``wait`` return
    ``WAKE`` at once (for a stop)."""

    def add(self, fd: int) -> None: ...
    def rearm(self, fd: int) -> None: ...
    def remove(self, fd: int) -> None: ...
    def wait(self, timeout: float) -> list[int]: ...
    def wake_all(self) -> None: ...
    def close(self) -> None: ...


WAKE = -1  # what ``Poller.wait`` returns after ``wake_all``
_EPOLL_MASK = ((select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLONESHOT)
               if hasattr(select, "epoll") else 0)


class EpollPoller:
    """Linux: one epoll set that every thread waits on. ``EPOLLONESHOT`` gives each ready
    connection to one thread; re-arming (``epoll_ctl``) is seen by threads already waiting."""

    _MASK = _EPOLL_MASK

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._wake_r, self._wake_w = socket.socketpair()
        self._epoll.register(self._wake_r.fileno(), select.EPOLLIN)  # level: wakes everyone

    def add(self, fd: int) -> None:
        self._epoll.register(fd, self._MASK)

    def rearm(self, fd: int) -> None:
        self._epoll.modify(fd, self._MASK)

    def remove(self, fd: int) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(fd)

    def wait(self, timeout: float) -> list[int]:
        try:
            events = self._epoll.poll(timeout, 1)
        except InterruptedError:
            return []
        wake = self._wake_r.fileno()
        return [WAKE if fd == wake else fd for fd, _ in events]

    def wake_all(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def close(self) -> None:
        self._epoll.close()
        self._wake_r.close()
        self._wake_w.close()


class SelectorPoller:
    """Elsewhere (macOS, Windows): one thread at a time selects, under a lock; a descriptor it
    finds ready is unregistered (one-shot) and registered again by ``rearm``, which wakes the
    selecting thread through a socket pair so it sees the change at once."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._leader = threading.Lock()
        self._ready: deque[int] = deque()
        self._woken = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)

    def add(self, fd: int) -> None:
        self._selector.register(fd, selectors.EVENT_READ)
        self._poke()

    rearm = add

    def remove(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(fd)

    def wait(self, timeout: float) -> list[int]:
        if self._woken:
            return [WAKE]
        if not self._leader.acquire(timeout=timeout):
            return []
        try:
            if not self._ready and not self._woken:
                for key, _ in self._selector.select(timeout):
                    if key.fileobj is self._wake_r:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(4096)
                        continue
                    self.remove(key.fd)
                    self._ready.append(key.fd)
            if self._woken:
                return [WAKE]
            return [self._ready.popleft()] if self._ready else []
        finally:
            self._leader.release()

    def wake_all(self) -> None:
        self._woken = True
        self._poke()

    def _poke(self) -> None:
        with contextlib.suppress(OSError):  # full: the selecting thread will wake anyway
            self._wake_w.send(b"x")

    def close(self) -> None:
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()


def new_poller() -> Poller:
    """The best poller this system has."""
    return EpollPoller() if hasattr(select, "epoll") else SelectorPoller()
