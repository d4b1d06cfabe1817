"""The `channels.email` section of config.yaml. Passwords come from the environment."""

from __future__ import annotations

from email.headerregistry import Address
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from channels.contract import ChannelConfig

Security = Literal["ssl", "starttls", "none"]


class EmailConfig(ChannelConfig):
    address: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="our address: From of what we send"
    )
    display_name: str | None = Field(default=None, description="shown next to our address")
    subject: str = Field(
        default="Laporan pengaduan", description="subject of our mails, after [ADU-XXXXX]"
    )

    imap_host: str
    imap_port: int = 993
    imap_security: Security = "ssl"
    imap_user: str
    imap_password: SecretStr
    mailbox: str = "INBOX"
    processed_folder: str | None = Field(
        default="Aduan/Diproses",
        description="where taken-in mail goes; null keeps it in the mailbox, flagged",
    )
    automatic_folder: str = Field(
        default="Aduan/Otomatis", description="auto-replies, bounces and list mail (unanswered)"
    )
    set_aside_folder: str = Field(
        default="Aduan/Disisihkan", description="mail too big or too broken to read"
    )
    poll_seconds: float = Field(default=60, gt=0, description="when the server has no IDLE")
    idle_seconds: float = Field(default=600, gt=0, le=1740, description="IDLE renewal (RFC 2177)")
    reconnect_max_seconds: float = Field(default=300, gt=0)
    timeout_seconds: float = Field(default=60, gt=0)

    max_message_bytes: int = Field(default=15_000_000, gt=0)
    max_parts: int = Field(default=100, gt=0)
    max_attachments: int = Field(default=5, ge=0)
    max_attachment_bytes: int = Field(default=5_000_000, gt=0)
    attachments_dir: Path = Path("data/email-attachments")

    smtp_host: str
    smtp_port: int = 587
    smtp_security: Security = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None

    @property
    def domain(self) -> str:
        """Our Message-IDs' domain: replies carrying it in References are answers to us."""
        return self.address.rpartition("@")[2].lower()

    @property
    def sender(self) -> Address:
        local, _, domain = self.address.rpartition("@")
        return Address(self.display_name or "", local, domain)

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset(a.lower() for a in (self.address, self.imap_user) if "@" in a)
