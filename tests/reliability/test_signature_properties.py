"""Hypothesis properties of signatures and X-TIMESTAMP: the gateway's request signatures, the
Summary Webhook signatures, the X-TIMESTAMP parser and the ±300 s window.

Every property runs derandomized (no example database), so CI sees the same examples each run.
The bugs these properties found here (lowercase ``t`` and hour-only offsets in X-TIMESTAMP) are
fixed; the tests beside each property pin them. Templates and the scenario loader:
``test_runner_properties.py``.
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from pay1st_mock.domain.signatures import check_request_signature, parse_timestamp
from pay1st_mock.errors import Pay1stError
from pay1st_mock.signing import (
    sign_request,
    sign_summary,
    summary_key,
    verify_request,
    verify_summary,
)
from tests.reliability.strategies import PROPERTY, changed_byte, changed_char

HEX = "0123456789abcdef"
TRIMMED = " \t\n\r\x0b\x0c"  # the whitespace bytes.strip() removes

keys = st.text(min_size=1, max_size=60)
timestamps = st.text(max_size=40)
bodies = st.one_of(st.binary(max_size=300), st.text(max_size=200))


def as_bytes(body: str | bytes) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


# -- gateway signatures -------------------------------------------------------------------------


@PROPERTY
@given(key=keys, timestamp=timestamps, body=bodies)
def test_request_signature_round_trips(key: str, timestamp: str, body: str | bytes) -> None:
    signature = sign_request(key, timestamp, body)
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    assert verify_request(key, timestamp, body, signature)
    # str and bytes bodies are the same message; hex case and surrounding blanks are ignored
    assert sign_request(key, timestamp, as_bytes(body)) == signature
    assert verify_request(key, timestamp, as_bytes(body), f" {signature.upper()}\n")


@PROPERTY
@given(key=keys, timestamp=timestamps, data=st.data(),
       body=st.binary(min_size=1, max_size=300))
def test_request_signature_breaks_on_any_body_byte(key: str, timestamp: str, body: bytes,
                                                   data: st.DataObject) -> None:
    signature = sign_request(key, timestamp, body)
    assert not verify_request(key, timestamp, data.draw(changed_byte(body)), signature)


@PROPERTY
@given(key=keys, timestamp=st.text(min_size=1, max_size=40), body=bodies, data=st.data())
def test_request_signature_breaks_on_any_timestamp_change(key: str, timestamp: str,
                                                          body: str | bytes,
                                                          data: st.DataObject) -> None:
    signature = sign_request(key, timestamp, body)
    assert not verify_request(key, data.draw(changed_char(timestamp)), body, signature)


@PROPERTY
@given(key=keys, timestamp=timestamps, body=bodies, data=st.data())
def test_request_signature_breaks_on_any_signature_change(key: str, timestamp: str,
                                                          body: str | bytes,
                                                          data: st.DataObject) -> None:
    signature = sign_request(key, timestamp, body)
    index = data.draw(st.integers(0, 63))
    # Any other character, except the same hex digit in upper case (documented: case ignored).
    new = data.draw(st.characters().filter(lambda c: c.lower() != signature[index]))
    forged = signature[:index] + new + signature[index + 1:]
    assert not verify_request(key, timestamp, body, forged)


@PROPERTY
@given(key=keys, other=keys, timestamp=timestamps, body=bodies)
def test_request_signature_is_bound_to_the_key(key: str, other: str, timestamp: str,
                                               body: str | bytes) -> None:
    # HMAC pads short keys with zero bytes, so "k" and "k\0" are the same key by design.
    assume(key.encode().rstrip(b"\0") != other.encode().rstrip(b"\0"))
    assert not verify_request(other, timestamp, body, sign_request(key, timestamp, body))


# -- Summary Webhook signatures -----------------------------------------------------------------

blanks = st.text(alphabet=TRIMMED, max_size=4)


@PROPERTY
@given(username=st.text(max_size=30), password=st.text(max_size=30), body=bodies,
       before=blanks, after=blanks)
def test_summary_signature_round_trips_and_ignores_surrounding_whitespace(
        username: str, password: str, body: str | bytes, before: str, after: str) -> None:
    key = summary_key(username, password)
    signature = sign_summary(key, body)
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    assert verify_summary(key, body, signature)
    padded = before.encode() + as_bytes(body) + after.encode()
    assert sign_summary(key, padded) == signature
    assert sign_summary(key, as_bytes(body).strip()) == signature
    assert verify_summary(key, padded, f" {signature.upper()}\t")


@PROPERTY
@given(key=keys, body=st.binary(min_size=1, max_size=300), data=st.data())
def test_summary_signature_breaks_on_any_byte_of_the_trimmed_body(key: str, body: bytes,
                                                                   data: st.DataObject) -> None:
    trimmed = body.strip()
    assume(trimmed)
    signature = sign_summary(key, trimmed)
    assert not verify_summary(key, data.draw(changed_byte(trimmed)), signature)
    index = data.draw(st.integers(0, 63))
    new = data.draw(st.characters().filter(lambda c: c.lower() != signature[index]))
    assert not verify_summary(key, trimmed, signature[:index] + new + signature[index + 1:])


# -- X-TIMESTAMP: parsing and the window --------------------------------------------------------

EPOCH = datetime(1970, 1, 1)
TOLERANCE = 300.0
SIGNING_KEY = "hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y"


@st.composite
def iso_timestamps(draw: st.DrawFn) -> tuple[str, float]:
    """An ISO-8601 / RFC 3339 extended date-time with a zone and 0–9 fraction digits, and the
    epoch seconds it denotes (computed independently of the parser)."""
    # Years 2–9998: the emulator's now (moment ± a few minutes) stays a real datetime.
    local = draw(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)))
    local = local.replace(microsecond=0)
    fraction = draw(st.text(alphabet=string.digits, max_size=9))
    separator = draw(st.sampled_from(["T", " "]))
    offset = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59))  # minutes
    zone_style = draw(st.sampled_from(["Z", "z", "colon", "plain"]))
    if zone_style in ("Z", "z"):
        zone, offset = zone_style, 0
    else:
        sign = "-" if offset < 0 else "+"
        hours, minutes = divmod(abs(offset), 60)
        zone = f"{sign}{hours:02d}{':' if zone_style == 'colon' else ''}{minutes:02d}"
    decimal_mark = draw(st.sampled_from([".", ","]))
    text = (f"{local.year:04d}-{local.month:02d}-{local.day:02d}{separator}"
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
            f"{decimal_mark + fraction if fraction else ''}{zone}")
    seconds = (local - EPOCH) // timedelta(seconds=1) - offset * 60
    return text, seconds + (int(fraction.ljust(9, "0")) / 1e9 if fraction else 0.0)


def check(timestamp: str, now: float, body: bytes = b"{}") -> None:
    check_request_signature(signing_key=SIGNING_KEY, timestamp=timestamp,
                            signature=sign_request(SIGNING_KEY, timestamp, body), body=body,
                            now=now, tolerance=TOLERANCE, required=True)


@PROPERTY
@given(stamp=iso_timestamps())
@example(stamp=("2025-03-17T08:10:52.544247646Z", 1742199052.544247646))  # Pay1st's example
def test_valid_timestamps_parse_to_their_instant(stamp: tuple[str, float]) -> None:
    text, expected = stamp
    assert parse_timestamp(text) == pytest.approx(expected, abs=1e-3)


@PROPERTY
@given(stamp=iso_timestamps(),
       drift=st.floats(-3 * TOLERANCE, 3 * TOLERANCE).filter(
           lambda d: abs(abs(d) - TOLERANCE) > 0.01))
def test_timestamp_window(stamp: tuple[str, float], drift: float) -> None:
    """Accepted within ±300 s of the emulator's now, refused as out of window beyond."""
    text, moment = stamp
    now = moment - drift
    if abs(drift) < TOLERANCE:
        check(text, now)
    else:
        with pytest.raises(Pay1stError) as refused:
            check(text, now)
        assert refused.value.code == "TIMESTAMP_OUT_OF_WINDOW"


TIMESTAMP_SHAPED = st.from_regex(
    r"\A\s?\d{1,5}-\d{1,3}-\d{1,3}[Tt ]\d{1,3}:\d{1,3}:\d{1,3}([.,]\d{0,10})?"
    r"(Z|z|[+-]\d{1,3}:?\d{1,3}|)\s?\Z")


@PROPERTY
@given(text=st.one_of(st.text(max_size=60), TIMESTAMP_SHAPED))
def test_any_text_parses_or_is_an_invalid_timestamp(text: str) -> None:
    """Arbitrary header text: a number of seconds, or Pay1stError(INVALID_TIMESTAMP) only."""
    try:
        value = parse_timestamp(text)
    except Pay1stError as error:
        assert error.code == "INVALID_TIMESTAMP"
        assert error.message
    else:
        assert isinstance(value, float)


@PROPERTY
@given(text=st.one_of(st.text(max_size=60), TIMESTAMP_SHAPED),
       now=st.floats(0, 4e9), signature=st.text(max_size=80), body=st.binary(max_size=50))
def test_signature_check_raises_only_documented_errors(text: str, now: float, signature: str,
                                                       body: bytes) -> None:
    try:
        check_request_signature(signing_key=SIGNING_KEY, timestamp=text, signature=signature,
                                body=body, now=now, tolerance=TOLERANCE, required=True)
    except Pay1stError as error:
        assert error.code in {"INVALID_TIMESTAMP", "TIMESTAMP_OUT_OF_WINDOW", "INVALID_SIGNATURE"}


@pytest.mark.parametrize("text", [
    pytest.param("2025-03-17t08:10:52Z", id="lowercase-t"),
    pytest.param("2025-03-17T08:10:52+01", id="hour-only-offset"),
])
def test_other_iso_forms_are_accepted(text: str) -> None:
    assert isinstance(parse_timestamp(text), float)

