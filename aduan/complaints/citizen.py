"""The citizen's side of a complaint after intake: choices, answers, ratings, reopening."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlmodel import Session

from aduan.complaints.codes import CODE_PATTERN, find_code
from aduan.rules.rulebook import Rulebook
from channels.message import InboundMessage
from dispatch.actions import ActionError, assign_category, forward_citizen_answer, rate, reopen
from dispatch.context import DispatchContext
from dispatch.lifecycle import TransitionError
from storage.complaints import awaiting_answer, own_complaint, same_problem_candidates
from storage.messages import latest_outbound_since
from storage.models import Complaint, Contact, Status

BUTTON_MEMORY = timedelta(days=7)
REOPEN_WORDS = re.compile(r"^\s*(/belumberes|/reopen|belum\s+beres|not\s+fixed)\b", re.I)


def bare_number(text: str) -> int | None:
    """The number a message is made of alone ("2", " 12 "), if it is only that."""
    return int(text) if re.fullmatch(r"\s*\d{1,2}\s*", text) else None


def expand_choice(session: Session, contact: Contact, text: str, now: datetime) -> str:
    """A bare number answers the last message that offered numbered choices (SMS menus)."""
    if bare_number(text) is None:
        return text
    assert contact.id is not None
    latest = latest_outbound_since(session, contact.id, now - BUTTON_MEMORY)
    buttons = (latest.payload or {}).get("buttons") if latest else None
    index = int(text) - 1
    if buttons and 0 <= index < len(buttons):
        return buttons[index]["payload"]
    return text


def reopen_reason(text: str) -> str | None:
    """Why the citizen says it is not fixed: "belum beres ADU-7K3Q9, airnya masih menggenang"."""
    rest = CODE_PATTERN.sub(" ", REOPEN_WORDS.sub(" ", text, count=1), count=1)
    return rest.strip(" \t\r\n,.;:-–—!") or None


@dataclass(frozen=True)
class CitizenResult:
    """A handled citizen action: the reply to send (None when a status message says it all)."""

    reply: str | None
    complaint: Complaint | None = None


def handle_citizen_action(
    session: Session,
    contact: Contact,
    text: str,
    ctx: DispatchContext,
    rulebook: Rulebook,
    now: datetime,
    new_contact: bool = False,
) -> CitizenResult | None:
    """Ratings, reopening, category choice and answers to staff questions; None otherwise.

    A `new_contact` (created by this very message) has no complaint awaiting an answer.
    """
    assert contact.id is not None
    try:
        done = _command(session, contact, text, ctx, rulebook, now)
    except (ActionError, TransitionError) as exc:
        return CitizenResult(str(exc))
    if done is not None:
        return done
    if new_contact or not text.strip():
        return None
    return _answer_for_staff(session, contact, text, ctx)


def _command(
    session: Session,
    contact: Contact,
    text: str,
    ctx: DispatchContext,
    rulebook: Rulebook,
    now: datetime,
) -> CitizenResult | None:
    """`/nilai CODE n`, "belum beres" and `/kategori CODE category`; None for anything else."""
    assert contact.id is not None
    words = text.split()
    head = words[0].lower() if words else ""
    code = find_code(text)
    if head in ("/nilai", "/rate") and code and len(words) >= 3 and words[2].isdigit():
        return _rate(session, contact, code, int(words[2]), ctx)
    if REOPEN_WORDS.match(text):
        states = [Status.resolved.value, Status.rejected.value]
        complaint = own_complaint(session, contact.id, states, code)
        if complaint is None:
            return CitizenResult(ctx.text(contact.language, "nothing_to_reopen"))
        reopen(session, complaint, contact, ctx, note=reopen_reason(text), now=now)
        return CitizenResult(None, complaint)
    if head in ("/kategori", "/category") and code and len(words) >= 3:
        complaint = own_complaint(session, contact.id, [Status.needs_review.value], code)
        rule = rulebook.ruleset.categories.get(words[2].lower())
        if complaint is None or rule is None:
            return CitizenResult(ctx.text(contact.language, "help"))
        assign_category(session, complaint, words[2].lower(), rule.opd, contact.address, ctx)
        return CitizenResult(None, complaint)
    return None


def _rate(
    session: Session, contact: Contact, code: str, stars: int, ctx: DispatchContext
) -> CitizenResult:
    """The citizen's rating of their own resolved complaint."""
    assert contact.id is not None
    complaint = own_complaint(session, contact.id, [Status.resolved.value], code)
    if complaint is None:
        raise ActionError(ctx.text(contact.language, "nothing_to_reopen"))
    rate(session, complaint, stars, contact)
    return CitizenResult(
        ctx.text(contact.language, "rated", code=complaint.code, rating=str(stars)), complaint
    )


def _answer_for_staff(
    session: Session, contact: Contact, text: str, ctx: DispatchContext
) -> CitizenResult | None:
    """A reply to the question staff asked on the contact's complaint, passed on to them."""
    assert contact.id is not None
    waiting = awaiting_answer(session, contact.id)
    if waiting is None:
        return None
    forward_citizen_answer(session, waiting, text.strip(), ctx)
    reply = ctx.text(
        contact.language, "answer_forwarded", code=waiting.code, opd=ctx.opd_name(waiting.opd)
    )
    return CitizenResult(reply, waiting)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def find_same_problem(
    session: Session,
    contact: Contact,
    inbound: InboundMessage,
    category: str,
    ctx: DispatchContext,
    now: datetime,
) -> Complaint | None:
    """An open complaint about the same problem, reported within the window.

    The citizen's own open complaint of the same category is always the same problem; another
    citizen's must read alike (rapidfuzz) and, when both carry a location, lie within the radius.
    Only the columns compared are loaded: this runs for every new complaint.
    """
    policy = ctx.lifecycle
    since = now - timedelta(hours=policy.duplicate_window_hours)
    # At most MAX_CANDIDATES rows, the newest in the window, through a partial index.
    here = inbound.location
    point = (here.lat, here.lon) if here and here.lat is not None and here.lon is not None else None
    near = (point, policy.duplicate_radius_m, contact.id) if point and contact.id else None
    rows = same_problem_candidates(session, category, since, near)
    # The cheap tests first (the citizen's own complaint, the distance); the texts left are
    # compared in one rapidfuzz call, which prepares the new text once.
    kept, others = [], []
    for complaint_id, contact_id, text, lat, lon in reversed(rows):  # oldest report first
        own = contact_id == contact.id
        if not own and _too_far(point, lat, lon, policy.duplicate_radius_m):
            continue
        kept.append((complaint_id, own))
        if not own:
            others.append((len(kept) - 1, text))
    alike = _alike(inbound.text, others, policy.duplicate_similarity)
    for position, (complaint_id, own) in enumerate(kept):
        if own or position in alike:
            return session.get(Complaint, complaint_id)
    return None


def _too_far(
    point: tuple[float, float] | None, lat: float | None, lon: float | None, radius_m: float
) -> bool:
    """Both reports carry a place and they lie further apart than `radius_m`."""
    if point is None or lat is None or lon is None:
        return False
    return distance_m(point, (lat, lon)) > radius_m


def _alike(text: str, others: list[tuple[int, str]], cutoff: float) -> set[int]:
    """The positions (first of each pair) of the texts in `others` that read like `text`."""
    found = process.extract(
        text,
        [other for _, other in others],
        scorer=fuzz.token_set_ratio,
        processor=default_process,
        score_cutoff=cutoff,
        limit=None,
    )
    return {others[index][0] for _, _, index in found}
