"""Creating a payment, reading its status, and every outcome a customer can reach."""

from __future__ import annotations

import re

import pytest

PHONE_PIN_CHANNEL = 57  # Paga (NG): the customer enters a phone number, then a PIN


def test_create_and_query_a_payment(pay1st_partner):
    created = pay1st_partner.create_payment(partnerReference="order-1001", amount=250,
                                            products=[{"title": "25 Credits", "sku": "SKU-25",
                                                       "price": 250, "quantity": 1}])
    assert re.fullmatch(r"C-\d{15}-P", created["reference"])
    assert created["status"] == "NEW"
    assert created["partnerReference"] == "order-1001"

    response = pay1st_partner.get("/api/pay1st/payments", reference=created["reference"])
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["status"] == "NEW"
    assert status["amount"] == 250
    assert status["partnerSettings"]["partnerId"] == pay1st_partner.partner_id


@pytest.mark.parametrize(("outcome", "channel_id", "status"), [
    ("success", None, "SUCCESSFUL"),
    ("declined", None, "FAILED"),
    ("insufficient_funds", None, "FAILED"),
    ("cancel", None, "CANCELLED"),
    ("no_answer", PHONE_PIN_CHANNEL, "PENDING"),
])
def test_each_outcome_is_what_our_shop_sees(pay1st_partner, outcome, channel_id, status):
    reference = pay1st_partner.create_payment()["reference"]

    completed = pay1st_partner.complete(reference, outcome=outcome, channel_id=channel_id)
    assert completed["status"] == status

    seen = pay1st_partner.get("/api/pay1st/payments", reference=reference).json()
    assert seen["status"] == status
