"""What the public pages share: finding a complaint by its code, and the citizen acting on it.

The citizen's buttons (a rating, "belum beres", a category choice) become the very chat
commands a citizen would type (`/nilai ADU-… 5`), sent through the pipeline as the complaint's
own contact: one set of rules for every channel, and the message is kept like any other.
"""

from __future__ import annotations

import uuid

from fastapi import HTTPException
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from aduan.access.credentials import matches
from aduan.complaints.codes import find_code, is_code
from aduan.complaints.outcome import Outcome
from aduan.runtime import Runtime
from channels.message import InboundMessage
from storage.complaints import complaint_by_code
from storage.engine import reading
from storage.models import Complaint, Contact


def canonical_code(code: str) -> str:
    """The tracking code as stored (`adu-7k3q9` → `ADU-7K3Q9`); 404 if it is none."""
    canonical = find_code(code)
    if canonical is None or not is_code(canonical):
        raise HTTPException(404, "no such tracking code")
    return canonical


def complaint_or_404(session: Session, code: str) -> Complaint:
    complaint = complaint_by_code(session, canonical_code(code))
    if complaint is None:
        raise HTTPException(404, "no such tracking code")
    return complaint


def holds_secret(complaint: Complaint, secret: str | None) -> bool:
    """Whether `secret` is this complaint's tracking secret (the private link's proof)."""
    return (
        bool(secret) and len(secret or "") <= 200 and matches(secret or "", complaint.secret_hash)
    )


async def act_as_citizen(runtime: Runtime, code: str, secret: str, command: str) -> Outcome:
    """Send `command` (e.g. "/nilai ADU-… 5") as the citizen of complaint `code`; 403 unless
    `secret` is its tracking secret."""

    def contact_of() -> Contact:
        with reading(runtime.engine) as session:
            complaint = complaint_or_404(session, code)
            if not holds_secret(complaint, secret):
                raise HTTPException(403, "this link is not valid for this report")
            contact = session.get(Contact, complaint.contact_id)
            assert contact is not None
            return contact

    contact = await run_in_threadpool(contact_of)
    inbound = InboundMessage(
        channel=contact.channel,
        external_id=f"page:{uuid.uuid4().hex}",
        sender=contact.address,
        text=command,
        raw={"page": "lacak", "command": command},
    )
    return await run_in_threadpool(runtime.pipeline.handle, inbound)
