"""Real mail servers for the email channel's tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Dovecot runs from a throwaway directory with its own config, passwd-file and maildir, on a
free loopback port. As root its mail processes run as `nobody`; otherwise as the current user.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from imapclient import IMAPClient

from tests.support.deployment import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
ADDRESS = "aduan@pemkab-contoh.go.id"
PASSWORD = "kata-sandi-uji"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """A private Dovecot IMAP server with one account, `ADDRESS` / `PASSWORD`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="aduan-dovecot-"))
        self.root.chmod(0o755)  # mail processes run as another user when we are root
        self.port = free_port()
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("nobody")
            internal, login = "dovecot", "dovenull"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal = login = getpass.getuser()
        uid, gid = mail_user.pw_uid, mail_user.pw_gid
        (self.root / "mail").mkdir()
        if os.geteuid() == 0:
            os.chown(self.root / "mail", uid, gid)
        (self.root / "passwd").write_text(
            f"{ADDRESS}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{self.root}/mail/{ADDRESS}\n"
        )
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(root=self.root, internal=internal, login=login, port=self.port)
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Its own process group: stopping it must also end the per-connection imap processes,
        # which Dovecot's master otherwise leaves running (and connected) after it exits.
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)], start_new_session=True
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with IMAPClient("127.0.0.1", self.port, ssl=False, timeout=2) as client:
                    client.login(ADDRESS, PASSWORD)
                    return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError(f"dovecot exited: {self.log()}") from None
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        """Shut the server down as an admin would: every connection is closed."""
        if self.process is None:
            return
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        deadline = time.monotonic() + 5
        while _group_alive(group) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process = None

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=30)
        client.login(ADDRESS, PASSWORD)
        return client

    def append(self, *mails: bytes, folder: str = "INBOX") -> None:
        """Put mail in the mailbox the way a delivery agent would: IMAP APPEND."""
        with self.client() as client:
            for raw in mails:
                client.append(folder, crlf(raw))

    def count(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            if not client.folder_exists(folder):
                return 0
            return int(client.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])

    def messages(self, folder: str) -> list[tuple[set[bytes], EmailMessage]]:
        """Flags and parsed message of every mail in `folder` (read without marking it)."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search()
            found = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
            return [
                (set(data[b"FLAGS"]), parse(data[b"BODY[]"])) for _, data in sorted(found.items())
            ]

    def wait_for(self, folder: str, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.count(folder) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{folder} has {self.count(folder)} mails, not {count}")
            time.sleep(0.1)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def parse(raw: bytes) -> EmailMessage:
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(mail, EmailMessage)
    return mail


@dataclass
class Delivery:
    sender: str
    recipients: list[str]
    mail: EmailMessage


@dataclass
class MailCatcher:
    """A real SMTP server (aiosmtpd) keeping what it receives; `refuse` answers 550 for those."""

    refuse: set[str] = field(default_factory=set)
    received: list[Delivery] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        # Like Postfix and Gmail, it takes internationalised addresses (RFC 6531).
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True
        )
        self.controller.start()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self.lock:
            self.received.append(
                Delivery(str(envelope.mail_from), list(envelope.rcpt_tos), parse(content))
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [d.mail for d in self.received if address in d.recipients]

    def wait_for(self, address: str, count: int, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                got = [m["Subject"] for m in self.to(address)]
                raise AssertionError(f"{address} got {got}, expected {count} mails")
            time.sleep(0.05)
        return self.to(address)

    def close(self) -> None:
        self.controller.stop()
