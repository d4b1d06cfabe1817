"""Routing rules in the database: each change is a new, validated version; the newest rules.

A version's `rules` JSON holds the rule set, a short account of what changed, and the hash of
the config.yaml rules it descends from. That hash lets start-up tell "config.yaml was edited"
(save it as a new version) from "an admin edited the rules since" (keep them).
Running processes follow the newest version through `LiveRulebook`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.config import AppConfig
from aduan.rules.edits import RuleError, check, describe
from aduan.rules.rulebook import Rulebook, RulebookProvider
from classifier import RuleSet
from classifier.places import Gazetteer
from storage import rules as versions
from storage.areas import peek_areas
from storage.engine import transaction
from storage.models import RuleVersion

log = logging.getLogger("aduan.rules")

CONFIG_AUTHOR = "config.yaml"

Target = Engine | Session


@dataclass(frozen=True)
class Version:
    id: int
    ruleset: RuleSet
    author: str
    note: str
    change: str
    config_hash: str | None
    created_at: datetime


def config_hash(rules: RuleSet) -> str:
    canonical = json.dumps(rules.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _version(row: RuleVersion) -> Version:
    assert row.id is not None
    return Version(
        id=row.id,
        ruleset=RuleSet.model_validate(row.rules["ruleset"]),
        author=row.author,
        note=row.note,
        change=row.rules.get("change", ""),
        config_hash=row.rules.get("config_hash"),
        created_at=row.created_at,
    )


@contextmanager
def _session(target: Target) -> Iterator[Session]:
    """The caller's session as is (its transaction decides), or a new transaction."""
    if isinstance(target, Session):
        yield target
        return
    with transaction(target) as session:
        yield session


def _newest(session: Session) -> Version | None:
    row = versions.newest_version(session)
    return _version(row) if row else None


def newest_version(target: Target) -> Version | None:
    with _session(target) as session:
        return _newest(session)


def current_rulebook(engine: Target) -> Rulebook | None:
    """The newest version, compiled; None before the first version exists."""
    version = newest_version(engine)
    return Rulebook.build(version.ruleset, version.id) if version else None


def area_gazetteer(engine: Engine) -> Gazetteer | None:
    """The imported area list as the classifier's data (None before `aduan areas import`)."""
    peeked = peek_areas(engine)
    return Gazetteer.build(peeked[1]) if peeked and peeked[1] else None


def history(target: Target, limit: int = 50) -> list[Version]:
    """The newest `limit` versions, newest first."""
    with _session(target) as session:
        return [_version(row) for row in versions.newest_versions(session, limit)]


def get_version(target: Target, version_id: int) -> Version:
    with _session(target) as session:
        row = versions.version_by_id(session, version_id)
        if row is None:
            raise RuleError("unknown_version", version=version_id)
        return _version(row)


def _insert(
    session: Session,
    current: Version | None,
    rules: RuleSet,
    author: str,
    note: str,
    source_hash: str | None,
) -> Version:
    document = {
        "ruleset": rules.model_dump(mode="json"),
        "change": describe(current.ruleset if current else None, rules),
        "config_hash": source_hash,
    }
    return _version(versions.insert_version(session, document, author, note))


def apply_edit(
    target: Target,
    edit: Callable[[RuleSet], RuleSet],
    *,
    author: str,
    note: str = "",
    opds: Collection[str],
) -> Version:
    """Apply `edit` to the newest version and save the result as a new version.

    Raises RuleError (and saves nothing) when the result is invalid or changes nothing.
    """
    with _session(target) as session:
        versions.lock_rule_edits(session)
        current = _newest(session)
        if current is None:
            raise RuleError("no_rules")
        rules = edit(current.ruleset)
        check(rules, opds)
        if rules == current.ruleset:
            raise RuleError("no_change")
        return _insert(session, current, rules, author, note, current.config_hash)


def save_version(
    target: Target, ruleset: RuleSet, author: str, note: str = "", *, opds: Collection[str]
) -> int:
    """Save `ruleset` as the newest version (validated; a no-op is refused); its id."""
    with _session(target) as session:
        versions.lock_rule_edits(session)
        current = _newest(session)
        check(ruleset, opds)
        if current is not None and ruleset == current.ruleset:
            raise RuleError("no_change")
        source = current.config_hash if current else None
        return _insert(session, current, ruleset, author, note, source).id


def revert(
    target: Target, version_id: int, author: str, note: str = "", *, opds: Collection[str]
) -> Version:
    """A new version with the rules of `version_id` (history is never rewritten)."""
    with _session(target) as session:
        old = get_version(session, version_id)
        return apply_edit(
            session,
            lambda _: old.ruleset,
            author=author,
            note=note or f"revert to version {version_id}",
            opds=opds,
        )


def sync_from_config(engine: Target, config: AppConfig) -> int | None:
    """Save config.yaml's rules as a version if there is none yet or config.yaml changed.

    Returns the new version's id, or None when the database is already up to date.
    """
    rules = config.ruleset()
    source = config_hash(rules)
    with _session(engine) as session:
        versions.lock_rule_edits(session)
        current = _newest(session)
        if current is not None and current.config_hash == source:
            return None
        check(rules, config.opds)
        note = "config.yaml loaded" if current is None else "config.yaml changed"
        return _insert(session, current, rules, CONFIG_AUTHOR, note, source).id


class LiveRulebook:
    """A RulebookProvider following the newest version, compiled once per version.

    It asks the database for the newest version id (and whether the area list was imported
    again) at most every `check_every` seconds; until a version exists (or while the database
    cannot answer) it serves the last rules it had, starting with `fallback`. A version that
    names an OPD this deployment does not have (`opds`, read at each check) is never put in
    force: the rules in use stay, and it is logged.
    """

    def __init__(
        self,
        engine: Engine,
        fallback: RuleSet,
        check_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        opds: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.engine = engine
        self.check_every = check_every
        self.clock = clock
        self.opds = opds
        self._rulebook = Rulebook.build(fallback)
        self._places: Gazetteer | None = None
        self._area_stamp: object = None
        self._next_check = float("-inf")
        self._lock = threading.Lock()
        self._failing = False
        self._refused: tuple[int, frozenset[str]] | None = None  # logged once per OPD set

    def __call__(self) -> Rulebook:
        if self.clock() >= self._next_check:
            with self._lock:
                if self.clock() >= self._next_check:
                    self._refresh()
                    self._next_check = self.clock() + self.check_every
        return self._rulebook

    def _refresh(self) -> None:
        try:
            newest = versions.peek_newest(self.engine, self._rulebook.version)
            areas = peek_areas(self.engine, self._area_stamp)
        except self.engine.dialect.loaded_dbapi.Error as exc:
            if not self._failing:
                log.warning("cannot read rule versions, keeping the rules in use: %s", exc)
            self._failing = True
            return
        self._failing = False
        if areas is not None:
            self._area_stamp, kecamatan = areas
            self._places = Gazetteer.build(kecamatan) if kecamatan else None
            log.info("area list: %d kecamatan", len(kecamatan))
        if newest is not None:
            version_id, document = newest
            ruleset = RuleSet.model_validate(document["ruleset"])
            if self._acceptable(version_id, ruleset):
                self._rulebook = Rulebook.build(ruleset, version_id, self._places)
                log.info("routing rules version %s in force", version_id)
                return
        if areas is not None:
            current = self._rulebook
            self._rulebook = Rulebook.build(current.ruleset, current.version, self._places)

    def _acceptable(self, version_id: int, ruleset: RuleSet) -> bool:
        """Whether a version may be put in force: it names only OPDs this deployment has."""
        if self.opds is None:
            return True
        opds = frozenset(self.opds())
        if self._refused == (version_id, opds):
            return False
        try:
            check(ruleset, opds)
        except RuleError as error:
            self._refused = (version_id, opds)
            log.error(
                "routing rules version %s refused (%s); version %s stays in force",
                version_id,
                error,
                self._rulebook.version,
            )
            return False
        return True


def live_rulebook(
    engine: Engine,
    config: AppConfig,
    check_every: float = 1.0,
    opds: Callable[[], Collection[str]] | None = None,
) -> LiveRulebook:
    """The rules in force, checked for a newer version every `check_every` seconds.

    `opds`: the deployment's OPDs as they are now (default: config.yaml's at start-up).
    """
    known = opds or (lambda: config.opds)
    return LiveRulebook(engine, config.ruleset(), check_every=check_every, opds=known)


class LiveCategoryNames(Mapping[str, Mapping[str, str]]):
    """Category display names read from the rules in force (categories added live included)."""

    def __init__(self, rules: RulebookProvider) -> None:
        self.rules = rules

    def __getitem__(self, code: str) -> Mapping[str, str]:
        return self.rules().ruleset.categories[code].name

    def __iter__(self) -> Iterator[str]:
        return iter(self.rules().ruleset.categories)

    def __len__(self) -> int:
        return len(self.rules().ruleset.categories)
