"""The process environment, read once at the edge into typed settings.

Nothing below the app reads `os.environ`: storage gets a URL, the rules a check interval, the
channels and OPD senders this mapping of variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_ENV = "ADUAN_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///aduan.db"
RULES_CHECK_ENV = "ADUAN_RULES_CHECK_SECONDS"
WEB_ASSETS_ENV = "ADUAN_WEB_ASSETS"


@dataclass(frozen=True)
class Environment:
    """What the process was started with: the database, check interval, assets and secrets."""

    variables: Mapping[str, str]
    database_url: str
    rules_check_seconds: float
    web_assets: Path | None

    @classmethod
    def read(cls, variables: Mapping[str, str] | None = None) -> Environment:
        """The settings in `variables` (default: this process's environment, copied once)."""
        values = dict(os.environ if variables is None else variables)
        return cls(
            variables=values,
            database_url=values.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL,
            rules_check_seconds=_seconds(values.get(RULES_CHECK_ENV), default=1.0),
            web_assets=Path(values[WEB_ASSETS_ENV]) if values.get(WEB_ASSETS_ENV) else None,
        )


def _seconds(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default
