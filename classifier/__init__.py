"""Keyword classifier: normalise Indonesian chat text, score categories, explain the decision."""

from classifier.engine import CompiledRules, classify, compile_rules, with_category
from classifier.result import Classification, Match
from classifier.rules import CategoryRule, ClassifierSettings, RuleSet

__all__ = [
    "CategoryRule",
    "Classification",
    "ClassifierSettings",
    "CompiledRules",
    "Match",
    "RuleSet",
    "classify",
    "compile_rules",
    "with_category",
]
