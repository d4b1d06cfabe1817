"""Admin chat commands on the routing rules, through any staff channel.

`/rule show sampah`, `/rule add-keyword sampah "tps penuh" [bobot]`,
`/rule remove-keyword sampah "tps penuh"`, `/rule set-opd sampah DLH`.
Only admins may use them; every change becomes a new rule version authored by the admin.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.rules.edits import (
    RuleError,
    add_keyword,
    remove_keyword,
    resolve_opd,
    set_opd,
    weight_text,
)
from aduan.rules.store import apply_edit, newest_version
from classifier import RuleSet
from dispatch.context import DispatchContext
from storage.models import Event, Staff

COMMAND = "/rule"

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "refused": "Maaf, hanya admin yang dapat mengubah aturan rute.",
        "usage": (
            'Perintah aturan: /rule show KATEGORI; /rule add-keyword KATEGORI "kata kunci" '
            '[bobot]; /rule remove-keyword KATEGORI "kata kunci"; /rule set-opd KATEGORI OPD.'
        ),
        "added": "Kata kunci '{term}' (bobot {weight}) ditambahkan ke {category}.",
        "removed": "Kata kunci '{term}' dihapus dari {category}.",
        "opd_set": "Kategori {category} kini ditangani {opd}.",
        "saved": "{done} Aturan versi {version} berlaku.",
        "error": "Perubahan ditolak: {reason}.",
        "show": "{name} ({code}) -> {opd} ({opd_code}), SLA {sla} jam, aturan versi {version}. "
        "Kata kunci: {keywords}.{negative}",
        "negative": " Kata pembatal: {terms}.",
        "none": "(tidak ada)",
    },
    "en": {
        "refused": "Sorry, only admins may change routing rules.",
        "usage": (
            'Rule commands: /rule show CATEGORY; /rule add-keyword CATEGORY "keyword" '
            '[weight]; /rule remove-keyword CATEGORY "keyword"; /rule set-opd CATEGORY OPD.'
        ),
        "added": "Keyword '{term}' (weight {weight}) added to {category}.",
        "removed": "Keyword '{term}' removed from {category}.",
        "opd_set": "Category {category} is now handled by {opd}.",
        "saved": "{done} Rules version {version} is in force.",
        "error": "Change refused: {reason}.",
        "show": "{name} ({code}) -> {opd} ({opd_code}), SLA {sla} hours, rules version "
        "{version}. Keywords: {keywords}.{negative}",
        "negative": " Cancelling terms: {terms}.",
        "none": "(none)",
    },
}


def is_rule_command(text: str) -> bool:
    """True when the message's first word is `/rule` (also `/rule@bot` in Telegram groups)."""
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower().split("@")[0] == COMMAND


def _say(language: str, key: str, /, **values: object) -> str:
    return TEXTS.get(language, TEXTS["id"])[key].format(**values)


def _split(text: str) -> list[str]:
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as written
        return text.replace('"', " ").split()


def _term_and_weight(words: list[str]) -> tuple[str, float | None]:
    """`tps penuh 2` -> ("tps penuh", 2.0); a number at the end is the weight."""
    if len(words) > 1:
        try:
            return " ".join(words[:-1]), float(words[-1].replace(",", "."))
        except ValueError:
            pass
    return " ".join(words), None


def handle_rule_command(
    target: Session | Engine,
    staff: Staff | None,
    text: str,
    ctx: DispatchContext,
    sender: str = "",
    language: str | None = None,
) -> str:
    """Carry out one `/rule …` message and return the answer for the sender."""
    language = ctx.language(language)
    if staff is None or staff.role != "admin":
        if isinstance(target, Session):
            target.add(Event(kind="refused", actor=sender or "-", note=f"refused: {text[:200]}"))
        return _say(language, "refused")
    words = _split(text)[1:]
    if len(words) < 2:
        return _say(language, "usage")
    action, category, rest = words[0].lower(), words[1].lower(), words[2:]
    try:
        if action == "show":
            return _show(target, category, ctx, language)
        planned = _edit(action, category, rest, ctx, language)
        if planned is None:
            return _say(language, "usage")
        edit, done = planned
        version = apply_edit(
            target,
            edit,
            author=f"{staff.name} <{sender}>" if sender else staff.name,
            note=f"chat: {text.strip()[:200]}",
            opds=ctx.opd_names.keys(),
        )
    except RuleError as exc:
        return _say(language, "error", reason=exc.message(language))
    return _say(language, "saved", done=done, version=version.id)


def _edit(
    action: str, category: str, rest: list[str], ctx: DispatchContext, language: str
) -> tuple[Callable[[RuleSet], RuleSet], str] | None:
    """The edit for one command and the sentence that says it was done (None: no such)."""
    if action == "add-keyword" and rest:
        term, weight = _term_and_weight(rest)
        weight = 1.0 if weight is None else weight
        done = _say(language, "added", term=term, weight=weight_text(weight), category=category)
        return (lambda rules: add_keyword(rules, category, term, weight)), done
    if action == "remove-keyword" and rest:
        term = " ".join(rest)
        done = _say(language, "removed", term=term, category=category)
        return (lambda rules: remove_keyword(rules, category, term)), done
    if action == "set-opd" and len(rest) == 1:
        opd = resolve_opd(rest[0], ctx.opd_names.keys())
        done = _say(language, "opd_set", category=category, opd=ctx.opd_name(opd))
        return (lambda rules: set_opd(rules, category, opd)), done
    return None


def _show(target: Session | Engine, category: str, ctx: DispatchContext, language: str) -> str:
    version = newest_version(target)
    if version is None:
        raise RuleError("no_rules")
    rule = version.ruleset.categories.get(category)
    if rule is None:
        raise RuleError(
            "unknown_category", category=category, known=", ".join(version.ruleset.categories)
        )
    ranked = sorted(rule.keywords.items(), key=lambda kv: (-kv[1], kv[0]))
    keywords = ", ".join(f"{t} ({weight_text(w)})" for t, w in ranked) or _say(language, "none")
    negative = _say(language, "negative", terms=", ".join(rule.negative)) if rule.negative else ""
    return _say(
        language,
        "show",
        name=rule.name.get(language) or rule.name.get("id", category),
        code=category,
        opd=ctx.opd_name(rule.opd),
        opd_code=rule.opd,
        sla=rule.sla_hours,
        version=version.id,
        keywords=keywords,
        negative=negative,
    )
