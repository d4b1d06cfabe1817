"""The baseline for the intake benchmark: a bare endpoint in the same framework and server.

.venv/bin/python -m benchmarks.bare_app --port 8001   (uvicorn set up as `aduan serve` is)
"""

import argparse

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from aduan.serve import LOOPS, PARSERS, server_config

app = FastAPI()


@app.post("/api/v1/web/messages")
async def accept(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse({"result": "complaint", "text": body.get("text", "")[:10]}, status_code=201)


@app.post("/opd/{name}")
async def opd_webhook(name: str, request: Request) -> JSONResponse:
    """A local OPD's webhook, for benchmarks/outbox_drain.py: takes the document, says 200."""
    await request.body()
    return JSONResponse({"received": name})


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--loop", choices=LOOPS, default="auto")
    parser.add_argument("--http", choices=PARSERS, default="auto")
    options = parser.parse_args()
    config = server_config(app, options.host, options.port, options.loop, options.http)
    uvicorn.Server(config).run()
