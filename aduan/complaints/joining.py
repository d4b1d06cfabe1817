"""Joining a message to a complaint already filed, instead of filing a new one."""

from __future__ import annotations

from datetime import timedelta

from aduan.areas.boundaries import Boundaries
from aduan.areas.points import place_of_point
from aduan.complaints.outcome import Outcome
from aduan.complaints.turn import Turn
from channels.message import Location
from dispatch.actions import forward_citizen_addition
from storage.complaints import latest_of_contact_since
from storage.models import Complaint, Event

JOIN_WINDOW = timedelta(minutes=10)


def join_recent(turn: Turn, boundaries: Boundaries | None = None) -> Outcome | None:
    """A bare photo or location sent shortly after a complaint belongs to that complaint: kept
    with it, a location placing it in its kecamatan (by the boundary file), and the OPD
    holding it told."""
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
        _move(turn, recent, inbound.location, boundaries)
    recent.updated_at = turn.now
    turn.concerns(recent)
    turn.session.add_all(
        [recent, Event(complaint_id=recent.id, kind="attachment", actor=turn.contact.address)]
    )
    added = len(inbound.attachments)
    forward_citizen_addition(turn.session, recent, added, turn.ctx, turn.now)
    return Outcome.about("joined", recent)


def _move(turn: Turn, complaint: Complaint, where: Location, boundaries: Boundaries | None) -> None:
    """The complaint is where the citizen's pin says; a pin inside a kecamatan of the boundary
    file names its kecamatan and desa (the pin wins over the text, as at filing)."""
    complaint.location_lat, complaint.location_lon = where.lat, where.lon
    complaint.location_address = where.address or complaint.location_address
    placed = place_of_point(turn.session, where, boundaries)
    if placed is not None and placed.kecamatan != complaint.kecamatan:
        note = f"{complaint.kecamatan or '-'} -> {placed.kecamatan}"
        complaint.kecamatan, complaint.desa = placed.kecamatan, placed.desa
        turn.session.add(
            Event(complaint_id=complaint.id, kind="located", actor=turn.contact.address, note=note)
        )


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
