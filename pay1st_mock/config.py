"""Settings: built-in defaults, the TOML config file, and its validation.

A config file is checked against ``schemas/config.schema.json`` before use; every problem is
reported with the file and the key that holds it (``partners[0].api_key``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from pay1st_mock.frozen import frozen
from pay1st_mock.schemas import Finding, load_schemas

DEFAULT_DATA_DIR = ".pay1st-mock"
CONTROL_TOKEN_HEADER = "X-Pay1st-Mock-Token"  # where /_mock expects ``control_token``
MEMORY = ":memory:"


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and each bad key."""


@frozen
class Callbacks:
    """Browser redirect targets after a payment (pay1st-api.md §6.9)."""

    success: str | None = None
    failure: str | None = None
    pending: str | None = None
    cancel: str | None = None


# The Gateway API groups a partner's credentials can be given access to (403 outside them).
ACCESS_GROUPS: tuple[str, ...] = ("payments", "refunds", "chargebacks")


@frozen
class PartnerConfig:
    """A tenant: its ids and the three v4 credentials (pay1st-api.md §3.1)."""

    id: int
    code: str
    name: str
    api_key: str
    api_secret: str
    signing_key: str
    webhook_url: str | None = None
    callbacks: Callbacks = field(default_factory=Callbacks)
    access: tuple[str, ...] = ACCESS_GROUPS  # the Gateway API groups the credentials may use

    def may_use(self, group: str | None) -> bool:
        """Whether the partner's credentials give access to the API group ``group``."""
        return group is None or group in self.access


# Stable, documented credentials. The signing key is the one in Pay1st's own test vector
# (pay1st-api.md §5.1), so a partner can reproduce the documented signature against us.
SANDBOX_PARTNER = PartnerConfig(
    id=1,
    code="SANDBOX",
    name="Sandbox Games",
    api_key="sandbox-api-key",
    api_secret="sandbox-api-secret",
    signing_key="hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y",
)


@frozen
class Settings:
    """Everything the app factory needs; CLI flags override what the file says."""

    host: str = "127.0.0.1"
    port: int = 8080
    data: str = DEFAULT_DATA_DIR
    seed: int | None = None
    control_token: str | None = None  # when set, /_mock (but health) requires it
    idle_timeout_seconds: int = 30  # a connection without traffic this long is closed
    allowed_hosts: tuple[str, ...] = ()  # names /_mock may be reached by (DNS rebinding)
    allow_link_local_urls: bool = False  # per-payment URLs may point at link-local/metadata
    access_ttl_seconds: int = 3600
    refresh_ttl_seconds: int = 86400
    timestamp_tolerance_seconds: int = 300
    strict_amounts: bool = False
    max_body_bytes: int = 65536
    rate_limit_requests: int = 0  # per partner per window; 0: no rate limiting
    rate_limit_window_seconds: float = 60.0
    webhook_timeout_seconds: float = 10.0
    retry_delays_seconds: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    abandon_after_seconds: int = 1800
    refund_processing_after_seconds: float = 5.0  # PENDING → PROCESSING
    refund_settle_after_seconds: float = 60.0  # PROCESSING → SUCCESSFUL
    chargeback_resolve_after_seconds: float = 2592000.0  # OPEN → WON/LOST; 0: never by itself
    partners: tuple[PartnerConfig, ...] = ()
    countries: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    products: tuple[Mapping[str, Any], ...] = ()  # raw [[products]]; shop/catalogue.py builds them
    user_info_timeout_seconds: float = 5.0
    journal_max_entries: int = 10000
    deliveries_max_finished: int = 10000
    run: Mapping[str, Any] = field(default_factory=dict)  # raw [run]; runner/target.py reads it
    source: str | None = None

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the given non-None fields replaced (CLI flags)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def all_partners(self) -> tuple[PartnerConfig, ...]:
        """The sandbox partner (unless the config redefines id 1) followed by configured ones."""
        if any(p.id == SANDBOX_PARTNER.id or p.code == SANDBOX_PARTNER.code
               for p in self.partners):
            return self.partners
        return (SANDBOX_PARTNER, *self.partners)


def load_settings(path: str | Path | None) -> Settings:
    """Return the defaults, or the defaults overlaid with the TOML file at ``path``."""
    if path is None:
        return Settings()
    import tomllib  # here: only a config file needs it (3 ms of every start otherwise)

    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:  # a folder, a file we may not read
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    return settings_from_mapping(raw, source=str(path))


def settings_from_mapping(raw: Mapping[str, Any], source: str = "<config>") -> Settings:
    """Validate a parsed config document and build ``Settings`` from it."""
    problems = load_schemas().check("config.schema.json", raw)
    problems += _semantic_problems(raw)
    if problems:
        lines = "\n".join(f"  {_key_name(f.path)}: {f.message}" for f in problems)
        raise ConfigError(f"{source}: {len(problems)} problem(s) in the config:\n{lines}")
    server, tokens, gateway, webhooks, checkout, shop, retention, refunds, chargebacks = (
        raw.get(k, {}) for k in ("server", "tokens", "gateway", "webhooks", "checkout", "shop",
                                 "retention", "refunds", "chargebacks"))
    return Settings(
        host=server.get("host", Settings.host),
        port=server.get("port", Settings.port),
        data=server.get("data", Settings.data),
        seed=server.get("seed"),
        control_token=server.get("control_token"),
        idle_timeout_seconds=server.get("idle_timeout_seconds", Settings.idle_timeout_seconds),
        allowed_hosts=tuple(server.get("allowed_hosts", ())),
        allow_link_local_urls=gateway.get("allow_link_local_urls",
                                          Settings.allow_link_local_urls),
        access_ttl_seconds=tokens.get("access_ttl_seconds", Settings.access_ttl_seconds),
        refresh_ttl_seconds=tokens.get("refresh_ttl_seconds", Settings.refresh_ttl_seconds),
        timestamp_tolerance_seconds=gateway.get("timestamp_tolerance_seconds",
                                                Settings.timestamp_tolerance_seconds),
        strict_amounts=gateway.get("strict_amounts", Settings.strict_amounts),
        max_body_bytes=gateway.get("max_body_bytes", Settings.max_body_bytes),
        rate_limit_requests=gateway.get("rate_limit_requests", Settings.rate_limit_requests),
        rate_limit_window_seconds=gateway.get("rate_limit_window_seconds",
                                              Settings.rate_limit_window_seconds),
        webhook_timeout_seconds=webhooks.get("timeout_seconds", Settings.webhook_timeout_seconds),
        retry_delays_seconds=tuple(webhooks.get("retry_delays_seconds",
                                                Settings.retry_delays_seconds)),
        abandon_after_seconds=checkout.get("abandon_after_seconds",
                                           Settings.abandon_after_seconds),
        refund_processing_after_seconds=refunds.get("processing_after_seconds",
                                                    Settings.refund_processing_after_seconds),
        refund_settle_after_seconds=refunds.get("settle_after_seconds",
                                                Settings.refund_settle_after_seconds),
        chargeback_resolve_after_seconds=chargebacks.get(
            "resolve_after_seconds", Settings.chargeback_resolve_after_seconds),
        partners=tuple(_partner(p) for p in raw.get("partners", [])),
        countries=raw.get("countries", {}),
        products=tuple(raw.get("products", ())),
        user_info_timeout_seconds=shop.get("user_info_timeout_seconds",
                                           Settings.user_info_timeout_seconds),
        journal_max_entries=retention.get("journal_entries", Settings.journal_max_entries),
        deliveries_max_finished=retention.get("finished_deliveries",
                                              Settings.deliveries_max_finished),
        run=raw.get("run", {}),
        source=source,
    )


def _partner(raw: Mapping[str, Any]) -> PartnerConfig:
    callbacks = raw.get("callbacks", {})
    return PartnerConfig(
        id=raw["id"], code=raw["code"], name=raw.get("name", raw["code"].title()),
        api_key=raw["api_key"], api_secret=raw["api_secret"], signing_key=raw["signing_key"],
        webhook_url=raw.get("webhook_url"),
        callbacks=Callbacks(**{k: callbacks.get(k) for k in ("success", "failure", "pending",
                                                             "cancel")}),
        access=tuple(raw.get("access", ACCESS_GROUPS)),
    )


def _semantic_problems(raw: Mapping[str, Any]) -> list[Finding]:
    """Rules a schema cannot say: unique partner ids, codes and API keys."""
    problems: list[Finding] = []
    partners = raw.get("partners", [])
    if not isinstance(partners, list):
        return problems
    redefines_sandbox = any(isinstance(p, dict) and (p.get("id") == SANDBOX_PARTNER.id
                                                     or p.get("code") == SANDBOX_PARTNER.code)
                            for p in partners)
    for index, partner in enumerate(partners):
        if (not redefines_sandbox and isinstance(partner, dict)
                and partner.get("api_key") == SANDBOX_PARTNER.api_key):
            problems.append(Finding(f"$.partners[{index}].api_key",
                                    "is the sandbox partner's API key; choose another (or give "
                                    "this partner id 1 to replace the sandbox)"))
    for key in ("id", "code", "api_key"):
        seen: dict[Any, int] = {}
        for index, partner in enumerate(partners):
            if not isinstance(partner, dict) or key not in partner:
                continue
            value = partner[key]
            if value in seen:
                problems.append(Finding(f"$.partners[{index}].{key}",
                                        f"{value!r} is already used by partners[{seen[value]}]"))
            else:
                seen[value] = index
    return problems


def _key_name(json_path: str) -> str:
    """``$.partners[0].api_key`` → ``partners[0].api_key`` (the TOML reader's view)."""
    return json_path.removeprefix("$.").removeprefix("$") or "(top level)"
