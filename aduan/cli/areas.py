"""CLI for the area list: `aduan areas import|list`.

The list comes from the npm package idn-area-data (Kemendagri codes; data under the ODbL),
installed by `scripts/setup` into aduan/areas/node_modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aduan.areas.source import DATA, AreaSourceError
from aduan.areas.store import import_areas
from aduan.cli.options import open_engine
from storage.areas import areas_of_level, kecamatan_villages
from storage.engine import transaction
from storage.migrate import upgrade

areas_app = typer.Typer(
    help="The official area list: kecamatan and desa/kelurahan.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the `areas` group to `app`."""
    app.add_typer(areas_app, name="areas")


@areas_app.command("import")
def areas_import(
    regency: Annotated[
        str, typer.Option(help="the kabupaten/kota: code (32.04) or name (Kabupaten Bandung)")
    ],
    data: Annotated[
        Path, typer.Option(help="the data folder of idn-area-data", file_okay=False)
    ] = DATA,
) -> None:
    """Make REGENCY's kecamatan and desa/kelurahan the deployment's area list."""
    engine = open_engine()
    upgrade(engine)
    try:
        counts = import_areas(engine, regency, data)
    except AreaSourceError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    with transaction(engine) as session:
        name = areas_of_level(session, "regency")[0].name
    typer.echo(
        f"{name}: {counts['kecamatan']} kecamatan, {counts['desa']} desa, "
        f"{counts['kelurahan']} kelurahan (idn-area-data, ODbL)"
    )


@areas_app.command("list")
def areas_list() -> None:
    """The kecamatan of the area list, with how many desa/kelurahan each has."""
    with transaction(open_engine()) as session:
        kecamatan = kecamatan_villages(session)
    if not kecamatan:
        typer.echo("no areas: run `aduan areas import --regency CODE`")
        return
    for name, villages in kecamatan.items():
        typer.echo(f"{name:<24} {len(villages)} desa/kelurahan")
