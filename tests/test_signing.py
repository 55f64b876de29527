"""The public signing functions against the documented vectors (pay1st-api.md §5.1, §5.2)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

import pay1st_mock
from pay1st_mock import sign_request, sign_summary, verify_request, verify_summary
from pay1st_mock.signing import summary_key
from tests.vectors import (
    REQUEST_BODY,
    REQUEST_KEY,
    REQUEST_SIGNATURE,
    REQUEST_TIMESTAMP,
    SUMMARY_BODY,
    SUMMARY_KEY,
    SUMMARY_PASSWORD,
    SUMMARY_SIGNATURE,
    SUMMARY_USER,
)


def _hmac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _change_one_character(text: str, index: int) -> str:
    replacement = "0" if text[index] != "0" else "1"
    return text[:index] + replacement + text[index + 1:]


def test_the_package_exports_the_signing_functions() -> None:
    assert {"sign_request", "verify_request", "sign_summary", "verify_summary"} <= set(
        pay1st_mock.__all__)
    assert pay1st_mock.sign_request is sign_request
    assert pay1st_mock.verify_summary is verify_summary


# --- §5.1 gateway requests ---------------------------------------------------------------------

def test_request_vector_is_reproduced() -> None:
    assert REQUEST_BODY.count("<https://callback.success") == 1
    assert '"10> Credits"' in REQUEST_BODY
    assert sign_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY) == REQUEST_SIGNATURE


def test_request_body_may_be_bytes() -> None:
    assert sign_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY.encode()) == REQUEST_SIGNATURE


def test_request_signature_is_lowercase_hex_of_64_characters() -> None:
    signature = sign_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY)
    assert len(signature) == 64
    assert signature == signature.lower()
    int(signature, 16)


def test_request_signature_is_hmac_of_timestamp_then_body_with_the_key_text() -> None:
    expected = _hmac(REQUEST_KEY.encode(), (REQUEST_TIMESTAMP + REQUEST_BODY).encode())
    assert sign_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY) == expected


def test_verify_request_accepts_the_vector() -> None:
    assert verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY, REQUEST_SIGNATURE)
    assert verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY.encode(),
                          REQUEST_SIGNATURE)


def test_verify_request_ignores_hex_case_and_surrounding_space() -> None:
    assert verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY,
                          f" {REQUEST_SIGNATURE.upper()}\n")


@pytest.mark.parametrize("index", [0, 31, 63])
def test_verify_request_rejects_one_changed_signature_character(index: int) -> None:
    changed = _change_one_character(REQUEST_SIGNATURE, index)
    assert changed != REQUEST_SIGNATURE
    assert not verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY, changed)


def test_verify_request_rejects_one_changed_body_character() -> None:
    changed = REQUEST_BODY.replace('"amount":100', '"amount":101')
    assert changed != REQUEST_BODY
    assert not verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, changed, REQUEST_SIGNATURE)


def test_verify_request_rejects_one_changed_timestamp_character() -> None:
    changed = REQUEST_TIMESTAMP.replace("52.544", "53.544")
    assert not verify_request(REQUEST_KEY, changed, REQUEST_BODY, REQUEST_SIGNATURE)


def test_verify_request_rejects_one_changed_key_character() -> None:
    changed = _change_one_character(REQUEST_KEY, 5)
    assert not verify_request(changed, REQUEST_TIMESTAMP, REQUEST_BODY, REQUEST_SIGNATURE)


def test_cleaned_body_does_not_match_the_vector() -> None:
    """The stray '<' and '>' are part of what was signed (§5.1)."""
    cleaned = REQUEST_BODY.replace('"<https', '"https').replace("10> Credits", "10 Credits")
    assert sign_request(REQUEST_KEY, REQUEST_TIMESTAMP, cleaned) != REQUEST_SIGNATURE
    assert not verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, cleaned, REQUEST_SIGNATURE)


def test_verify_request_rejects_key_and_message_swapped() -> None:
    """The docs' prose: payload string as HMAC key, Signing Key as data. Not what is signed."""
    swapped = _hmac((REQUEST_TIMESTAMP + REQUEST_BODY).encode(), REQUEST_KEY.encode())
    assert swapped != REQUEST_SIGNATURE
    assert not verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY, swapped)


def test_verify_request_rejects_the_base64url_decoded_key() -> None:
    decoded = base64.urlsafe_b64decode(REQUEST_KEY + "=" * (-len(REQUEST_KEY) % 4))
    assert len(decoded) == 32
    variant = _hmac(decoded, (REQUEST_TIMESTAMP + REQUEST_BODY).encode())
    assert variant != REQUEST_SIGNATURE
    assert not verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY, variant)


@pytest.mark.parametrize("separator", [".", "\n", " "], ids=["dot", "newline", "space"])
def test_verify_request_rejects_a_separator_between_timestamp_and_body(separator: str) -> None:
    variant = _hmac(REQUEST_KEY.encode(), (REQUEST_TIMESTAMP + separator + REQUEST_BODY).encode())
    assert not verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY, variant)


@pytest.mark.parametrize("signature", ["", "85aa", "z" * 64, "\u00e9" * 64],
                         ids=["empty", "short", "not-hex", "not-ascii"])
def test_verify_request_answers_false_for_garbage(signature: str) -> None:
    assert verify_request(REQUEST_KEY, REQUEST_TIMESTAMP, REQUEST_BODY, signature) is False


# --- §5.2 Summary Webhook ----------------------------------------------------------------------

def test_summary_key_is_the_base64_text_of_username_colon_password() -> None:
    assert summary_key(SUMMARY_USER, SUMMARY_PASSWORD) == SUMMARY_KEY
    assert base64.b64decode(SUMMARY_KEY) == b"apiuser:apipassword"


def test_summary_vector_is_reproduced() -> None:
    assert sign_summary(SUMMARY_KEY, SUMMARY_BODY) == SUMMARY_SIGNATURE
    assert sign_summary(summary_key(SUMMARY_USER, SUMMARY_PASSWORD), SUMMARY_BODY.encode()) == \
        SUMMARY_SIGNATURE


@pytest.mark.parametrize("padding", [(" ", " "), ("\n", "\n"), ("\t \r\n", "  \n\n")],
                         ids=["spaces", "newlines", "mixed"])
def test_summary_whitespace_around_the_body_is_trimmed(padding: tuple[str, str]) -> None:
    before, after = padding
    padded = before + SUMMARY_BODY + after
    assert sign_summary(SUMMARY_KEY, padded) == SUMMARY_SIGNATURE
    assert sign_summary(SUMMARY_KEY, padded.encode()) == SUMMARY_SIGNATURE
    assert verify_summary(SUMMARY_KEY, padded, SUMMARY_SIGNATURE)


def test_summary_whitespace_inside_the_body_counts() -> None:
    spaced = SUMMARY_BODY.replace('"playerId":', '"playerId": ')
    assert sign_summary(SUMMARY_KEY, spaced) != SUMMARY_SIGNATURE


def test_verify_summary_accepts_the_vector() -> None:
    assert verify_summary(SUMMARY_KEY, SUMMARY_BODY, SUMMARY_SIGNATURE)
    assert verify_summary(SUMMARY_KEY, SUMMARY_BODY.encode(), SUMMARY_SIGNATURE.upper())


def test_verify_summary_rejects_one_changed_body_character() -> None:
    changed = SUMMARY_BODY.replace('"amount":1000', '"amount":1001')
    assert changed != SUMMARY_BODY
    assert not verify_summary(SUMMARY_KEY, changed, SUMMARY_SIGNATURE)


def test_verify_summary_rejects_one_changed_signature_character() -> None:
    assert not verify_summary(SUMMARY_KEY, SUMMARY_BODY,
                              _change_one_character(SUMMARY_SIGNATURE, 10))


def test_verify_summary_rejects_the_decoded_key() -> None:
    """With the decoded bytes apiuser:apipassword as key the result is 77f64026d53d…e1351e."""
    variant = sign_summary("apiuser:apipassword", SUMMARY_BODY)
    assert variant.startswith("77f64026d53d")
    assert variant.endswith("e1351e")
    assert variant == _hmac(b"apiuser:apipassword", SUMMARY_BODY.encode())
    assert not verify_summary(SUMMARY_KEY, SUMMARY_BODY, variant)


def test_verify_summary_rejects_key_and_message_swapped() -> None:
    swapped = _hmac(SUMMARY_BODY.encode(), SUMMARY_KEY.encode())
    assert not verify_summary(SUMMARY_KEY, SUMMARY_BODY, swapped)


def test_request_signing_does_not_trim_but_summary_signing_does() -> None:
    assert sign_summary(REQUEST_KEY, f" {REQUEST_BODY} ") != sign_request(
        REQUEST_KEY, "", f" {REQUEST_BODY} ")
    assert sign_request(REQUEST_KEY, "", REQUEST_BODY) == sign_summary(REQUEST_KEY, REQUEST_BODY)


@pytest.mark.parametrize("signature", ["", "e6ed", "\u00e9" * 64],
                         ids=["empty", "short", "not-ascii"])
def test_verify_summary_answers_false_for_garbage(signature: str) -> None:
    assert verify_summary(SUMMARY_KEY, SUMMARY_BODY, signature) is False
