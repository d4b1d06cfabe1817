"""Converse: content the channel could not read (a poll, a sticker) is answered politely."""

from __future__ import annotations

import logging

from aduan.complaints.outcome import Outcome
from aduan.complaints.turn import Turn

log = logging.getLogger("aduan.complaints.unreadable")


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
