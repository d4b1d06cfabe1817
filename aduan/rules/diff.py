"""The difference between two rule versions, line by line, as an admin reads the rules."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import yaml

from classifier import RuleSet


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context" or "hunk"
    text: str


def rules_text(rules: RuleSet) -> list[str]:
    """The rules as YAML lines (categories then the classifier's settings), weights plain."""
    data = rules.model_dump(mode="json")
    for rule in data["categories"].values():
        rule["keywords"] = {
            term: int(weight) if float(weight).is_integer() else weight
            for term, weight in rule["keywords"].items()
        }
    body = {"categories": data["categories"], "classifier": data["settings"]}
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100).splitlines()


def version_diff(old: RuleSet, new: RuleSet, context: int = 3) -> list[DiffLine]:
    """A unified diff from `old` to `new`; empty when they say the same."""
    lines = difflib.unified_diff(rules_text(old), rules_text(new), lineterm="", n=context)
    kinds = {"+": "add", "-": "remove", "@": "hunk"}
    return [
        DiffLine(kinds.get(line[:1], "context"), line)
        for line in lines
        if not line.startswith(("+++", "---"))
    ]
