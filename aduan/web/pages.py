"""Answers for people in a browser: error pages and safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from aduan.web.i18n import page_language, translate
from aduan.web.templating import render

# Paths whose answers are pages (APIs, webhooks and the docs keep their JSON errors).
PAGE_PREFIXES = ("/console", "/language", "/lapor", "/lacak", "/peta", "/foto")
PAGE_PATHS = ("/",)
MESSAGES = {403: "error_403", 404: "error_404"}


def is_page(request: Request) -> bool:
    path = request.url.path
    return path in PAGE_PATHS or path.startswith(PAGE_PREFIXES)


def local_path(target: str | None, fallback: str = "/console") -> str:
    """`target` if it is a path on this site, else `fallback`: no open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    """The error as a page; htmx gets the bare message to show in the page's flash box."""
    language = page_language(request, request.app.state.runtime.config.instance.default_language)
    if status == 403 and detail and "security token" in detail:
        message = translate(language, "error_csrf")
    elif status in MESSAGES:
        message = translate(language, MESSAGES[status])
    else:
        message = detail or translate(language, "error_generic")
    if request.headers.get("hx-request"):
        return HTMLResponse(message, status_code=status)
    back = "/console" if request.url.path.startswith("/console") else "/"
    return render(request, "error.html", {"message": message, "back_url": back}, status_code=status)
