"""``pay1st-mock tail`` and ``pay1st-mock trigger``: follow a running emulator from another
terminal, and make it do something worth watching in one command.

``tail`` prints the live activity feed (``GET /_mock/events``): partners' gateway calls and the
emulator's webhook attempts and User Info calls, with ``--follow`` as they happen (a long poll
that survives the server restarting). ``trigger EVENT`` creates a payment and drives it to a
status (or makes a Shop purchase) through the control API, then prints the reference and what
was sent to the partner.

Exit codes: 0 done; 1 (``trigger``) a webhook the partner did not accept; 2 bad input or no
emulator at the URL.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from pay1st_mock.cli_args import http_url
from pay1st_mock.cli_control import (
    CommandError,
    ControlClient,
    Unreachable,
    request_errors,
    server_arguments,
)
from pay1st_mock.console_log import FORMATS, TEXT, render, short_error, wants_colour
from pay1st_mock.frozen import frozen

if TYPE_CHECKING:
    pass

BAD_INPUT = 2
POLL_SECONDS = 5.0  # how long one long poll waits at the head of the feed
RETRY_SECONDS = 1.0


@frozen
class Trigger:
    """One thing ``trigger`` can make happen."""

    help: str
    status: str | None = None  # the status a new payment is driven to
    shop: bool = False  # a headless Shop purchase instead
    refund: str | None = None  # then a full refund, moved to this status


TRIGGERS: dict[str, Trigger] = {
    "payment.successful": Trigger("a payment paid successfully", status="SUCCESSFUL"),
    "payment.failed": Trigger("a payment declined", status="FAILED"),
    "payment.pending": Trigger("a payment left PENDING (an offline voucher, a slow wallet)",
                               status="PENDING"),
    "payment.cancelled": Trigger("a payment the customer cancelled", status="CANCELLED"),
    "payment.abandoned": Trigger("a payment the customer walked away from", status="ABANDONED"),
    "refund.successful": Trigger("a paid payment refunded in full (Create Refund, signed)",
                                 status="SUCCESSFUL", refund="SUCCESSFUL"),
    "refund.failed": Trigger("a paid payment whose refund the PSP failed", status="SUCCESSFUL",
                             refund="FAILED"),
    "shop.purchase": Trigger("a Carry1st Shop purchase: User Info, payment, Summary Webhook",
                             shop=True),
}


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tail`` and ``trigger`` to the CLI's subcommands."""
    tail = commands.add_parser(
        "tail", help="print what a running emulator does: partners' calls, webhook attempts")
    server_arguments(tail)
    tail.add_argument("--partner", type=int, metavar="N",
                      help="only this partner's calls and webhooks (default: everyone's)")
    tail.add_argument("--follow", "-f", action="store_true",
                      help="keep printing as things happen, until Ctrl+C")
    tail.add_argument("--limit", type=int, default=20, metavar="N",
                      help="how many recent events to print first, 0 to 1000 (default 20)")
    tail.add_argument("--format", "--log-format", dest="format", choices=FORMATS, default=TEXT,
                      help="text (coloured on a terminal) or json (one object per line)")

    trigger = commands.add_parser(
        "trigger", help="create a payment driven to a status, or a Shop purchase, and print "
                        "what was sent to the partner")
    trigger.add_argument("event", choices=list(TRIGGERS), metavar="EVENT",
                         help="; ".join(f"{name}: {t.help}" for name, t in TRIGGERS.items()))
    server_arguments(trigger)
    trigger.add_argument("--partner", type=int, default=1, metavar="N",
                         help="the partner whose payment it is (default 1, the sandbox)")
    trigger.add_argument("--webhook-url", type=http_url, metavar="URL",
                         help="send this payment's webhooks here instead of the partner's "
                              "webhook URL")
    trigger.add_argument("--bundle", type=int, default=1, metavar="ID",
                         help="shop.purchase: the product bundle bought (default 1)")
    trigger.add_argument("--country", default="NG", metavar="CC",
                         help="shop.purchase: the buyer's country (default NG)")
    trigger.add_argument("--player", default="player-1", metavar="ID",
                         help="shop.purchase: the player id sent to the User Info Webhook")
    trigger.add_argument("--wait", type=float, default=15.0, metavar="SECONDS",
                         help="how long to wait for the partner's answers (default 15)")


# -- tail ---------------------------------------------------------------------------------------


def tail_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pay1st-mock tail``: see the module docstring for exit codes."""
    if not 0 <= args.limit <= 1000:
        print(f"pay1st-mock tail: --limit must be from 0 to 1000; got {args.limit}", file=err)
        return BAD_INPUT
    client = ControlClient(args)
    colour = wants_colour(out)
    query: dict[str, Any] = {"limit": max(args.limit, 1)}
    if args.partner is not None:
        query["partnerId"] = args.partner
    _stop_on_sigterm()
    try:
        page = client.call("GET", "/events", query)
        events = page["events"][-args.limit:] if args.limit else []
        for event in events:
            print(render(event, args.format, colour), file=out, flush=True)
        if args.follow:
            _follow(client, dict(query, limit=1000), page["next"], args.format, colour, out, err)
    except CommandError as exc:
        print(f"pay1st-mock: {exc}", file=err)
        return BAD_INPUT
    except KeyboardInterrupt:
        pass  # Ctrl+C is how a follow ends
    except BrokenPipeError:  # `tail | head`: the reader has what it wanted
        _quiet_stdout()
    return 0


def _follow(client: ControlClient, query: dict[str, Any], cursor: str, fmt: str, colour: bool,
            out: TextIO, err: TextIO) -> None:
    """Print events as they come, until interrupted; ride out the server restarting."""
    lost = False
    while True:
        started = time.monotonic()
        try:
            page = client.call("GET", "/events", dict(query, after=cursor,
                                                      timeout=POLL_SECONDS),
                               timeout=POLL_SECONDS + 10, retry=True)
        except Unreachable:
            if not lost:
                print(f"pay1st-mock: lost the emulator at {client.server}; trying again every "
                      f"second (Ctrl+C to stop)", file=err, flush=True)
                lost = True
            time.sleep(RETRY_SECONDS)
            continue
        if lost:
            print(f"pay1st-mock: the emulator at {client.server} answers again", file=err,
                  flush=True)
            lost = False
        if page["restarted"]:
            print("pay1st-mock: the emulator restarted; following its new run", file=err,
                  flush=True)
        if page["missed"]:
            print(f"pay1st-mock: {page['missed']} event(s) missed (the emulator keeps the "
                  "newest 1,000; /_mock/journal and /_mock/deliveries keep more)", file=err,
                  flush=True)
        for event in page["events"]:
            print(render(event, fmt, colour), file=out, flush=True)
        cursor = page["next"]
        if not page["events"] and time.monotonic() - started < POLL_SECONDS / 2:
            time.sleep(0.5)  # answered at once (another reader holds the waiting slot): poll


def _stop_on_sigterm() -> None:
    """SIGTERM ends ``tail`` as Ctrl+C does (quietly, exit 0), when we own the main thread."""
    if threading.current_thread() is threading.main_thread():
        def _interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt
        signal.signal(signal.SIGTERM, _interrupt)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so Python's flush at exit does not complain of the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# -- trigger ------------------------------------------------------------------------------------


def trigger_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pay1st-mock trigger EVENT``: see the module docstring for exit codes."""
    trigger = TRIGGERS[args.event]
    client = ControlClient(args)
    try:
        reference = (_shop_purchase(client, args, out) if trigger.shop
                     else _payment(client, args, trigger, out))
        settled = _settled(client, reference, args.wait)
    except CommandError as exc:
        print(f"pay1st-mock: {exc}", file=err)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("pay1st-mock: interrupted", file=err)
        return 130
    return _report(settled, args.wait, out)


def _payment(client: ControlClient, args: argparse.Namespace, trigger: Trigger, out: TextIO) -> str:
    from pay1st_mock.client import PartnerClient

    partner = client.call("GET", f"/partners/{args.partner}")
    gateway = PartnerClient(client.server, partner)  # its own session: no control token
    fields: dict[str, Any] = {"webhookUrl": args.webhook_url} if args.webhook_url else {}
    try:
        created = gateway.create_payment(**fields)
    except AssertionError as exc:  # PartnerClient's "could not ...: HTTP 400: ..."
        raise CommandError(str(exc)) from None
    except request_errors() as exc:
        raise CommandError(f"no emulator answers at {client.server} ({type(exc).__name__})"
                           ) from None
    reference = created["reference"]
    print(f"Created payment {reference} for partner {partner['code']} (partnerId "
          f"{partner['partnerId']}): {created['amount']} {created['currencyCode']} in "
          f"{created['countryCode']}", file=out, flush=True)
    done = client.call("POST", f"/payments/{reference}/complete", body={"status": trigger.status})
    channel = f" with {done['channelName']}" if done.get("channelName") else ""
    print(f"Completed it{channel}: status {done['status']}", file=out, flush=True)
    if trigger.refund:
        _refund(client, gateway, reference, trigger.refund, out)
    return str(reference)


REFUND_TYPE = "application/vnd.carry1st.payments.refund+json"


def _refund(client: ControlClient, gateway: Any, reference: str, status: str, out: TextIO) -> None:
    """A signed Create Refund of the whole payment, then moved to ``status`` at once."""
    import json
    import uuid

    raw = json.dumps({"transactionReference": reference.removesuffix("-P") + "-T",
                      "partnerRefundReference": str(uuid.uuid4())}).encode()
    try:
        answer = gateway.http.post(f"{client.server}/api/pay1st/transactions/refunds/create",
                                   data=raw, headers=gateway.signed_headers(raw, REFUND_TYPE),
                                   timeout=30)
    except request_errors():
        raise Unreachable(f"no emulator answers at {client.server}") from None
    if answer.status_code != 201:
        raise CommandError(f"Create Refund answered {answer.status_code}: {answer.text[:300]}")
    refund = answer.json()
    print(f"Refund {refund['refundReference']} of {refund['amount']} {refund['currencyCode']} "
          f"created: status {refund['status']}", file=out, flush=True)
    moved = client.call("POST", f"/refunds/{refund['refundReference']}/complete",
                        body={"status": status})["refund"]
    print(f"Refund {moved['refundReference']} moved: status {moved['status']}", file=out,
          flush=True)


def _shop_purchase(client: ControlClient, args: argparse.Namespace, out: TextIO) -> str:
    bought = client.call("POST", "/shop/purchases", body={
        "productBundleId": args.bundle, "countryCode": args.country, "playerId": args.player})
    purchase = bought["purchase"]
    print(f"Bought bundle {purchase['productBundleId']} of product {purchase['productId']} for "
          f"player {purchase['playerId']}: payment {purchase['reference']}, "
          f"{purchase['amount']} {purchase['currencyCode']}, status {purchase['status']}",
          file=out, flush=True)
    info = bought.get("userInfo")
    if info:
        answered = info["responseStatus"] if info["responseStatus"] is not None else "no answer"
        print(f"User Info Webhook: GET {info['requestUrl']} -> {answered} ({info['verdict']}: "
              f"{info['message']})", file=out, flush=True)
    else:
        print("User Info Webhook: not called (the product has no user_info_url)", file=out,
              flush=True)
    return str(purchase["reference"])


def _settled(client: ControlClient, reference: str, wait: float) -> list[dict[str, Any]]:
    """The reference's deliveries once each has an answer (or ``wait`` seconds passed)."""
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        deliveries = client.call("GET", "/deliveries", {"reference": reference})["deliveries"]
        if all(_answered(d) for d in deliveries) or time.monotonic() > deadline:
            return list(reversed(deliveries))  # oldest first
        time.sleep(0.1)


def _answered(delivery: dict[str, Any]) -> bool:
    return bool(delivery["attempts"]) or delivery["status"] in ("SKIPPED", "EXHAUSTED")


def _report(deliveries: list[dict[str, Any]], wait: float, out: TextIO) -> int:
    """Print what was sent to the partner; 1 when a webhook was not accepted."""
    if not deliveries:
        print("Sent to the partner: nothing (no webhook for this status)", file=out)
        return 0
    print("Sent to the partner:", file=out)
    refused = False
    for delivery in deliveries:
        what = f"  {delivery['kind']} {delivery['event']}"
        if delivery["status"] == "SKIPPED":
            print(f"{what}: not sent: {delivery['note'] or 'no URL'}", file=out)
            continue
        if not delivery["attempts"]:
            print(f"{what} -> {delivery['url']}: no answer within {wait:g} s (status "
                  f"{delivery['status']})", file=out)
            refused = True
            continue
        last = delivery["attempts"][-1]
        answer = (f"{last['responseStatus']}" if last["error"] is None
                  else short_error(last["error"], last["responseStatus"]))
        state = {"DELIVERED": "delivered"}.get(delivery["status"], delivery["status"])
        retry = f", next try at {delivery['nextAttemptAt']}" if delivery["nextAttemptAt"] else ""
        print(f"{what} -> {delivery['url']}: {answer} in {last['durationMs']:.0f} ms "
              f"({state}{retry})", file=out)
        refused = refused or delivery["status"] != "DELIVERED"
    out.flush()
    return 1 if refused else 0


# -- the control API ----------------------------------------------------------------------------
