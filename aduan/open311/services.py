"""Aduan as Open311 sees it: public categories are services, complaints service requests.

Only categories marked `public` in the rules in force are services, and only their complaints
are service requests — and only once their category is settled (a report still awaiting review
could be a misfiled `pungli` one). Nothing shown names the citizen: the text and address are
scrubbed, the contact is never read out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aduan.anonymise import public_point, scrub
from aduan.rules.rulebook import Rulebook
from dispatch.context import DispatchContext
from storage.models import OPEN_STATUSES, Status
from storage.open311 import RequestRow

MAX_KEYWORDS = 20  # the strongest terms of a category are enough to find it by
# What Open311 calls open or closed; a report awaiting review is not public yet.
PUBLIC_OPEN = tuple(s.value for s in OPEN_STATUSES if s != Status.needs_review)
CLOSED = (Status.resolved.value, Status.rejected.value)
STATUSES = {"open": PUBLIC_OPEN, "closed": CLOSED}
PUBLIC_STATUSES = PUBLIC_OPEN + CLOSED


def public_categories(rules: Rulebook) -> list[str]:
    """The codes of the categories the rules in force let the public see, in their order."""
    return [code for code, rule in rules.ruleset.categories.items() if rule.public]


def location_decimals(rules: Rulebook, code: str, rounded: int) -> int | None:
    """How a category's reports are placed in public: None (exact) or `rounded` decimals.

    An unknown category (the rules changed since) is rounded: hiding is the safe side.
    """
    rule = rules.ruleset.categories.get(code)
    return None if rule is not None and rule.public_location == "exact" else rounded


def service(code: str, rules: Rulebook, ctx: DispatchContext, language: str) -> dict[str, Any]:
    """One category as a service: its name, its OPD as the group, its strongest keywords."""
    rule = rules.ruleset.categories[code]
    # Ties keep the order the rules list them in: their authors put the main terms first.
    strongest = sorted(rule.keywords.items(), key=lambda kv: -kv[1])[:MAX_KEYWORDS]
    name = ctx.category_name(language, code)
    return {
        "service_code": code,
        "service_name": name,
        "description": name,
        "metadata": False,  # no extra attributes: the text, place and photo say it all
        "type": "realtime",  # the request id (the tracking code) comes back at once
        "keywords": ", ".join(term for term, _ in strongest),
        "group": ctx.opd_name(rule.opd),
    }


def definition(code: str) -> dict[str, Any]:
    """A service's definition: it asks for no attributes."""
    return {"service_code": code, "attributes": []}


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 with its zone, as the spec requires (stored times are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _media_url(row: RequestRow) -> str | None:
    """The first photo, when it is a web link the citizen's app published itself.

    Other channels' attachments are provider references (a Telegram file id, a Twilio media
    URL behind our account), not links for the public.
    """
    complaint = row.complaint
    if complaint.channel != "web":
        return None
    for attachment in complaint.attachments:
        url = str(attachment.get("url", ""))
        if url.startswith(("https://", "http://")):
            return url
    return None


def service_request(
    row: RequestRow, ctx: DispatchContext, language: str, decimals: int | None = None
) -> dict[str, Any]:
    """One complaint as a service request, anonymised; its place rounded to `decimals`."""
    complaint, names = row.complaint, [row.citizen_name]
    lat, lon = public_point(complaint.location_lat, complaint.location_lon, decimals)
    return {
        "service_request_id": complaint.code,
        "status": "closed" if complaint.status in CLOSED else "open",
        "status_notes": scrub(row.note, names),
        "service_name": ctx.category_name(language, complaint.category),
        "service_code": complaint.category,
        "description": scrub(complaint.text, names),
        "agency_responsible": ctx.opd_name(complaint.opd),
        "service_notice": ctx.status_name(language, complaint.status),
        "requested_datetime": timestamp(complaint.created_at),
        "updated_datetime": timestamp(complaint.updated_at),
        "expected_datetime": timestamp(complaint.due_at),
        "address": scrub(complaint.location_address, names),
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": _media_url(row),
    }
