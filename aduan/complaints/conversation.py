"""Messages that are not complaints: commands and small talk, answered from templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, select

from aduan.complaints.codes import find_code
from dispatch.context import DispatchContext
from storage.models import OPEN_STATUSES, Complaint, Contact, Event

CommandName = Literal["welcome", "help", "status", "language", "opt_out"]

# Carrier opt-out keywords count only as the whole message, so "stop buang sampah di ..." stays
# a complaint.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "berhenti"})

_COMMANDS: dict[str, CommandName] = {
    "/start": "welcome",
    "start": "welcome",
    "mulai": "welcome",
    "/help": "help",
    "help": "help",
    "/bantuan": "help",
    "bantuan": "help",
    "?": "help",
    "/status": "status",
    "status": "status",
    "cek": "status",
    "/cek": "status",
    "/bahasa": "language",
    "bahasa": "language",
    "/language": "language",
}


@dataclass(frozen=True)
class Command:
    name: CommandName
    argument: str


def parse_command(text: str) -> Command | None:
    """A command if the message starts with one (`STATUS ADU-7K3Q9`, `/help`, `/bahasa en`)."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return None
    if len(words) == 1 and words[0].lower() in OPT_OUT_WORDS:
        return Command("opt_out", "")
    head = words[0].lower().split("@")[0]  # Telegram adds @botname in groups
    name = _COMMANDS.get(head)
    if name is None:
        return None
    argument = words[1].strip() if len(words) > 1 else ""
    if name == "status" and argument and not find_code(argument) and len(argument.split()) > 3:
        return None  # "status jalan rusak di ..." is a complaint that starts with a word
    return Command(name, argument)


def status_text(session: Session, code: str, contact: Contact, ctx: DispatchContext) -> str:
    """A complaint's status; its agency, due date and latest note only for its own citizen."""
    language = contact.language
    complaint = session.exec(select(Complaint).where(Complaint.code == code)).first()
    if complaint is None:
        return ctx.text(language, "status_unknown", code=code)
    if complaint.contact_id != contact.id:
        return ctx.text(
            language,
            "status_public",
            code=complaint.code,
            status=ctx.status_name(language, complaint.status),
            category=ctx.category_name(language, complaint.category),
        )
    latest_note = session.exec(
        select(Event.note)
        .where(Event.complaint_id == complaint.id)
        .where(Event.kind.in_(["status", "staff_message"]))
        .where(Event.note.is_not(None))
        .order_by(Event.created_at.desc(), Event.id.desc())
    ).first()
    note = ctx.text(language, "status_note", note=latest_note) if latest_note else ""
    return ctx.text(
        language,
        "status",
        code=complaint.code,
        status=ctx.status_name(language, complaint.status),
        opd=ctx.opd_name(complaint.opd),
        due=ctx.local_time(complaint.due_at),
        note=note,
        category=ctx.category_name(language, complaint.category),
    )


def open_complaints_text(session: Session, contact: Contact, ctx: DispatchContext) -> str:
    language = contact.language
    rows = session.exec(
        select(Complaint)
        .where(Complaint.contact_id == contact.id)
        .where(Complaint.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Complaint.created_at.desc())
        .limit(5)
    ).all()
    if not rows:
        return ctx.text(language, "status_none")
    items = "; ".join(f"{c.code} ({ctx.status_name(language, c.status)})" for c in rows)
    return ctx.text(language, "status_list", items=items)


def answer_command(
    session: Session, command: Command, contact: Contact, ctx: DispatchContext
) -> str | None:
    """The answer to a command; None when nothing may be sent (after an opt-out)."""
    if command.name == "opt_out":
        contact.opted_out = True
        session.add(contact)
        return None
    if command.name == "welcome" and contact.opted_out:
        contact.opted_out = False  # START after STOP: the citizen wants messages again
        contact.unreachable = False
        session.add(contact)
    if command.name == "language":
        choice = command.argument.lower()[:2]
        if choice in ctx.templates:
            contact.language = choice
            session.add(contact)
        return ctx.text(contact.language, "help")
    if command.name == "status":
        code = find_code(command.argument)
        if code:
            return status_text(session, code, contact, ctx)
        return open_complaints_text(session, contact, ctx)
    return ctx.text(contact.language, command.name)
