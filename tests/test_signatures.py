"""``X-TIMESTAMP`` parsing and ``X-SIGNATURE`` diagnoses (pay1st_mock.domain.signatures)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pay1st_mock.domain.signatures import check_request_signature, parse_timestamp
from pay1st_mock.errors import Pay1stError
from pay1st_mock.signing import sign_request

KEY = "hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y"
TIMESTAMP = "2025-03-17T08:10:52.544247646Z"
WHOLE_SECOND = datetime(2025, 3, 17, 8, 10, 52, tzinfo=UTC).timestamp()
NOW = WHOLE_SECOND + 0.544247646
BODY = json.dumps({"countryCode": "NG", "currencyCode": "NGN", "amount": 100,
                   "partnerReference": "p-1", "products": [
                       {"title": "10 Credits", "sku": "12345", "price": 100, "quantity": 1}]},
                  separators=(",", ":")).encode()


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def check(signature: str | None, *, timestamp: str | None = TIMESTAMP, body: bytes = BODY,
          now: float = NOW, required: bool = True) -> None:
    check_request_signature(signing_key=KEY, timestamp=timestamp, signature=signature, body=body,
                            now=now, tolerance=300, required=required)


def refused(code: str, signature: str | None, **options: Any) -> str:
    """Run ``check`` expecting a ``Pay1stError`` with ``code``; return its message."""
    with pytest.raises(Pay1stError) as caught:
        check(signature, **options)
    assert caught.value.code == code, caught.value.message
    assert caught.value.status == 400
    return caught.value.message


# --- parse_timestamp ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-17T08:10:52Z", WHOLE_SECOND),
    ("2025-03-17T10:10:52+02:00", WHOLE_SECOND),
    ("2025-03-17T10:10:52+0200", WHOLE_SECOND),
    ("2025-03-17T02:40:52-05:30", WHOLE_SECOND),
    ("2025-03-17T08:10:52.544247646Z", WHOLE_SECOND + 0.544247646),
    ("2025-03-17T08:10:52.5Z", WHOLE_SECOND + 0.5),
    ("2025-03-17T08:10:52,25Z", WHOLE_SECOND + 0.25),
    ("2025-03-17T10:10:52.000000001+02:00", WHOLE_SECOND + 1e-9),
], ids=["Z", "+02:00", "+0200", "-05:30", "nanoseconds", "one-digit-fraction", "comma-fraction",
        "one-nanosecond-with-offset"])
def test_parse_timestamp_accepts_iso_8601_with_a_zone(text: str, expected: float) -> None:
    assert parse_timestamp(text) == pytest.approx(expected, abs=1e-6)


def test_parse_timestamp_keeps_microsecond_order() -> None:
    """Epoch seconds as a float resolve about 0.25 µs today: enough to order microseconds."""
    earlier = parse_timestamp("2025-03-17T08:10:52.100000000Z")
    later = parse_timestamp("2025-03-17T08:10:52.100001000Z")
    assert later > earlier
    assert later - earlier == pytest.approx(1e-6, abs=5e-7)


def test_parse_timestamp_rejects_a_missing_zone_saying_to_add_one() -> None:
    with pytest.raises(Pay1stError) as caught:
        parse_timestamp("2025-03-17T08:10:52.544")
    assert caught.value.code == "INVALID_TIMESTAMP"
    message = caught.value.message
    assert "2025-03-17T08:10:52.544" in message
    assert "with a zone" in message
    assert "2025-03-17T08:10:52.544247646Z" in message  # the example shows the zone to add


@pytest.mark.parametrize("text", ["2025-02-30T08:10:52Z", "2025-13-01T08:10:52Z",
                                  "2025-03-17T24:10:52Z", "2025-03-17T08:10:52+24:00"],
                         ids=["February-30", "month-13", "hour-24", "offset-24h"])
def test_parse_timestamp_rejects_impossible_date_times(text: str) -> None:
    with pytest.raises(Pay1stError) as caught:
        parse_timestamp(text)
    assert caught.value.code == "INVALID_TIMESTAMP"
    assert "not a real date-time" in caught.value.message
    assert text in caught.value.message


def test_parse_timestamp_rejects_offset_minutes_past_59() -> None:
    """+02:75 is not an ISO-8601 offset; it must not be read as +03:15."""
    with pytest.raises(Pay1stError) as caught:
        parse_timestamp("2025-03-17T11:25:52+02:75")
    assert caught.value.code == "INVALID_TIMESTAMP"


@pytest.mark.parametrize("text", ["1742199052544", "2025-03-17", "17/03/2025 08:10:52Z",
                                  "2025-03-17T08:10:52.1234567891Z", "2025-03-17T08:10Z", ""],
                         ids=["epoch-millis", "date-only", "not-iso", "ten-fraction-digits",
                              "no-seconds", "empty"])
def test_parse_timestamp_rejects_other_forms(text: str) -> None:
    with pytest.raises(Pay1stError) as caught:
        parse_timestamp(text)
    assert caught.value.code == "INVALID_TIMESTAMP"
    assert "ISO-8601" in caught.value.message


# --- check_request_signature: what passes ------------------------------------------------------

def test_a_correct_signature_passes() -> None:
    check(sign_request(KEY, TIMESTAMP, BODY))


def test_upper_case_hex_passes() -> None:
    check(sign_request(KEY, TIMESTAMP, BODY).upper())


def test_get_without_signature_headers_passes() -> None:
    check(None, timestamp=None, body=b"", required=False)


def test_get_with_headers_is_verified_over_an_empty_body() -> None:
    check(sign_request(KEY, TIMESTAMP, b""), body=b"", required=False)
    message = refused("INVALID_SIGNATURE", sign_request(KEY, TIMESTAMP, BODY), body=b"",
                      required=False)
    assert sign_request(KEY, TIMESTAMP, b"") in message


@pytest.mark.parametrize("drift", [-300, 300], ids=["300s-behind", "300s-ahead"])
def test_the_window_edge_passes(drift: float) -> None:
    check(sign_request(KEY, TIMESTAMP, BODY), now=NOW - drift)


# --- check_request_signature: missing and stale headers ----------------------------------------

def test_post_without_either_header_is_missing_signature() -> None:
    message = refused("MISSING_SIGNATURE", None, timestamp=None)
    assert "X-TIMESTAMP" in message and "X-SIGNATURE" in message
    assert "both are missing" in message


@pytest.mark.parametrize("required", [True, False], ids=["post", "get"])
def test_only_x_timestamp_names_the_missing_x_signature(required: bool) -> None:
    message = refused("MISSING_SIGNATURE", None, required=required)
    assert message.startswith("X-TIMESTAMP arrived without X-SIGNATURE")


@pytest.mark.parametrize("required", [True, False], ids=["post", "get"])
def test_only_x_signature_names_the_missing_x_timestamp(required: bool) -> None:
    message = refused("MISSING_SIGNATURE", sign_request(KEY, TIMESTAMP, BODY), timestamp=None,
                      required=required)
    assert message.startswith("X-SIGNATURE arrived without X-TIMESTAMP")


@pytest.mark.parametrize(("drift", "side"), [(301, "behind"), (-301, "ahead of")],
                         ids=["stale", "future"])
def test_outside_the_window_is_refused_before_the_signature(drift: float, side: str) -> None:
    message = refused("TIMESTAMP_OUT_OF_WINDOW", "0" * 64, now=NOW + drift)
    assert f"301 s {side} the emulator clock" in message
    assert "±300 s" in message


def test_an_unparseable_timestamp_is_invalid_timestamp() -> None:
    refused("INVALID_TIMESTAMP", sign_request(KEY, "1742199052544", BODY),
            timestamp="1742199052544")


# --- check_request_signature: diagnoses --------------------------------------------------------

def _digest() -> bytes:
    return _hmac(KEY.encode(), TIMESTAMP.encode() + BODY)


def _decoded_key() -> bytes:
    return base64.urlsafe_b64decode(KEY + "=" * (-len(KEY) % 4))


DIAGNOSES = [
    ("base64-instead-of-hex", lambda: base64.b64encode(_digest()).decode(),
     ["X-SIGNATURE is Base64", "64 lowercase hex characters"]),
    ("base64url-instead-of-hex", lambda: base64.urlsafe_b64encode(_digest()).decode(),
     ["X-SIGNATURE is Base64"]),
    ("wrong-length", lambda: _digest().hex()[:40],
     ["X-SIGNATURE must be 64 hex characters; it has 40 characters"]),
    ("key-and-message-swapped", lambda: _hmac(TIMESTAMP.encode() + BODY, KEY.encode()).hex(),
     ["the signing key and the message are swapped",
      "use the signing key as the HMAC key and timestamp + body as the message"]),
    ("no-timestamp-prefix", lambda: _hmac(KEY.encode(), BODY).hex(),
     ["covers the body without the timestamp", "prefix the body with the exact X-TIMESTAMP"]),
    ("dot-separator", lambda: _hmac(KEY.encode(), TIMESTAMP.encode() + b"." + BODY).hex(),
     ["a separator was put between timestamp and body"]),
    ("newline-separator", lambda: _hmac(KEY.encode(), TIMESTAMP.encode() + b"\n" + BODY).hex(),
     ["a separator was put between timestamp and body"]),
    ("decoded-key", lambda: _hmac(_decoded_key(), TIMESTAMP.encode() + BODY).hex(),
     ["the signing key was Base64-decoded", "use its text as it is"]),
    ("reserialised-indent-2",
     lambda: sign_request(KEY, TIMESTAMP, json.dumps(json.loads(BODY), indent=2)),
     ["re-serialised", "sign the exact body bytes"]),
    ("reserialised-default-separators",
     lambda: sign_request(KEY, TIMESTAMP, json.dumps(json.loads(BODY))),
     ["re-serialised"]),
]


@pytest.mark.parametrize(("make", "words"), [(make, words) for _, make, words in DIAGNOSES],
                         ids=[name for name, _, _ in DIAGNOSES])
def test_a_wrong_signature_is_diagnosed(make: Any, words: list[str]) -> None:
    message = refused("INVALID_SIGNATURE", make())
    for word in words:
        assert word in message, (word, message)
    # Every diagnosis is followed by what was expected, with the signature it should have been.
    assert "X-SIGNATURE does not match" in message
    assert sign_request(KEY, TIMESTAMP, BODY) in message


def test_diagnoses_do_not_fire_on_an_unrelated_signature() -> None:
    message = refused("INVALID_SIGNATURE", "ab" * 32)
    assert message.startswith("X-SIGNATURE does not match; expected lowercase hex HMAC-SHA256")
    for word in ("swapped", "separator", "Base64", "re-serialised", "without the timestamp"):
        assert word not in message


def test_the_mismatch_message_shows_what_was_signed() -> None:
    message = refused("INVALID_SIGNATURE", "ab" * 32)
    assert repr((TIMESTAMP.encode() + BODY).decode()[:160])[:-1] in message
    assert f"({len(TIMESTAMP.encode() + BODY)} bytes in all)" in message


def test_a_reserialised_body_is_not_blamed_when_the_body_was_signed_as_sent() -> None:
    """Signing the exact bytes passes whatever their JSON layout."""
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    check(sign_request(KEY, TIMESTAMP, pretty), body=pretty)


def test_a_non_ascii_signature_is_an_invalid_signature() -> None:
    """Header text is Latin-1 on the wire; 'é' × 64 must be refused, not crash the compare."""
    message = refused("INVALID_SIGNATURE", "\u00e9" * 64)
    assert "64 hex characters" in message


# --- a moved emulator clock never refuses a partner signing with the real time -----------------

def test_a_moved_clock_accepts_timestamps_near_either_clock() -> None:
    signature = sign_request(KEY, TIMESTAMP, BODY)
    moved = NOW + 3600  # a test moved the emulator clock an hour ahead of the real time
    check_request_signature(signing_key=KEY, timestamp=TIMESTAMP, signature=signature,
                            body=BODY, now=moved, tolerance=300, required=True, wall=NOW)
    ahead = datetime.fromtimestamp(moved, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    check_request_signature(signing_key=KEY, timestamp=ahead,
                            signature=sign_request(KEY, ahead, BODY), body=BODY, now=moved,
                            tolerance=300, required=True, wall=NOW)


def test_outside_both_windows_names_both_clocks() -> None:
    with pytest.raises(Pay1stError) as caught:
        check_request_signature(signing_key=KEY, timestamp=TIMESTAMP, signature="0" * 64,
                                body=BODY, now=NOW + 7200, tolerance=300, required=True,
                                wall=NOW + 1000)
    message = caught.value.message
    assert caught.value.code == "TIMESTAMP_OUT_OF_WINDOW"
    assert "1000 s behind the current UTC time" in message
    assert "7200 s behind the emulator clock, which was moved" in message
    assert message.endswith("the window is ±300 s: sign with the current UTC time")
