"""The hosted checkout at ``/checkout`` (pay1st-api.md §6.5, design.md §2, §5).

Plain server-rendered pages that work without JavaScript. Every form carries the reference and
access token; every POST answers 303 (post/redirect/get), so reloading never pays twice. When a
payment reaches a result, the browser goes to the partner's matching callback URL with
``reference``, ``partnerReference`` and ``status`` appended, or to a result page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from pay1st_mock.domain import outcome_table
from pay1st_mock.domain.checkout import CHANGEABLE_STEPS, FormError, StaleStep
from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Partner, Payment
from pay1st_mock.web.http import services
from pay1st_mock.web.operations import Form, Operation, Param

blueprint = Blueprint("checkout", __name__, url_prefix="/checkout", template_folder="templates")

_RESULT_STATUSES = frozenset({"SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED"})
# The page of each checkout step (OTP and PIN share the code page).
_TEMPLATE_OF_STEP = {"choose": "choose", "card": "card", "phone": "phone", "otp": "code",
                     "pin": "code", "voucher": "voucher", "bank": "bank", "waiting": "waiting"}

# The Create Payment field naming where the browser goes after each result.
_CALLBACK_FIELD = {"SUCCESSFUL": "callbackSuccessUrl", "FAILED": "callbackFailureUrl",
                   "ABANDONED": "callbackFailureUrl", "CANCELLED": "callbackCancelUrl",
                   "PENDING": "callbackPendingUrl"}
_NEXT_STEP = "The next step of the checkout, the partner's callback or the result page."
_LINK = (Param("reference", "The payment's reference from Create Payment (C-<15 digits>-P).",
               required=True),
         Param("accessToken", "An access token of the partner that created the payment, "
               "URL-escaped.", required=True))
_FORM_LINK = (("reference", "The payment's reference."),
              ("accessToken", "The access token the checkout link carried."))


class LinkError(Exception):
    """A checkout link that cannot be used; rendered as an error page saying how to fix it."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


@blueprint.errorhandler(LinkError)
def _link_error(error: LinkError) -> tuple[str, int]:
    return render_template("checkout/error.html", title=error.title,
                           message=error.message), error.status


def _authorise(reference: str | None, token: str | None) -> tuple[Payment, Partner]:
    """Return the payment and its partner if the link's token may open it; else ``LinkError``."""
    if not reference or not token:
        missing = " and ".join(n for n, v in (("reference", reference), ("accessToken", token))
                               if not v)
        raise LinkError(400, "Incomplete checkout link",
                        f"The link has no {missing}. Build it as /checkout?reference=<reference "
                        "from Create Payment>&accessToken=<URL-escaped access token>"
                        "[&channelId=<channels[].id>].")
    svc = services()
    if " " in token:
        raise LinkError(400, "Access token not URL-escaped",
                        "The accessToken in this link contains spaces: a '+' in the token was "
                        "not URL-escaped, so it arrived as a space. Escape the token when you "
                        "build the link (encodeURIComponent in JavaScript, urllib.parse.quote "
                        "in Python, rawurlencode in PHP).")
    try:
        partner = svc.tokens.authenticate(token)
    except Pay1stError as exc:
        titles = {"EXPIRED_ACCESS_TOKEN": "Access token expired"}
        raise LinkError(401, titles.get(exc.code, "Access token not accepted"),
                        _sentence(exc.message) + " Then build a new checkout link with it."
                        ) from None
    payment = svc.payments.find_for_checkout(reference)
    if payment is None or payment.partner_id != partner.id:
        # Another partner's payment is answered exactly as an unknown one: a link must not
        # tell anyone that a reference exists.
        raise LinkError(404, "Unknown payment",
                        f"Partner {partner.config.code} has no payment with reference "
                        f"{reference!r}. Use the reference returned by Create Payment Request "
                        "(C-<15 digits>-P), not your partnerReference, with an access token of "
                        "the partner that created the payment.")
    return payment, partner


def _sentence(text: str) -> str:
    """A domain message as a sentence of its own: capital first, full stop last."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _from_form() -> tuple[Payment, Partner, str]:
    """The payment, partner and token named by a posted checkout form (authorised)."""
    token = request.form.get("accessToken") or ""
    payment, partner = _authorise(request.form.get("reference"), token)
    return payment, partner, token


def _page_url(payment: Payment, token: str) -> str:
    return "/checkout?" + urlencode({"reference": payment.reference, "accessToken": token})


def _after(payment: Payment, token: str) -> Response:
    """Where the browser goes once a step is done: the callback, a result page, or on."""
    if payment.status in _RESULT_STATUSES:
        target = services().checkout.callback_url(payment)
        return redirect(target or _result_url(payment, token), code=303)
    return redirect(_page_url(payment, token), code=303)


def _result_url(payment: Payment, token: str) -> str:
    return "/checkout/result?" + urlencode({"reference": payment.reference, "accessToken": token})


def _render(payment: Payment, partner: Partner, token: str, *, error: FormError | None = None,
            status: int = 200) -> tuple[str, int]:
    svc = services()
    country = svc.catalogue.country(payment.country_code)
    context: dict[str, Any] = {
        "payment": payment, "partner": partner, "token": token, "error": error,
        "country": country, "table": outcome_table,
        "channel": svc.catalogue.channel(payment.channel_id) if payment.channel_id else None,
        "groups": svc.catalogue.api_groups(payment.country_code),
        "channels": {c.id: c for c in svc.catalogue.channels_of(payment.country_code)},
        "form": request.form if request.method == "POST" else {},
        # "Change method" is offered where there is another method to change to.
        "can_change": (payment.status == "NEW" and payment.step in CHANGEABLE_STEPS
                       and len(svc.catalogue.channels_of(payment.country_code)) > 1),
        "callback_field": _CALLBACK_FIELD.get(payment.status),
    }
    template = ("result" if payment.status in _RESULT_STATUSES
                else _TEMPLATE_OF_STEP.get(payment.step, "result"))
    return render_template(f"checkout/{template}.html", **context), status


@blueprint.get("")
@Operation(page=True, query=(
    *_LINK, Param("channelId", "Skip the method choice: a channels[].id from List Payment "
                  "Methods.", type="integer")))
def page() -> Response | tuple[str, int]:
    """``?reference=&accessToken=[&channelId=]`` → the page of the payment's current step."""
    token, reference = request.args.get("accessToken"), request.args.get("reference")
    try:
        payment, partner = _authorise(reference, token)
        channel_id = request.args.get("channelId")
        if channel_id and payment.step == "choose" and payment.status == "NEW":
            if not channel_id.isdigit():
                raise LinkError(400, "Bad channelId", "channelId must be a number (a "
                                f"channels[].id from List Payment Methods); got {channel_id!r}.")
            try:
                payment = services().checkout.choose(payment.reference, int(channel_id))
            except Pay1stError as exc:
                raise LinkError(400, "Payment method not offered", exc.message) from None
    except LinkError as error:
        _observe_link(reference, error.message)
        raise
    assert token is not None
    services().checklist.observe_checkout(partner.id, payment.reference, None,
                                          payment.channel_id)
    return _render(payment, partner, token)


def _observe_link(reference: str | None, problem: str) -> None:
    """A refused link is a go-live checklist problem of the partner whose payment it names."""
    svc = services()
    payment = svc.payments.find_for_checkout(reference) if reference else None
    if payment is not None:
        svc.checklist.observe_checkout(payment.partner_id, payment.reference, problem, None)


@blueprint.get("/result")
@Operation(page=True, query=_LINK)
def result() -> tuple[str, int]:
    """The result page shown when the partner configured no callback URL."""
    token = request.args.get("accessToken")
    payment, partner = _authorise(request.args.get("reference"), token)
    assert token is not None
    return _render(payment, partner, token)


@blueprint.post("/choose")
@Operation(redirect=_NEXT_STEP, form=Form(
    (*_FORM_LINK, ("channelId", "The chosen channels[].id.")),
    ("reference", "accessToken", "channelId")))
def choose() -> Response:
    """Form: ``channelId`` → the chosen method's first step."""
    payment, _, token = _from_form()
    raw = request.form.get("channelId", "")
    try:
        payment = services().checkout.choose(payment.reference, int(raw) if raw.isdigit() else -1)
    except StaleStep as stale:
        payment = stale.payment
    except Pay1stError as exc:
        raise LinkError(400, "Payment method not offered", exc.message) from None
    return _after(payment, token)


@blueprint.post("/submit")
@Operation(redirect=_NEXT_STEP, form=Form(
    (*_FORM_LINK, ("step", "The step the form belongs to.")), ("reference", "accessToken", "step"),
    "The step's own fields (card number, phone, code, ...)."))
def submit() -> Response | tuple[str, int]:
    """Form of the current step (``step`` names it) → the next step or the result."""
    payment, partner, token = _from_form()
    fields = {k: v for k, v in request.form.items() if k not in ("reference", "accessToken")}
    try:
        payment = services().checkout.submit(payment.reference, fields.pop("step", ""), fields)
    except FormError as error:
        return _render(payment, partner, token, error=error, status=400)
    except StaleStep as stale:  # a double submit: show where the payment really is
        payment = stale.payment
    return _after(payment, token)


@blueprint.post("/change")
@Operation(redirect="The list of payment methods (or where the payment is now).",
           form=Form(_FORM_LINK, ("reference", "accessToken")))
def change_method() -> Response:
    """"Change method" → back to the list of methods, while nothing is paid yet."""
    payment, _, token = _from_form()
    try:
        payment = services().checkout.change_method(payment.reference)
    except StaleStep as stale:
        payment = stale.payment
    return _after(payment, token)


@blueprint.post("/cancel")
@Operation(redirect="The partner's cancel callback, or the result page.",
           form=Form(_FORM_LINK, ("reference", "accessToken")))
def cancel() -> Response:
    """Cancel button → CANCELLED and the cancel callback (unless already past cancelling)."""
    payment, _, token = _from_form()
    try:
        payment = services().checkout.cancel(payment.reference)
    except StaleStep as stale:
        payment = stale.payment
    return _after(payment, token)


@blueprint.post("/leave")
@Operation(redirect="The partner's pending callback, or back to the checkout page.",
           form=Form(_FORM_LINK, ("reference", "accessToken")))
def leave() -> Response:
    """'Return to the shop' on a PENDING payment (voucher, phone) → the pending callback."""
    payment, _, token = _from_form()
    target = services().checkout.callback_url(payment) if payment.status == "PENDING" else None
    return redirect(target or _page_url(payment, token), code=303)
