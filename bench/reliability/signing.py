"""What a partner's backend computes for its calls: timestamp, HMAC signature, Basic auth.

Done here with the documented HMAC for any partner's keys (``gateway.py`` signs for the
sandbox partner only); nothing is imported from the package under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime


def timestamp_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def sign(key: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


def basic(api_key: str, api_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()
