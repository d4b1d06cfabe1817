"""The rule store: how processes follow the newest version, and how config.yaml seeds it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from aduan.config import load_config
from aduan.rules.edits import RuleError, add_keyword
from aduan.rules.store import (
    LiveRulebook,
    apply_edit,
    current_rulebook,
    save_version,
    sync_from_config,
)
from storage.migrate import upgrade


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    upgrade(engine)
    return engine


def test_a_process_sees_a_new_version_after_the_check_interval_only(
    migrated: Engine, config: Path
) -> None:
    loaded = load_config(config)
    clock = Clock()
    live = LiveRulebook(migrated, loaded.ruleset(), check_every=2.0, clock=clock)
    assert live().version is None  # no version yet: the config's rules
    sync_from_config(migrated, loaded)
    clock.now = 2.0
    first = live()
    assert first.version == 1
    assert live() is first  # compiled once per version

    apply_edit(
        migrated,
        lambda rules: add_keyword(rules, "sampah", "popok", 3),
        author="ani",
        opds=loaded.opds,
    )
    clock.now = 3.0
    assert live() is first  # checked less than 2 s ago
    clock.now = 4.0
    assert live().version == 2
    assert "popok" in live().ruleset.categories["sampah"].keywords


def test_config_yaml_is_a_version_once_and_again_only_when_it_changes(
    migrated: Engine, config: Path
) -> None:
    loaded = load_config(config)
    assert sync_from_config(migrated, loaded) == 1
    assert sync_from_config(migrated, loaded) is None
    edited = loaded.ruleset().model_copy(deep=True)
    edited.categories["sampah"].sla_hours = 12
    assert save_version(migrated, edited, "ani", opds=loaded.opds) == 2
    assert sync_from_config(migrated, loaded) is None  # the admin's edit is kept
    rulebook = current_rulebook(migrated)
    assert rulebook is not None and rulebook.sla_hours("sampah") == 12

    config.write_text(config.read_text().replace("sla_hours: 48", "sla_hours: 36", 1))
    assert sync_from_config(migrated, load_config(config)) == 3


def test_save_version_refuses_invalid_rules_and_no_ops(migrated: Engine, config: Path) -> None:
    loaded = load_config(config)
    sync_from_config(migrated, loaded)
    with pytest.raises(RuleError, match="nothing would change"):
        save_version(migrated, loaded.ruleset(), "ani", opds=loaded.opds)
    broken = loaded.ruleset().model_copy(deep=True)
    broken.categories["sampah"].opd = "NOPE"
    with pytest.raises(RuleError, match="unknown OPD 'NOPE'"):
        save_version(migrated, broken, "ani", opds=loaded.opds)
    del broken.categories["lainnya"]
    broken.categories["sampah"].opd = "DLH"
    with pytest.raises(RuleError, match="fallback category 'lainnya' must exist"):
        save_version(migrated, broken, "ani", opds=loaded.opds)
    assert current_rulebook(migrated).version == 1  # type: ignore[union-attr]
