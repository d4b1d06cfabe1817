"""Rendering pages: Jinja2 templates with the visitor's language, the instance's time zone,
the CSRF token and the signed-in staff member at hand in every template."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from aduan.web.i18n import LANGUAGE_NAMES, LANGUAGES, page_language, translate
from aduan.web.timefmt import countdown, iso_local, local_time

TEMPLATES = Path(__file__).resolve().parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_context(request: Request) -> dict[str, Any]:
    """What every template may use, for this request."""
    runtime = request.app.state.runtime
    zone = runtime.ctx.timezone
    language = page_language(request, runtime.config.instance.default_language)
    return {
        "request": request,
        "lang": language,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "t": partial(translate, language),
        "local_time": partial(local_time, zone=zone),
        "iso_time": partial(iso_local, zone=zone),
        "countdown": partial(countdown, language=language),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "instance_name": runtime.config.instance.name,
        "staff": getattr(request.state, "staff", None),
        "status_name": partial(runtime.ctx.status_name, language),
        "category_name": partial(runtime.ctx.category_name, language),
        "opd_name": runtime.ctx.opd_name,
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page `template` rendered for this request."""
    html = environment.get_template(template).render({**page_context(request), **(context or {})})
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
