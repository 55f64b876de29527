"""How values look on the pages (``pay1st_mock.web.display``): one money format, moments with
their ISO value, card brands from one table, and the drawn pictures (``web/artwork.py``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pay1st_mock.clock import isoformat
from pay1st_mock.web import artwork
from pay1st_mock.web.display import card_brand, grouped_card_number, initials, moment, money


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (Decimal("2500"), "NGN", "NGN 2,500.00"), (50, "ZAR", "ZAR 50.00"),
    (Decimal("19.99") * 2, "ZAR", "ZAR 39.98"), (0.1 + 0.2, "KES", "KES 0.30"),
    (Decimal("1234567.5"), "EGP", "EGP 1,234,567.50"), (Decimal("10"), None, "10.00"),
])
def test_one_money_format(amount: Decimal | float, currency: str | None, shown: str) -> None:
    assert money(amount, currency) == shown


def test_a_moment_is_readable_with_its_iso_value_on_hover() -> None:
    epoch = 1733230846.123  # 2024-12-03T13:00:46.123Z
    html = str(moment(epoch, "created"))
    assert html == ('<time class="moment" datetime="2024-12-03T13:00:46.123Z" '
                    'title="2024-12-03T13:00:46.123Z" data-testid="created">'
                    '3 Dec 2024, 13:00:46</time>')
    assert isoformat(epoch) in html
    assert str(moment(epoch, zone=True)).endswith("13:00:46 UTC</time>")
    assert str(moment(None)) == "—"


@pytest.mark.parametrize(("number", "brand", "grouped"), [
    ("4084084084084081", "visa", "4084 0840 8408 4081"),
    ("5555 5555 5555 4444", "mastercard", "5555 5555 5555 4444"),
    ("2223000048400011", "mastercard", "2223 0000 4840 0011"),
    ("5060990580000217499", "verve", "5060 9905 8000 0217 499"),
    ("378282246310005", "amex", "3782 822463 10005"),
    ("6011111111111117", None, "6011 1111 1111 1117"),
    ("40", "visa", "40"),
])
def test_card_brands_and_grouping(number: str, brand: str | None, grouped: str) -> None:
    found = card_brand(number)
    assert (found["brand"] if found else None) == brand
    assert grouped_card_number(number) == grouped


def test_what_is_not_a_card_number_is_shown_as_typed() -> None:
    assert grouped_card_number("<img src=x>") == "<img src=x>"
    assert grouped_card_number("4084-0840") == "4084-0840"
    assert card_brand("") is None


def test_initials() -> None:
    assert [initials(n) for n in ("Galaxy Raiders", "sandbox", "<b>Gems</b>", "", "Été 2")] == [
        "GR", "SA", "BG", "?", "É2"]


def test_drawn_pictures_escape_their_labels_and_load_nothing() -> None:
    flag = str(artwork.flag("NG", 'Nigeria "<x>'))
    assert flag.startswith('<svg class="flag"') and 'aria-label="Nigeria &#34;&lt;x&gt;"' in flag
    assert str(artwork.flag("ZZ", "Zed")) == (
        '<span class="flag flag-code" role="img" aria-label="Zed">ZZ</span>')
    marks = str(artwork.method_marks("VISA_MASTERCARD", "card", "Visa / Mastercard"))
    assert marks.count("<svg") == 2 and 'aria-label="Visa"' in marks
    fallback = str(artwork.method_marks("NEW_WALLET", "phone_otp", "<Wallet>"))
    assert 'aria-label="&lt;Wallet&gt;"' in fallback
    everything = "".join(str(artwork.flag(code)) for code in artwork.FLAGS) + "".join(
        str(artwork.method_marks(code, "card", code)) for code in artwork.METHOD_MARKS)
    assert "href" not in everything and "url(" not in everything  # nothing fetched
