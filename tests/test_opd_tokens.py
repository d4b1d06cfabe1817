"""OPD status-API tokens can be listed, revoked and rotated (issue 11, finding 5).

Driven through the `aduan opd token …` command line, checked through the HTTP API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.access.opd_tokens import create_token
from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from storage.engine import transaction
from storage.models import Complaint, Event
from tests.support.deployment import aduan_env, run_cli, write_config
from tests.support.web_clients import key_headers

LISTING = "/api/v1/opd/complaints"


def serve(config: Path, database_url: str) -> TestClient:
    runtime = build_runtime(config, database_url, migrate=True)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    client = TestClient(create_app(runtime, adapters))
    client.runtime = runtime  # type: ignore[attr-defined]
    return client


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    with serve(write_config(tmp_path / "config.yaml"), database_url) as test_client:
        yield test_client
    test_client.runtime.engine.dispose()  # type: ignore[attr-defined]


class Cli:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.env = aduan_env(database_url)
        self.cwd = tmp_path
        self.config = str(tmp_path / "config.yaml")

    def __call__(self, *args: str) -> str:
        result = run_cli(["opd", "token", *args], self.env, self.cwd)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


@pytest.fixture
def cli(tmp_path: Path, database_url: str, client: TestClient) -> Cli:
    return Cli(tmp_path, database_url)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def answers(client: TestClient, *tokens: str) -> list[int]:
    return [client.get(LISTING, headers=bearer(t)).status_code for t in tokens]


def test_a_revoked_token_stops_working_and_the_revocation_is_audited(
    client: TestClient, cli: Cli
) -> None:
    token = cli("DPUPR", "--config", cli.config)  # the form the README shows
    assert answers(client, token) == [200]
    listed = cli("list", "--config", cli.config)
    token_id = listed.split()[0]
    assert "DPUPR" in listed and "active" in listed and token not in listed

    assert cli("revoke", token_id, "--actor", "rina") == f"revoked token {token_id} of DPUPR"
    assert answers(client, token) == [401]
    assert "revoked" in cli("list", "DPUPR", "--config", cli.config)
    with transaction(client.runtime.engine) as session:  # type: ignore[attr-defined]
        audit = session.exec(select(Event).where(Event.kind == "opd_token_revoked")).all()
    assert [(e.actor, e.note) for e in audit] == [
        ("cli:rina", f"status-API token {token_id} of DPUPR revoked")
    ]


def test_rotating_issues_a_new_token_and_the_old_ones_stop(client: TestClient, cli: Cli) -> None:
    first = cli("create", "DPUPR", "--config", cli.config)
    second = cli("DPUPR", "--label", "cadangan", "--config", cli.config)
    other_opd = cli("DLH", "--config", cli.config)
    assert answers(client, first, second, other_opd) == [200, 200, 200]

    rotated = cli("rotate", "DPUPR", "--config", cli.config)
    assert answers(client, rotated, first, second, other_opd) == [200, 401, 401, 200]

    # Rotating one given token leaves the OPD's others alone.
    spare = cli("DPUPR", "--config", cli.config)
    spare_id = cli("list", "DPUPR", "--config", cli.config).splitlines()[-1].split()[0]
    newest = cli("rotate", "DPUPR", "--id", spare_id, "--config", cli.config)
    assert answers(client, newest, spare, rotated) == [200, 401, 200]


def test_a_token_of_an_opd_no_longer_configured_stops_working(
    tmp_path: Path, database_url: str
) -> None:
    before = write_config(tmp_path / "before.yaml")
    data = yaml.safe_load(before.read_text())
    data["opds"]["DISKOMINFO"] = {
        "name": "Dinas Komunikasi dan Informatika",
        "destinations": [{"kind": "email", "address": "kominfo@pemkab-contoh.go.id"}],
    }
    before.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    with serve(before, database_url) as client:
        engine = client.runtime.engine  # type: ignore[attr-defined]
        token = create_token(engine, "DISKOMINFO")
        filed = client.post(
            "/api/v1/web/messages",
            json={"text": "Jalan berlubang besar di Jl. Merdeka km 3", "sender": "warga-7"},
            headers=key_headers(engine),
        ).json()
        with transaction(engine) as session:  # handed to DISKOMINFO while it existed
            complaint = session.exec(select(Complaint).where(Complaint.code == filed["code"])).one()
            complaint.opd = "DISKOMINFO"
            session.add(complaint)
        assert answers(client, token) == [200]
        engine.dispose()

    # DISKOMINFO is taken out of config.yaml: its token no longer lists, resolves or writes.
    with serve(write_config(tmp_path / "config.yaml"), database_url) as client:
        code = filed["code"]
        path = f"{LISTING}/{code}"
        assert answers(client, token) == [401]
        assert client.get(path, headers=bearer(token)).status_code == 401
        resolve = client.post(f"{path}/status", json={"status": "resolved"}, headers=bearer(token))
        write = client.post(f"{path}/messages", json={"text": "halo"}, headers=bearer(token))
        assert (resolve.status_code, write.status_code) == (401, 401)
        engine = client.runtime.engine  # type: ignore[attr-defined]
        with transaction(engine) as session:
            assert session.exec(select(Complaint.status).where(Complaint.code == code)).one() == (
                "routed"
            )
        engine.dispose()
