"""The routing rules editor (admins): categories, keywords and weights, cancelling terms, the
OPD and SLA of each category; a "try a text" box; the version history, a diff between two
versions, and revert. Every change goes through the same edits and checks as `aduan rules`,
becomes a new version authored by the admin, and is followed by every running process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from aduan.access.accounts import actor_of
from aduan.api.deps import RuntimeDep, SessionDep
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
from aduan.rules.store import apply_edit, get_version, history, newest_version, revert
from aduan.runtime import Runtime
from aduan.web.console.auth import StaffDep, refuse_unless_admin
from aduan.web.csrf import verify_csrf
from aduan.web.i18n import page_language
from aduan.web.pages import error_page
from aduan.web.templating import render
from classifier import RuleSet, classify
from storage.accounts import audit
from storage.models import Staff

router = APIRouter(prefix="/console/rules", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
HISTORY = 30
PAGE = "the rules editor"
Field = Annotated[str, Form(max_length=200)]
Lines = Annotated[str, Form(max_length=20_000)]
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


class FieldError(Exception):
    """A refused edit, and the form field it is about."""

    def __init__(self, field: str, error: RuleError) -> None:
        super().__init__(str(error))
        self.field = field
        self.error = error


def _language(request: Request, runtime: Runtime) -> str:
    return page_language(request, runtime.config.instance.default_language)


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


def _save(
    session: Session,
    runtime: Runtime,
    staff: Staff,
    edit: Callable[[RuleSet], RuleSet],
    note: str,
) -> int:
    """The edit as a new version (validated as `aduan rules` does), audited and committed."""
    version = apply_edit(
        session, edit, author=actor_of(staff), note=note, opds=runtime.ctx.opd_names.keys()
    )
    audit(session, "rules_edit", actor_of(staff), f"rules version {version.id}: {version.change}")
    session.commit()  # before the browser follows the redirect
    return version.id


def _field_errors(error: RuleError, language: str, field: str | None = None) -> dict[str, str]:
    if field is None and error.kind == "missing_name":
        field = f"name_{error.values.get('language')}"
    return {field or FIELD_OF.get(error.kind, "form"): error.message(language)}


def _overview(
    request: Request,
    session: Session,
    runtime: Runtime,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    versions = history(session, HISTORY)
    current = versions[0] if versions else None
    context = {
        "version": current,
        "versions": versions,
        "categories": sorted(current.ruleset.categories.items()) if current else [],
        "opds": _opds(runtime),
        "errors": errors or {},
        "values": {"sla_hours": "48", **(values or {})},
        "done": request.query_params.get("done", "")[:40],
    }
    return render(request, "console/rules.html", context, status_code=status_code)


@router.get("")
def rules_page(
    request: Request, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    return refused or _overview(request, session, runtime)


@router.post("/categories", dependencies=CSRF)
def new_category(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    code: Annotated[str, Form(max_length=64)] = "",
    opd: Field = "",
    name_id: Field = "",
    name_en: Field = "",
    sla_hours: Field = "48",
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    code = code.strip().lower()
    try:
        hours = _hours(sla_hours)
        names = {"id": name_id, "en": name_en}
        target = resolve_opd(opd, runtime.ctx.opd_names.keys())
        _save(
            session,
            runtime,
            staff,
            lambda rules: add_category(rules, code, target, names, hours),
            f"console: new category {code}",
        )
    except RuleError as error:
        values = {
            "code": code,
            "opd": opd,
            "name_id": name_id,
            "name_en": name_en,
            "sla_hours": sla_hours,
        }
        errors = _field_errors(error, _language(request, runtime))
        return _overview(request, session, runtime, errors, values, 400)
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


@router.get("/categories/{code}")
def category_page(
    request: Request, code: str, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    current = newest_version(session)
    if current is None or code not in current.ruleset.categories:
        return error_page(request, 404)
    return _category_page(request, runtime, code, current.ruleset, current.id)


@router.post("/categories/{code}", dependencies=CSRF)
def save_category(
    request: Request,
    code: str,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    opd: Field = "",
    sla_hours: Field = "",
    keywords: Lines = "",
    negative: Lines = "",
    name_id: Field = "",
    name_en: Field = "",
) -> Response:
    """The category rewritten as the form says; a refused edit is shown by its field."""
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    current = newest_version(session)
    if current is None or code not in current.ruleset.categories:
        return error_page(request, 404)
    try:
        try:
            pairs = keyword_lines(keywords)
        except RuleError as error:
            raise FieldError("keywords", error) from None
        try:
            cancelling = [clean_term(line) for line in negative.splitlines() if line.strip()]
        except RuleError as error:
            raise FieldError("negative", error) from None
        hours = _hours(sla_hours)
        target = resolve_opd(opd, runtime.ctx.opd_names.keys())

        def edit(rules: RuleSet) -> RuleSet:
            return edit_category(
                rules,
                code,
                opd=target,
                sla_hours=hours,
                keywords=pairs,
                negative=cancelling,
                names={"id": name_id, "en": name_en},
            )

        _save(session, runtime, staff, edit, f"console: {code}")
    except (RuleError, FieldError) as exc:
        refusal, field = (exc.error, exc.field) if isinstance(exc, FieldError) else (exc, None)
        values = {
            "opd": opd,
            "sla_hours": sla_hours,
            "keywords": keywords,
            "negative": negative,
            "name_id": name_id,
            "name_en": name_en,
        }
        errors = _field_errors(refusal, _language(request, runtime), field)
        return _category_page(
            request, runtime, code, current.ruleset, current.id, values, errors, 400
        )
    return RedirectResponse(f"/console/rules/categories/{code}?done=saved", status_code=303)


@router.post("/try", dependencies=CSRF)
def try_text(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    staff: StaffDep,
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """The decision the rules in force would take on `text`, and why (an htmx fragment)."""
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    rulebook = runtime.rules()
    result = classify(text, rulebook.compiled) if text.strip() else None
    context: dict[str, Any] = {
        "result": result,
        "explanation": explain(result, rulebook.ruleset.settings) if result else "",
        "rules_version": rulebook.version,
    }
    return render(request, "console/rules_try.html", context)


@router.get("/diff")
def diff_page(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    a: Annotated[int, Query(ge=1, le=2**31)],
    b: Annotated[int, Query(ge=1, le=2**31)],
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    try:
        old, new = get_version(session, min(a, b)), get_version(session, max(a, b))
    except RuleError:
        return error_page(request, 404)
    lines = version_diff(old.ruleset, new.ruleset)
    context = {
        "old": old,
        "new": new,
        "lines": lines,
        "summary": describe(old.ruleset, new.ruleset),
    }
    return render(request, "console/rules_diff.html", context)


@router.post("/versions/{version_id}/revert", dependencies=CSRF)
def revert_to(
    request: Request,
    version_id: Annotated[int, Path(ge=1, le=2**31)],
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    try:
        saved = revert(session, version_id, actor_of(staff), opds=runtime.ctx.opd_names.keys())
    except RuleError as error:
        errors = {"history": error.message(_language(request, runtime))}
        return _overview(request, session, runtime, errors, status_code=400)
    audit(session, "rules_edit", actor_of(staff), f"rules version {saved.id}: {saved.change}")
    session.commit()
    return RedirectResponse(f"/console/rules?done=v{saved.id}", status_code=303)
