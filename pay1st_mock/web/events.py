"""The live activity feed under ``/_mock/events``: a long poll that ``pay1st-mock tail`` follows.

What the emulator just did (partners' gateway calls, webhook attempts, User Info calls), the
same events ``serve`` prints as its log. A reader pages with the ``next`` cursor and may wait at
the head for the next event, up to ``timeout`` seconds.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from pay1st_mock.activity import MAX_TIMEOUT, CursorError
from pay1st_mock.errors import Pay1stError
from pay1st_mock.web.http import int_arg, json_response, limit_arg, services
from pay1st_mock.web.operations import LIMIT, PARTNER_ID, Operation, Param

blueprint = Blueprint("events", __name__, url_prefix="/_mock")

_AFTER = Param("after", "The `next` cursor of the previous answer: only the events after it. "
                        "Without it, the newest `limit` events, at once.")
_TIMEOUT = Param("timeout", f"With `after` at the newest event: seconds to wait for the next "
                            f"one, 0 to {MAX_TIMEOUT:g} (default 0: answer at once). While the "
                            "server is busy with another waiting reader it answers at once.",
                 type="number", extra=(("minimum", 0), ("maximum", MAX_TIMEOUT),
                                       ("default", 0)))


@blueprint.get("/events")
@Operation(response="control/events.json", query=(_AFTER, PARTNER_ID, LIMIT, _TIMEOUT))
def list_events() -> Response:
    """``?after=&partnerId=&limit=&timeout=`` → 200 ``{events, next, missed, restarted}``:
    what the emulator did, oldest first (a long poll when ``timeout`` is set).

    Events are partners' gateway calls (method, path, status, time, findings), webhook attempts
    (kind, reference, URL, answer, the next retry) and User Info Webhook calls; never headers,
    bodies or secrets. The server keeps the newest 1,000 in memory; `missed` counts those your
    cursor skipped, and a cursor from an earlier run reads this run from its start
    (`restarted`).
    """
    svc = services()
    partner_id = int_arg("partnerId")
    if partner_id is not None:
        svc.partners.get(partner_id)
    try:
        page = svc.activity.read(request.args.get("after") or None, partner_id, limit_arg(),
                                 _timeout())
    except CursorError as exc:
        raise Pay1stError("INVALID_PARAMETER", str(exc)) from None
    return json_response({"events": [e.as_dict() for e in page.events], "next": page.next,
                          "missed": page.missed, "restarted": page.restarted})


def _timeout() -> float:
    raw = request.args.get("timeout", "").strip()
    if not raw:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_TIMEOUT:  # also refuses nan and inf
        raise Pay1stError("INVALID_PARAMETER", f"query parameter timeout must be a number of "
                                               f"seconds from 0 to {MAX_TIMEOUT:g}; got {raw!r}")
    return seconds
