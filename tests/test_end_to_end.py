"""A complaint's whole trip through a running `aduan serve`, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from channels.signing import verify
from tests.support.deployment import (
    CALLBACK_SECRET,
    WEBHOOK_SECRET,
    Server,
    aduan_env,
    run_cli,
    write_config,
)
from tests.support.http_recorder import Recorder
from tests.support.web_clients import cli_key_headers

POTHOLE = {
    "id": "portal-0001",
    "sender": "warga-42",
    "name": "Siti",
    "text": "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu belum diperbaiki",
    "location": {"lat": -6.9147, "lon": 107.6098, "address": "Jl. Merdeka"},
}


def _opd_token(config: Path, env: dict[str, str], cwd: Path, opd: str) -> str:
    result = run_cli(["opd", "token", opd, "--config", str(config)], env, cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_complaint_travels_from_citizen_to_opd_and_back(
    database_url: str, tmp_path: Path, opd_system: Recorder, city_app: Recorder
) -> None:
    config = write_config(
        tmp_path / "config.yaml", opd_webhook=opd_system.url, web_callback=city_app.url
    )
    env = aduan_env(database_url)
    server = Server(config, env, tmp_path)
    try:
        portal = cli_key_headers(env, tmp_path)
        response = httpx.post(f"{server.url}/api/v1/web/messages", json=POTHOLE, headers=portal)
        assert response.status_code == 201, response.text
        filed = response.json()
        code = filed["code"]
        assert re.fullmatch(r"ADU-[2-9A-HJKMNP-Z]{5}", code)
        assert (filed["category"], filed["opd"], filed["status"]) == (
            "jalan_rusak",
            "DPUPR",
            "routed",
        )
        assert code in filed["reply"] and "Dinas Pekerjaan Umum" in filed["reply"]

        (delivery,) = opd_system.wait_for(1)
        assert delivery.path == "/opd/DPUPR"
        assert verify(WEBHOOK_SECRET, delivery.body, delivery.headers["X-Aduan-Signature"])
        assert delivery.headers["Idempotency-Key"].startswith(f"dispatch:{code}")
        document = delivery.json()
        assert document["code"] == code and "Jl. Merdeka" in document["text"]
        assert document["location"]["lat"] == POTHOLE["location"]["lat"]
        assert "warga-42" not in delivery.body.decode()  # the OPD never sees the citizen's id

        (ack,) = city_app.wait_for(1)
        assert verify(CALLBACK_SECRET, ack.body, ack.headers["X-Aduan-Signature"])
        assert ack.json()["recipient"] == "warga-42" and code in ack.json()["text"]
        assert ack.json()["client"] == "portal-kota"

        token = _opd_token(config, env, tmp_path, "DPUPR")
        response = httpx.post(
            f"{server.url}/api/v1/opd/complaints/{code}/status",
            json={"status": "resolved", "note": "Lubang sudah ditambal"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "resolved"

        notice = city_app.wait_for(2)[1].json()
        assert notice["complaint_code"] == code
        assert "Selesai" in notice["text"] and "Lubang sudah ditambal" in notice["text"]

        lookup = httpx.get(
            f"{server.url}/api/v1/web/complaints/{code.lower()}", headers=portal
        ).json()
        assert lookup["status"] == "resolved" and len(lookup["messages"]) == 2
    finally:
        server.stop()


def test_same_message_twice_gives_one_complaint_and_one_acknowledgement(
    sqlite_url: str, tmp_path: Path, opd_system: Recorder, city_app: Recorder
) -> None:
    config = write_config(
        tmp_path / "config.yaml", opd_webhook=opd_system.url, web_callback=city_app.url
    )
    env = aduan_env(sqlite_url)
    server = Server(config, env, tmp_path)
    try:
        portal = cli_key_headers(env, tmp_path)
        first = httpx.post(f"{server.url}/api/v1/web/messages", json=POTHOLE, headers=portal)
        second = httpx.post(f"{server.url}/api/v1/web/messages", json=POTHOLE, headers=portal)
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json()["result"] == "duplicate"
        assert second.json()["code"] == first.json()["code"]
        opd_system.wait_for(1)
        city_app.wait_for(1)
        time.sleep(1.5)  # give a wrong second send every chance to show up
        assert len(opd_system.received) == 1 and len(city_app.received) == 1
    finally:
        server.stop()
    listed = run_cli(["complaints", "list", "--json", "--config", str(config)], env, tmp_path)
    assert len(json.loads(listed.stdout)) == 1


def test_opd_webhook_down_is_retried_then_dead_lettered_then_retried_by_hand(
    sqlite_url: str, tmp_path: Path, opd_system: Recorder
) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        opd_webhook=opd_system.url,
        max_attempts=3,
        backoff_base_seconds=0.3,
        backoff_max_seconds=1,
    )
    env = aduan_env(sqlite_url)
    server = Server(config, env, tmp_path)
    try:
        portal = cli_key_headers(env, tmp_path)
        # Down for a while, then back: the complaint arrives once it is back.
        opd_system.status = 503
        httpx.post(
            f"{server.url}/api/v1/web/messages", json=POTHOLE, headers=portal
        ).raise_for_status()
        deadline = time.monotonic() + 20
        while opd_system.attempts < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opd_system.attempts == 2 and not opd_system.received
        opd_system.status = 200
        assert opd_system.wait_for(1)[0].json()["text"] == POTHOLE["text"]

        # Down for good: after the last attempt it is a dead letter.
        opd_system.status = 503
        other = {**POTHOLE, "id": "portal-0002", "text": "Sampah menumpuk di TPS pasar baru"}
        code = httpx.post(f"{server.url}/api/v1/web/messages", json=other, headers=portal).json()[
            "code"
        ]
        deadline = time.monotonic() + 20
        dead = ""
        while code not in dead and time.monotonic() < deadline:
            dead = run_cli(
                ["outbox", "list", "--dead", "--config", str(config)], env, tmp_path
            ).stdout
            time.sleep(0.3)
        assert code in dead and "503" in dead and "attempts=3" in dead
        assert len(opd_system.received) == 1

        opd_system.status = 200
        item_id = dead.split()[0]
        retried = run_cli(["outbox", "retry", item_id, "--config", str(config)], env, tmp_path)
        assert retried.returncode == 0, retried.stderr
        assert opd_system.wait_for(2)[1].json()["code"] == code
    finally:
        server.stop()


def test_citizens_addresses_are_masked_in_the_server_log(
    sqlite_url: str, tmp_path: Path, city_app: Recorder
) -> None:
    config = write_config(tmp_path / "config.yaml", web_callback=city_app.url)
    env = aduan_env(sqlite_url)
    server = Server(config, env, tmp_path)
    try:
        phone = "+6281234567890"
        httpx.post(
            f"{server.url}/api/v1/web/messages",
            json={**POTHOLE, "sender": phone},
            headers=cli_key_headers(env, tmp_path),
        ).raise_for_status()
        city_app.wait_for(1)
    finally:
        server.stop()
    log = server.output()
    assert "web:portal-" in log and "complaint ADU-" in log  # the log does name the sender...
    assert phone not in log  # ...but never in full


def test_running_server_escalates_an_overdue_complaint_to_the_supervisor(
    database_url: str, tmp_path: Path, opd_system: Recorder
) -> None:
    import yaml

    from aduan.runtime import build_runtime
    from channels.message import InboundMessage

    config = write_config(tmp_path / "config.yaml", opd_webhook=opd_system.url)
    data = yaml.safe_load(config.read_text())
    data["sla"]["escalate_to"] = [
        {
            "kind": "webhook",
            "url": f"{opd_system.url}/inspektorat",
            "secret_env": "ADUAN_OPD_WEBHOOK_SECRET",
        }
    ]
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    runtime = build_runtime(config, database_url, migrate=True)
    runtime.pipeline.clock = lambda: three_days_ago
    filed = runtime.pipeline.handle(
        InboundMessage(
            channel="web",
            external_id="old-1",
            sender="web:warga-9",
            text="Jalan berlubang besar di Jl. Merdeka km 3, motor sering jatuh",
        )
    )
    runtime.engine.dispose()

    server = Server(config, aduan_env(database_url), tmp_path)
    try:
        received = opd_system.wait_for(3)  # the complaint, then the escalation to both
        time.sleep(1)
    finally:
        server.stop()
    events = sorted((r.path, r.json()["event"]) for r in opd_system.received)
    assert events == [
        ("/inspektorat", "complaint.escalation"),
        ("/opd/DPUPR", "complaint.created"),
        ("/opd/DPUPR", "complaint.escalation"),
    ]
    assert all(r.json()["code"] == filed.complaint_code for r in received)
