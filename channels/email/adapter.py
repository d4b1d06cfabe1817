"""The `email` channel: IMAP in (IDLE or polling, exactly once), SMTP out (threaded)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

from channels.contract import (
    ChannelConfig,
    InvalidRequest,
    Parsed,
    RawRequest,
    RawResponse,
    SendError,
    Sink,
)
from channels.email.config import EmailConfig
from channels.email.polling import MailPoller
from channels.email.writing import compose, local_files, message_id_for, recipient_address
from channels.fetching import MediaRefused
from channels.message import OutboundMessage, SendResult


class EmailAdapter:
    """Citizens and OPD staff writing to the complaint mailbox, and our answers to them."""

    name: ClassVar[str] = "email"
    Config: ClassVar[type[ChannelConfig]] = EmailConfig
    secrets: ClassVar[dict[str, str]] = {
        "imap_password": "ADUAN_EMAIL_IMAP_PASSWORD",
        "smtp_password": "ADUAN_EMAIL_SMTP_PASSWORD",
    }

    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        # One poller for the adapter's life: it remembers mail the core failed on across
        # restarts of `poll`, so a poison mail is set aside instead of blocking the queue.
        self.poller = MailPoller(config, self.name)

    def parse(self, request: RawRequest) -> list[Parsed]:
        raise InvalidRequest("the email channel reads its mailbox over IMAP; it has no webhook")

    def respond(self, request: RawRequest, parsed: list[Parsed]) -> RawResponse:
        return RawResponse()

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        """An image the poller stored from a mail: a file:// URL inside `attachments_dir` only."""
        root = self.config.attachments_dir.resolve()
        path = Path(unquote(urlsplit(url).path)).resolve() if url.startswith("file:") else None
        if path is None or not path.is_relative_to(root) or not path.is_file():
            raise MediaRefused(f"not an attachment of this mailbox: {url[:80]!r}")
        data = await asyncio.to_thread(path.read_bytes)
        return data, "application/octet-stream"

    async def poll(self, sink: Sink, stop: asyncio.Event) -> None:
        await self.poller.run(sink, stop)

    async def send(self, message: OutboundMessage) -> SendResult:
        """Mail `message`; the result's external id is our Message-ID, which replies cite."""
        try:
            recipient_address(message.recipient)
        except ValueError as exc:
            raise SendError(str(exc), retryable=False) from exc
        config = self.config
        files = local_files(message, config.attachments_dir, config.max_attachment_bytes)
        mail = compose(message, config.sender, config.domain, config.subject, files)
        try:
            await asyncio.to_thread(self._submit, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            raise SendError(
                f"recipient refused: {exc.recipients}",
                retryable=not permanent,
                unreachable=permanent,
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP login refused: {exc.smtp_code}", retryable=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code < 500
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(
                f"SMTP unavailable: {type(exc).__name__}: {exc}", retryable=True
            ) from exc
        return SendResult(external_id=message_id_for(message.idempotency_key, config.domain))

    def _submit(self, mail: EmailMessage) -> None:
        config = self.config
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if config.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                config.smtp_host, config.smtp_port, timeout=config.timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(
                config.smtp_host, config.smtp_port, timeout=config.timeout_seconds
            )
        with client:
            if config.smtp_security == "starttls":
                client.starttls(context=context)
            if config.smtp_user:
                password = config.smtp_password.get_secret_value() if config.smtp_password else ""
                client.login(config.smtp_user, password)
            # An empty envelope sender is for bounces only; ours is our own address.
            client.send_message(mail, from_addr=config.address)
