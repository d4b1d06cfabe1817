"""IMAP intake, exactly once.

Each message is handed to the core together with the cursor (account, mailbox, UIDVALIDITY,
UID) in one `sink.deliver` call, which commits both in one transaction; only then is the mail
filed away. A crash before the commit re-reads the mail; a crash after it finds the UID at or
below the cursor and only files it. When UIDVALIDITY changes the mailbox is read again from the
start, and the core's dedupe on the Message-ID (the external id) keeps that from duplicating.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from pathlib import Path

from channels.contract import Cursor, Sink
from channels.email.config import EmailConfig
from channels.email.mailbox import CONNECTION_ERRORS, Mailbox
from channels.email.reading import Reading, ReadSettings, read_mail
from channels.masking import mask_address
from channels.message import InboundMessage

log = logging.getLogger("aduan.channels.email")

MAX_CORE_FAILURES = 3
IDLE_TICK_SECONDS = 1.0


def cursor_key(config: EmailConfig) -> str:
    return f"imap://{config.imap_user}@{config.imap_host}:{config.imap_port}/{config.mailbox}"


def parse_cursor(value: str | None) -> tuple[int, int] | None:
    """`"<uidvalidity>:<uid>"` -> the pair, or None when absent or unreadable."""
    try:
        validity, uid = (value or "").split(":")
        return int(validity), int(uid)
    except ValueError:
        return None


def store_files(files: dict[Path, bytes]) -> None:
    """Write attachments; names are content hashes, so a re-read writes the same files."""
    for path, data in files.items():
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class MailPoller:
    """Reads the mailbox until `stop` is set; reconnects with backoff when the server goes."""

    def __init__(self, config: EmailConfig, channel: str) -> None:
        self.config = config
        self.key = cursor_key(config)
        self.settings = ReadSettings(
            channel=channel,
            own_addresses=config.own_addresses,
            message_id_domain=config.domain,
            attachments_dir=config.attachments_dir,
            max_parts=config.max_parts,
            max_attachments=config.max_attachments,
            max_attachment_bytes=config.max_attachment_bytes,
        )
        self.failures: dict[tuple[int, int], int] = {}

    async def run(self, sink: Sink, stop: asyncio.Event) -> None:
        delay = 1.0
        while not stop.is_set():
            box = Mailbox(self.config)
            try:
                validity = await asyncio.to_thread(box.open)
                delay = 1.0
                log.info(
                    "IMAP %s:%s connected (IDLE %s)",
                    self.config.imap_host,
                    self.config.imap_port,
                    "yes" if box.can_idle else "no",
                )
                await self._read(box, validity, sink, stop)
            except CONNECTION_ERRORS as exc:
                log.warning(
                    "IMAP %s:%s unavailable (%s: %s); reconnecting in %.0f s",
                    self.config.imap_host,
                    self.config.imap_port,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await _pause(stop, delay)
                delay = min(delay * 2, self.config.reconnect_max_seconds)
            finally:
                await asyncio.to_thread(box.close)

    async def _read(self, box: Mailbox, validity: int, sink: Sink, stop: asyncio.Event) -> None:
        stored = parse_cursor(await sink.load_cursor(self.key))
        last = 0
        if stored is not None and stored[0] == validity:
            last = stored[1]
            leftovers = await asyncio.to_thread(box.committed_leftovers, last)
            await asyncio.to_thread(box.file, leftovers, self.config.processed_folder)
        elif stored is not None:
            log.warning(
                "UIDVALIDITY of %s changed (%s -> %s): reading it again; Message-IDs prevent "
                "duplicates",
                self.config.mailbox,
                stored[0],
                validity,
            )
        while not stop.is_set():
            uids = await asyncio.to_thread(box.uids_after, last)
            if not uids:
                await self._wait(box, stop)
                continue
            envelopes = await asyncio.to_thread(box.envelopes, uids)
            for uid in uids:
                if stop.is_set():
                    return
                if uid in envelopes:
                    size, arrived = envelopes[uid]
                    await self._take(box, sink, validity, uid, size, arrived)
                else:  # expunged by someone else meanwhile
                    await sink.deliver([], Cursor(self.key, f"{validity}:{uid}"))
                last = uid

    async def _take(
        self,
        box: Mailbox,
        sink: Sink,
        validity: int,
        uid: int,
        size: int,
        arrived: datetime,
    ) -> None:
        cursor = Cursor(self.key, f"{validity}:{uid}")
        if size > self.config.max_message_bytes:
            reading = Reading(
                "set_aside", reason=f"{size} bytes (limit {self.config.max_message_bytes})"
            )
        else:
            raw = await asyncio.to_thread(box.body, uid)
            if raw is None:
                await sink.deliver([], cursor)
                return
            reading = read_mail(raw, self.settings, arrived)
        if reading.files:
            await asyncio.to_thread(store_files, reading.files)
        try:
            await sink.deliver(reading.items, cursor)
        except Exception as exc:
            reading = self._core_failed((validity, uid), exc)
            await sink.deliver([], cursor)
        self.failures.pop((validity, uid), None)
        await asyncio.to_thread(box.file, [uid], self._folder(reading))
        self._log(uid, reading)

    def _core_failed(self, where: tuple[int, int], exc: Exception) -> Reading:
        """A mail the core keeps failing on is set aside after a few tries, so it cannot stop
        every mail behind it; before that, the error propagates and the poller retries."""
        count = self.failures.get(where, 0) + 1
        self.failures[where] = count
        if count < MAX_CORE_FAILURES:
            raise exc
        return Reading("set_aside", reason=f"failed {count} times: {type(exc).__name__}: {exc}")

    def _folder(self, reading: Reading) -> str | None:
        return {
            "accept": self.config.processed_folder,
            "automatic": self.config.automatic_folder,
            "set_aside": self.config.set_aside_folder,
        }[reading.verdict]

    def _log(self, uid: int, reading: Reading) -> None:
        inbound = next((i for i in reading.items if isinstance(i, InboundMessage)), None)
        who = mask_address(inbound.sender) if inbound else "-"
        for note in reading.notes:
            log.info("email UID %s from %s: %s", uid, who, note)
        if reading.verdict == "set_aside":
            log.warning(
                "email UID %s set aside in %s: %s",
                uid,
                self.config.set_aside_folder,
                reading.reason,
            )
        elif reading.verdict == "automatic":
            log.info(
                "email UID %s not answered (%s); filed in %s",
                uid,
                reading.reason,
                self.config.automatic_folder,
            )

    async def _wait(self, box: Mailbox, stop: asyncio.Event) -> None:
        """Until new mail may be there: IDLE where the server has it, a pause otherwise."""
        if not box.can_idle:
            await _pause(stop, self.config.poll_seconds)
            return
        arrived = await asyncio.to_thread(box.idle_start)
        renew_at = time.monotonic() + self.config.idle_seconds
        try:
            while not arrived and not stop.is_set() and time.monotonic() < renew_at:
                arrived = await asyncio.to_thread(box.idle_check, IDLE_TICK_SECONDS)
        finally:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await asyncio.to_thread(box.idle_done)
