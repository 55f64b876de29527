"""Property-based fuzzing of every operation in the app's own ``/_mock/openapi.json``
(Schemathesis 4 on Hypothesis, in process through the WSGI app: every call goes to the
operation's own app with ``case.call(app=...)``). The document, the seeded apps, the shaping of
cases and the checks on every response are in ``fuzzing.py``.

* Gateway without credentials (garbage or no ``AccessToken`` / Basic): always a clean 4xx
  envelope, never a success.
* Gateway with credentials: a valid access token (Basic sandbox key and secret on the token
  calls, the demo product's Basic pair on the legacy status query) and every request signed by
  ``authorise_and_sign`` — ``X-TIMESTAMP`` = the emulator's now, ``X-SIGNATURE`` over the exact
  bytes then sent — so the fuzzer gets past authentication into the validation code (asserted:
  never an auth or signature error). A drawn switch swaps in real references, refresh tokens and
  a served country, so the deeper paths (create, query, fulfil, refresh, legacy status) are
  reached too.
* Control API and the HTML pages (checkout, Shop, legacy link), likewise with real references,
  delivery ids, partner ids and access tokens drawn in now and then.

Generation is derandomized (no example database), so a run is reproducible in CI. Both
Schemathesis modes run: positive (schema-valid requests) and negative (schema-breaking ones),
the latter only where an operation has something to break. The file takes 30–40 s on 2 cores.

The bugs the fuzzer found are fixed; ``test_edge_inputs.py`` pins each one.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.reliability.fuzzing import (
    AUTH_ERRORS,
    CONTROL,
    GATEWAY,
    OPERATIONS,
    PAGES,
    PICKS,
    AnyCase,
    authorise_and_sign,
    credentials_dropped,
    envelope_of,
    examples,
    runs,
    seeded_app,
    send,
    substitute,
    within_known_bugs,
)


@pytest.mark.parametrize(("label", "mode"), runs(*GATEWAY))
def test_gateway_signed(label: str, mode: GenerationMode) -> None:
    """Authenticated and signed: past the door, every answer is a documented one."""
    with seeded_app() as seeded:

        @examples("gateway_signed", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), pick=PICKS,
               ascii_only=st.booleans())
        def fuzz(case: AnyCase, pick: str | None, ascii_only: bool) -> None:
            assume(not within_known_bugs(case))
            substitute(case, seeded, pick)
            body = authorise_and_sign(case, seeded, ascii_only)
            response = send(case, seeded, body)
            if response.status_code >= 400:
                code = envelope_of(response)["errorCode"]
                assert code not in AUTH_ERRORS, \
                    f"credentials or signature refused: {response.text[:400]}"

        fuzz()


@pytest.mark.parametrize(("label", "mode"), runs(*GATEWAY))
def test_gateway_without_credentials(label: str, mode: GenerationMode) -> None:
    """No (or garbage) credentials and signatures: a clean 4xx envelope, never a success."""
    with seeded_app() as seeded:

        @examples("gateway_anonymous", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), strip=st.booleans())
        def fuzz(case: AnyCase, strip: bool) -> None:
            assume(not within_known_bugs(case))
            if strip:
                case.headers = credentials_dropped(case)
            response = send(case, seeded)
            assert 400 <= response.status_code < 500, \
                f"{response.status_code} without credentials: {response.text[:400]}"
            envelope_of(response)

        fuzz()


@pytest.mark.parametrize(("label", "mode"), runs(*CONTROL))
def test_control_api(label: str, mode: GenerationMode) -> None:
    """The control API answers every request with a documented, schema-valid answer."""
    with seeded_app() as seeded:

        @examples("control", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), pick=PICKS)
        def fuzz(case: AnyCase, pick: str | None) -> None:
            assume(not within_known_bugs(case))
            substitute(case, seeded, pick)
            response = send(case, seeded)
            if response.status_code >= 400:
                envelope_of(response)

        fuzz()


@pytest.mark.parametrize(("label", "mode"), runs(*PAGES))
def test_pages(label: str, mode: GenerationMode) -> None:
    """Checkout, Shop and legacy-link pages: no 5xx, whatever the link, form or product."""
    with seeded_app() as seeded:

        @examples("pages", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), pick=PICKS)
        def fuzz(case: AnyCase, pick: str | None) -> None:
            assume(not within_known_bugs(case))
            substitute(case, seeded, pick)
            send(case, seeded)

        fuzz()


def test_every_operation_is_fuzzed() -> None:
    """The groups above cover the whole document (a new route cannot slip past the fuzzer)."""
    covered = {label for label in OPERATIONS
               if label.split(" ", 1)[1].startswith((*GATEWAY, *CONTROL, *PAGES))}
    assert set(OPERATIONS) - covered == {"GET /"}  # the index page: no input to fuzz
    assert len(OPERATIONS) >= 40
