"""The `web` channel: a city website or app posts complaints as JSON or a form.

Replies reach the citizen in two ways: always through the tracking-code lookup, and pushed to
the deployment's `callback_url` (signed JSON) when one is configured.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from channels.contract import (
    ChannelConfig,
    InvalidRequest,
    Parsed,
    RawRequest,
    RawResponse,
    SendError,
)
from channels.fetching import check_link
from channels.message import Attachment, InboundMessage, Location, OutboundMessage, SendResult
from channels.signing import SIGNATURE_HEADER, sign

MAX_BODY_BYTES = 64_000
MAX_COMPLAINT_CHARS = 5_000


class WebConfig(ChannelConfig):
    callback_url: str | None = Field(default=None, description="where replies are POSTed")
    callback_secret: SecretStr | None = None
    timeout_seconds: float = 10.0


class WebSubmission(BaseModel):
    """The body a website or app posts."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_COMPLAINT_CHARS)
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the app's own id for this submission (for dedupe)",
    )
    sender: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the citizen's id in the app, phone or email",
    )
    name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, pattern="^(id|en)$")
    location: Location | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty")
        return value.strip()

    @field_validator("attachments")
    @classmethod
    def _links_only(cls, value: list[Attachment]) -> list[Attachment]:
        """Attachments are data: a link to a file, never a path or another channel's reference."""
        for attachment in value:
            check_link(attachment.url)
        return value


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _decode_body(request: RawRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise InvalidRequest(f"body too large: at most {MAX_BODY_BYTES} bytes")
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("body must be UTF-8") from exc
    if content_type == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "lat" in form or "lon" in form:
            form["location"] = {
                "lat": form.pop("lat", None),
                "lon": form.pop("lon", None),
                "address": form.pop("address", None),
            }
        return form
    if content_type not in ("application/json", ""):
        raise InvalidRequest("send application/json or application/x-www-form-urlencoded")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict):
        raise InvalidRequest("body must be a JSON object")
    return data


class WebAdapter:
    """Complaints from the city's own website or app."""

    name: ClassVar[str] = "web"
    Config: ClassVar[type[ChannelConfig]] = WebConfig
    secrets: ClassVar[dict[str, str]] = {"callback_secret": "ADUAN_WEB_CALLBACK_SECRET"}

    def __init__(self, config: WebConfig) -> None:
        self.config = config

    def parse(self, request: RawRequest) -> list[Parsed]:
        try:
            submission = WebSubmission.model_validate(_decode_body(request))
        except ValidationError as exc:
            raise InvalidRequest(_describe(exc)) from exc
        sender = submission.sender or f"anon-{uuid.uuid4().hex[:12]}"
        external_id = submission.id or request.header("idempotency-key") or uuid.uuid4().hex
        return [
            InboundMessage(
                channel=self.name,
                external_id=external_id,
                sender=f"web:{sender}",
                sender_name=submission.name,
                text=submission.text,
                language=submission.language,
                location=submission.location,
                attachments=submission.attachments,
                raw=submission.model_dump(mode="json"),
            )
        ]

    def respond(self, request: RawRequest, parsed: list[Parsed]) -> RawResponse:
        return RawResponse(status=200)

    async def send(self, message: OutboundMessage) -> SendResult:
        if not self.config.callback_url:
            return SendResult()  # the citizen reads it through the tracking-code lookup
        body = json.dumps(
            {
                "recipient": message.recipient.removeprefix("web:"),
                "text": message.text,
                "complaint_code": message.complaint_code,
                "choices": [button.model_dump() for button in message.buttons],
                "idempotency_key": message.idempotency_key,
            }
        ).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key}
        if self.config.callback_secret:
            headers[SIGNATURE_HEADER] = sign(self.config.callback_secret.get_secret_value(), body)
        try:
            async with httpx.AsyncClient(timeout=self.config.timeout_seconds) as client:
                response = await client.post(
                    self.config.callback_url, content=body, headers=headers
                )
        except httpx.HTTPError as exc:
            raise SendError(f"callback unreachable: {exc!r}", retryable=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise SendError(f"callback answered {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise SendError(
                f"callback refused: {response.status_code} {response.text[:200]}", retryable=False
            )
        return SendResult()
