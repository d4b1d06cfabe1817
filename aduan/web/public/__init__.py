"""The public site: report a problem (/lapor), follow a report (/lacak), the map (/peta).

Pages for citizens, without an account: server-rendered, Bahasa Indonesia by default, usable
on a phone. One module a page.
"""

from __future__ import annotations

from fastapi import FastAPI

from aduan.config import PublicSettings
from aduan.web.public import photos, report, reports_map, tracking

FORM_ALLOWANCE = 100_000  # the form's text fields and multipart framing, besides the photos


def install(app: FastAPI) -> None:
    """Add the public pages' routes."""
    for module in (report, tracking, reports_map, photos):
        app.include_router(module.router)


def upload_limits(settings: PublicSettings) -> dict[str, int]:
    """The report form takes its photos: a larger body than other routes."""
    return {report.PATH: settings.max_photos * settings.max_photo_bytes + FORM_ALLOWANCE}
