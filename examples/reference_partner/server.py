"""``PartnerServer``: the reference partner on a real port, in a daemon thread.

::

    with PartnerServer(PartnerSettings(slow_seconds=0.2)) as partner:   # port 0: any free port
        partner.settings.pay1st_url = emulator_url                     # may change at any time
        requests.post(f"{partner.url}/pay1st-test/orders", json={"playerId": "player-1",
                                                                 "sku": "CRE-11"})
        partner.wait_idle()                                            # fulfilments sent
"""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from reference_partner.app import create_app, partner_of
from reference_partner.partner import Partner
from reference_partner.settings import PartnerSettings

POLL_SECONDS = 0.05  # how often serve_forever looks for a stop request: stop() waits this long


class _QuietHandler(WSGIRequestHandler):
    """Logs errors, not every request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class PartnerServer:
    """Serves ``create_app(settings)`` on ``host:port``; ready when ``start()`` returns."""

    def __init__(self, settings: PartnerSettings | None = None, host: str = "127.0.0.1",
                 port: int = 0, log_requests: bool = False) -> None:
        self.settings = settings or PartnerSettings()
        self.host, self.port_wanted, self.log_requests = host, port, log_requests
        self._app: Flask | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PartnerServer:
        """Build the app, bind the port, serve in a daemon thread; return self."""
        if self._server is not None:
            raise RuntimeError("this PartnerServer is already started")
        app = create_app(self.settings)
        handler = WSGIRequestHandler if self.log_requests else _QuietHandler
        try:
            self._server = make_server(self.host, self.port_wanted, app, threaded=True,
                                       request_handler=handler)
        except BaseException as exc:
            partner_of(app).close()
            if isinstance(exc, SystemExit):  # werkzeug exits, after saying why, on a taken port
                raise OSError(f"{self.host}:{self.port_wanted} is taken") from exc
            raise
        self._app = app
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": POLL_SECONDS},
                                        name="reference-partner-server", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("start() the PartnerServer first")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def app(self) -> Flask:
        """The running Flask app."""
        if self._app is None:
            raise RuntimeError("start() the PartnerServer first")
        return self._app

    @property
    def partner(self) -> Partner:
        """The running partner: ``settings``, ``store``, ``pay1st``, ``fulfilments``."""
        return partner_of(self.app)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued fulfilment was sent; False if ``timeout`` passed first."""
        return self.partner.wait_idle(timeout)

    def stop(self) -> None:
        """Stop serving, send queued fulfilments, release the port and connections."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self.partner.close()
        self._server = self._thread = None

    def __enter__(self) -> PartnerServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
