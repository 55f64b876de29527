"""The go-live checklist's dashboard pages: every partner's progress at a glance, and one
partner's checklist with its evidence, manual ticks and "Verify my webhook endpoint".

Importing this module adds its views to the dashboard blueprint (``web/dashboard.py``).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from pay1st_mock.web.checklist import evidence_link, verification_body
from pay1st_mock.web.dashboard import blueprint
from pay1st_mock.web.http import services
from pay1st_mock.web.operations import Form, Operation

_CHECKLIST_PAGE = "The partner's checklist page."


@blueprint.get("/checklists")
@Operation(page=True)
def checklists() -> str:
    """Every partner's go-live progress: items done, in progress and with a problem, whether
    it is ready, and its first problem."""
    svc = services()
    lists = [svc.checklist.checklist(p.id) for p in svc.partners.all()]
    return render_template("dashboard/checklists.html", lists=lists, section="checklists",
                           live=False)


@blueprint.get("/partners/<int:partner_id>/checklist")
@Operation(page=True)
def checklist(partner_id: int) -> str:
    """One partner's checklists: each item with its state, Pay1st's estimated days, who is
    responsible, the evidence and the next step; manual items have a tick form."""
    svc = services()
    return render_template("dashboard/checklist.html", c=svc.checklist.checklist(partner_id),
                           link=evidence_link, section="checklists", live=False)


@blueprint.post("/partners/<int:partner_id>/checklist/items/<item>")
@Operation(redirect=_CHECKLIST_PAGE, form=Form(
    (("done", "yes to tick the item, no to untick it."), ("note", "Who ticked it, and why.")),
    ("done",)))
def tick(partner_id: int, item: str) -> Response:
    """Tick form of a manual item (as `POST /_mock/partners/{id}/checklist/items/{item}`),
    then 303 to the checklist."""
    services().checklist.tick(partner_id, item, request.form.get("done") == "yes",
                              request.form.get("note", ""))
    return redirect(url_for("dashboard.checklist", partner_id=partner_id) + f"#{item}",
                    code=303)


@blueprint.post("/partners/<int:partner_id>/verify-webhooks")
@Operation(page=True)
def verify(partner_id: int) -> str:
    """"Verify my webhook endpoint" button: send the test events now (as `POST
    /_mock/partners/{id}/verify-webhooks`) and show what each answered."""
    svc = services()
    partner = svc.partners.get(partner_id)
    results = svc.probe.verify(partner)
    return render_template("dashboard/verification.html", partner=partner,
                           report=verification_body(partner_id, results),
                           section="checklists", live=False)
