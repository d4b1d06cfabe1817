"""The staff console: server-rendered pages under /console (Jinja2 + htmx), one module a page."""

from __future__ import annotations

from fastapi import FastAPI

from aduan.web.console import auth, complaint, inbox, mapview, people, report, rules, triage


def install(app: FastAPI) -> None:
    """Add the console's routes, and send visitors who are not signed in to sign in."""
    app.add_exception_handler(auth.ConsoleRedirect, auth.console_redirect)  # type: ignore[arg-type]
    for module in (auth, inbox, complaint, triage, rules, report, mapview, people):
        app.include_router(module.router)
