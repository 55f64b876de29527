"""One running partner: its settings, state, Pay1st client and fulfilment worker.

``create_app`` builds one and hangs it on ``app.extensions["reference_partner"]``; the domain
modules (``orders``, ``shop``) take it as their first argument and never touch Flask.
"""

from __future__ import annotations

from reference_partner.bugs import BUGS
from reference_partner.pay1st import Pay1stClient
from reference_partner.settings import PartnerSettings
from reference_partner.store import Store
from reference_partner.worker import Worker


class Partner:
    """Everything the views and the domain share."""

    def __init__(self, settings: PartnerSettings) -> None:
        self.settings = settings  # mutable: changes (pay1st_url, bugs) apply to the next call
        self.store = Store()
        self.pay1st = Pay1stClient(settings)
        self.fulfilments = Worker("reference-partner-fulfilment")

    def bug(self, name: str) -> bool:
        """Tell whether the deliberate bug ``name`` is on."""
        if name not in BUGS:  # a typo in our own code must not silently read as "off"
            raise ValueError(f"no bug is named {name!r}")
        return name in self.settings.bugs

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued fulfilment was sent; False if ``timeout`` passed first."""
        return self.fulfilments.wait_idle(timeout)

    def close(self) -> None:
        """Send what is queued, then stop the worker and release the HTTP connections."""
        self.fulfilments.close()
        self.pay1st.close()
