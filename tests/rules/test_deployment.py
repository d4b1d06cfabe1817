"""A database belongs to one deployment: another deployment's configuration is refused, and no
rule version naming an OPD the deployment lacks is ever put in force."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aduan.cli.main import app
from aduan.config import load_config
from aduan.rules.edits import set_opd
from aduan.rules.store import LiveRulebook, apply_edit, save_version, sync_from_config
from storage.migrate import upgrade
from tests.support.deployment import ROOT, Server, aduan_env, write_config
from tests.support.web_clients import cli_key_headers

from .conftest import versions

BANDUNG = ROOT / "examples" / "kab-bandung" / "config.yaml"
ROAD = "Jalan berlubang besar di Jl. Merdeka km 3, motor sering jatuh"


def aduan(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"ADUAN_DATABASE_URL": database_url})
    return result.exit_code, result.output


def test_another_deployments_config_is_refused_while_the_server_keeps_its_rules(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    config = write_config(tmp_path / "config.yaml")
    env = aduan_env(database_url, ADUAN_RULES_CHECK_SECONDS="0.2")
    server = Server(config, env, tmp_path)
    try:
        code, edited = aduan(database_url, "rules", "add-keyword", "jalan_rusak", "aspal amblas",
                             "--config", str(config))  # fmt: skip
        assert code == 0, edited
        before = versions(engine)

        code, output = aduan(database_url, "rules", "show", "dputr", "--config", str(BANDUNG))
        assert code == 2
        assert 'belongs to the deployment "Pemerintah Kabupaten Contoh"' in output
        assert f'but {BANDUNG} is the configuration of "Pemerintah Kabupaten Bandung"' in output
        assert "nothing was read or changed" in output
        for command in (["opd", "token", "create", "DPUTR"], ["complaints", "list"]):
            code, output = aduan(database_url, *command, "--config", str(BANDUNG))
            assert code == 2 and "belongs to the deployment" in output, (command, output)
        # The deployment's own commands leave the rules as they are: the edit stays.
        code, output = aduan(database_url, "rules", "history", "--config", str(config))
        assert code == 0, output
        assert versions(engine) == before and "aspal amblas" in output

        filed = httpx.post(
            f"{server.url}/api/v1/web/messages",
            json={"text": ROAD, "sender": "warga-1"},
            headers=cli_key_headers(env, tmp_path),
            timeout=10,
        ).json()
        assert (filed["opd"], filed["status"]) == ("DPUPR", "routed")
    finally:
        server.stop()


def test_a_database_without_an_owner_is_claimed_only_if_its_rules_fit(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    # A database from before claims existed: rules, but no owner.
    upgrade(engine)
    sync_from_config(engine, load_config(write_config(tmp_path / "config.yaml")))
    code, output = aduan(database_url, "rules", "list", "--config", str(BANDUNG))
    assert code == 2
    assert "holds routing rules that do not fit" in output and "unknown OPD" in output
    assert len(versions(engine)) == 1

    code, output = aduan(database_url, "rules", "list", "--config", str(tmp_path / "config.yaml"))
    assert code == 0, output
    code, output = aduan(database_url, "rules", "list", "--config", str(BANDUNG))
    assert code == 2 and 'belongs to the deployment "Pemerintah Kabupaten Contoh"' in output


def test_a_renamed_instance_claims_its_database_explicitly(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path / "config.yaml")
    assert aduan(database_url, "rules", "list", "--config", str(config))[0] == 0
    data = yaml.safe_load(config.read_text())
    data["instance"]["name"] = "Pemerintah Kota Contoh"
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    code, output = aduan(database_url, "rules", "list", "--config", str(config))
    assert code == 2 and f"aduan db claim --config {config}" in output
    code, output = aduan(database_url, "db", "claim", "--config", str(config))
    assert code == 0, output
    assert 'belongs to "Pemerintah Kota Contoh" (was "Pemerintah Kabupaten Contoh")' in output
    assert aduan(database_url, "rules", "list", "--config", str(config))[0] == 0


def test_a_version_naming_an_unknown_opd_is_never_put_in_force(
    config: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade(engine)
    loaded = load_config(config)
    sync_from_config(engine, loaded)
    opds = set(loaded.opds)
    live = LiveRulebook(engine, loaded.ruleset(), check_every=0, opds=lambda: opds)
    assert live().version == 1

    # Written by a process that knew another OPD list: the store's writers check theirs only.
    foreign = set_opd(loaded.ruleset(), "jalan_rusak", "DPUTR")
    assert save_version(engine, foreign, "other-deployment", opds={*opds, "DPUTR"}) == 2
    with caplog.at_level(logging.ERROR, logger="aduan.rules"):
        assert live().version == 1
        assert live().ruleset.categories["jalan_rusak"].opd == "DPUPR"
    assert "version 2 refused (unknown OPD 'DPUTR'" in caplog.text
    assert caplog.text.count("refused") == 1  # said once, not at every check

    # Once the deployment has that OPD (config.yaml edited), the version comes into force.
    opds.add("DPUTR")
    assert live().version == 2
    # And an edit from here is checked against the deployment's own OPDs.
    with pytest.raises(ValueError, match="unknown OPD 'DPUTR'"):
        apply_edit(engine, lambda rules: rules, author="ani", opds=loaded.opds)
