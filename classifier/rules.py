"""Routing rules: the categories, their keywords and the decision thresholds.

These models are the contract between `config.yaml`, the rule store and the classifier.
They are plain data, validated once, then compiled by `classifier.compile_rules`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _clean_term(term: str) -> str:
    cleaned = " ".join(term.split()).lower()
    if not cleaned:
        raise ValueError("a keyword must not be empty")
    return cleaned


class CategoryRule(BaseModel):
    """One category: which OPD handles it and which words point to it."""

    model_config = ConfigDict(extra="forbid")

    opd: str = Field(description="OPD code that handles this category")
    name: dict[str, str] = Field(description="display name per language, e.g. {id: ..., en: ...}")
    sla_hours: int = Field(default=48, gt=0, description="hours the OPD has to resolve it")
    keywords: dict[str, float] = Field(
        default_factory=dict,
        description="term or phrase -> weight; a plain list gives every term weight 1",
    )
    negative: list[str] = Field(
        default_factory=list, description="terms that cancel this category when present"
    )

    @field_validator("keywords", mode="before")
    @classmethod
    def _list_means_weight_one(cls, value: object) -> object:
        if isinstance(value, list):
            return {term: 1.0 for term in value}
        return value

    @field_validator("keywords")
    @classmethod
    def _clean_keywords(cls, value: dict[str, float]) -> dict[str, float]:
        cleaned: dict[str, float] = {}
        for term, weight in value.items():
            key = _clean_term(term)
            if key in cleaned:
                raise ValueError(f"duplicate keyword {key!r}")
            if weight <= 0:
                raise ValueError(f"keyword {key!r}: weight must be positive")
            cleaned[key] = float(weight)
        return cleaned

    @field_validator("negative")
    @classmethod
    def _clean_negative(cls, value: list[str]) -> list[str]:
        return [_clean_term(term) for term in value]


class ClassifierSettings(BaseModel):
    """How sure the classifier must be before it routes without a human."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(default=0.5, ge=0, le=1, description="minimum confidence to route")
    margin: float = Field(
        default=0.1, ge=0, le=1, description="minimum confidence gap between the top two"
    )
    fallback_category: str = Field(
        default="lainnya", description="category used when nothing matches"
    )


class RuleSet(BaseModel):
    """Everything the classifier needs: categories plus settings."""

    model_config = ConfigDict(extra="forbid")

    categories: dict[str, CategoryRule]
    settings: ClassifierSettings = Field(default_factory=ClassifierSettings)
