"""The routing rules in force, compiled once per version."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from classifier import CompiledRules, RuleSet, compile_rules
from classifier.places import Gazetteer


@dataclass(frozen=True)
class Rulebook:
    version: int | None
    ruleset: RuleSet
    compiled: CompiledRules

    @classmethod
    def build(
        cls, ruleset: RuleSet, version: int | None = None, places: Gazetteer | None = None
    ) -> Rulebook:
        """Compile `ruleset`; `places`, the deployment's area list, lets it name kecamatan
        and desa."""
        return cls(version=version, ruleset=ruleset, compiled=compile_rules(ruleset, places))

    @cached_property
    def category_names(self) -> Mapping[str, Mapping[str, str]]:
        """Each category's display names by language, as these rules have them."""
        return {code: rule.name for code, rule in self.ruleset.categories.items()}

    def sla_hours(self, category: str, default: int = 48) -> int:
        rule = self.ruleset.categories.get(category)
        return rule.sla_hours if rule else default


RulebookProvider = Callable[[], Rulebook]
