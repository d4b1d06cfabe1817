"""The `http:` section of config.yaml: what the HTTP server accepts, from whom, and how often."""

from __future__ import annotations

from ipaddress import ip_network

from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field, field_validator


class RateLimits(BaseModel):
    """Requests per client address, as `limits` notation: "30/minute", "5/second;100/hour"."""

    model_config = ConfigDict(extra="forbid")

    web: str = Field(default="60/minute", description="POST /api/v1/web/messages, POST /lapor")
    lookup: str = Field(
        default="30/minute", description="GET /api/v1/web/complaints/{code}, /lacak/..."
    )
    open311: str = Field(default="60/minute", description="/open311/... (GeoReport v2)")
    opd: str = Field(default="600/minute", description="/api/v1/opd/...")
    webhooks: str = Field(default="6000/minute", description="/channels/...")
    other: str = Field(default="120/minute", description="every other route but /health")

    @field_validator("*")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate such as 30/minute") from exc
        return value


class HttpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    cors_origins: list[str] = Field(
        default_factory=list, description="browser origins allowed to call the API"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses whose X-Forwarded-For is believed"
    )
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    rate_limit_storage: str = Field(
        default="memory://",
        description="where the counts live: memory:// (this process) or redis://host:port/db"
        " (shared by every server process)",
    )

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError(f"{value!r} is not memory:// or a redis:// URL")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            scheme, sep, host = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not host or "/" in host:
                raise ValueError(f"{origin!r} is not an origin like https://lapor.example.go.id")
        return [origin.lower() for origin in value]

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"{network!r} is not an IP address or network") from exc
        return value
