"""Who is staff, as the database says now: staff added while a process runs count at once.

Most senders are citizens, so the directory keeps the set of staff addresses and spares them
the staff query. It re-reads the set when the staff addresses change, checking at most every
`check_every` seconds, the way running processes follow new rule versions.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlmodel import Session

from storage.models import Staff
from storage.staff import active_staff_by_address, addresses_signature, all_addresses


class StaffDirectory:
    def __init__(
        self, check_every: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.check_every = check_every
        self.clock = clock
        self._next_check = float("-inf")
        # The signature and the addresses read with it, replaced together.
        self._known: tuple[tuple[int, int | None] | None, frozenset[str]] = (None, frozenset())

    def find(self, session: Session, address: str) -> Staff | None:
        """The active staff member writing from `address`, if any."""
        if address not in self._addresses(session):
            return None
        return active_staff_by_address(session, address)

    def _addresses(self, session: Session) -> frozenset[str]:
        if self.clock() >= self._next_check:
            signature = addresses_signature(session)
            if signature != self._known[0]:
                self._known = (signature, all_addresses(session))
            self._next_check = self.clock() + self.check_every
        return self._known[1]
