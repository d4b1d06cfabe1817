"""What dispatch needs to know about the deployment, handed over by the app at start-up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo

from dispatch.destinations import Destination, for_kecamatan
from dispatch.media_links import MediaLinks, MediaSettings
from dispatch.media_store import MediaStore
from dispatch.policy import DispatchSettings, LifecycleSettings, SlaSettings
from dispatch.templates import Templates


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DispatchContext:
    """Names, templates and destinations: everything dispatch reads from the config."""

    instance_name: str
    timezone: ZoneInfo
    default_language: str
    templates: Mapping[str, Templates]
    opd_names: Mapping[str, str]
    category_names: Mapping[str, Mapping[str, str]]
    destinations: Mapping[str, list[Destination]]
    settings: DispatchSettings = field(default_factory=DispatchSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    sla: SlaSettings = field(default_factory=SlaSettings)
    sla_hours: Mapping[str, float] = field(default_factory=dict)  # per category
    media: MediaSettings = field(default_factory=MediaSettings)
    media_channels: frozenset[str] = frozenset()  # whose attachments Aduan fetches and keeps
    media_links: MediaLinks | None = None  # signs the attachment links OPDs get
    media_store: MediaStore | None = None  # keeps them (the app opens the configured one)
    # What time it is for every action and timer (tests set it; the wall clock otherwise).
    clock: Callable[[], datetime] = field(default_factory=lambda: _wall_clock)

    def language(self, preferred: str | None) -> str:
        if preferred is not None and preferred in self.templates:
            return preferred
        return self.default_language

    def text(self, language: str | None, name: str, **values: object) -> str:
        return self.templates[self.language(language)].render(
            name, instance=self.instance_name, **values
        )

    def text_lines(self, language: str | None, name: str, **values: object) -> str:
        """`text`, keeping the template's line breaks (an email body)."""
        return self.templates[self.language(language)].render_lines(
            name, instance=self.instance_name, **values
        )

    def status_name(self, language: str | None, status: str) -> str:
        names = cast(Mapping[str, str], self.templates[self.language(language)].status_names)
        return names.get(status, status)

    def category_name(self, language: str | None, code: str) -> str:
        names = self.category_names.get(code, {})
        return names.get(self.language(language)) or names.get("id") or code

    def destinations_of(self, opd: str, kecamatan: str | None) -> list[Destination]:
        """Where `opd` receives a complaint from `kecamatan` (its kecamatan office, if any)."""
        return for_kecamatan(self.destinations.get(opd, []), kecamatan)

    def opd_name(self, code: str) -> str:
        return self.opd_names.get(code, code)

    def local_time(self, moment: datetime | None) -> str:
        if moment is None:
            return "-"
        local = moment.astimezone(self.timezone)
        return f"{local:%d-%m-%Y %H:%M} {local.tzname()}"
