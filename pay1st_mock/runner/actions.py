"""Every step action by name: what each does is in ``toward_partner``, ``setup_steps`` and
``watching``; what they share is in ``steps_state``.

Every action takes the step's rendered arguments and returns ``Observation`` objects (one per
request sent, so a repeated webhook is checked once per delivery). An action that cannot be
carried out raises ``StepError`` with a message that says what to change; one whose partner
misbehaves in a way no ``expect`` can state raises ``StepFailed``.
"""

from __future__ import annotations

from pay1st_mock.runner.setup_steps import (
    advance_clock,
    complete_payment,
    create_payment,
    open_chargeback,
    refund_payment,
    shop_purchase,
)
from pay1st_mock.runner.steps_state import Action, RunState, StepError, StepFailed
from pay1st_mock.runner.toward_partner import http, payment_webhook, summary_webhook, user_info
from pay1st_mock.runner.watching import (
    no_call,
    resend_delivery,
    wait_for_call,
    wait_for_delivery,
)

__all__ = ["ACTIONS", "SETUP_ACTIONS", "RunState", "StepError", "StepFailed"]

ACTIONS: dict[str, Action] = {
    "user_info": user_info, "summary_webhook": summary_webhook,
    "payment_webhook": payment_webhook, "http": http, "create_payment": create_payment,
    "complete_payment": complete_payment, "shop_purchase": shop_purchase,
    "advance_clock": advance_clock, "wait_for_call": wait_for_call, "no_call": no_call,
    "wait_for_delivery": wait_for_delivery, "refund_payment": refund_payment,
    "open_chargeback": open_chargeback, "resend_delivery": resend_delivery,
}

# Setup steps must succeed unless the scenario says what it expects of them.
SETUP_ACTIONS = frozenset({"create_payment", "complete_payment", "shop_purchase",
                           "advance_clock", "refund_payment", "open_chargeback"})
