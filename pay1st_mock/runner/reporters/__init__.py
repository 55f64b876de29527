"""Renderers of runner events: console progress, JUnit XML, JSON. Each has ``handle(event)``
and ``close()``; the runner knows none of them."""

from __future__ import annotations

from typing import Protocol

from pay1st_mock.runner.events import Event


class Reporter(Protocol):
    """Something that renders runner events."""

    def handle(self, event: Event) -> None:
        """Take the next event."""

    def close(self) -> None:
        """The run is over (or aborted): flush and write files."""
