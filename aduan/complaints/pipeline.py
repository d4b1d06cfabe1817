"""The pipeline: receive -> dedupe -> converse or classify -> store -> acknowledge -> dispatch.

One inbound message is handled in one transaction: the message, the complaint, its events
and every outbox row commit together, or none of them does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Row, bindparam, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aduan.access.credentials import digest, new_secret
from aduan.complaints.citizen import expand_choice, find_same_problem, handle_citizen_action
from aduan.complaints.codes import find_code, new_code
from aduan.complaints.conversation import answer_command, parse_command, status_text
from aduan.complaints.staff import find_staff, handle_staff, registered_addresses, target_complaint
from aduan.rules.rulebook import RulebookProvider
from channels.contract import Cursor
from channels.masking import mask_address
from channels.message import Button, InboundMessage
from classifier import Classification, classify
from dispatch.business_hours import due_at_for
from dispatch.context import DispatchContext
from dispatch.destinations import ChatDestination
from dispatch.enqueue import dispatch_to_opd, message_to_contact
from storage.contacts import CONTACT_BY_ADDRESS
from storage.cursors import save_cursor
from storage.engine import transaction
from storage.messages import INBOUND_BY_ID, INSERT_MESSAGE, recipient_of_outbound
from storage.models import Complaint, Contact, Event, Message, Staff, Status
from storage.rows import insert_now

log = logging.getLogger("aduan.complaints.pipeline")

JOIN_WINDOW = timedelta(minutes=10)

# Hot-path statements, built once: on SQLite, building a select in Python costs more than
# running it. Values travel as bind parameters. Those that read or write plain rows run on the
# session's connection, skipping the ORM's execution layer (and its autoflush, which none of
# them needs: nothing pending changes what they read, and the rows they write refer only to
# rows already inserted).
CODE_TAKEN = select(Complaint.id).where(Complaint.code == bindparam("code"))
INSERT_EVENTS = insert(Event.__table__)  # type: ignore[attr-defined]
LINK_INBOUND = (
    update(Message.__table__)  # type: ignore[attr-defined]
    .where(Message.id == bindparam("message_id"))
    .values(complaint_id=bindparam("complaint_id"))
)


OutcomeKind = Literal["complaint", "reply", "duplicate", "joined", "linked", "staff"]


@dataclass
class Received:
    """The stored inbound message: its id, and the complaint it turns out to concern."""

    id: int
    complaint_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one inbound message."""

    kind: OutcomeKind
    reply: str | None = None
    complaint_code: str | None = None
    status: str | None = None
    category: str | None = None
    opd: str | None = None
    due_at: datetime | None = None
    classification: Classification | None = None
    choices: list[Button] = field(default_factory=list)  # offered with the reply (categories)
    # A new complaint's tracking secret, in the clear only here (the database keeps its hash).
    tracking_secret: str | None = field(default=None, repr=False)

    @classmethod
    def about(cls, kind: OutcomeKind, complaint: Complaint, **more: Any) -> Outcome:
        """An outcome concerning `complaint`, carrying what the caller reports about it."""
        return cls(
            kind=kind,
            complaint_code=complaint.code,
            status=complaint.status,
            category=complaint.category,
            opd=complaint.opd,
            due_at=complaint.due_at,
            **more,
        )


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
        self.opd_chats = {
            d.address
            for dests in ctx.destinations.values()
            for d in dests
            if isinstance(d, ChatDestination)
        }
        # Staff are seeded from the config at start-up only, so a sender outside this set is
        # not staff and most messages skip the staff query.
        self.staff_addresses = registered_addresses(engine)

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

    def _find_inbound(self, session: Session, inbound: InboundMessage) -> Row | None:
        """The stored delivery (its id and complaint_id), if this one was seen before."""
        params = {"channel": inbound.channel, "external_id": inbound.external_id}
        return session.connection().execute(INBOUND_BY_ID, params).first()

    def _handle(self, session: Session, inbound: InboundMessage) -> Outcome:
        existing = self._find_inbound(session, inbound)
        if existing is not None:
            return self._duplicate(session, existing)
        contact, is_new = self._find_or_add_contact(session, inbound)
        message = self._store_inbound(session, inbound, contact)
        outcome = self._route(session, inbound, contact, is_new, message)
        if message.complaint_id is not None:
            session.connection().execute(
                LINK_INBOUND, {"message_id": message.id, "complaint_id": message.complaint_id}
            )
        return outcome

    def _store_inbound(
        self, session: Session, inbound: InboundMessage, contact: Contact
    ) -> Received:
        """Insert the inbound message now: a duplicate delivery fails here."""
        inserted = session.connection().execute(
            INSERT_MESSAGE,
            {
                "direction": "in",
                "channel": inbound.channel,
                "external_id": inbound.external_id,
                "contact_id": contact.id,
                "complaint_id": None,
                "text": inbound.text,
                "payload": inbound.raw,
                "delivery_state": None,
                "delivery_error": None,
                "created_at": inbound.received_at,
            },
        )
        log.info(
            "message %s/%s from %s",
            inbound.channel,
            inbound.external_id,
            mask_address(inbound.sender),
        )
        return Received(id=inserted.inserted_primary_key[0])

    def _route(
        self,
        session: Session,
        inbound: InboundMessage,
        contact: Contact,
        is_new: bool,
        message: Received,
    ) -> Outcome:
        """Staff business, a command, a citizen's follow-up, small talk or a new complaint."""
        staff = (
            find_staff(session, inbound.sender) if inbound.sender in self.staff_addresses else None
        )
        in_opd_chat = inbound.conversation in self.opd_chats or self._answers_opd_post(
            session, inbound
        )
        if in_opd_chat or (staff is not None and self._addresses_staff_work(session, inbound)):
            return self._staff(session, inbound, message, staff, in_opd_chat)

        now = self.clock()
        text = expand_choice(session, contact, inbound.text, now)
        command = parse_command(text)
        if command is not None:
            return self._reply(
                session, contact, inbound, answer_command(session, command, contact, self.ctx)
            )
        if not text.strip() and (inbound.attachments or inbound.location):
            joined = self._join_recent(session, contact, inbound, message)
            if joined is not None:
                return joined
        action = handle_citizen_action(
            session, contact, text, self.ctx, self.rules(), now, new_contact=is_new
        )
        if action is not None:
            if action.complaint is not None:
                message.complaint_id = action.complaint.id
            if action.reply is None:
                return Outcome(
                    kind="reply", complaint_code=action.complaint and action.complaint.code
                )
            return self._reply(session, contact, inbound, action.reply)
        result = classify(text, self.rules().compiled)
        if not result.is_complaint:
            return self._reply(
                session,
                contact,
                inbound,
                self._small_talk(session, contact, inbound, result),
                result,
            )
        return self._file_complaint(session, contact, inbound, message, result, is_new)

    def _answers_opd_post(self, session: Session, inbound: InboundMessage) -> bool:
        """A reply to a post in an OPD's chat (or mailbox) is staff business, whoever sends it."""
        if not inbound.reply_to or not self.opd_chats:
            return False
        address = recipient_of_outbound(session, inbound.channel, inbound.reply_to)
        return address in self.opd_chats

    def _addresses_staff_work(self, session: Session, inbound: InboundMessage) -> bool:
        """A staff member writing a command or replying to a complaint acts as staff."""
        return (
            inbound.text.lstrip().startswith("/")
            or target_complaint(session, inbound, None) is not None
        )

    def _staff(
        self,
        session: Session,
        inbound: InboundMessage,
        message: Received,
        staff: Staff | None,
        in_opd_chat: bool,
    ) -> Outcome:
        result = handle_staff(session, inbound, staff, self.ctx, self.rules(), in_opd_chat)
        if result.complaint is not None:
            message.complaint_id = result.complaint.id
        if result.reply is None:
            return Outcome(kind="staff")
        where = inbound.conversation or inbound.sender
        chat = self._contact(session, inbound.model_copy(update={"sender": where}))
        message_to_contact(
            session,
            chat,
            result.reply,
            f"reply:{inbound.channel}:{inbound.external_id}",
            result.complaint,
            reply_to=inbound.external_id,
        )
        return Outcome(
            kind="staff",
            reply=result.reply,
            complaint_code=result.complaint.code if result.complaint else None,
            status=result.complaint.status if result.complaint else None,
        )

    def _contact(self, session: Session, inbound: InboundMessage) -> Contact:
        return self._find_or_add_contact(session, inbound)[0]

    def _find_or_add_contact(
        self, session: Session, inbound: InboundMessage
    ) -> tuple[Contact, bool]:
        """The sender's contact, and whether it was created just now (so has no history)."""
        contact = session.exec(
            CONTACT_BY_ADDRESS, params={"channel": inbound.channel, "address": inbound.sender}
        ).first()
        if contact is None:
            contact = Contact(
                channel=inbound.channel,
                address=inbound.sender,
                display_name=inbound.sender_name,
                language=self.ctx.language(inbound.language),
            )
            insert_now(session, contact)
            return contact, True
        if inbound.language and inbound.language != contact.language:
            contact.language = self.ctx.language(inbound.language)
            session.add(contact)
        return contact, False

    def _reply(
        self,
        session: Session,
        contact: Contact,
        inbound: InboundMessage,
        text: str | None,
        result: Classification | None = None,
    ) -> Outcome:
        if text is None:
            return Outcome(kind="reply", classification=result)
        key = f"reply:{inbound.channel}:{inbound.external_id}"
        message_to_contact(session, contact, text, key, reply_to=inbound.external_id)
        return Outcome(kind="reply", reply=text, classification=result)

    def _small_talk(
        self, session: Session, contact: Contact, inbound: InboundMessage, result: Classification
    ) -> str:
        if result.intent == "status":
            code = find_code(inbound.text)
            if code:
                return status_text(session, code, contact, self.ctx)
            return answer_command(session, parse_command("/status"), contact, self.ctx)  # type: ignore[arg-type]
        template = {"greeting": "greeting", "thanks": "thanks", "question": "help"}.get(
            result.intent, "empty"
        )
        return self.ctx.text(contact.language, template)

    def _join_recent(
        self, session: Session, contact: Contact, inbound: InboundMessage, message: Received
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
            [recent, Event(complaint_id=recent.id, kind="attachment", actor=contact.address)]
        )
        return Outcome.about("joined", recent)

    def _unused_code(self, session: Session) -> str:
        while True:
            code = new_code()
            if session.connection().execute(CODE_TAKEN, {"code": code}).first() is None:
                return code

    def _file_complaint(
        self,
        session: Session,
        contact: Contact,
        inbound: InboundMessage,
        message: Received,
        result: Classification,
        new_contact: bool = False,
    ) -> Outcome:
        rulebook = self.rules()
        now = self.clock()
        category = result.category or rulebook.ruleset.settings.fallback_category
        opd = result.opd or rulebook.ruleset.categories[category].opd
        same = None
        if not result.needs_review:
            same = find_same_problem(session, contact, inbound, category, self.ctx, now)
        if same is not None and same.contact_id == contact.id:
            return self._join_own(session, contact, inbound, message, same)
        status = (
            Status(same.status)
            if same
            else (Status.needs_review if result.needs_review else Status.routed)
        )
        location = inbound.location
        secret = new_secret()
        complaint = Complaint(
            code=self._unused_code(session),
            secret_hash=digest(secret),
            contact_id=contact.id,
            channel=inbound.channel,
            text=inbound.text,
            category=category,
            opd=same.opd if same else opd,
            confidence=result.confidence,
            explanation={**result.as_dict(), "rules_version": rulebook.version},
            status=status,
            language=contact.language,
            location_lat=location.lat if location else None,
            location_lon=location.lon if location else None,
            location_address=location.address if location else None,
            attachments=[a.model_dump(mode="json") for a in inbound.attachments],
            due_at=same.due_at
            if same
            else due_at_for(
                now, rulebook.sla_hours(category), self.ctx.sla.business_hours, self.ctx.timezone
            ),
            duplicate_of_id=same.id if same else None,
            created_at=now,
            updated_at=now,
        )
        insert_now(session, complaint)
        message.complaint_id = complaint.id
        note = (
            f"same problem as {same.code}"
            if same
            else f"{category} -> {opd} ({result.confidence:.2f})"
        )
        common = {"complaint_id": complaint.id, "created_at": now, "data": None}
        # Core insert, two rows at once: nothing reads these events back in this transaction.
        session.connection().execute(
            INSERT_EVENTS,
            [
                {
                    **common,
                    "kind": "status",
                    "actor": "citizen",
                    "from_status": None,
                    "to_status": Status.received,
                    "note": None,
                },
                {
                    **common,
                    "kind": "linked" if same else "status",
                    "actor": "classifier",
                    "from_status": Status.received,
                    "to_status": status,
                    "note": note,
                },
            ],
        )
        # A contact created by this message has no earlier inbound: no need to look it up.
        # In UTC, as the database would have returned it (a channel may give another zone).
        last_inbound_at = inbound.received_at.astimezone(UTC) if new_contact else None
        ack, choices = self._acknowledge(
            session, contact, inbound, complaint, result, same, last_inbound_at
        )
        if status == Status.routed and same is None:
            dispatch_to_opd(
                session, complaint, self.ctx, "complaint.created", f"dispatch:{complaint.code}:1"
            )
        log.info(
            "complaint %s filed: %s -> %s (%s%s)",
            complaint.code,
            category,
            complaint.opd,
            status,
            f", same as {same.code}" if same else "",
        )
        return Outcome.about(
            "linked" if same else "complaint",
            complaint,
            reply=ack,
            classification=result,
            choices=choices,
            tracking_secret=secret,
        )

    def _acknowledge(
        self,
        session: Session,
        contact: Contact,
        inbound: InboundMessage,
        complaint: Complaint,
        result: Classification,
        same: Complaint | None,
        last_inbound_at: datetime | None = None,
    ) -> tuple[str, list[Button]]:
        """Tell the citizen the code and what happens next; offer categories when unsure."""
        language = contact.language
        ctx = self.ctx
        values = {
            "code": complaint.code,
            "opd": ctx.opd_name(complaint.opd),
            "category": ctx.category_name(language, complaint.category),
            "due": ctx.local_time(complaint.due_at),
            "status": ctx.status_name(language, complaint.status),
        }
        buttons: list[Button] = []
        if same is not None:
            text = ctx.text(language, "duplicate_linked", **values)
        elif complaint.status == Status.needs_review:
            text = ctx.text(language, "ack_review", **values)
            buttons = self._category_choices(complaint, result, language)
            if buttons:
                text = f"{text} {ctx.text(language, 'choose_category', code=complaint.code)}"
        else:
            text = ctx.text(language, "ack", **values)
        message_to_contact(
            session,
            contact,
            text,
            f"ack:{complaint.code}",
            complaint,
            reply_to=inbound.external_id,
            buttons=buttons,
            known_last_inbound_at=last_inbound_at,
        )
        return text, buttons

    def _category_choices(
        self, complaint: Complaint, result: Classification, language: str
    ) -> list[Button]:
        fallback = self.rules().ruleset.settings.fallback_category
        ranked = sorted(
            (
                (score, code)
                for code, score in result.scores.items()
                if score > 0 and code != fallback
            ),
            reverse=True,
        )[:3]
        if not ranked:
            return []
        codes = [code for _, code in ranked] + [fallback]
        return [
            Button(
                label=self.ctx.category_name(language, code),
                payload=f"/kategori {complaint.code} {code}",
            )
            for code in codes
        ]

    def _join_own(
        self,
        session: Session,
        contact: Contact,
        inbound: InboundMessage,
        message: Received,
        open_complaint: Complaint,
    ) -> Outcome:
        """The same citizen repeating an open complaint: keep the words, don't file again."""
        message.complaint_id = open_complaint.id
        session.add(
            Event(
                complaint_id=open_complaint.id,
                kind="citizen_message",
                actor=contact.address,
                note=inbound.text,
            )
        )
        reply = self.ctx.text(
            contact.language,
            "already_reported",
            code=open_complaint.code,
            status=self.ctx.status_name(contact.language, open_complaint.status),
        )
        message_to_contact(
            session,
            contact,
            reply,
            f"reply:{inbound.channel}:{inbound.external_id}",
            open_complaint,
            reply_to=inbound.external_id,
        )
        return Outcome.about("joined", open_complaint, reply=reply)

    def _duplicate(self, session: Session, existing: Message) -> Outcome:
        complaint = session.get(Complaint, existing.complaint_id) if existing.complaint_id else None
        if complaint is None:
            return Outcome(kind="duplicate")
        return Outcome.about("duplicate", complaint)
