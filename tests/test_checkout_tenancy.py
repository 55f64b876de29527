"""The checkout never tells one partner that another partner's reference exists (issue 16,
point 9): a link or form naming it is answered exactly as one naming an unknown reference."""

from __future__ import annotations

from urllib.parse import quote

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.harness import ClientPartner

UNKNOWN = "C-999999999999999-P"


def _stranger(client: FlaskClient) -> ClientPartner:
    made = client.post("/_mock/partners", json={"code": "OTHER"})
    assert made.status_code == 201, made.get_data(as_text=True)
    return ClientPartner.from_control(client, made.get_json()).login()


def _seen(response: TestResponse, reference: str) -> tuple[int, str]:
    """What the browser sees, with the reference it asked about blanked out."""
    return response.status_code, response.get_data(as_text=True).replace(reference, "REF")


def test_another_partners_reference_is_answered_as_an_unknown_one(client: FlaskClient) -> None:
    reference = ClientPartner(client).login().create_reference()
    stranger = _stranger(client)
    assert stranger.access_token is not None
    token = quote(stranger.access_token, safe="")

    theirs = client.get(f"/checkout?reference={reference}&accessToken={token}")
    unknown = client.get(f"/checkout?reference={UNKNOWN}&accessToken={token}")
    assert theirs.status_code == 404
    assert _seen(theirs, reference) == _seen(unknown, UNKNOWN)
    assert "another partner" not in theirs.get_data(as_text=True)

    for path, fields in (("/checkout/choose", {"channelId": "1"}),
                         ("/checkout/cancel", {}), ("/checkout/result", None)):
        if fields is None:
            theirs = client.get(f"{path}?reference={reference}&accessToken={token}")
            unknown = client.get(f"{path}?reference={UNKNOWN}&accessToken={token}")
        else:
            form = {"accessToken": stranger.access_token, **fields}
            theirs = client.post(path, data={**form, "reference": reference})
            unknown = client.post(path, data={**form, "reference": UNKNOWN})
        assert _seen(theirs, reference) == _seen(unknown, UNKNOWN), path
