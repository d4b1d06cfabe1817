"""What staff, OPD systems and citizens can do to a complaint, whatever channel they use.

Every function works inside the caller's transaction, records an Event, and queues what must
be sent; it raises ActionError (or TransitionError) before changing anything when refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from channels.message import Button
from dispatch.business_hours import due_at_for
from dispatch.context import DispatchContext
from dispatch.enqueue import complaint_document, dispatch_to_opd, message_to_contact, place
from dispatch.lifecycle import CITIZEN_VISIBLE, TransitionError, check_transition
from dispatch.templates import sentences
from storage.complaints import linked_to
from storage.events import count_of_complaint
from storage.followers import confirmed_followers
from storage.models import Complaint, Contact, Event, OutboxItem, Status
from storage.outbox import pending_dispatches


class ActionError(ValueError):
    """A refused action; the message says why, and nothing was changed."""


def _sequence(session: Session, complaint: Complaint) -> int:
    return count_of_complaint(session, complaint.id) + 1


def _restart_clock(complaint: Complaint, ctx: DispatchContext, now: datetime) -> None:
    """Give the OPD a fresh SLA period (reassigned or reopened), counted like the first one."""
    allowed = (complaint.due_at - complaint.created_at) if complaint.due_at else timedelta(0)
    hours = ctx.sla_hours.get(complaint.category, allowed.total_seconds() / 3600)
    complaint.due_at = due_at_for(now, hours, ctx.sla.business_hours, ctx.timezone)
    complaint.reminded_at = complaint.escalated_at = None


def followers(session: Session, complaint: Complaint) -> list[tuple[Complaint, Contact]]:
    """The complaint's citizen first, then the citizens whose reports were linked to it."""
    result = []
    for row in [complaint, *linked_to(session, complaint.id)]:
        contact = session.get(Contact, row.contact_id)
        if contact is not None:
            result.append((row, contact))
    return result


def _rating_buttons(complaint: Complaint, language: str) -> list[Button]:
    stars = [Button(label=str(n), payload=f"/nilai {complaint.code} {n}") for n in range(1, 6)]
    reopen = "BELUM BERES" if language == "id" else "NOT FIXED"
    return [*stars, Button(label=reopen, payload=f"/belumberes {complaint.code}")]


def _status_text(
    ctx: DispatchContext, language: str, code: str, goal: Status, note: str | None, opd: str
) -> str:
    return ctx.text(
        language,
        "status_changed",
        code=code,
        status=ctx.status_name(language, goal.value),
        note=ctx.text(language, "status_note", note=note) if note else "",
        opd=ctx.opd_name(opd),
    )


def _notify(
    session: Session,
    complaint: Complaint,
    goal: Status,
    ctx: DispatchContext,
    note: str | None,
    attachments: list[dict[str, Any]] | None = None,
) -> None:
    """Tell every follower of `complaint` about its new status, once each."""
    now = ctx.clock()
    sequence = _sequence(session, complaint)
    rows = followers(session, complaint)
    told: set[int | None] = set()
    for row, contact in rows:
        told.add(contact.id)
        language = contact.language
        text = _status_text(ctx, language, row.code, goal, note, complaint.opd)
        buttons: list[Button] = []
        if goal == Status.resolved:
            text = sentences(text, ctx.text(language, "rate_prompt", code=row.code))
            buttons = _rating_buttons(row, language)
        key = f"status:{complaint.code}:{sequence}:{contact.id}"
        message_to_contact(
            session,
            contact,
            text,
            key,
            row,
            buttons=buttons,
            attachments=attachments or [],
            now=now,
        )
    _notify_confirmed(session, complaint, [row for row, _ in rows], goal, ctx, note, sequence, told)


def _notify_confirmed(
    session: Session,
    complaint: Complaint,
    rows: list[Complaint],
    goal: Status,
    ctx: DispatchContext,
    note: str | None,
    sequence: int,
    told: set[int | None],
) -> None:
    """Tell the confirmed contacts given on web forms (the status alone: they rate and reopen
    on the tracking page, not by answering)."""
    now = ctx.clock()
    for row in rows:
        for contact in confirmed_followers(session, row.id):
            if contact.id in told:
                continue
            told.add(contact.id)
            text = _status_text(ctx, contact.language, row.code, goal, note, complaint.opd)
            key = f"status:{complaint.code}:{sequence}:{contact.id}"
            message_to_contact(session, contact, text, key, row, now=now)


def _record(
    session: Session,
    complaint: Complaint,
    goal: Status,
    actor: str,
    note: str | None,
    now: datetime,
) -> Event:
    event = Event(
        complaint_id=complaint.id,
        kind="status",
        actor=actor,
        from_status=complaint.status,
        to_status=goal.value,
        note=note,
        created_at=now,
    )
    session.add(event)
    complaint.status = goal.value
    complaint.updated_at = now
    if (
        goal in (Status.in_progress, Status.resolved, Status.rejected, Status.reassigned)
        and complaint.first_response_at is None
    ):
        complaint.first_response_at = now
    if goal == Status.resolved:
        complaint.resolved_at = now
    if goal == Status.reopened:
        complaint.resolved_at = None
        complaint.rating = None
    session.add(complaint)
    for row, _ in followers(session, complaint)[1:]:  # linked reports mirror the status
        row.status, row.updated_at, row.resolved_at = goal.value, now, complaint.resolved_at
        session.add(row)
    return event


def change_status(
    session: Session,
    complaint: Complaint,
    target: str,
    actor: str,
    ctx: DispatchContext,
    note: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> Event:
    """Apply one lifecycle transition, record it, and tell the citizens if they should know."""
    if target == Status.reassigned:
        raise ActionError("use reassign() to move a complaint to another OPD")
    goal = check_transition(complaint.status, target, note)
    event = _record(session, complaint, goal, actor, note, ctx.clock())
    if attachments:  # e.g. the photo of the repaired road: kept for the citizen's timeline
        event.data = {"attachments": attachments}
    if goal in CITIZEN_VISIBLE:
        _notify(session, complaint, goal, ctx, note, attachments)
    return event


def reassign(
    session: Session,
    complaint: Complaint,
    new_opd: str,
    actor: str,
    ctx: DispatchContext,
    reason: str | None,
) -> Event:
    """Hand the complaint to another OPD, which receives it; the citizen is told."""
    if new_opd not in ctx.opd_names or new_opd == "TRIAGE":
        raise ActionError(f"unknown OPD {new_opd!r}")
    if new_opd == complaint.opd:
        raise ActionError(f"{complaint.code} is already with {new_opd}")
    goal = check_transition(complaint.status, Status.reassigned, reason)
    now = ctx.clock()
    old_opd = complaint.opd
    event = _record(session, complaint, goal, actor, reason, now)
    event.data = {"from_opd": old_opd, "to_opd": new_opd}
    complaint.opd = new_opd
    _restart_clock(complaint, ctx, now)  # the new OPD gets the full time the category allows
    session.add(complaint)
    dispatch_to_opd(
        session,
        complaint,
        ctx,
        "complaint.reassigned",
        f"dispatch:{complaint.code}:{_sequence(session, complaint)}",
    )
    _notify(session, complaint, goal, ctx, f"{ctx.opd_name(new_opd)} - {reason}")
    return event


def assign_category(
    session: Session,
    complaint: Complaint,
    category: str,
    opd: str,
    actor: str,
    ctx: DispatchContext,
) -> Event:
    """Route a complaint waiting for review (triage, or the citizen's own choice)."""
    if complaint.status != Status.needs_review:
        raise TransitionError(f"{complaint.code} is {complaint.status}, not waiting for review")
    goal = check_transition(complaint.status, Status.routed, None)
    complaint.category, complaint.opd = category, opd
    event = _record(session, complaint, goal, actor, f"{category} -> {opd}", ctx.clock())
    event.data = {"category": category, "opd": opd}
    dispatch_to_opd(
        session,
        complaint,
        ctx,
        "complaint.created",
        f"dispatch:{complaint.code}:{_sequence(session, complaint)}",
    )
    _notify(session, complaint, goal, ctx, ctx.opd_name(opd))
    return event


def message_citizen(
    session: Session,
    complaint: Complaint,
    text: str,
    actor: str,
    ctx: DispatchContext,
    question: bool = False,
) -> Event:
    """Relay staff's words to the citizen; a question makes the citizen's next message an answer."""
    if not text.strip():
        raise ActionError("the message to the citizen must not be empty")
    now = ctx.clock()
    event = Event(
        complaint_id=complaint.id,
        kind="question" if question else "staff_message",
        actor=actor,
        note=text.strip(),
        created_at=now,
    )
    session.add(event)
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    complaint.updated_at = now
    complaint.awaiting_citizen = question or complaint.awaiting_citizen
    session.add(complaint)
    contact = session.get(Contact, complaint.contact_id)
    assert contact is not None
    template = "staff_question" if question else "staff_message"
    rendered = ctx.text(
        contact.language,
        template,
        code=complaint.code,
        opd=ctx.opd_name(complaint.opd),
        text=text.strip(),
    )
    key = f"staff:{complaint.code}:{_sequence(session, complaint)}"
    message_to_contact(session, contact, rendered, key, complaint, now=now)
    return event


def forward_citizen_answer(
    session: Session, complaint: Complaint, text: str, ctx: DispatchContext
) -> Event:
    """The citizen answered the OPD's question: pass it on to the OPD."""
    event = Event(complaint_id=complaint.id, kind="citizen_answer", actor="citizen", note=text)
    session.add(event)
    complaint.awaiting_citizen = False
    complaint.updated_at = ctx.clock()
    session.add(complaint)
    message = ctx.text(ctx.default_language, "citizen_answer", code=complaint.code, text=text)
    dispatch_to_opd(
        session,
        complaint,
        ctx,
        "complaint.citizen_answer",
        f"answer:{complaint.code}:{_sequence(session, complaint)}",
        message=message,
    )
    return event


# Statuses in which an OPD holds the complaint and so hears of what the citizen adds.
HELD_BY_OPD = (Status.routed, Status.in_progress, Status.reassigned, Status.reopened)


def forward_citizen_addition(
    session: Session, complaint: Complaint, attachments: int, ctx: DispatchContext, now: datetime
) -> None:
    """The citizen sent a photo or a location after filing: the OPD holding the complaint
    hears of it. A dispatch not yet sent goes out as the complaint now is; after it, the
    OPD (its kecamatan's office, when the location placed it anew) is told, chats in a line,
    webhooks and e-mail with the complaint's document as it now is."""
    if complaint.status not in HELD_BY_OPD or complaint.duplicate_of_id is not None:
        return  # still in review (the OPD will get it whole), closed, or another's duplicate
    assert complaint.id is not None
    waiting = pending_dispatches(session, complaint.id)
    if waiting:
        _refresh_waiting(session, waiting, complaint_document(complaint, ctx, "complaint.updated"))
        return
    where = place(
        {
            "lat": complaint.location_lat,
            "lon": complaint.location_lon,
            "address": complaint.location_address,
        }
    )

    def notice(language: str | None) -> str:
        values = {"attachments": attachments, "location": where}
        return ctx.text(language, "citizen_addition", code=complaint.code, **values)

    key = f"addition:{complaint.code}:{_sequence(session, complaint)}"
    dispatch_to_opd(session, complaint, ctx, "complaint.updated", key, notice=notice, now=now)


def _refresh_waiting(session: Session, waiting: list[OutboxItem], fresh: dict[str, Any]) -> None:
    """Dispatches not sent yet go out with the complaint's place and attachments as they now
    are; a chat post keeps its words (staff can open the complaint)."""
    news = {k: fresh[k] for k in ("location", "area", "attachments")}
    for item in waiting:
        if "document" in item.payload:
            item.payload = {**item.payload, "document": {**item.payload["document"], **news}}
            session.add(item)


def rate(session: Session, complaint: Complaint, stars: int, contact: Contact) -> Event:
    if complaint.contact_id != contact.id:
        raise ActionError(f"{complaint.code} is not your report")
    if complaint.status != Status.resolved:
        raise ActionError(f"{complaint.code} is not resolved yet")
    if not 1 <= stars <= 5:
        raise ActionError("a rating is a number from 1 to 5")
    complaint.rating = stars
    session.add(complaint)
    event = Event(
        complaint_id=complaint.id,
        kind="rating",
        actor=contact.address,
        note=str(stars),
        data={"rating": stars},
    )
    session.add(event)
    return event


def reopen(
    session: Session,
    complaint: Complaint,
    contact: Contact,
    ctx: DispatchContext,
    note: str | None = None,
    now: datetime | None = None,
) -> Event:
    """The citizen says it is not fixed: back to the OPD, within the reopen window."""
    now = now or ctx.clock()
    if complaint.contact_id != contact.id:
        raise ActionError(f"{complaint.code} is not your report")
    window = timedelta(days=ctx.lifecycle.reopen_days)
    if (
        complaint.status == Status.resolved
        and complaint.resolved_at
        and now - complaint.resolved_at > window
    ):
        raise ActionError(
            ctx.text(
                contact.language,
                "reopen_expired",
                code=complaint.code,
                days=ctx.lifecycle.reopen_days,
            )
        )
    event = change_status(
        session, complaint, Status.reopened, contact.address, ctx, note or "belum beres"
    )
    _restart_clock(complaint, ctx, now)

    def why(language: str | None) -> str:
        return ctx.text(
            language,
            "opd_reopened",
            code=complaint.code,
            category=ctx.category_name(language, complaint.category),
            opd=ctx.opd_name(complaint.opd),
            reason=note or "-",
            text=complaint.text,
        )

    dispatch_to_opd(
        session,
        complaint,
        ctx,
        "complaint.reopened",
        f"dispatch:{complaint.code}:{_sequence(session, complaint)}",
        notice=why,
        extra={"reason": note},
    )
    return event
