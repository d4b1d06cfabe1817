"""A realistic, reproducible demo history: some OPDs prompt, some late, so the scorecard shows both.

Complaints are written straight to the database with their whole past (events, first
response, resolution, rating); nothing is queued for sending. Demo citizens live on the
`demo` channel, which is how a second seeding is refused.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from aduan.complaints.codes import ALPHABET, LENGTH, PREFIX
from aduan.runtime import Runtime
from dispatch.business_hours import due_at_for
from storage.complaints import code_taken
from storage.contacts import any_on_channel
from storage.engine import transaction
from storage.models import Complaint, Contact, Event, Status

CHANNEL = "demo"


@dataclass(frozen=True)
class Profile:
    """How an OPD behaves: share resolved, share of those on time, hours to first response."""

    resolves: float
    on_time: float
    responds_in_hours: float


PROFILES: dict[str, Profile] = {
    "DPUPR": Profile(resolves=0.8, on_time=0.45, responds_in_hours=20),
    "DLH": Profile(resolves=0.9, on_time=0.92, responds_in_hours=3),
    "DISHUB": Profile(resolves=0.85, on_time=0.8, responds_in_hours=8),
    "BPBD": Profile(resolves=0.95, on_time=0.95, responds_in_hours=1),
    "SATPOLPP": Profile(resolves=0.55, on_time=0.4, responds_in_hours=30),
    "PDAM": Profile(resolves=0.85, on_time=0.75, responds_in_hours=6),
}
DEFAULT_PROFILE = Profile(resolves=0.8, on_time=0.8, responds_in_hours=10)

# category -> (weight, complaints citizens typically send)
SAMPLES: dict[str, tuple[int, list[str]]] = {
    "jalan_rusak": (
        14,
        [
            "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu",
            "Aspal mengelupas di tikungan Jl. Sudirman, motor sering jatuh",
            "Jembatan kayu di Desa Sukamaju lapuk, bahaya untuk anak sekolah",
        ],
    ),
    "drainase": (
        6,
        [
            "Selokan di Gg. Melati tersumbat sampah, air meluber ke jalan",
            "Gorong-gorong depan SDN 3 tertutup lumpur, genangan tiap hujan",
        ],
    ),
    "sampah": (
        10,
        [
            "Sampah menumpuk di TPS Pasar Baru sudah seminggu belum diangkut",
            "Truk sampah tidak datang ke Perumahan Griya Asri tiga hari",
            "Tumpukan sampah liar di bantaran sungai dekat jembatan",
        ],
    ),
    "pencemaran": (
        3,
        ["Asap hitam pabrik tahu di Kel. Karanganyar bikin sesak napas tiap malam"],
    ),
    "pohon": (4, ["Pohon tumbang menutup Jl. Diponegoro setelah hujan angin"]),
    "lampu_jalan": (
        6,
        [
            "Lampu jalan di Jl. Ahmad Yani mati semua, gelap gulita",
            "PJU depan masjid Al-Ikhlas berkedip terus sejak minggu lalu",
        ],
    ),
    "lalu_lintas": (4, ["Parkir liar di depan Pasar Kota bikin macet tiap pagi"]),
    "banjir": (4, ["Banjir setinggi lutut di Perum Bumi Indah, air masuk rumah"]),
    "ketertiban": (
        5,
        [
            "PKL berjualan di trotoar Jl. Pahlawan, pejalan kaki turun ke jalan",
            "Balap liar tiap malam minggu di Jl. Lingkar Selatan, sangat bising",
        ],
    ),
    "air_bersih": (4, ["Air PDAM tidak mengalir tiga hari di Kel. Sukajadi"]),
}

NAMES = ["Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Wati", "Andi", "Yuni", "Hendra"]


class AlreadySeeded(RuntimeError):
    """The database already holds a demo history."""


@dataclass(frozen=True)
class DemoSummary:
    complaints: int
    duplicates: int
    since: datetime
    until: datetime


def seed_demo_history(
    runtime: Runtime,
    count: int = 60,
    days: int = 28,
    seed: int = 2026,
    now: datetime | None = None,
) -> DemoSummary:
    """Write `count` complaints filed over the last `days` days, each with its history."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    categories = {c: r for c, r in runtime.config.categories.items() if c in SAMPLES}
    weights = [SAMPLES[c][0] for c in categories]
    with transaction(runtime.engine) as session:
        if any_on_channel(session, CHANNEL):
            raise AlreadySeeded("the demo history is already in this database")
        filed: list[Complaint] = []
        duplicates = 0
        for index in range(count):
            category = rng.choices(list(categories), weights)[0]
            created = now - timedelta(days=days) + timedelta(seconds=rng.uniform(0, days * 86400))
            created = min(_daytime(created, runtime, rng), now - timedelta(minutes=30))
            original = _same_problem(filed, category, created, rng)
            complaint = _complaint(session, runtime, rng, index, category, created, now, original)
            if original is None:
                filed.append(complaint)
            else:
                duplicates += 1
    return DemoSummary(count, duplicates, now - timedelta(days=days), now)


def _daytime(moment: datetime, runtime: Runtime, rng: random.Random) -> datetime:
    """People write between six in the morning and ten at night."""
    local = moment.astimezone(runtime.ctx.timezone)
    return local.replace(hour=rng.randint(6, 21)).astimezone(UTC)


def _same_problem(
    filed: list[Complaint], category: str, created: datetime, rng: random.Random
) -> Complaint | None:
    """Now and then a second citizen reports an open problem someone already reported."""
    if rng.random() > 0.06:
        return None
    recent = [
        c
        for c in filed
        if c.category == category and timedelta(0) < created - c.created_at < timedelta(hours=24)
    ]
    return recent[0] if recent else None


def _code(session: Session, rng: random.Random) -> str:
    while True:
        code = f"{PREFIX}-" + "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        if not code_taken(session, code):
            return code


def _complaint(
    session: Session,
    runtime: Runtime,
    rng: random.Random,
    index: int,
    category: str,
    created: datetime,
    now: datetime,
    original: Complaint | None,
) -> Complaint:
    rule = runtime.config.categories[category]
    ctx = runtime.ctx
    contact = Contact(
        channel=CHANNEL,
        address=f"demo:warga-{index + 1:03d}",
        display_name=rng.choice(NAMES),
        language=ctx.default_language,
    )
    session.add(contact)
    session.flush()
    complaint = Complaint(
        code=_code(session, rng),
        contact_id=contact.id or 0,
        channel=CHANNEL,
        text=rng.choice(SAMPLES[category][1]),
        category=category,
        opd=rule.opd,
        confidence=round(rng.uniform(0.6, 0.98), 2),
        status=Status.routed,
        language=contact.language,
        due_at=due_at_for(created, rule.sla_hours, ctx.sla.business_hours, ctx.timezone),
        created_at=created,
        updated_at=created,
        duplicate_of_id=original.id if original else None,
    )
    session.add(complaint)
    session.flush()
    history: list[tuple[datetime, str, str | None, str, str | None]] = [
        (created, "citizen", None, Status.received, None)
    ]
    history.append((created, "classifier", Status.received, Status.routed, rule.opd))
    if original is None:
        history += _handling(complaint, PROFILES.get(rule.opd, DEFAULT_PROFILE), rng, now)
    else:
        complaint.status = original.status
    for at, actor, source, target, note in history:
        session.add(
            Event(
                complaint_id=complaint.id,
                kind="status",
                actor=actor,
                from_status=source,
                to_status=target,
                note=note,
                created_at=at,
            )
        )
    session.add(complaint)
    return complaint


def _handling(
    complaint: Complaint, profile: Profile, rng: random.Random, now: datetime
) -> list[tuple[datetime, str, str | None, str, str | None]]:
    """What the OPD did, as status events; sets the complaint's times, status and rating."""
    assert complaint.due_at is not None
    created, due = complaint.created_at, complaint.due_at
    actor = f"staff:{complaint.opd.lower()}"
    events: list[tuple[datetime, str, str | None, str, str | None]] = []
    responded = created + timedelta(hours=rng.expovariate(1 / profile.responds_in_hours))
    if responded > now:
        return events
    complaint.first_response_at = responded
    complaint.status = Status.in_progress
    events.append(
        (responded, actor, Status.routed, Status.in_progress, "Tim dijadwalkan ke lokasi")
    )
    outcome = rng.random()
    if outcome < profile.resolves:
        if rng.random() < profile.on_time:
            finished = responded + (due - responded) * rng.uniform(0.1, 0.9)
        else:
            finished = max(due, responded) + timedelta(hours=rng.uniform(3, 96))
        if finished > now:
            return events
        complaint.resolved_at = finished
        complaint.status = Status.resolved
        events.append((finished, actor, Status.in_progress, Status.resolved, "Sudah ditangani"))
        if rng.random() < 0.65:
            late = finished > due
            complaint.rating = rng.choice([1, 2, 3, 3, 4] if late else [3, 4, 5, 5, 5])
    elif outcome < profile.resolves + 0.05:
        complaint.status = Status.rejected
        events.append(
            (responded, actor, Status.in_progress, Status.rejected, "Bukan kewenangan daerah")
        )
    complaint.updated_at = events[-1][0]
    return events
