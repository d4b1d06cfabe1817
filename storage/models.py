"""The tables. One module so that migrations and readers see the whole schema at once."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _time(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _json(default: Any = None) -> Any:
    factory = (lambda: None) if default is None else (lambda: type(default)())
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=default is None))


class Status(StrEnum):
    received = "received"
    needs_review = "needs_review"
    routed = "routed"
    in_progress = "in_progress"
    resolved = "resolved"
    rejected = "rejected"
    reassigned = "reassigned"
    reopened = "reopened"


OPEN_STATUSES = (
    Status.received,
    Status.needs_review,
    Status.routed,
    Status.in_progress,
    Status.reassigned,
    Status.reopened,
)


class Contact(SQLModel, table=True):
    """A citizen (or staff member) as one channel knows them."""

    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    address: str = Field(max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    language: str = Field(default="id", max_length=8)
    unreachable: bool = False
    opted_out: bool = False
    created_at: datetime = _created()


# Candidates for "the same problem": the newest original complaints of one category. Partial,
# so that the lookup reads only originals, however many linked duplicates pile up.
ORIGINALS_ONLY = text("duplicate_of_id IS NULL")


class Complaint(SQLModel, table=True):
    __table_args__ = (
        Index(
            "ix_complaint_same_problem",
            "category",
            "created_at",
            sqlite_where=ORIGINALS_ONLY,
            postgresql_where=ORIGINALS_ONLY,
        ),
        # Covers every column the scorecard adds up (storage/scorecard.py): the public rapor
        # reads this index, not the wide rows (their texts and explanations).
        Index(
            "ix_complaint_scorecard",
            "duplicate_of_id",
            "opd",
            "category",
            "status",
            "created_at",
            "due_at",
            "first_response_at",
            "resolved_at",
            "rating",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=32)
    text: str
    category: str = Field(max_length=64, index=True)
    opd: str = Field(max_length=64, index=True)
    confidence: float = 0.0
    explanation: dict[str, Any] | None = _json()
    status: str = Field(default=Status.received, max_length=32, index=True)
    language: str = Field(default="id", max_length=8)
    location_lat: float | None = None
    location_lon: float | None = None
    location_address: str | None = None
    attachments: list[dict[str, Any]] = _json([])
    due_at: datetime | None = _time(index=True)
    created_at: datetime = _created()
    updated_at: datetime = _created()
    first_response_at: datetime | None = _time()
    resolved_at: datetime | None = _time()
    rating: int | None = None
    duplicate_of_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    awaiting_citizen: bool = False
    reminded_at: datetime | None = _time()
    escalated_at: datetime | None = _time()
    escalations: int = 0
    # Hash of the per-complaint tracking secret (shown once to the citizen who filed it).
    secret_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # Where it happened, as the classifier read it from the text (official names, see Area).
    kecamatan: str | None = Field(default=None, max_length=128, index=True)
    desa: str | None = Field(default=None, max_length=128)


class Message(SQLModel, table=True):
    """Every message in either direction; inbound ones are unique per channel and provider id."""

    __table_args__ = (UniqueConstraint("channel", "direction", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(max_length=3)  # "in" or "out"
    channel: str = Field(max_length=32)
    external_id: str | None = Field(default=None, max_length=255)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    text: str = ""
    payload: dict[str, Any] | None = _json()
    delivery_state: str | None = Field(default=None, max_length=16)
    delivery_error: str | None = None
    created_at: datetime = _created()


class Event(SQLModel, table=True):
    """The audit trail: who did what to which complaint, and when."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=255)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    note: str | None = None
    data: dict[str, Any] | None = _json()
    created_at: datetime = _created()


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    dead = "dead"


class OutboxItem(SQLModel, table=True):
    """Work to send: a message on a channel, or a complaint dispatched to an OPD destination."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # "message" or "dispatch"
    target: str = Field(max_length=64)  # channel name, or "webhook"/"smtp" (OPD destinations)
    payload: dict[str, Any] = _json({})
    idempotency_key: str = Field(max_length=255, unique=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    status: str = Field(default=OutboxStatus.pending, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _created()
    locked_until: datetime | None = _time()
    last_error: str | None = None
    created_at: datetime = _created()
    sent_at: datetime | None = _time()


class ChannelCursor(SQLModel, table=True):
    """Where a polling channel stopped (e.g. Telegram offset, IMAP UIDVALIDITY+UID)."""

    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    key: str = Field(max_length=255)
    value: str
    updated_at: datetime = _created()


class RuleVersion(SQLModel, table=True):
    """One version of the routing rules; the newest is in force everywhere."""

    id: int | None = Field(default=None, primary_key=True)
    rules: dict[str, Any] = _json({})
    author: str = Field(max_length=255)
    note: str = ""
    created_at: datetime = _created()


class Staff(SQLModel, table=True):
    """A person who acts on complaints: staff of one OPD, or an admin (all OPDs)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    opd: str | None = Field(default=None, max_length=64, index=True)
    role: str = Field(default="staff", max_length=16)  # "staff" or "admin"
    active: bool = True
    # Console sign-in. Staff from config.yaml's `staff:` are "config" (kept in step with it);
    # accounts made with `aduan staff add` are "console" and outlive config changes.
    origin: str = Field(default="config", max_length=16)
    login: str | None = Field(default=None, max_length=64, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)  # argon2id, never clear
    password_temporary: bool = False  # a one-time password: to be replaced at first sign-in
    failed_signins: int = 0
    locked_until: datetime | None = _time()


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the database only its hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime = _created()
    last_seen_at: datetime = _created()
    ended_at: datetime | None = _time()


class StaffAddress(SQLModel, table=True):
    """One way a staff member is known: `telegram:123`, `mailto:a@b.id`, `tel:+62…`."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    address: str = Field(max_length=255, unique=True)


class OpdToken(SQLModel, table=True):
    """A bearer token an OPD's own system uses on the status API (only its hash is kept)."""

    id: int | None = Field(default=None, primary_key=True)
    opd: str = Field(max_length=64, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = ""
    created_at: datetime = _created()
    revoked_at: datetime | None = _time()


class WebClientKey(SQLModel, table=True):
    """An API key of a website or app on the web channel (only its hash is kept).

    A client may hold several keys (rotation); its citizens are namespaced by `client`.
    """

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=32, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    label: str = ""
    created_at: datetime = _created()
    revoked_at: datetime | None = _time()


class Area(SQLModel, table=True):
    """The deployment's official area list (Kemendagri codes): province, regency, kecamatan,
    desa/kelurahan. Filled by `aduan areas import`; the classifier reads the names from it."""

    code: str = Field(primary_key=True, max_length=16)  # e.g. 32.04.05.2001
    parent_code: str | None = Field(default=None, max_length=16, index=True)
    level: str = Field(max_length=16)  # province | regency | kecamatan | desa | kelurahan
    name: str = Field(max_length=128)
    imported_at: datetime = _created()


class Photo(SQLModel, table=True):
    """A photo a citizen uploaded on the public report page, its metadata (EXIF) removed.

    Served at /foto/{key}; the random key is the only way to name it.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=43, unique=True)
    content_type: str = Field(max_length=32)
    data: bytes = Field(sa_type=LargeBinary, nullable=False)
    created_at: datetime = _created()


class Deployment(SQLModel, table=True):
    """The deployment this database belongs to: one row, the instance that claimed it.

    A command run with another deployment's configuration is refused, so one region's rules,
    OPDs and staff never land in another's database.
    """

    id: int | None = Field(default=None, primary_key=True)
    instance: str = Field(max_length=255)
    claimed_at: datetime = _created()


class Follower(SQLModel, table=True):
    """A contact a citizen gave on a web form to hear about their report (e-mail, phone).

    The tracking link is sent to it once (`link_sent_at`); it hears of status changes only
    after someone opened the confirm link in that message (`confirmed_at`): whoever fills in
    a form may type anyone's address.
    """

    __table_args__ = (
        UniqueConstraint("complaint_id", "contact_id"),
        Index("ix_follower_contact_sent", "contact_id", "link_sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    contact_id: int = Field(foreign_key="contact.id")
    confirm_hash: str = Field(max_length=64)
    link_sent_at: datetime = _created()
    confirmed_at: datetime | None = _time()
