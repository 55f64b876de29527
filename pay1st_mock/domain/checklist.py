"""The go-live checklist: facts observed about each partner, and the items they tick.

The emulator records a milestone when it sees something happen (a token issued, a create
accepted or refused, a webhook acknowledged, a conformance scenario passed), and derives each
item's state from the milestones, the partner's configuration and the manual ticks whenever the
checklist is read. Milestones are stored, so trimming the journal or restarting never un-ticks
an item; a partner reset forgets them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from typing import Any

from pay1st_mock.clock import Clock
from pay1st_mock.domain.checklist_items import GATEWAY, ITEMS, SHOP, Item
from pay1st_mock.errors import Pay1stError
from pay1st_mock.frozen import frozen
from pay1st_mock.records import Milestone, Partner, Tick
from pay1st_mock.store.milestones import MilestoneRepository

TODO, IN_PROGRESS, DONE, PROBLEM = "todo", "in_progress", "done", "problem"

# What each milestone means, for "still missing: ..." and the evidence list.
MEANING = {
    "token.issued": "an access token issued to the partner's credentials",
    "token.refreshed": "a token refreshed (optional)",
    "methods.listed": "payment methods listed",
    "payment.created": "a signed Create Payment accepted with no findings",
    "checkout.reached": "a customer reached the checkout through a valid link",
    "webhook.ack_successful": "a SUCCESSFUL event acknowledged with a 2xx in time",
    "webhook.ack_other": "a non-successful event acknowledged with a 2xx in time",
    "webhook.refuses_forged": "a badly signed event refused",
    "webhook.refuses_stale": "a stale event refused",
    "fulfilment.accepted": "a fulfilment accepted for a SUCCESSFUL payment",
    "fulfilment.none_for_unpaid": "no fulfilment attempted for a payment that failed",
    "payment.end_to_end": "one payment taken through every step",
    "user_info.valid": "a valid player answered 200 with a valid body in time",
    "user_info.unknown": "an unknown player answered 400 with an errorMessage in time",
    "summary.ack": "a Summary acknowledged with a 2xx",
    "summary.refuses_forged": "a badly signed Summary refused",
    "summary.duplicate_ok": "a duplicate Summary acknowledged",
    "shop.purchase_fulfilled": "a Shop purchase paid and its Summary acknowledged",
}
_PAYMENT = {"kind": "payment"}
_END_TO_END = ("payment.created", "checkout.reached", "webhook.ack_successful",
               "fulfilment.accepted")
# Conformance scenarios that passed count as evidence: (style, tag) → milestone (all the run's
# scenarios with that tag must pass; if one fails, the item shows its failure as the problem).
PACK_EVIDENCE: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("gateway", "signatures"): (("webhook.refuses_forged",), "webhook.accepts_forged"),
    ("gateway", "replay"): (("webhook.refuses_stale",), "webhook.accepts_stale"),
    ("gateway", "fulfilment"): (("fulfilment.none_for_unpaid",), "fulfilment.problem"),
    ("shop", "user-info"): (("user_info.valid", "user_info.unknown"), "user_info.problem"),
    ("shop", "credit"): (("summary.ack",), "summary.delivery_problem"),
    ("shop", "signatures"): (("summary.refuses_forged",), "summary.accepts_forged"),
    ("shop", "idempotency"): (("summary.duplicate_ok",), "summary.delivery_problem"),
}


@frozen
class ItemState:
    """One item as the checklist shows it."""

    item: Item
    state: str
    detail: str  # what was seen, or the problem's message
    next_step: str  # empty when done
    evidence: list[Milestone] = field(default_factory=list)
    tick: Tick | None = None


@frozen
class Checklist:
    """A partner's checklists (gateway, and shop when it has products)."""

    partner: Partner
    items: list[ItemState]

    @property
    def ready(self) -> bool:
        """Every item the emulator can observe is done (manual and optional ones aside)."""
        return all(s.state == DONE for s in self.items
                   if not s.item.manual and not s.item.optional)

    def styles(self) -> list[str]:
        """The integration styles shown, in order."""
        return list(dict.fromkeys(s.item.style for s in self.items))


@frozen
class ConfigFacts:
    """What the partner's configuration says, for the items judged from it."""

    products: int  # products with at least one active, priced bundle
    unpriced: list[str]  # "bundle 301 has no price in KE"
    summary_urls: int  # products with a Summary Webhook URL


class ChecklistService:
    """Records milestones and reads the checklist of a partner."""

    def __init__(self, milestones: MilestoneRepository, clock: Clock,
                 partner: Callable[[int], Partner],
                 config_facts: Callable[[int], ConfigFacts]) -> None:
        self._milestones = milestones
        self._clock = clock
        self._partner = partner
        self._config_facts = config_facts

    # -- recording ------------------------------------------------------------------------------

    def record(self, partner_id: int, name: str, ok: bool = True, message: str = "",
               reference: str | None = None, evidence: Mapping[str, Any] | None = None) -> None:
        """Store one observed fact (cheap when a success is already known)."""
        self._milestones.record(partner_id, name, reference or "", ok, message,
                                {k: v for k, v in (evidence or {}).items() if v is not None},
                                self._clock.now())

    def observe_call(self, partner_id: int, method: str, path: str, status: int,
                     reference: str | None, findings: Sequence[Mapping[str, Any]],
                     request_body: str, document: Any = None) -> None:
        """A partner's gateway call, as the journal recorded it (``document``: the body as
        already parsed, if it was); its milestones are written in one transaction."""
        if reference is None:  # a fact or two about no payment, usually known: no batch
            self._observe_call(partner_id, method, path, status, reference, findings,
                               request_body, document)
            return
        with self._milestones.batch():
            self._observe_call(partner_id, method, path, status, reference, findings,
                               request_body, document)

    def _observe_call(self, partner_id: int, method: str, path: str, status: int,
                      reference: str | None, findings: Sequence[Mapping[str, Any]],
                      request_body: str, document: Any) -> None:
        seen = {"kind": "call", "method": method, "path": path, "status": status}
        route = (method, path.removeprefix("/api/pay1st"))
        problem = _problem_text(status, findings)
        if route == ("POST", "/auth/token") and status == 200:
            self.record(partner_id, "token.issued", evidence=seen)
        elif route == ("POST", "/auth/refresh") and status == 200:
            self.record(partner_id, "token.refreshed", evidence=seen)
        elif route == ("GET", "/payments/methods") and status == 200:
            self.record(partner_id, "methods.listed", evidence=seen)
        elif route == ("POST", "/payments/create"):
            if status == 201 and not findings:
                self.record(partner_id, "payment.created", reference=reference, evidence=seen)
                self._config_from_create(partner_id, request_body, reference, document)
            else:
                self.record(partner_id, "payment.create_problem", False, problem, reference,
                            evidence=seen)
        elif route == ("POST", "/payments/fulfilments"):
            if status == 200:
                self.record(partner_id, "fulfilment.accepted", reference=reference, evidence=seen)
                self._check_end_to_end(partner_id, reference)
            else:
                self.record(partner_id, "fulfilment.problem", False, problem, reference, seen)

    def _config_from_create(self, partner_id: int, request_body: str,
                            reference: str | None, body: Any) -> None:
        if body is None:
            try:
                body = json.loads(request_body)
            except ValueError:
                return
        if not isinstance(body, dict):
            return
        if body.get("webhookUrl"):
            self.record(partner_id, "config.webhook_url", reference=reference, evidence=_PAYMENT)
        if any(body.get(f"callback{k}Url") for k in ("Success", "Failure", "Pending", "Cancel")):
            self.record(partner_id, "config.callbacks", reference=reference, evidence=_PAYMENT)

    def observe_checkout(self, partner_id: int, reference: str, problem: str | None,
                         channel_id: int | None) -> None:
        """A customer opened a checkout link: valid (``problem`` None) or refused."""
        if problem is None:
            self.record(partner_id, "checkout.reached", reference=reference,
                        evidence={"kind": "payment", "channelId": channel_id})
            self._check_end_to_end(partner_id, reference)
        else:
            self.record(partner_id, "checkout.link_problem", False, problem, reference,
                        evidence=_PAYMENT)

    def observe_delivery(self, partner_id: int, prefix: str, reference: str, event: str,
                         delivery_id: int, succeeded: bool, resend: bool, problem: str) -> None:
        """An attempt at a webhook delivery; ``prefix`` is the kind's (webhook, summary). Its
        milestones are written in one transaction."""
        with self._milestones.batch():
            self._observe_delivery(partner_id, prefix, reference, event, delivery_id,
                                   succeeded, resend, problem)

    def _observe_delivery(self, partner_id: int, prefix: str, reference: str, event: str,
                          delivery_id: int, succeeded: bool, resend: bool, problem: str) -> None:
        seen = {"kind": "delivery", "id": delivery_id, "event": event}
        if not succeeded:
            self.record(partner_id, f"{prefix}.delivery_problem", False, problem, reference,
                        evidence=seen)
            return
        self.record(partner_id, f"{prefix}.ack", reference=reference, evidence=seen)
        self.record(partner_id, f"{prefix}.ack_successful" if event == "SUCCESSFUL"
                    else f"{prefix}.ack_other", reference=reference, evidence=seen)
        if resend:
            self.record(partner_id, f"{prefix}.duplicate_ok", reference=reference, evidence=seen)
        if prefix == "summary":  # a real Shop purchase, paid and credited
            self.record(partner_id, "shop.purchase_fulfilled", reference=reference, evidence=seen)
        if event == "SUCCESSFUL":
            self._check_end_to_end(partner_id, reference)

    def observe_user_info(self, partner_id: int, verdict: str, message: str,
                          exchange_id: int | None) -> None:
        """The partner's answer to a User Info Webhook call (``UserInfoResult.verdict``)."""
        seen = {"kind": "exchange", "id": exchange_id}
        if verdict == "valid":
            self.record(partner_id, "user_info.valid", evidence=seen)
        elif verdict == "rejected":
            self.record(partner_id, "user_info.unknown", evidence=seen)
        elif verdict == "partner_fault":
            self.record(partner_id, "user_info.problem", False, message, evidence=seen)

    def record_run(self, partner_id: int, run: str, scenarios: Iterable[Mapping[str, Any]]
                   ) -> int:
        """A conformance run's results (``{file, name, style, tags, outcome, failure}``) as
        evidence; returns how many milestones it gave."""
        results: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        for scenario in scenarios:
            for tag in scenario.get("tags", ()):
                key = (str(scenario.get("style")), str(tag))
                if key in PACK_EVIDENCE and scenario.get("outcome") != "skipped":
                    results.setdefault(key, []).append(scenario)
        for key, ran in results.items():
            ok_names, problem_name = PACK_EVIDENCE[key]
            failed = [s for s in ran if s.get("outcome") != "passed"]
            if failed:
                first = failed[0]
                self.record(partner_id, problem_name, False,
                            f"conformance scenario {first.get('name')!r} failed: "
                            f"{first.get('failure') or first.get('outcome')}",
                            evidence={"kind": "run", "run": run, "scenario": first.get("file")})
            else:
                for name in ok_names:
                    self.record(partner_id, name, evidence={
                        "kind": "run", "run": run, "scenarios": [s.get("file") for s in ran]})
        return len(results)

    def _check_end_to_end(self, partner_id: int, reference: str | None) -> None:
        if not reference:
            return
        if set(_END_TO_END) <= self._milestones.names_for(partner_id, reference):
            self.record(partner_id, "payment.end_to_end", reference=reference, evidence=_PAYMENT)

    # -- manual ticks ---------------------------------------------------------------------------

    def tick(self, partner_id: int, key: str, done: bool, note: str = "") -> None:
        """A person ticks (or unticks) an item the emulator cannot observe."""
        self._partner(partner_id)  # 404 for an unknown partner
        item = ITEMS.get(key)
        if item is None or not item.manual:
            manual = ", ".join(k for k, i in ITEMS.items() if i.manual)
            raise Pay1stError("VALIDATION_ERROR",
                              f"item {key!r} is not ticked by hand; the manual items are: "
                              f"{manual}")
        self._milestones.tick(Tick(partner_id, key, done, note[:500], self._clock.now()))

    # -- reading --------------------------------------------------------------------------------

    def checklist(self, partner_id: int, styles: Sequence[str] = ()) -> Checklist:
        """The partner's checklist: gateway, and shop when it has products (or as asked)."""
        partner = self._partner(partner_id)
        facts = self._config_facts(partner_id)
        wanted = list(styles) or (["gateway", "shop"] if facts.products else ["gateway"])
        milestones = self._milestones.for_partner(partner_id)
        ticks = self._milestones.ticks(partner_id)
        items = [item for item in (*GATEWAY, *SHOP) if item.style in wanted]
        states = [_state(item, partner, facts, milestones, ticks.get(item.key))
                  for item in items]
        return Checklist(partner, states)


def _problem_text(status: int, findings: Sequence[Mapping[str, Any]]) -> str:
    if findings:
        latest = findings[-1]
        return f"{latest.get('path', 'request')}: {latest.get('message', '')}".strip()
    return f"answered {status}"


def _state(item: Item, partner: Partner, facts: ConfigFacts, milestones: list[Milestone],
           tick: Tick | None) -> ItemState:
    if item.manual:
        done = tick is not None and tick.done
        return ItemState(item, DONE if done else TODO,
                         (tick.note or "ticked by hand") if done and tick else "",
                         "" if done else item.next_step, tick=tick)
    if item.from_config:
        return _from_config(item, partner, facts, milestones)
    oks = {m.name: m for m in milestones if m.ok and m.name in item.needs}
    oks |= _derived(item, milestones)
    problems = [m for m in milestones if not m.ok and m.name in item.problems]
    latest_problem = max(problems, key=lambda m: m.at, default=None)
    latest_ok = max((m.at for m in oks.values()), default=None)
    evidence = sorted([*oks.values(), *([latest_problem] if latest_problem else [])],
                      key=lambda m: m.at)
    missing = [n for n in item.needs if n not in oks]
    if latest_problem is not None and (latest_ok is None or latest_problem.at >= latest_ok):
        return ItemState(item, PROBLEM, latest_problem.message,
                         _fix(latest_problem, item), evidence)
    if not missing:
        return ItemState(item, DONE, "; ".join(MEANING.get(n, n) for n in item.needs), "",
                         evidence)
    step = item.next_step + " Still missing: " + "; ".join(MEANING.get(n, n) for n in missing)
    return ItemState(item, IN_PROGRESS if oks else TODO,
                     "; ".join(MEANING.get(n, n) for n in oks), step + ".", evidence)


def _derived(item: Item, milestones: list[Milestone]) -> dict[str, Milestone]:
    """Needs satisfied by combining facts: a failed payment acknowledged and never fulfilled."""
    if "fulfilment.none_for_unpaid" not in item.needs:
        return {}
    attempted = {m.reference for m in milestones if m.name == "fulfilment.problem"}
    for m in milestones:
        if m.ok and m.name == "webhook.ack_other" and m.reference not in attempted:
            return {"fulfilment.none_for_unpaid": m}
    return {}


def _fix(problem: Milestone, item: Item) -> str:
    return f"Fix this, then try again: {problem.message}" if problem.message else item.next_step


def _from_config(item: Item, partner: Partner, facts: ConfigFacts,
                 milestones: list[Milestone]) -> ItemState:
    config = partner.config
    if item.key == "gateway.credentials":
        return ItemState(item, DONE, f"partner {config.id} ({config.code}), configured by "
                                     f"{partner.origin}", "")
    if item.key == "gateway.webhooks":
        names = {m.name for m in milestones if m.ok}
        webhook = bool(config.webhook_url) or "config.webhook_url" in names
        callbacks = any((config.callbacks.success, config.callbacks.failure,
                         config.callbacks.pending, config.callbacks.cancel)) or \
            "config.callbacks" in names
        seen = [what for what, yes in (("webhook URL", webhook), ("callback URLs", callbacks))
                if yes]
        state = DONE if webhook and callbacks else IN_PROGRESS if seen else TODO
        return ItemState(item, state, " and ".join(seen) + " configured" if seen else "",
                         "" if state == DONE else item.next_step)
    if item.key == "shop.products":
        if facts.products and not facts.unpriced:
            return ItemState(item, DONE, f"{facts.products} product(s) with priced bundles", "")
        if facts.unpriced:
            return ItemState(item, PROBLEM, "; ".join(facts.unpriced[:5]), item.next_step)
        return ItemState(item, TODO, "", item.next_step)
    # shop.fulfilment_method
    if facts.summary_urls:
        return ItemState(item, DONE, f"{facts.summary_urls} product(s) with a Summary Webhook "
                                     "URL", "")
    return ItemState(item, TODO, "", item.next_step)
