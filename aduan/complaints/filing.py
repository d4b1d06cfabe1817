"""File: a classified message becomes a complaint with its code, deadline and first events."""

from __future__ import annotations

from datetime import datetime

from aduan.access.credentials import digest, new_secret
from aduan.complaints.citizen import find_same_problem
from aduan.complaints.codes import new_code
from aduan.complaints.turn import Turn
from classifier import Classification
from dispatch.business_hours import due_at_for
from storage.complaints import insert_events
from storage.models import Complaint, Status
from storage.rows import built, insert_now


def category_of(turn: Turn) -> str:
    result = classification(turn)
    return result.category or turn.rules.ruleset.settings.fallback_category


def classification(turn: Turn) -> Classification:
    assert turn.classification is not None, "filing comes after classifying"
    return turn.classification


def same_problem(turn: Turn) -> Complaint | None:
    """An open complaint about the same problem (not looked for when a person must review)."""
    if classification(turn).needs_review:
        return None
    return find_same_problem(
        turn.session, turn.contact, turn.inbound, category_of(turn), turn.ctx, turn.now
    )


def file_complaint(turn: Turn, same: Complaint | None) -> tuple[Complaint, str]:
    """Insert the complaint (linked to `same`, if any) and its events; it and its secret."""
    secret = new_secret()
    complaint = new_complaint(turn, same, digest(secret))
    insert_now(turn.session, complaint)
    turn.concerns(complaint)
    record_filing(turn, complaint, same)
    return complaint, secret


def new_complaint(turn: Turn, same: Complaint | None, secret_hash: str) -> Complaint:
    result, inbound, location = classification(turn), turn.inbound, turn.inbound.location
    category = category_of(turn)
    assert turn.contact.id is not None
    return built(
        Complaint,
        dict(
            code=new_code(),  # a code drawn twice fails the insert and is drawn again
            secret_hash=secret_hash,
            contact_id=turn.contact.id,
            channel=inbound.channel,
            text=inbound.text,
            category=category,
            opd=same.opd if same else result.opd or turn.rules.ruleset.categories[category].opd,
            confidence=result.confidence,
            explanation={**result.as_dict(), "rules_version": turn.rules.version},
            status=initial_status(result, same),
            language=turn.contact.language,
            location_lat=location.lat if location else None,
            location_lon=location.lon if location else None,
            location_address=location.address if location else None,
            kecamatan=result.place.kecamatan if result.place else None,
            desa=result.place.desa if result.place else None,
            attachments=[a.model_dump(mode="json") for a in inbound.attachments],
            due_at=same.due_at if same else due_at(turn, category),
            duplicate_of_id=same.id if same else None,
            created_at=turn.now,
            updated_at=turn.now,
        ),
    )


def initial_status(result: Classification, same: Complaint | None) -> Status:
    """The same problem's status; else routed, or needs review when the classifier is unsure."""
    if same is not None:
        return Status(same.status)
    return Status.needs_review if result.needs_review else Status.routed


def due_at(turn: Turn, category: str) -> datetime:
    """The deadline the category's SLA sets, counted in business hours where configured."""
    ctx = turn.ctx
    return due_at_for(
        turn.now, turn.rules.sla_hours(category), ctx.sla.business_hours, ctx.timezone
    )


def record_filing(turn: Turn, complaint: Complaint, same: Complaint | None) -> None:
    """Received from the citizen, then routed (or linked) by the classifier: two events."""
    result = classification(turn)
    note = (
        f"same problem as {same.code}"
        if same
        else f"{complaint.category} -> {complaint.opd} ({result.confidence:.2f})"
    )
    common = {"complaint_id": complaint.id, "created_at": turn.now, "data": None}
    received = {"kind": "status", "actor": "citizen", "from_status": None, "note": None}
    classified = {"kind": "linked" if same else "status", "actor": "classifier", "note": note}
    insert_events(
        turn.session,
        [
            {**common, **received, "to_status": Status.received},
            {**common, **classified, "from_status": Status.received, "to_status": complaint.status},
        ],
    )
