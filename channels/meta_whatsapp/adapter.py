"""WhatsApp through Meta's Cloud API: signed JSON webhooks in, the Graph API (httpx) out."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from channels.contract import (
    ChannelConfig,
    InvalidRequest,
    Parsed,
    RawRequest,
    RawResponse,
    SendError,
    TooLarge,
    Unauthenticated,
)
from channels.fetching import MediaLimits, MediaRefused, fetch
from channels.http import SharedClient
from channels.masking import mask_address
from channels.message import OutboundMessage, SendResult
from channels.meta_whatsapp.codes import RETRYABLE_CODES, unreachable
from channels.meta_whatsapp.webhook import Notification, Value, first_error, messages_of
from channels.whatsapp_window import outside_window, template_parameter

log = logging.getLogger("aduan.channels.meta_whatsapp")

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY_BYTES = 1_000_000  # Meta batches up to 1,000 updates in one POST
MAX_REPLY_BUTTONS = 3
MAX_LIST_ROWS = 10
INTERACTIVE_BODY_CHARS = 1024


class Template(BaseModel):
    """An approved message template, sent when the 24-hour window is closed."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    language: str = Field(default="id", min_length=2)
    parameters: list[str] = Field(
        default_factory=lambda: ["{text}"],
        description="body parameters in order; {text} and {code} are filled in",
    )


class MetaWhatsAppConfig(ChannelConfig):
    phone_number_id: str = Field(pattern=r"^\d+$")
    access_token: SecretStr
    app_secret: SecretStr
    verify_token: SecretStr
    graph_url: str = Field(default="https://graph.facebook.com", pattern=r"^https?://")
    api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    timeout_seconds: float = Field(default=15, gt=0)
    list_button: str = Field(
        default="Pilih", max_length=20, description="label of the button that opens a list"
    )
    template: Template | None = None
    media: MediaLimits = Field(default_factory=MediaLimits)


def classify_error(response: httpx.Response) -> SendError:
    """A Graph API error answer as a retryable or permanent send error, with Meta's reason."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code")
    details = (error.get("error_data") or {}).get("details")
    reason = "; ".join(filter(None, [error.get("message"), details])) or response.text[:200]
    message = f"Graph API {response.status_code} error {code}: {reason}"
    retry_after = response.headers.get("Retry-After")
    if response.status_code == 429 or response.status_code >= 500 or code in RETRYABLE_CODES:
        return SendError(
            message,
            retryable=True,
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
        )
    return SendError(message, retryable=False, unreachable=unreachable(code))


def _to(message: OutboundMessage) -> dict[str, str]:
    """A phone number goes in `to`; a business-scoped user id (no number known) in `recipient`."""
    address = message.recipient.removeprefix("whatsapp:")
    if address.startswith("+") or address.isdigit():
        return {"to": address.lstrip("+")}
    return {"recipient": address}


class MetaWhatsAppAdapter:
    """WhatsApp Cloud API: one phone number of one WhatsApp Business Account."""

    name: ClassVar[str] = "meta_whatsapp"
    Config: ClassVar[type[ChannelConfig]] = MetaWhatsAppConfig
    secrets: ClassVar[dict[str, str]] = {
        "access_token": "META_WHATSAPP_ACCESS_TOKEN",
        "app_secret": "META_WHATSAPP_APP_SECRET",
        "verify_token": "META_WHATSAPP_VERIFY_TOKEN",
    }

    def __init__(self, config: MetaWhatsAppConfig) -> None:
        self.config = config
        self.base = f"{config.graph_url.rstrip('/')}/{config.api_version}"
        self._http = SharedClient()  # one keep-alive client for every send

    # -- inbound ---------------------------------------------------------------------------

    def media_url(self, media_id: str) -> str:
        """Where a media id resolves to its (short-lived) download URL; see `fetch_media`."""
        return f"{self.base}/{media_id}"

    def parse(self, request: RawRequest) -> list[Parsed]:
        if request.method.upper() == "GET":
            self._verify_subscription(request)
            return []
        self._verify_signature(request)
        if len(request.body) > MAX_BODY_BYTES:
            raise TooLarge(MAX_BODY_BYTES)
        try:
            notification = Notification.model_validate_json(request.body)
        except ValidationError as exc:
            raise InvalidRequest(f"not a WhatsApp notification: {exc.errors()[0]['msg']}") from exc
        if notification.object != "whatsapp_business_account":
            raise InvalidRequest(f"unexpected object {notification.object!r}")
        parsed: list[Parsed] = []
        left_out: list[str] = []
        for entry in notification.entry:
            for change in entry.changes:
                if change.field != "messages":
                    continue
                try:
                    value = Value.model_validate(change.value)
                except ValidationError as exc:
                    left_out.append(f"change unreadable: {first_error(exc)}")
                    continue
                if value.metadata.phone_number_id != self.config.phone_number_id:
                    log.info("skipped a change for phone number %s", value.metadata.phone_number_id)
                    continue
                taken, refused = messages_of(self.name, value, self.media_url)
                parsed.extend(taken)
                left_out.extend(refused)
        if left_out and not parsed:
            raise InvalidRequest("; ".join(left_out[:3]))
        for reason in left_out:
            # The rest of the batch is taken: one message we cannot read must not cost them.
            log.warning("%s: left out of a batch: %s", self.name, reason)
        return parsed

    def _verify_subscription(self, request: RawRequest) -> None:
        """Meta's GET handshake: the configured verify token must come back to us."""
        token = request.query.get("hub.verify_token", "")
        expected = self.config.verify_token.get_secret_value()
        if request.query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), expected.encode()
        ):
            raise Unauthenticated("hub.verify_token does not match")
        if not request.query.get("hub.challenge"):
            raise InvalidRequest("hub.challenge is missing")

    def _verify_signature(self, request: RawRequest) -> None:
        header = request.header(SIGNATURE_HEADER)
        if not header:
            raise Unauthenticated(f"{SIGNATURE_HEADER} header is missing")
        secret = self.config.app_secret.get_secret_value().encode()
        expected = "sha256=" + hmac.new(secret, request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), header.strip().encode()):
            raise Unauthenticated(f"{SIGNATURE_HEADER} does not match the body")

    def respond(self, request: RawRequest, parsed: list[Parsed]) -> RawResponse:
        if request.method.upper() == "GET":
            return RawResponse(200, request.query["hub.challenge"].encode(), "text/plain")
        return RawResponse(200)

    # -- outbound --------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.access_token.get_secret_value()}"}

    def payload(self, message: OutboundMessage) -> dict[str, Any]:
        """The Graph API body: a template outside the window, else buttons, a list or text."""
        base = {"messaging_product": "whatsapp", "recipient_type": "individual", **_to(message)}
        if outside_window(message.last_inbound_at):
            return {**base, **self._template(message)}
        buttons = message.buttons
        text = message.text
        if buttons and len(text) <= INTERACTIVE_BODY_CHARS and len(buttons) <= MAX_LIST_ROWS:
            return {**base, "type": "interactive", "interactive": self._interactive(message)}
        if buttons:  # too many or too long for WhatsApp's widgets: a numbered list
            text = "\n".join([text, *(f"{i}. {b.label}" for i, b in enumerate(buttons, 1))])
        return {**base, "type": "text", "text": {"preview_url": False, "body": text[:4096]}}

    def _interactive(self, message: OutboundMessage) -> dict[str, Any]:
        body = {"text": message.text}
        if len(message.buttons) <= MAX_REPLY_BUTTONS:
            buttons = [
                {"type": "reply", "reply": {"id": b.payload[:256], "title": b.label[:20]}}
                for b in message.buttons
            ]
            return {"type": "button", "body": body, "action": {"buttons": buttons}}
        rows = [{"id": b.payload[:200], "title": b.label[:24]} for b in message.buttons]
        section = {"title": self.config.list_button[:24], "rows": rows}
        action = {"button": self.config.list_button, "sections": [section]}
        return {"type": "list", "body": body, "action": action}

    def _template(self, message: OutboundMessage) -> dict[str, Any]:
        template = self.config.template
        if template is None:
            raise SendError(
                "outside WhatsApp's 24-hour window and no template is configured",
                retryable=False,
            )
        values = {"text": template_parameter(message.text), "code": message.complaint_code or ""}
        parameters = [
            {"type": "text", "text": parameter.format(**values)}
            for parameter in template.parameters
        ]
        return {
            "type": "template",
            "template": {
                "name": template.name,
                "language": {"code": template.language},
                "components": [{"type": "body", "parameters": parameters}] if parameters else [],
            },
        }

    async def send(self, message: OutboundMessage) -> SendResult:
        body = self.payload(message)
        url = f"{self.base}/{self.config.phone_number_id}/messages"
        try:
            response = await self._http.get().post(
                url, json=body, headers=self._headers(), timeout=self.config.timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise SendError(f"Graph API unreachable: {type(exc).__name__}", retryable=True) from exc
        if not response.is_success:
            raise classify_error(response)
        try:
            wamid = response.json()["messages"][0]["id"]
        except (ValueError, KeyError, IndexError, TypeError):
            # Accepted (2xx) but without an id: sending again could deliver it twice.
            log.warning("%s: accepted without a message id: %s", self.name, response.text[:200])
            return SendResult()
        log.info(
            "%s: sent %s (%s) to %s",
            self.name,
            wamid,
            body["type"],
            mask_address(message.recipient),
        )
        return SendResult(external_id=wamid)

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        """Download an inbound attachment: its Graph URL names the media, which names the file.

        Only a URL `media_url` made is honoured (the access token goes with it), and both
        downloads keep to the `media` limits.
        """
        if not url.startswith(f"{self.base}/") or "/" in url.removeprefix(f"{self.base}/"):
            raise MediaRefused(f"not a media URL of this channel: {url[:80]!r}")
        limits = self.config.media
        described = await fetch(url, limits, self._headers())
        described.raise_for_status()
        media = described.json()
        download = await fetch(str(media["url"]), limits, self._headers())
        download.raise_for_status()
        return download.content, media.get("mime_type") or download.headers.get(
            "content-type", "application/octet-stream"
        )
