"""A reference partner: a small Flask app that integrates with Pay1st correctly.

Both integration styles: Gateway v4 (create a signed payment, receive Payment Webhook Events,
report the fulfilment) and the Shop (answer the User Info Webhook, verify and credit the
Summary Webhook). It stands alone (Flask, werkzeug, requests and the standard library), so
partners can copy it. Start reading at ``webhooks.py``.

Also the emulator's test subject: deliberate bugs (``bugs.py``) switch single behaviours off
so the conformance scenarios can prove they catch them.
"""

from __future__ import annotations

from reference_partner.app import create_app, partner_of
from reference_partner.bugs import BUGS, UnknownBugError
from reference_partner.server import PartnerServer
from reference_partner.settings import PartnerSettings

__all__ = ["BUGS", "PartnerServer", "PartnerSettings", "UnknownBugError", "create_app",
           "partner_of"]
