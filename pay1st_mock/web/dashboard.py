"""The dashboard at ``/_mock/ui``: payments, webhook deliveries, the request journal, partners
and settings as server-rendered pages for people, beside the JSON control API.

Pages work without JavaScript; a small inline script refreshes a page while something on it is
in flight. Forms post, then answer 303 (post/redirect/get). Errors, such as an unknown
reference, answer the Pay1st error envelope like the rest of ``/_mock``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from pay1st_mock.config import Callbacks
from pay1st_mock.errors import Pay1stError
from pay1st_mock.web import dashboard_data as data
from pay1st_mock.web import display
from pay1st_mock.web.http import int_arg, limit_arg, services
from pay1st_mock.web.operations import LIMIT, PARTNER_ID, Form, Operation, Param

blueprint = Blueprint("dashboard", __name__, url_prefix="/_mock/ui", template_folder="templates")

MAX_ADVANCE_SECONDS = 3155760000  # 100 years, as POST /_mock/clock/advance allows
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_SETTINGS_PAGE = "The clock and faults page."
URL_KINDS = ("success", "failure", "pending", "cancel")  # a partner's callback URLs


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    svc = services()
    # One money format and one way to show a moment on every page (web/display.py).
    return {"when": display.moment, "money": display.money, "span": _span,
            "now": svc.clock.now(), "kind_names": svc.webhooks.titles,
            "finding_kind": data.finding_kind, "shop_bundle": svc.shop.catalogue.bundle,
            "country": svc.catalogue.country}


@blueprint.after_request
def _no_store(response: Response) -> Response:
    # The live refresh must see the current state, never a cached copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _span(seconds: float) -> str:
    """A duration for people: ``3725`` → ``1 h 2 min 5 s``."""
    if seconds < 60:
        return f"{seconds:g} s"
    parts, left = [], round(seconds)
    for size, name in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if left >= size:
            parts.append(f"{left // size} {name}")
            left %= size
    return " ".join(parts)


def _page(template: str, **context: Any) -> str:
    return render_template(f"dashboard/{template}.html", **context)


@blueprint.get("")
@Operation(redirect="The payments list (with `?token=`: the dashboard again, the token kept "
                    "in the `pay1st_mock_token` cookie).", query=(
    Param("token", "The server's control token (when it requires one): kept in a cookie so "
          "the browser can use the dashboard."),))
def overview() -> Response:
    """The dashboard: 303 to the payments list.

    With `?token=<control token>` on a server that requires one, the token is kept in the
    `pay1st_mock_token` cookie (HttpOnly, SameSite=Strict) and the browser comes back here.
    """
    return redirect(url_for("dashboard.payments"), code=303)


@blueprint.get("/payments")
@Operation(page=True, query=(
    PARTNER_ID, Param("status", "Only payments in this status (case-insensitive)."),
    Param("q", "Part of a reference or partnerReference (case-insensitive)."), LIMIT))
def payments() -> str:
    """The payments list, newest first: filter by partner and status, search by reference or
    partnerReference."""
    svc = services()
    partner_id, status = _partner_arg(), _choice("status", data.PAYMENT_STATUSES)
    text = request.args.get("q", "").strip() or None
    found = data.search_payments(svc, partner_id, status, text, limit_arg())
    return _page("payments", payments=found, partners=data.partners_by_id(svc),
                 statuses=data.PAYMENT_STATUSES, partner_id=partner_id, status=status,
                 q=text or "", live=data.any_in_flight((p.status for p in found), data.IN_FLIGHT))


@blueprint.get("/payments/<reference>")
@Operation(page=True)
def payment(reference: str) -> str:
    """One payment: its details, callback URLs, refunds and chargeback (with forms to move
    them), and a timeline of calls, status changes, webhook attempts, fulfilments, refunds and
    chargebacks; 404 if unknown."""
    svc = services()
    view = data.payment_view(svc, reference)
    return _page("payment", view=view, p=view.payment, live=view.in_flight,
                 refund_timing=(svc.settings.refund_processing_after_seconds,
                                svc.settings.refund_settle_after_seconds))


@blueprint.get("/deliveries")
@Operation(page=True, query=(
    PARTNER_ID, Param("status", "Only deliveries in this status (case-insensitive)."),
    Param("kind", "Only this kind: payment_event, summary, refund or chargeback."), LIMIT))
def deliveries() -> str:
    """Webhook deliveries (Payment Webhook Events and Summaries), newest first: filter by
    status, partner and kind."""
    svc = services()
    partner_id, status = _partner_arg(), _choice("status", data.DELIVERY_STATUSES)
    kind = _choice("kind", tuple(svc.webhooks.titles), upper=False)
    found = data.search_deliveries(svc, partner_id, status, kind, limit_arg())
    return _page("deliveries", deliveries=found, partners=data.partners_by_id(svc),
                 statuses=data.DELIVERY_STATUSES, partner_id=partner_id, status=status,
                 kind=kind, live=data.any_in_flight((d.status for d in found), {"PENDING"}))


@blueprint.get("/deliveries/<int:delivery_id>")
@Operation(page=True)
def delivery(delivery_id: int) -> str:
    """One delivery: every attempt (request and response), its signature explained, and a
    Resend button; 404 if unknown."""
    svc = services()
    found, attempts = svc.outbox.get_with_attempts(delivery_id)
    explained = svc.webhooks.explain(found, attempts)
    return _page("delivery", d=found,
                 attempts=list(zip(attempts, explained.attempts, strict=True)),
                 scheme=explained.scheme, signing_key=explained.key,
                 resends=data.resends_of(svc, found),
                 partner=svc.partners.get(found.partner_id), live=found.status == "PENDING")


@blueprint.post("/deliveries/<int:delivery_id>/resend")
@Operation(redirect="The new delivery's page.")
def resend(delivery_id: int) -> Response:
    """Resend button: queue the delivery's body again, signed afresh (as
    `POST /_mock/deliveries/{id}/resend`), then 303 to the new delivery."""
    fresh = services().outbox.resend(delivery_id)
    return redirect(url_for("dashboard.delivery", delivery_id=fresh.id), code=303)


@blueprint.get("/journal")
@Operation(page=True, query=(
    PARTNER_ID, Param("reference", "Only calls about this payment reference."),
    Param("kind", "Only calls with a finding of this kind: schema, signature, token, rule or "
          "warning."), LIMIT))
def journal() -> str:
    """The request journal, newest first: every partner call with its findings, filter by
    partner, payment reference and finding kind."""
    svc = services()
    partner_id, reference = _partner_arg(), request.args.get("reference", "").strip()
    kind = _choice("kind", data.FINDING_KINDS, upper=False)
    rows = data.journal_rows(svc, partner_id, reference or None, kind, limit_arg())
    return _page("journal", rows=rows, partners=data.partners_by_id(svc),
                 kinds=data.FINDING_KINDS, partner_id=partner_id, reference=reference,
                 kind=kind, live=False)


@blueprint.get("/partners")
@Operation(page=True, query=(
    Param("saved", "The partner whose URLs were just saved (the page says so).",
          type="integer"),))
def partners() -> str:
    """Partners with their credentials (secrets behind a click), a form for their webhook and
    callback URLs, and the Shop catalogue."""
    return _partners_page(int_arg("saved"))


def _partners_page(saved: int | None = None, editing: int | None = None,
                   form: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None) -> str:
    svc = services()
    products = sorted(svc.shop.catalogue.products.values(), key=lambda p: p.id)
    return _page("partners", partners=svc.partners.all(), products=products,
                 partner_names=data.partners_by_id(svc), live=False, saved=saved,
                 editing=editing, form=form or {}, errors=errors or {})


@blueprint.post("/partners/<int:partner_id>/urls")
@Operation(redirect="The partners page, saying the URLs were saved.", form=Form(
    (("webhookUrl", "Payment Webhook Events URL; empty clears it."),
     *((f"callbacks.{kind}", f"The {kind} callback URL; empty clears it.")
       for kind in URL_KINDS)), ()))
def partner_urls(partner_id: int) -> Response | tuple[str, int]:
    """Form of a partner's webhook and callback URLs (as `PATCH /_mock/partners/{id}`, with
    the same rules): 303 to the partners page, or the page again with every field's error."""
    svc = services()
    svc.partners.get(partner_id)  # 404 naming the known partners
    form = {name: request.form.get(name, "").strip()
            for name in ("webhookUrl", *(f"callbacks.{kind}" for kind in URL_KINDS))}
    callbacks = {kind: form[f"callbacks.{kind}"] for kind in URL_KINDS
                 if form[f"callbacks.{kind}"]}
    body = {"webhookUrl": form["webhookUrl"] or None, "callbacks": callbacks}
    problems = svc.schemas.check("control/partner-update-request.json", body)
    if problems:
        errors: dict[str, str] = {}
        for finding in problems:  # "$.callbacks.success" is the field callbacks.success
            errors.setdefault(finding.path.removeprefix("$."), finding.message)
        return _partners_page(editing=partner_id, form=form, errors=errors), 400
    svc.partners.update(partner_id, {
        "webhook_url": body["webhookUrl"],
        "callbacks": Callbacks(**{k: callbacks.get(k) for k in URL_KINDS})})
    return redirect(url_for("dashboard.partners", saved=partner_id) + f"#partner-{partner_id}",
                    code=303)


@blueprint.get("/settings")
@Operation(page=True)
def settings() -> str:
    """The emulator clock with a form to move it, the faults in force, and the timings."""
    svc = services()
    return _page("settings", offset=svc.clock.offset, faults=svc.faults.all(),
                 settings=svc.settings, units=UNITS, live=False,
                 partners=data.partners_by_id(svc))


@blueprint.post("/settings/clock")
@Operation(redirect=_SETTINGS_PAGE, form=Form(
    (("amount", "How far to move the clock: a number ≥ 0."),
     ("unit", "seconds (default), minutes, hours or days.")), ("amount",)))
def advance_clock() -> Response:
    """Form `amount` (a number ≥ 0) and `unit` (seconds, minutes, hours, days): move the
    emulator clock forward as `POST /_mock/clock/advance` does, then 303 to the settings."""
    unit = request.form.get("unit", "seconds")
    if unit not in UNITS:
        raise Pay1stError("VALIDATION_ERROR", f"unit: expected one of {', '.join(UNITS)}; "
                                              f"got {unit!r}")
    raw = request.form.get("amount", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = Decimal("NaN")
    seconds = amount * UNITS[unit]
    if not amount.is_finite() or not 0 <= seconds <= MAX_ADVANCE_SECONDS:
        raise Pay1stError("VALIDATION_ERROR",
                          f"amount: expected a number of {unit} from 0 to 100 years in all; "
                          f"got {raw!r}")
    services().clock.advance(float(seconds))  # wakes the dispatcher: retries may fall due
    return redirect(url_for("dashboard.settings"), code=303)


@blueprint.post("/settings/faults/clear")
@Operation(redirect=_SETTINGS_PAGE)
def clear_faults() -> Response:
    """Clear button: remove every injected fault (as `DELETE /_mock/faults`), then 303 to the
    settings."""
    services().faults.clear()
    return redirect(url_for("dashboard.settings"), code=303)




def _partner_arg() -> int | None:
    """The ``partnerId`` filter: a known partner's id (404 naming the known ones otherwise)."""
    partner_id = int_arg("partnerId")
    if partner_id is not None:
        services().partners.get(partner_id)
    return partner_id




def _choice(name: str, allowed: tuple[str, ...], upper: bool = True) -> str | None:
    """A filter that must be one of ``allowed`` (empty: no filter)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    value = raw.upper() if upper else raw.lower()
    if value not in allowed:
        raise Pay1stError("INVALID_PARAMETER", f"query parameter {name} must be one of "
                                               f"{', '.join(allowed)}; got {raw!r}")
    return value
