"""Messages that are not complaints: commands and small talk, answered from templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from aduan.complaints.codes import find_code
from dispatch.context import DispatchContext
from storage.complaints import (
    complaint_by_code,
    count_open_complaints,
    latest_note,
    open_of_contact,
)
from storage.models import Contact

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
    complaint = complaint_by_code(session, code)
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
    assert complaint.id is not None
    newest = latest_note(session, complaint.id)
    note = ctx.text(language, "status_note", note=newest) if newest else ""
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


LISTED_OPEN = 5


def open_complaints_text(session: Session, contact: Contact, ctx: DispatchContext) -> str:
    """The citizen's newest open reports, and how many more there are beyond them."""
    language = contact.language
    assert contact.id is not None
    rows = open_of_contact(session, contact.id, limit=LISTED_OPEN + 1)
    if not rows:
        return ctx.text(language, "status_none")
    listed = rows[:LISTED_OPEN]
    items = "; ".join(f"{c.code} ({ctx.status_name(language, c.status)})" for c in listed)
    text = ctx.text(language, "status_list", items=items)
    if len(rows) > LISTED_OPEN:
        more = count_open_complaints(session, contact.id) - LISTED_OPEN
        text = f"{text} {ctx.text(language, 'status_more', count=more)}"
    return text


def opt_out(session: Session, contact: Contact) -> None:
    """STOP: nothing more is sent to the contact until they write START."""
    contact.opted_out = True
    session.add(contact)


def answer_command(
    session: Session, command: Command, contact: Contact, ctx: DispatchContext
) -> str:
    """The answer to a command (STOP's confirmation too: the caller then calls `opt_out`)."""
    if command.name == "welcome" and contact.opted_out:
        contact.opted_out = False  # START after STOP: the citizen wants messages again
        contact.unreachable = False
        session.add(contact)
    if command.name == "language":
        choice = command.argument.lower()[:2]
        help_text = ctx.text(choice if choice in ctx.templates else contact.language, "help")
        if choice not in ctx.templates:
            return help_text
        contact.language = choice
        session.add(contact)
        confirmation = ctx.text(choice, "language_set")
        return f"{confirmation} {help_text}" if confirmation else help_text
    if command.name == "status":
        code = find_code(command.argument)
        if code:
            return status_text(session, code, contact, ctx)
        return open_complaints_text(session, contact, ctx)
    if command.name == "opt_out":
        return ctx.text(contact.language, "opted_out")
    return ctx.text(contact.language, command.name)
