"""`media.store: s3`: citizens' photos kept in an S3-compatible bucket, served by Aduan's links.

The bucket is moto's S3 server on loopback, spoken to over HTTP by the same boto3 code that
talks to Amazon S3 or MinIO (only `endpoint_url` differs). A Telegram photo goes through a
running `aduan serve` (long polling against the Bot API stand-in), the OPD's webhook stand-in
receives the complaint, and the test downloads the link and reads the bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import yaml
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from aduan.cli.main import app
from tests.channels.standins.base import wait_until
from tests.channels.standins.deployment import COMPLAINT, channel_config, rows
from tests.channels.telegram import updates
from tests.channels.telegram.bot_api import TOKEN, BotApi
from tests.support import deployment
from tests.support.deployment import Server, aduan_env
from tests.support.http_recorder import Recorder

CITIZEN = 1234567890
KEYS = {"ADUAN_S3_ACCESS_KEY_ID": "aduan-test-key", "ADUAN_S3_SECRET_ACCESS_KEY": "aduan-secret"}
PREFIX = "pemkab/media/"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    port = deployment.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def bucket_client(s3_url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id=KEYS["ADUAN_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["ADUAN_S3_SECRET_ACCESS_KEY"],
    )


def s3_config(tmp_path: Path, opd_webhook: str, api: BotApi, s3_url: str, bucket: str) -> Path:
    """The shipped config with Telegram on, OPDs on `opd_webhook`, media in `bucket`."""
    telegram = {
        "enabled": True,
        "api_base_url": api.api_base_url,
        "file_base_url": api.file_base_url,
        "poll_timeout_seconds": 1,
    }
    # Retries every 2 s at most, for long enough that a loaded machine still sees one succeed.
    path = channel_config(
        tmp_path,
        {"telegram": telegram},
        opd_webhook,
        backoff_base_seconds=0.3,
        backoff_max_seconds=2,
        max_attempts=40,
    )
    data = yaml.safe_load(path.read_text())
    data["media"].update(
        store="s3",
        folder=str(tmp_path / "media"),
        hold_dispatch_seconds=2,
        s3={"bucket": bucket, "endpoint_url": s3_url, "prefix": PREFIX, "addressing_style": "path"},
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


@pytest.fixture
def api() -> Iterator[BotApi]:
    standin = BotApi()
    yield standin
    standin.close()


def serve(config: Path, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    port = deployment.free_port()
    monkeypatch.setattr(deployment, "free_port", lambda: port)  # Server takes this port
    text = config.read_text().replace("public_url: null", f"public_url: http://127.0.0.1:{port}")
    config.write_text(text)
    env = aduan_env(sqlite_url, TELEGRAM_BOT_TOKEN=TOKEN, ADUAN_MEDIA_SECRET="s", **KEYS)
    return Server(config, env, tmp_path)


def test_a_photo_is_kept_in_the_bucket_and_the_opds_link_serves_it(
    tmp_path: Path,
    sqlite_url: str,
    api: BotApi,
    opd_system: Recorder,
    s3_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket_client(s3_url).create_bucket(Bucket="aduan-photos")
    config = s3_config(tmp_path, opd_system.url, api, s3_url, "aduan-photos")
    server = serve(config, sqlite_url, tmp_path, monkeypatch)
    try:
        assert "media store      s3 bucket 'aduan-photos' under pemkab/media/" in server.output()
        report = api.push(updates.photo(api, CITIZEN, caption=COMPLAINT))
        photo = api.file(report["message"]["photo"][-1]["file_id"])

        (received,) = opd_system.wait_for(1, timeout=40)
        (attachment,) = received.json()["attachments"]
        link = attachment["url"]
        assert link.startswith(f"{server.url}/media/") and s3_url not in link
        download = httpx.get(link)
        assert download.status_code == 200, download.text
        assert download.content == photo and download.headers["content-type"] == "image/jpeg"

        listed = bucket_client(s3_url).list_objects_v2(Bucket="aduan-photos")["Contents"]
        (key,) = [item["Key"] for item in listed]
        assert key.startswith(PREFIX) and key.endswith(".jpg")
        kept = bucket_client(s3_url).get_object(Bucket="aduan-photos", Key=key)
        assert kept["Body"].read() == photo  # byte for byte
        assert kept["ContentType"] == "image/jpeg"
        # Nothing on the local disk: the photo is in the bucket, the link key in the environment.
        assert not any(p.is_file() for p in (tmp_path / "media").glob("**/*"))
        # Gone from the bucket (a lifecycle rule, an operator): the link says so, no 500.
        bucket_client(s3_url).delete_object(Bucket="aduan-photos", Key=key)
        assert httpx.get(link).status_code == 404
    finally:
        server.stop()


def test_a_missing_bucket_retries_the_photo_and_never_holds_the_complaint(
    tmp_path: Path,
    sqlite_url: str,
    api: BotApi,
    opd_system: Recorder,
    s3_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = s3_config(tmp_path, opd_system.url, api, s3_url, "aduan-later")
    server = serve(config, sqlite_url, tmp_path, monkeypatch)
    try:
        assert "not usable now (media.store s3: bucket 'aduan-later'" in server.output()
        report = api.push(updates.photo(api, CITIZEN, caption=COMPLAINT))
        photo = api.file(report["message"]["photo"][-1]["file_id"])

        # The citizen has a code and the OPD the complaint, though the photo is not kept yet.
        wait_until(lambda: any("ADU-" in str(c.params.get("text")) for c in api.sent(CITIZEN)),
                   timeout=30, what="the acknowledgement")  # fmt: skip
        (received,) = opd_system.wait_for(1, timeout=30)
        document = received.json()
        assert document["code"] and document["attachments"][0]["url"].startswith(server.url)
        early = httpx.get(document["attachments"][0]["url"])
        assert early.status_code == 503 and early.headers["retry-after"]

        def failed() -> dict[str, Any] | None:
            (item,) = rows(sqlite_url, "SELECT * FROM outboxitem WHERE kind = 'media'")
            return item if item["attempts"] >= 1 and item["last_error"] else None

        item = wait_until(failed, timeout=30, what="a failed attempt to keep the photo")
        assert "NoSuchBucket" in item["last_error"] and item["status"] == "pending"

        bucket_client(s3_url).create_bucket(Bucket="aduan-later")  # the operator fixes it
        wait_until(
            lambda: (
                rows(sqlite_url, "SELECT status FROM outboxitem WHERE kind = 'media'")
                == [{"status": "sent"}]
            ),
            timeout=60,
            what="the photo kept on a later attempt",
        )
        served = httpx.get(document["attachments"][0]["url"])
        assert served.status_code == 200 and served.content == photo
        (listed,) = bucket_client(s3_url).list_objects_v2(Bucket="aduan-later")["Contents"]
        stored = bucket_client(s3_url).get_object(Bucket="aduan-later", Key=listed["Key"])
        assert stored["Body"].read() == photo
    finally:
        server.stop()


def run_check(tmp_path: Path, media: dict[str, Any], env: dict[str, str]) -> Any:
    """`aduan config check` on the shipped config with this `media:` section."""
    path = deployment.write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["media"].update(media)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    unset = dict.fromkeys(KEYS)  # only what `env` gives
    return CliRunner().invoke(app, ["config", "check", str(path)], env={**unset, **env})


def test_config_check_reports_a_bad_store_clearly(tmp_path: Path, s3_url: str) -> None:
    bucket_client(s3_url).create_bucket(Bucket="aduan-checked")
    good = {"bucket": "aduan-checked", "endpoint_url": s3_url, "addressing_style": "path"}
    ok = run_check(tmp_path, {"store": "s3", "s3": good}, KEYS)
    assert ok.exit_code == 0, ok.output
    assert f"media kept in s3 bucket 'aduan-checked' at {s3_url}" in ok.output

    no_keys = run_check(tmp_path, {"store": "s3", "s3": good}, {})
    assert no_keys.exit_code == 2
    assert "set ADUAN_S3_ACCESS_KEY_ID and ADUAN_S3_SECRET_ACCESS_KEY" in no_keys.output

    missing = run_check(tmp_path, {"store": "s3", "s3": {**good, "bucket": "nope-bucket"}}, KEYS)
    assert missing.exit_code == 2
    assert f"bucket 'nope-bucket' at {s3_url} answered NoSuchBucket" in missing.output

    closed = f"http://127.0.0.1:{deployment.free_port()}"
    down = run_check(tmp_path, {"store": "s3", "s3": {**good, "endpoint_url": closed}}, KEYS)
    assert down.exit_code == 2 and "EndpointConnectionError" in down.output, down.output

    no_section = run_check(tmp_path, {"store": "s3"}, KEYS)
    assert no_section.exit_code == 2 and "media: Value error, store s3 needs an s3 section" in (
        no_section.output
    )
    typo = run_check(tmp_path, {"store": "s3", "s3": {**good, "bukket": "x"}}, KEYS)
    assert typo.exit_code == 2 and "media.s3.bukket: Extra inputs are not permitted" in typo.output
