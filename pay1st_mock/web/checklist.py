"""The go-live checklist in the control API: read it, tick manual items, report conformance
runs, and verify a partner's webhook endpoints (design.md §9)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from pay1st_mock.clock import isoformat
from pay1st_mock.domain.checklist import MEANING, Checklist, ItemState
from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Milestone
from pay1st_mock.shop.config_export import export_partner
from pay1st_mock.web.http import json_body, json_response, services
from pay1st_mock.web.operations import Operation, Param
from pay1st_mock.webhooks.probe import ProbeResult

blueprint = Blueprint("checklist", __name__, url_prefix="/_mock")

STYLES = ("gateway", "shop")
_STYLE = Param("style", "Only this checklist: gateway or shop (default: gateway, and shop when "
                        "the partner has products).")


def styles_arg() -> list[str]:
    """The ``style`` query parameter as a list (empty: the partner's own styles)."""
    style = request.args.get("style", "").strip().lower()
    if style and style not in STYLES:
        raise Pay1stError("INVALID_PARAMETER",
                          f"query parameter style must be gateway or shop; got {style!r}")
    return [style] if style else []


def evidence_link(partner_id: int, milestone: Milestone) -> str | None:
    """The dashboard page that shows what proves a milestone, when there is one."""
    kind, reference = milestone.evidence.get("kind"), milestone.reference
    if kind == "delivery" and "id" in milestone.evidence:
        return f"/_mock/ui/deliveries/{milestone.evidence['id']}"
    if kind == "payment" and reference:
        return f"/_mock/ui/payments/{reference}"
    if kind == "call":
        about = f"&reference={reference}" if reference else ""
        return f"/_mock/ui/journal?partnerId={partner_id}{about}"
    return None


def _evidence(partner_id: int, milestone: Milestone) -> dict[str, Any]:
    return {"milestone": milestone.name, "meaning": MEANING.get(milestone.name, milestone.name),
            "ok": milestone.ok, "message": milestone.message,
            "reference": milestone.reference or None, "firstAt": isoformat(milestone.first_at),
            "at": isoformat(milestone.at), "link": evidence_link(partner_id, milestone),
            "details": milestone.evidence}


def _item(partner_id: int, state: ItemState) -> dict[str, Any]:
    item, tick = state.item, state.tick
    return {"key": item.key, "style": item.style, "title": item.title, "state": state.state,
            "detail": state.detail, "nextStep": state.next_step, "days": item.days,
            "daysEstimated": item.estimated, "responsible": item.responsible,
            "manual": item.manual, "optional": item.optional,
            "evidence": [_evidence(partner_id, m) for m in state.evidence],
            "tick": None if tick is None else {"done": tick.done, "note": tick.note,
                                               "at": isoformat(tick.at)}}


def checklist_body(checklist: Checklist) -> dict[str, Any]:
    """A checklist as the control API (and ``pay1st-mock checklist --format json``) shows it."""
    partner = checklist.partner
    counts = dict.fromkeys(("todo", "in_progress", "done", "problem"), 0)
    for state in checklist.items:
        counts[state.state] += 1
    return {"partnerId": partner.id, "partnerCode": partner.config.code,
            "partnerName": partner.config.name, "ready": checklist.ready,
            "styles": checklist.styles(), "counts": counts,
            "items": [_item(partner.id, s) for s in checklist.items]}


def verification_body(partner_id: int, results: list[ProbeResult]) -> dict[str, Any]:
    """The outcome of "verify my webhook endpoint"."""
    return {"partnerId": partner_id, "passed": bool(results) and all(r.passed for r in results),
            "results": [r.as_dict() for r in results]}


@blueprint.get("/partners/<int:partner_id>/checklist")
@Operation(response="control/checklist.json", query=(_STYLE,))
def show_checklist(partner_id: int) -> Response:
    """200 with the partner's go-live checklist: each item's state, evidence and next step."""
    return json_response(checklist_body(services().checklist.checklist(partner_id,
                                                                       styles_arg())))


@blueprint.post("/partners/<int:partner_id>/checklist/items/<item>")
@Operation(request="control/checklist-tick-request.json", response="control/checklist.json")
def tick_item(partner_id: int, item: str) -> Response:
    """``{done, note?}`` → tick (or untick) an item the emulator cannot observe; 200 with the
    checklist. 400 for an item the emulator observes itself."""
    body, _ = json_body(unknown_fields_are_errors=True)
    svc = services()
    svc.checklist.tick(partner_id, item, body["done"], body.get("note", ""))
    return json_response(checklist_body(svc.checklist.checklist(partner_id)))


@blueprint.post("/partners/<int:partner_id>/checklist/runs")
@Operation(request="control/checklist-run-request.json", response="control/checklist.json")
def record_run(partner_id: int) -> Response:
    """``{run, scenarios: [{file, name, style, tags, outcome, failure}]}`` → the conformance
    run's passing scenarios count as evidence; 200 with the checklist."""
    body, _ = json_body(unknown_fields_are_errors=True)
    svc = services()
    svc.partners.get(partner_id)
    svc.checklist.record_run(partner_id, body["run"], body["scenarios"])
    return json_response(checklist_body(svc.checklist.checklist(partner_id)))


@blueprint.post("/partners/<int:partner_id>/verify-webhooks")
@Operation(response="control/webhook-verification.json")
def verify_webhooks(partner_id: int) -> Response:
    """Send the partner's webhook URLs a correctly signed, a badly signed and a stale test event
    (and test Summaries to its products' Summary URLs) → 200 with what each answered; 400 when
    it has no webhook URL at all. The results are checklist evidence."""
    svc = services()
    partner = svc.partners.get(partner_id)
    results = svc.probe.verify(partner)
    if not results:
        raise Pay1stError("VALIDATION_ERROR",
                          f"partner {partner_id} has no webhook URL and no product with a "
                          "Summary URL; set webhook_url (PATCH /_mock/partners/{id}) or a "
                          "product's summary_url first")
    return json_response(verification_body(partner_id, results))


@blueprint.get("/partners/<int:partner_id>/config-export")
@Operation(response="control/config-export.json")
def config_export(partner_id: int) -> Response:
    """200 ``{toml, console}``: the partner's configuration (URLs, products, bundles, countries,
    prices; never secrets) as a TOML file ``serve --config`` accepts, and what to set in Pay1st's
    production console."""
    svc = services()
    partner = svc.partners.get(partner_id)
    exported = export_partner(partner, svc.shop.catalogue.products_of(partner_id))
    return json_response({"partnerId": partner_id, "toml": exported.toml,
                          "console": exported.console})
