"""What the command line prints for a new admin: headers, local times, rounded numbers, and why
outbox items wait."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aduan.cli.main import app
from aduan.runtime import Runtime, build_runtime
from channels.message import InboundMessage
from tests.support.deployment import write_config

LONG_ROAD = (
    "Jalan berlubang besar sekali di Jl. Merdeka km 3 depan pasar kecamatan, motor sering jatuh "
    "setiap malam"
)


@pytest.fixture
def runtime(tmp_path: Path, database_url: str) -> Runtime:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)
    yield runtime  # type: ignore[misc]
    runtime.engine.dispose()


def say(runtime: Runtime, sender: str, text: str, channel: str = "web") -> str:
    outcome = runtime.pipeline.handle(
        InboundMessage(channel=channel, external_id=f"{sender}-{text[:20]}", sender=sender,
                       text=text)
    )  # fmt: skip
    assert outcome.complaint_code, outcome
    return outcome.complaint_code


def aduan(runtime: Runtime, tmp_path: Path, *args: str, **env: str) -> str:
    result = CliRunner().invoke(
        app,
        [*args, "--config", str(tmp_path / "config.yaml")],
        env={"ADUAN_DATABASE_URL": runtime.engine.url.render_as_string(False), **env},
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_complaints_list_has_a_header_local_times_and_whole_words(
    runtime: Runtime, tmp_path: Path
) -> None:
    code = say(runtime, "web:warga-1", LONG_ROAD)
    header, row, *rest = aduan(runtime, tmp_path, "complaints", "list").splitlines()
    assert header.split() == ["CODE", "STATUS", "OPD", "CATEGORY", "FILED", "TEXT"]
    assert not rest
    assert row.split()[:4] == [code, "routed", "DPUPR", "jalan_rusak"]
    assert re.search(r" \d\d-\d\d-\d{4} \d\d:\d\d WIB ", row), row  # as citizens are told
    shown = row.split(" WIB ")[1].strip()
    assert shown.endswith("…") and LONG_ROAD.startswith(shown[:-1])
    assert LONG_ROAD[len(shown) - 1] == " "  # cut between words

    details = aduan(runtime, tmp_path, "complaints", "show", code)
    confidence = re.search(r"confidence: (\S+)", details).group(1)  # type: ignore[union-attr]
    assert re.fullmatch(r"\d\.\d\d", confidence), confidence
    assert re.search(r"filed: \d\d-\d\d-\d{4} \d\d:\d\d WIB", details)
    assert "UTC" not in details and "+00:00" not in details


def test_outbox_list_says_why_each_item_waits(runtime: Runtime, tmp_path: Path) -> None:
    code = say(runtime, "web:warga-2", "Jalan berlubang besar di Jl. Merdeka km 3")
    say(runtime, "console:siti", "Sampah menumpuk di TPS pasar baru sudah seminggu", "console")
    listed = aduan(runtime, tmp_path, "outbox", "list").splitlines()
    (email,) = [line for line in listed if f"dispatch:{code}" in line]
    assert "waits: ADUAN_SMTP_HOST is not set (no SMTP server for OPD email)" in email
    (chat,) = [line for line in listed if " console " in line]
    assert chat.endswith("waits for `aduan chat --user siti`")
    assert re.search(r"next=\d\d-\d\d-\d{4} \d\d:\d\d WIB", email)

    with_smtp = aduan(runtime, tmp_path, "outbox", "list", ADUAN_SMTP_HOST="127.0.0.1")
    (email,) = [line for line in with_smtp.splitlines() if f"dispatch:{code}" in line]
    assert "ADUAN_SMTP_HOST" not in email and "due: sent at the next pass" in email
