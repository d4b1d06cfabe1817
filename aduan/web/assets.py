"""Front-end assets, served by the app itself under /static (no CDN at run time).

Libraries come from their npm packages at the versions pinned in aduan/web/package.json and
package-lock.json (`npm ci`, run by scripts/setup).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent
# What each vendor URL serves: only the built files of each package.
VENDOR = {
    "swagger-ui": "swagger-ui-dist",
    "htmx": "htmx.org/dist",
    "leaflet": "leaflet/dist",
    "leaflet-markercluster": "leaflet.markercluster/dist",
    "axe-core": "axe-core",
}
# The app's own stylesheet and scripts (no build step).
OWN_STATIC = WEB_DIR / "static"


def mount_assets(app: FastAPI, packages: Path | None = None) -> None:
    """Serve the npm packages (from `packages`, default where `npm ci` put them) and ours."""
    packages = packages or WEB_DIR / "node_modules"
    for name, sub in VENDOR.items():
        files = StaticFiles(directory=packages / sub, check_dir=False)
        app.mount(f"/static/vendor/{name}", files, name=f"static-{name}")
    app.mount("/static/app", StaticFiles(directory=OWN_STATIC), name="static-app")
