"""The reference partner's settings: one mutable dataclass that the app reads at call time.

Mutable on purpose: a test may start the partner first, then the emulator, and only then set
``settings.pay1st_url``. Nothing here reads the environment at import; ``settings_from_env``
does it when the CLI asks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from reference_partner.bugs import check_bugs

ENV_PREFIX = "REFERENCE_PARTNER_"


class Player(TypedDict):
    """A player account in the partner's own system."""

    name: str
    active: bool  # False: suspended or banned; the player exists but may not buy


def default_players() -> dict[str, Player]:
    """Two active players and a suspended one (``banned-1``: User Info refuses it, and so do
    orders), for User Info and crediting tests; the pack's ``[run] suspended_player_id``."""
    return {
        "player-1": {"name": "Ada", "active": True},
        "player-2": {"name": "Kwame", "active": True},
        "banned-1": {"name": "Mallory", "active": False},
    }


@dataclass
class PartnerSettings:
    """Where Pay1st is, the partner's credentials, its players, and any deliberate bugs."""

    # The emulator's base URL; read on every call, so it may change after the app is created.
    pay1st_url: str = "http://127.0.0.1:8080"
    # Gateway v4 credentials: the emulator's sandbox partner.
    api_key: str = "sandbox-api-key"
    api_secret: str = "sandbox-api-secret"
    signing_key: str = "hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y"
    # Shop: the product's Basic Auth pair, which keys the Summary Webhook signature.
    shop_username: str = "apiuser"
    shop_password: str = "apipassword"
    # How far a payment event's X-TIMESTAMP may be from our own UTC clock.
    timestamp_tolerance_seconds: float = 300
    # How long to wait for Pay1st before giving up on a call.
    pay1st_timeout_seconds: float = 10.0
    players: dict[str, Player] = field(default_factory=default_players)
    bugs: frozenset[str] = frozenset()
    slow_seconds: float = 11.0  # the slow-* bugs: longer than Pay1st waits for an answer

    def __post_init__(self) -> None:
        self.bugs = check_bugs(self.bugs)  # a typo fails here, not silently later


def settings_from_env(environ: Mapping[str, str],
                      base: PartnerSettings | None = None) -> PartnerSettings:
    """Return ``base`` (or the defaults) overlaid with ``REFERENCE_PARTNER_*`` variables.

    E.g. ``REFERENCE_PARTNER_PAY1ST_URL``, ``REFERENCE_PARTNER_SIGNING_KEY``,
    ``REFERENCE_PARTNER_SLOW_SECONDS``, and ``REFERENCE_PARTNER_BUGS`` (comma-separated).
    """
    overrides: dict[str, Any] = {}
    for setting in dataclasses.fields(PartnerSettings):
        variable = ENV_PREFIX + setting.name.upper()
        text = environ.get(variable)
        if not text or setting.name == "players":
            continue
        if setting.name == "bugs":
            overrides["bugs"] = split_names(text.split(","))
        elif setting.type == "float":  # annotations are text here (from __future__ import)
            try:
                overrides[setting.name] = float(text)
            except ValueError:
                raise ValueError(f"{variable} must be a number; got {text!r}") from None
        else:
            overrides[setting.name] = text
    return dataclasses.replace(base or PartnerSettings(), **overrides)


def split_names(names: Iterable[str]) -> frozenset[str]:
    """Bug names from ``a,b`` lists and repeated flags, blanks dropped, checked."""
    return check_bugs(n.strip() for n in names if n.strip())
