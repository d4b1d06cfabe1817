"""The pipeline: receive -> dedupe -> converse or classify -> store -> acknowledge -> dispatch.

One inbound message is handled in one transaction: the message, the complaint, its events
and every outbox row commit together, or none of them does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aduan.codes import find_code, new_code
from aduan.conversation import answer_command, parse_command, status_text
from aduan.rulebook import RulebookProvider
from channels.contract import Cursor
from channels.masking import mask_address
from channels.message import InboundMessage
from classifier import Classification, classify
from dispatch.context import DispatchContext
from dispatch.enqueue import dispatch_to_opd, message_to_contact
from storage.cursors import save_cursor
from storage.engine import transaction
from storage.models import Complaint, Contact, Event, Message, Status

log = logging.getLogger("aduan.pipeline")

JOIN_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    """What happened to one inbound message."""

    kind: Literal["complaint", "reply", "duplicate", "joined"]
    reply: str | None = None
    complaint_code: str | None = None
    status: str | None = None
    category: str | None = None
    opd: str | None = None
    due_at: datetime | None = None
    classification: Classification | None = None


class Pipeline:
    def __init__(
        self,
        engine: Engine,
        ctx: DispatchContext,
        rules: RulebookProvider,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.ctx = ctx
        self.rules = rules
        self.clock = clock

    def handle(self, inbound: InboundMessage, cursor: Cursor | None = None) -> Outcome:
        """Handle one message; a polling channel's `cursor` commits in the same transaction."""
        try:
            with transaction(self.engine) as session:
                if cursor is not None:
                    save_cursor(session, inbound.channel, cursor)
                return self._handle(session, inbound)
        except IntegrityError:
            # Another worker stored the same delivery between our check and our commit.
            with transaction(self.engine) as session:
                existing = self._find_inbound(session, inbound)
                if existing is None:
                    raise
                if cursor is not None:
                    save_cursor(session, inbound.channel, cursor)
                return self._duplicate(session, existing)

    def _find_inbound(self, session: Session, inbound: InboundMessage) -> Message | None:
        return session.exec(
            select(Message)
            .where(Message.channel == inbound.channel)
            .where(Message.direction == "in")
            .where(Message.external_id == inbound.external_id)
        ).first()

    def _handle(self, session: Session, inbound: InboundMessage) -> Outcome:
        existing = self._find_inbound(session, inbound)
        if existing is not None:
            return self._duplicate(session, existing)
        contact = self._contact(session, inbound)
        message = Message(
            direction="in",
            channel=inbound.channel,
            external_id=inbound.external_id,
            contact_id=contact.id,
            text=inbound.text,
            payload=inbound.raw,
            created_at=inbound.received_at,
        )
        session.add(message)
        session.flush()
        log.info(
            "message %s/%s from %s",
            inbound.channel,
            inbound.external_id,
            mask_address(inbound.sender),
        )

        command = parse_command(inbound.text)
        if command is not None:
            return self._reply(
                session, contact, inbound, answer_command(session, command, contact, self.ctx)
            )
        if not inbound.text.strip() and (inbound.attachments or inbound.location):
            joined = self._join_recent(session, contact, inbound, message)
            if joined is not None:
                return joined
        result = classify(inbound.text, self.rules().compiled)
        if not result.is_complaint:
            return self._reply(
                session,
                contact,
                inbound,
                self._small_talk(session, contact, inbound, result),
                result,
            )
        return self._file_complaint(session, contact, inbound, message, result)

    def _contact(self, session: Session, inbound: InboundMessage) -> Contact:
        contact = session.exec(
            select(Contact)
            .where(Contact.channel == inbound.channel)
            .where(Contact.address == inbound.sender)
        ).first()
        if contact is None:
            contact = Contact(
                channel=inbound.channel,
                address=inbound.sender,
                display_name=inbound.sender_name,
                language=self.ctx.language(inbound.language),
            )
            session.add(contact)
            session.flush()
        elif inbound.language and inbound.language != contact.language:
            contact.language = self.ctx.language(inbound.language)
            session.add(contact)
        return contact

    def _reply(
        self,
        session: Session,
        contact: Contact,
        inbound: InboundMessage,
        text: str,
        result: Classification | None = None,
    ) -> Outcome:
        key = f"reply:{inbound.channel}:{inbound.external_id}"
        message_to_contact(session, contact, text, key, reply_to=inbound.external_id)
        return Outcome(kind="reply", reply=text, classification=result)

    def _small_talk(
        self, session: Session, contact: Contact, inbound: InboundMessage, result: Classification
    ) -> str:
        if result.intent == "status":
            code = find_code(inbound.text)
            if code:
                return status_text(session, code, contact.language, self.ctx)
            return answer_command(session, parse_command("/status"), contact, self.ctx)  # type: ignore[arg-type]
        template = {"greeting": "greeting", "thanks": "thanks", "question": "help"}.get(
            result.intent, "empty"
        )
        return self.ctx.text(contact.language, template)

    def _join_recent(
        self, session: Session, contact: Contact, inbound: InboundMessage, message: Message
    ) -> Outcome | None:
        """A photo or location sent shortly after a complaint belongs to that complaint."""
        recent = session.exec(
            select(Complaint)
            .where(Complaint.contact_id == contact.id)
            .where(Complaint.created_at >= self.clock() - JOIN_WINDOW)
            .order_by(Complaint.created_at.desc())
        ).first()
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
        recent.updated_at = self.clock()
        message.complaint_id = recent.id
        session.add_all(
            [
                recent,
                message,
                Event(complaint_id=recent.id, kind="attachment", actor=contact.address),
            ]
        )
        return Outcome(
            kind="joined",
            complaint_code=recent.code,
            status=recent.status,
            category=recent.category,
            opd=recent.opd,
            due_at=recent.due_at,
        )

    def _unused_code(self, session: Session) -> str:
        while True:
            code = new_code()
            if session.exec(select(Complaint.id).where(Complaint.code == code)).first() is None:
                return code

    def _file_complaint(
        self,
        session: Session,
        contact: Contact,
        inbound: InboundMessage,
        message: Message,
        result: Classification,
    ) -> Outcome:
        rulebook = self.rules()
        now = self.clock()
        category = result.category or rulebook.ruleset.settings.fallback_category
        opd = result.opd or rulebook.ruleset.categories[category].opd
        status = Status.needs_review if result.needs_review else Status.routed
        location = inbound.location
        complaint = Complaint(
            code=self._unused_code(session),
            contact_id=contact.id,
            channel=inbound.channel,
            text=inbound.text,
            category=category,
            opd=opd,
            confidence=result.confidence,
            explanation={**result.as_dict(), "rules_version": rulebook.version},
            status=status,
            language=contact.language,
            location_lat=location.lat if location else None,
            location_lon=location.lon if location else None,
            location_address=location.address if location else None,
            attachments=[a.model_dump(mode="json") for a in inbound.attachments],
            due_at=now + timedelta(hours=rulebook.sla_hours(category)),
            created_at=now,
            updated_at=now,
        )
        session.add(complaint)
        session.flush()
        message.complaint_id = complaint.id
        session.add(message)
        session.add(
            Event(
                complaint_id=complaint.id,
                kind="status",
                actor="citizen",
                to_status=Status.received,
                created_at=now,
            )
        )
        session.add(
            Event(
                complaint_id=complaint.id,
                kind="status",
                actor="classifier",
                from_status=Status.received,
                to_status=status,
                note=f"{category} -> {opd} ({result.confidence:.2f})",
                created_at=now,
            )
        )

        language = contact.language
        template = "ack_review" if result.needs_review else "ack"
        ack = self.ctx.text(
            language,
            template,
            code=complaint.code,
            category=self.ctx.category_name(language, category),
            opd=self.ctx.opd_name(opd),
            due=self.ctx.local_time(complaint.due_at),
        )
        message_to_contact(
            session, contact, ack, f"ack:{complaint.code}", complaint, reply_to=inbound.external_id
        )
        if status == Status.routed:
            dispatch_to_opd(
                session, complaint, self.ctx, "complaint.created", f"dispatch:{complaint.code}:1"
            )
        log.info("complaint %s filed: %s -> %s (%s)", complaint.code, category, opd, status)
        return Outcome(
            kind="complaint",
            reply=ack,
            complaint_code=complaint.code,
            status=status,
            category=category,
            opd=opd,
            due_at=complaint.due_at,
            classification=result,
        )

    def _duplicate(self, session: Session, existing: Message) -> Outcome:
        complaint = session.get(Complaint, existing.complaint_id) if existing.complaint_id else None
        if complaint is None:
            return Outcome(kind="duplicate")
        return Outcome(
            kind="duplicate",
            complaint_code=complaint.code,
            status=complaint.status,
            category=complaint.category,
            opd=complaint.opd,
            due_at=complaint.due_at,
        )
