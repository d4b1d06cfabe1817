"""The `web` channel: a city website or app posts complaints as JSON or a form.

Replies reach the citizen in two ways: always through the tracking-code lookup, and pushed to
the deployment's `callback_url` (signed JSON) when one is configured.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
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
    TooLarge,
    Unauthenticated,
)
from channels.fetching import check_link
from channels.http import SharedClient
from channels.inputs import load_json
from channels.message import Attachment, InboundMessage, Location, OutboundMessage, SendResult
from channels.signing import SIGNATURE_HEADER, sign

MAX_BODY_BYTES = 64_000
MAX_COMPLAINT_CHARS = 5_000
MAX_ID_CHARS = 200


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
        raise TooLarge(MAX_BODY_BYTES)
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("body must be UTF-8") from exc
    if content_type == "application/x-www-form-urlencoded":
        form: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
        if "lat" in form or "lon" in form:
            form["location"] = {
                "lat": form.pop("lat", None),
                "lon": form.pop("lon", None),
                "address": form.pop("address", None),
            }
        return form
    if content_type not in ("application/json", ""):
        raise InvalidRequest("send application/json or application/x-www-form-urlencoded")
    data = load_json(request.body)
    if not isinstance(data, dict):
        raise InvalidRequest("body must be a JSON object")
    return data


@dataclass(frozen=True)
class WebCaller:
    """Who posts, as the core verified it: a client by its key, a citizen by a tracking secret.

    `address` is the contact address a tracking secret proved; neither means anonymous.
    """

    client: str | None = None
    address: str | None = None


def _sender(submission: WebSubmission, caller: WebCaller) -> str:
    if caller.client is None or submission.sender is None:
        return f"web:anon-{uuid.uuid4().hex[:12]}"
    return f"web:{caller.client}:{submission.sender}"


def _external_id(request: RawRequest, submission: WebSubmission, caller: WebCaller) -> str:
    """The dedupe key: a client's own ids in its namespace; an anonymous retry by its body."""
    key = submission.id or request.header("idempotency-key")
    if key is None:
        return uuid.uuid4().hex
    if len(key) > MAX_ID_CHARS:
        raise InvalidRequest(f"Idempotency-Key: at most {MAX_ID_CHARS} characters")
    if caller.client is not None:
        return f"{caller.client}:{key}"
    # Anonymous: the same key with the same body is a retry; anyone else's key finds nothing.
    retried = hashlib.sha256(f"{caller.address}\n{key}\n".encode() + request.body).hexdigest()
    return f"anon:{retried}"


def _recipient(address: str) -> dict[str, str | None]:
    """The callback's `recipient` as the client named it, and which client that is."""
    local = address.removeprefix("web:")
    client, sep, sender = local.partition(":")
    if not sep or local.startswith("anon-"):
        return {"recipient": local, "client": None}
    return {"recipient": sender, "client": client}


class WebAdapter:
    """Complaints from the city's own website or app."""

    name: ClassVar[str] = "web"
    Config: ClassVar[type[ChannelConfig]] = WebConfig
    secrets: ClassVar[dict[str, str]] = {"callback_secret": "ADUAN_WEB_CALLBACK_SECRET"}

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._http = SharedClient()

    def parse(self, request: RawRequest, caller: WebCaller | None = None) -> list[Parsed]:
        """The submission as a message from `caller`, whom the core has authenticated.

        A client's citizens and ids are namespaced by its name; an anonymous caller may not
        name a sender or an id (each of its messages comes from a fresh sender), and one holding
        a complaint's tracking secret writes as that complaint's citizen.
        """
        caller = caller or WebCaller()
        try:
            submission = WebSubmission.model_validate(_decode_body(request))
        except ValidationError as exc:
            raise InvalidRequest(_describe(exc)) from exc
        if caller.client is None and submission.id is not None:
            raise Unauthenticated("id needs a web client key (Authorization: Bearer ...)")
        if submission.sender is not None and (caller.client is None or caller.address):
            raise Unauthenticated(
                "sender needs a web client key (Authorization: Bearer ...), "
                "and is implied by a tracking secret"
            )
        return [
            InboundMessage(
                channel=self.name,
                external_id=_external_id(request, submission, caller),
                sender=caller.address or _sender(submission, caller),
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
                **_recipient(message.recipient),
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
            response = await self._http.get().post(
                self.config.callback_url,
                content=body,
                headers=headers,
                timeout=self.config.timeout_seconds,
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
