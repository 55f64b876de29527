"""The URLs a Create Payment request may carry (``webhookUrl``, ``callback*Url``): what is accepted.

Pay1st calls the webhook URL and sends the customer's browser to the callback URLs (a
``Location`` header), so each must be an absolute ``http://`` or ``https://`` URL with a host;
``file:``, ``javascript:``, ``data:`` or "not a url" would only fail later, forever, in the
retry loop or in the customer's browser. And unless the config allows it
(``gateway.allow_link_local_urls``), none may point at a link-local address or a cloud's
instance-metadata service: a request must not be able to make the emulator call, or a browser
go to, what only the machine itself should reach. The check reads the URL text only: it never
resolves a name or connects.

One leftover is tolerated: the ``<`` before ``https://callback.success`` in Pay1st's own signed
example body (pay1st-api.md §5.1), so the documented test vector still creates a payment; it
earns a warning.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from pay1st_mock.errors import Pay1stError
from pay1st_mock.schemas import Finding

URL_FIELDS = ("webhookUrl", "callbackSuccessUrl", "callbackFailureUrl", "callbackPendingUrl",
              "callbackCancelUrl")
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
# Instance-metadata services outside the link-local ranges, by address and by name.
_METADATA_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
                                 ipaddress.ip_address("100.100.100.200")})  # Alibaba Cloud
_METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog",
                             "instance-data", "instance-data.ec2.internal"})


def check_payment_urls(body: dict[str, Any], allow_link_local: bool,
                       fields: tuple[str, ...] = URL_FIELDS) -> list[Finding]:
    """Check the URL ``fields`` of a body (by default a Create Payment body's); return
    warnings, raise ``VALIDATION_ERROR`` naming every refused field and why."""
    warnings: list[Finding] = []
    problems: list[str] = []
    for field in fields:
        value = body.get(field)
        if not isinstance(value, str):
            continue
        url = value.strip()
        if url.startswith("<"):
            url = url[1:].removesuffix(">")
            warnings.append(Finding(f"$.{field}", "starts with '<', a leftover of the markdown "
                                    "in Pay1st's example; send the URL alone", kind="hint",
                                    severity="warning"))
        why = _refusal(url, allow_link_local)
        if why:
            problems.append(f"$.{field}: {why}")
    if problems:
        raise Pay1stError("VALIDATION_ERROR", "; ".join(problems))
    return warnings


def _refusal(url: str, allow_link_local: bool) -> str | None:
    """Why ``url`` is refused, or None."""
    expected = f"expected an absolute http:// or https:// URL, got {url[:80]!r}"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return expected
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return expected
    if parts.scheme.lower() not in ("http", "https") or not host:
        return expected
    if allow_link_local:
        return None
    address = _address(host)
    if address is not None and (any(address in net for net in _LINK_LOCAL)
                                or address in _METADATA_ADDRESSES):
        return (f"{host} is a link-local or cloud-metadata address, which the emulator neither "
                "calls nor sends browsers to (set gateway.allow_link_local_urls = true to allow)")
    if host.rstrip(".").lower() in _METADATA_NAMES:
        return (f"{host} names a cloud-metadata service, which the emulator neither calls nor "
                "sends browsers to (set gateway.allow_link_local_urls = true to allow)")
    return None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host text stands for, in any form a client library accepts
    (``169.254.169.254``, ``2852039166``, ``0xa9.0xfe.0xa9.0xfe``, ``[::ffff:169.254.1.1]``);
    None for a name. Parsing only: nothing is resolved."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # the legacy forms inet_aton reads (decimal, hex, octal, shortened)
            address = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
