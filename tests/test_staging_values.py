"""The checkout takes Pay1st's published staging test values (issue 15, point 6; pay1st-api.md
§9): its cards succeed, and the wallets' own OTPs, PINs and passwords do too, so a tester's notes
from Pay1st staging work here unchanged."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pay1st_mock.app import services
from pay1st_mock.domain.outcome_table import STAGING_CARDS
from tests.harness import ClientPartner

VISA_NG, PAGA, PALMPAY = 2, 57, 58
VODAFONE_WALLET = 302  # EG


@pytest.fixture
def partner(client: FlaskClient) -> ClientPartner:
    return ClientPartner(client).login()


@pytest.mark.parametrize("number", STAGING_CARDS)
def test_pay1sts_staging_cards_succeed(app: Flask, partner: ClientPartner, number: str) -> None:
    checkout = services(app).checkout
    reference = partner.create_reference()
    checkout.choose(reference, VISA_NG)
    paid = checkout.submit(reference, "card", {"cardNumber": number[:4] + " " + number[4:],
                                               "expiry": "06/25", "cvv": "408"})
    assert paid.status == "SUCCESSFUL"


@pytest.mark.parametrize(("channel", "phone", "code", "status"), [
    (PALMPAY, "8108080730", "1234", "SUCCESSFUL"),  # Palmpay's OTP
    (PALMPAY, "8108080730", "2580", "SUCCESSFUL"),  # and its PIN
    (PAGA, "8132790865", "Carryfirst", "SUCCESSFUL"),  # Paga's password, where the PIN is asked
    (PAGA, "8132790865", "1234", "FAILED"),  # Palmpay's code is not Paga's
    (PALMPAY, "8108080730", "9999", "FAILED"),
])
def test_the_wallets_staging_codes(app: Flask, partner: ClientPartner, channel: int, phone: str,
                                   code: str, status: str) -> None:
    checkout = services(app).checkout
    reference = partner.create_reference()
    checkout.choose(reference, channel)
    at_code = checkout.submit(reference, "phone", {"phone": phone})
    assert checkout.submit(reference, at_code.step, {"code": code}).status == status


def test_vodafone_wallets_staging_pin(app: Flask, partner: ClientPartner) -> None:
    checkout = services(app).checkout
    reference = partner.create_reference(
        countryCode="EG", currencyCode="EGP",
        products=[{"title": "x", "sku": "S", "price": 100, "quantity": 1}])
    checkout.choose(reference, VODAFONE_WALLET)
    assert checkout.submit(reference, "phone", {"phone": "01010101010"}).step == "pin"
    assert checkout.submit(reference, "pin", {"code": "123456"}).status == "SUCCESSFUL"
