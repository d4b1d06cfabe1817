"""Deployment policy for the complaint lifecycle and SLAs (sections `lifecycle:` and `sla:`)."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dispatch.destinations import Destination


class BusinessHours(BaseModel):
    """Working hours in the instance's time zone; SLA clocks only run inside them."""

    model_config = ConfigDict(extra="forbid")

    start: time = time(8, 0)
    end: time = time(16, 0)
    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        # YAML reads an unquoted 16:00 as the number 960 (base 60), which would mean 00:16.
        if isinstance(value, int):
            raise ValueError('write the time in quotes, e.g. "16:00"')
        return value

    @model_validator(mode="after")
    def _some_working_time(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not self.weekdays or any(day not in range(7) for day in self.weekdays):
            raise ValueError("weekdays must list at least one day, 0 (Monday) to 6 (Sunday)")
        return self


class SlaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reminder_before_hours: float = Field(default=6, ge=0)
    repeat_every_hours: float = Field(default=24, gt=0)
    escalate_to: list[Destination] = Field(
        default_factory=list, description="supervisor destinations for overdue complaints"
    )
    business_hours: BusinessHours | None = None
    red_threshold: float = Field(default=0.8, ge=0, le=1, description="on-time share for green")


class LifecycleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reopen_days: int = Field(default=7, ge=0, description="days a citizen may reopen")
    duplicate_window_hours: float = Field(default=24, ge=0)
    duplicate_similarity: float = Field(default=75, ge=0, le=100, description="rapidfuzz score")
    duplicate_radius_m: float = Field(default=300, ge=0)


class DispatchSettings(BaseModel):
    """How the outbox sends: retries, backoff, parallel sends, leases and timeouts."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=15, gt=0)
    backoff_max_seconds: float = Field(default=3600, gt=0)
    concurrency: int = Field(default=32, ge=1, le=1000)  # sends in flight at once
    per_destination: int = Field(default=4, ge=1)  # ... to one channel or OPD endpoint
    lease_seconds: float = Field(default=10, ge=1)  # a claim lapses unrenewed this long
    send_timeout_seconds: float = Field(default=60, gt=0)  # unanswered then: retried

    @model_validator(mode="after")
    def _share_fits(self) -> DispatchSettings:
        if self.per_destination > self.concurrency:
            raise ValueError("per_destination cannot exceed concurrency")
        return self
