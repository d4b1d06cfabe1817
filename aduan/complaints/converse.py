"""Converse, citizen side: commands, follow-ups on their complaints, and small talk."""

from __future__ import annotations

import logging
import re

from aduan.complaints import conversation
from aduan.complaints.citizen import bare_number, expand_choice, handle_citizen_action
from aduan.complaints.codes import find_code
from aduan.complaints.outcome import Outcome
from aduan.complaints.turn import Turn
from classifier import Classification

log = logging.getLogger("aduan.complaints.converse")

SMALL_TALK = {
    "greeting": "greeting",
    "thanks": "thanks",
    "question": "help",
    "vague": "ask_details",  # nothing to file yet: ask what happened and where
}
# "Assalamualaikum", "assalamu'alaikum", "Asslm", "askum", "salam": answered in kind.
SALAM = re.compile(r"\b(ass?alamu?\W?\s*'?\s*alaik\w*|asw+r\w*|ass?lm\w*|askum|salam)\b", re.I)


def read_choice(turn: Turn) -> None:
    """What the citizen means: a bare number picks one of the choices offered last."""
    turn.text = expand_choice(turn.session, turn.contact, turn.inbound.text, turn.now)


def answer_command(turn: Turn) -> Outcome | None:
    """`/help`, `STATUS ADU-…`, `/bahasa en`, STOP and the like; None for anything else."""
    command = conversation.parse_command(turn.text)
    if command is None:
        return None
    answer = conversation.answer_command(turn.session, command, turn.contact, turn.ctx)
    outcome = reply(turn, None if turn.inbound.provider_answered else answer)
    if command.name == "opt_out":  # after its confirmation is queued: the last message sent
        conversation.opt_out(turn.session, turn.contact)
    return outcome


def answer_citizen_action(turn: Turn) -> Outcome | None:
    """A rating, a reopening, a category choice or an answer to staff; None for anything else."""
    action = handle_citizen_action(
        turn.session,
        turn.contact,
        turn.text,
        turn.ctx,
        turn.rules,
        turn.now,
        new_contact=turn.new_contact,
    )
    if action is None:
        return None
    turn.concerns(action.complaint)
    if action.reply is None:
        return Outcome(
            kind="reply", complaint_code=action.complaint.code if action.complaint else None
        )
    return reply(turn, action.reply)


def answer_small_talk(turn: Turn) -> Outcome:
    """A message the classifier found no complaint in: greet, thank, help or tell the status."""
    assert turn.classification is not None
    return reply(turn, small_talk_text(turn, turn.classification), turn.classification)


def small_talk_text(turn: Turn, result: Classification) -> str | None:
    session, contact, ctx = turn.session, turn.contact, turn.ctx
    if result.intent == "status":
        code = find_code(turn.inbound.text)
        if code:
            return conversation.status_text(session, code, contact, ctx)
        return conversation.open_complaints_text(session, contact, ctx)
    number = bare_number(turn.text)  # still a number: no pending choice has that number
    if number is not None:
        return ctx.text(contact.language, "bare_number", number=number)
    if result.intent == "greeting" and SALAM.search(turn.inbound.text):
        salam = ctx.text(contact.language, "greeting_salam")
        if salam:
            return salam
    return ctx.text(contact.language, SMALL_TALK.get(result.intent, "empty"))


def reply(turn: Turn, text: str | None, result: Classification | None = None) -> Outcome:
    """Send `text` (None: stay silent) as the answer to the message."""
    if text is None:
        return Outcome(kind="reply", classification=result)
    turn.reply(text)
    return Outcome(kind="reply", reply=text, classification=result)


def answer_unreadable(turn: Turn) -> Outcome | None:
    """Tell the sender what Aduan can read; None when the message carries anything else."""
    inbound = turn.inbound
    if inbound.unsupported is None or inbound.text.strip():
        return None
    if inbound.attachments or inbound.location is not None:
        return None
    log.info("%s: a %r message could not be read", inbound.channel, inbound.unsupported)
    text = turn.ctx.text(turn.contact.language, "unsupported")
    turn.reply(text)
    return Outcome(kind="reply", reply=text)
