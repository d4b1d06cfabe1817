"""Fuzzing: schemathesis sends what the app's own OpenAPI document allows (and what it does
not), every declared body included, and no answer may be a 5xx; on SQLite and PostgreSQL.

Bounded: a few dozen examples per operation, so the whole run takes a few minutes at most.
The OPD API is called with a real token and the web channel with a real client key, so the
fuzzer gets past authentication; webhooks go to Telegram's with its secret token.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from aduan.access.opd_tokens import create_token
from aduan.access.web_clients import create_key
from tests.support.all_channels import TELEGRAM_SECRET, serve_all

MAX_EXAMPLES = 60
POTHOLE = "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu"
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def authenticated(case: Case, opd_token: str, web_key: str, code: str) -> Case:
    """The case with credentials that let it past authentication, into the code behind;
    half the codes it names are a real complaint of the token's OPD."""
    path = case.operation.path
    headers = dict(case.headers or {})
    named = (case.path_parameters or {}).get("code")
    if isinstance(named, str) and len(named) % 2 == 0:
        case.path_parameters = {**case.path_parameters, "code": code}
    if path.startswith("/api/v1/opd/"):
        headers["authorization"] = f"Bearer {opd_token}"
    elif path == "/api/v1/web/messages":
        headers["authorization"] = f"Bearer {web_key}"
    elif path.startswith("/open311/") and isinstance(case.body, dict):
        case.body = {**case.body, "api_key": web_key}
    elif path.startswith("/channels/"):
        case.path_parameters = {"name": "telegram", "path": "webhook"}
        headers["X-Telegram-Bot-Api-Secret-Token"] = TELEGRAM_SECRET
    case.headers = headers
    return case


def test_no_request_gets_a_server_error(tmp_path: Path, database_url: str) -> None:
    with serve_all(tmp_path, database_url) as client:
        engine = client.runtime.engine  # type: ignore[attr-defined]
        opd_token, web_key = create_token(engine, "DPUPR"), create_key(engine, "portal-kota")
        filed = client.post("/api/v1/web/messages", json={"text": POTHOLE})
        assert filed.status_code == 201, filed.text
        code = filed.json()["code"]
        api = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        operations = [result.ok() for result in api.get_all_operations()]
        bodies = {op.label for op in operations if op.body}
        assert {"POST /api/v1/web/messages", "POST /channels/{name}/{path}"} <= bodies

        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @BOUNDED
                @given(case=operation.as_strategy(generation_mode=mode))
                def call(case: Case) -> None:
                    authenticated(case, opd_token, web_key, code).call_and_validate(
                        checks=[not_a_server_error]
                    )

                try:
                    call()
                except Unsatisfiable:
                    # No parameter or body to make invalid (e.g. /health).
                    assert mode is GenerationMode.NEGATIVE, operation.label
