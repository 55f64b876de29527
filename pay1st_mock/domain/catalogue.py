"""Countries, currencies and payment channels: data, not branches.

The built-in catalogue (``catalogue/methods.json``, the sandbox methods of pay1st-api.md §9) is
merged with the config's ``[countries.XX]`` tables: a table overrides the fields it names and
adds a country it does not find.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from pay1st_mock.config import ConfigError
from pay1st_mock.frozen import frozen

# Every currency the sandbox countries use has two decimal places (ISO 4217).
DEFAULT_MINOR_UNITS = 2


@frozen
class Channel:
    """A payment method a customer can pick (``channels[].id`` is the checkout ``channelId``)."""

    id: int
    name: str
    payment_method: str
    flow: str  # card, phone_otp, phone_pin, voucher or redirect: how the checkout page behaves
    country_code: str
    group_name: str
    code: str = ""  # the catalogue's channel code (VISA_MASTERCARD, MPESA, ...)


@frozen
class Country:
    """A country the emulator serves, with its currency and grouped methods."""

    code: str
    name: str
    currency: str
    groups: list[dict[str, Any]]
    minor_units: int = DEFAULT_MINOR_UNITS


class Catalogue:
    """Read-only view of the countries and channels in force."""

    def __init__(self, countries: Mapping[str, Country]) -> None:
        self._countries = dict(countries)
        self._methods_json: dict[str, str] = {}
        self._channels: dict[int, Channel] = {}
        for country in self._countries.values():
            for group in country.groups:
                for entry in group["channels"]:
                    self._channels[entry["id"]] = Channel(
                        id=entry["id"], name=entry["channel"]["name"],
                        payment_method=entry["channel"]["paymentMethod"], flow=entry["flow"],
                        country_code=country.code, group_name=group["name"],
                        code=str(entry["channel"].get("code", "")))

    @classmethod
    def load(cls, overrides: Mapping[str, Mapping[str, Any]] | None = None,
             source: str | None = None) -> Catalogue:
        """Build the catalogue from the built-in data and the config's overrides.

        Raises ``ConfigError`` naming the config file and the country when an added country
        lacks a field or reuses another country's ``channels[].id``.
        """
        text = (resources.files("pay1st_mock") / "catalogue" / "methods.json").read_text("utf-8")
        raw: dict[str, dict[str, Any]] = json.loads(text)["countries"]
        for code, override in (overrides or {}).items():
            merged = {**raw.get(code, {}), **copy.deepcopy(dict(override))}
            missing = [k for k in ("name", "currency", "groups") if k not in merged]
            if missing:
                raise ConfigError(f"{source or '<config>'}: countries.{code}: a new country "
                                  "needs " + ", ".join(missing))
            raw[code] = merged
        owners: dict[int, str] = {}
        for code, data in raw.items():
            for group in data["groups"]:
                for entry in group["channels"]:
                    owner = owners.setdefault(entry["id"], code)
                    if owner != code:
                        raise ConfigError(
                            f"{source or '<config>'}: countries.{code}: channels[].id "
                            f"{entry['id']} is already used in {owner}; channel ids are unique "
                            "across countries (they are the checkout's channelId)")
        return cls({code: Country(code=code, name=data["name"], currency=data["currency"],
                                  groups=data["groups"]) for code, data in raw.items()})

    @property
    def country_codes(self) -> list[str]:
        """The supported country codes, sorted."""
        return sorted(self._countries)

    def country(self, code: str) -> Country | None:
        """Return the country with that ISO-2 code, if served."""
        return self._countries.get(code)

    def channel(self, channel_id: int) -> Channel | None:
        """Return the channel with that ``channels[].id``, if any."""
        return self._channels.get(channel_id)

    def channels_of(self, country_code: str) -> list[Channel]:
        """Return the channels offered in a country, in display order."""
        return [c for c in self._channels.values() if c.country_code == country_code]

    def methods_json(self, country_code: str) -> str:
        """The List Payment Methods body for a country, rendered once (the data never changes)."""
        cached = self._methods_json.get(country_code)
        if cached is None:
            cached = json.dumps({"data": {"groups": self.api_groups(country_code)}},
                                separators=(",", ":"), ensure_ascii=False)
            self._methods_json[country_code] = cached
        return cached

    def api_groups(self, country_code: str) -> list[dict[str, Any]]:
        """Return the country's groups in the List Payment Methods shape (``flow`` removed)."""
        country = self._countries[country_code]
        return [{**group, "channels": [{k: v for k, v in entry.items() if k != "flow"}
                                       for entry in group["channels"]]}
                for group in country.groups]
