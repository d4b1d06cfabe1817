"""Request bodies of the routes that read the raw body, declared for the OpenAPI document.

Those routes hand the bytes to an adapter (which verifies signatures over them), so FastAPI
cannot infer a body; declaring it shows clients what to send and lets the fuzzer send it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from aduan.open311.requests import NewRequest
from channels.web import WebSubmission

FORM = "application/x-www-form-urlencoded"


def _inlined(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` written in place (none of ours is recursive)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


def web_submission() -> dict[str, Any]:
    """`openapi_extra` of POST /api/v1/web/messages: a submission as JSON or as a form."""
    schema = _inlined(WebSubmission)
    flat = {
        "type": "object",
        "required": ["text"],
        "properties": {
            **{
                name: {"type": "string"}
                for name in ("text", "id", "sender", "name", "language", "address")
            },
            "lat": {"type": "number"},
            "lon": {"type": "number"},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}, FORM: {"schema": flat}},
        }
    }


def webhook() -> dict[str, Any]:
    """`openapi_extra` of /channels/{name}/...: whatever the provider posts, JSON or a form."""
    return {
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                FORM: {"schema": {"type": "object", "additionalProperties": {"type": "string"}}},
            },
        }
    }


def open311_request() -> dict[str, Any]:
    """`openapi_extra` of POST /open311/v2/requests.{fmt}: the spec's form parameters."""
    numbers = {"lat", "long"}
    properties = {
        name: {"type": "number"} if name in numbers else {"type": "string"}
        for name in ("api_key", *NewRequest.model_fields)
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["api_key", "service_code"],
                        "properties": properties,
                    }
                }
            },
        }
    }
