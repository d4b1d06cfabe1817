"""Delivering a complaint to an OPD destination: signed webhook or SMTP email."""

from __future__ import annotations

import asyncio
import json
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx

from channels.contract import SendError
from channels.http import SharedClient
from channels.message import SendResult
from channels.signing import SIGNATURE_HEADER, sign
from dispatch.enqueue import email_values
from dispatch.templates import DEFAULTS

RETRYABLE_HTTP = frozenset({408, 425, 429})
# One pool per OPD endpoint: the worker sends a few at a time to each (dispatch.per_destination).
DESTINATION_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=16)


async def send_webhook(
    payload: Mapping[str, Any], env: Mapping[str, str], client: SharedClient | None = None
) -> SendResult:
    """POST the complaint document; 2xx is success, 408/429/5xx and network errors retry.

    `client` keeps connections open between sends, one pool per destination (without it,
    this send opens its own).
    """
    destination = payload["destination"]
    secret = env.get(destination["secret_env"])
    if not secret:
        raise SendError(f"{destination['secret_env']} is not set", retryable=True)
    body = json.dumps(payload["document"], ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": payload["idempotency_key"],
        "X-Aduan-Event": payload["document"]["event"],
        SIGNATURE_HEADER: sign(secret, body),
    }
    timeout = destination.get("timeout_seconds", 10)
    try:
        if client is None:
            async with httpx.AsyncClient() as own:
                response = await own.post(
                    destination["url"], content=body, headers=headers, timeout=timeout
                )
        else:
            response = await client.get(destination["url"]).post(
                destination["url"], content=body, headers=headers, timeout=timeout
            )
    except httpx.HTTPError as exc:
        raise SendError(
            f"webhook unreachable: {type(exc).__name__}: {exc}", retryable=True
        ) from exc
    if response.is_success:
        return SendResult(external_id=response.headers.get("X-Request-Id"))
    retryable = response.status_code >= 500 or response.status_code in RETRYABLE_HTTP
    raise SendError(
        f"webhook answered {response.status_code}: {response.text[:200]}", retryable=retryable
    )


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings | None:
        host = env.get("ADUAN_SMTP_HOST")
        if not host:
            return None
        return cls(
            host=host,
            port=int(env.get("ADUAN_SMTP_PORT", "25")),
            sender=env.get("ADUAN_SMTP_FROM", "aduan@localhost"),
            user=env.get("ADUAN_SMTP_USER"),
            password=env.get("ADUAN_SMTP_PASSWORD"),
            starttls=env.get("ADUAN_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        )


def complaint_email(
    document: Mapping[str, Any], text: str, to: str, sender: str, key: str
) -> EmailMessage:
    """A plain-text email of the complaint saying `text`, with the tracking code in the subject."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    notice = document.get("notice")  # SLA reminders and escalations say what they are
    tag = f"{notice.split(':', 1)[0]}: " if notice else ""
    start = " ".join(document["text"][:60].split())  # a header holds no line break
    mail["Subject"] = f"[{document['code']}] {tag}{document['category_name']}: {start}"
    mail["Message-ID"] = make_msgid(idstring=key.replace(":", "."), domain="aduan.local")
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(f"{notice}\n\n{text}" if notice else text)
    return mail


def _smtp_send(settings: SmtpSettings, mail: EmailMessage) -> None:
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(mail)


async def send_email(payload: Mapping[str, Any], env: Mapping[str, str]) -> SendResult:
    """Mail the complaint; 5xx refusals are permanent, everything else retries."""
    settings = SmtpSettings.from_env(env)
    if settings is None:
        raise SendError("ADUAN_SMTP_HOST is not set", retryable=True)
    document = payload["document"]
    # Queued before emails were rendered from the templates: the default text.
    text = payload.get("text") or DEFAULTS["id"]["opd_email"].format(**email_values(document))
    mail = complaint_email(
        document,
        text,
        payload["destination"]["address"],
        settings.sender,
        payload["idempotency_key"],
    )
    try:
        await asyncio.to_thread(_smtp_send, settings, mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise SendError(
            f"recipient refused: {exc.recipients}", retryable=any(c < 500 for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise SendError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code < 500
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"SMTP unavailable: {exc!r}", retryable=True) from exc
    return SendResult(external_id=mail["Message-ID"])


def destination_senders(env: Mapping[str, str]) -> dict[str, Any]:
    """Senders, by outbox target, for the OPD destination kinds that work in this environment.

    OPD email is "smtp" (see `dispatch.destinations.OUTBOX_TARGETS`). The webhook sender
    keeps one client (per event loop) for all its sends.
    """
    client = SharedClient(DESTINATION_LIMITS)
    senders: dict[str, Any] = {"webhook": lambda p: send_webhook(p, env, client)}
    if SmtpSettings.from_env(env):
        senders["smtp"] = lambda p: send_email(p, env)
    return senders
