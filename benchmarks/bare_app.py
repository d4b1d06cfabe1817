"""The baseline for the intake benchmark: a bare endpoint in the same framework and server."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/api/v1/web/messages")
async def accept(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse({"result": "complaint", "text": body.get("text", "")[:10]}, status_code=201)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
