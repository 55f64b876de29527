"""The partner's own errors. ``app.py`` turns each into an HTTP status and a JSON body."""

from __future__ import annotations

from typing import Any


class PartnerError(Exception):
    """A request we refuse (400); the message says what was wrong."""


class SignatureError(PartnerError):
    """A webhook whose signature or timestamp cannot be trusted (401)."""


class NotFoundError(PartnerError):
    """No such player or order (404)."""


class GatewayError(PartnerError):
    """Pay1st refused a call or could not be reached (502); ``pay1st`` is its error body."""

    def __init__(self, message: str, pay1st: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.pay1st = pay1st or {}
