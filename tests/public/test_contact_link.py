"""The private link is sent to the contact a citizen gives, safely: anyone may type anyone's.

Through the public surfaces only: the report form and Open311 post, the outbox sends on the
e-mail channel to a real SMTP server (aiosmtpd) and by SMS to the Twilio stand-in, the
citizen opens the link from the message, staff change the status through the OPD API.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient

from aduan.access.web_clients import create_key
from aduan.api.app import create_app
from aduan.runtime import build_runtime
from aduan.serve import senders_for
from channels.registry import build_adapters
from dispatch.outbox import OutboxWorker
from tests.channels.email.servers import ADDRESS, PASSWORD, MailCatcher
from tests.channels.standins.twilio_api import TwilioStandIn
from tests.public.kit import POTHOLE, STAFF_NOTE, opd_sets, report_form, runtime_of
from tests.support.deployment import write_config

PUBLIC_URL = "https://aduan.pemkab-contoh.go.id"
CITIZEN = "siti.aminah@example.id"
PHONE = "+6281234567890"
LINK = re.compile(r"https://aduan\.pemkab-contoh\.go\.id(/lacak/\S+)")


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher()
    yield catcher
    catcher.close()


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    standin = TwilioStandIn()
    yield standin
    standin.close()


@pytest.fixture
def client(
    tmp_path: Path, database_url: str, smtp: MailCatcher, twilio: TwilioStandIn
) -> Iterator[TestClient]:
    """The public site with the e-mail and SMS channels on, two links per contact a day."""
    path = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["media"]["public_url"] = PUBLIC_URL
    data["public"]["links_per_contact"] = 2
    data["channels"]["email"] = {
        "address": ADDRESS,
        "imap_host": "127.0.0.1",
        "imap_user": ADDRESS,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "attachments_dir": str(tmp_path / "attachments"),
    }
    data["channels"]["twilio_sms"] = {
        "public_url": PUBLIC_URL,
        "from_number": "+62215550100",
        "api_base_url": twilio.url,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    runtime = build_runtime(path, database_url, migrate=True)
    env = {
        "ADUAN_EMAIL_IMAP_PASSWORD": PASSWORD,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
    }
    adapters, statuses = build_adapters(runtime.config.channels, env)
    assert {"email", "twilio_sms"} <= set(adapters), statuses
    with TestClient(create_app(runtime, adapters), base_url="http://127.0.0.1") as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        test_client.senders = senders_for(adapters, env)  # type: ignore[attr-defined]
        yield test_client
    runtime.engine.dispose()


def send_outbox(client: TestClient) -> None:
    """What `aduan serve`'s outbox worker does in the background, until nothing is due."""
    runtime = runtime_of(client)
    worker = OutboxWorker(runtime.engine, client.senders, runtime.ctx.settings)  # type: ignore[attr-defined]
    while asyncio.run(worker.run_once()):
        pass


def report(client: TestClient, contact: str, text: str = POTHOLE) -> tuple[str, str]:
    """File a report on the form with `contact`: the answer page and the tracking code."""
    answer = client.post("/lapor", data=report_form(client, text=text, contact=contact))
    assert answer.status_code == 201, answer.text
    code = re.search(r'id="code">(ADU-[0-9A-Z]+)<', answer.text)
    assert code is not None
    return answer.text, code.group(1)


def body(mail: EmailMessage) -> str:
    return str(mail.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]


def link_in(text: str) -> str:
    found = LINK.search(text)
    assert found is not None, text
    return found.group(1)


def test_the_link_arrives_by_email_without_the_report_and_opening_it_confirms(
    client: TestClient, smtp: MailCatcher
) -> None:
    page, code = report(client, CITIZEN.upper())
    assert "Tautan ini juga kami kirim ke kontak Anda" in page
    send_outbox(client)
    (mail,) = smtp.wait_for(CITIZEN, 1)
    text = body(mail)
    assert code in mail["Subject"] and code in text and "Jalan rusak" in text
    assert "Merdeka" not in text and "motor" not in text  # never the complaint's words
    path = link_in(text)
    # The message's link is the page's private link plus a confirm token of its own.
    shown = re.search(r'id="private-link" href="http://127.0.0.1([^"]+)"', page)
    assert shown is not None and path.startswith(shown.group(1) + "&konfirmasi=")
    opened = client.get(path)
    assert opened.status_code == 200
    assert "Kontak Anda terkonfirmasi" in opened.text
    assert "Dinas Pekerjaan Umum" in opened.text  # the full page: the timeline
    # The page's own link (held by whoever filled in the form) confirms nothing.
    again = client.get(shown.group(1).replace("&amp;", "&"))
    assert again.status_code == 200 and "terkonfirmasi" not in again.text


def test_status_updates_reach_the_contact_only_once_confirmed(
    client: TestClient, smtp: MailCatcher
) -> None:
    _, code = report(client, CITIZEN)
    send_outbox(client)
    (link_mail,) = smtp.wait_for(CITIZEN, 1)
    opd_sets(client, code, "in_progress", "Tim sedang menuju lokasi")
    send_outbox(client)
    assert len(smtp.to(CITIZEN)) == 1  # unconfirmed: nothing but the link
    assert client.get(link_in(body(link_mail))).status_code == 200
    opd_sets(client, code, "resolved", STAFF_NOTE)
    send_outbox(client)
    _, update = smtp.wait_for(CITIZEN, 2)
    text = body(update)
    assert code in text and "Selesai" in text and STAFF_NOTE in text
    assert "Tim sedang menuju lokasi" not in text


def test_one_contact_gets_at_most_the_configured_links_a_day_others_are_served(
    client: TestClient, smtp: MailCatcher
) -> None:
    texts = [
        POTHOLE,
        "Lampu penerangan jalan mati di Jl. Mawar sejak seminggu",
        "Sampah menumpuk di pinggir Jl. Melati tidak diangkut",
    ]
    pages = [report(client, CITIZEN, text)[0] for text in texts]
    assert all('id="private-link"' in page for page in pages)  # the link is always shown
    assert "Tautan ini juga kami kirim" in pages[1]
    assert "sudah menerima cukup banyak pesan hari ini" in pages[2]
    other_page, _ = report(client, "budi@example.id", texts[2])
    assert "Tautan ini juga kami kirim" in other_page
    send_outbox(client)
    assert len(smtp.wait_for("budi@example.id", 1)) == 1
    assert len(smtp.to(CITIZEN)) == 2


def test_a_phone_gets_the_link_by_sms(client: TestClient, twilio: TwilioStandIn) -> None:
    _, code = report(client, "0812-3456-7890")  # as Indonesians write it: sent to +62…
    send_outbox(client)
    (sms,) = [s for s in twilio.wait_for(1) if s.get("To") == PHONE]
    text = sms.get("Body") or ""
    assert code in text and "Merdeka" not in text
    assert "Kontak Anda terkonfirmasi" in client.get(link_in(text)).text


def test_without_a_channel_for_the_contact_the_page_says_so(
    tmp_path: Path, database_url: str
) -> None:
    path = write_config(tmp_path / "config.yaml")  # no e-mail channel, no public URL
    runtime = build_runtime(path, database_url, migrate=True)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters), base_url="http://127.0.0.1") as plain:
        page, _ = report(plain, CITIZEN)
    runtime.engine.dispose()
    assert "Tautan ini tidak dapat kami kirim ke kontak Anda" in page
    assert 'id="private-link"' in page


def test_an_open311_request_with_an_email_sends_the_link_there(
    client: TestClient, smtp: MailCatcher
) -> None:
    key = create_key(runtime_of(client).engine, "aplikasi-kota")
    answer = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "jalan_rusak",
            "lat": "-6.9147",
            "long": "107.6098",
            "description": POTHOLE,
            "email": CITIZEN,
        },
    )
    assert answer.status_code == 201, answer.text
    code = answer.json()[0]["service_request_id"]
    send_outbox(client)
    (mail,) = smtp.wait_for(CITIZEN, 1)
    assert code in body(mail) and "Merdeka" not in body(mail)
    assert urlsplit(PUBLIC_URL + link_in(body(mail))).path == f"/lacak/{code}"


def test_logs_show_the_contact_masked(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        report(client, CITIZEN)
        send_outbox(client)
    ours = "\n".join(  # not the test's own SMTP server's log
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.")
    )
    assert "si***@example.id" in ours
    assert CITIZEN not in ours


def test_one_phone_written_three_ways_is_one_contact(
    client: TestClient, twilio: TwilioStandIn
) -> None:
    """Kept in E.164 at intake: the daily limit cannot be dodged by rewriting the number, and
    every link goes to the one number."""
    texts = [f"{POTHOLE} di Jalan Mawar no. {n}" for n in (3, 9, 14)]
    first, _ = report(client, "0812-3456-7890", texts[0])
    second, _ = report(client, "+62 812 3456 7890", texts[1])
    third, _ = report(client, "62 812-3456-7890", texts[2])
    assert "Tautan ini juga kami kirim" in first and "Tautan ini juga kami kirim" in second
    assert "sudah menerima cukup banyak pesan hari ini" in third
    send_outbox(client)
    assert [s.get("To") for s in twilio.wait_for(2)] == [PHONE, PHONE]


def test_an_open311_phone_is_kept_in_e164_and_a_bad_one_is_refused(
    client: TestClient, twilio: TwilioStandIn
) -> None:
    key = create_key(runtime_of(client).engine, "aplikasi-kota")
    fields = {"api_key": key, "service_code": "jalan_rusak", "lat": "-6.9147", "long": "107.6098"}
    bad = client.post(
        "/open311/v2/requests.json", data={**fields, "description": POTHOLE, "phone": "1234567"}
    )
    assert bad.status_code == 400 and "phone" in bad.text
    good = client.post(
        "/open311/v2/requests.json",
        data={**fields, "description": POTHOLE, "phone": "(0812) 3456-7890"},
    )
    assert good.status_code == 201, good.text
    send_outbox(client)
    (sms,) = [s for s in twilio.wait_for(1) if s.get("To") == PHONE]
    assert good.json()[0]["service_request_id"] in (sms.get("Body") or "")
