"""`aduan rules suggest --from-history`: keyword changes learned from staff corrections.

The rules in force are scored on the corrections (and, with `--check FILE`, on a labelled
file) before and after the proposed changes; the changes are written as a draft that
`aduan rules import DRAFT` puts in force after the admin's review.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
import yaml

from aduan.cli.options import open_database
from aduan.rules.corrections import corrected_examples
from aduan.rules.datasets import load_dataset
from aduan.rules.store import area_gazetteer, newest_version, sync_from_config
from classifier import compile_rules
from classifier.corrections import Change, CorrectionOptions, Proposal, propose
from classifier.evaluate import Dataset, Report
from storage.engine import transaction


def suggest_from_history(
    config: Path, since: str | None, check: Path | None, out: Path, min_count: int
) -> None:
    """Print the figures and the changes; write the draft to `out` (nothing when none)."""
    loaded, engine = open_database(config)
    sync_from_config(engine, loaded)
    version = newest_version(engine)
    assert version is not None  # sync_from_config saved one
    places = area_gazetteer(engine)
    start = _start(since, ZoneInfo(loaded.instance.timezone))
    with transaction(engine) as session:
        found = corrected_examples(session, compile_rules(version.ruleset, places), start)
    engine.dispose()
    where = f" since {since}" if since else ""
    typer.echo(
        f"Staff corrections{where}: {len(found.examples)} labelled complaints"
        + (f" ({found.skipped} reassignments named no single category)" if found.skipped else "")
    )
    if not found.examples:
        typer.echo("nothing to learn from: no triage decision, /kategori or reassignment yet")
        raise typer.Exit(1)
    guards = {"resolved": Dataset(found.confirmed, "category")}
    if check:
        guards[check.name] = load_dataset(check)
    typer.echo(f"Resolved without a correction: {len(found.confirmed)} (kept right)")
    proposal = propose(
        found.examples, version.ruleset, places, guards, CorrectionOptions(min_count=min_count)
    )
    typer.echo(figures(proposal))
    if not proposal.changes:
        typer.echo("no keyword change makes more of them right; no draft written")
        return
    typer.echo(f"Changes ({len(proposal.changes)}):")
    typer.echo("\n".join(f"  {describe(change)}" for change in proposal.changes))
    header = [
        f"Keyword changes from {len(found.examples)} staff corrections{where}"
        f" (rules version {version.id}).",
        "Review, then: aduan rules import " + out.name,
    ]
    out.write_text(draft_yaml(proposal.changes, header), encoding="utf-8")
    typer.echo(f"draft written to {out}; accept it with `aduan rules import {out}`")
    typer.echo(
        "(figures on the corrections are on the very texts the changes came from;"
        " --check FILE gives a labelled set apart from them)"
    )


def _start(since: str | None, zone: ZoneInfo) -> datetime | None:
    if not since:
        return None
    try:
        day = date.fromisoformat(since)
    except ValueError:
        typer.echo(f"--since {since!r} is not a day like 2026-11-01", err=True)
        raise typer.Exit(2) from None
    return datetime.combine(day, time(), zone).astimezone(UTC)


def figures(proposal: Proposal) -> str:
    """Accuracy, coverage and precision of automatic routing, before and after."""
    rows = [("corrections", proposal.before, proposal.after)]
    rows += [(g.name, g.before, g.after) for g in proposal.guards]
    lines = [f"{'':24} {'before':>8} {'after':>8}"]
    for name, before, after in rows:
        for label, value in (
            ("accuracy", _accuracy),
            ("coverage", _coverage),
            ("auto-precision", _precision),
        ):
            lines.append(f"{name[:12]:12} {label:11} {value(before):>8} {value(after):>8}")
    return "\n".join(lines)


def _accuracy(report: Report) -> str:
    return f"{report.accuracy:.1%}"


def _coverage(report: Report) -> str:
    return f"{report.coverage:.1%}"


def _precision(report: Report) -> str:
    return f"{report.auto_precision:.1%}"


def describe(change: Change) -> str:
    if change.weight is None:
        return f"- {change.category}: {change.term!r}  ({change.support} corrections)"
    return f"+ {change.category}: {change.term!r} {change.weight:g}  ({change.support} corrections)"


def draft_yaml(changes: tuple[Change, ...], header: list[str]) -> str:
    """The changes as a `rules import` draft: per category, keywords and remove_keywords."""
    categories: dict[str, dict[str, object]] = {}
    for change in changes:
        entry = categories.setdefault(change.category, {})
        if change.weight is None:
            removed = entry.setdefault("remove_keywords", [])
            assert isinstance(removed, list)
            removed.append(change.term)
        else:
            added = entry.setdefault("keywords", {})
            assert isinstance(added, dict)
            added[change.term] = change.weight
    body = yaml.safe_dump({"categories": categories}, allow_unicode=True, sort_keys=False)
    return "".join(f"# {line}\n" for line in header) + body
