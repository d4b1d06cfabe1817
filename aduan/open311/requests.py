"""What an Open311 client sends: a new service request (POST), or which ones it wants (GET)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aduan.complaints.codes import find_code
from aduan.complaints.contact_address import phone_address
from aduan.open311.formats import Open311Error
from aduan.open311.services import PUBLIC_STATUSES, STATUSES
from channels.fetching import check_link
from channels.message import Attachment, InboundMessage, Location

CHANNEL = "web"  # Open311 clients are web clients: same keys, same citizens, same replies
WINDOW = timedelta(days=90)  # the spec's default, and widest, date range
MAX_REQUESTS = 1000  # the most one GET answers, as the spec allows
MAX_IDS = 200  # the longest idempotency key kept (as on the web channel)


class NewRequest(BaseModel):
    """A POST's parameters (what the spec defines; others, e.g. `attribute[…]`, are ignored)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    service_code: str = Field(min_length=1, max_length=64)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: str | None = Field(default=None, max_length=500)
    address_id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    device_id: str | None = Field(default=None, max_length=100)
    account_id: str | None = Field(default=None, max_length=100)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[\d\s().-]{6,31}$")
    description: str | None = Field(default=None, max_length=4000)
    media_url: str | None = Field(default=None, max_length=2000)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.replace("\x00", "")  # as every stored message: no NUL
            return value if value.strip() else None
        return value

    @field_validator("lat", "long")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        """The number in E.164 (`+62812…`), as every channel keeps phones."""
        return phone_address(value).removeprefix("tel:") if value else value

    @field_validator("media_url")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return check_link(value) if value else value

    def location(self) -> Location:
        """Where it is: the spec requires lat and long, or an address."""
        if (self.lat is None) != (self.long is None):
            raise Open311Error(400, "lat and long must be given together")
        if self.lat is None and not self.address_string:
            if self.address_id:
                raise Open311Error(400, "address_id is not supported: send lat and long")
            raise Open311Error(400, "a location is required: lat and long, or address_string")
        return Location(lat=self.lat, lon=self.long, address=self.address_string)

    def citizen(self) -> str | None:
        """Who the citizen is in the client's namespace: e-mail, phone or the app's own ids."""
        if self.email:
            return f"mailto:{self.email.lower()}"
        if self.phone:
            return f"tel:{self.phone}"
        if self.account_id:
            return f"account:{self.account_id}"
        if self.device_id:
            return f"device:{self.device_id}"
        return None

    def name(self) -> str | None:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or None


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in error.errors()
    )


def read_new_request(params: Mapping[str, str]) -> NewRequest:
    """The POST's parameters, validated; 400 with what is wrong."""
    try:
        return NewRequest.model_validate(dict(params))
    except ValidationError as exc:
        raise Open311Error(400, _describe(exc)) from None


def inbound(
    request: NewRequest, client: str, service_name: str, idempotency_key: str | None
) -> InboundMessage:
    """The request as a message on the web channel from `client`'s citizen, its category fixed.

    Without a way to tell who the citizen is, each request comes from a fresh sender, as an
    anonymous web submission does. A repeated `Idempotency-Key` is the same delivery.
    """
    location = request.location()
    citizen = request.citizen()
    sender = f"web:{client}:{citizen}" if citizen else f"web:anon-{uuid.uuid4().hex[:12]}"
    if idempotency_key is not None and len(idempotency_key) > MAX_IDS:
        raise Open311Error(400, f"Idempotency-Key: at most {MAX_IDS} characters")
    key = idempotency_key or uuid.uuid4().hex
    attachments = [Attachment(url=request.media_url)] if request.media_url else []
    return InboundMessage(
        channel=CHANNEL,
        external_id=f"{client}:open311:{key}",
        sender=sender,
        sender_name=request.name(),
        text=request.description or service_name,
        location=location,
        attachments=attachments,
        category=request.service_code,
        raw={"open311": request.model_dump(mode="json", exclude_none=True)},
    )


@dataclass(frozen=True)
class Query:
    """A GET's filters, read: codes (overriding the rest), categories, statuses, a window."""

    codes: Sequence[str] | None  # None: not asked for by id (an empty parameter is not asking)
    categories: Sequence[str] | None  # None: every public one
    statuses: Sequence[str]
    start: datetime
    end: datetime


def _list(params: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def _moment(params: Mapping[str, str], name: str, zone: ZoneInfo) -> datetime | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))  # a '+' sent unescaped
    except ValueError:
        raise Open311Error(400, f"{name}: {value[:40]!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """Both ends of the date window; a missing end is 90 days from the other (or now)."""
    try:
        if start is None:
            end = end if end is not None else now
            return end - WINDOW, end
        return start, end if end is not None else start + WINDOW
    except OverflowError:
        raise Open311Error(400, "start_date or end_date is out of range") from None


def read_query(params: Mapping[str, str], now: datetime, zone: ZoneInfo) -> Query:
    """The filters of GET requests; dates default to the last 90 days and span at most 90."""
    statuses: list[str] = []
    for status in _list(params, "status"):
        if status.lower() not in STATUSES:
            raise Open311Error(400, f"status: {status[:20]!r} is neither open nor closed")
        statuses.extend(STATUSES[status.lower()])
    start, end = _window(
        _moment(params, "start_date", zone), _moment(params, "end_date", zone), now
    )
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may span at most 90 days")
    codes = None
    if params.get("service_request_id", "").strip():
        codes = [c for c in map(find_code, _list(params, "service_request_id")) if c]
    return Query(
        codes=codes[:MAX_REQUESTS] if codes is not None else None,
        categories=_list(params, "service_code") or None,
        statuses=statuses or list(PUBLIC_STATUSES),
        start=start,
        end=end,
    )
