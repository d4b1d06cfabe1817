"""`aduan rules suggest --from-history`: staff corrections become keyword changes an admin
accepts with `aduan rules import`, and the next such complaint goes where staff sent the last.

The corrections are made as staff make them: triage decisions in the console, `/alihkan` by an
OPD's staff and `/kategori` by an admin in their chat.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aduan.api.app import create_app
from aduan.cli.main import app
from aduan.runtime import Runtime, build_runtime
from channels.message import InboundMessage
from storage.complaints import complaint_by_code
from storage.engine import transaction
from tests.console.kit import add_accounts, csrf, sign_in, web_adapters
from tests.support.deployment import write_config

FRESH = Path(__file__).parents[1] / "classifier" / "data" / "fresh_chat.jsonl"
STAFF = [
    {"name": "Admin Kominfo", "role": "admin", "addresses": ["telegram:900"]},
    {"name": "Budi", "opd": "DPUPR", "addresses": ["telegram:901"]},
]
CABLES = [  # the rules know no such thing: they wait for review; triaged in the console
    "Kabel fiber optik menjuntai rendah di gang Melati",
    "Kabel internet menjuntai ke badan jalan, bahaya buat pemotor",
    "Kabel provider menjuntai melintang jalan kampung",
]
NAILS = [  # routed to roads (DPUPR), moved by DPUPR's staff to SATPOLPP with /alihkan
    "Ada yang sengaja menebar paku di jalan dekat tambal ban",
    "Paku bertebaran di jalan, tukang tambal ban dekat situ laris",
    "Jalan tanjakan penuh paku, diduga ulah penambal ban nakal",
]
MONKEYS = [  # waiting for review; the admin gives them a category with /kategori
    "Monyet liar masuk rumah warga mencuri makanan",
    "Kawanan monyet liar merusak kebun dan genteng warga",
    "Monyet liar menyerang anak kecil di kampung",
]


def file(runtime: Runtime, n: int, text: str) -> tuple[str, str, str]:
    """A citizen's web report: its code, category and status (linked to the same problem
    reported before, it shares its category)."""
    outcome = runtime.pipeline.handle(
        InboundMessage(channel="web", external_id=f"m{n}", sender=f"web:warga-{n}", text=text)
    )
    assert outcome.kind in ("complaint", "linked") and outcome.complaint_code, outcome
    with transaction(runtime.engine) as session:
        complaint = complaint_by_code(session, outcome.complaint_code)
        assert complaint is not None
        return complaint.code, complaint.category, complaint.status


def staff_says(runtime: Runtime, sender: str, n: int, text: str) -> None:
    outcome = runtime.pipeline.handle(
        InboundMessage(channel="telegram", external_id=f"s{n}", sender=sender, text=text)
    )
    assert outcome.kind == "staff", outcome


def test_corrections_become_rules_that_route_the_next_complaint(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")
    config = write_config(tmp_path / "config.yaml", staff=STAFF)
    runtime = build_runtime(config, database_url, migrate=True)
    add_accounts(runtime)
    console = TestClient(create_app(runtime, web_adapters(runtime)), base_url="http://127.0.0.1")
    sign_in(console, "admin")

    for n, text in enumerate(CABLES):
        code, _, status = file(runtime, n, text)
        assert status == "needs_review"
        answer = console.post(
            f"/console/triage/{code}/route",
            data={"category": "lalu_lintas", "csrf_token": csrf(console)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
    for n, text in enumerate(NAILS, start=10):
        code, category, status = file(runtime, n, text)
        assert (category, status) == ("jalan_rusak", "routed")
        staff_says(runtime, "telegram:901", n, f"/alihkan {code} SATPOLPP paku, bukan jalan rusak")
    for n, text in enumerate(MONKEYS, start=20):
        code, _, status = file(runtime, n, text)
        assert status == "needs_review"
        staff_says(runtime, "telegram:900", n, f"/kategori {code} kebakaran")
    # A complaint routed right and resolved is no correction: it is kept right.
    garbage, *_ = file(runtime, 30, "Sampah menumpuk di TPS pasar sudah seminggu tidak diangkut")
    console.cookies.clear()
    sign_in(console, "sari")  # DLH
    resolved = console.post(
        f"/console/complaints/{garbage}/resolve",
        data={"note": "Sudah diangkut", "csrf_token": csrf(console)},
        follow_redirects=False,
    )
    assert resolved.status_code == 303, resolved.text

    runner, env = CliRunner(), {"ADUAN_DATABASE_URL": database_url}
    draft = tmp_path / "draft.yaml"
    suggested = runner.invoke(
        app,
        ["rules", "suggest", "--from-history", "--config", str(config), "--out", str(draft),
         "--check", str(FRESH)],
        env=env,
    )  # fmt: skip
    output = suggested.output
    assert suggested.exit_code == 0, output
    assert "Staff corrections: 9 labelled complaints" in output
    assert "Resolved without a correction: 1 (kept right)" in output
    assert re.search(r"resolved +accuracy +100\.0% +100\.0%", output)
    before, after = map(
        float, re.search(r"corrections  accuracy +([\d.]+)% +([\d.]+)%", output).groups()
    )  # type: ignore[union-attr]
    assert before == 0.0 and after == 100.0
    fresh = re.search(r"fresh_chat.j accuracy +([\d.]+)% +([\d.]+)%", output)
    assert fresh is not None and float(fresh.group(2)) >= float(fresh.group(1))
    changes = yaml.safe_load(draft.read_text())["categories"]
    assert set(changes) <= {"lalu_lintas", "ketertiban", "kebakaran", "jalan_rusak"}
    assert {"lalu_lintas", "ketertiban", "kebakaran"} <= set(changes)

    # Nothing changes before the admin accepts the draft.
    assert file(runtime, 40, "Kabel menjuntai sampai ke jalan raya, hampir kena pengendara")[1] != (
        "lalu_lintas"
    )
    imported = runner.invoke(
        app, ["rules", "import", str(draft), "--config", str(config), "--author", "ani"], env=env
    )
    assert imported.exit_code == 0, imported.output
    assert file(runtime, 41, "Kabel telepon menjuntai rendah di gang sebelah, bahaya")[1:] == (
        "lalu_lintas",
        "routed",
    )
    assert file(runtime, 42, "Orang menebar paku di jalan raya, banyak ban motor bocor")[1:] == (
        "ketertiban",
        "routed",
    )
    assert file(runtime, 43, "Monyet liar berkeliaran di atap rumah, warga takut")[1:] == (
        "kebakaran",
        "routed",
    )
    runtime.engine.dispose()


def test_no_corrections_no_draft(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.yaml")
    build_runtime(config, sqlite_url, migrate=True).engine.dispose()
    result = CliRunner().invoke(
        app,
        ["rules", "suggest", "--from-history", "--config", str(config),
         "--out", str(tmp_path / "draft.yaml"), "--since", "2026-01-01"],
        env={"ADUAN_DATABASE_URL": sqlite_url},
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Staff corrections since 2026-01-01: 0 labelled complaints" in result.output
    assert not (tmp_path / "draft.yaml").exists()
    bad = CliRunner().invoke(
        app,
        ["rules", "suggest", "--from-history", "--config", str(config), "--since", "kemarin"],
        env={"ADUAN_DATABASE_URL": sqlite_url},
    )
    assert bad.exit_code == 2 and "is not a day like 2026-11-01" in bad.output


def test_a_draft_removes_keywords_it_lists(cli, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .conftest import versions

    draft = tmp_path / "draft.yaml"
    draft.write_text("categories:\n  jalan_rusak:\n    remove_keywords: [tambal]\n")
    assert cli("import", str(draft)).exit_code == 0
    newest = versions(engine)[0]
    assert "tambal" not in newest.ruleset.categories["jalan_rusak"].keywords
    assert "jalan berlubang" in newest.ruleset.categories["jalan_rusak"].keywords
    draft.write_text("categories:\n  jalan_rusak:\n    remove_keywords: tambal\n")
    refused = cli("import", str(draft))
    assert refused.exit_code == 1 and "remove_keywords: must be a list" in refused.output
    assert len(versions(engine)) == 2  # nothing was changed
