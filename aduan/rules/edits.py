"""Edits to the routing rules: pure functions from one RuleSet to the next, or a RuleError.

Every edit returns a fully re-validated RuleSet; `check` adds what the models alone cannot
know (the deployment's OPD codes). `describe` says what changed between two versions, so each
version records "what" whatever the edit was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from classifier.normalize import base_tokens
from classifier.rules import RuleSet

LANGUAGES = ("id", "en")
CODE_RE = re.compile(r"[a-z][a-z0-9_]*")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "unknown_category": "unknown category '{category}'; known: {known}",
        "category_exists": "category '{category}' already exists",
        "bad_code": "category code '{category}' must be lower-case letters, digits and _",
        "unknown_opd": "unknown OPD '{opd}' for category '{category}'; known: {known}",
        "unknown_office": "unknown OPD '{opd}' as the office of area '{area}'; known: {known}",
        "empty_keyword": "a keyword must contain at least one word",
        "duplicate_keyword": (
            "'{term}' is already a keyword of '{category}' (weight {weight}); "
            "remove it first to change its weight"
        ),
        "missing_keyword": "'{term}' is not a keyword of '{category}'",
        "bad_weight": "a keyword weight must be a positive number, not {weight}",
        "bad_sla": "the SLA must be a whole number of hours above 0, not {hours}",
        "missing_name": "category '{category}' needs a name in '{language}'",
        "unknown_fallback": "the fallback category '{category}' must exist",
        "no_change": "nothing would change; the current version already says so",
        "no_rules": "there is no rule version yet; start `aduan serve` once",
        "unknown_version": "there is no rule version {version}",
        "invalid": "invalid rules: {detail}",
    },
    "id": {
        "unknown_category": "kategori '{category}' tidak ada; yang ada: {known}",
        "category_exists": "kategori '{category}' sudah ada",
        "bad_code": "kode kategori '{category}' harus huruf kecil, angka dan _",
        "unknown_opd": "OPD '{opd}' untuk kategori '{category}' tidak dikenal; yang ada: {known}",
        "unknown_office": (
            "OPD '{opd}' sebagai kantor wilayah '{area}' tidak dikenal; yang ada: {known}"
        ),
        "empty_keyword": "kata kunci harus berisi minimal satu kata",
        "duplicate_keyword": (
            "'{term}' sudah menjadi kata kunci '{category}' (bobot {weight}); "
            "hapus dulu untuk mengubah bobotnya"
        ),
        "missing_keyword": "'{term}' bukan kata kunci '{category}'",
        "bad_weight": "bobot kata kunci harus angka positif, bukan {weight}",
        "bad_sla": "SLA harus bilangan bulat jam di atas 0, bukan {hours}",
        "missing_name": "kategori '{category}' perlu nama dalam bahasa '{language}'",
        "unknown_fallback": "kategori cadangan '{category}' harus ada",
        "no_change": "tidak ada yang berubah; versi yang berlaku sudah demikian",
        "no_rules": "belum ada versi aturan; jalankan `aduan serve` sekali",
        "unknown_version": "versi aturan {version} tidak ada",
        "invalid": "aturan tidak valid: {detail}",
    },
}


class RuleError(ValueError):
    """An edit that is refused; the message exists in every language of MESSAGES."""

    def __init__(self, kind: str, **values: object) -> None:
        self.kind = kind
        self.values = values
        super().__init__(self.message("en"))

    def message(self, language: str = "en") -> str:
        table = MESSAGES.get(language, MESSAGES["en"])
        return table[self.kind].format(**self.values)


def weight_text(weight: float) -> str:
    return f"{weight:g}"


def clean_term(term: str) -> str:
    """A keyword as stored: words separated by one space, lower case; refused if wordless."""
    cleaned = " ".join(term.split()).lower()
    if not cleaned or not base_tokens(cleaned):
        raise RuleError("empty_keyword")
    return cleaned


def check_weight(weight: float) -> float:
    if not math.isfinite(weight) or weight <= 0:
        raise RuleError("bad_weight", weight=weight)
    return float(weight)


def resolve_opd(opd: str, opds: Collection[str]) -> str:
    """The OPD code as configured, matched without regard to case."""
    return next((code for code in opds if code.lower() == opd.strip().lower()), opd.strip())


def validated(data: Mapping[str, Any]) -> RuleSet:
    """A RuleSet from plain data, with pydantic's complaints turned into one RuleError."""
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise RuleError("invalid", detail=detail) from None


def check(rules: RuleSet, opds: Collection[str]) -> None:
    """Refuse rules that name an unknown OPD (for a category or an area's office), lack a name,
    or lose the fallback category."""
    known = ", ".join(sorted(opds))
    for code, rule in rules.categories.items():
        if not CODE_RE.fullmatch(code):
            raise RuleError("bad_code", category=code)
        if rule.opd not in opds:
            raise RuleError("unknown_opd", opd=rule.opd, category=code, known=known)
        for language in LANGUAGES:
            if not rule.name.get(language, "").strip():
                raise RuleError("missing_name", category=code, language=language)
    areas = rules.settings.areas
    for place, area in areas.places.items() if areas else ():
        if area.office not in opds:
            raise RuleError("unknown_office", opd=area.office, area=place, known=known)
    fallback = rules.settings.fallback_category
    if fallback not in rules.categories:
        raise RuleError("unknown_fallback", category=fallback)


def _category(data: dict[str, Any], category: str) -> dict[str, Any]:
    found = data["categories"].get(category)
    if found is None:
        raise RuleError("unknown_category", category=category, known=", ".join(data["categories"]))
    return found


def add_keyword(rules: RuleSet, category: str, term: str, weight: float = 1.0) -> RuleSet:
    data = rules.model_dump()
    keywords = _category(data, category)["keywords"]
    term = clean_term(term)
    if term in keywords:
        raise RuleError(
            "duplicate_keyword", term=term, category=category, weight=weight_text(keywords[term])
        )
    keywords[term] = check_weight(weight)
    return validated(data)


def remove_keyword(rules: RuleSet, category: str, term: str) -> RuleSet:
    data = rules.model_dump()
    keywords = _category(data, category)["keywords"]
    cleaned = " ".join(term.split()).lower()
    if cleaned not in keywords:
        raise RuleError("missing_keyword", term=cleaned, category=category)
    del keywords[cleaned]
    return validated(data)


def check_sla(hours: int) -> int:
    if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
        raise RuleError("bad_sla", hours=hours)
    return hours


def keyword_table(pairs: Iterable[tuple[str, float]], category: str) -> dict[str, float]:
    """Keywords as stored (cleaned, weights checked); a term given twice is refused."""
    terms: dict[str, float] = {}
    for term, weight in pairs:
        cleaned = clean_term(term)
        if cleaned in terms:
            raise RuleError(
                "duplicate_keyword",
                term=cleaned,
                category=category,
                weight=weight_text(terms[cleaned]),
            )
        terms[cleaned] = check_weight(weight)
    return terms


def edit_category(
    rules: RuleSet,
    category: str,
    *,
    opd: str,
    sla_hours: int,
    keywords: Iterable[tuple[str, float]],
    negative: Iterable[str],
    names: Mapping[str, str],
) -> RuleSet:
    """One category rewritten whole: its OPD, SLA, keywords, cancelling terms and names."""
    data = rules.model_dump()
    entry = _category(data, category)
    entry["opd"] = opd
    entry["sla_hours"] = check_sla(sla_hours)
    entry["keywords"] = keyword_table(keywords, category)
    entry["negative"] = list(dict.fromkeys(clean_term(term) for term in negative))
    entry["name"] = {**entry["name"], **{lang: name.strip() for lang, name in names.items()}}
    return validated(data)


def set_opd(rules: RuleSet, category: str, opd: str) -> RuleSet:
    data = rules.model_dump()
    _category(data, category)["opd"] = opd
    return validated(data)


def add_category(
    rules: RuleSet,
    code: str,
    opd: str,
    names: Mapping[str, str],
    sla_hours: int = 48,
    keywords: Iterable[tuple[str, float]] = (),
) -> RuleSet:
    data = rules.model_dump()
    if code in data["categories"]:
        raise RuleError("category_exists", category=code)
    if not CODE_RE.fullmatch(code):
        raise RuleError("bad_code", category=code)
    data["categories"][code] = {
        "opd": opd,
        "name": {lang: name.strip() for lang, name in names.items()},
        "sla_hours": check_sla(sla_hours),
        "keywords": keyword_table(keywords, code),
    }
    return validated(data)


def import_rules(rules: RuleSet, draft: Mapping[str, Any], replace: bool = False) -> RuleSet:
    """Apply a YAML draft (`categories:`, optionally `classifier:`/`settings:`).

    Merging adds new categories and, for existing ones, adds or re-weights keywords, drops
    those listed under `remove_keywords`, unions negative terms and takes any other field the
    draft gives; replacing keeps only the draft's categories.
    """
    categories = draft.get("categories")
    if not isinstance(categories, Mapping) or not categories:
        raise RuleError("invalid", detail="the file needs a non-empty `categories:` mapping")
    data = rules.model_dump()
    settings = draft.get("settings", draft.get("classifier"))
    if isinstance(settings, Mapping):
        data["settings"] = {**data["settings"], **settings}
    if replace:
        data["categories"] = {}
    for code, entry in categories.items():
        if not isinstance(entry, Mapping):
            raise RuleError("invalid", detail=f"categories.{code}: must be a mapping")
        data["categories"][str(code)] = _merged(data["categories"].get(str(code)), entry)
    return validated(data)


def _merged(existing: dict[str, Any] | None, entry: Mapping[str, Any]) -> dict[str, Any]:
    incoming = dict(entry)
    raw = incoming.pop("keywords", None) or {}
    pairs = [(t, 1.0) for t in raw] if isinstance(raw, list) else list(dict(raw).items())
    keywords: dict[str, float] = {}
    for term, weight in pairs:
        keywords[clean_term(str(term))] = check_weight(float(weight))
    negative = [" ".join(str(t).split()).lower() for t in incoming.pop("negative", None) or []]
    removed = incoming.pop("remove_keywords", None) or []
    if not isinstance(removed, list):
        raise RuleError("invalid", detail="remove_keywords: must be a list of terms")
    dropped = {clean_term(str(t)) for t in removed}
    if existing is None:
        return {**incoming, "keywords": keywords, "negative": negative}
    kept = {t: w for t, w in existing["keywords"].items() if t not in dropped}
    return {
        **existing,
        **incoming,
        "keywords": {**kept, **keywords},
        "negative": list(dict.fromkeys([*existing["negative"], *negative])),
    }


def describe(old: RuleSet | None, new: RuleSet, limit: int = 12) -> str:
    """What changed from `old` to `new`, briefly (e.g. "sampah: +'tps penuh' (1)")."""
    if old is None:
        return f"{len(new.categories)} categories"
    changes: list[str] = []
    for code in old.categories.keys() - new.categories.keys():
        changes.append(f"-category {code}")
    for code, rule in new.categories.items():
        before = old.categories.get(code)
        if before is None:
            changes.append(f"+category {code} ({rule.opd}, {len(rule.keywords)} keywords)")
            continue
        if before.opd != rule.opd:
            changes.append(f"{code}: OPD {before.opd} -> {rule.opd}")
        if before.name != rule.name:
            changes.append(f"{code}: name {rule.name.get('id', '')!r}")
        if before.sla_hours != rule.sla_hours:
            changes.append(f"{code}: SLA {before.sla_hours} -> {rule.sla_hours} h")
        for term, weight in rule.keywords.items():
            was = before.keywords.get(term)
            if was is None:
                changes.append(f"{code}: +{term!r} ({weight_text(weight)})")
            elif was != weight:
                changes.append(f"{code}: {term!r} {weight_text(was)} -> {weight_text(weight)}")
        changes += [f"{code}: -{t!r}" for t in before.keywords if t not in rule.keywords]
        changes += [f"{code}: +negative {t!r}" for t in rule.negative if t not in before.negative]
        changes += [f"{code}: -negative {t!r}" for t in before.negative if t not in rule.negative]
    for field, value in new.settings.model_dump().items():
        was = getattr(old.settings, field)
        if was != value:
            changes.append(f"{field} {was} -> {value}")
    if not changes:
        return "no rule changes"
    more = len(changes) - limit
    return "; ".join(changes[:limit]) + (f"; and {more} more" if more > 0 else "")
