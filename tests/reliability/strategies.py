"""Hypothesis settings and generic strategies shared by the property modules
(``test_signature_properties.py``, ``test_runner_properties.py``): the derandomized ``PROPERTY``
settings, one-byte / one-character changes, and JSON values.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=150,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@st.composite
def changed_byte(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with exactly one byte replaced by a different byte."""
    index = draw(st.integers(0, len(data) - 1))
    new = draw(st.integers(0, 255).filter(lambda b: b != data[index]))
    return data[:index] + bytes([new]) + data[index + 1:]


@st.composite
def changed_char(draw: st.DrawFn, text: str) -> str:
    """``text`` with exactly one character replaced by a different character."""
    index = draw(st.integers(0, len(text) - 1))
    new = draw(st.characters().filter(lambda c: c != text[index]))
    return text[:index] + new + text[index + 1:]


identifiers = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z")
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                         st.floats(allow_nan=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)
