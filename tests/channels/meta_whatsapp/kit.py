"""The conformance kit for WhatsApp through Meta's Cloud API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from channels.contract import RawRequest
from channels.meta_whatsapp import MetaWhatsAppAdapter
from tests.channels.conformance import KitSpec
from tests.channels.standins import graph_api
from tests.channels.standins.graph_api import GraphStandIn

CASES = Path(__file__).parent / "cases"
INTERNAL_URL = "http://127.0.0.1:8000/channels/meta_whatsapp/webhook"


def adapter_for(graph_url: str, **settings: Any) -> MetaWhatsAppAdapter:
    config = MetaWhatsAppAdapter.Config.model_validate(
        {
            "phone_number_id": graph_api.PHONE_NUMBER_ID,
            "access_token": graph_api.ACCESS_TOKEN,
            "app_secret": graph_api.APP_SECRET,
            "verify_token": graph_api.VERIFY_TOKEN,
            "graph_url": graph_url,
            "api_version": graph_api.VERSION,
            "timeout_seconds": 1,
            "template": {"name": "aduan_pembaruan", "parameters": ["{code}", "{text}"]},
            **settings,
        }
    )
    return MetaWhatsAppAdapter(config)  # type: ignore[arg-type]


class MetaKit:
    def __init__(self) -> None:
        self.standin = GraphStandIn()

    def adapter(self, provider_url: str | None = None) -> MetaWhatsAppAdapter:
        return adapter_for(
            provider_url or self.standin.url, media={"allow_networks": ["127.0.0.1"]}
        )

    def request(self, spec: dict[str, Any]) -> RawRequest:
        if spec.get("method") == "GET":
            query = {k: str(v) for k, v in spec.get("query", {}).items()}
            return RawRequest("GET", INTERNAL_URL, {}, b"", query)
        body = spec["body"].encode() if "body" in spec else json.dumps(spec["json"]).encode()
        headers = {"Content-Type": "application/json"}
        how = spec.get("signature", "valid")
        if how != "missing":
            secret = "not-the-app-secret" if how == "wrong" else graph_api.APP_SECRET
            headers["X-Hub-Signature-256"] = graph_api.signature(body, secret)
        return RawRequest("POST", INTERNAL_URL, headers, body)

    def script(self, status: int, body: dict[str, Any], delay: float = 0) -> None:
        self.standin.answer_next(status, body, delay)

    def last_sent(self) -> dict[str, Any]:
        return self.standin.sent[-1]

    def serve_media(self, content: bytes, content_type: str) -> str:
        return self.standin.add_media(content, content_type)

    def close(self) -> None:
        self.standin.close()


KIT = KitSpec(CASES, MetaKit)
