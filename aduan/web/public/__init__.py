"""The public site: report a problem (/lapor), follow a report (/lacak), the map (/peta).

Pages for citizens, without an account: server-rendered, Bahasa Indonesia by default, usable
on a phone. One module a page.
"""

from __future__ import annotations

from fastapi import FastAPI

from aduan.web.public import tracking


def install(app: FastAPI) -> None:
    """Add the public pages' routes."""
    for module in (tracking,):
        app.include_router(module.router)
