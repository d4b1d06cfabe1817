"""Twilio SMS and Twilio WhatsApp through a running `aduan serve`.

The stand-in plays Twilio: it signs its webhooks for the public https URL and delivers them
through a TLS-terminating "proxy" to Aduan's loopback port, serves the Messages API the twilio
client is pointed at, and reports every accepted message through its status callback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels.standins.base import wait_until
from tests.channels.standins.deployment import COMPLAINT, channel_config, resolve, rows
from tests.channels.standins.twilio_api import TwilioStandIn, inbound_sms, inbound_whatsapp
from tests.support.deployment import Server, aduan_env, run_cli
from tests.support.http_recorder import Recorder

PUBLIC_URL = "https://aduan.example.go.id"
CITIZEN = "+6281234567890"
CODE = re.compile(r"ADU-[2-9A-HJKMNP-Z]{5}")
CHANNELS = {
    "twilio_sms": {"from_number": "+62215550100", "inbound": inbound_sms, "prefix": ""},
    "twilio_whatsapp": {
        "from_number": "+14155238886",
        "inbound": inbound_whatsapp,
        "prefix": "whatsapp:",
    },
}


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    standin = TwilioStandIn()
    yield standin
    standin.close()


@pytest.fixture
def deployment(
    tmp_path: Path, sqlite_url: str, twilio: TwilioStandIn, opd_system: Recorder
) -> Iterator[tuple[Server, Path, dict[str, str]]]:
    sections = {
        name: {
            "enabled": True,
            "from_number": spec["from_number"],
            "public_url": PUBLIC_URL,
            "api_base_url": twilio.url,
        }
        for name, spec in CHANNELS.items()
    }
    config = channel_config(
        tmp_path,
        sections,
        opd_system.url,
        max_attempts=3,
        backoff_base_seconds=0.3,
        backoff_max_seconds=1,
    )
    env = aduan_env(
        sqlite_url, TWILIO_ACCOUNT_SID=twilio.account_sid, TWILIO_AUTH_TOKEN=twilio.auth_token
    )
    server = Server(config, env, tmp_path)
    twilio.proxy[PUBLIC_URL] = server.url
    yield server, config, env
    server.stop()


def inbound_url(channel: str) -> str:
    return f"{PUBLIC_URL}/channels/{channel}/inbound"


def messages_to(twilio: TwilioStandIn, to: str) -> list[str]:
    return [sent.get("Body") or "" for sent in twilio.sent if sent.get("To") == to]


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_citizen_complaint_acknowledged_resolved_and_receipted(
    channel: str,
    deployment: tuple[Server, Path, dict[str, str]],
    twilio: TwilioStandIn,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    server, config, env = deployment
    spec = CHANNELS[channel]
    to = f"{spec['prefix']}{CITIZEN}"
    fields = spec["inbound"](CITIZEN, COMPLAINT)

    first = twilio.post_webhook(inbound_url(channel), fields)
    assert first.status_code == 200 and "<Response" in first.text
    assert first.headers["content-type"].startswith("text/xml")
    replay = twilio.post_webhook(inbound_url(channel), fields)  # Twilio retries on a timeout
    assert replay.status_code == 200

    (ack,) = twilio.wait_for(1)
    code = CODE.search(ack.get("Body") or "")
    assert code, ack.fields
    assert ack.get("To") == to
    assert ack.get("From") == f"{spec['prefix']}{spec['from_number']}"
    assert ack.get("StatusCallback") == f"{PUBLIC_URL}/channels/{channel}/status"

    # The status callbacks (sent, then delivered) land on the stored acknowledgement.
    wait_until(
        lambda: rows(
            sqlite_url,
            "SELECT 1 FROM message WHERE external_id = :sid AND delivery_state = 'delivered'",
            sid=ack.sid,
        ),
        what="the delivered receipt on the acknowledgement",
    )

    resolve(server.url, config, env, tmp_path, code[0])
    notice = wait_until(lambda: messages_to(twilio, to)[1:], what="the resolution notice")[0]
    assert code[0] in notice and "Lubang sudah ditambal" in notice

    listed = run_cli(["complaints", "list", "--json", "--config", str(config)], env, tmp_path)
    assert listed.stdout.count(code[0]) == 1 and len(CODE.findall(listed.stdout)) == 1
    assert len(messages_to(twilio, to)) == 2  # one acknowledgement despite the replay


@pytest.mark.parametrize("signature", ["", "bm90LXRoZS1zaWduYXR1cmU="])
def test_unsigned_or_forged_webhook_is_refused_and_nothing_stored(
    signature: str,
    deployment: tuple[Server, Path, dict[str, str]],
    twilio: TwilioStandIn,
    sqlite_url: str,
) -> None:
    response = twilio.post_webhook(
        inbound_url("twilio_sms"), inbound_sms(CITIZEN, COMPLAINT), signature=signature
    )
    assert response.status_code == 403
    assert rows(sqlite_url, "SELECT id FROM message") == []
    assert rows(sqlite_url, "SELECT id FROM complaint") == []


def test_server_errors_are_retried_and_a_refusal_is_a_dead_letter_with_twilios_reason(
    deployment: tuple[Server, Path, dict[str, str]],
    twilio: TwilioStandIn,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    _, config, env = deployment
    for _ in range(2):
        twilio.answer_next(503, {"code": 20503, "message": "Service Unavailable", "status": 503})
    twilio.post_webhook(inbound_url("twilio_sms"), inbound_sms(CITIZEN, COMPLAINT))
    (ack,) = twilio.wait_for(1)
    assert CODE.search(ack.get("Body") or "") and twilio.attempts == 3

    unsubscribed = "+6289876543210"
    twilio.refuse(unsubscribed, 400, 21610, "Attempt to send to unsubscribed recipient")
    twilio.post_webhook(inbound_url("twilio_sms"), inbound_sms(unsubscribed, COMPLAINT))
    dead = wait_until(
        lambda: rows(sqlite_url, "SELECT last_error, attempts FROM outboxitem WHERE status='dead'"),
        what="a dead letter",
    )
    assert "21610" in dead[0]["last_error"] and "unsubscribed" in dead[0]["last_error"]
    assert dead[0]["attempts"] == 1  # permanent: not tried again
    listed = run_cli(["outbox", "list", "--dead", "--config", str(config)], env, tmp_path)
    assert "21610" in listed.stdout
    contact = rows(
        sqlite_url, "SELECT unreachable FROM contact WHERE address = :a", a=f"tel:{unsubscribed}"
    )
    assert contact == [{"unreachable": 1}]


def test_an_undelivered_status_marks_the_contact_unreachable_only_for_a_permanent_code(
    deployment: tuple[Server, Path, dict[str, str]],
    twilio: TwilioStandIn,
    sqlite_url: str,
) -> None:
    """The receipt says itself whether the number is dead (21614: not a mobile number) or the
    carrier had trouble (30003), and the core believes it."""
    landline, unlucky = "+622150001234", "+6281298765432"
    twilio.fail_delivery(landline, "21614")
    twilio.fail_delivery(unlucky, "30003")
    for number in (landline, unlucky):
        twilio.post_webhook(inbound_url("twilio_sms"), inbound_sms(number, COMPLAINT))
    twilio.wait_for(2)

    def failed() -> list[dict]:
        found = rows(
            sqlite_url, "SELECT delivery_error FROM message WHERE delivery_state = 'failed'"
        )
        return found if len(found) == 2 else []

    reported = wait_until(failed, what="both acknowledgements reported undelivered")
    assert sorted(r["delivery_error"].split()[0] for r in reported) == ["21614", "30003"]
    reachable = {
        r["address"]: r["unreachable"]
        for r in rows(sqlite_url, "SELECT address, unreachable FROM contact")
    }
    assert reachable == {f"tel:{landline}": 1, f"tel:{unlucky}": 0}


def test_after_stop_nothing_more_is_sent(
    deployment: tuple[Server, Path, dict[str, str]],
    twilio: TwilioStandIn,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    server, config, env = deployment
    twilio.post_webhook(inbound_url("twilio_sms"), inbound_sms(CITIZEN, COMPLAINT))
    code = CODE.search(twilio.wait_for(1)[0].get("Body") or "")
    assert code
    stop = twilio.post_webhook(
        inbound_url("twilio_sms"), inbound_sms(CITIZEN, "Berhenti", OptOutType="STOP")
    )
    assert stop.status_code == 200
    wait_until(
        lambda: rows(sqlite_url, "SELECT 1 FROM contact WHERE opted_out = 1"),
        what="the contact marked opted out",
    )
    resolve(server.url, config, env, tmp_path, code[0])
    wait_until(
        lambda: rows(sqlite_url, "SELECT 1 FROM outboxitem WHERE status = 'dead'"),
        what="the resolution notice held back",
    )
    assert messages_to(twilio, CITIZEN) == [twilio.sent[0].get("Body")]
