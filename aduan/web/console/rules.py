"""The routing rules editor (admins): categories, keywords and weights, cancelling terms, the
OPD and SLA of each category; a "try a text" box; the version history, a diff between two
versions, and revert. Every change goes through the same edits and checks as `aduan rules`,
becomes a new version authored by the admin, and is followed by every running process."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from aduan.access.accounts import actor_of
from aduan.rules.diff import version_diff
from aduan.rules.edits import (
    RuleError,
    add_category,
    clean_term,
    describe,
    edit_category,
    resolve_opd,
)
from aduan.rules.explain import explain
from aduan.rules.store import Version, apply_edit, get_version, history, newest_version, revert
from aduan.runtime import Runtime
from aduan.web.console.auth import Admin, admin_page
from aduan.web.csrf import verify_csrf
from aduan.web.i18n import page_language
from aduan.web.pages import error_page
from aduan.web.templating import render
from classifier import RuleSet, classify
from storage.accounts import audit

router = APIRouter(prefix="/console/rules", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
HISTORY = 30
Rules = Annotated[Admin, Depends(admin_page("the rules editor"))]
# Which form field a refused edit is about; the rest are shown above the form.
FIELD_OF = {
    "unknown_opd": "opd",
    "bad_sla": "sla_hours",
    "bad_weight": "keywords",
    "empty_keyword": "keywords",
    "duplicate_keyword": "keywords",
    "bad_code": "code",
    "category_exists": "code",
}


class _CategoryFields(BaseModel):
    """What both category forms ask: the OPD and the names (the SLA defaults differ)."""

    opd: str = Field("", max_length=200)
    name_id: str = Field("", max_length=200)
    name_en: str = Field("", max_length=200)


class NewCategoryForm(_CategoryFields):
    """The form that adds a category."""

    code: str = Field("", max_length=64)
    sla_hours: str = Field("48", max_length=200)


class CategoryForm(_CategoryFields):
    """The form that rewrites a category."""

    sla_hours: str = Field("", max_length=200)
    keywords: str = Field("", max_length=20_000)
    negative: str = Field("", max_length=20_000)


class FieldError(Exception):
    """A refused edit, and the form field it is about."""

    def __init__(self, field: str, error: RuleError) -> None:
        super().__init__(str(error))
        self.field = field
        self.error = error


def _language(admin: Admin) -> str:
    return page_language(admin.request, admin.runtime.config.instance.default_language)


def _opds(runtime: Runtime) -> list[tuple[str, str]]:
    return sorted(runtime.ctx.opd_names.items())


def keyword_lines(text: str) -> list[tuple[str, float]]:
    """`term = weight` a line (`term` alone weighs 1); a weight that is no number is refused."""
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        term, sign, weight = line.partition("=")
        try:
            value = float(weight) if sign else 1.0
        except ValueError:
            raise RuleError("bad_weight", weight=weight.strip()) from None
        pairs.append((term, value))
    return pairs


def _hours(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise RuleError("bad_sla", hours=text.strip()) from None


def _save(admin: Admin, edit: Callable[[RuleSet], RuleSet], note: str) -> int:
    """The edit as a new version (validated as `aduan rules` does), audited and committed."""
    actor, opds = actor_of(admin.staff), admin.runtime.ctx.opd_names.keys()
    version = apply_edit(admin.session, edit, author=actor, note=note, opds=opds)
    audit(admin.session, "rules_edit", actor, f"rules version {version.id}: {version.change}")
    admin.session.commit()  # before the browser follows the redirect
    return version.id


def _field_errors(error: RuleError, language: str, field: str | None = None) -> dict[str, str]:
    if field is None and error.kind == "missing_name":
        field = f"name_{error.values.get('language')}"
    return {field or FIELD_OF.get(error.kind, "form"): error.message(language)}


def _overview(
    admin: Admin,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    versions = history(admin.session, HISTORY)
    current = versions[0] if versions else None
    context = {
        "version": current,
        "versions": versions,
        "categories": sorted(current.ruleset.categories.items()) if current else [],
        "opds": _opds(admin.runtime),
        "errors": errors or {},
        "values": {"sla_hours": "48", **(values or {})},
        "done": admin.request.query_params.get("done", "")[:40],
    }
    return render(admin.request, "console/rules.html", context, status_code=status_code)


@router.get("")
def rules_page(admin: Rules) -> Response:
    return admin.refusal or _overview(admin)


@router.post("/categories", dependencies=CSRF)
def new_category(admin: Rules, form: Annotated[NewCategoryForm, Form()]) -> Response:
    if admin.refusal:
        return admin.refusal
    code = form.code.strip().lower()
    try:
        hours = _hours(form.sla_hours)
        names = {"id": form.name_id, "en": form.name_en}
        target = resolve_opd(form.opd, admin.runtime.ctx.opd_names.keys())
        _save(
            admin,
            lambda rules: add_category(rules, code, target, names, hours),
            f"console: new category {code}",
        )
    except RuleError as error:
        values = {**form.model_dump(), "code": code}
        return _overview(admin, _field_errors(error, _language(admin)), values, 400)
    return RedirectResponse(f"/console/rules/categories/{code}?done=saved", status_code=303)


def _category_page(
    request: Request,
    runtime: Runtime,
    code: str,
    rules: RuleSet,
    version: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rule = rules.categories[code]
    ranked = sorted(rule.keywords.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = {
        "opd": rule.opd,
        "sla_hours": str(rule.sla_hours),
        "keywords": "\n".join(f"{term} = {weight:g}" for term, weight in ranked),
        "negative": "\n".join(rule.negative),
        "name_id": rule.name.get("id", ""),
        "name_en": rule.name.get("en", ""),
        **(values or {}),
    }
    context = {
        "code": code,
        "version": version,
        "values": shown,
        "errors": errors or {},
        "opds": _opds(runtime),
        "done": request.query_params.get("done") == "saved",
    }
    return render(request, "console/rule_category.html", context, status_code=status_code)


def _newest_with(admin: Admin, code: str) -> Version | None:
    """The version in force if it has the category `code`."""
    current = newest_version(admin.session)
    return current if current is not None and code in current.ruleset.categories else None


@router.get("/categories/{code}")
def category_page(code: str, admin: Rules) -> Response:
    if admin.refusal:
        return admin.refusal
    current = _newest_with(admin, code)
    if current is None:
        return error_page(admin.request, 404)
    return _category_page(admin.request, admin.runtime, code, current.ruleset, current.id)


def _category_edit(
    form: CategoryForm, code: str, opds: Collection[str]
) -> Callable[[RuleSet], RuleSet]:
    """The edit the form asks for; a RuleError (a FieldError: on which field) if refused."""
    try:
        pairs = keyword_lines(form.keywords)
    except RuleError as error:
        raise FieldError("keywords", error) from None
    try:
        cancelling = [clean_term(line) for line in form.negative.splitlines() if line.strip()]
    except RuleError as error:
        raise FieldError("negative", error) from None
    hours = _hours(form.sla_hours)
    target = resolve_opd(form.opd, opds)

    def edit(rules: RuleSet) -> RuleSet:
        return edit_category(
            rules,
            code,
            opd=target,
            sla_hours=hours,
            keywords=pairs,
            negative=cancelling,
            names={"id": form.name_id, "en": form.name_en},
        )

    return edit


@router.post("/categories/{code}", dependencies=CSRF)
def save_category(code: str, admin: Rules, form: Annotated[CategoryForm, Form()]) -> Response:
    """The category rewritten as the form says; a refused edit is shown by its field."""
    if admin.refusal:
        return admin.refusal
    current = _newest_with(admin, code)
    if current is None:
        return error_page(admin.request, 404)
    try:
        edit = _category_edit(form, code, admin.runtime.ctx.opd_names.keys())
        _save(admin, edit, f"console: {code}")
    except (RuleError, FieldError) as exc:
        refusal, field = (exc.error, exc.field) if isinstance(exc, FieldError) else (exc, None)
        errors = _field_errors(refusal, _language(admin), field)
        return _category_page(
            admin.request, admin.runtime, code, current.ruleset, current.id, form.model_dump(),
            errors, 400,
        )  # fmt: skip
    return RedirectResponse(f"/console/rules/categories/{code}?done=saved", status_code=303)


@router.post("/try", dependencies=CSRF)
def try_text(admin: Rules, text: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """The decision the rules in force would take on `text`, and why (an htmx fragment)."""
    if admin.refusal:
        return admin.refusal
    rulebook = admin.runtime.rules()
    result = classify(text, rulebook.compiled) if text.strip() else None
    context: dict[str, Any] = {
        "result": result,
        "explanation": explain(result, rulebook.ruleset.settings) if result else "",
        "rules_version": rulebook.version,
    }
    return render(admin.request, "console/rules_try.html", context)


@router.get("/diff")
def diff_page(
    admin: Rules,
    a: Annotated[int, Query(ge=1, le=2**31)],
    b: Annotated[int, Query(ge=1, le=2**31)],
) -> Response:
    if admin.refusal:
        return admin.refusal
    try:
        old, new = get_version(admin.session, min(a, b)), get_version(admin.session, max(a, b))
    except RuleError:
        return error_page(admin.request, 404)
    lines = version_diff(old.ruleset, new.ruleset)
    context = {
        "old": old,
        "new": new,
        "lines": lines,
        "summary": describe(old.ruleset, new.ruleset),
    }
    return render(admin.request, "console/rules_diff.html", context)


@router.post("/versions/{version_id}/revert", dependencies=CSRF)
def revert_to(version_id: Annotated[int, Path(ge=1, le=2**31)], admin: Rules) -> Response:
    if admin.refusal:
        return admin.refusal
    actor, opds = actor_of(admin.staff), admin.runtime.ctx.opd_names.keys()
    try:
        saved = revert(admin.session, version_id, actor, opds=opds)
    except RuleError as error:
        errors = {"history": error.message(_language(admin))}
        return _overview(admin, errors, status_code=400)
    audit(admin.session, "rules_edit", actor, f"rules version {saved.id}: {saved.change}")
    admin.session.commit()
    return RedirectResponse(f"/console/rules?done=v{saved.id}", status_code=303)
