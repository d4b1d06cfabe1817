"""The SQL one web complaint runs, captured from the real pipeline, replayed with plain psycopg.

`capture` files a few complaints through `Pipeline.submit` (what the web route calls, the reply
shown in the answer) on a PostgreSQL database and records every statement the engine sends,
its parameters, the ids its RETURNING gave and the commits. `replay` sends the same statements
for new complaints on one psycopg connection, each with fresh values: its own message id,
sender and tracking code, and the ids the database returns in place of the captured ones.
Captured at run time, the replay follows whatever the write path has become.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from aduan.complaints.codes import ALPHABET, LENGTH, PREFIX
from aduan.runtime import Runtime
from benchmarks.intake_inprocess import inbound

COMMIT = "COMMIT"
ID_SPACING = 10_000_000  # each table's ids start at their own multiple: never mistaken
DIGEST = re.compile(r"[0-9a-f]{32,}")  # a hash or token stored unique (the tracking secret's)


@dataclass
class Step:
    statement: str
    params: Any
    many: bool
    returned: list[int] = field(default_factory=list)  # ids its RETURNING gave when captured


@dataclass
class Captured:
    """One complaint's statements, with the values that must be new in each replay."""

    tag: str
    code: str
    steps: list[Step]
    digests: list[str] = field(default_factory=list)

    @property
    def statements(self) -> int:
        return sum(1 for step in self.steps if step.statement != COMMIT)


def spread_ids(engine: Engine) -> None:
    """Start every sequence at its own multiple of ID_SPACING, so an id of one table is never
    taken for another's (or for a count) when the replay puts new ids in."""
    with engine.begin() as connection:
        names = connection.execute(
            text("SELECT relname FROM pg_class WHERE relkind = 'S' ORDER BY relname")
        ).scalars()
        for n, name in enumerate(list(names), start=1):
            connection.execute(
                text("SELECT setval(:name, :at)"), {"name": name, "at": n * ID_SPACING}
            )


@contextlib.contextmanager
def _listen(engine: Engine, steps: list[Step]) -> Iterator[None]:
    def before(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        steps.append(Step(statement, params, many))

    def after(_c: Any, cursor: Any, statement: str, *_: Any) -> None:
        if cursor.description and "RETURNING" in statement:
            rows = cursor.fetchall()
            cursor.scroll(0, mode="absolute")  # the engine reads them again
            steps[-1].returned = [v for row in rows for v in row if type(v) is int]

    def commit(_c: Any) -> None:
        steps.append(Step(COMMIT, None, False))

    listeners: list[tuple[str, Callable[..., Any]]] = [
        ("before_cursor_execute", before),
        ("after_cursor_execute", after),
        ("commit", commit),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def capture(runtime: Runtime, count: int, rng: random.Random) -> list[Captured]:
    """`count` new web complaints filed one at a time, each with the statements it ran."""
    captured = []
    for n in range(count):
        tag = f"cap{rng.randrange(10**9)}x{n}"
        steps: list[Step] = []
        with _listen(runtime.engine, steps):
            outcome = asyncio.run(runtime.pipeline.submit(inbound(rng, n, tag), reply_shown=True))
        assert outcome.kind == "complaint" and outcome.complaint_code, outcome
        digests = sorted(
            {v for step in steps for v in _strings(step.params) if DIGEST.fullmatch(v)}
        )
        captured.append(Captured(f"{tag}-{n}", outcome.complaint_code, steps, digests))
    return captured


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


class Codes:
    """Tracking codes no complaint in the database has: counted, not drawn."""

    def __init__(self, taken: set[str], start: int) -> None:
        self.taken, self.next = taken, start

    def __call__(self) -> str:
        while True:
            self.next += 1
            n, letters = self.next, []
            for _ in range(LENGTH):
                n, digit = divmod(n, len(ALPHABET))
                letters.append(ALPHABET[digit])
            code = f"{PREFIX}-{''.join(letters)}"
            if code not in self.taken:
                return code


def _renew(value: Any, words: dict[str, str], ids: dict[int, int]) -> Any:
    """`value` with the captured words and ids replaced (inside JSON and lists too)."""
    if type(value) is int:
        return ids.get(value, value)
    if isinstance(value, str):
        new = value
        for old, fresh in words.items():
            if old in new:
                new = new.replace(old, fresh)
        return value if new == value else new
    if isinstance(value, Json):
        return Json(_renew(value.obj, words, ids))
    if isinstance(value, dict):
        return {k: _renew(v, words, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_renew(v, words, ids) for v in value)
    return value


def replay_one(
    cursor: psycopg.Cursor[Any], captured: Captured, tag: str, code: str, commit: bool
) -> None:
    """Run one captured complaint's statements as a new complaint `tag` with `code`."""
    words = {captured.tag: tag, captured.code: code}
    words.update({old: secrets.token_hex(len(old) // 2) for old in captured.digests})
    ids: dict[int, int] = {}
    for step in captured.steps:
        if step.statement == COMMIT:
            if commit:
                cursor.connection.commit()
            continue
        params = _renew(step.params, words, ids)
        if step.many:
            cursor.executemany(step.statement, params)
        else:
            cursor.execute(step.statement, params)
        if step.returned:
            new = [v for row in cursor.fetchall() for v in row if type(v) is int]
            ids.update(zip(step.returned, new, strict=True))
            # ... and in strings too (an idempotency key may carry one)
            words.update({str(old): str(fresh) for old, fresh in ids.items()})


def replay(
    url: str, captured: list[Captured], complaints: int, batch: int, run: str, connections: int = 1
) -> float:
    """Replay `complaints` new complaints (cycling through `captured`) on `connections`
    connections side by side, each committing every complaint (`batch` 1) or every `batch`;
    returns the seconds it took."""
    with psycopg.connect(url) as connection:
        taken = {c for (c,) in connection.execute("SELECT code FROM complaint")}
    space = len(ALPHABET) ** LENGTH // (connections + 1)
    shares = [
        (range(k, complaints, connections), Codes(taken, random.randrange(space) + k * space))
        for k in range(connections)
    ]
    with ThreadPoolExecutor(connections) as pool:
        started = time.perf_counter()
        done = [
            pool.submit(_replay_share, url, captured, numbers, codes, batch, run)
            for numbers, codes in shares
        ]
        for future in done:
            future.result()
        return time.perf_counter() - started


def _replay_share(
    url: str, captured: list[Captured], numbers: range, codes: Codes, batch: int, run: str
) -> None:
    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        for done, n in enumerate(numbers, start=1):
            template = captured[n % len(captured)]
            replay_one(cursor, template, f"rp{run}-{n}", codes(), commit=batch == 1)
            if batch > 1 and done % batch == 0:
                connection.commit()
        connection.commit()
