"""The conformance harness: every webhook channel runs the same behaviours from data files.

A channel joins with a `Kit` (how to build its adapter, make an authentic request, and script
its provider's stand-in) and a folder of YAML cases. Each case names the behaviour it proves:

    behaviour: media_parsed            # one of BEHAVIOURS; every kit covers REQUIRED
    label: a photo with a caption
    request:                           # an inbound webhook (the kit encodes and signs it)
      path: inbound                    # under /channels/<name>/
      form: {...} | json: {...} | body: "raw text"
      signature: valid | missing | wrong
      repeat: 2                        # deliver it again (duplicate_ignored)
    send:                              # or an outbound message...
      message: {recipient: ..., text: ..., buttons: [...]}
      provider: {status: 400, body: {...}} | unreachable | {delay: 3}
    expect:
      error: Unauthenticated | InvalidRequest | Ignore
      parsed: [{type: message, external_id: ..., attachments: [...]}]   # subset match
      response: {status: 200, content_type: text/xml, body_contains: "<Response"}
      send_error: {retryable: false, unreachable: true, contains: "21610"}
      sent: {external_id: true, request: {...subset of what the provider received}}
      kept: true                       # the "{media}" photo reaches the OPD as a working link
      answered:                        # the parsed messages through the real pipeline (SQLite):
        - to: "whatsapp:+62812..."     # each reply queued, in order, as the subset of
          text: "re:belum dapat"       # {to, text}, and `sent` = what the provider received
          sent: {to: "62812..."}       # when the reply is sent through the adapter

Expected values are matched as subsets, so a case states only what it is about; a string
starting with `re:` is a regular expression (for URLs that contain a stand-in's port).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.contract import (
    Adapter,
    ChannelError,
    Ignore,
    InvalidRequest,
    Parsed,
    RawRequest,
    SendError,
    Unauthenticated,
)
from channels.message import DeliveryReceipt, InboundMessage, OutboundMessage, utcnow
from dispatch.media import media_sender
from dispatch.media_links import opd_attachments
from storage.complaints import complaint_by_code
from storage.engine import transaction
from storage.models import OutboxItem
from tests.support.deployment import write_config

REQUIRED = frozenset(
    {
        "signature_rejected",
        "malformed_rejected",
        "duplicate_ignored",
        "media_parsed",
        "location_parsed",
        "send_error_classified",
        # Proved through the pipeline (`answered`): content the channel cannot read gets a
        # polite answer saying what it can (never the "empty message" text); one message of
        # a batch that cannot be taken costs none of the others; a sender known without a
        # phone number (a WhatsApp username) is answered at the address they wrote from.
        "unsupported_answered",
        "batch_partly_taken",
        "no_phone_answered",
        # `kept`: the photo the provider serves (a request names it as "{media}") is fetched
        # by the media sender through the adapter, stored, and served by the link the OPD gets.
        "media_kept",
    }
)
# Behaviours a channel may also prove from data: plain messages, receipts, what it sends,
# consent keywords (STOP), and subscription handshakes.
BEHAVIOURS = REQUIRED | {"message_parsed", "receipt_parsed", "sent", "opt_out", "verification"}
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8  # a JPEG, by its bytes
ERRORS: dict[str, type[ChannelError]] = {
    "Unauthenticated": Unauthenticated,
    "InvalidRequest": InvalidRequest,
    "Ignore": Ignore,
}


class Kit(Protocol):
    """What a channel provides to the harness."""

    def adapter(self, provider_url: str | None = None) -> Adapter:
        """The adapter under test, talking to the stand-in (or to `provider_url`)."""

    def request(self, spec: dict[str, Any]) -> RawRequest:
        """An inbound request as the provider would make it, signed as `spec` says."""

    def script(self, status: int, body: dict[str, Any], delay: float = 0) -> None:
        """Make the stand-in give this answer to the next send."""

    def last_sent(self) -> dict[str, Any]:
        """What the stand-in received for the last accepted send, as flat fields."""

    def serve_media(self, content: bytes, content_type: str) -> str:
        """Make the stand-in serve a file a citizen sent; the reference a request names it by."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class KitSpec:
    """One line of the harness's registry: the channel's case folder and its kit factory.

    `cannot` names the required behaviours the provider makes impossible, each with the reason
    (SMS has no content a phone could send that is not text or media).
    """

    cases: Path
    make: Callable[[], Kit]
    cannot: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> frozenset[str]:
        return REQUIRED - set(self.cannot)


@dataclass(frozen=True)
class Case:
    path: Path
    data: dict[str, Any]

    @property
    def behaviour(self) -> str:
        return self.data["behaviour"]

    @property
    def id(self) -> str:
        return self.path.stem


def load_cases(folder: Path) -> list[Case]:
    cases = [Case(path, yaml.safe_load(path.read_text())) for path in sorted(folder.glob("*.yaml"))]
    for case in cases:
        assert case.behaviour in BEHAVIOURS, f"{case.path}: unknown behaviour {case.behaviour!r}"
    return cases


def subset(expected: Any, actual: Any, where: str = "") -> None:
    """Assert that everything in `expected` is in `actual` (lists: same length, elementwise)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key}: missing in {sorted(actual)}"
            subset(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), f"{where}: {len(actual)} items, not {len(expected)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            subset(want, got, f"{where}[{index}]")
    elif expected is True and not isinstance(actual, bool):
        assert actual, f"{where}: expected a value, got {actual!r}"
    elif isinstance(expected, str) and expected.startswith("re:"):
        assert isinstance(actual, str) and re.search(expected[3:], actual), (
            f"{where}: {actual!r} does not match {expected[3:]!r}"
        )
    else:
        assert expected == actual, f"{where}: expected {expected!r}, got {actual!r}"


def _as_data(item: InboundMessage | DeliveryReceipt) -> dict[str, Any]:
    kind = "message" if isinstance(item, InboundMessage) else "receipt"
    return {"type": kind, **item.model_dump(mode="json")}


async def check_inbound(kit: Kit, case: Case) -> None:
    spec, expect = case.data["request"], case.data["expect"]
    if expect.get("kept"):
        spec = _named(spec, kit.serve_media(PHOTO, "image/jpeg"))
    adapter = kit.adapter()
    deliveries = []
    parsed: list[Parsed] = []
    for _ in range(spec.get("repeat", 1)):
        request = kit.request(spec)
        if "error" in expect:
            try:
                adapter.parse(request)
            except ERRORS[expect["error"]]:
                continue
            raise AssertionError(f"{case.id}: expected {expect['error']}")
        parsed = adapter.parse(request)
        deliveries.append([_as_data(item) for item in parsed])
        if "parsed" in expect:
            subset(expect["parsed"], deliveries[-1], case.id)
        if "response" in expect:
            response = adapter.respond(request, parsed)
            wanted = dict(expect["response"])
            contains = wanted.pop("body_contains", None)
            subset(wanted, {"status": response.status, "content_type": response.content_type})
            if contains is not None:
                assert contains in response.body.decode(), response.body
    if len(deliveries) > 1:
        ids = [[item["external_id"] for item in parsed] for parsed in deliveries]
        assert all(i == ids[0] for i in ids), f"redelivery changed the ids: {ids}"
        assert all(ids), "a redelivery must carry the provider's id, for the core to dedupe"
    if "answered" in expect:
        await check_answered(kit, adapter, case, parsed)
    if expect.get("kept"):
        await check_kept(adapter, case, parsed)


def _named(value: Any, reference: str) -> Any:
    """`value` with every "{media}" in its strings replaced by the stand-in's reference."""
    if isinstance(value, str):
        return value.replace("{media}", reference)
    if isinstance(value, dict):
        return {key: _named(item, reference) for key, item in value.items()}
    if isinstance(value, list):
        return [_named(item, reference) for item in value]
    return value


async def check_kept(adapter: Adapter, case: Case, parsed: list[Parsed]) -> None:
    """The complaint through the pipeline, its media item through the media sender, and the
    OPD's link through the app: the bytes the stand-in served."""
    (message,) = [item for item in parsed if isinstance(item, InboundMessage)]
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder) / "config.yaml", opd_webhook="http://127.0.0.1:9")
        config.write_text(
            config.read_text()
            .replace("public_url: null", "public_url: http://testserver")
            .replace("folder: data/media", f"folder: {folder}/media")
        )
        runtime = build_runtime(config, f"sqlite:///{folder}/aduan.db", migrate=True)
        try:
            outcome = runtime.pipeline.handle(message)
            assert outcome.complaint_code, f"{case.id}: no complaint filed"
            with transaction(runtime.engine) as session:
                items = session.exec(select(OutboxItem).order_by(OutboxItem.id)).all()
                media = [dict(i.payload) for i in items if i.kind == "media"]
            assert media, f"{case.id}: no media item queued"
            send = media_sender(
                runtime.engine, {adapter.name: adapter}, runtime.config.media, runtime.ctx
            )
            for payload in media:
                await send(payload)
            with transaction(runtime.engine) as session:
                complaint = complaint_by_code(session, outcome.complaint_code)
                assert complaint is not None
                (link,) = opd_attachments(complaint, runtime.ctx.media_links)
            with TestClient(create_app(runtime, {})) as client:
                answer = client.get(link["url"])
            assert answer.status_code == 200, f"{case.id}: {answer.status_code} {answer.text}"
            assert answer.content == PHOTO, f"{case.id}: the link serves other bytes"
            assert answer.headers["content-type"] == "image/jpeg"
        finally:
            runtime.engine.dispose()


async def check_answered(kit: Kit, adapter: Adapter, case: Case, parsed: list[Parsed]) -> None:
    """The messages through the real pipeline; each reply as queued, then as sent."""
    inbound = [item for item in parsed if isinstance(item, InboundMessage)]
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder) / "config.yaml")
        runtime = build_runtime(config, f"sqlite:///{folder}/aduan.db", migrate=True)
        try:
            for message in inbound:
                # Delivered now, whatever date the case's payload carries: inside WhatsApp's
                # 24-hour window, so the reply goes out as the free text it is.
                runtime.pipeline.handle(message.model_copy(update={"received_at": utcnow()}))
            with transaction(runtime.engine) as session:
                replies = [
                    OutboundMessage.model_validate(item.payload)
                    for item in session.exec(select(OutboxItem).order_by(OutboxItem.id)).all()
                    if item.kind == "message"
                ]
            empty = {runtime.ctx.text(language, "empty") for language in runtime.ctx.templates}
        finally:
            runtime.engine.dispose()
    answers: list[dict[str, Any]] = []
    for reply in replies:
        if case.behaviour == "unsupported_answered":
            assert reply.text not in empty, f"{case.id}: answered as an empty message"
        await adapter.send(reply)
        answers.append({"to": reply.recipient, "text": reply.text, "sent": kit.last_sent()})
    subset(case.data["expect"]["answered"], answers, f"{case.id}.answered")


async def check_send(kit: Kit, case: Case) -> None:
    spec, expect = case.data["send"], case.data["expect"]
    provider = spec.get("provider")
    url = None
    if provider == "unreachable":
        url = "http://127.0.0.1:9"  # discard port: nothing listens, the connection is refused
    elif isinstance(provider, dict):
        kit.script(provider.get("status", 200), provider.get("body", {}), provider.get("delay", 0))
    adapter = kit.adapter(url)
    message = OutboundMessage.model_validate(
        {"channel": adapter.name, "idempotency_key": uuid.uuid4().hex, **spec["message"]}
    )
    if "send_error" in expect:
        try:
            await adapter.send(message)
        except SendError as exc:
            wanted = dict(expect["send_error"])
            contains = wanted.pop("contains", None)
            got = {"retryable": exc.retryable, "unreachable": exc.unreachable}
            subset(wanted, got, case.id)
            if contains is not None:
                assert contains in str(exc), f"{case.id}: {contains!r} not in {exc}"
            return
        raise AssertionError(f"{case.id}: expected a SendError")
    result = await adapter.send(message)
    sent = expect.get("sent", {})
    if sent.get("external_id"):
        assert result.external_id, f"{case.id}: no external id"
    if "request" in sent:
        subset(sent["request"], kit.last_sent(), case.id)
