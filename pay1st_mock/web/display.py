"""How values look on every page (checkout, Shop, dashboard): one money format, one way to show a
moment, countries by name, card brands. Registered as template globals by ``register``.

* Money is the currency code, a space and the amount with thousands separators and the
  currency's decimals: ``NGN 2,500.00``.
* A moment is a ``<time>`` element: a readable form (``12 Mar 2025, 14:03:22``, UTC), the
  exact ISO-8601 value in ``datetime`` and on hover; the dashboard's script shows it in the
  reader's time zone.
* Card brands are data (``CARD_BRANDS``): the server names the brand of a card number, and the
  checkout's script, which gets the same table, names it as the customer types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Flask
from markupsafe import Markup

from pay1st_mock.clock import isoformat
from pay1st_mock.web import artwork

# Brand, display name, number prefixes (inclusive ranges of equal-length digit strings), the
# lengths a number of the brand has, its security-code length, and how the number is grouped.
# Order matters: the first brand whose range matches wins (Verve's 506099… before others).
CARD_BRANDS: tuple[dict[str, Any], ...] = (
    {"brand": "verve", "name": "Verve",
     "ranges": [["506099", "506198"], ["507865", "507964"], ["650002", "650027"]],
     "lengths": [16, 18, 19], "cvv": 3, "groups": [4, 4, 4, 4, 3]},
    {"brand": "amex", "name": "American Express", "ranges": [["34", "34"], ["37", "37"]],
     "lengths": [15], "cvv": 4, "groups": [4, 6, 5]},
    {"brand": "mastercard", "name": "Mastercard", "ranges": [["51", "55"], ["2221", "2720"]],
     "lengths": [16], "cvv": 3, "groups": [4, 4, 4, 4]},
    {"brand": "visa", "name": "Visa", "ranges": [["4", "4"]], "lengths": [13, 16, 19],
     "cvv": 3, "groups": [4, 4, 4, 4, 3]},
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(amount: Decimal | float | int, currency: str | None = None, decimals: int = 2) -> str:
    """``NGN 2,500.00``: the one money format of every page (without a currency, the
    amount alone: ``2,500.00``)."""
    exponent = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(amount)).quantize(exponent, rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    return f"{currency} {text}" if currency else text


def readable(epoch: float) -> str:
    """``12 Mar 2025, 14:03:22``: a moment for people, in UTC (the pages' script shows it in
    the reader's time zone; the exact ISO-8601 value, with its ``Z``, is on hover)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M:%S}"


def moment(epoch: float | None, testid: str | None = None, *, zone: bool = False) -> Markup:
    """A ``<time>`` with the readable form shown and the exact ISO value on hover; ``zone``
    adds "UTC" for pages whose script does not make it local (the checkout, the Shop)."""
    if epoch is None:
        return Markup("—")
    exact = isoformat(epoch)
    test = Markup(' data-testid="{}"').format(testid) if testid else Markup("")
    shown = readable(epoch) + (" UTC" if zone else "")
    return Markup('<time class="moment" datetime="{0}" title="{0}"{1}>{2}</time>').format(
        exact, test, shown)


def card_brand(number: str) -> dict[str, Any] | None:
    """The brand of a (possibly partial, possibly spaced) card number, or None."""
    digits = "".join(ch for ch in number if ch.isdigit())
    for brand in CARD_BRANDS:
        for low, high in brand["ranges"]:
            head = digits[:len(low)]
            if len(head) == len(low) and low <= head <= high:
                return brand
    return None


def grouped_card_number(number: str) -> str:
    """``4084084084084081`` → ``4084 0840 8408 4081`` (the brand's grouping), as typed."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits or len(digits) != len(number.replace(" ", "")):
        return number  # not a card number: shown back exactly as the customer typed it
    brand = card_brand(digits)
    groups = brand["groups"] if brand else [4, 4, 4, 4, 3]
    parts, start = [], 0
    for size in groups:
        if start >= len(digits):
            break
        parts.append(digits[start:start + size])
        start += size
    if start < len(digits):
        parts.append(digits[start:])
    return " ".join(parts)


def initials(name: str) -> str:
    """Up to two letters standing for a name: ``Galaxy Raiders`` → ``GR``."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in name).split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[1][0]).upper()


def register(app: Flask) -> None:
    """Offer the formats to every template."""
    app.jinja_env.globals.update(money=money, moment=moment, card_brand=card_brand,
                                 card_brands=CARD_BRANDS, grouped_card_number=grouped_card_number,
                                 initials=initials)
    artwork.register_globals(app.jinja_env.globals)
