"""Group commit: the web channel's messages commit together, each answered only once on disk."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func
from sqlmodel import select

import aduan.complaints.filing as filing_module
import aduan.complaints.pipeline as pipeline_module
from aduan.api.app import create_app
from aduan.complaints.group_commit import GroupCommit
from aduan.complaints.pipeline import Outcome
from aduan.runtime import Runtime, build_runtime
from channels.message import InboundMessage, Location, SendResult
from channels.registry import build_adapters
from dispatch.outbox import OutboxWorker
from storage.engine import make_engine, transaction
from storage.models import Complaint, Message, OutboxItem
from tests.support.deployment import Server, aduan_env, write_config

ROAD = "Jalan berlubang besar di depan pasar Cicalengka, motor sering jatuh"
PASAR = Location(lat=-7.0000, lon=107.6000)


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Runtime:
    return build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)


def message(key: str, text: str = ROAD, location: Location | None = None) -> InboundMessage:
    return InboundMessage(
        channel="web", external_id=key, sender=f"web:anon-{key}", text=text, location=location
    )


def stored_codes(url: str) -> set[str]:
    """The complaint codes another connection (another process, say) sees committed."""
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            return set(session.exec(select(Complaint.code)).all())
    finally:
        engine.dispose()


def test_an_answer_waits_for_its_commit(runtime: Runtime) -> None:
    commit_may_finish = threading.Event()
    commits_started = threading.Event()

    @event.listens_for(runtime.engine, "commit")
    def _hold(_connection: object) -> None:
        commits_started.set()
        assert commit_may_finish.wait(10)

    async def scenario() -> Outcome:
        answer = asyncio.ensure_future(runtime.pipeline.submit(message("a1")))
        assert await asyncio.to_thread(commits_started.wait, 10)
        await asyncio.sleep(0.3)
        assert not answer.done(), "answered while its commit was still running"
        commit_may_finish.set()
        return await asyncio.wait_for(answer, 10)

    outcome = asyncio.run(scenario())
    assert outcome.kind == "complaint"
    assert outcome.complaint_code in stored_codes(runtime.engine.url.render_as_string(False))


def test_messages_queued_together_commit_together(runtime: Runtime) -> None:
    commits = []
    event.listen(runtime.engine, "commit", lambda _c: commits.append(1))

    async def scenario() -> list[Outcome]:
        texts = ["Sampah menumpuk di gang Mawar", "Lampu jalan mati di Jl. Sudirman"]
        return await asyncio.gather(
            *(runtime.pipeline.submit(message(f"b{n}", texts[n % 2])) for n in range(20))
        )

    outcomes = asyncio.run(scenario())
    assert all(o.kind in ("complaint", "linked") for o in outcomes)
    assert len({o.complaint_code for o in outcomes}) == 20
    assert len(commits) < 20  # at least two of them shared a commit


def test_a_failing_message_fails_alone(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    classify = pipeline_module.classify

    def broken_on_boom(text: str, rules: object) -> object:
        if "BOOM" in text:
            raise RuntimeError("classifier broke")
        return classify(text, rules)

    monkeypatch.setattr(pipeline_module, "classify", broken_on_boom)
    results = runtime.pipeline.handle_batch(
        [message("c1"), message("c2", f"{ROAD} BOOM"), message("c3", "Sampah menumpuk di pasar")]
    )
    assert isinstance(results[0], Outcome) and isinstance(results[2], Outcome)
    assert isinstance(results[1], RuntimeError)
    with transaction(runtime.engine) as session:
        inbound = set(session.exec(select(Message.external_id).where(Message.direction == "in")))
        complaints = session.exec(select(func.count()).select_from(Complaint)).one()
    assert inbound == {"c1", "c3"}  # the failed message left nothing behind
    assert complaints == 2


def test_a_citizens_own_report_far_away_still_joins_their_open_complaint(
    runtime: Runtime,
) -> None:
    far = Location(lat=-7.1, lon=107.6)  # about 11 km south: far outside the radius
    own = [
        InboundMessage(
            channel="web", external_id=key, sender="web:anon-same", text=ROAD, location=place
        )
        for key, place in (("o1", PASAR), ("o2", far))
    ]
    first, again = runtime.pipeline.handle_batch(own)
    assert isinstance(first, Outcome) and isinstance(again, Outcome)
    assert (first.kind, again.kind) == ("complaint", "joined")
    assert again.complaint_code == first.complaint_code


def test_a_batch_that_fails_nowhere_needs_no_savepoint(runtime: Runtime) -> None:
    statements: list[str] = []
    event.listen(runtime.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    results = runtime.pipeline.handle_batch([message(f"s{n}", ROAD) for n in range(5)])
    assert all(isinstance(r, Outcome) for r in results)
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    assert len(stored_codes(runtime.engine.url.render_as_string(False))) == 5


def taken_code_drawn(monkeypatch: pytest.MonkeyPatch, taken: str, times: int) -> None:
    """The code generator draws `taken` `times` times, then draws as usual."""
    draw = filing_module.new_code
    clashes = iter([taken] * times)
    monkeypatch.setattr(filing_module, "new_code", lambda: next(clashes, None) or draw())


@pytest.mark.parametrize("in_batch", [True, False], ids=["group commit", "one message"])
def test_a_code_drawn_twice_is_drawn_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, in_batch: bool
) -> None:
    first = runtime.pipeline.handle(message("k1", ROAD))
    assert first.complaint_code is not None
    # In a batch the clash fails the batch, then the message's savepoint in the replay.
    taken_code_drawn(monkeypatch, first.complaint_code, 2 if in_batch else 1)
    others = [message("k2", "Sampah menumpuk di gang Mawar"), message("k3", "Lampu jalan mati")]
    if in_batch:
        results = runtime.pipeline.handle_batch(others)
    else:
        results = [runtime.pipeline.handle(m) for m in others]
    assert all(isinstance(r, Outcome) and r.kind == "complaint" for r in results)
    codes = stored_codes(runtime.engine.url.render_as_string(False))
    assert len(codes) == 3
    assert first.complaint_code in codes


def test_a_delivery_repeated_in_one_batch_files_once(runtime: Runtime) -> None:
    first, again = runtime.pipeline.handle_batch([message("d1"), message("d1")])
    assert isinstance(first, Outcome) and isinstance(again, Outcome)
    assert first.kind == "complaint"
    assert again.kind == "duplicate"
    assert again.complaint_code == first.complaint_code


def test_same_problem_links_alike_reports_nearby_only(runtime: Runtime) -> None:
    far = Location(lat=-7.1, lon=107.6)  # about 11 km south
    results = runtime.pipeline.handle_batch(
        [
            message("e1", ROAD, PASAR),
            message("e2", "Jalan berlubang di depan pasar Cicalengka, motor jatuh", PASAR),
            message("e3", ROAD, far),
            message("e4", "Jalan rusak parah, aspal retak di kampung Cibodas", PASAR),
            message("e5", ROAD),  # no location: the text alone decides
        ]
    )
    kinds = [r.kind for r in results if isinstance(r, Outcome)]
    assert kinds == ["complaint", "linked", "complaint", "complaint", "linked"]
    with transaction(runtime.engine) as session:
        first = session.exec(select(Complaint).where(Complaint.code == results[0].complaint_code))
        original = first.one()
        linked = session.exec(select(Complaint).where(Complaint.duplicate_of_id == original.id))
        assert {c.code for c in linked} == {results[1].complaint_code, results[4].complaint_code}


def test_kill_9_during_group_commit_loses_no_acknowledged_complaint(
    database_url: str, tmp_path: Path
) -> None:
    server = Server(write_config(tmp_path / "config.yaml"), aduan_env(database_url), tmp_path)
    acknowledged: list[str] = []

    async def one(client: httpx.AsyncClient, n: int) -> None:
        text = f"Sampah menumpuk di gang nomor {n} sudah {n % 7 + 2} hari, kode {n}"
        try:
            response = await client.post(f"{server.url}/api/v1/web/messages", json={"text": text})
        except httpx.HTTPError:  # the server died with this request in flight
            return
        if response.status_code in (200, 201) and response.json().get("code"):
            acknowledged.append(response.json()["code"])

    async def kill_mid_load() -> None:
        while len(acknowledged) < 20:
            await asyncio.sleep(0.005)
        server.process.kill()  # SIGKILL: no shutdown, whatever batch is running is cut off

    async def load() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            await asyncio.gather(kill_mid_load(), *(one(client, n) for n in range(400)))

    try:
        asyncio.run(load())
    finally:
        server.process.kill()
        server.process.wait()
    assert 20 <= len(acknowledged) < 400, "the kill did not land during the load"
    missing = set(acknowledged) - stored_codes(database_url)
    assert not missing, f"acknowledged but lost: {sorted(missing)}"


def _ack_rows(runtime: Runtime, code: str | None) -> tuple[str, str | None, str]:
    """The acknowledgement's outbox status and sent time, and its message's delivery state."""
    with transaction(runtime.engine) as session:
        item = session.exec(select(OutboxItem).where(OutboxItem.idempotency_key == f"ack:{code}"))
        ack = item.one()
        assert ack.message_id is not None
        stored = session.get(Message, ack.message_id)
        assert stored is not None and stored.delivery_state is not None
        return ack.status, ack.sent_at and ack.sent_at.isoformat(), stored.delivery_state


@pytest.mark.parametrize("callback", [False, True])
def test_a_web_reply_shown_in_the_answer_is_stored_sent_with_its_commit(
    database_url: str, tmp_path: Path, callback: bool
) -> None:
    city_app = "http://127.0.0.1:9/callback" if callback else None  # never reached here
    config = write_config(tmp_path / "config.yaml", web_callback=city_app)
    runtime = build_runtime(config, database_url, migrate=True)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as client:
        response = client.post("/api/v1/web/messages", json={"text": ROAD})
        assert response.status_code == 201, response.text
        code = response.json()["code"]
        assert code in response.json()["reply"]
        status, sent_at, delivery = _ack_rows(runtime, code)
    if callback:  # the city's app is told by the worker: the row waits for it
        assert (status, sent_at, delivery) == ("pending", None, "queued")
    else:  # the answer carried it: nothing is left for a worker to do
        assert (status, delivery) == ("sent", "sent") and sent_at is not None
        calls: list[dict] = []

        async def record(payload: dict) -> SendResult:
            calls.append(payload)
            return SendResult()

        worker = OutboxWorker(runtime.engine, {"web": record}, runtime.ctx.settings)
        asyncio.run(worker.run_once())
        assert calls == []
    runtime.engine.dispose()


def test_the_writer_thread_ends_with_its_pipeline_and_starts_again(runtime: Runtime) -> None:
    group = runtime.pipeline._group

    async def one(key: str, text: str) -> Outcome:
        return await runtime.pipeline.submit(message(key, text))

    assert asyncio.run(one("f1", ROAD)).kind == "complaint"
    writers = set(group._threads)
    assert writers and all(w.is_alive() for w in writers)
    runtime.pipeline.close()
    assert not group.running and not any(w.is_alive() for w in writers)
    later = asyncio.run(one("f2", "Sampah menumpuk di gang Mawar"))  # starts another writer
    assert later.kind == "complaint"
    runtime.pipeline.close()
    assert not group.running


def test_an_idle_writer_thread_ends_by_itself() -> None:
    group: GroupCommit[int] = GroupCommit(lambda items: [n * 2 for n in items], idle_seconds=0.2)

    async def scenario() -> list[object]:
        return list(await asyncio.gather(*(group.handle(n) for n in range(5))))

    assert asyncio.run(scenario()) == [0, 2, 4, 6, 8]
    for _ in range(50):
        if not group.running:
            break
        time.sleep(0.05)
    assert not group.running
    assert asyncio.run(scenario()) == [0, 2, 4, 6, 8]
    group.close()


def _classifying_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that classify a text from now on."""
    threads: list[str] = []
    classify = pipeline_module.classify

    def recording(text: str, rules: object) -> object:
        threads.append(threading.current_thread().name)
        return classify(text, rules)

    monkeypatch.setattr(pipeline_module, "classify", recording)
    return threads


def test_the_writer_does_not_classify_what_was_classified_before_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def one(key: str, text: str) -> Outcome:
        return await runtime.pipeline.submit(message(key, text))

    assert asyncio.run(one("g1", ROAD)).category == "jalan_rusak"  # the writer sees the rules
    threads = _classifying_threads(monkeypatch)
    second = asyncio.run(one("g2", "Sampah menumpuk di gang Mawar sudah seminggu"))
    assert (second.kind, second.category) == ("complaint", "sampah")
    assert threads == ["MainThread"]  # classified on the event loop, not in the writer


def test_rules_changed_since_the_early_classification_classify_again_in_the_writer(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def one(key: str, text: str) -> Outcome:
        return await runtime.pipeline.submit(message(key, text))

    asyncio.run(one("h1", ROAD))
    seen = runtime.pipeline._rules_seen
    assert seen is not None
    runtime.pipeline._rules_seen = replace(seen)  # as if another version was in force then
    threads = _classifying_threads(monkeypatch)
    assert asyncio.run(one("h2", "Lampu jalan mati di Jl. Sudirman")).kind == "complaint"
    assert threads == ["MainThread", "aduan-group-commit"]


def test_on_postgresql_a_batch_commits_while_another_is_still_committing(
    runtime: Runtime,
) -> None:
    """SQLite has one writer at a time; PostgreSQL's writers do not wait on each other."""
    first_commit_may_finish = threading.Event()
    held: list[int] = []

    @event.listens_for(runtime.engine, "commit")
    def _hold_the_first(_connection: object) -> None:
        if not held:
            held.append(1)
            assert first_commit_may_finish.wait(10)

    async def scenario() -> tuple[bool, Outcome, Outcome]:
        first = asyncio.ensure_future(runtime.pipeline.submit(message("i1", ROAD)))
        while not held:
            await asyncio.sleep(0.01)
        second = asyncio.ensure_future(
            runtime.pipeline.submit(message("i2", "Sampah menumpuk di gang Mawar"))
        )
        await asyncio.wait([second], timeout=3)
        second_done_first = second.done()
        first_commit_may_finish.set()
        return second_done_first, await first, await second

    second_done_first, first, second = asyncio.run(scenario())
    assert (first.kind, second.kind) == ("complaint", "complaint")
    postgres = runtime.engine.dialect.name == "postgresql"
    assert second_done_first == postgres
