"""What the partner sells: the emulator's demo product, Sandbox Quest, mirrored as data.

Prices are in major units (100 means NGN 100.00), as Gateway v4 amounts are. They are whole
numbers here, so plain ``int`` is exact; a catalogue with cents would use ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# The currency each country pays in (Pay1st refuses any other).
CURRENCIES: Mapping[str, str] = MappingProxyType({
    "NG": "NGN", "ZA": "ZAR", "KE": "KES", "GH": "GHS", "EG": "EGP", "MA": "MAD",
})


@dataclass(frozen=True)
class Item:
    """A SKU: what the player gets (``tokens``) and what it costs per country."""

    sku: str
    title: str
    tokens: int
    prices: Mapping[str, int]


ITEMS: Mapping[str, Item] = MappingProxyType({item.sku: item for item in (
    Item("CRE-11", "11 Credits", 11,
         {"NG": 1000, "ZA": 10, "KE": 150, "GH": 15, "EG": 50, "MA": 10}),
    Item("CRE-60", "60 Credits", 60,
         {"NG": 5000, "ZA": 50, "KE": 700, "GH": 70, "EG": 250, "MA": 50}),
)})
