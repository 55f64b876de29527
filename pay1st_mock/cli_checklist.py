"""``pay1st-mock checklist`` and ``pay1st-mock config export``: a partner's go-live checklist
and its configuration for production, read from a running emulator.

``checklist`` exits 0 when every item the emulator can observe is done and 1 otherwise, so a
partner's CI can gate on it; 2 for bad input (an unreachable server, an unknown partner).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pay1st_mock.cli_control import CommandError, ControlClient, server_arguments

BAD_INPUT = 2
_MARKS = {"done": "✓", "in_progress": "…", "problem": "✗", "todo": "○"}
_STATE_WORDS = {"done": "done", "in_progress": "in progress", "problem": "problem",
                "todo": "to do"}
_STYLE_TITLES = {"gateway": "Gateway integration", "shop": "Shop integration"}


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``checklist`` and ``config export`` to the CLI's subcommands."""
    checklist = commands.add_parser(
        "checklist", help="a partner's go-live checklist (exit 0 when every observable item "
                          "is done)")
    _server_arguments(checklist)
    checklist.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                           help="text (default), json, or markdown: a readiness report")
    checklist.add_argument("--style", choices=("gateway", "shop"),
                           help="only this checklist (default: the partner's)")
    checklist.add_argument("--verify", action="store_true",
                           help="first send the partner's webhook URLs the test events "
                                "('Verify my webhook endpoint')")

    config = commands.add_parser("config", help="configuration tools")
    tools = config.add_subparsers(dest="tool", required=True)
    export = tools.add_parser("export", help="a partner's configuration for production, as "
                                             "TOML (no secrets)")
    _server_arguments(export)
    export.add_argument("--output", "-o", metavar="FILE",
                        help="write the TOML here (default: standard output)")


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    server_arguments(parser)
    parser.add_argument("--partner", type=int, default=1, metavar="N",
                        help="the partner's id (default 1, the sandbox)")


def checklist_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pay1st-mock checklist``: see the module docstring for exit codes."""
    try:
        client = ControlClient(args)
        verification = None
        if args.verify:
            verification = client.call("POST", f"/partners/{args.partner}/verify-webhooks")
        query = {"style": args.style} if args.style else None
        body = client.call("GET", f"/partners/{args.partner}/checklist", query)
    except CommandError as exc:
        print(f"pay1st-mock: {exc}", file=err)
        return BAD_INPUT
    if args.format == "json":
        import json

        print(json.dumps(body, indent=2, ensure_ascii=False), file=out)
    elif args.format == "markdown":
        print(markdown_report(body, client.server), file=out)
    else:
        if verification is not None:
            print(verification_text(verification), file=out)
        print(text_report(body), file=out)
    return 0 if body["ready"] else 1


def config_export_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``pay1st-mock config export``: 0 written, 2 bad input."""
    try:
        body = ControlClient(args).call("GET", f"/partners/{args.partner}/config-export")
        if args.output:
            try:
                Path(args.output).write_text(body["toml"], encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot write {args.output}: {exc.strerror}") from None
    except CommandError as exc:
        print(f"pay1st-mock: {exc}", file=err)
        return BAD_INPUT
    if not args.output:
        print(body["toml"], file=out, end="")
    where = out if args.output else err  # stdout carries the TOML when no file is given
    if args.output:
        print(f"wrote {args.output} (serve --config accepts it; secrets are placeholders)",
              file=where)
    print("Set in Pay1st's production console:", file=where)
    for step in body["console"]:
        print(f"  - {step}", file=where)
    return 0


def text_report(body: dict[str, Any]) -> str:
    """The checklist for a terminal: one line per item, the next step under those not done."""
    ready = "ready" if body["ready"] else "not ready yet"
    lines = [f"Go-live checklist · {body['partnerCode']} (partnerId {body['partnerId']}) · "
             f"{ready}"]
    for style in body["styles"]:
        lines.append(f"\n{_STYLE_TITLES[style]}")
        for item in (i for i in body["items"] if i["style"] == style):
            tags = [t for t, on in (("optional", item["optional"]), ("by hand", item["manual"]))
                    if on]
            extra = f" [{', '.join(tags)}]" if tags else ""
            lines.append(f"  {_MARKS[item['state']]} {item['title']}{extra} — "
                         f"{_STATE_WORDS[item['state']]}")
            if item["state"] == "problem" and item["detail"]:
                lines.append(f"      problem: {item['detail']}")
            if item["nextStep"] and not item["manual"]:
                lines.append(f"      next: {item['nextStep']}")
    counts = body["counts"]
    lines.append(f"\n{counts['done']} done, {counts['in_progress']} in progress, "
                 f"{counts['problem']} problem(s), {counts['todo']} to do")
    return "\n".join(lines)


def verification_text(body: dict[str, Any]) -> str:
    """What each test event sent by ``--verify`` got."""
    lines = ["Webhook endpoint verification:"]
    for result in body["results"]:
        answered = result["status"] if result["status"] is not None else result["error"]
        lines.append(f"  {'✓' if result['passed'] else '✗'} {result['check']}: expected "
                     f"{result['expected']}, answered {answered}")
    return "\n".join(lines) + "\n"


def markdown_report(body: dict[str, Any], server: str) -> str:
    """A readiness report a partner can send to their implementation manager."""
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    ready = "**Ready**: every item the emulator can observe is done." if body["ready"] else \
        "**Not ready yet**: see the items below."
    lines = [f"# Pay1st go-live readiness: {body['partnerName']} ({body['partnerCode']})", "",
             f"Partner id {body['partnerId']}, observed by pay1st-mock at {server} on {today}.",
             "", ready, ""]
    for style in body["styles"]:
        lines += [f"## {_STYLE_TITLES[style]}", "",
                  "| # | Item | State | Est. days | Responsible | Evidence or next step |",
                  "| --- | --- | --- | --- | --- | --- |"]
        items = [i for i in body["items"] if i["style"] == style]
        for number, item in enumerate(items, start=1):
            days = f"~{item['days']:g}" + (" (est.)" if item["daysEstimated"] else "")
            note = item["detail"] if item["state"] == "done" else (
                item["detail"] if item["state"] == "problem" else item["nextStep"])
            lines.append(f"| {number} | {_cell(item['title'])} | "
                         f"{_MARKS[item['state']]} {_STATE_WORDS[item['state']]} | {days} | "
                         f"{item['responsible']} | {_cell(note)} |")
        lines.append("")
    counts = body["counts"]
    lines.append(f"{counts['done']} done, {counts['in_progress']} in progress, "
                 f"{counts['problem']} problem(s), {counts['todo']} to do.")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
