"""CLI for routing: explain a decision, score rules on a labelled file, suggest keywords,
and edit the rules in force (`aduan rules list|show|add-keyword|…|history|revert`).

`register(app)` adds `classify`, `eval` and the `rules` group to the main Typer app.
Rule edits are saved as new versions in the database; running processes pick them up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
import yaml
from sqlalchemy.engine import Engine

from aduan.cli.from_history import suggest_from_history
from aduan.cli.options import open_database, open_engine
from aduan.rules.datasets import load_dataset
from aduan.rules.edits import (
    RuleError,
    add_category,
    add_keyword,
    import_rules,
    remove_keyword,
    resolve_opd,
    set_opd,
    weight_text,
)
from aduan.rules.explain import explain
from aduan.rules.store import (
    Version,
    apply_edit,
    area_gazetteer,
    history,
    newest_version,
    revert,
    sync_from_config,
)
from classifier import CompiledRules, RuleSet, classify, compile_rules
from classifier.evaluate import Report, evaluate
from classifier.learn import MAX_TERMS, learn_rules, linear_options
from classifier.places import Gazetteer
from classifier.rules import AreaTable
from classifier.suggest import (
    SuggestOptions,
    area_weight,
    category_code,
    linear_settings,
    suggest,
    to_yaml,
)
from storage.migrate import upgrade

if TYPE_CHECKING:
    from aduan.config import AppConfig

rules_app = typer.Typer(help="Routing rules: categories, keywords, OPDs.", no_args_is_help=True)

ConfigFile = Annotated[Path, typer.Option("--config", "-c", help="config file with the rules")]
JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON object")]
DEFAULT_CONFIG = Path("config.yaml")


def register(app: typer.Typer) -> None:
    """Add the routing commands to `app`."""
    app.command("classify")(classify_command)
    app.command("eval")(eval_command)
    app.add_typer(rules_app, name="rules")


def load_rules(path: Path, places: Gazetteer | None = None) -> CompiledRules:
    """Compile the rules of a config file, or exit with the config error."""
    from aduan.config import ConfigError, load_config

    try:
        return compile_rules(load_config(path).ruleset(), places)
    except (ConfigError, OSError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


LiveFlag = Annotated[
    bool, typer.Option("--live", help="use the rules in force (database), not CONFIG's")
]
AreasFlag = Annotated[
    bool,
    typer.Option(
        "--areas", help="name kecamatan and desa from the area list (`aduan areas import`)"
    ),
]


def chosen_rules(config: Path, live: bool, areas: bool) -> CompiledRules:
    """CONFIG's rules or the rules in force, with the imported area list when asked for."""
    places = _places() if areas else None
    if live:
        return compile_rules(_current(_store(config)).ruleset, places)
    return load_rules(config, places)


def _places() -> Gazetteer:
    engine = open_engine()
    upgrade(engine)
    places = area_gazetteer(engine)
    if places is None:
        typer.echo("no area list: run `aduan areas import --regency CODE` first", err=True)
        raise typer.Exit(2)
    return places


def classify_command(
    text: str,
    config: ConfigFile = DEFAULT_CONFIG,
    as_json: JsonFlag = False,
    live: LiveFlag = False,
    areas: AreasFlag = False,
) -> None:
    """Classify TEXT and explain the decision."""
    rules = chosen_rules(config, live, areas)
    result = classify(text, rules)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    typer.echo(explain(result, rules.rules.settings))


def eval_command(
    file: Annotated[Path, typer.Argument(help="labelled LAPOR CSV or chat JSONL", exists=True)],
    config: ConfigFile = DEFAULT_CONFIG,
    as_json: JsonFlag = False,
    live: LiveFlag = False,
    areas: AreasFlag = False,
) -> None:
    """Score the rules of CONFIG (or, with --live, the rules in force) against a labelled FILE."""
    rules = chosen_rules(config, live, areas)
    report = evaluate(load_dataset(file), rules)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    typer.echo(format_report(report))


def format_report(report: Report) -> str:
    """The evaluation report as text."""
    lines = [
        f"messages:        {report.n}",
        f"accuracy:        {report.accuracy:.1%}",
        f"macro-F1:        {report.macro_f1:.3f}",
        f"coverage:        {report.coverage:.1%}  (routed without review)",
        f"auto-precision:  {report.auto_precision:.1%}  (accuracy of what was routed)",
    ]
    if report.kecamatan_accuracy is not None:
        lines.append(
            f"kecamatan named: {report.kecamatan_accuracy:.1%}  (of {report.kecamatan_n} reports"
            " whose kecamatan office is known)"
        )
    if report.confused:
        lines.append("most confused (label -> predicted):")
        lines += [
            f"  {gold} -> {pred or '(none)'}: {count}" for gold, pred, count in report.confused
        ]
    return "\n".join(lines)


FALLBACK = "lainnya"  # the learned draft's fallback category


class SuggestMethod(StrEnum):
    log_odds = "log-odds"
    linear = "linear"


@rules_app.command("suggest")
def suggest_command(
    file: Annotated[
        Path | None, typer.Argument(help="labelled LAPOR CSV or chat JSONL", exists=True)
    ] = None,
    method: Annotated[
        SuggestMethod,
        typer.Option(help="log-odds: a short list to curate; linear: learned weights"),
    ] = SuggestMethod.log_odds,
    min_count: Annotated[int, typer.Option(help="minimum reports of a label with the term")] = 3,
    top: Annotated[
        int | None, typer.Option(help="keywords per label (default: 100; linear: --max-terms)")
    ] = None,
    areas_from: Annotated[
        Path | None,
        typer.Option(help="config whose classifier.areas table to learn the area weight for"),
    ] = None,
    area_label: Annotated[
        str, typer.Option(help="the label of reports routed to the area named in them")
    ] = "KECAMATAN",
    places_of: Annotated[
        str | None,
        typer.Option(
            help="linear: a regency (code or name) whose kecamatan and desa names, from the"
            " official area list, are never keywords"
        ),
    ] = None,
    precision: Annotated[
        float,
        typer.Option(min=0.5, max=1.0, help="linear: set the threshold for this precision"),
    ] = 0.85,
    fallback_opd: Annotated[
        str, typer.Option(help="linear: OPD of the fallback category (unmatched reports)")
    ] = "TRIAGE",
    max_terms: Annotated[
        int,
        typer.Option(min=0, help="linear: keywords per category, refitted on them (0: all)"),
    ] = MAX_TERMS,
    from_history: Annotated[
        bool,
        typer.Option(
            "--from-history",
            help="learn from staff corrections in the database (triage, /kategori, reassign)",
        ),
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="--from-history: corrections from this day (YYYY-MM-DD)")
    ] = None,
    check: Annotated[
        Path | None,
        typer.Option(help="--from-history: also score on this labelled file", exists=True),
    ] = None,
    out: Annotated[Path, typer.Option(help="--from-history: where the draft is written")] = Path(
        "rules-from-history.yaml"
    ),
    config: ConfigFile = DEFAULT_CONFIG,
) -> None:
    """Propose weighted keywords per label from a labelled history (YAML draft on stdout),
    or, `--from-history`, keyword changes from staff corrections (a draft file)."""
    if from_history:
        suggest_from_history(config, since, check, out, min_count)
        return
    if file is None:
        typer.echo("give a labelled FILE, or --from-history", err=True)
        raise typer.Exit(2)
    dataset = load_dataset(file)
    if method is SuggestMethod.log_odds:
        options = SuggestOptions(min_count=min_count, top=top or 100)
        typer.echo(to_yaml(suggest(dataset.examples, options)), nl=False)
        return
    areas = _areas_of(areas_from) if areas_from else None
    linear = linear_options(top or max_terms)
    try:
        draft, calibration = learn_rules(
            dataset.examples,
            linear,
            precision,
            areas=areas,
            area_label=area_label,
            place_names=_place_names(places_of) if places_of else (),
        )
    except RuntimeError as error:  # scikit-learn missing
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    settings = {**linear_settings(linear), **calibration.settings, "fallback_category": FALLBACK}
    weight = area_weight(draft.keywords, area_label)
    header = [
        f"Cross-validated on {len(dataset.examples)} labelled reports (4 folds): best guess right"
        f" {calibration.accuracy:.1%};",
        f"at threshold {calibration.threshold:.4f} it routed {calibration.coverage:.1%}"
        f" automatically, {calibration.precision:.1%} of them to the right place.",
    ]
    if areas is not None and weight:
        header.append(
            f"Areas: set classifier.areas.weight to {weight:g} and"
            f" classifier.areas.categories to [{category_code(area_label)}]."
        )
    typer.echo(
        to_yaml(
            draft.keywords,
            bias=draft.bias,
            settings=settings,
            header=header,
            fallback=(FALLBACK, fallback_opd),
        ),
        nl=False,
    )


def _place_names(regency: str) -> list[str]:
    """Every kecamatan and desa/kelurahan name of `regency` in the official area list."""
    from aduan.areas.source import AreaSourceError, regency_areas

    try:
        rows = regency_areas(regency)
    except AreaSourceError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    return [row.name for row in rows if row.level not in ("province", "regency")]


def _areas_of(config: Path) -> AreaTable | None:
    from aduan.config import ConfigError, load_config

    try:
        return load_config(config).ruleset().settings.areas
    except (ConfigError, OSError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


# --- editing the rules in force (stored as versions in the database) ---

RulesConfig = Annotated[
    Path,
    typer.Option("--config", "-c", envvar="ADUAN_CONFIG", help="config file (OPDs, seed rules)"),
]
Author = Annotated[str, typer.Option(help="who makes the change (default: your OS user)")]
Note = Annotated[str, typer.Option(help="why the change is made")]
Category = Annotated[str, typer.Argument(help="category code, e.g. sampah")]


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class _Store:
    config: AppConfig
    engine: Engine


def _store(config: Path) -> _Store:
    """The config and database (migrated, config.yaml's rules synced), or exit with the error."""
    loaded, engine = open_database(config)
    sync_from_config(engine, loaded)
    return _Store(loaded, engine)


def _current(store: _Store) -> Version:
    version = newest_version(store.engine)
    assert version is not None  # sync_from_config saved one
    return version


def _refused(error: RuleError) -> NoReturn:
    typer.echo(f"refused: {error}; nothing was changed", err=True)
    raise typer.Exit(1)


def _change(
    config: Path, edit: Callable[[RuleSet], RuleSet], author: str, note: str
) -> tuple[_Store, Version]:
    """Apply `edit` as a new version and print it; a refused edit exits 1."""
    store = _store(config)
    try:
        version = apply_edit(
            store.engine, edit, author=author or _os_user(), note=note, opds=store.config.opds
        )
    except RuleError as error:
        _refused(error)
    typer.echo(_version_line(store, version))
    return store, version


def _version_line(store: _Store, version: Version, current: bool = False) -> str:
    """One version, its time in the deployment's time zone, labelled (WIB, WITA, ...)."""
    local = version.created_at.replace(tzinfo=version.created_at.tzinfo or UTC).astimezone(
        ZoneInfo(store.config.instance.timezone)
    )
    when = f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"
    note = f"  ({version.note})" if version.note else ""
    mark = "*" if current else " "
    return f"{mark}version {version.id}  {when}  by {version.author}: {version.change}{note}"


@rules_app.command("list")
def rules_list(config: RulesConfig = DEFAULT_CONFIG) -> None:
    """The categories in force: code, OPD, SLA, number of keywords, name."""
    store = _store(config)
    version = _current(store)
    typer.echo(_version_line(store, version, current=True))
    for code, rule in version.ruleset.categories.items():
        typer.echo(
            f"  {code:<20} {rule.opd:<12} {rule.sla_hours:>4} h  {len(rule.keywords):>3} keywords"
            f"  {rule.name.get('id', '')}"
        )


@rules_app.command("show")
def rules_show(category: Category, config: RulesConfig = DEFAULT_CONFIG) -> None:
    """One category in full: OPD, names, SLA, keywords by weight, cancelling terms."""
    store = _store(config)
    typer.echo(_describe_category(_current(store), category.lower(), store.config))


def _describe_category(version: Version, code: str, config: AppConfig) -> str:
    rule = version.ruleset.categories.get(code)
    if rule is None:
        _refused(
            RuleError(
                "unknown_category", category=code, known=", ".join(version.ruleset.categories)
            )
        )
    lines = [
        f"{code} (rules version {version.id})",
        f"  OPD:      {rule.opd} ({config.opd_name(rule.opd)})",
        f"  names:    id {rule.name.get('id', '')!r}, en {rule.name.get('en', '')!r}",
        f"  SLA:      {rule.sla_hours} hours",
        "  keywords:",
    ]
    ranked = sorted(rule.keywords.items(), key=lambda kv: (-kv[1], kv[0]))
    lines += [f"    {weight_text(w):>5}  {t}" for t, w in ranked] or ["    (none)"]
    if rule.negative:
        lines.append(f"  cancelled by: {', '.join(rule.negative)}")
    return "\n".join(lines)


@rules_app.command("add-keyword")
def rules_add_keyword(
    category: Category,
    term: Annotated[str, typer.Argument(help="word or phrase; quote phrases")],
    weight: Annotated[float, typer.Option(help="how strongly it points to CATEGORY")] = 1.0,
    config: RulesConfig = DEFAULT_CONFIG,
    author: Author = "",
    note: Note = "",
) -> None:
    """Add a keyword (or phrase) to a category."""
    code = category.lower()
    _change(config, lambda rules: add_keyword(rules, code, term, weight), author, note)


@rules_app.command("remove-keyword")
def rules_remove_keyword(
    category: Category,
    term: Annotated[str, typer.Argument(help="the keyword to remove")],
    config: RulesConfig = DEFAULT_CONFIG,
    author: Author = "",
    note: Note = "",
) -> None:
    """Remove a keyword from a category."""
    code = category.lower()
    _change(config, lambda rules: remove_keyword(rules, code, term), author, note)


@rules_app.command("set-opd")
def rules_set_opd(
    category: Category,
    opd: Annotated[str, typer.Argument(help="OPD code from config.yaml, e.g. DLH")],
    config: RulesConfig = DEFAULT_CONFIG,
    author: Author = "",
    note: Note = "",
) -> None:
    """Route a category to another OPD."""
    code = category.lower()
    known = load_opds(config)
    _change(config, lambda rules: set_opd(rules, code, resolve_opd(opd, known)), author, note)


def load_opds(config: Path) -> list[str]:
    from aduan.config import ConfigError, load_config

    try:
        return list(load_config(config).opds)
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@rules_app.command("add-category")
def rules_add_category(
    code: Annotated[str, typer.Argument(help="new category code, e.g. pohon_tumbang")],
    opd: Annotated[str, typer.Option(help="OPD code that handles it")],
    name_id: Annotated[str, typer.Option(help="name in Indonesian")],
    name_en: Annotated[str, typer.Option(help="name in English")],
    sla_hours: Annotated[int, typer.Option(min=1, help="hours the OPD has to resolve it")] = 48,
    keyword: Annotated[
        list[str] | None, typer.Option(help="a keyword with weight 1 (repeatable)")
    ] = None,
    config: RulesConfig = DEFAULT_CONFIG,
    author: Author = "",
    note: Note = "",
) -> None:
    """Add a category routed to an OPD."""
    known = load_opds(config)
    names = {"id": name_id, "en": name_en}
    terms = [(term, 1.0) for term in keyword or []]
    _change(
        config,
        lambda rules: add_category(rules, code, resolve_opd(opd, known), names, sla_hours, terms),
        author,
        note,
    )


@rules_app.command("import")
def rules_import(
    file: Annotated[Path, typer.Argument(help="YAML with a `categories:` mapping", exists=True)],
    replace: Annotated[
        bool, typer.Option("--replace", help="replace all categories instead of merging")
    ] = False,
    config: RulesConfig = DEFAULT_CONFIG,
    author: Author = "",
    note: Note = "",
) -> None:
    """Import categories and keywords (e.g. a reviewed `rules suggest` draft)."""
    try:
        draft = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        typer.echo(f"cannot read {file}: {error}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(draft, dict):
        _refused(RuleError("invalid", detail=f"{file} must be a mapping with `categories:`"))
    how = "replace" if replace else "merge"
    _change(
        config,
        lambda rules: import_rules(rules, draft, replace=replace),
        author,
        note or f"import {file.name} ({how})",
    )


@rules_app.command("export")
def rules_export(
    file: Annotated[Path | None, typer.Argument(help="write here instead of stdout")] = None,
    config: RulesConfig = DEFAULT_CONFIG,
) -> None:
    """The rules in force as YAML (`categories:` and `classifier:`, as in config.yaml)."""
    version = _current(_store(config))
    text = export_yaml(version)
    if file is None:
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    typer.echo(f"rules version {version.id} written to {file}")


def export_yaml(version: Version) -> str:
    data = version.ruleset.model_dump(mode="json")
    for rule in data["categories"].values():
        rule["keywords"] = {t: _plain(w) for t, w in rule["keywords"].items()}
    when = f"{version.created_at:%Y-%m-%d %H:%M} UTC"
    header = f"# Aduan routing rules, version {version.id} ({version.author}, {when})\n"
    body = {"categories": data["categories"], "classifier": data["settings"]}
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)


def _plain(weight: float) -> float | int:
    return int(weight) if float(weight).is_integer() else weight


@rules_app.command("history")
def rules_history(
    limit: Annotated[int, typer.Option(help="how many versions")] = 20,
    config: RulesConfig = DEFAULT_CONFIG,
) -> None:
    """Rule versions, newest first: when, who, what changed, why (* = in force)."""
    store = _store(config)
    for index, version in enumerate(history(store.engine, limit)):
        typer.echo(_version_line(store, version, current=index == 0))


@rules_app.command("revert")
def rules_revert(
    version: Annotated[int, typer.Argument(help="the version whose rules to bring back")],
    config: RulesConfig = DEFAULT_CONFIG,
    author: Author = "",
    note: Note = "",
) -> None:
    """Bring back an earlier version's rules as a new version."""
    store = _store(config)
    try:
        saved = revert(store.engine, version, author or _os_user(), note, opds=store.config.opds)
    except RuleError as error:
        _refused(error)
    typer.echo(_version_line(store, saved))
