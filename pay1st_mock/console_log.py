"""The activity feed for a terminal: one line per event (coloured on a terminal, plain when piped,
or JSON for machines), and the printing thread ``serve`` uses.

The events are the JSON shapes of ``GET /_mock/events`` (``Event.as_dict()``), so ``serve`` (in
process) and ``pay1st-mock tail`` (over HTTP) print the same lines.

Printing must never hold the server up: ``LogPrinter`` takes events on any thread, queues them
and writes on its own. An output nobody reads (a CI script that stopped reading after the
``PAY1ST_MOCK_URL=`` line, so the pipe fills) makes it drop lines, counted, instead of blocking;
a closed one (``serve | head``) makes it stop writing.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TextIO

TEXT, JSON = "text", "json"
FORMATS = (TEXT, JSON)
_FINDINGS_SHOWN = 3
_LINE_BYTES = 4000  # below PIPE_BUF (4096): a write to a pipe with room never blocks part-way
_STALL_SECONDS = 1.0  # how long one line may wait for room in the output before it is dropped
_QUEUED = 10000
_BATCH = 500  # events printed at most in one tick
_TICK_SECONDS = 0.05  # how long the first event of a burst waits for the others: unnoticeable
_STOP = object()
Paint = Callable[[str, str], str]  # (colour code, text) → the text, coloured or not

_RESET, _DIM, _BOLD = "\033[0m", "\033[2m", "\033[1m"
_GREEN, _YELLOW, _RED, _CYAN = "\033[32m", "\033[33m", "\033[31m", "\033[36m"


def wants_colour(out: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set or ``TERM=dumb``; ``FORCE_COLOR`` forces
    it (https://no-color.org conventions)."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    try:
        terminal = out.isatty()
    except (AttributeError, ValueError):
        return False
    return terminal and environ.get("TERM") != "dumb"


def render(event: Mapping[str, Any], fmt: str = TEXT, colour: bool = False) -> str:
    """The event as printed: one JSON line, or a text line (plus one per finding)."""
    if fmt == JSON:
        return json.dumps(event)
    return "\n".join(text_lines(event, colour))


def text_lines(event: Mapping[str, Any], colour: bool = False) -> list[str]:
    """The event as text lines for people: what, where, the answer, how long, what next."""
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    when = paint(_DIM, _clock(event["at"]))
    kind = event["type"]
    if kind == "call":
        return _call_lines(event, when, paint)
    if kind == "webhook":
        answer = _answer(event, paint)
        resend = " (resend)" if event.get("resend") else ""
        head = (f"{when}  {paint(_CYAN, 'webhook')} {event['kind']} {event['event']}{resend} "
                f"{event['reference'] or ''} -> {event['url']}  {answer}  "
                f"{_ms(event['durationMs'])}  {_webhook_next(event, paint)}")
        return [head]
    if kind == "user_info":
        answer = _answer(event, paint)
        verdict = event["verdict"]
        shown = paint(_GREEN if verdict == "valid" else _YELLOW, verdict)
        message = _one_line(event["message"])
        return [f"{when}  {paint(_CYAN, 'user-info')} GET {event['url']}  {answer}  "
                f"{_ms(event['durationMs'])}  {shown}" + (f": {message}" if message else "")]
    return [f"{when}  {kind}"]  # a type newer than this printer


def _call_lines(event: Mapping[str, Any], when: str, paint: Paint) -> list[str]:
    status = event["status"]
    code = _GREEN if status < 300 else _YELLOW if status < 500 else _RED
    target = event["path"] + (f"?{event['query']}" if event["query"] else "")
    reference = event["reference"]
    about = f"  {reference}" if reference and reference not in target else ""
    partner = event["partnerId"]
    who = f"partner {partner}" if partner is not None else "partner unknown"
    method = paint(_BOLD, format(event["method"], "<4"))
    lines = [f"{when}  {method} {target}  {paint(code, str(status))}  "
             f"{_ms(event['durationMs'])}  {who}{about}"]
    findings = event.get("findings") or []
    for finding in findings[:_FINDINGS_SHOWN]:
        mark = paint(_RED if finding["severity"] == "error" else _YELLOW, "!")
        lines.append(f"          {mark} {finding['path']}: {_one_line(finding['message'])}")
    if len(findings) > _FINDINGS_SHOWN:
        lines.append(f"          ... {len(findings) - _FINDINGS_SHOWN} more finding(s): "
                     f"GET /_mock/journal or the dashboard's journal")
    return lines


_ERRORS = (  # what the HTTP library says → what a person needs to read
    (("connection refused",), "connection refused"),
    (("name or service not known", "nodename nor servname", "failed to resolve",
      "nameresolutionerror", "no address associated"), "host not found"),
    (("connection reset",), "connection reset"),
    (("remotedisconnected", "connection aborted"), "connection closed without an answer"),
)


def short_error(error: str, status: int | None = None) -> str:
    """A delivery error in a few words: ``connection refused``, ``no answer within 10 s``."""
    if status is not None and error.startswith("answered "):
        return str(status)  # "answered 500; only a 2xx counts": the status says it
    lowered = error.lower()
    for needles, short in _ERRORS:
        if any(needle in lowered for needle in needles):
            return short
    error = _one_line(error)
    return error if len(error) <= 120 else error[:117] + "..."


def _answer(event: Mapping[str, Any], paint: Paint) -> str:
    status, error = event.get("responseStatus"), event.get("error")
    if error:
        return paint(_RED, short_error(error, status))
    if status is None:
        return paint(_RED, "no answer")
    return paint(_GREEN if 200 <= status < 300 else _RED, str(status))


def _webhook_next(event: Mapping[str, Any], paint: Paint) -> str:
    outcome = event["outcome"]
    if outcome == "DELIVERED":
        return paint(_GREEN, "delivered")
    attempt = f"attempt {event['attempt']} failed"
    if event.get("nextAttemptAt"):
        return paint(_YELLOW, f"{attempt}, retry at {_clock(event['nextAttemptAt'])}")
    if outcome == "EXHAUSTED":
        return paint(_RED, f"{attempt}, no retry left (EXHAUSTED)")
    return paint(_YELLOW, f"{attempt} ({outcome})")


def _clock(iso: str) -> str:
    """``2025-03-17T08:10:52.544Z`` → the local time of day, ``09:10:52.544``."""
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _ms(duration: float) -> str:
    return f"{duration:.0f} ms" if duration >= 1 else f"{duration:.1f} ms"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class LogPrinter:
    """Prints events on its own thread; call it with an event from any thread.

    ``start()`` before use; ``stop()`` prints what is queued (for at most ``timeout`` s) and
    returns whether the output still takes lines; ``write()`` prints a line of the caller's
    with the same care (``serve``'s last line).
    """

    def __init__(self, out: TextIO, fmt: str = TEXT, colour: bool = False) -> None:
        self._out = out
        self._fmt = fmt
        self._colour = colour
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUED)
        self._thread = threading.Thread(target=self._run, name="pay1st-mock-log", daemon=True)
        self._usable = True  # False once the output is closed
        self.dropped = 0
        try:
            self._fd: int | None = out.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None  # a StringIO (tests): writes never block

    def __call__(self, event: Any) -> None:
        try:
            self._queue.put_nowait(event.as_dict() if hasattr(event, "as_dict") else event)
        except queue.Full:
            self.dropped += 1

    def start(self) -> LogPrinter:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> bool:
        """Print what is queued, then stop; whether the output still takes lines."""
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)
        return self._usable and not self._thread.is_alive()

    def write(self, line: str) -> None:
        """Print one line, dropping it rather than block on an output nobody reads."""
        self._write(line)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            if batch[0] is not _STOP:
                # Let a burst gather: one wake-up and one write per tick, not per request
                # (a line per call cost the server ~25% of its throughput when saturated).
                time.sleep(_TICK_SECONDS)
            while len(batch) < _BATCH and batch[-1] is not _STOP:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [e for e in batch if isinstance(e, dict)]
            if self.dropped:  # say so once there is room again
                dropped, self.dropped = self.dropped, 0
                self._write(f"pay1st-mock: {dropped} log line(s) dropped: the output was not "
                            "being read")
            if events and not self._write("\n".join(render(e, self._fmt, self._colour)
                                                     for e in events)):
                self.dropped += len(events)
            if batch[-1] is _STOP:
                return

    def _write(self, text: str) -> bool:
        if not self._usable:
            return False
        data = (text + "\n").encode("utf-8", "replace")
        try:
            if self._fd is None:
                self._out.write(text + "\n")
                self._out.flush()
                return True
            for start in range(0, len(data), _LINE_BYTES):
                if not self._room():
                    return False
                os.write(self._fd, data[start:start + _LINE_BYTES])
        except (BrokenPipeError, ValueError):  # the reader went away, or the file was closed
            self._usable = False
            return False
        except OSError:
            return False
        return True

    def _room(self) -> bool:
        """Whether the output can take a line within ``_STALL_SECONDS``."""
        assert self._fd is not None
        try:
            return bool(select.select([], [self._fd], [], _STALL_SECONDS)[1])
        except (OSError, ValueError):  # not selectable (a file on some systems): just write
            return True
