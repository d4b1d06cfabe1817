"""The explicit list of channels. Adding a channel is one line here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from channels.console import ConsoleAdapter
from channels.contract import Adapter
from channels.email import EmailAdapter
from channels.meta_whatsapp import MetaWhatsAppAdapter
from channels.telegram import TelegramAdapter
from channels.twilio import TwilioSmsAdapter, TwilioWhatsAppAdapter
from channels.web import WebAdapter

ADAPTER_CLASSES: tuple[type[Adapter], ...] = (
    WebAdapter,
    ConsoleAdapter,
    EmailAdapter,
    TwilioSmsAdapter,
    TwilioWhatsAppAdapter,
    MetaWhatsAppAdapter,
    TelegramAdapter,
)

REGISTRY: dict[str, type[Adapter]] = {cls.name: cls for cls in ADAPTER_CLASSES}
# The channels whose attachments are references only their adapter can fetch (MediaSource).
MEDIA_CHANNELS = frozenset(c.name for c in ADAPTER_CLASSES if hasattr(c, "fetch_media"))


@dataclass(frozen=True)
class ChannelStatus:
    name: str
    active: bool
    reason: str = ""


def validate_channel_section(name: str, section: Mapping[str, Any]) -> None:
    """Check one `channels:` section against its adapter's declared Config."""
    if name not in REGISTRY:
        raise ValueError(f"unknown channel {name!r}; known: {', '.join(sorted(REGISTRY))}")
    cls = REGISTRY[name]
    in_yaml = sorted(set(section) & set(cls.secrets))
    if in_yaml:
        variables = ", ".join(cls.secrets[field] for field in in_yaml)
        raise ValueError(f"{', '.join(in_yaml)}: secrets come from the environment ({variables})")
    try:
        cls.Config.model_validate(dict(section))
    except ValidationError as exc:
        # Secrets are read from the environment at start-up; only the rest is checked here.
        problems = [
            e
            for e in exc.errors()
            if not (e["type"] == "missing" and e["loc"] and e["loc"][0] in cls.secrets)
        ]
        if problems:
            raise ValueError(
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in problems)
            ) from None


def _missing_secrets(cls: type[Adapter], env: Mapping[str, str]) -> list[str]:
    """The variables of the secrets `cls` requires that the environment lacks."""
    fields = cls.Config.model_fields
    return [
        var for field, var in cls.secrets.items() if var not in env and fields[field].is_required()
    ]


def build_adapters(
    sections: Mapping[str, Mapping[str, Any]],
    env: Mapping[str, str],
) -> tuple[dict[str, Adapter], list[ChannelStatus]]:
    """Instantiate every enabled channel whose secrets are present in the environment.

    Returns the active adapters and, for every channel, whether it is on and why not.
    A secret is required unless the Config gives the field a default.
    """
    active: dict[str, Adapter] = {}
    statuses: list[ChannelStatus] = []
    for name, cls in REGISTRY.items():
        missing = _missing_secrets(cls, env)
        if name not in sections:
            to_do = [f"set {', '.join(missing)}"] if missing else []
            to_do.append(f"add channels.{name} to config.yaml")
            statuses.append(ChannelStatus(name, False, " and ".join(to_do)))
            continue
        section = dict(sections[name])
        if not section.get("enabled", True):
            statuses.append(ChannelStatus(name, False, "disabled in config.yaml"))
            continue
        if missing:
            statuses.append(ChannelStatus(name, False, f"set {', '.join(missing)}"))
            continue
        for field, var in cls.secrets.items():
            if var in env:
                section[field] = env[var]
        try:
            config = cls.Config.model_validate(section)
        except ValidationError as exc:
            statuses.append(ChannelStatus(name, False, f"invalid settings: {exc}"))
            continue
        active[name] = cls(config)
        statuses.append(ChannelStatus(name, True))
    return active, statuses
