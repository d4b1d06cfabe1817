"""`aduan areas import`: one regency's areas from the real idn-area-data package."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from aduan.areas.source import DATA, village_level
from aduan.areas.store import load_gazetteer
from aduan.cli.main import app
from storage.areas import areas_of_level, kecamatan_villages
from storage.engine import make_engine, transaction
from storage.models import Area


def _import(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["areas", "import", *args], env={"ADUAN_DATABASE_URL": database_url}
    )
    return result.exit_code, result.output


def test_imports_kabupaten_bandung_by_code_then_by_name(database_url: str) -> None:
    assert (DATA / "villages.csv").is_file(), "scripts/setup installs idn-area-data"
    code, output = _import(database_url, "--regency", "32.04")
    assert code == 0, output
    assert "Kabupaten Bandung: 31 kecamatan, 270 desa, 10 kelurahan" in output
    engine = make_engine(database_url)
    with transaction(engine) as session:
        kecamatan = kecamatan_villages(session)
        (regency,) = areas_of_level(session, "regency")
        (province,) = areas_of_level(session, "province")
        baleendah = session.get(Area, "32.04.32.1001")
    assert (regency.code, regency.name, regency.parent_code) == ("32.04", "Kabupaten Bandung", "32")
    assert province.name == "Jawa Barat"
    assert len(kecamatan) == 31 and {"Baleendah", "Soreang", "Dayeuhkolot"} <= kecamatan.keys()
    assert sum(map(len, kecamatan.values())) == 280
    assert "Jelekong" in kecamatan["Baleendah"]
    assert baleendah is not None and (baleendah.level, baleendah.name) == ("kelurahan", "Baleendah")

    # Importing again (here another spelling of the same regency) replaces, never adds.
    code, output = _import(database_url, "--regency", "kab. bandung")
    assert code == 0, output
    with transaction(engine) as session:
        assert sum(map(len, kecamatan_villages(session).values())) == 280
        gazetteer = load_gazetteer(session)
    assert gazetteer is not None and len(gazetteer.kecamatan_names) == 31


def test_another_regency_replaces_the_list(database_url: str) -> None:
    assert _import(database_url, "--regency", "3204")[0] == 0
    code, output = _import(database_url, "--regency", "Kota Bandung")
    assert code == 0, output
    with transaction(make_engine(database_url)) as session:
        kecamatan = kecamatan_villages(session)
    assert "Baleendah" not in kecamatan and "Coblong" in kecamatan
    assert len(kecamatan) == 30


def test_unknown_or_ambiguous_regency_is_refused(database_url: str) -> None:
    code, output = _import(database_url, "--regency", "bandung")
    assert code == 2 and "ambiguous" in output and "32.04" in output and "32.73" in output
    code, output = _import(database_url, "--regency", "Kabupaten Atlantis")
    assert code == 2 and "no regency" in output
    with transaction(make_engine(database_url)) as session:
        assert kecamatan_villages(session) == {}
        assert load_gazetteer(session) is None


def test_missing_package_names_the_fix(sqlite_url: str, tmp_path: Path) -> None:
    code, output = _import(sqlite_url, "--regency", "3204", "--data", str(tmp_path))
    assert code == 2 and "scripts/setup" in output


def test_village_level_from_the_code() -> None:
    assert village_level("32.04.32.1001") == "kelurahan"
    assert village_level("32.04.32.2005") == "desa"
