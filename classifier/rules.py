"""Routing rules: the categories, their keywords and the decision thresholds.

These models are the contract between `config.yaml`, the rule store and the classifier.
They are plain data, validated once, then compiled by `classifier.compile_rules`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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
    public: bool = Field(
        default=True,
        description="its reports may be shown to the public (map, list, Open311), anonymised;"
        " false for reports whose reporter needs protecting, e.g. pungli",
    )
    public_location: Literal["exact", "rounded"] = Field(
        default="rounded",
        description="where the public sees its reports: the exact point (a pothole, a street"
        " light) or rounded to the neighbourhood (reports about people and homes)",
    )
    keywords: dict[str, float] = Field(
        default_factory=dict,
        description="term or phrase -> weight; a plain list gives every term weight 1",
    )
    negative: list[str] = Field(
        default_factory=list, description="terms that cancel this category when present"
    )
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="minimum confidence to route this category (default: classifier.threshold)",
    )
    bias: float = Field(
        default=0.0,
        description="added to the score when a keyword of this category is found (e.g. the "
        "intercept of learned weights, `rules suggest --method linear`)",
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


class AreaPlace(BaseModel):
    """One area (a kecamatan or kelurahan): the office that handles it and how it is written."""

    model_config = ConfigDict(extra="forbid")

    office: str = Field(description="OPD code of this area's own office")
    aliases: list[str] = Field(
        default_factory=list,
        description="other spellings, e.g. 'bale endah' for Baleendah; the name always counts",
    )

    @field_validator("aliases")
    @classmethod
    def _clean_aliases(cls, value: list[str]) -> list[str]:
        return [_clean_term(term) for term in value]


class AreaTable(BaseModel):
    """Optional area table: a named kecamatan/kelurahan routes to its own office.

    Only complaints whose category is listed in `categories` route by area (village-level
    matters); the rest keep their category's OPD wherever they happen. An area named in the
    text also adds `weight` to the score of those categories (0 = routing only).
    """

    model_config = ConfigDict(extra="forbid")

    categories: list[str] = Field(
        min_length=1, description="category codes whose complaints route to the area's office"
    )
    weight: float = Field(default=0.0, ge=0, description="score an area mention adds to them")
    places: dict[str, AreaPlace] = Field(min_length=1, description="area name -> office")

    @field_validator("places")
    @classmethod
    def _unique_spellings(cls, value: dict[str, AreaPlace]) -> dict[str, AreaPlace]:
        seen: dict[str, str] = {}
        cleaned: dict[str, AreaPlace] = {}
        for name, place in value.items():
            key = _clean_term(name)
            for spelling in (key, *place.aliases):
                if seen.setdefault(spelling, key) != key:
                    raise ValueError(
                        f"area spelling {spelling!r} used by {seen[spelling]!r} and {key!r}"
                    )
            if key in cleaned:
                raise ValueError(f"duplicate area {key!r}")
            cleaned[key] = place
        return cleaned

    def spellings(self) -> dict[str, str]:
        """Every way an area may be written -> its name."""
        return {s: name for name, place in self.places.items() for s in (name, *place.aliases)}


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
    # Scoring constants. The defaults were set by hand on the chat messages; a deployment whose
    # rules were suggested from long reports may use others (chosen by cross-validation).
    decay: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="each further keyword of a category counts this much of the one before",
    )
    overlap: bool = Field(
        default=False,
        description="phrases do not consume their words: every keyword present counts "
        "(for weights learned by `rules suggest --method linear`)",
    )
    repeats: Literal["once", "log"] = Field(
        default="once",
        description="a keyword found n times counts once, or 1 + ln(n) times "
        "(`log`, for weights learned by `rules suggest --method linear`)",
    )
    confidence: Literal["softmax", "lead"] = Field(
        default="softmax",
        description="softmax: over the categories' scores (temperature, none_score); lead: "
        "from the winner's lead over the runner-up (lead_slope, lead_offset), for learned rules",
    )
    lead_slope: float = Field(default=1.0, gt=0, description="lead confidence: slope")
    lead_offset: float = Field(default=0.0, description="lead confidence: offset")
    temperature: float = Field(default=1.6, gt=0, description="softness of the confidence")
    none_score: float = Field(
        default=1.6, ge=0, description="score of 'none of the categories' in the confidence"
    )
    areas: AreaTable | None = Field(
        default=None, description="optional area table (kecamatan/kelurahan -> own office)"
    )


class RuleSet(BaseModel):
    """Everything the classifier needs: categories plus settings."""

    model_config = ConfigDict(extra="forbid")

    categories: dict[str, CategoryRule]
    settings: ClassifierSettings = Field(default_factory=ClassifierSettings)

    @model_validator(mode="after")
    def _area_categories_exist(self) -> RuleSet:
        areas = self.settings.areas
        if areas is not None:
            unknown = [code for code in areas.categories if code not in self.categories]
            if unknown:
                raise ValueError(f"classifier.areas.categories: unknown categories {unknown}")
        return self
