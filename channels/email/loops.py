"""Mail that must never get an automatic answer (RFC 3834), so two robots never talk forever."""

from __future__ import annotations

from collections.abc import Collection
from email.message import EmailMessage
from email.utils import parseaddr

BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "listserv", "majordomo"})


def automatic_reason(mail: EmailMessage, sender: str, own: Collection[str]) -> str | None:
    """Why `mail` was written by a machine or a list (answering it could loop), else None.

    `sender` is the From address, lower-cased; `own` are our own addresses.
    """
    auto = str(mail.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(mail.get("Precedence", "")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond"):
        if mail.get(header) is not None:
            return f"{header} present"
    return_path = mail.get("Return-Path")
    if return_path is not None and not parseaddr(str(return_path))[1]:
        return "empty envelope sender (Return-Path: <>)"
    if mail.get_content_type() == "multipart/report":
        return "delivery or disposition report"
    local = sender.partition("@")[0]
    if local in ROBOT_LOCAL_PARTS or local.startswith("owner-") or local.endswith("-request"):
        return f"robot sender {local}@…"
    if sender in own:
        return "sent from our own address"
    return None
