"""One inbound message on its way through the intake steps: what each step reads and adds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from aduan.rules.rulebook import Rulebook
from channels.message import InboundMessage
from classifier import Classification
from dispatch.context import DispatchContext
from dispatch.enqueue import message_to_contact
from storage.models import Complaint, Contact, Staff


@dataclass
class Turn:
    """The context every intake step works on; one per inbound message, in one transaction."""

    session: Session
    inbound: InboundMessage
    ctx: DispatchContext  # its category names those of `rules`
    rules: Rulebook  # the rules in force, fetched once for this message
    now: datetime
    contact: Contact  # the sender
    new_contact: bool  # created by this very message, so without history
    message_id: int  # the stored inbound message
    staff: Staff | None = None  # the sender, when an active staff member
    text: str = ""  # what the sender means: a numbered choice expanded to its command
    complaint_id: int | None = None  # the complaint the message turns out to concern
    classification: Classification | None = None
    reply_shown: bool = False  # the caller shows the reply; nothing else delivers it
    early: Classification | None = None  # of the inbound text under `rules`, made beforehand

    @property
    def reply_sent(self) -> bool:
        """Whether the reply to this message is delivered by being shown (stored as sent)."""
        return self.reply_shown and self.contact.channel == self.inbound.channel

    @property
    def reply_key(self) -> str:
        """The outbox key of the reply to this message: one reply per delivery."""
        return f"reply:{self.inbound.channel}:{self.inbound.external_id}"

    def concerns(self, complaint: Complaint | None) -> None:
        """Record that the message is about `complaint` (linked to it when the turn ends)."""
        if complaint is not None:
            self.complaint_id = complaint.id

    def reply(self, text: str, complaint: Complaint | None = None) -> None:
        """Answer the sender on their channel, as a reply to their message."""
        message_to_contact(
            self.session,
            self.contact,
            text,
            self.reply_key,
            complaint,
            reply_to=self.inbound.external_id,
            sent=self.reply_sent,
            now=self.now,
        )
