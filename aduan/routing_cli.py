"""CLI for routing: explain a decision, score rules on a labelled file, suggest keywords.

`register(app)` adds `classify`, `eval` and the `rules` group (with `rules suggest`) to the
main Typer app; other `rules` commands can be added to `rules_app`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from classifier import Classification, CompiledRules, classify, compile_rules
from classifier.engine import confidences
from classifier.evaluate import Report, evaluate, load_dataset
from classifier.suggest import SuggestOptions, suggest, to_yaml

rules_app = typer.Typer(help="Routing rules: categories, keywords, OPDs.", no_args_is_help=True)

ConfigFile = Annotated[Path, typer.Option("--config", "-c", help="config file with the rules")]
JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON object")]
DEFAULT_CONFIG = Path("config.yaml")


def register(app: typer.Typer) -> None:
    """Add the routing commands to `app`."""
    app.command("classify")(classify_command)
    app.command("eval")(eval_command)
    app.add_typer(rules_app, name="rules")


def load_rules(path: Path) -> CompiledRules:
    """Compile the rules of a config file, or exit with the config error."""
    from aduan.config import ConfigError, load_config

    try:
        return compile_rules(load_config(path).ruleset())
    except (ConfigError, OSError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def classify_command(
    text: str, config: ConfigFile = DEFAULT_CONFIG, as_json: JsonFlag = False
) -> None:
    """Classify TEXT and explain the decision."""
    result = classify(text, load_rules(config))
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    typer.echo(explain(result))


def explain(result: Classification) -> str:
    """A human-readable account of one decision."""
    lines = [f"normalised: {result.normalized or '(empty)'}"]
    if result.matched:
        lines.append("matched:")
        for m in result.matched:
            how = "" if m.found_as == m.term else f"  (written {m.found_as!r})"
            sign = "cancels" if m.weight < 0 else f"+{m.weight:g}"
            lines.append(f"  {m.category:<16} {m.term!r} {sign}{how}")
    else:
        lines.append("matched: nothing")
    if result.scores:
        probs = confidences(result.scores)
        lines.append("scores:")
        for code, value in sorted(result.scores.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {code:<16} {value:6.2f}  p={probs[code]:.2f}")
    if result.is_complaint:
        review = "needs review" if result.needs_review else "routed automatically"
        lines.append(
            f"decision: complaint -> {result.category} ({result.opd}), "
            f"confidence {result.confidence:.2f}, {review}"
        )
    else:
        lines.append(f"decision: not a complaint ({result.intent})")
    return "\n".join(lines)


def eval_command(
    file: Annotated[Path, typer.Argument(help="labelled LAPOR CSV or chat JSONL", exists=True)],
    config: ConfigFile = DEFAULT_CONFIG,
    as_json: JsonFlag = False,
) -> None:
    """Score the rules of CONFIG against a labelled FILE."""
    report = evaluate(load_dataset(file), load_rules(config))
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
    if report.confused:
        lines.append("most confused (label -> predicted):")
        lines += [
            f"  {gold} -> {pred or '(none)'}: {count}" for gold, pred, count in report.confused
        ]
    return "\n".join(lines)


@rules_app.command("suggest")
def suggest_command(
    file: Annotated[Path, typer.Argument(help="labelled LAPOR CSV or chat JSONL", exists=True)],
    min_count: Annotated[int, typer.Option(help="minimum reports of a label with the term")] = 3,
    top: Annotated[int, typer.Option(help="keywords per label")] = 100,
) -> None:
    """Propose weighted keywords per label from a labelled history (YAML draft on stdout)."""
    dataset = load_dataset(file)
    options = SuggestOptions(min_count=min_count, top=top)
    typer.echo(to_yaml(suggest(dataset.examples, options)), nl=False)
