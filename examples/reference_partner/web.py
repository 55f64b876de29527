"""What every view needs: the running partner, and a request body parsed as a JSON object."""

from __future__ import annotations

import json
from typing import Any, cast

from flask import current_app

from reference_partner.errors import PartnerError
from reference_partner.partner import Partner

EXTENSION = "reference_partner"


def current_partner() -> Partner:
    """The partner of the app handling this request."""
    return cast(Partner, current_app.extensions[EXTENSION])


def json_object(raw: bytes) -> dict[str, Any]:
    """Parse ``raw`` (the bytes already verified) as a JSON object; ``PartnerError`` if not."""
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise PartnerError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PartnerError("the body must be a JSON object")
    return document
