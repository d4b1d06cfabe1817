"""The conformance kit for Twilio SMS and Twilio WhatsApp."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from channels.contract import RawRequest
from channels.twilio import TwilioSmsAdapter, TwilioWhatsAppAdapter
from channels.twilio.adapter import TwilioAdapter
from tests.channels.conformance import KitSpec
from tests.channels.standins.twilio_api import TwilioStandIn

CASES = Path(__file__).parent / "cases"
PUBLIC_URL = "https://aduan.example.go.id"
INTERNAL_URL = "http://127.0.0.1:8000"  # where the app listens behind the TLS proxy
FORM = "application/x-www-form-urlencoded"


class TwilioKit:
    def __init__(self, cls: type[TwilioAdapter], from_number: str, **settings: Any) -> None:
        self.cls = cls
        self.from_number = from_number
        self.settings = settings
        self.standin = TwilioStandIn()

    def adapter(self, provider_url: str | None = None) -> TwilioAdapter:
        config = self.cls.Config.model_validate(
            {
                "account_sid": self.standin.account_sid,
                "auth_token": self.standin.auth_token,
                "from_number": self.from_number,
                "public_url": PUBLIC_URL,
                "api_base_url": provider_url or self.standin.url,
                "timeout_seconds": 1,
                "media": {"allow_networks": ["127.0.0.1/32"]},  # the stand-in is on loopback
                **self.settings,
            }
        )
        return self.cls(config)  # type: ignore[arg-type]

    def request(self, spec: dict[str, Any]) -> RawRequest:
        path = f"/channels/{self.cls.name}/{spec.get('path', 'inbound')}"
        form = {k: str(v) for k, v in spec.get("form", {}).items()}
        body = spec["body"].encode() if "body" in spec else urlencode(form).encode()
        headers = {
            "Content-Type": spec.get("content_type", FORM),
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "attacker.example",  # must never be believed
        }
        signed_url = {
            "valid": PUBLIC_URL + path,
            "wrong": PUBLIC_URL + path,
            "internal": INTERNAL_URL + path,  # what an app that ignores the proxy would check
        }
        how = spec.get("signature", "valid")
        if how != "missing":
            token = "not-the-auth-token" if how == "wrong" else self.standin.auth_token
            headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(
                signed_url[how], form
            )
        return RawRequest("POST", INTERNAL_URL + path, headers, body)

    def script(self, status: int, body: dict[str, Any], delay: float = 0) -> None:
        self.standin.answer_next(status, body, delay)

    def last_sent(self) -> dict[str, Any]:
        fields = self.standin.sent[-1].fields
        return {key: values[0] if len(values) == 1 else values for key, values in fields.items()}

    def serve_media(self, content: bytes, content_type: str) -> str:
        return self.standin.add_media(content, content_type)

    def close(self) -> None:
        self.standin.close()


ONE_PER_REQUEST = "Twilio posts one message per request: there is no batch to lose"
SMS = KitSpec(
    CASES / "sms",
    lambda: TwilioKit(TwilioSmsAdapter, "+62215550100"),
    cannot={
        "unsupported_answered": "an SMS carries only text and MMS media, both read",
        "batch_partly_taken": ONE_PER_REQUEST,
        "no_phone_answered": "every SMS sender is a phone number",
    },
)
TEMPLATE = {
    "content_sid": "HX" + "0123456789abcdef" * 2,
    "variables": {"1": "{code}", "2": "{text}"},
}
WHATSAPP = KitSpec(
    CASES / "whatsapp",
    lambda: TwilioKit(TwilioWhatsAppAdapter, "+14155238886", template=TEMPLATE),
    cannot={
        "batch_partly_taken": ONE_PER_REQUEST,
        "no_phone_answered": "Twilio names every WhatsApp sender by number (whatsapp:+…)",
    },
)
