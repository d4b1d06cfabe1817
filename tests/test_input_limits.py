"""Inputs that used to answer 500 (which providers retry, for ever) get a clear 4xx, or are
stored made safe, on SQLite and PostgreSQL (issue 11, finding 6)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.email.reading import ReadSettings, read_mail
from storage.models import Contact, Message
from tests.support.all_channels import (
    meta_message,
    meta_post,
    serve_all,
    telegram_message,
    telegram_post,
    twilio_post,
)
from tests.support.deployment import Server, aduan_env, write_config
from tests.support.web_clients import key_headers

COMPLAINT = "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu"
DEEP = b"[" * 20_000 + b"]" * 20_000


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    with serve_all(tmp_path, database_url) as test_client:
        yield test_client


def inbound(client: TestClient) -> list[Message]:
    engine = client.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(select(Message).where(Message.direction == "in")).all()
    return [Message.model_validate(row._mapping) for row in rows]


def stored_count(client: TestClient) -> int:
    engine = client.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Message)).scalar_one()


def test_json_nested_20000_deep_is_refused_on_web_and_telegram(client: TestClient) -> None:
    web = client.post(
        "/api/v1/web/messages",
        content=b'{"text": "banjir", "location": ' + DEEP + b"}",
        headers={"Content-Type": "application/json"},
    )
    telegram = telegram_post(client, b'{"update_id": 1, "message": ' + DEEP + b"}")
    meta = meta_post(client, b'{"object": ' + DEEP + b"}")
    assert (web.status_code, telegram.status_code, meta.status_code) == (400, 400, 400)
    assert "nested deeper" in web.json()["error"]
    assert stored_count(client) == 0


def test_nul_characters_are_stored_stripped_on_every_channel(
    client: TestClient, tmp_path: Path
) -> None:
    dirty = "Jalan\x00 berlubang\x00 besar di Jl. Merdeka depan pasar, sudah dua minggu"
    other = "Lampu\x00 jalan mati di Jl. Mawar sejak seminggu"
    answers = [
        client.post("/api/v1/web/messages", json={"text": dirty, "name": "Si\x00ti"}),
        client.post(
            "/api/v1/web/messages",
            content=f"text={other.replace(' ', '+')}".replace("\x00", "%00").encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        telegram_post(client, telegram_message(7, dirty)),
        twilio_post(
            client,
            "twilio_sms",
            {"MessageSid": "SM" + "1" * 32, "From": "+6281234\x005678", "Body": dirty},
        ),
        twilio_post(
            client,
            "twilio_whatsapp",
            {
                "MessageSid": "SM" + "2" * 32,
                "From": "whatsapp:+6281234567",
                "Body": dirty,
                "ProfileName": "Bu\x00di",
            },
        ),
        meta_post(client, meta_message("wamid.nul\x00", "6281299\x00", dirty)),
    ]
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    # Email comes through IMAP, not a route: what its reader makes must be storable too.
    settings = ReadSettings("email", {"aduan@pemkab.go.id"}, "pemkab.go.id", tmp_path)
    mail = (
        "From: Wa\x00rga <warga@example.id>\r\nTo: aduan@pemkab.go.id\r\n"
        "Subject: Jalan\x00 rusak\r\nMessage-ID: <nul\x00@example.id>\r\n\r\n" + dirty
    ).encode()
    (message,) = read_mail(mail, settings).items
    client.runtime.pipeline.handle(message)  # type: ignore[attr-defined]

    stored = inbound(client)
    assert sorted(m.channel for m in stored) == sorted(
        ["web", "web", "telegram", "twilio_sms", "twilio_whatsapp", "meta_whatsapp", "email"]
    )
    assert {m.text for m in stored} == {dirty.replace("\x00", ""), other.replace("\x00", "")}
    engine = client.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        contacts = connection.execute(select(Contact.address, Contact.display_name)).all()
    assert not any("\x00" in (value or "") for row in contacts for value in row)


def test_nul_in_a_query_string_or_path_is_refused(client: TestClient) -> None:
    for url in (
        "/api/v1/opd/complaints?status=%00",
        "/api/v1/web/complaints/ADU-7K3Q9?lang=%00",
        "/api/v1/web/complaints/ADU-%00",
        "/api/v1/reports/scorecard?since=%00",
    ):
        answer = client.get(url, headers={"Authorization": "Bearer x"})
        assert answer.status_code == 400, (url, answer.text)


def test_telegram_text_over_10000_characters_is_truncated_like_other_channels(
    client: TestClient,
) -> None:
    long_text = COMPLAINT + " dan" * 4_000  # about 16,000 characters
    telegram = telegram_post(client, telegram_message(8, long_text))
    sms = twilio_post(
        client, "twilio_sms", {"MessageSid": "SM" + "3" * 32, "From": "+628111", "Body": long_text}
    )
    assert (telegram.status_code, sms.status_code) == (200, 200), telegram.text
    texts = {m.channel: m.text for m in inbound(client)}
    assert texts["telegram"] == texts["twilio_sms"] == long_text[:10_000]


def test_identifiers_too_long_to_store_are_refused(client: TestClient) -> None:
    long = "x" * 300
    answers = {
        "Idempotency-Key": client.post(
            "/api/v1/web/messages",
            json={"text": COMPLAINT},
            headers={"Idempotency-Key": long, **key_headers(client.runtime.engine)},  # type: ignore[attr-defined]
        ),
        "web id": client.post(
            "/api/v1/web/messages",
            json={"text": COMPLAINT, "id": long},
            headers=key_headers(client.runtime.engine),  # type: ignore[attr-defined]
        ),
        "Twilio From": twilio_post(
            client,
            "twilio_sms",
            {"MessageSid": "SM" + "4" * 32, "From": "+62" + "1" * 300, "Body": COMPLAINT},
        ),
        "Twilio MessageSid": twilio_post(
            client,
            "twilio_whatsapp",
            {"MessageSid": "SM" + long, "From": "whatsapp:+628111", "Body": COMPLAINT},
        ),
        "Meta wamid": meta_post(client, meta_message("wamid." + long, "628111", COMPLAINT)),
        "Meta from": meta_post(client, meta_message("wamid.ok", "62" + "1" * 300, COMPLAINT)),
    }
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 400)
    assert stored_count(client) == 0


def _http_exchange(port: int, head: bytes, chunks: list[bytes]) -> tuple[bytes, int]:
    """Send `head`, then `chunks` until the server answers; the answer and the bytes sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sent = 0
        sock.settimeout(0.05)
        answer = b""
        for chunk in [*chunks, b""]:
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(65536)
            if answer:
                break
            if chunk:
                try:
                    sock.sendall(chunk)
                except OSError:  # the server answered and closed while we were sending
                    break
                sent += len(chunk)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            try:
                more = sock.recv(65536)
            except OSError:
                break
            if not more:
                break
            answer += more
        return answer, sent


def test_oversized_body_gets_413_before_it_is_read(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.yaml")
    server = Server(config, aduan_env(sqlite_url), tmp_path)
    try:
        declared, sent = _http_exchange(
            server.port,
            b"POST /api/v1/web/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 500000000\r\n\r\n",
            [],
        )
        assert declared.startswith(b"HTTP/1.1 413"), declared
        # Streamed without a length: refused once past the limit (1 MiB), not at its end.
        chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
        streamed, sent = _http_exchange(
            server.port,
            b"POST /api/v1/web/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            [chunk] * 800,  # 50 MiB if it were all read
        )
        assert streamed.startswith(b"HTTP/1.1 413"), streamed
        assert sent < 8 * 1024 * 1024
    finally:
        server.stop()


def test_a_webhook_over_its_channels_limit_gets_413_and_keeps_nothing(client: TestClient) -> None:
    """Twilio's 64 kB limit is below the server's 1 MiB: the adapter's refusal is a 413 too."""
    form = {"From": "+6281234567890", "To": "+15005550006", "MessageSid": "SM" + "0" * 32}
    form["Body"] = "jalan rusak " * 8_000  # about 96 kB
    answer = twilio_post(client, "twilio_sms", form)
    assert answer.status_code == 413
    assert "too large" in answer.json()["error"]
    assert stored_count(client) == 0
