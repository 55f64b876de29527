"""The test values that force each payment outcome: one table, shown in the README.

Behaviour lives here as data. The checkout page reads it when a customer types a value, and the
control API's headless completion picks its inputs from the same table, so a browser run and a
CI run go through identical steps.
"""

from __future__ import annotations

from pay1st_mock.frozen import frozen

# Card numbers (spaces ignored). Any other number that passes the Luhn check succeeds.
SUCCESS_CARD = "4084084084084081"  # Pay1st's own sandbox card (pay1st-api.md §9)
DECLINED_CARD = "4000000000000002"
INSUFFICIENT_FUNDS_CARD = "4000000000009995"
OTP_CARD = "4000000000003220"  # asks for an OTP; 123456 then succeeds
CARD_RESULTS = {
    DECLINED_CARD: ("FAILED", "The card was declined by its issuer."),
    INSUFFICIENT_FUNDS_CARD: ("FAILED", "The card has insufficient funds."),
}

# One code for every OTP and PIN prompt; anything else is wrong and fails the payment.
GOOD_CODE = "123456"
WRONG_CODE = "000000"

# Pay1st's staging test values (pay1st-api.md §9), so a tester's notes work here as there: its
# cards are Luhn-valid, so they succeed like any other; the wallets' own codes succeed too.
STAGING_CARDS = ("4111111111111111", "5343208850185202", "4000000000000010", "5413330002001429",
                 "5438898014560229", "507850785078507812", "4109230200002009", "4483870000267447",
                 "4483870000267462")
STAGING_CODES: dict[str, frozenset[str]] = {  # by channel code: codes that succeed besides 123456
    "PALMPAY": frozenset({"1234", "2580"}),  # its OTP and PIN
    "PAGA": frozenset({"Carryfirst"}),  # its password, typed where the PIN is asked
}

# Phone numbers (digits only are compared). This one never answers: the payment stays PENDING.
NO_ANSWER_PHONE = "0700000000"
ANSWERING_PHONE = "0712345678"


@frozen
class OutcomeRow:
    """One row of the README's outcome table."""

    flow: str
    value: str
    outcome: str


TABLE = [
    OutcomeRow("card", f"card {SUCCESS_CARD} (or any other Luhn-valid number)", "SUCCESSFUL"),
    OutcomeRow("card", f"card {DECLINED_CARD}", "FAILED (declined)"),
    OutcomeRow("card", f"card {INSUFFICIENT_FUNDS_CARD}", "FAILED (insufficient funds)"),
    OutcomeRow("card", f"card {OTP_CARD}, then OTP {GOOD_CODE}", "SUCCESSFUL after an OTP"),
    OutcomeRow("card", "Pay1st's staging cards: " + ", ".join(STAGING_CARDS) + " (any expiry "
               "and CVV)", "SUCCESSFUL"),
    OutcomeRow("card, phone", f"any OTP or PIN other than {GOOD_CODE}", "FAILED (wrong OTP/PIN)"),
    OutcomeRow("phone", f"any phone, then OTP/PIN {GOOD_CODE}", "SUCCESSFUL"),
    OutcomeRow("phone", f"phone {NO_ANSWER_PHONE}", "PENDING (the phone never answers)"),
    OutcomeRow("phone", "Pay1st's staging values: Palmpay OTP 1234 or PIN 2580, Paga password "
               "Carryfirst, Vodafone Wallet PIN 123456 (any phone)", "SUCCESSFUL"),
    OutcomeRow("voucher", "choosing the method",
               "PENDING until paid (control API outcome success)"),
    OutcomeRow("redirect", "Approve / Decline on the bank's page", "SUCCESSFUL / FAILED"),
    OutcomeRow("any", "Cancel", "CANCELLED"),
    OutcomeRow("any", "30 min (emulator time) without finishing", "ABANDONED"),
]

# Headless outcomes: for each flow, the customer inputs that produce the outcome, as (step, form)
# pairs in flow order. Only the pairs matching the payment's current step run, so one script
# serves a fresh payment and one already part-way (an OTP card at its OTP step, a voucher
# already PENDING, a phone that did not answer and finally does).
Script = list[tuple[str, dict[str, str]]]
_CARD = {"expiry": "12/30", "cvv": "123", "holder": "Test Customer"}
OUTCOME_SCRIPTS: dict[str, dict[str, Script]] = {
    "card": {
        "success": [("card", {"cardNumber": SUCCESS_CARD, **_CARD})],
        "declined": [("card", {"cardNumber": DECLINED_CARD, **_CARD})],
        "insufficient_funds": [("card", {"cardNumber": INSUFFICIENT_FUNDS_CARD, **_CARD})],
        "otp_success": [("card", {"cardNumber": OTP_CARD, **_CARD}),
                        ("otp", {"code": GOOD_CODE})],
        "wrong_otp": [("card", {"cardNumber": OTP_CARD, **_CARD}), ("otp", {"code": WRONG_CODE})],
    },
    "phone_otp": {
        "success": [("phone", {"phone": ANSWERING_PHONE}), ("otp", {"code": GOOD_CODE}),
                    ("waiting", {"decision": "approve"})],
        "wrong_otp": [("phone", {"phone": ANSWERING_PHONE}), ("otp", {"code": WRONG_CODE})],
        "no_answer": [("phone", {"phone": NO_ANSWER_PHONE})],
        "declined": [("waiting", {"decision": "decline"})],
    },
    "phone_pin": {
        "success": [("phone", {"phone": ANSWERING_PHONE}), ("pin", {"code": GOOD_CODE}),
                    ("waiting", {"decision": "approve"})],
        "wrong_pin": [("phone", {"phone": ANSWERING_PHONE}), ("pin", {"code": WRONG_CODE})],
        "no_answer": [("phone", {"phone": NO_ANSWER_PHONE})],
        "declined": [("waiting", {"decision": "decline"})],
    },
    "voucher": {
        "pending": [],
        "success": [("voucher", {"paid": "yes"})],
    },
    "redirect": {
        "success": [("bank", {"decision": "approve"})],
        "declined": [("bank", {"decision": "decline"})],
    },
}

# What a bare ``status`` asks of each flow, for control API callers that name a status.
STATUS_OUTCOMES: dict[str, dict[str, str]] = {
    "card": {"SUCCESSFUL": "success", "FAILED": "declined"},
    "phone_otp": {"SUCCESSFUL": "success", "FAILED": "wrong_otp", "PENDING": "no_answer"},
    "phone_pin": {"SUCCESSFUL": "success", "FAILED": "wrong_pin", "PENDING": "no_answer"},
    "voucher": {"SUCCESSFUL": "success", "PENDING": "pending"},
    "redirect": {"SUCCESSFUL": "success", "FAILED": "declined"},
}
# A PENDING phone payment waits at the customer's approval: it fails by a decline.
STATUS_OUTCOMES_WHEN_PENDING: dict[str, dict[str, str]] = {
    "phone_otp": {"FAILED": "declined"}, "phone_pin": {"FAILED": "declined"}}
ANY_FLOW_OUTCOMES = {"CANCELLED": "cancel", "ABANDONED": "abandon"}
ALL_OUTCOMES = sorted({o for scripts in OUTCOME_SCRIPTS.values() for o in scripts}
                      | {"cancel", "abandon"})
