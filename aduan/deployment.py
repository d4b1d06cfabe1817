"""A database belongs to one deployment: commands run with another's configuration are refused.

The first command that migrates a database claims it for its configuration's instance
(`instance.name`). From then on a command whose configuration names another instance stops
before it reads or writes anything: one region's rules never come into force in another
region's server, and a later command never "restores" its own config over the edits made since.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from aduan.config import AppConfig, ConfigError
from aduan.rules.edits import RuleError, check
from aduan.rules.store import newest_version
from storage import deployment
from storage.engine import transaction


class WrongDeployment(ConfigError):
    """The database belongs to another deployment than the configuration given."""


def database_name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def ensure_deployment(engine: Engine, config: AppConfig, path: Path, claim: bool) -> None:
    """Refuse a database claimed by another instance; claim an unclaimed one when `claim`.

    An unclaimed database that already holds rules (made before claims existed) is claimed only
    if those rules name no OPD the configuration lacks.
    """
    instance = config.instance.name
    with transaction(engine) as session:
        owner = deployment.owner(session)
        if owner == instance:
            return
        if owner is not None:
            raise WrongDeployment(
                f"refused: the database {database_name(engine)} belongs to the deployment "
                f'"{owner}", but {path} is the configuration of "{instance}"; nothing was read '
                "or changed. Use that deployment's own configuration, or set ADUAN_DATABASE_URL "
                f'to the database of "{instance}". If "{owner}" was renamed to "{instance}", '
                f"run: aduan db claim --config {path}"
            )
        if not claim:
            return
        current = newest_version(session)
        if current is not None:
            try:
                check(current.ruleset, config.opds)
            except RuleError as error:
                raise WrongDeployment(
                    f"refused: the database {database_name(engine)} holds routing rules that do "
                    f"not fit {path} ({error}); it is probably another deployment's database. "
                    "Nothing was changed; set ADUAN_DATABASE_URL to this deployment's database."
                ) from None
        deployment.claim(session, instance)


def claim_for(engine: Engine, config: AppConfig) -> str | None:
    """Claim the database for `config`'s instance whoever held it; the previous owner."""
    with transaction(engine) as session:
        previous = deployment.owner(session)
        deployment.claim(session, config.instance.name)
    return previous
