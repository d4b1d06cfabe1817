"""The scorecard added up by the database says exactly what the row-by-row computation says."""

from __future__ import annotations

import random
from datetime import timedelta

from aduan.runtime import Runtime
from dispatch.scorecard import UNKNOWN_AREA, build_scorecard, period
from storage.engine import transaction
from storage.models import Complaint, Contact, Status
from tests.lifecycle.scorecard_oracle import scorecard_from_rows
from tests.lifecycle.test_scorecard import FIXED_NOW, last_30_days, runtime, seed_history

__all__ = ["runtime"]  # the fixture, on both databases
OPDS = ["DPUPR", "DLH", "SATPOLPP", "DINKES", "TRIAGE", "GONE"]  # GONE: no longer configured
KECAMATAN = ["Baleendah", "Cileunyi", "Soreang"]


def seed_random(runtime: Runtime, count: int = 400) -> None:
    """Complaints of every kind over 60 days, to whole seconds (ties are real ties)."""
    rng = random.Random(14)
    now = FIXED_NOW
    with transaction(runtime.engine) as session:
        for n in range(count):
            contact = Contact(channel="web", address=f"acak-{n}")
            session.add(contact)
            session.flush()
            created = now - timedelta(seconds=rng.randrange(60 * 86400))
            status = rng.choice(list(Status))
            responded = created + timedelta(seconds=rng.randrange(1, 5 * 86400))
            resolved = responded + timedelta(seconds=rng.randrange(0, 10 * 86400))
            done = status == Status.resolved and resolved < now
            session.add(
                Complaint(
                    code=f"ADU-R{n:04d}",
                    contact_id=contact.id,
                    channel="web",
                    text="acak",
                    category=rng.choice(["jalan_rusak", "sampah", "pungli"]),
                    opd=rng.choice(OPDS),
                    kecamatan=rng.choice([*KECAMATAN, None]),
                    status=status if done or status != Status.resolved else Status.routed,
                    created_at=created,
                    updated_at=created,
                    due_at=created + timedelta(hours=rng.choice([24, 72, 720, 720])),
                    first_response_at=responded if responded < now and rng.random() < 0.7 else None,
                    resolved_at=resolved if done else None,
                    rating=rng.choice([None, 1, 2, 3, 4, 5]) if done else None,
                )
            )


def test_the_sql_scorecard_equals_the_computed_one_for_every_period(runtime: Runtime) -> None:
    seed_history(runtime.engine, FIXED_NOW)
    seed_random(runtime)
    tz = runtime.ctx.timezone
    today = FIXED_NOW.astimezone(tz).date()
    periods = [
        (None, None),
        period(*last_30_days(FIXED_NOW, runtime), tz),
        period(today - timedelta(days=45), today - timedelta(days=35), tz),
        (FIXED_NOW - timedelta(days=90), None),  # the public map's
        period(today - timedelta(days=400), today - timedelta(days=300), tz),  # nothing
    ]
    names = runtime.ctx.opd_names
    with transaction(runtime.engine) as session:
        for since, until in periods:
            for by in ("opd", "kecamatan"):
                computed = scorecard_from_rows(session, names, 0.8, FIXED_NOW, since, until, by)
                added_up = build_scorecard(session, names, 0.8, FIXED_NOW, since, until, by)
                assert added_up == computed, (since, until, by)
        everything = build_scorecard(session, names, 0.8, FIXED_NOW)
        areas = build_scorecard(session, names, 0.8, FIXED_NOW, by="kecamatan")
    # The data is varied enough for the comparison to mean something.
    assert everything.total.received > 400 and everything.total.ratings > 10
    assert everything.total.median_resolution_hours is not None
    assert len({s.on_time_pct for s in everything.opds if s.on_time_pct}) >= 4
    assert "GONE" in [s.opd for s in everything.opds]
    assert [s.opd for s in areas.opds] == [*KECAMATAN, UNKNOWN_AREA]
    assert areas.total == everything.total


def test_only_the_categories_asked_for_are_counted(runtime: Runtime) -> None:
    seed_random(runtime)
    names = runtime.ctx.opd_names
    with transaction(runtime.engine) as session:
        every = build_scorecard(session, names, 0.8, FIXED_NOW)
        public = build_scorecard(session, names, 0.8, FIXED_NOW, categories=["sampah"])
        private = build_scorecard(session, names, 0.8, FIXED_NOW, categories=["pungli"])
        others = build_scorecard(
            session, names, 0.8, FIXED_NOW, categories=["jalan_rusak", "pungli"]
        )
    assert 0 < public.total.received < every.total.received
    assert public.total.received + others.total.received == every.total.received
    assert private.total.received > 0
