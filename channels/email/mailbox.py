"""One IMAP connection to the complaint mailbox. Blocking (imapclient): the poller runs each
call in a worker thread, one at a time."""

from __future__ import annotations

import contextlib
import imaplib
import ssl
import time
from datetime import UTC, datetime

from imapclient import IMAPClient

from channels.email.config import EmailConfig

PROCESSED_KEYWORD = "$AduanProcessed"
FETCH_BATCH = 500

# What a dropped or refused connection raises; the poller reconnects with backoff on these.
CONNECTION_ERRORS = (imaplib.IMAP4.error, OSError, EOFError)


class ServerGone(ConnectionError):
    """The server said BYE (shutting down, or timed us out)."""


class Mailbox:
    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        self.client: IMAPClient | None = None
        self.can_idle = False
        self.can_move = False
        self.delimiter = "/"
        self.prefix = ""

    @property
    def imap(self) -> IMAPClient:
        assert self.client is not None, "open() first"
        return self.client

    def open(self) -> int:
        """Connect, log in, make our folders, select the mailbox; returns its UIDVALIDITY."""
        config = self.config
        context = ssl.create_default_context()
        self.client = IMAPClient(
            config.imap_host,
            port=config.imap_port,
            ssl=config.imap_security == "ssl",
            ssl_context=context,
            timeout=config.timeout_seconds,
        )
        if config.imap_security == "starttls":
            self.imap.starttls(context)
        self.imap.login(config.imap_user, config.imap_password.get_secret_value())
        capabilities = self.imap.capabilities()
        self.can_idle = b"IDLE" in capabilities
        self.can_move = b"MOVE" in capabilities
        self._learn_hierarchy()
        for folder in self._folders():
            name = self.folder(folder)
            if not self.imap.folder_exists(name):
                self.imap.create_folder(name)
                self.imap.subscribe_folder(name)
        selected = self.imap.select_folder(config.mailbox)
        return int(selected[b"UIDVALIDITY"])

    def _learn_hierarchy(self) -> None:
        """Servers differ: `Aduan/Diproses` on Dovecot is `INBOX.Aduan.Diproses` on Courier."""
        listed = self.imap.list_folders("", "")
        if listed and listed[0][1]:
            self.delimiter = listed[0][1].decode()
        if self.imap.has_capability("NAMESPACE"):
            personal = self.imap.namespace().personal
            if personal:
                self.prefix = personal[0][0] or ""

    def _folders(self) -> list[str]:
        config = self.config
        folders = [config.automatic_folder, config.set_aside_folder]
        return [config.processed_folder, *folders] if config.processed_folder else folders

    def folder(self, name: str) -> str:
        local = name.replace("/", self.delimiter)
        if self.prefix and not local.startswith(self.prefix):
            local = self.prefix + local
        return local

    def uids_after(self, uid: int) -> list[int]:
        """UIDs above `uid`, oldest first (`n:*` also matches the highest UID when below n)."""
        criteria: list[str] = ["UID", f"{uid + 1}:*"]
        if not self.config.processed_folder:
            criteria += ["UNKEYWORD", PROCESSED_KEYWORD]
        return sorted(u for u in self.imap.search(criteria) if u > uid)

    def committed_leftovers(self, uid: int) -> list[int]:
        """Mail already taken in (UID ≤ cursor) but not yet filed, after a crash in between."""
        if uid < 1:
            return []
        criteria: list[str] = ["UID", f"1:{uid}"]
        if not self.config.processed_folder:
            criteria += ["UNKEYWORD", PROCESSED_KEYWORD]
        return sorted(u for u in self.imap.search(criteria) if u <= uid)

    def envelopes(self, uids: list[int]) -> dict[int, tuple[int, datetime]]:
        """Size and arrival time of each message, without fetching any body."""
        found: dict[int, tuple[int, datetime]] = {}
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            for uid, data in self.imap.fetch(batch, ["RFC822.SIZE", "INTERNALDATE"]).items():
                arrived = data.get(b"INTERNALDATE") or datetime.now(UTC)
                if arrived.tzinfo is None:
                    arrived = arrived.astimezone()
                found[uid] = (int(data[b"RFC822.SIZE"]), arrived.astimezone(UTC))
        return found

    def body(self, uid: int) -> bytes | None:
        """The whole message, with BODY.PEEK so it is not marked read before it is stored."""
        data = self.imap.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        return data.get(b"BODY[]") if data else None

    def file(self, uids: list[int], folder: str | None) -> None:
        """Move `uids` to `folder`; with no folder, flag them as processed where they are."""
        if not uids:
            return
        if folder is None:
            self.imap.add_flags(uids, [PROCESSED_KEYWORD])
            return
        target = self.folder(folder)
        if self.can_move:
            self.imap.move(uids, target)
        else:
            self.imap.copy(uids, target)
            self.imap.delete_messages(uids)
            if self.imap.has_capability("UIDPLUS"):
                self.imap.uid_expunge(uids)
            else:
                self.imap.expunge()

    def idle_start(self) -> bool:
        """Enter IDLE; True when the server reported new mail while we were entering it.

        A server may announce mail that arrived since the last command before it says
        "+ idling"; imaplib files such lines away, and `idle_check` never sees them.
        """
        self.imap.idle()
        pending = self.imap._imap.untagged_responses  # imaplib's store of those lines
        return any([pending.pop(key, None) for key in ("EXISTS", "RECENT")])

    def idle_check(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds in IDLE; True when new mail arrived."""
        started = time.monotonic()
        responses = self.imap.idle_check(timeout=timeout)
        if not responses and time.monotonic() - started < timeout / 2:
            # imapclient returns nothing, at once, when the socket hit EOF.
            raise ServerGone("connection closed during IDLE")
        for response in responses:
            if len(response) > 1 and response[0] == b"BYE":
                raise ServerGone(repr(response))
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)

    def idle_done(self) -> None:
        self.imap.idle_done()

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.logout()
        except Exception:  # the connection is often already gone; just drop the socket
            with contextlib.suppress(Exception):
                self.client.shutdown()
        self.client = None
