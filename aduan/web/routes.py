"""Routes every site page shares: the offline API documentation and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.requests import Request

from aduan.web.csrf import is_https
from aduan.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from aduan.web.pages import local_path

router = APIRouter(include_in_schema=False)
SWAGGER = "/static/vendor/swagger-ui"
YEAR = 365 * 24 * 3600


@router.get("/docs")
def api_docs() -> HTMLResponse:
    """Swagger UI from the app's own copy of swagger-ui-dist: works without internet."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Aduan API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
    )


@router.get("/language/{language}")
def choose_language(
    request: Request, language: str, next: Annotated[str | None, Query()] = None
) -> RedirectResponse:
    """Remember the visitor's language (cookie) and go back to the page they were on."""
    if language not in LANGUAGES:
        raise HTTPException(404, f"unknown language {language!r}")
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=YEAR,
        httponly=True,
        samesite="lax",
        secure=is_https(request.scope),
    )
    return response
