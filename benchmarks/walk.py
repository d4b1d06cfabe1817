"""The walk of one web complaint: which of Aduan's files and packages it enters, in order.

A figure of the architecture (issue 12), not of speed: one new complaint is posted to the web
channel of an in-process app on SQLite (as a keyed client), with a profiler that records every
function call into Aduan's own packages. Printed: the number of files entered, the packages in
the order they are first entered, and how often the walk crosses from one package to another.

    .venv/bin/python -m benchmarks.walk
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("aduan", "dispatch", "storage", "channels", "classifier")
CONFIG = ROOT / "config.yaml"


def _package(filename: str) -> tuple[str, str] | None:
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts and relative.parts[0] in PACKAGES:
        return relative.parts[0], str(relative)
    return None


def _headers(engine: Any) -> dict[str, str]:
    """A web client key's header (none before web clients had keys, for older commits)."""
    try:
        from aduan.access.web_clients import create_key
    except ImportError:
        return {}
    return {"Authorization": f"Bearer {create_key(engine, 'walk')}"}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/walk.db"
        runtime = build_runtime(CONFIG, url, migrate=True)
        adapters, _ = build_adapters(runtime.config.channels, env={})
        files: list[str] = []
        packages: list[str] = []

        def profile(frame: FrameType, event: str, _: Any) -> None:
            if event != "call":
                return
            found = _package(frame.f_code.co_filename)
            if found is None:
                return
            package, path = found
            if path not in files:
                files.append(path)
            if not packages or packages[-1] != package:
                packages.append(package)

        async def post(app: Any, text: str, sender: str, headers: dict[str, str]) -> int:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://walk") as client:
                body = {"text": text, "sender": sender, "id": sender}
                answer = await client.post("/api/v1/web/messages", json=body, headers=headers)
                return answer.status_code

        # A first app warms imports and caches; the walk is taken on a second one, so that
        # threads it starts on its first message (e.g. a writer thread) are profiled too.
        warm = create_app(runtime, adapters)
        asyncio.run(
            post(warm, "lampu jalan mati di Jl. Sudirman", "walk-0", _headers(runtime.engine))
        )
        runtime = build_runtime(CONFIG, url)
        app = create_app(runtime, adapters)
        headers = _headers(runtime.engine)
        threading.setprofile(profile)
        sys.setprofile(profile)
        status = asyncio.run(post(app, "jalan berlubang besar di Jl. Merdeka", "walk-1", headers))
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        print(f"answer: {status}")
        print(f"files entered: {len(files)}")
        for package in PACKAGES:
            print(f"  {package:<10} {sum(1 for f in files if f.startswith(package + '/'))}")
        print(f"package crossings: {len(packages) - 1}")
        if "-v" in sys.argv:
            print("\n".join(files))
        print("first entries: " + " -> ".join(dict.fromkeys(packages)))


if __name__ == "__main__":
    main()
