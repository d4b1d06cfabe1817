"""The contact a citizen gives on a web form: sent the tracking link, told of changes once
confirmed.

Anyone may type anyone's address into a form, so what goes to it is a fixed template (the
code, the category's name and the link; never the complaint's words), at most
`per_day` links to one contact in 24 hours whoever asks, and nothing more until someone
opens the confirm link that only that message carries (FixMyStreet's way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlmodel import Session

from dispatch.context import DispatchContext
from dispatch.enqueue import message_to_contact
from storage.followers import contact_on, follower_of, links_sent_since
from storage.models import Complaint, Follower
from storage.rows import insert_now

LinkOutcome = Literal["sent", "limited", "blocked"]


@dataclass(frozen=True)
class LinkRequest:
    """Where a complaint's tracking link should go, and the link itself (with its confirm
    token; only the token's hash is kept)."""

    channel: str
    address: str
    link: str
    confirm_hash: str
    language: str


def send_tracking_link(
    session: Session,
    complaint: Complaint,
    wanted: LinkRequest,
    ctx: DispatchContext,
    per_day: int,
) -> LinkOutcome:
    """Queue the tracking-link message for `wanted`'s contact, unless it had `per_day` links
    in the last 24 hours, opted out, or is unreachable; the contact then follows `complaint`
    (unconfirmed)."""
    assert complaint.id is not None
    contact = contact_on(session, wanted.channel, wanted.address, ctx.language(wanted.language))
    assert contact.id is not None
    now = ctx.clock()
    if contact.opted_out or contact.unreachable:
        return "blocked"
    if follower_of(session, complaint.id, contact.id) is not None:
        return "sent"  # the same report again (a reload): the link went already
    if links_sent_since(session, contact.id, now - timedelta(hours=24)) >= per_day:
        return "limited"
    insert_now(
        session,
        Follower(
            complaint_id=complaint.id,
            contact_id=contact.id,
            confirm_hash=wanted.confirm_hash,
            link_sent_at=now,
        ),
    )
    text = ctx.text(
        contact.language,
        "tracking_link",
        code=complaint.code,
        category=ctx.category_name(contact.language, complaint.category),
        link=wanted.link,
    )
    key = f"link:{complaint.code}:{contact.id}"
    message_to_contact(session, contact, text, key, complaint, now=now)
    return "sent"
