"""Learn a ready-to-review rule set from a labelled history: weights, then thresholds.

The keyword weights come from `suggest_linear` on the whole history; the confidence settings
from `calibrate`, on out-of-fold decisions of rules learned the same way from part of it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Literal

from classifier.calibrate import Calibration, choose, out_of_fold
from classifier.evaluate import Example
from classifier.rules import AreaTable, RuleSet
from classifier.suggest import (
    LinearDraft,
    LinearOptions,
    draft_ruleset,
    linear_settings,
    suggest_linear,
)

# The model `aduan rules suggest --method linear` uses: a class-weighted linear SVM on unigrams
# and bigrams, repeated terms counted sublinearly, only the evidence for each label kept, and
# all of it (cutting each label to its strongest few hundred keywords cost about a point of
# accuracy). Chosen on Kabupaten Bandung's history by cross-validation
# (benchmarks/routing_quality.py).
LEARNED = LinearOptions(
    model="svm", c=0.3, balance=0.5, positive_only=True, repeats=True, top=10_000
)
# Rules an admin can read (the default of `rules suggest --method linear`): the same model,
# fitted again on each label's `MAX_TERMS` strongest words and phrases alone (`refit`), with
# the small OPDs weighed less (balance 0.3). On Kabupaten Bandung's history this is about as
# accurate as all 10,000 weights (benchmarks/routing_quality.py), with 80 terms a category.
MAX_TERMS = 80
READABLE = replace(LEARNED, top=MAX_TERMS, refit=True, balance=0.3)


def linear_options(max_terms: int) -> LinearOptions:
    """`READABLE` with at most `max_terms` keywords per label; 0 keeps them all (`LEARNED`)."""
    return replace(READABLE, top=max_terms) if max_terms > 0 else LEARNED


def place_spellings(
    areas: AreaTable | None, place_names: Collection[str] = ()
) -> Mapping[str, str] | None:
    """The names learning leaves out as keywords and reads as "an area is named": the area
    table's spellings and `place_names` (e.g. every kecamatan and desa of the official list)."""
    found = {name.lower(): name for name in place_names}
    found.update(areas.spellings() if areas else {})
    return found or None


def learned_ruleset(
    examples: Sequence[Example],
    options: LinearOptions,
    *,
    areas: AreaTable | None = None,
    area_label: str | None = None,
    settings: dict[str, object] | None = None,
    place_names: Collection[str] = (),
) -> RuleSet:
    """Rules whose weights were learned from `examples` (confidence settings as given);
    `place_names` are never keywords."""
    draft = suggest_linear(examples, options, areas=place_spellings(areas, place_names))
    return draft_ruleset(
        draft.keywords,
        {**linear_settings(options), **(settings or {})},
        bias=draft.bias,
        areas=areas,
        area_label=area_label,
    )


def learn_rules(
    examples: Sequence[Example],
    options: LinearOptions,
    precision: float,
    *,
    areas: AreaTable | None = None,
    area_label: str | None = None,
    folds: int = 4,
    place_names: Collection[str] = (),
) -> tuple[LinearDraft, Calibration]:
    """Weights learned from all `examples`, and thresholds set for `precision` by CV;
    `place_names` are never keywords."""
    decisions = out_of_fold(
        examples,
        lambda train: learned_ruleset(
            train, options, areas=areas, area_label=area_label, place_names=place_names
        ),
        folds=folds,
    )
    draft = suggest_linear(examples, options, areas=place_spellings(areas, place_names))
    return draft, choose(decisions, precision, cut=cut_for(options))


def cut_for(options: LinearOptions) -> Literal["observed", "expected"]:
    """How the threshold is cut (`classifier.calibrate.choose`): on the expected precision for
    the refitted few-keyword rules, whose observed precision curve is noisier."""
    return "expected" if options.refit else "observed"
