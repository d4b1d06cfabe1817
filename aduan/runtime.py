"""Wiring: from a config file and a database URL to a ready pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from aduan.areas.boundaries import Boundaries, BoundaryError
from aduan.complaints.pipeline import Pipeline
from aduan.complaints.staff_directory import StaffDirectory
from aduan.complaints.staff_seed import seed_staff
from aduan.config import AppConfig, ConfigError, load_config
from aduan.deployment import ensure_deployment
from aduan.environment import Environment
from aduan.live_opds import LiveOpds
from aduan.rules.rulebook import RulebookProvider
from aduan.rules.store import LiveCategoryNames, live_rulebook, sync_from_config
from channels.registry import MEDIA_CHANNELS
from dispatch.context import DispatchContext
from dispatch.media_links import MediaLinks, MediaSettings, link_key
from dispatch.media_store import open_store
from storage.engine import make_engine
from storage.migrate import upgrade


def media_links(settings: MediaSettings, env: Mapping[str, str]) -> MediaLinks | None:
    """Links to stored attachments for OPDs, when Aduan knows its public URL."""
    if settings.public_url is None:
        return None
    ttl = timedelta(hours=settings.link_hours)
    return MediaLinks(link_key(settings, env), settings.public_url, ttl)


def dispatch_context(config: AppConfig) -> DispatchContext:
    return DispatchContext(
        instance_name=config.instance.name,
        timezone=ZoneInfo(config.instance.timezone),
        default_language=config.instance.default_language,
        templates={language: texts for language, texts in config.templates.items()},
        opd_names={code: opd.name for code, opd in config.opds.items()},
        category_names={code: dict(c.name) for code, c in config.categories.items()},
        destinations={code: list(opd.destinations) for code, opd in config.opds.items()},
        settings=config.dispatch,
        lifecycle=config.lifecycle,
        sla=config.sla,
        sla_hours={code: c.sla_hours for code, c in config.categories.items()},
        media=config.media,
        media_channels=MEDIA_CHANNELS,
    )


def load_boundaries(config: AppConfig, config_path: Path) -> Boundaries | None:
    """The boundary file config.yaml names (relative to its folder), or None; ConfigError if
    it cannot be used, so a bad file stops start-up."""
    path = config.areas.boundaries
    if path is None:
        return None
    try:
        return Boundaries.read(config_path.parent / path, config.areas.code_property)
    except BoundaryError as exc:
        raise ConfigError(f"{config_path}: areas.boundaries: {exc}") from None


@dataclass
class Runtime:
    config: AppConfig
    engine: Engine
    ctx: DispatchContext
    rules: RulebookProvider
    pipeline: Pipeline
    environment: Environment


def build_runtime(
    config_path: Path | str,
    database_url: str | None = None,
    migrate: bool = False,
    environment: Environment | None = None,
) -> Runtime:
    """The deployment of `config_path`: the environment is read here once (or handed in).

    Raises WrongDeployment (a ConfigError) when the database belongs to another deployment;
    `migrate` claims a database no deployment has claimed yet.
    """
    environment = environment or Environment.read()
    config = load_config(config_path)
    boundaries = load_boundaries(config, Path(config_path))
    engine = make_engine(database_url or environment.database_url)
    if migrate:
        upgrade(engine)
    ensure_deployment(engine, config, Path(config_path), claim=migrate)
    if migrate:
        seed_staff(engine, config.staff)
        sync_from_config(engine, config)
    # OPDs, destinations and rules are followed while running, each within a check interval;
    # a rule version naming an OPD the deployment lacks is never put in force.
    opds = LiveOpds(Path(config_path), config, environment.rules_check_seconds)
    rules: RulebookProvider = live_rulebook(
        engine, config, environment.rules_check_seconds, opds=opds.names.keys
    )
    ctx = replace(
        dispatch_context(config),
        category_names=LiveCategoryNames(rules),
        opd_names=opds.names,
        destinations=opds.destinations,
        media_links=media_links(config.media, environment.variables),
        media_store=open_store(config.media, environment.variables),
    )
    # Staff are followed like rule versions: added while running, they count within a check.
    staff = StaffDirectory(check_every=environment.rules_check_seconds)
    return Runtime(
        config=config,
        engine=engine,
        ctx=ctx,
        rules=rules,
        pipeline=Pipeline(engine, ctx, rules, staff=staff, boundaries=boundaries),
        environment=environment,
    )
