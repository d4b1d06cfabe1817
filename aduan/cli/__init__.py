"""The `aduan` command line: one Typer app (main) and its command groups."""
