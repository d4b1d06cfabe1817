"""OPDs and their destinations as config.yaml says now: a running process follows the file.

An admin who adds an OPD, a webhook or an e-mail address to `opds:` in config.yaml sees it in
force within `check_every` seconds, the way rule versions are followed: intake routes to it,
the OPD status API accepts its token, the outbox delivers to it. A file that no longer reads
as a valid configuration changes nothing (the last good OPDs stay) and is logged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Generic, TypeVar

from aduan.config import AppConfig, ConfigError, load_config
from dispatch.destinations import Destination

log = logging.getLogger("aduan.live_opds")

Value = TypeVar("Value")


class LiveOpds:
    """The OPDs of one config file, re-read when its modification time or size changes."""

    def __init__(
        self,
        path: Path,
        config: AppConfig,
        check_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.check_every = check_every
        self.clock = clock
        self._lock = threading.Lock()
        self._stamp = _stamp(path)
        self._checked = clock()
        self._names, self._destinations = _opds_of(config)
        self.names: Mapping[str, str] = _LiveView(self, lambda: self._names)
        self.destinations: Mapping[str, list[Destination]] = _LiveView(
            self, lambda: self._destinations
        )

    def refresh(self) -> None:
        """Re-read the file if it changed and the check interval has passed."""
        now = self.clock()
        if now - self._checked < self.check_every or not self._lock.acquire(blocking=False):
            return
        try:
            self._checked = now
            stamp = _stamp(self.path)
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                config = load_config(self.path)
            except (ConfigError, OSError) as exc:
                log.warning(
                    "%s changed but does not load; the OPDs stay as they were: %s", self.path, exc
                )
                return
            names, destinations = _opds_of(config)
            if (names, destinations) != (self._names, self._destinations):
                self._names, self._destinations = names, destinations
                log.info("OPDs reloaded from %s: %s", self.path, ", ".join(sorted(names)))
        finally:
            self._lock.release()


class _LiveView(Mapping[str, Value], Generic[Value]):
    """A read-only mapping that checks its owner for a newer file on every read."""

    def __init__(self, owner: LiveOpds, current: Callable[[], Mapping[str, Value]]) -> None:
        self._owner = owner
        self._current = current

    def _now(self) -> Mapping[str, Value]:
        self._owner.refresh()
        return self._current()

    def __getitem__(self, code: str) -> Value:
        return self._now()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


def _opds_of(config: AppConfig) -> tuple[dict[str, str], dict[str, list[Destination]]]:
    names = {code: opd.name for code, opd in config.opds.items()}
    destinations = {code: list(opd.destinations) for code, opd in config.opds.items()}
    return names, destinations


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size
