"""Joining a message to a complaint already filed, instead of filing a new one."""

from __future__ import annotations

from datetime import timedelta

from aduan.complaints.outcome import Outcome
from aduan.complaints.turn import Turn
from storage.complaints import latest_of_contact_since
from storage.models import Complaint, Event

JOIN_WINDOW = timedelta(minutes=10)


def join_recent(turn: Turn) -> Outcome | None:
    """A bare photo or location sent shortly after a complaint belongs to that complaint."""
    inbound = turn.inbound
    if turn.text.strip() or not (inbound.attachments or inbound.location):
        return None
    assert turn.contact.id is not None
    recent = latest_of_contact_since(turn.session, turn.contact.id, turn.now - JOIN_WINDOW)
    if recent is None:
        return None
    recent.attachments = [
        *recent.attachments,
        *(a.model_dump(mode="json") for a in inbound.attachments),
    ]
    if inbound.location is not None:
        recent.location_lat = inbound.location.lat
        recent.location_lon = inbound.location.lon
        recent.location_address = inbound.location.address or recent.location_address
    recent.updated_at = turn.now
    turn.concerns(recent)
    turn.session.add_all(
        [recent, Event(complaint_id=recent.id, kind="attachment", actor=turn.contact.address)]
    )
    return Outcome.about("joined", recent)


def join_own(turn: Turn, open_complaint: Complaint) -> Outcome:
    """The same citizen repeating an open complaint: keep the words, don't file again."""
    contact, ctx = turn.contact, turn.ctx
    turn.concerns(open_complaint)
    turn.session.add(
        Event(
            complaint_id=open_complaint.id,
            kind="citizen_message",
            actor=contact.address,
            note=turn.inbound.text,
        )
    )
    reply = ctx.text(
        contact.language,
        "already_reported",
        code=open_complaint.code,
        status=ctx.status_name(contact.language, open_complaint.status),
    )
    turn.reply(reply, open_complaint)
    return Outcome.about("joined", open_complaint, reply=reply)
