"""`aduan chat`: a person at a terminal reports a complaint and asks for its status."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.deployment import aduan_env, write_config


def test_chat_files_a_complaint_and_answers_status(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.yaml")
    lines = "halo\nbanjir setinggi lutut di perumahan griya indah sejak subuh\nstatus\n"
    result = subprocess.run(
        [sys.executable, "-m", "aduan", "chat", "--user", "budi", "--config", str(config)],
        input=lines,
        env=aduan_env(sqlite_url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    replies = re.findall(r"\[Aduan\] (.*)", result.stdout)
    assert replies[0].startswith("Halo!")
    code = re.search(r"Kode: (ADU-\w{5})", replies[1]).group(1)  # type: ignore[union-attr]
    assert "Badan Penanggulangan Bencana Daerah" in replies[1]
    assert replies[2] == f"Laporan Anda yang masih terbuka: {code} (Diteruskan ke instansi)"


def chat(user: str, lines: str, config: Path, url: str, cwd: Path) -> list[str]:
    """One `aduan chat` session of `user`: the bot's answers, each with its lines."""
    result = subprocess.run(
        [sys.executable, "-m", "aduan", "chat", "--user", user, "--config", str(config)],
        input=lines,
        env=aduan_env(url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [block.strip() for block in result.stdout.split("[Aduan] ")[1:]]


def test_chat_lists_the_category_choices_and_shows_only_its_own_users_messages(
    tmp_path: Path, database_url: str
) -> None:
    staff = [{"name": "Petugas", "opd": "DLH", "addresses": ["console:petugas"]}]
    config = write_config(tmp_path / "config.yaml", staff=staff)
    filed, chosen = chat("siti", "anjing liar di taman kota\n1\n", config, database_url, tmp_path)
    code = re.search(r"Kode: (ADU-\w{5})", filed).group(1)  # type: ignore[union-attr]
    # The choices follow the question, numbered; the number picks one.
    assert filed.endswith(
        f"Cek status: kirim STATUS {code}. Laporan {code}: pilih kategori yang paling sesuai:\n"
        "1. Pohon dan taman\n2. Lainnya"
    ), filed
    assert chosen.startswith(f"{code}: status kini Diteruskan ke instansi."), chosen

    # Staff at another terminal act on it: they see their own answer, not Siti's notice.
    (done,) = chat("petugas", f"/proses {code} Tim menuju taman\n", config, database_url, tmp_path)
    assert done == f"{code}: status kini Sedang ditangani."
    # Siti's notice waited for her next session.
    notice, status = chat("siti", f"STATUS {code}\n", config, database_url, tmp_path)
    assert notice == f"{code}: status kini Sedang ditangani. Catatan: Tim menuju taman"
    assert status.startswith(f"{code}: Sedang ditangani. Instansi: Dinas Lingkungan Hidup.")
