"""config.yaml: one validated model, loaded once at start-up.

Errors name the file, the line and the field, e.g.
`config.yaml:57: categories.jalan_rusak.opd: unknown OPD 'DPUPRX'`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from aduan.http_settings import HttpSettings
from channels.fetching import MediaLimits
from channels.registry import validate_channel_section
from classifier.rules import CategoryRule, ClassifierSettings, RuleSet
from dispatch.destinations import Destination
from dispatch.media_links import MediaSettings
from dispatch.policy import DispatchSettings, LifecycleSettings, SlaSettings
from dispatch.templates import Templates

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")
Loc = tuple[str | int, ...]


class ConfigError(Exception):
    """config.yaml is unreadable or invalid; the message lists every problem found."""


class InstanceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    timezone: str = "Asia/Jakarta"
    default_language: Language = "id"
    admins: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class OpdConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    destinations: list[Destination] = Field(default_factory=list)


class StaffConfig(BaseModel):
    """A staff member (of one OPD) or an admin, and the addresses they write from."""

    model_config = ConfigDict(extra="forbid")

    name: str
    opd: str | None = None
    role: Literal["staff", "admin"] = "staff"
    addresses: list[str] = Field(min_length=1)
    # A console sign-in; its password is set with `aduan staff passwd LOGIN`.
    login: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")

    @field_validator("addresses")
    @classmethod
    def _urn_like(cls, value: list[str]) -> list[str]:
        for address in value:
            scheme, sep, rest = address.partition(":")
            if not sep or not scheme or not rest:
                raise ValueError(
                    f"{address!r} is not an address like telegram:123 or mailto:a@b.id"
                )
        # Email channels report senders lower-cased; match them whatever the config's case.
        return [a.lower() if a.startswith("mailto:") else a for a in value]


class MapSettings(BaseModel):
    """Where map tiles come from (markers show even when tiles cannot load)."""

    model_config = ConfigDict(extra="forbid")

    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    attribution: str = "© OpenStreetMap contributors"
    # Where the public pages' maps open before a pin is set: the middle of the region.
    center: tuple[float, float] = (-6.9147, 107.6098)
    zoom: int = Field(default=13, ge=1, le=19)

    @field_validator("center")
    @classmethod
    def _on_earth(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError(f"{list(value)} is not [latitude, longitude]")
        return value

    @field_validator("tile_url")
    @classmethod
    def _tiles(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "{z}" not in value:
            raise ValueError(f"{value!r} is not a tile URL like https://host/{{z}}/{{x}}/{{y}}.png")
        return value

    def tile_origin(self) -> str:
        """The tiles' origin for the pages' Content-Security-Policy (`{s}` subdomains: `*.`)."""
        scheme, _, rest = self.tile_url.partition("://")
        host = rest.split("/", 1)[0].replace("{s}", "*")
        return f"{scheme}://{host}"


class PublicSettings(BaseModel):
    """The public site: the report form's photos, and what the public map shows."""

    model_config = ConfigDict(extra="forbid")

    max_photos: int = Field(default=3, ge=0, le=10)
    max_photo_bytes: int = Field(default=5_242_880, ge=10_000, le=20_000_000)
    # "rounded" locations on the map keep this many decimals (3: about 100 m).
    rounded_decimals: int = Field(default=3, ge=1, le=5)
    map_days: int = Field(default=90, ge=1, le=3650, description="how far back the map goes")
    map_limit: int = Field(default=500, ge=1, le=5000, description="the most reports it shows")
    map_cache_seconds: int = Field(
        default=30, ge=0, le=3600, description="how long one computed map and rapor is served"
    )
    links_per_contact: int = Field(
        default=3,
        ge=0,
        le=100,
        description="tracking links sent to one e-mail address or phone in 24 hours, at most",
    )


class ConsoleSettings(BaseModel):
    """The staff console's sign-in rules."""

    model_config = ConfigDict(extra="forbid")

    idle_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    failed_signins_before_lockout: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # How the console downloads a citizen's photo sent as a link, to show it to staff.
    media: MediaLimits = Field(default_factory=MediaLimits)


class AreaSettings(BaseModel):
    """The deployment's areas beyond the official list: a boundary file places GPS points."""

    model_config = ConfigDict(extra="forbid")

    # A GeoJSON FeatureCollection of kecamatan (and desa) polygons, relative to config.yaml's
    # folder; read once at start-up (see aduan/areas/boundaries.py).
    boundaries: Path | None = None
    code_property: str = Field(default="code", min_length=1, description="the Kemendagri code")


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance: InstanceSettings
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    channels: dict[str, dict[str, Any]] = Field(default_factory=dict)
    opds: dict[str, OpdConfig]
    categories: dict[str, CategoryRule]
    templates: dict[Language, Templates]
    staff: list[StaffConfig] = Field(default_factory=list)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    maps: MapSettings = Field(default_factory=MapSettings)
    public: PublicSettings = Field(default_factory=PublicSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    areas: AreaSettings = Field(default_factory=AreaSettings)

    @field_validator("templates")
    @classmethod
    def _default_texts(cls, templates: dict[Language, Templates]) -> dict[Language, Templates]:
        return {language: texts.with_defaults(language) for language, texts in templates.items()}

    def ruleset(self) -> RuleSet:
        return RuleSet(categories=self.categories, settings=self.classifier)

    def opd_name(self, code: str) -> str:
        opd = self.opds.get(code)
        return opd.name if opd else code

    def category_name(self, code: str, language: str) -> str:
        category = self.categories.get(code)
        return category.name.get(language) or category.name.get("id", code) if category else code


def cross_check(config: AppConfig) -> list[tuple[Loc, str]]:
    """Problems that span sections: references to unknown OPDs, categories, languages."""
    problems: list[tuple[Loc, str]] = []
    for code, category in config.categories.items():
        if category.opd not in config.opds:
            problems.append((("categories", code, "opd"), f"unknown OPD {category.opd!r}"))
        for language in LANGUAGES:
            if language not in category.name:
                problems.append((("categories", code, "name"), f"missing name in {language!r}"))
    fallback = config.classifier.fallback_category
    if fallback not in config.categories:
        problems.append((("classifier", "fallback_category"), f"unknown category {fallback!r}"))
    for language in LANGUAGES:
        if language not in config.templates:
            problems.append((("templates",), f"missing templates for language {language!r}"))
    seen: set[str] = set()
    for index, member in enumerate(config.staff):
        if member.role == "staff" and member.opd not in config.opds:
            problems.append((("staff", index, "opd"), f"unknown OPD {member.opd!r}"))
        for address in member.addresses:
            if address in seen:
                problems.append((("staff", index, "addresses"), f"{address!r} is listed twice"))
            seen.add(address)
    for code, opd in config.opds.items():
        for index, destination in enumerate(opd.destinations):
            if destination.kind == "chat" and destination.channel not in config.channels:
                problems.append(
                    (
                        ("opds", code, "destinations", index, "channel"),
                        f"channel {destination.channel!r} is not configured",
                    )
                )
    for name, section in config.channels.items():
        try:
            validate_channel_section(name, section)
        except (ValueError, ValidationError) as exc:
            problems.append((("channels", name), str(exc).replace("\n", " ")))
    return problems


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    node, line = root, (root.start_mark.line + 1 if root else None)
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
            if child is None:  # an unknown key: point at the key itself
                key = next((k for k, _ in node.value if k.value == str(part)), None)
                return key.start_mark.line + 1 if key else line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            return line
        node, line = child, child.start_mark.line + 1
    return line


def _format(path: Path, root: yaml.Node | None, problems: list[tuple[Loc, str]]) -> str:
    lines = [f"{path} is invalid:"]
    for loc, message in problems:
        line = _line_of(root, loc)
        where = ".".join(str(p) for p in loc) or "(top level)"
        lines.append(
            f"  {path}:{line}: {where}: {message}" if line else f"  {path}: {where}: {message}"
        )
    return "\n".join(lines)


def parse_config(text: str, path: Path) -> AppConfig:
    """Validate config text; raise ConfigError naming file, line and field on any problem."""
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a mapping of sections (instance, opds, categories, ...)")
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        problems = [(tuple(err["loc"]), err["msg"]) for err in exc.errors()]
        raise ConfigError(_format(path, _nodes(text), problems)) from None
    problems = cross_check(config)
    if problems:
        raise ConfigError(_format(path, _nodes(text), problems))
    return config


# libyaml's parser when PyYAML has it (a learned rule set is thousands of keywords).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _nodes(text: str) -> yaml.Node | None:
    """The YAML node tree (with line numbers), only needed to report a problem."""
    return yaml.compose(text, Loader=_LOADER)


def load_config(path: Path | str = "config.yaml") -> AppConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_config(text, path)
