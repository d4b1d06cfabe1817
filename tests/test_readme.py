"""The README's first command, run as a new user would from a fresh copy of the repository."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.deployment import ROOT, Server, free_port


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md must open with a sh code block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_a_run_and_a_test_command() -> None:
    assert readme_commands() == ["scripts/run", "scripts/test"]
    assert "scripts/test" in (ROOT / ".ci/run").read_text()


def fresh_copy(target: Path) -> Path:
    """The repository's files as a clone would have them (tracked and new, not ignored)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_run_command_from_a_fresh_copy_serves_and_accepts_a_complaint(tmp_path: Path) -> None:
    clone = fresh_copy(tmp_path / "aduan")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADUAN_", "VIRTUAL_ENV"))}
    env["ADUAN_PORT"] = str(port)
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        readme_commands()[0],
        shell=True,
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "run.log").read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        response = httpx.post(
            f"{url}/api/v1/web/messages",
            json={"text": "Lampu jalan mati di gang mawar sudah tiga malam"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["opd"] == "DISHUB"
        assert (clone / "aduan.db").exists()
        output = (tmp_path / "run.log").read_text()
        assert "channel web" in output and "on" in output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def try_it_commands() -> str:
    """The README's "Try it" block: the one that chats, lists, and calls the status API."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (block,) = [b for b in blocks if "aduan chat" in b and "curl" in b]
    return block


def test_the_try_it_block_runs_as_written_next_to_a_server(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    shutil.copy2(ROOT / "config.yaml", tmp_path / "config.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    server = Server(tmp_path / "config.yaml", env, tmp_path)  # ./aduan.db, as scripts/run
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", try_it_commands()],
            cwd=tmp_path,
            env={**env, "ADUAN_PORT": str(server.port)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        code = re.search(r"Kode: (ADU-\w{5})", result.stdout).group(1)  # type: ignore[union-attr]
        assert f'"code":"{code}"' in result.stdout.replace(" ", "")  # the status API's answer
        assert re.search(r"status: resolved", result.stdout)
        assert "decision: complaint -> jalan_rusak (DPUPR)" in result.stdout

        # The start-up report names what a channel that is off lacks.
        report = server.output()
        assert re.search(
            r"channel telegram +off: set TELEGRAM_BOT_TOKEN and add channels.telegram to "
            "config.yaml",
            report,
        ), report
        assert "not configured in config.yaml" not in report
    finally:
        server.stop()
