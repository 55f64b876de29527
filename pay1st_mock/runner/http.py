"""HTTP for the runner: one ``requests`` call → an ``Exchange``, whatever happens."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests

from pay1st_mock import __version__
from pay1st_mock.runner.results import Exchange

USER_AGENT = "pay1st-mock-runner"

_SHOWN_BODY_BYTES = 8192  # reports show this much of a body; enough for any Pay1st message


def new_session() -> requests.Session:
    """A keep-alive session that ignores proxy settings (partner and emulator are local).

    Its ``User-Agent`` marks the runner's own gateway calls, so the journal can tell them from
    the partner's."""
    session = requests.Session()
    session.trust_env = False
    session.headers["User-Agent"] = f"{USER_AGENT}/{__version__}"
    return session


def send(session: requests.Session, method: str, url: str, *, timeout: float,
         headers: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None,
         data: bytes | None = None, label: str | None = None) -> Exchange:
    """Send one request and record it; a refused or timed-out call becomes ``error``."""
    request = requests.Request(method, url, headers=dict(headers or {}), params=params,
                               data=data)
    try:
        prepared = session.prepare_request(request)
    except (requests.RequestException, ValueError) as exc:  # no scheme, bad host, ...
        return Exchange(method, url, dict(headers or {}), _text(data or b""),
                        error=f"cannot send to {url!r}: {exc}")
    sent_body = prepared.body if isinstance(prepared.body, bytes) else (
        (prepared.body or "").encode())
    started = time.perf_counter()
    try:
        response = session.send(prepared, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return Exchange(method, prepared.url or url, dict(prepared.headers), _text(sent_body),
                        latency_ms=(time.perf_counter() - started) * 1000, label=label,
                        error=f"no answer within {timeout:g} s")
    except requests.ConnectionError as exc:
        return Exchange(method, prepared.url or url, dict(prepared.headers), _text(sent_body),
                        label=label, error=f"could not connect: {_reason(exc)}")
    except requests.RequestException as exc:  # too many redirects, bad chunking, ...
        return Exchange(method, prepared.url or url, dict(prepared.headers), _text(sent_body),
                        label=label, error=f"the request failed: {exc}")
    latency = (time.perf_counter() - started) * 1000
    return Exchange(method, prepared.url or url, dict(prepared.headers), _text(sent_body),
                    status=response.status_code, response_headers=dict(response.headers),
                    response_body=_text(response.content), latency_ms=latency, label=label)


def _text(raw: bytes) -> str:
    text = raw[:_SHOWN_BODY_BYTES].decode("utf-8", errors="replace")
    return text + ("…" if len(raw) > _SHOWN_BODY_BYTES else "")


def _reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused (is it running, on that port?)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return text[:300]



