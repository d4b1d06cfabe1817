"""The tracking link sent to the contact a citizen gave on a form (the report page, Open311).

An e-mail address gets it on the e-mail channel, a phone number by SMS, when that channel is
on here and Aduan knows its public URL (`media.public_url`: a link in a message never takes
the host a request named). The link carries a confirm token of its own: opening it from the
message proves the contact is the citizen's, and only then is it told of status changes.
The link shown on the page confirms nothing, since whoever filled in the form sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Literal
from urllib.parse import quote

from aduan.access.credentials import digest, new_secret
from aduan.complaints.contact_address import international
from aduan.runtime import Runtime
from channels.masking import mask_address
from dispatch.followers import LinkRequest, send_tracking_link
from storage.complaints import complaint_by_code
from storage.engine import transaction
from storage.followers import confirm_follower

log = logging.getLogger(__name__)
CHANNEL_OF_SCHEME = {"mailto": "email", "tel": "twilio_sms"}
CONFIRM = "konfirmasi"  # the link's query parameter holding the confirm token
LinkNotice = Literal["sent", "limited", "blocked", "unavailable"]


def tracking_path(code: str, secret: str) -> str:
    return f"/lacak/{code}?secret={quote(secret)}"


def send_link(
    runtime: Runtime,
    active_channels: Collection[str],
    code: str,
    secret: str,
    contact: str,
    language: str,
) -> LinkNotice:
    """Send complaint `code`'s tracking link to `contact` (`mailto:…`, `tel:…`); what became
    of it. A refusal (a contact that had enough links today) is not the citizen's error."""
    channel = CHANNEL_OF_SCHEME.get(contact.partition(":")[0])
    base, destination = runtime.config.media.public_url, international(contact)
    if channel is None or channel not in active_channels or base is None or destination is None:
        log.info("tracking link for %s not sent: no channel for %s", code, mask_address(contact))
        return "unavailable"
    token = new_secret(size=18)
    wanted = LinkRequest(
        channel=channel,
        address=destination,
        link=f"{base.rstrip('/')}{tracking_path(code, secret)}&{CONFIRM}={token}",
        confirm_hash=digest(token),
        language=language,
    )
    with transaction(runtime.engine) as session:
        complaint = complaint_by_code(session, code)
        if complaint is None:
            return "unavailable"
        result = send_tracking_link(
            session, complaint, wanted, runtime.ctx, runtime.config.public.links_per_contact
        )
    log.info("tracking link for %s to %s: %s", code, mask_address(contact), result)
    return result


def confirm_contact(runtime: Runtime, complaint_id: int, token: str) -> bool:
    """Confirm the contact whose link carried `token`; whether the token was one of the
    complaint's (the caller has checked the tracking secret)."""
    if len(token) > 200:
        return False
    with transaction(runtime.engine) as session:
        return confirm_follower(session, complaint_id, digest(token), runtime.ctx.clock())
