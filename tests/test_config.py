"""A bad config.yaml stops start-up with a message that names the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from aduan.config import ConfigError, load_config
from tests.support.deployment import SHIPPED_CONFIG, aduan_env, run_cli

SHIPPED = SHIPPED_CONFIG.read_text()


def test_shipped_config_carries_the_whole_default_taxonomy() -> None:
    config = load_config(SHIPPED_CONFIG)
    taxonomy = (SHIPPED_CONFIG.parent.parent / "shared/spec/taxonomy.md").read_text()
    rows = [line.split("|") for line in taxonomy.splitlines() if line.startswith("| ")][1:]
    expected = {r[1].strip(): r[3].strip() for r in rows if r[1].strip() and "---" not in r[1]}
    assert len(expected) == 19
    assert {code: c.opd for code, c in config.categories.items()} == expected
    for code, category in config.categories.items():
        assert category.sla_hours > 0 and set(category.name) == {"id", "en"}
        if code != "lainnya":
            assert len(category.keywords) >= 5, code
    assert set(config.templates) == {"id", "en"}


BROKEN = [
    (
        "unknown key",
        SHIPPED.replace("  max_attempts: 8", "  max_attempts: 8\n  max_atempts: 9"),
        "dispatch.max_atempts: Extra inputs are not permitted",
    ),
    (
        "category pointing at an unknown OPD",
        SHIPPED.replace(
            "    opd: DLH\n    name: {id: Sampah", "    opd: DLHX\n    name: {id: Sampah"
        ),
        "categories.sampah.opd: unknown OPD 'DLHX'",
    ),
    (
        "missing template",
        SHIPPED.replace('    staff_message: "{code} - message from {opd}: {text}"\n', ""),
        "templates.en.staff_message: Field required",
    ),
    (
        "missing citizen text (no built-in fallback)",
        SHIPPED.replace(
            "    media_refused: >-\n      Sorry, we could not",
            "    media_refusedx: >-\n      Sorry, we could not",
        ),
        "templates.en.media_refused: Field required",
    ),
    (
        "unknown placeholder in a citizen text",
        SHIPPED.replace(
            "tidak ada pilihan nomor {number}".capitalize(), "Tidak ada pilihan nomor {nomor}"
        ),
        "templates.id: Value error, bare_number: unknown placeholder(s) nomor",
    ),
    (
        "unknown placeholder",
        SHIPPED.replace("Kode: {code}. Kategori", "Kode: {kode}. Kategori"),
        "templates.id: Value error, ack: unknown placeholder(s) kode",
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_bad_config_is_refused_with_file_line_and_field(
    case: str, text: str, expected: str, tmp_path: Path, sqlite_url: str
) -> None:
    assert text != SHIPPED, "the test's edit did not apply"
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert expected in message
    assert f"{path}:" in message.splitlines()[1]  # file:line: field

    env = aduan_env(sqlite_url)
    checked = run_cli(["config", "check", str(path)], env, tmp_path)
    served = run_cli(["serve", "--config", str(path), "--port", "1"], env, tmp_path)
    for result in (checked, served):
        assert result.returncode == 2
        assert expected in result.stderr
    assert not (tmp_path / "aduan.db").exists() or "Listening" not in served.stdout


def test_unknown_keys_are_reported_at_their_line(tmp_path: Path) -> None:
    lines = SHIPPED.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("instance:"))
    lines.insert(index + 1, "  nmae: typo")
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines))
    with pytest.raises(ConfigError, match=rf"{path}:{index + 2}: instance.nmae"):
        load_config(path)


def test_config_check_accepts_the_shipped_file(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(["config", "check", str(SHIPPED_CONFIG)], aduan_env(sqlite_url), tmp_path)
    assert result.returncode == 0 and "OK (19 categories" in result.stdout
