"""``create_app``: wiring only. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import Flask
from werkzeug.routing import Rule

from pay1st_mock import web
from pay1st_mock.clock import Clock
from pay1st_mock.config import Settings
from pay1st_mock.services import EXTENSION_KEY, Services, build_services, load_catalogues
from pay1st_mock.store.database import Database
from pay1st_mock.store.repositories import Repositories
from pay1st_mock.web.http import serving

STORE_KEY = "pay1st_mock.store"


class _Rule(Rule):
    """A URL rule whose builder (for ``url_for``) is compiled when first used, not at start.

    werkzeug compiles two Python functions per rule when it is added: for our ~90 routes that
    was about a fifth of the time ``serve`` takes to answer its first request, and most rules
    are never built into a URL. (Relies on ``Rule._compile_builder``, werkzeug 2.2 to 3.1.)
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: list[Callable[..., tuple[str, str]]] = []
        eager = super()._compile_builder

        def build(rule: _Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(eager(append_unknown).__get__(rule, None))
            return compiled[0](*args, **kwargs)

        return build


class _Flask(Flask):
    """Flask, remembering which views and hooks are plain functions, and telling ``services()``
    whose request is being handled.

    Flask asks ``inspect.iscoroutinefunction`` of every hook and view on every request; the
    answer never changes, and on the gateway's hot path it cost about 3% of a request.
    """

    url_rule_class = _Rule
    _sync: dict[Callable[..., Any], Callable[..., Any]]

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync[func]
        except AttributeError:
            self._sync = {}
        except KeyError:
            pass
        self._sync[func] = wrapped = super().ensure_sync(func)
        return wrapped

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        with serving(cast(Services, self.extensions[EXTENSION_KEY])):
            return super().wsgi_app(environ, start_response)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """Build the emulator: the store, the services over it, the web surfaces, the dispatcher.

    ``settings.data`` is a directory or ``:memory:``; ``clock`` lets tests inject time. The
    webhook dispatcher starts at once (pending deliveries from an earlier run resume); call
    ``services(app).close()`` to stop it.
    """
    settings = settings or Settings()
    catalogues = load_catalogues(settings)  # config errors before anything is written
    store = Repositories.open(settings)
    svc = build_services(settings, clock or Clock(), store, catalogues)
    app = _Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions[EXTENSION_KEY] = svc
    app.extensions[STORE_KEY] = store
    web.register(app)
    svc.dispatcher.start()
    return app


def services(app: Flask) -> Services:
    """Return the services built for ``app``."""
    return cast(Services, app.extensions[EXTENSION_KEY])


def database(app: Flask) -> Database:
    """The database under ``app``, for tests and benchmarks that fill or inspect the store
    directly (views never do: they go through ``services``)."""
    return cast(Repositories, app.extensions[STORE_KEY]).db
