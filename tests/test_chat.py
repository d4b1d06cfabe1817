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
