"""The rules editor: edits validated as `aduan rules` does, new versions, diff, revert."""

from __future__ import annotations

from pathlib import Path

from aduan.rules.store import history, newest_version
from tests.console.kit import console_client, csrf, sign_in


def _form(client, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/console/rules/categories/{code}")
    assert page.status_code == 200
    return {"csrf_token": csrf(client)}


def test_only_admins_edit_rules(tmp_path: Path, sqlite_url: str) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    sign_in(client, "budi")
    assert client.get("/console/rules").status_code == 403
    answer = client.post(
        "/console/rules/try", data={"csrf_token": csrf(client), "text": "jalan rusak"}
    )
    assert answer.status_code == 403
    before = newest_version(runtime.engine)
    answer = client.post(
        "/console/rules/categories/sampah",
        data={"csrf_token": csrf(client), "opd": "DLH", "sla_hours": "1", "name_id": "x"},
    )
    assert answer.status_code == 403
    assert newest_version(runtime.engine) == before


def test_edit_refused_by_its_field_then_saved_then_reverted(
    tmp_path: Path, sqlite_url: str
) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    sign_in(client, "admin")
    first = newest_version(runtime.engine)
    assert first is not None
    rule = first.ruleset.categories["jalan_rusak"]
    keywords = "\n".join(f"{t} = {w:g}" for t, w in rule.keywords.items())
    form = {
        "csrf_token": csrf(client),
        "opd": rule.opd,
        "sla_hours": str(rule.sla_hours),
        "keywords": keywords,
        "negative": "\n".join(rule.negative),
        "name_id": rule.name["id"],
        "name_en": rule.name["en"],
    }
    cases = [
        ({"keywords": keywords + "\nkubangan = -2"}, "keywords-error", "bobot"),
        ({"keywords": keywords + "\nkubangan = banyak"}, "keywords-error", "banyak"),
        ({"sla_hours": "0"}, "sla_hours-error", "SLA"),
        ({"opd": "DINAS_FIKTIF"}, "opd-error", "DINAS_FIKTIF"),
        ({"name_en": " "}, "name_en-error", "en"),
        ({}, "form-error", "tidak ada yang berubah"),
    ]
    for change, where, words in cases:
        answer = client.post("/console/rules/categories/jalan_rusak", data={**form, **change})
        assert answer.status_code == 400, change
        assert f'id="{where}"' in answer.text and words in answer.text, (change, answer.text)
    assert newest_version(runtime.engine) == first  # nothing saved

    saved = client.post(
        "/console/rules/categories/jalan_rusak",
        data={**form, "keywords": keywords + "\nkubangan = 3"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    second = newest_version(runtime.engine)
    assert second is not None and second.id > first.id
    assert second.ruleset.categories["jalan_rusak"].keywords["kubangan"] == 3.0
    assert second.author == "staff:Admin Kominfo <console:admin>"

    diff = client.get(f"/console/rules/diff?a={first.id}&b={second.id}")
    assert "+      kubangan: 3" in diff.text and "jalan_rusak: +&#39;kubangan&#39; (3)" in diff.text

    tried = client.post("/console/rules/try", data={"csrf_token": csrf(client), "text": "kubangan"})
    assert tried.status_code == 200
    assert "jalan_rusak" in tried.text and "DPUPR" in tried.text

    reverted = client.post(
        f"/console/rules/versions/{first.id}/revert",
        data={"csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert reverted.status_code == 303
    third = newest_version(runtime.engine)
    assert third is not None and third.id > second.id
    assert third.ruleset == first.ruleset
    assert [v.id for v in history(runtime.engine)][:3] == [third.id, second.id, first.id]
    again = client.post(
        f"/console/rules/versions/{first.id}/revert", data={"csrf_token": csrf(client)}
    )
    assert again.status_code == 400 and 'id="history-error"' in again.text


def test_a_new_category_is_validated(tmp_path: Path, sqlite_url: str) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    sign_in(client, "admin")
    base = {"csrf_token": csrf(client), "opd": "DLH", "name_id": "Satwa", "name_en": "Animals"}
    bad = client.post("/console/rules/categories", data={**base, "code": "Satwa Liar"})
    assert bad.status_code == 400 and 'id="new-code-error"' in bad.text
    taken = client.post("/console/rules/categories", data={**base, "code": "sampah"})
    assert taken.status_code == 400 and "sudah ada" in taken.text
    made = client.post(
        "/console/rules/categories", data={**base, "code": "satwa"}, follow_redirects=False
    )
    assert made.status_code == 303
    version = newest_version(runtime.engine)
    assert version is not None and version.ruleset.categories["satwa"].opd == "DLH"
