"""WhatsApp through Meta's Cloud API, through a running `aduan serve`.

The stand-in plays Meta: it signs notifications with the app secret, serves the Graph API that
Aduan's httpx client is pointed at, posts a status for every accepted message, and enforces
WhatsApp's 24-hour window (free text to someone silent for longer fails with 131047).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from channels.meta_whatsapp import MetaWhatsAppAdapter
from tests.channels.standins import graph_api
from tests.channels.standins.base import wait_until
from tests.channels.standins.deployment import COMPLAINT, channel_config, execute, resolve, rows
from tests.channels.standins.graph_api import (
    GraphStandIn,
    contact,
    message,
    notification,
    text_message,
)
from tests.support.deployment import Server, aduan_env, run_cli
from tests.support.http_recorder import Recorder

CITIZEN = "6281234567890"
CODE = re.compile(r"ADU-[2-9A-HJKMNP-Z]{5}")
TEMPLATE = {"name": "aduan_pembaruan", "language": "id", "parameters": ["{code}", "{text}"]}


@pytest.fixture
def graph() -> Iterator[GraphStandIn]:
    standin = GraphStandIn()
    yield standin
    standin.close()


@pytest.fixture
def deployment(
    tmp_path: Path, sqlite_url: str, graph: GraphStandIn, opd_system: Recorder
) -> Iterator[tuple[Server, Path, dict[str, str]]]:
    secrets = {
        "access_token": graph_api.ACCESS_TOKEN,
        "app_secret": graph_api.APP_SECRET,
        "verify_token": graph_api.VERIFY_TOKEN,
    }
    section = {
        "enabled": True,
        "phone_number_id": graph_api.PHONE_NUMBER_ID,
        "graph_url": graph.url,
        "api_version": graph_api.VERSION,
        "template": TEMPLATE,
    }
    config = channel_config(
        tmp_path,
        {"meta_whatsapp": section},
        opd_system.url,
        max_attempts=3,
        backoff_base_seconds=0.3,
        backoff_max_seconds=1,
    )
    env = aduan_env(
        sqlite_url,
        **{MetaWhatsAppAdapter.secrets[field]: value for field, value in secrets.items()},
    )
    server = Server(config, env, tmp_path)
    graph.webhook_url = webhook(server)
    yield server, config, env
    server.stop()


def webhook(server: Server) -> str:
    return f"{server.url}/channels/meta_whatsapp/webhook"


def complaint_from(wa_id: str, text: str = COMPLAINT, **more: object) -> dict:
    return notification(messages=[text_message(wa_id, text, **more)], contacts=[contact(wa_id)])


def sent_to(graph: GraphStandIn, wa_id: str) -> list[dict]:
    return [m for m in graph.sent if m["to"] == wa_id]


def body_of(sent: dict) -> str:
    if sent["type"] == "text":
        return sent["text"]["body"]
    if sent["type"] == "interactive":
        return sent["interactive"]["body"]["text"]
    return " ".join(p["text"] for p in sent["template"]["components"][0]["parameters"])


def test_subscription_handshake(deployment: tuple[Server, Path, dict[str, str]]) -> None:
    server = deployment[0]
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    ok = httpx.get(webhook(server), params={**query, "hub.verify_token": graph_api.VERIFY_TOKEN})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    refused = httpx.get(webhook(server), params={**query, "hub.verify_token": "guess"})
    assert refused.status_code == 403


def test_citizen_complaint_acknowledged_resolved_and_receipted(
    deployment: tuple[Server, Path, dict[str, str]],
    graph: GraphStandIn,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    server, config, env = deployment
    payload = complaint_from(CITIZEN)
    assert graph.post_webhook(webhook(server), payload).status_code == 200
    assert graph.post_webhook(webhook(server), payload).status_code == 200  # redelivered

    ack = graph.wait_for(1)[0]
    assert ack["type"] == "text" and ack["to"] == CITIZEN
    code = CODE.search(ack["text"]["body"])
    assert code
    wait_until(
        lambda: rows(
            sqlite_url,
            "SELECT 1 FROM message WHERE external_id = :id AND delivery_state = 'delivered'",
            id=ack["id"],
        ),
        what="the delivered status on the acknowledgement",
    )

    resolve(server.url, config, env, tmp_path, code[0])
    notice = wait_until(lambda: sent_to(graph, CITIZEN)[1:], what="the resolution notice")[0]
    assert code[0] in body_of(notice) and "Lubang sudah ditambal" in body_of(notice)

    listed = run_cli(["complaints", "list", "--json", "--config", str(config)], env, tmp_path)
    assert len(set(CODE.findall(listed.stdout))) == 1
    acks = [m for m in sent_to(graph, CITIZEN) if "Laporan diterima" in body_of(m)]
    assert len(acks) == 1


@pytest.mark.parametrize("secret", ["", "not-the-app-secret"])
def test_unsigned_or_forged_notification_is_refused_and_nothing_stored(
    secret: str,
    deployment: tuple[Server, Path, dict[str, str]],
    graph: GraphStandIn,
    sqlite_url: str,
) -> None:
    response = graph.post_webhook(webhook(deployment[0]), complaint_from(CITIZEN), secret)
    assert response.status_code == 403
    assert rows(sqlite_url, "SELECT id FROM message") == []


def test_a_batch_of_five_messages_is_five_messages_handled(
    deployment: tuple[Server, Path, dict[str, str]], graph: GraphStandIn, sqlite_url: str
) -> None:
    people = [f"62811000000{i}" for i in range(5)]
    batch = notification(
        messages=[
            text_message(p, f"Sampah menumpuk di TPS pasar blok {i}") for i, p in enumerate(people)
        ],
        contacts=[contact(p, f"Warga {i}") for i, p in enumerate(people)],
    )
    assert graph.post_webhook(webhook(deployment[0]), batch).status_code == 200
    inbound = rows(sqlite_url, "SELECT external_id FROM message WHERE direction = 'in'")
    assert len(inbound) == 5
    graph.wait_for(5)
    assert sorted(m["to"] for m in graph.sent[:5]) == people


def test_update_thirty_hours_after_the_citizen_wrote_goes_out_as_a_template(
    deployment: tuple[Server, Path, dict[str, str]],
    graph: GraphStandIn,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    server, config, env = deployment
    graph.post_webhook(webhook(server), complaint_from(CITIZEN))
    code = CODE.search(graph.wait_for(1)[0]["text"]["body"])
    assert code
    # Thirty hours pass: the citizen's message (and WhatsApp's record of it) is that old now.
    execute(
        sqlite_url,
        "UPDATE message SET created_at = :at WHERE direction = 'in'",
        at=(datetime.now(UTC) - timedelta(hours=30)).replace(tzinfo=None),
    )
    graph.last_written[CITIZEN] = time.time() - 30 * 3600

    resolve(server.url, config, env, tmp_path, code[0])
    notice = wait_until(lambda: sent_to(graph, CITIZEN)[1:], what="the resolution notice")[0]
    assert notice["type"] == "template"
    assert notice["template"]["name"] == "aduan_pembaruan"
    parameters = [p["text"] for p in notice["template"]["components"][0]["parameters"]]
    assert parameters[0] == code[0] and "Lubang sudah ditambal" in parameters[1]
    wait_until(
        lambda: rows(
            sqlite_url,
            "SELECT 1 FROM message WHERE external_id = :id AND delivery_state = 'delivered'",
            id=notice["id"],
        ),
        what="the template delivered (free text would have failed with 131047)",
    )


def test_server_errors_are_retried_and_a_refusal_is_a_dead_letter_with_metas_reason(
    deployment: tuple[Server, Path, dict[str, str]], graph: GraphStandIn, sqlite_url: str
) -> None:
    server = deployment[0]
    for _ in range(2):
        graph.answer_next(500, graph_api.graph_error(131000, "(#131000) Something went wrong"))
    graph.post_webhook(webhook(server), complaint_from(CITIZEN))
    assert CODE.search(graph.wait_for(1)[0]["text"]["body"]) and graph.attempts == 3

    graph.answer_next(
        400,
        graph_api.graph_error(131026, "(#131026) Message Undeliverable.", "Message Undeliverable."),
    )
    graph.post_webhook(webhook(server), complaint_from("6289876543210"))
    dead = wait_until(
        lambda: rows(sqlite_url, "SELECT last_error, attempts FROM outboxitem WHERE status='dead'"),
        what="a dead letter",
    )
    assert "131026" in dead[0]["last_error"] and "Undeliverable" in dead[0]["last_error"]
    assert dead[0]["attempts"] == 1


def test_a_batch_is_taken_though_one_message_in_it_cannot_be(
    deployment: tuple[Server, Path, dict[str, str]], graph: GraphStandIn, sqlite_url: str
) -> None:
    """A message without a sender used to make the whole POST a 400, losing every other one."""
    server = deployment[0]
    senderless = text_message(CITIZEN, "Lampu PJU mati")
    del senderless["from"]
    batch = notification(
        messages=[
            text_message(CITIZEN, COMPLAINT),
            senderless,
            {**text_message("6282222222222", "x"), "from": ""},
            text_message("6283333333333", "Sampah menumpuk di TPS pasar blok C"),
        ],
        contacts=[contact(CITIZEN), contact("6283333333333", "Ani")],
    )
    assert graph.post_webhook(webhook(server), batch).status_code == 200
    graph.wait_for(2)
    assert sorted(m["to"] for m in graph.sent[:2]) == sorted([CITIZEN, "6283333333333"])
    inbound = rows(sqlite_url, "SELECT external_id FROM message WHERE direction = 'in'")
    assert len(inbound) == 2
    assert f"message {senderless['id']} has no phone number or user id" in server.output()


def test_a_citizen_known_only_by_user_id_is_answered(
    deployment: tuple[Server, Path, dict[str, str]], graph: GraphStandIn, sqlite_url: str
) -> None:
    """A user who adopted a username: no phone number anywhere, only the business-scoped id."""
    server = deployment[0]
    user_id = "ID.1502576394655843"
    incoming = text_message(user_id, COMPLAINT)
    del incoming["from"]
    incoming["from_user_id"] = user_id
    people = [{"profile": {"name": "Rina", "username": "@rina.bdg"}, "user_id": user_id}]
    payload = notification(messages=[incoming], contacts=people)
    assert graph.post_webhook(webhook(server), payload).status_code == 200

    (ack,) = graph.wait_for(1)
    assert ack["recipient"] == user_id and "to" not in ack
    assert CODE.search(ack["text"]["body"])
    stored = rows(sqlite_url, "SELECT address, display_name FROM contact")
    assert stored == [{"address": f"whatsapp:{user_id}", "display_name": "Rina"}]


def test_unsupported_messages_and_contact_cards_are_answered_group_messages_are_not(
    deployment: tuple[Server, Path, dict[str, str]], graph: GraphStandIn, sqlite_url: str
) -> None:
    server = deployment[0]
    unsupported = message(
        CITIZEN,
        "unsupported",
        {"type": "poll"},
        errors=[{"code": 131051, "title": "Message type unknown"}],
    )
    card = {
        "name": {"formatted_name": "Pak RT Joko", "first_name": "Joko"},
        "phones": [{"phone": "+62 812-3456-7890", "wa_id": "6281234567890", "type": "CELL"}],
    }
    shared = message("6284444444444", "contacts", [card])
    in_group = text_message("6285555555555", COMPLAINT, group_id="Y2FwaV9ncm91cDoxNzA1NTU1")
    people = [contact(CITIZEN), contact("6284444444444", "Dewi"), contact("6285555555555")]
    payload = notification(messages=[unsupported, shared, in_group], contacts=people)
    assert graph.post_webhook(webhook(server), payload).status_code == 200

    graph.wait_for(2)
    time.sleep(1)  # room for a wrong third answer (to the group's member) to show up
    answered = {m["to"]: body_of(m) for m in graph.sent}
    assert sorted(answered) == [CITIZEN, "6284444444444"]
    assert "belum dapat kami baca" in answered[CITIZEN]  # not "Pesan Anda kosong"
    texts = rows(sqlite_url, "SELECT text FROM message WHERE direction = 'in' ORDER BY id")
    assert [t["text"] for t in texts] == ["", "Pak RT Joko, +62 812-3456-7890"]
    assert (
        rows(sqlite_url, "SELECT id FROM contact WHERE address = 'whatsapp:+6285555555555'") == []
    )
