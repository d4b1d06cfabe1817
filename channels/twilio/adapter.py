"""Twilio SMS and Twilio WhatsApp: signed form webhooks in, the Messages API out.

One class per channel name; both speak the same wire format. Inbound requests are checked with
twilio's `RequestValidator` against the URL Twilio called, rebuilt from the configured
`public_url` (a TLS-terminating proxy changes scheme, host and port, so the URL the app sees
would never match); `X-Forwarded-*` headers are never read.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import requests
from pydantic import Field, SecretStr, ValidationError, model_validator
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

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
from channels.inputs import clean_text, identifier
from channels.masking import mask_address
from channels.message import (
    Attachment,
    DeliveryReceipt,
    DeliveryState,
    InboundMessage,
    Location,
    OutboundMessage,
    SendResult,
    numbered,
)
from channels.twilio.sms_text import fit_segments
from channels.whatsapp_window import outside_window, template_parameter

log = logging.getLogger("aduan.channels.twilio")

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY_BYTES = 64_000
MAX_MEDIA = 10

# Twilio's message statuses (Message resource docs) in Aduan's terms; others are not news.
STATES: dict[str, DeliveryState] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
}

# Error codes that mean this person cannot be reached at this address (Twilio error dictionary).
UNREACHABLE_CODES = frozenset({21211, 21214, 21217, 21407, 21610, 21612, 21614, 63003, 63024})
RETRYABLE_CODES = frozenset({20429, 20500, 20503, 30001, 63018})
ERROR_TEXT = {
    "21610": "recipient has unsubscribed (replied STOP)",
    "21211": "invalid 'To' phone number",
    "21614": "'To' number is not a mobile number",
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "message filtered by the carrier",
    "30008": "unknown error",
    "63016": "outside WhatsApp's 24-hour window; a template is required",
    "63024": "invalid WhatsApp recipient",
}

# Twilio's Advanced Opt-Out names the keyword class it matched (the citizen may have written a
# custom keyword such as BERHENTI); the core knows these words and acts on consent itself.
OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})


class TwilioConfig(ChannelConfig):
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretStr
    from_number: str | None = Field(
        default=None, description="E.164 sender number, e.g. +62215550100"
    )
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    public_url: str = Field(
        pattern=r"^https?://",
        description="Aduan's base URL as Twilio reaches it, e.g. https://aduan.example.go.id",
    )
    api_base_url: str = Field(default="https://api.twilio.com", pattern=r"^https?://")
    timeout_seconds: float = Field(default=15, gt=0)
    media: MediaLimits = Field(default_factory=MediaLimits)

    @model_validator(mode="after")
    def _has_sender(self) -> TwilioConfig:
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("set from_number or messaging_service_sid")
        return self


class TwilioSmsConfig(TwilioConfig):
    max_segments: int = Field(default=3, ge=1, le=10)


class TwilioWhatsAppTemplate(ChannelConfig):
    """An approved Content API template, sent outside WhatsApp's 24-hour window."""

    content_sid: str = Field(pattern=r"^HX[0-9a-fA-F]{32}$")
    variables: dict[str, str] = Field(
        default_factory=lambda: {"1": "{text}"},
        description="template variable -> value; {text} and {code} are filled in",
    )


class TwilioWhatsAppConfig(TwilioConfig):
    template: TwilioWhatsAppTemplate | None = None


class _Form(dict[str, str]):
    """Form fields, keeping repeated keys for the signature check (`getall` as MultiDict)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs

    def getall(self, key: str) -> list[str]:
        return [value for name, value in self.pairs if name == key]


def _form(request: RawRequest) -> _Form:
    if request.method.upper() != "POST":
        raise InvalidRequest("Twilio webhooks are POST requests")
    if len(request.body) > MAX_BODY_BYTES:
        raise TooLarge(MAX_BODY_BYTES)
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("expected application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"malformed form body: {exc}") from exc
    return _Form(pairs)


def _float(form: _Form, key: str) -> float | None:
    value = form.get(key)
    if not value:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise InvalidRequest(f"{key} is not a number") from exc


def _code(value: str | None) -> int | None:
    """Twilio's numeric error code; None when there is none or it is not a number."""
    return int(value) if value and value.strip().isdigit() else None


def _location(form: _Form) -> Location | None:
    lat, lon = _float(form, "Latitude"), _float(form, "Longitude")
    # A WhatsApp place has both: its name (Label) and its street address (Address).
    address = ", ".join(part for part in (form.get("Label"), form.get("Address")) if part) or None
    if lat is None and lon is None and address is None:
        return None
    try:
        return Location(lat=lat, lon=lon, address=address)
    except ValidationError as exc:
        raise InvalidRequest("Latitude/Longitude out of range") from exc


def _replied(form: _Form) -> str | None:
    """The message a WhatsApp reply (swipe to reply) answers, as its MessageSid."""
    sid = form.get("OriginalRepliedMessageSid")
    return identifier(sid, "OriginalRepliedMessageSid") if sid else None


def _attachments(form: _Form) -> list[Attachment]:
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError as exc:
        raise InvalidRequest("NumMedia is not a number") from exc
    found = []
    for index in range(count):
        url = form.get(f"MediaUrl{index}")
        # Twilio's media live at https URLs; anything else is not a media reference to keep.
        if url and url.lower().startswith(("https://", "http://")):
            content_type = form.get(f"MediaContentType{index}") or "application/octet-stream"
            found.append(Attachment(url=url, content_type=content_type))
    return found


def classify_error(exc: TwilioRestException) -> SendError:
    """Twilio's answer as a retryable or permanent send error, with Twilio's code and reason."""
    code = exc.code if isinstance(exc.code, int) else None
    reason = f"Twilio {exc.status} error {code}: {exc.msg}"
    if exc.status == 429 or exc.status >= 500 or code in RETRYABLE_CODES:
        return SendError(reason, retryable=True)
    return SendError(reason, retryable=False, unreachable=code in UNREACHABLE_CODES)


class TwilioAdapter:
    """What Twilio SMS and Twilio WhatsApp share; subclasses name the channel and the medium."""

    name: ClassVar[str]
    Config: ClassVar[type[ChannelConfig]]
    secrets: ClassVar[dict[str, str]] = {
        "account_sid": "TWILIO_ACCOUNT_SID",
        "auth_token": "TWILIO_AUTH_TOKEN",
    }
    scheme: ClassVar[str]  # the sender addresses' URN scheme: tel or whatsapp

    def __init__(self, config: TwilioConfig) -> None:
        self.config = config
        token = config.auth_token.get_secret_value()
        self.validator = RequestValidator(token)
        self.client = Client(
            config.account_sid,
            token,
            http_client=TwilioHttpClient(timeout=config.timeout_seconds),
        )
        # The one difference between production and tests: where the REST API lives.
        self.client.api.base_url = config.api_base_url.rstrip("/")

    # -- inbound ---------------------------------------------------------------------------

    def public_url(self, request: RawRequest) -> str:
        """The URL Twilio signed: the configured public base plus the path and query we got."""
        parts = urlsplit(request.url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.config.public_url.rstrip('/')}{parts.path}{query}"

    def parse(self, request: RawRequest) -> list[Parsed]:
        signature = request.header(SIGNATURE_HEADER)
        if not signature:
            raise Unauthenticated(f"{SIGNATURE_HEADER} header is missing")
        form = _form(request)
        if not self.validator.validate(self.public_url(request), form, signature):
            raise Unauthenticated(f"{SIGNATURE_HEADER} does not match {self.public_url(request)}")
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid:
            raise InvalidRequest("MessageSid is missing")
        identifier(sid, "MessageSid")
        if "MessageStatus" in form:
            return self._receipt(form, sid)
        return self._message(form, sid)

    def _receipt(self, form: _Form, sid: str) -> list[Parsed]:
        state = STATES.get(form["MessageStatus"].lower())
        if state is None:
            return []
        code = form.get("ErrorCode") or None
        return [
            DeliveryReceipt(
                channel=self.name,
                external_id=sid,
                state=state,
                error_code=code,
                error_message=ERROR_TEXT.get(code or "") or form.get("ErrorMessage") or None,
                unreachable=state == "failed" and _code(code) in UNREACHABLE_CODES,
            )
        ]

    def address(self, number: str) -> str:
        """`+62812…` or `whatsapp:+62812…` as Aduan's sender address."""
        if number.startswith("whatsapp:"):
            return number
        return f"{self.scheme}:{number}"

    def _message(self, form: _Form, sid: str) -> list[Parsed]:
        sender = form.get("From")
        if not sender:
            raise InvalidRequest("From is missing")
        address = self.address(identifier(sender, "From"))
        opt_out_type = (form.get("OptOutType") or "").upper()
        if opt_out_type in OPT_OUT_TYPES:
            log.info("%s: %s sent %s", self.name, mask_address(address), opt_out_type)
            text = opt_out_type
        else:
            # A WhatsApp quick-reply button sends its payload; that is what the core acts on.
            text = form.get("ButtonPayload") or form.get("Body") or ""
        attachments, location = _attachments(form), _location(form)
        kind = form.get("MessageType") or ""
        # WhatsApp content Twilio cannot pass on (MessageType "unsupported", a poll...).
        unreadable = not (text.strip() or attachments or location) and kind not in ("", "text")
        return [
            InboundMessage(
                channel=self.name,
                external_id=sid,
                sender=address,
                sender_name=form.get("ProfileName") or None,
                text=clean_text(text),
                attachments=attachments,
                location=location,
                # A WhatsApp reply (swipe-to-reply) names the message it answers.
                reply_to=_replied(form),
                unsupported=kind[:64] if unreadable else None,
                raw=dict(form),
                provider_answered=opt_out_type in OPT_OUT_TYPES,
            )
        ]

    def respond(self, request: RawRequest, parsed: list[Parsed]) -> RawResponse:
        # Empty TwiML, at once: every reply goes through the outbox and the REST API.
        return RawResponse(200, str(MessagingResponse()).encode(), "text/xml")

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        """An MMS or WhatsApp attachment: only under this account's REST API, with its
        credentials (Twilio answers with a redirect to storage, which gets none)."""
        account = f"{self.config.api_base_url.rstrip('/')}/2010-04-01/Accounts/"
        if not url.startswith(f"{account}{self.config.account_sid}/"):
            raise MediaRefused(f"not a media URL of this account: {url[:80]!r}")
        secret = self.config.auth_token.get_secret_value()
        basic = base64.b64encode(f"{self.config.account_sid}:{secret}".encode()).decode()
        answer = await fetch(url, self.config.media, {"Authorization": f"Basic {basic}"})
        answer.raise_for_status()
        return answer.content, answer.headers.get("content-type", "application/octet-stream")

    # -- outbound --------------------------------------------------------------------------

    def status_callback(self) -> str:
        return f"{self.config.public_url.rstrip('/')}/channels/{self.name}/status"

    def recipient(self, address: str) -> str:
        return address.removeprefix("tel:")

    def sender(self) -> dict[str, str]:
        if self.config.messaging_service_sid:
            return {"messaging_service_sid": self.config.messaging_service_sid}
        assert self.config.from_number is not None
        return {"from_": self.address(self.config.from_number).removeprefix("tel:")}

    def content(self, message: OutboundMessage) -> dict[str, Any]:
        """The Messages API fields that carry the message itself (Body, or a template)."""
        return {"body": numbered(message.text, message.buttons)}

    async def send(self, message: OutboundMessage) -> SendResult:
        fields = {
            "to": self.recipient(message.recipient),
            "status_callback": self.status_callback(),
            **self.sender(),
            **self.content(message),
        }
        try:
            sent = await asyncio.to_thread(self.client.messages.create, **fields)
        except TwilioRestException as exc:
            raise classify_error(exc) from exc
        except requests.RequestException as exc:
            raise SendError(f"Twilio unreachable: {type(exc).__name__}", retryable=True) from exc
        log.info("%s: sent %s to %s", self.name, sent.sid, mask_address(message.recipient))
        return SendResult(external_id=sent.sid)


class TwilioSmsAdapter(TwilioAdapter):
    """SMS through Twilio: replies made plain and kept within a few segments."""

    name: ClassVar[str] = "twilio_sms"
    Config: ClassVar[type[ChannelConfig]] = TwilioSmsConfig
    scheme: ClassVar[str] = "tel"
    config: TwilioSmsConfig

    def content(self, message: OutboundMessage) -> dict[str, Any]:
        text = numbered(message.text, message.buttons)
        return {"body": fit_segments(text, self.config.max_segments)}


class TwilioWhatsAppAdapter(TwilioAdapter):
    """WhatsApp through Twilio: free text inside the 24-hour window, a template outside it."""

    name: ClassVar[str] = "twilio_whatsapp"
    Config: ClassVar[type[ChannelConfig]] = TwilioWhatsAppConfig
    scheme: ClassVar[str] = "whatsapp"
    config: TwilioWhatsAppConfig

    def recipient(self, address: str) -> str:
        return self.address(address.removeprefix("tel:"))

    def content(self, message: OutboundMessage) -> dict[str, Any]:
        if not outside_window(message.last_inbound_at):
            return super().content(message)
        template = self.config.template
        if template is None:
            raise SendError(
                "outside WhatsApp's 24-hour window and no template is configured",
                retryable=False,
            )
        values = {"text": template_parameter(message.text), "code": message.complaint_code or ""}
        variables = {key: value.format(**values) for key, value in template.variables.items()}
        return {"content_sid": template.content_sid, "content_variables": json.dumps(variables)}
