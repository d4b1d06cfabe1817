"""Queries on followers: contacts given on a web form to hear about one complaint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.contacts import contact_by_address
from storage.models import Contact, Follower
from storage.rows import insert_now


def contact_on(session: Session, channel: str, address: str, language: str) -> Contact:
    """The contact known on `channel` by `address`, added if new."""
    contact = contact_by_address(session, channel, address)
    if contact is None:
        contact = Contact(channel=channel, address=address, language=language)
        insert_now(session, contact)
    return contact


def links_sent_since(session: Session, contact_id: int, since: datetime) -> int:
    """How many tracking links went to the contact since `since` (for any complaint)."""
    query = (
        select(func.count())
        .select_from(Follower)
        .where(col(Follower.contact_id) == contact_id)
        .where(col(Follower.link_sent_at) >= since)
    )
    return int(session.exec(query).one())


def follower_of(session: Session, complaint_id: int, contact_id: int) -> Follower | None:
    query = (
        select(Follower)
        .where(col(Follower.complaint_id) == complaint_id)
        .where(col(Follower.contact_id) == contact_id)
    )
    return session.exec(query).first()


def confirm_follower(session: Session, complaint_id: int, confirm_hash: str, now: datetime) -> bool:
    """Mark the complaint's follower holding `confirm_hash` confirmed; whether there is one."""
    query = (
        select(Follower)
        .where(col(Follower.complaint_id) == complaint_id)
        .where(col(Follower.confirm_hash) == confirm_hash)
    )
    follower = session.exec(query).first()
    if follower is None:
        return False
    if follower.confirmed_at is None:
        follower.confirmed_at = now
        session.add(follower)
    return True


def confirmed_followers(session: Session, complaint_id: int | None) -> Sequence[Contact]:
    """The contacts confirmed to hear about the complaint, oldest first."""
    query = (
        select(Contact)
        .join(Follower, col(Follower.contact_id) == col(Contact.id))
        .where(col(Follower.complaint_id) == complaint_id)
        .where(col(Follower.confirmed_at).is_not(None))
        .order_by(col(Follower.id))
    )
    return session.exec(query).all()
