"""A stand-in for Meta's WhatsApp Cloud API: the Graph API endpoints and the webhooks.

Endpoints: POST /{version}/{phone-number-id}/messages, GET /{version}/{media-id} and the media
download URL it returns. Webhooks: notifications signed with X-Hub-Signature-256 (HMAC-SHA256 of
the raw body with the app secret), statuses for every accepted message, and the 24-hour window
enforced as WhatsApp does: a free-form message to someone who has not written for 24 hours is
accepted, then reported failed with error 131047.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.channels.standins.base import StandIn, wait_until

VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
WABA_ID = "102290129340398"
ACCESS_TOKEN = "stand-in-access-token"
APP_SECRET = "stand-in-app-secret"
VERIFY_TOKEN = "stand-in-verify-token"
WINDOW_SECONDS = 24 * 3600
USER_ID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")  # a business-scoped user id


def new_wamid() -> str:
    return "wamid.HBgN" + secrets.token_urlsafe(24)


def graph_error(code: int, message: str, details: str | None = None, **more: Any) -> dict:
    """The Graph API's documented error JSON."""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(10),
        **more,
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification(
    messages: list[dict[str, Any]] = (),  # type: ignore[assignment]
    statuses: list[dict[str, Any]] = (),  # type: ignore[assignment]
    contacts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """One webhook notification: one entry, one `messages` change, as Meta documents it."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
    }
    if contacts:
        value["contacts"] = list(contacts)
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def contact(wa_id: str, name: str = "Siti") -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": wa_id}


def message(wa_id: str, kind: str, content: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A message object of type `kind` (text, image, location, interactive, ...)."""
    return {
        "from": wa_id,
        "id": more.pop("id", None) or new_wamid(),
        "timestamp": str(int(more.pop("at", time.time()))),
        "type": kind,
        kind: content,
        **more,
    }


def text_message(wa_id: str, body: str, **more: Any) -> dict[str, Any]:
    return message(wa_id, "text", {"body": body}, **more)


@dataclass
class GraphStandIn(StandIn):
    """The Graph API for one phone number; `webhook_url` is the app's configured callback."""

    access_token: str = ACCESS_TOKEN
    app_secret: str = APP_SECRET
    phone_number_id: str = PHONE_NUMBER_ID
    webhook_url: str | None = None
    status_delays: tuple[float, float] = (0.4, 0.8)
    sent: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    scripted: deque[tuple[int, dict[str, Any], float]] = field(default_factory=deque)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    last_written: dict[str, float] = field(default_factory=dict)  # wa_id -> unix time

    def __post_init__(self) -> None:
        super().__init__()

    def answer_next(self, status: int, body: dict[str, Any], delay: float = 0) -> None:
        self.scripted.append((status, body, delay))

    def add_media(self, content: bytes, mime_type: str) -> str:
        media_id = str(secrets.randbelow(10**15) + 10**15)
        self.media[media_id] = (content, mime_type)
        return media_id

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        wait_until(lambda: len(self.sent) >= count, timeout, f"{count} messages sent to Graph")
        return self.sent

    # -- the Graph API ---------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if auth != f"Bearer {self.access_token}":
            return self._json(
                401, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            )
        path = path.split("?")[0]
        if method == "POST" and path == f"/{VERSION}/{self.phone_number_id}/messages":
            return self._send(body)
        if method == "GET" and (found := re.fullmatch(rf"/{VERSION}/(\d+)", path)):
            return self._describe_media(found[1])
        found = re.fullmatch(r"/media-download/(\d+)", path)
        if method == "GET" and found and found[1] in self.media:
            content, mime_type = self.media[found[1]]
            return 200, {"Content-Type": mime_type}, content
        return self._json(
            400, graph_error(100, "Unsupported request - method type or object unknown")
        )

    def _describe_media(self, media_id: str) -> tuple[int, dict[str, str], bytes]:
        if media_id not in self.media:
            return self._json(400, graph_error(100, "Invalid parameter", error_subcode=33))
        content, mime_type = self.media[media_id]
        return self._json(
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/media-download/{media_id}",
                "mime_type": mime_type,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
            },
        )

    def _send(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            request = json.loads(body)
        except json.JSONDecodeError:
            return self._json(400, graph_error(100, "Invalid parameter"))
        problem = self._invalid(request)
        if problem is not None:
            return self._json(400, problem)
        with self.lock:
            self.attempts += 1
            scripted = self.scripted.popleft() if self.scripted else None
        if scripted is not None:
            status, answer, delay = scripted
            time.sleep(delay)  # a slow answer, for the client's timeout
            return self._json(status, answer)
        wamid = new_wamid()
        with self.lock:
            self.sent.append({**request, "id": wamid})
        to = request.get("to") or request["recipient"]
        final = "delivered"
        if request["type"] != "template" and self._window_closed(to):
            final = "failed"
        if self.webhook_url:
            self.later(self.status_delays[0], lambda: self.post_status(wamid, to, "sent"))
            self.later(self.status_delays[1], lambda: self.post_status(wamid, to, final))
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [
                {"input": to, "wa_id": to} if "to" in request else {"input": to, "user_id": to}
            ],
            "messages": [{"id": wamid}],
        }
        if request["type"] == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return self._json(200, answer)

    def _window_closed(self, wa_id: str) -> bool:
        last = self.last_written.get(wa_id)
        return last is None or time.time() - last > WINDOW_SECONDS

    def _invalid(self, request: dict[str, Any]) -> dict[str, Any] | None:
        if request.get("messaging_product") != "whatsapp":
            return graph_error(100, "The parameter messaging_product is required.")
        if "to" in request or "recipient" not in request:
            if not re.fullmatch(r"\d{8,15}", str(request.get("to", ""))):
                return graph_error(131009, "Parameter value is not valid", "invalid 'to'")
        elif not USER_ID.fullmatch(str(request["recipient"])):
            return graph_error(131009, "Parameter value is not valid", "invalid 'recipient'")
        kind = request.get("type", "text")
        if kind == "text" and not (request.get("text") or {}).get("body"):
            return graph_error(131008, "Required parameter is missing", "text.body")
        if kind == "interactive":
            interactive = request.get("interactive") or {}
            buttons = (interactive.get("action") or {}).get("buttons", [])
            if interactive.get("type") == "button" and not 1 <= len(buttons) <= 3:
                return graph_error(131009, "Parameter value is not valid", "1 to 3 buttons")
            if any(len(b["reply"]["title"]) > 20 for b in buttons):
                return graph_error(131009, "Parameter value is not valid", "title too long")
        if kind == "template" and not (request.get("template") or {}).get("name"):
            return graph_error(131008, "Required parameter is missing", "template.name")
        if kind not in ("text", "interactive", "template", "image", "location"):
            return graph_error(131009, "Parameter value is not valid", f"type {kind}")
        return None

    def _json(self, status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    # -- webhooks Meta sends to Aduan ------------------------------------------------------

    def post_status(self, wamid: str, wa_id: str, status: str) -> None:
        entry: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": wa_id,
        }
        if status == "failed":
            entry["errors"] = [
                {
                    "code": 131047,
                    "title": "Re-engagement message",
                    "message": "Re-engagement message",
                    "error_data": {
                        "details": "Message failed to send because more than 24 hours have "
                        "passed since the customer last replied to this number."
                    },
                }
            ]
        else:
            entry["conversation"] = {"id": secrets.token_hex(16), "origin": {"type": "service"}}
            entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
        assert self.webhook_url is not None
        # Meta retries failed webhooks later; tests do not need that.
        with contextlib.suppress(httpx.HTTPError):
            self.post_webhook(self.webhook_url, notification(statuses=[entry]))

    def post_webhook(
        self, url: str, payload: dict[str, Any], signed_with: str | None = None
    ) -> httpx.Response:
        """POST a notification as Meta does; `signed_with=""` sends no signature."""
        body = json.dumps(payload).encode()
        for change in (c for e in payload.get("entry", []) for c in e.get("changes", [])):
            for item in change.get("value", {}).get("messages", []):
                who = isinstance(item, dict) and (item.get("from") or item.get("from_user_id"))
                if who:
                    at = float(item.get("timestamp", time.time()))
                    self.last_written[who] = max(self.last_written.get(who, 0), at)
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        secret = self.app_secret if signed_with is None else signed_with
        if secret:
            headers["X-Hub-Signature-256"] = signature(body, secret)
        return httpx.post(url, content=body, headers=headers, timeout=10)
