"""A stand-in for Twilio: the Messages REST API, status callbacks and inbound webhooks.

It speaks the documented wire format (Message resource JSON, error JSON with Twilio error
codes) and signs every request it makes to Aduan with twilio's own `RequestValidator`, exactly
as Twilio does: HMAC-SHA1 over the URL it calls plus the sorted form fields.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
from twilio.request_validator import RequestValidator

from tests.channels.standins.base import StandIn, wait_until

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "stand-in-auth-token-0001"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")
MEDIA_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages/MM[0-9a-f]{32}/Media/(?P<me>ME[0-9a-f]{32})$"
)
E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{6,14}$")


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's documented error JSON."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass
class Sent:
    """One Messages create request as Twilio received it."""

    sid: str
    fields: dict[str, list[str]]

    def get(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None


@dataclass
class TwilioStandIn(StandIn):
    """Twilio's REST API for one account; answers are scripted per test when needed."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    callback_delays: tuple[float, float] = (0.4, 0.8)
    sent: list[Sent] = field(default_factory=list)
    attempts: int = 0
    scripted: deque[tuple[int, dict[str, Any], float]] = field(default_factory=deque)
    refusals: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    undeliverable: dict[str, str] = field(default_factory=dict)  # To -> ErrorCode
    # Public URL prefix -> where it really listens: the TLS-terminating proxy in front of Aduan.
    proxy: dict[str, str] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # ME sid -> file
    media_fetches: list[dict[str, str]] = field(default_factory=list)  # headers of each GET

    def __post_init__(self) -> None:
        super().__init__()
        self.validator = RequestValidator(self.auth_token)

    # -- scripting -------------------------------------------------------------------------

    def answer_next(self, status: int, body: dict[str, Any], delay: float = 0) -> None:
        """The next create request gets this answer instead of being accepted."""
        self.scripted.append((status, body, delay))

    def refuse(self, to: str, status: int, code: int, message: str) -> None:
        """Every create request to `to` fails synchronously, as for an unsubscribed number."""
        self.refusals[to] = (status, error_body(status, code, message))

    def fail_delivery(self, to: str, error_code: str) -> None:
        """Accept messages to `to`, then report them undelivered with `error_code`."""
        self.undeliverable[to] = error_code

    def add_media(self, content: bytes, content_type: str) -> str:
        """A file a citizen sent by MMS: its MediaUrl, readable with the account's credentials."""
        me = new_sid("ME")
        self.media[me] = (content, content_type)
        message = f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/{new_sid('MM')}"
        return f"{message}/Media/{me}"

    def wait_for(self, count: int, timeout: float = 20) -> list[Sent]:
        wait_until(lambda: len(self.sent) >= count, timeout, f"{count} messages sent to Twilio")
        return self.sent

    # -- the REST API ----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "GET":
            return self._media(path, headers)
        match = MESSAGES_PATH.match(path.split("?")[0])
        if method != "POST" or match is None:
            return self._json(404, error_body(404, 20404, "The requested resource was not found"))
        if match["sid"] != self.account_sid or not self._authorized(headers):
            return self._json(401, error_body(401, 20003, "Authenticate"))
        with self.lock:
            self.attempts += 1
            scripted = self.scripted.popleft() if self.scripted else None
        fields = parse_qs(body.decode(), keep_blank_values=True)
        problem = self._invalid(fields)
        if problem is not None:
            return self._json(400, problem)
        to = fields["To"][0]
        if scripted is not None:
            status, answer, delay = scripted
            time.sleep(delay)  # a slow answer, for the client's timeout
            return self._json(status, answer)
        if to in self.refusals:
            return self._json(*self.refusals[to])
        sent = Sent(new_sid("MM" if "MediaUrl" in fields else "SM"), fields)
        with self.lock:
            self.sent.append(sent)
        callback = sent.get("StatusCallback")
        if callback:
            final = "undelivered" if to in self.undeliverable else "delivered"
            self.later(self.callback_delays[0], lambda: self._status(callback, sent, "sent"))
            self.later(self.callback_delays[1], lambda: self._status(callback, sent, final))
        return self._json(201, self._resource(sent))

    def _media(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """A media file: the API answers with a redirect to storage, as Twilio does."""
        with self.lock:
            self.media_fetches.append({"path": path, **headers})
        stored = re.fullmatch(r"/media-storage/(ME[0-9a-f]{32})\?Expires=\d+&Signature=\w+", path)
        if stored and stored[1] in self.media:
            content, content_type = self.media[stored[1]]
            return 200, {"Content-Type": content_type}, content
        match = MEDIA_PATH.match(path)
        if match is None or match["me"] not in self.media:
            return self._json(404, error_body(404, 20404, "The requested resource was not found"))
        if match["sid"] != self.account_sid or not self._authorized(headers):
            return self._json(401, error_body(401, 20003, "Authenticate"))
        location = f"/media-storage/{match['me']}?Expires={int(time.time()) + 300}&Signature=x1"
        return 307, {"Location": location}, b""

    def _authorized(self, headers: dict[str, str]) -> bool:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return value == f"Basic {expected}"

    def _invalid(self, fields: dict[str, list[str]]) -> dict[str, Any] | None:
        to = (fields.get("To") or [""])[0]
        if not to:
            return error_body(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            return error_body(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not (fields.get("From") or fields.get("MessagingServiceSid")):
            return error_body(400, 21603, "A 'From' phone number is required.")
        if not (fields.get("Body") or fields.get("MediaUrl") or fields.get("ContentSid")):
            return error_body(400, 21602, "Message body is required.")
        if len((fields.get("Body") or [""])[0]) > 1600:
            return error_body(400, 21617, "The concatenated message body exceeds 1600 characters")
        return None

    def _resource(self, sent: Sent) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC), usegmt=True).replace("GMT", "+0000")
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sent.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": sent.get("Body") or "",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sent.get("From"),
            "messaging_service_sid": sent.get("MessagingServiceSid"),
            "num_media": str(len(sent.fields.get("MediaUrl", []))),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sent.sid,
            "status": "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": sent.get("To"),
            "uri": uri,
        }

    def _json(self, status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    # -- requests Twilio makes to Aduan ----------------------------------------------------

    def _status(self, url: str, sent: Sent, status: str) -> None:
        fields = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": sent.get("From") or "",
            "To": sent.get("To") or "",
            "MessageSid": sent.sid,
            "SmsSid": sent.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if status == "undelivered":
            fields["ErrorCode"] = self.undeliverable[fields["To"]]
        # Twilio logs a failed callback in its console and moves on.
        with contextlib.suppress(httpx.HTTPError):
            self.post_webhook(url, fields)

    def post_webhook(
        self, url: str, fields: dict[str, str], signature: str | None = None
    ) -> httpx.Response:
        """POST `fields` to `url` signed as Twilio signs; `signature=""` sends none."""
        if signature is None:
            signature = self.validator.compute_signature(url, fields)
        headers = {"User-Agent": "TwilioProxy/1.1"}
        if signature:
            headers["X-Twilio-Signature"] = signature
        for public, private in self.proxy.items():
            if url.startswith(public):
                url = private + url[len(public) :]
                headers["X-Forwarded-Proto"] = "https"
        return httpx.post(url, data=fields, headers=headers, timeout=10)


def inbound_sms(
    from_: str,
    body: str,
    to: str = "+62215550100",
    sid: str | None = None,
    media: tuple[tuple[str, str], ...] = (),
    **extra: str,
) -> dict[str, str]:
    """The fields of Twilio's incoming-message webhook for an SMS/MMS, as documented."""
    sid = sid or new_sid("MM" if media else "SM")
    fields = {
        "ToCountry": "ID",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "ID",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }
    for index, (url, content_type) in enumerate(media):
        fields[f"MediaUrl{index}"] = url
        fields[f"MediaContentType{index}"] = content_type
    fields.update(extra)
    return fields


def inbound_whatsapp(
    from_: str, body: str, profile_name: str = "Siti", **extra: Any
) -> dict[str, str]:
    """Twilio's incoming-message webhook for WhatsApp: prefixed addresses, profile and WaId."""
    fields = inbound_sms(f"whatsapp:{from_}", body, to="whatsapp:+14155238886", **extra)
    for key in ("ToCountry", "ToState", "ToCity", "FromZip", "FromState", "FromCity"):
        fields.pop(key)
    fields.pop("FromCountry")
    fields.pop("ToZip")
    fields.update(
        {
            "ProfileName": profile_name,
            "WaId": from_.lstrip("+"),
            "MessageType": "location" if "Latitude" in fields else "text",
            "ReferralNumMedia": "0",
        }
    )
    if fields["NumMedia"] != "0":
        fields["MessageType"] = "image"
    return fields
