"""One raw mail -> what Aduan does with it: take it in, leave it unanswered, or set it aside.

Pure: no I/O. The attachments kept (photos, audio, PDFs) are returned as bytes with the path
they are to be stored at, and the poller writes them before it hands the message over.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors, policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, Parser
from email.utils import parseaddr
from pathlib import Path
from typing import Literal, cast

from channels.contract import Parsed
from channels.email.charsets import decode_text, header_text, unescape
from channels.email.loops import automatic_reason
from channels.email.text import html_to_text, written_text
from channels.message import (
    MAX_ID_CHARS,
    MAX_TEXT_CHARS,
    Attachment,
    DeliveryReceipt,
    InboundMessage,
)

Verdict = Literal["accept", "automatic", "set_aside"]

# Defects after which the parser could not find a multipart's parts: in the mail itself, whatever
# text we took would be wrong; in one nested part, the rest of the mail is still readable.
BROKEN_STRUCTURE = (
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)
# What a citizen attaches that is kept: photos, voice recordings, PDFs (a letter, a receipt).
KEPT_SUFFIXES = {
    "application/pdf": ".pdf",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/mp4": ".m4a",
    "audio/amr": ".amr",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
}
_MSGID = re.compile(r"<([^<>\s]+)>")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class ReadSettings:
    channel: str
    own_addresses: Collection[str]
    message_id_domain: str
    attachments_dir: Path
    max_parts: int = 100
    max_attachments: int = 5
    max_attachment_bytes: int = 5_000_000


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    items: list[Parsed] = field(default_factory=list)
    reason: str = ""
    files: dict[Path, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def message_ids(value: object) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, without angle brackets."""
    return _MSGID.findall(str(value or ""))


def read_mail(raw: bytes, settings: ReadSettings, received_at: datetime | None = None) -> Reading:
    """Decide what `raw` is; never raises, a mail we cannot read is set aside with the reason."""
    try:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(mail, EmailMessage)
        return _read(mail, raw, settings, received_at or datetime.now(UTC))
    except LookupError as exc:
        return Reading("set_aside", reason=f"unknown charset: {exc}")
    except Exception as exc:  # the email package raises many kinds on hostile input
        return Reading("set_aside", reason=f"unreadable: {type(exc).__name__}: {exc}")


def _read(mail: EmailMessage, raw: bytes, settings: ReadSettings, received_at: datetime) -> Reading:
    parts = list(mail.walk())
    if len(parts) > settings.max_parts:
        return Reading("set_aside", reason=f"{len(parts)} MIME parts (limit {settings.max_parts})")
    if any(isinstance(d, BROKEN_STRUCTURE) for d in mail.defects):
        return Reading("set_aside", reason=f"malformed MIME: {type(mail.defects[0]).__name__}")
    broken = _pass_by_broken_parts(mail, parts)
    sender, name = _sender(mail)
    if sender is None:
        return Reading("set_aside", reason="no valid From address")

    automatic = automatic_reason(mail, sender, settings.own_addresses)
    if automatic is not None:
        receipt = _bounce_receipt(mail, settings)
        return Reading("automatic", items=[receipt] if receipt else [], reason=automatic)
    return _accept(mail, raw, parts, settings, received_at, (sender, name), broken)


def _pass_by_broken_parts(mail: EmailMessage, parts: list[EmailMessage]) -> dict[str, str]:
    """The parts of broken structure, by content type -> defect; each made opaque data."""
    broken = {
        part.get_content_type(): type(defect).__name__
        for part in parts
        for defect in part.defects
        if isinstance(defect, BROKEN_STRUCTURE)
    }
    for part in parts:
        if part is not mail and any(isinstance(d, BROKEN_STRUCTURE) for d in part.defects):
            # Its parts are lost; as opaque data, the search for the text passes it by.
            part.replace_header("Content-Type", "application/octet-stream")
    return broken


def _accept(
    mail: EmailMessage,
    raw: bytes,
    parts: list[EmailMessage],
    settings: ReadSettings,
    received_at: datetime,
    sender: tuple[str, str | None],
    broken: dict[str, str],
) -> Reading:
    """A mail from a person: its text, subject, attachments and the complaint it replies to."""
    notes = [f"malformed MIME part {kind} skipped: {name}" for kind, name in broken.items()]
    attachments, files, file_notes = _files(parts, settings)
    notes += file_notes
    subject = _header(mail, "Subject")
    reply_to = _reply_to(mail, settings.message_id_domain)
    body = _body_text(mail, subject, notes)
    if not body and broken:
        return Reading("set_aside", reason=f"malformed MIME: {next(iter(broken.values()))}")
    # A new mail with everything in the subject ("Lampu jalan mati di Jl. Mawar") is common
    # from phones; a reply's subject is only ours quoted back.
    text = body or ("" if reply_to else subject or "")
    inbound = InboundMessage(
        channel=settings.channel,
        external_id=_external_id(mail, raw),
        sender=f"mailto:{sender[0]}",
        sender_name=sender[1],
        text=text[:MAX_TEXT_CHARS],
        subject=subject,
        attachments=attachments,
        received_at=received_at,
        reply_to=reply_to,
        raw=_audit(mail),
    )
    return Reading("accept", items=[inbound], files=files, notes=notes)


def _damaged(text: str) -> bool:
    """Whether the parser left undecodable bytes (surrogates) or replacement characters."""
    return "\ufffd" in text or any("\udc80" <= char <= "\udcff" for char in text)


def _raw_header(mail: EmailMessage, name: str) -> str | None:
    return next((v for k, v in mail.raw_items() if k.lower() == name.lower()), None)


def _header(mail: EmailMessage, name: str) -> str | None:
    """An unstructured header's text; one the parser could not decode is decoded again by us."""
    value = str(mail.get(name, ""))
    raw = _raw_header(mail, name)
    if raw is not None and _damaged(value):
        value = header_text(raw)
    return value.strip() or None


def _sender(mail: EmailMessage) -> tuple[str | None, str | None]:
    header = mail.get("From")
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    for address in addresses:
        # An internationalised address (RFC 6532) arrives as raw UTF-8.
        candidate = unescape(address.addr_spec).strip().lower()
        if _ADDRESS.match(candidate) and len(candidate) <= MAX_ID_CHARS:
            return candidate, _display_name(mail, address.display_name)
    return None, None


def _display_name(mail: EmailMessage, parsed: str) -> str | None:
    raw = _raw_header(mail, "From")
    name = parseaddr(header_text(raw))[0] if raw is not None and _damaged(parsed) else parsed
    return name.strip() or None


def _external_id(mail: EmailMessage, raw: bytes) -> str:
    """The Message-ID, the same whichever UID the mail has; a content hash when there is none."""
    ids = message_ids(mail.get("Message-ID"))
    if ids and len(ids[0]) <= MAX_ID_CHARS:
        return ids[0]
    return "sha256-" + hashlib.sha256(raw).hexdigest()


def _reply_to(mail: EmailMessage, our_domain: str) -> str | None:
    """The message answered: preferably one of ours, so a reply to a colleague's forward of our
    mail still finds its complaint through References."""
    in_reply_to = message_ids(mail.get("In-Reply-To"))
    candidates = [*in_reply_to, *reversed(message_ids(mail.get("References")))]
    for candidate in candidates:
        if candidate.rpartition("@")[2].lower() == our_domain.lower():
            return candidate
    return candidates[0] if candidates else None


def _body_text(mail: EmailMessage, subject: str | None, notes: list[str]) -> str:
    """What the sender wrote, and the text of any mail they forwarded as an attachment."""
    texts = []
    body = mail.get_body(preferencelist=("plain", "html"))
    if body is not None:
        payload = body.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        decoded = decode_text(data, body.get_content_charset())
        if decoded.note:
            notes.append(decoded.note)
        content = decoded.text.replace("\r\n", "\n").replace("\r", "\n")  # as sent: CRLF
        if body.get_content_subtype() == "html":
            content = html_to_text(content)
        texts.append(written_text(content, subject))
    for part in mail.iter_attachments():
        inner = part.get_payload(0) if part.get_content_type() == "message/rfc822" else None
        if isinstance(inner, EmailMessage):
            texts.append(_body_text(inner, _header(inner, "Subject"), notes))
    return "\n\n".join(text for text in texts if text)


def _files(
    parts: list[EmailMessage], settings: ReadSettings
) -> tuple[list[Attachment], dict[Path, bytes], list[str]]:
    attachments: list[Attachment] = []
    files: dict[Path, bytes] = {}
    notes: list[str] = []
    for part in parts:
        suffix = KEPT_SUFFIXES.get(part.get_content_type())
        if suffix is None:
            continue
        payload = part.get_payload(decode=True)  # bytes: such a part is never multipart
        data = payload if isinstance(payload, bytes) else b""
        if len(data) > settings.max_attachment_bytes:
            notes.append(f"attachment of {len(data)} bytes skipped (limit)")
            continue
        if len(attachments) >= settings.max_attachments:
            notes.append("attachment skipped (too many)")
            continue
        path = settings.attachments_dir / f"{hashlib.sha256(data).hexdigest()}{suffix}"
        files[path] = data
        attachments.append(
            Attachment(
                url=path.resolve().as_uri(),
                content_type=part.get_content_type(),
                size=len(data),
                name=part.get_filename(),
            )
        )
    return attachments, files, notes


def _bounce_receipt(mail: EmailMessage, settings: ReadSettings) -> DeliveryReceipt | None:
    """A delivery status report about one of our mails -> a failed receipt for that mail."""
    if mail.get_content_type() != "multipart/report":
        return None
    report = _report(mail)
    ours = [
        i for i in report.original if i.rpartition("@")[2].lower() == settings.message_id_domain
    ]
    if not ours or str(report.action or "").strip().lower() != "failed":
        return None
    code = str(report.status or "").strip() or None
    return DeliveryReceipt(
        channel=settings.channel,
        external_id=ours[0],
        state="failed",
        error_code=code,
        error_message=" ".join(str(report.diagnostic or "").split())[:500] or None,
        # RFC 3463: 5.1.x is a permanent addressing failure (no such mailbox, no such domain).
        unreachable=bool(code and code.startswith("5.1.")),
    )


@dataclass
class _Report:
    """What a delivery status report says: the first of each field, and the mail it is about."""

    action: str | None = None
    status: str | None = None
    diagnostic: str | None = None
    original: list[str] = field(default_factory=list)


def _report(mail: EmailMessage) -> _Report:
    report = _Report()
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            # The parser always makes a list of header blocks of a delivery-status part.
            for block in cast(list[Message], part.get_payload()):
                report.action = report.action or block.get("Action")
                report.status = report.status or block.get("Status")
                report.diagnostic = report.diagnostic or block.get("Diagnostic-Code")
        elif kind == "message/rfc822" and isinstance(inner := part.get_payload(0), Message):
            report.original = report.original or message_ids(inner.get("Message-ID"))
        elif kind == "text/rfc822-headers":
            headers = Parser(policy=policy.default).parsestr(part.get_content(), headersonly=True)
            report.original = report.original or message_ids(headers.get("Message-ID"))
    return report


def _audit(mail: EmailMessage) -> dict[str, str]:
    """The headers worth keeping for audit; the body is already in the message text."""
    keep = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References")
    return {name: str(mail[name])[:2000] for name in keep if mail[name] is not None}
