"""Masked logs by construction: what `aduan serve` writes names no number and no secret.

Each case runs a real server against a provider stand-in and reads its whole log output.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import httpx

from aduan.logs import mask_every_handler
from channels import masking
from channels.meta_whatsapp.adapter import MetaWhatsAppAdapter
from tests.channels.standins import graph_api
from tests.channels.standins.base import wait_until
from tests.channels.standins.deployment import COMPLAINT, channel_config, rows
from tests.channels.standins.graph_api import GraphStandIn
from tests.channels.standins.twilio_api import TwilioStandIn, inbound_sms
from tests.support.deployment import Server, aduan_env
from tests.support.http_recorder import Recorder

CITIZEN = "+6281234567890"
PUBLIC_URL = "https://aduan.example.go.id"


def test_a_twilio_error_naming_the_number_is_logged_masked(
    tmp_path: Path, sqlite_url: str, opd_system: Recorder
) -> None:
    twilio = TwilioStandIn()
    section = {"enabled": True, "from_number": "+62215550100", "public_url": PUBLIC_URL}
    config = channel_config(
        tmp_path, {"twilio_sms": {**section, "api_base_url": twilio.url}}, opd_system.url
    )
    env = aduan_env(
        sqlite_url, TWILIO_ACCOUNT_SID=twilio.account_sid, TWILIO_AUTH_TOKEN=twilio.auth_token
    )
    twilio.refuse(CITIZEN, 400, 21211, f"Invalid 'To' Phone Number: {CITIZEN}")
    server = Server(config, env, tmp_path)
    twilio.proxy[PUBLIC_URL] = server.url
    try:
        twilio.post_webhook(
            f"{PUBLIC_URL}/channels/twilio_sms/inbound", inbound_sms(CITIZEN, COMPLAINT)
        )
        dead = wait_until(
            lambda: rows(sqlite_url, "SELECT last_error FROM outboxitem WHERE status='dead'"),
            what="the refused acknowledgement as a dead letter",
        )
        # Twilio's text names the number; the dead letter keeps it masked, like the log.
        assert "Invalid 'To' Phone Number: +628*******890" in dead[0]["last_error"]
        assert "81234567890" not in dead[0]["last_error"]
    finally:
        server.stop()
        twilio.close()
    log = server.output()
    assert "Invalid 'To' Phone Number: +628*******890" in log  # logged, masked
    assert "81234567890" not in log
    assert twilio.auth_token not in log


def test_the_meta_handshake_access_line_shows_no_verify_token(
    tmp_path: Path, sqlite_url: str, opd_system: Recorder
) -> None:
    graph = GraphStandIn()
    section = {
        "enabled": True,
        "phone_number_id": graph_api.PHONE_NUMBER_ID,
        "graph_url": graph.url,
        "api_version": graph_api.VERSION,
    }
    config = channel_config(tmp_path, {"meta_whatsapp": section}, opd_system.url)
    secrets = {
        "access_token": graph_api.ACCESS_TOKEN,
        "app_secret": graph_api.APP_SECRET,
        "verify_token": graph_api.VERIFY_TOKEN,
    }
    env = aduan_env(sqlite_url, **{MetaWhatsAppAdapter.secrets[k]: v for k, v in secrets.items()})
    server = Server(config, env, tmp_path)
    try:
        answer = httpx.get(
            f"{server.url}/channels/meta_whatsapp/webhook",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": graph_api.VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            },
        )
        assert (answer.status_code, answer.text) == (200, "1158201444")
        wait_until(lambda: "hub.mode=subscribe" in server.output(), what="the access log line")
    finally:
        server.stop()
        graph.close()
    log = server.output()
    assert "hub.verify_token=***&hub.challenge=1158201444" in log
    assert graph_api.VERIFY_TOKEN not in log


def test_every_handler_masks_secrets_addresses_and_tracebacks() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.masked")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        mask_every_handler()
        logger.warning(
            "to %s: Authorization: Bearer %s", "mailto:siti.warga@example.id", "s3cr3t-tok"
        )
        logger.warning(
            "GET https://api.telegram.org/bot7012345678:AAHtestTOKENforTheStandInBotApi_123/getMe"
        )
        try:
            raise RuntimeError(f"provider said: {CITIZEN} unreachable, access_token=EAAGm0PX4ZCps")
        except RuntimeError:
            logger.exception("send failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "WARNING to mailto:si***@example.id: Authorization: Bearer ***" in out
    assert "bot<telegram-bot-token>/getMe" in out
    assert "RuntimeError: provider said: +628*******890 unreachable, access_token=***" in out
    for secret in ("siti.warga", "s3cr3t-tok", "AAHtestTOKEN", "81234567890", "EAAGm0PX4ZCps"):
        assert secret not in out


def test_warnings_of_commands_without_logging_set_up_are_masked_too() -> None:
    """Every CLI command masks: the last-resort handler prints warnings masked."""
    assert logging.lastResort is not None
    record = logging.LogRecord(
        "aduan.cli", logging.WARNING, __file__, 1, "cannot reach %s", (CITIZEN,), None
    )
    mask_every_handler()
    assert logging.lastResort.format(record) == "cannot reach +628*******890"


def _every_pattern(text: str) -> str:
    """`mask_text` as it was before its shortcuts: every pattern over every line."""
    text = masking._SECRET_PARAM.sub(r"\1***", text)
    text = masking._SECRET_FIELD.sub(r"\1***", text)
    text = masking._AUTHORIZATION.sub(r"\1\2***", text)
    text = masking._TELEGRAM_TOKEN.sub("<telegram-bot-token>", text)
    text = masking._EMAIL.sub(lambda found: masking.mask_address(found.group(0)), text)
    return masking._PHONE.sub(lambda found: masking.mask_address(found.group(0)), text)


def test_the_quick_masking_path_hides_what_every_pattern_hides() -> None:
    lines = [
        "INFO aduan.complaints.receive message web/k-1 from web:anon-k-1",
        'GET /webhook?hub.verify_token=abc123&hub.challenge=9 HTTP/1.1" 200',
        'POST body {"Access_Token": "EAAG1234", "PassWord": "hunter2", "X-SIG=abc"}',
        "Authorization: BEARER abcdefghijk from warga.kota@example.go.id",
        "bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw4 failed for +6281234567890",
        "ſecret=abc KEY=zzz ṫoken=1 sıg=2 APIKEY=3",  # non-ASCII: the patterns decide alone
        "api_key=s3cr3t&signature=deadbeef; secret_value: 'x'",
        "nothing to hide here: 12:30 ADU-7K3Q9 routed to DPUPR",
        '"GET /lacak/ADU-7K3Q9?secret=Qqipf9Jg_xZk&konfirmasi=abcDEF1234 HTTP/1.1" 200',
    ]
    for line in lines:
        assert masking.mask_text(line) == _every_pattern(line), line
    assert "hunter2" not in masking.mask_text(lines[2])
    tracking = masking.mask_text(lines[-1])  # uvicorn's access line of a tracking link
    assert "Qqipf9Jg" not in tracking and "abcDEF1234" not in tracking
