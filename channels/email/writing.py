"""OutboundMessage -> a threaded mail: our own Message-ID, In-Reply-To, References, the code."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlparse

from channels.message import OutboundMessage

_UNSAFE = re.compile(r"[^A-Za-z0-9.\-_]+")


def message_id_for(key: str, domain: str) -> str:
    """Our Message-ID for the outbox item `key` (without brackets).

    Derived from the idempotency key, so a retry after a lost SMTP answer sends the same
    Message-ID and the recipient's client shows one mail, not two.
    """
    readable = _UNSAFE.sub(".", key).strip(".")[:60]
    digest = hashlib.sha256(f"{key}|{domain}".encode()).hexdigest()[:12]
    return f"{readable}.{digest}@{domain}"


def thread_id_for(code: str, recipient: str, domain: str) -> str:
    """The id every mail about complaint `code` to `recipient` refers to, so clients that thread
    by References keep them in one conversation even when the core gives no reply_to."""
    digest = hashlib.sha256(f"{code}|{recipient.lower()}".encode()).hexdigest()[:12]
    return f"{code}.{digest}@{domain}"


def recipient_address(recipient: str) -> str:
    scheme, _, address = recipient.partition(":")
    if scheme != "mailto" or "@" not in address:
        raise ValueError(f"not a mailto: address: {recipient!r}")
    return address


def _is_message_id(value: str | None) -> bool:
    """A Message-ID we may put in a header (the core also passes ids like `sha256-…`)."""
    return value is not None and "@" in value and not re.search(r"[\s<>]", value)


def _subject(message: OutboundMessage, title: str, threaded: bool) -> str:
    subject = f"[{message.complaint_code}] {title}" if message.complaint_code else title
    return f"Re: {subject}" if threaded else subject


def _body(message: OutboundMessage) -> str:
    lines = [message.text.strip()]
    if message.buttons:
        lines.append("")
        lines.extend(f"- {button.label}: {button.payload}" for button in message.buttons)
    location = message.location
    if location is not None and location.lat is not None and location.lon is not None:
        lines.append("")
        lines.append(
            f"https://www.openstreetmap.org/?mlat={location.lat}&mlon={location.lon}"
            f"#map=18/{location.lat}/{location.lon}"
        )
    links = [a.url for a in message.attachments if not a.url.startswith("file:")]
    if links:
        lines.append("")
        lines.extend(links)
    return "\n".join(lines) + "\n"


def local_files(message: OutboundMessage, root: Path, max_bytes: int) -> list[tuple[Path, str]]:
    """Attachments stored by this channel (file: URLs under `root`) small enough to attach."""
    found = []
    root = root.resolve()
    for attachment in message.attachments:
        parsed = urlparse(attachment.url)
        if parsed.scheme != "file":
            continue
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            continue  # only our own stored files: an address in the payload must not leak others
        if path.stat().st_size <= max_bytes:
            found.append((path, attachment.content_type))
    return found


def compose(
    message: OutboundMessage,
    sender: Address,
    domain: str,
    title: str,
    files: Sequence[tuple[Path, str]] = (),
) -> EmailMessage:
    """The mail for `message`; threaded on `reply_to` and on the complaint code."""
    mail = EmailMessage()
    to = recipient_address(message.recipient)
    references: list[str] = []
    replying = message.reply_to if _is_message_id(message.reply_to) else None
    if replying:
        references.append(replying)
    if message.complaint_code:
        references.append(thread_id_for(message.complaint_code, to, domain))
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = _subject(message, title, threaded=bool(replying))
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = f"<{message_id_for(message.idempotency_key, domain)}>"
    if references:
        mail["In-Reply-To"] = f"<{references[0]}>"
        mail["References"] = " ".join(f"<{ref}>" for ref in references)
    # RFC 3834, and Exchange's own switch: no out-of-office answers to what we send.
    mail["Auto-Submitted"] = "auto-replied"
    mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(_body(message))
    for path, content_type in files:
        kind = content_type if "/" in content_type else mimetypes.guess_type(path.name)[0]
        maintype, _, subtype = (kind or "application/octet-stream").partition("/")
        mail.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return mail
