"""Acknowledge: tell the citizen the code and what happens next; offer categories when unsure."""

from __future__ import annotations

from datetime import UTC

from aduan.complaints.turn import Turn
from channels.message import Button
from classifier import Classification
from dispatch.enqueue import message_to_contact
from dispatch.templates import sentences
from storage.models import Complaint, Status

MAX_CHOICES = 3  # categories offered besides the fallback


def acknowledge(
    turn: Turn, complaint: Complaint, same: Complaint | None
) -> tuple[str, list[Button]]:
    """Queue the acknowledgement of `complaint` (linked to `same`, if any); its text and buttons."""
    text, buttons = acknowledgement(turn, complaint, same)
    # A contact created by this message has no earlier inbound: no need to look it up.
    # In UTC, as the database would have returned it (a channel may give another zone).
    last_inbound_at = turn.inbound.received_at.astimezone(UTC) if turn.new_contact else None
    message_to_contact(
        turn.session,
        turn.contact,
        text,
        f"ack:{complaint.code}",
        complaint,
        reply_to=turn.inbound.external_id,
        buttons=buttons,
        known_last_inbound_at=last_inbound_at,
        sent=turn.reply_sent,
        now=turn.now,
    )
    return text, buttons


def acknowledgement(
    turn: Turn, complaint: Complaint, same: Complaint | None
) -> tuple[str, list[Button]]:
    ctx, language = turn.ctx, turn.contact.language
    values = {
        "code": complaint.code,
        "opd": ctx.opd_name(complaint.opd),
        "category": ctx.category_name(language, complaint.category),
        "due": ctx.local_time(complaint.due_at),
        "status": ctx.status_name(language, complaint.status),
    }
    if same is not None:
        return ctx.text(language, "duplicate_linked", **values), []
    if complaint.status != Status.needs_review:
        return ctx.text(language, "ack", **values), []
    text = ctx.text(language, "ack_review", **values)
    assert turn.classification is not None
    buttons = category_choices(turn, complaint, turn.classification)
    if buttons:
        text = sentences(text, ctx.text(language, "choose_category", code=complaint.code))
    return text, buttons


def category_choices(turn: Turn, complaint: Complaint, result: Classification) -> list[Button]:
    """The likeliest categories, and the fallback, as buttons the citizen can pick from."""
    fallback = turn.rules.ruleset.settings.fallback_category
    ranked = sorted(
        ((score, code) for code, score in result.scores.items() if score > 0 and code != fallback),
        reverse=True,
    )[:MAX_CHOICES]
    if not ranked:
        return []
    codes = [code for _, code in ranked] + [fallback]
    return [
        Button(
            label=turn.ctx.category_name(turn.contact.language, code),
            payload=f"/kategori {complaint.code} {code}",
        )
        for code in codes
    ]
