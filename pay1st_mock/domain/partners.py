"""Tenants: the sandbox partner, partners from config, partners created through the control API,
and resets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from typing import Any, Protocol

from pay1st_mock.clock import Clock
from pay1st_mock.config import ACCESS_GROUPS, Callbacks, PartnerConfig
from pay1st_mock.errors import Pay1stError
from pay1st_mock.frozen import frozen
from pay1st_mock.randomness import Randomness
from pay1st_mock.records import Partner
from pay1st_mock.store.database import Database
from pay1st_mock.store.partners import PartnerRepository


class TenantData(Protocol):
    """A repository holding data that belongs to partners (payments, tokens, deliveries, ...)."""

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget everything of that partner."""


@frozen
class NewPartner:
    """What a caller may choose when creating a partner; the rest is generated."""

    code: str | None = None
    name: str | None = None
    webhook_url: str | None = None
    callbacks: Callbacks = field(default_factory=Callbacks)
    access: tuple[str, ...] = ACCESS_GROUPS


class PartnerService:
    """Creates, lists and resets partners."""

    def __init__(self, db: Database, partners: PartnerRepository,
                 tenant_data: Sequence[TenantData], clock: Clock, randomness: Randomness,
                 configured: tuple[PartnerConfig, ...]) -> None:
        self._db = db
        self._partners = partners
        self._tenant_data = tenant_data
        self._clock = clock
        self._random = randomness
        self._configured = configured

    def bootstrap(self) -> None:
        """Write the sandbox and configured partners, keeping any data they already have."""
        for config in self._configured:
            origin = "sandbox" if config.code == "SANDBOX" and config.id == 1 else "config"
            self._partners.save(config, origin, self._clock.now())

    def create(self, request: NewPartner) -> Partner:
        """Create a partner with fresh credentials; 409 when the code is taken."""
        with self._db.transaction():  # id and code are picked and taken atomically
            if request.code is not None and self._partners.code_taken(request.code):
                raise Pay1stError("PARTNER_CONFLICT",
                                  f"partner code {request.code!r} is taken; choose another or "
                                  "omit code to get a generated one")
            partner_id = self._partners.next_id()
            code = request.code or f"PARTNER_{partner_id}"
            suffix = 1
            while request.code is None and self._partners.code_taken(code):
                suffix += 1
                code = f"PARTNER_{partner_id}_{suffix}"
            config = PartnerConfig(
                id=partner_id, code=code, name=request.name or f"Partner {partner_id}",
                api_key=self._random.secret(24), api_secret=self._random.secret(32),
                signing_key=self._random.secret(32), webhook_url=request.webhook_url,
                callbacks=request.callbacks, access=request.access)
            return self._partners.save(config, "api", self._clock.now())

    def update(self, partner_id: int, changes: Mapping[str, Any]) -> Partner:
        """Replace a partner's ``webhook_url``, ``callbacks`` and/or ``access`` (keys given in
        ``changes``); its credentials and data stay. 404 when there is no such partner."""
        with self._db.transaction():
            partner = self.get(partner_id)
            config = partner.config
            if "webhook_url" in changes:
                config = replace(config, webhook_url=changes["webhook_url"])
            if "callbacks" in changes:
                config = replace(config, callbacks=changes["callbacks"])
            if "access" in changes:
                config = replace(config, access=tuple(changes["access"]))
            return self._partners.save(config, partner.origin, self._clock.now())

    def get(self, partner_id: int) -> Partner:
        """Return a partner; 404 naming the known ids when there is none."""
        partner = self._partners.get(partner_id)
        if partner is None:
            known = ", ".join(str(p.id) for p in self._partners.all())
            raise Pay1stError("PARTNER_NOT_FOUND",
                              f"no partner has id {partner_id}; known ids: {known}")
        return partner

    def all(self) -> list[Partner]:
        """Return every partner."""
        return self._partners.all()

    def reset(self, partner_id: int | None = None) -> None:
        """Forget one partner's data (payments, tokens, deliveries, exchanges), or return
        everything to its start state.

        A full reset also deletes partners created through the control API and restores the
        configured ones.
        """
        if partner_id is not None:
            self.get(partner_id)
            self._forget(partner_id)
            return
        keep = {config.id for config in self._configured}
        self._partners.delete_except(keep)
        for config_id in keep:
            self._forget(config_id)
        self.bootstrap()

    def _forget(self, partner_id: int) -> None:
        with self._db.transaction():
            for repository in self._tenant_data:
                repository.delete_for_partner(partner_id)
