"""Staff acting through any chat or email channel: commands, replies, rights.

Command forms (first line of the message; the code may be left out when replying to the
complaint's own message or when an email subject carries it):
`/proses ADU-… [catatan]`, `/selesai ADU-… catatan`, `/tolak ADU-… alasan`,
`/alihkan ADU-… OPD alasan`, `/balas ADU-… teks`, `/tanya ADU-… pertanyaan`;
admins also `/triage` and `/kategori ADU-… kategori`. A plain reply to the complaint's
message is a message to the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from aduan.complaints.codes import find_code
from aduan.rules.commands import handle_rule_command, is_rule_command
from aduan.rules.rulebook import Rulebook
from channels.message import InboundMessage
from dispatch.actions import (
    ActionError,
    assign_category,
    change_status,
    message_citizen,
    reassign,
)
from dispatch.context import DispatchContext
from dispatch.lifecycle import TransitionError
from dispatch.templates import shorten
from storage.complaints import awaiting_review, complaint_by_code
from storage.messages import outbound_by_provider_id
from storage.models import Complaint, Event, Staff, Status
from storage.staff import active_staff_by_address

Action = Literal[
    "in_progress", "resolved", "rejected", "reassign", "reply", "ask", "assign", "triage", "unknown"
]

COMMANDS: dict[str, Action] = {
    "/proses": "in_progress",
    "/progress": "in_progress",
    "/selesai": "resolved",
    "/resolve": "resolved",
    "/tolak": "rejected",
    "/reject": "rejected",
    "/alihkan": "reassign",
    "/reassign": "reassign",
    "/balas": "reply",
    "/reply": "reply",
    "/tanya": "ask",
    "/ask": "ask",
    "/kategori": "assign",
    "/category": "assign",
    "/triage": "triage",
}


@dataclass(frozen=True)
class StaffCommand:
    action: Action
    code: str | None
    argument: str


def parse_staff_command(text: str) -> StaffCommand | None:
    """The command on the message's first line, or None for a plain reply."""
    lines = text.strip().splitlines()
    first = lines[0].strip() if lines else ""
    if not first.startswith("/"):
        return None
    head, _, rest = first.partition(" ")
    action = COMMANDS.get(head.lower().split("@")[0], "unknown")
    rest = " ".join([rest.strip(), *(line.strip() for line in lines[1:])]).strip()
    code = find_code(rest.split(maxsplit=1)[0]) if rest else None
    if code:
        rest = rest.split(maxsplit=1)[1] if len(rest.split(maxsplit=1)) > 1 else ""
    return StaffCommand(action, code, rest.strip())


def find_staff(session: Session, address: str) -> Staff | None:
    """The active staff member writing from `address`, if any."""
    return active_staff_by_address(session, address)


def target_complaint(
    session: Session, inbound: InboundMessage, command: StaffCommand | None
) -> Complaint | None:
    """The complaint meant: named by code, replied to, or named in an email subject."""
    code = (command.code if command else None) or find_code(inbound.subject or "")
    if code:
        return complaint_by_code(session, code)
    if inbound.reply_to:
        message = outbound_by_provider_id(session, inbound.channel, inbound.reply_to)
        if message is not None and message.complaint_id is not None:
            return session.get(Complaint, message.complaint_id)
    return None


@dataclass(frozen=True)
class StaffResult:
    """What to answer the staff member (None: stay silent), and the complaint concerned."""

    reply: str | None
    complaint: Complaint | None = None


def handle_staff(
    session: Session,
    inbound: InboundMessage,
    staff: Staff | None,
    ctx: DispatchContext,
    rulebook: Rulebook,
    in_opd_chat: bool,
) -> StaffResult:
    """Carry out a staff member's message; refuse politely (and audit) what they may not do."""
    language = ctx.default_language
    if is_rule_command(inbound.text):
        return StaffResult(handle_rule_command(session, staff, inbound.text, ctx, inbound.sender))
    command = parse_staff_command(inbound.text)
    complaint = target_complaint(session, inbound, command)
    if command is None and complaint is None:
        # Chatter in the OPD's group is not for us; a private message gets directions.
        return StaffResult(None if in_opd_chat else ctx.text(language, "staff_need_code"))
    if staff is None:
        return _refuse_stranger(session, inbound, complaint, ctx)
    if command is not None and command.action == "unknown":
        return StaffResult(ctx.text(language, "staff_unknown_command"))
    if command is not None and command.action == "triage":
        return StaffResult(_triage(session, staff, ctx, language))
    if complaint is None:
        return StaffResult(ctx.text(language, "staff_need_code"))
    if not _may_act(staff, complaint, command):
        _audit_refusal(session, complaint, inbound.sender, f"staff of {staff.opd}")
        return StaffResult(_refusal(ctx, complaint), complaint)
    actor = f"staff:{staff.name} <{inbound.sender}>"
    try:
        reply = _act(session, complaint, command, inbound, actor, ctx, rulebook, language)
    except (ActionError, TransitionError) as exc:
        return StaffResult(ctx.text(language, "staff_error", error=str(exc)), complaint)
    return StaffResult(reply, complaint)


def _may_act(staff: Staff, complaint: Complaint, command: StaffCommand | None) -> bool:
    """Admins act on any complaint, staff on their OPD's; only admins choose categories."""
    if command is not None and command.action == "assign":
        return staff.role == "admin"
    return staff.role == "admin" or staff.opd == complaint.opd


def _refuse_stranger(
    session: Session, inbound: InboundMessage, complaint: Complaint | None, ctx: DispatchContext
) -> StaffResult:
    """Someone who is not registered staff tried to act (in an OPD chat, say)."""
    if complaint is not None:
        _audit_refusal(session, complaint, inbound.sender, "not registered staff")
    return StaffResult(_refusal(ctx, complaint))


def _refusal(ctx: DispatchContext, complaint: Complaint | None) -> str:
    return ctx.text(
        ctx.default_language,
        "staff_refused",
        code=complaint.code if complaint else "-",
        opd=ctx.opd_name(complaint.opd) if complaint else "-",
    )


def _act(
    session: Session,
    complaint: Complaint,
    command: StaffCommand | None,
    inbound: InboundMessage,
    actor: str,
    ctx: DispatchContext,
    rulebook: Rulebook,
    language: str,
) -> str:
    action = command.action if command else "reply"
    argument = command.argument if command else inbound.text.strip()
    if action in ("reply", "ask"):
        message_citizen(session, complaint, argument, actor, ctx, question=action == "ask")
        return ctx.text(language, "staff_sent", code=complaint.code)
    if action == "reassign":
        opd, _, reason = argument.partition(" ")
        reassign(session, complaint, opd.upper(), actor, ctx, reason.strip() or None)
        return ctx.text(
            language, "staff_reassigned", code=complaint.code, opd=ctx.opd_name(opd.upper())
        )
    if action == "assign":
        category = argument.split()[0].lower() if argument else ""
        rule = rulebook.ruleset.categories.get(category)
        if rule is None:
            raise ActionError(f"unknown category {category!r}")
        assign_category(session, complaint, category, rule.opd, actor, ctx)
        return ctx.text(
            language,
            "staff_done",
            code=complaint.code,
            status=ctx.status_name(language, Status.routed),
        )
    attachments = [a.model_dump(mode="json") for a in inbound.attachments]
    change_status(session, complaint, action, actor, ctx, argument or None, attachments)
    return ctx.text(
        language, "staff_done", code=complaint.code, status=ctx.status_name(language, action)
    )


TRIAGE_TEXT = 60  # characters of each complaint's text in the /triage list


def _triage(session: Session, staff: Staff, ctx: DispatchContext, language: str) -> str:
    if staff.role != "admin":
        return ctx.text(language, "staff_refused", code="/triage", opd="admin")
    waiting = awaiting_review(session, limit=10)
    if not waiting:
        return ctx.text(language, "triage_empty")
    items = "; ".join(f"{c.code} ({c.category}): {shorten(c.text, TRIAGE_TEXT)}" for c in waiting)
    return ctx.text(language, "triage_list", items=items)


def _audit_refusal(session: Session, complaint: Complaint, who: str, why: str) -> None:
    session.add(
        Event(
            complaint_id=complaint.id,
            kind="refused",
            actor=who,
            note=f"refused: {why} may not act on {complaint.opd}'s complaint",
        )
    )
