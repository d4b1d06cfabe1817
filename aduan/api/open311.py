"""Open311 GeoReport v2 routes (`/open311/v2/…`): services, service requests, tokens.

Reading is public and anonymised; posting needs a web client's key (`api_key`) and files the
request through the same pipeline as every channel. Errors are the spec's list of
`{code, description}` (app.py answers an `Open311Error` that way).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from starlette.responses import Response

from aduan.access.web_access import presented_key
from aduan.access.web_clients import client_for_key
from aduan.api import openapi_bodies
from aduan.api.deps import RuntimeDep, SessionDep
from aduan.complaints.codes import find_code
from aduan.complaints.tracking_link import send_link
from aduan.open311 import services as mapping
from aduan.open311.formats import Open311Error, answer, format_of
from aduan.open311.requests import MAX_REQUESTS, inbound, read_new_request, read_query
from aduan.runtime import Runtime
from storage.engine import reading
from storage.open311 import RequestFilter, RequestRow, rules_changed_at, service_requests

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FIELDS = 100


def _language(request: Request, runtime: Runtime) -> str:
    return runtime.ctx.language(request.query_params.get("lang"))


@router.get("/discovery.{fmt}", summary="Service discovery: where and how to reach this API")
def discovery(fmt: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    fmt = format_of(fmt)
    changed = mapping.timestamp(rules_changed_at(session) or datetime.now(UTC))
    document = {
        "changeset": changed,
        "contact": runtime.config.instance.name,
        "key_service": "API keys are issued by the administrator (aduan web key create)",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": str(request.base_url).rstrip("/") + router.prefix,
                "changeset": changed,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return answer(fmt, "discovery", None, document)


@router.get("/services.{fmt}", summary="The public categories, as services")
def services(fmt: str, request: Request, runtime: RuntimeDep) -> Response:
    fmt, rules, language = format_of(fmt), runtime.rules(), _language(request, runtime)
    listed = [
        mapping.service(code, rules, runtime.ctx, language)
        for code in mapping.public_categories(rules)
    ]
    return answer(fmt, "services", "service", listed)


@router.get("/services/{code}.{fmt}", summary="One service's definition (no attributes)")
def service_definition(fmt: str, code: str, runtime: RuntimeDep) -> Response:
    fmt = format_of(fmt)
    if code not in mapping.public_categories(runtime.rules()):
        raise Open311Error(404, f"no service with service_code {code[:64]!r}")
    return answer(fmt, "service_definition", None, mapping.definition(code))


def _client(engine: Engine, key: str) -> str:
    with reading(engine) as session:
        client = client_for_key(session, key)
    if client is None:
        raise Open311Error(403, "invalid or revoked api_key")
    return client


async def _posted(request: Request) -> dict[str, str]:
    """The query's parameters, overridden by the form's (the spec posts a form)."""
    params = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in FORM_TYPES:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        params.update({name: value for name, value in form.items() if isinstance(value, str)})
    elif content_type or await request.body():
        raise Open311Error(400, "post the parameters as application/x-www-form-urlencoded")
    return params


@router.post(
    "/requests.{fmt}",
    summary="File a service request (needs api_key)",
    openapi_extra=openapi_bodies.open311_request(),
)
async def post_request(fmt: str, request: Request, runtime: RuntimeDep) -> Response:
    fmt = format_of(fmt)
    if "web" not in request.app.state.adapters:
        raise Open311Error(404, "posting is off here: the web channel is disabled")
    params = await _posted(request)
    key = params.get("api_key") or presented_key(request.headers)
    if not key:
        raise Open311Error(400, "api_key is required to post a service request")
    client = await run_in_threadpool(_client, runtime.engine, key)
    new = read_new_request(params)
    if new.service_code not in mapping.public_categories(runtime.rules()):
        raise Open311Error(400, f"no service with service_code {new.service_code!r}")
    name = runtime.ctx.category_name(runtime.ctx.default_language, new.service_code)
    message = inbound(new, client, name, request.headers.get("idempotency-key"))
    outcome = await run_in_threadpool(runtime.pipeline.handle, message)
    if outcome.complaint_code is None:
        raise Open311Error(400, "the request could not be filed")
    citizen = new.citizen()
    if outcome.tracking_secret and citizen and citizen.startswith(("mailto:", "tel:")):
        # The citizen's private link goes to the e-mail or phone given, as from the web form.
        await run_in_threadpool(
            send_link,
            runtime,
            request.app.state.adapters,
            outcome.complaint_code,
            outcome.tracking_secret,
            citizen,
            _language(request, runtime),
        )
    filed = {
        "service_request_id": outcome.complaint_code,
        "token": outcome.complaint_code,  # realtime: the token is the request id
        "service_notice": outcome.reply,
        "account_id": new.account_id,
    }
    created = outcome.kind in ("complaint", "linked")
    return answer(fmt, "service_requests", "request", [filed], 201 if created else 200)


@router.get("/requests.{fmt}", summary="Service requests: by id, service, status and dates")
def get_requests(fmt: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    fmt, language = format_of(fmt), _language(request, runtime)
    query = read_query(request.query_params, datetime.now(UTC), runtime.ctx.timezone)
    public = mapping.public_categories(runtime.rules())
    categories = [c for c in query.categories if c in public] if query.categories else public
    rows = service_requests(
        session,
        RequestFilter(
            categories=categories,
            statuses=query.statuses,
            codes=query.codes,
            start=query.start,
            end=query.end,
            limit=MAX_REQUESTS,
        ),
    )
    found = [_request(row, runtime, language) for row in rows]
    return answer(fmt, "service_requests", "request", found)


def _request(row: RequestRow, runtime: Runtime, language: str) -> dict[str, Any]:
    """A service request, placed exactly or rounded as its category's rules say."""
    rounded = runtime.config.public.rounded_decimals
    decimals = mapping.location_decimals(runtime.rules(), row.complaint.category, rounded)
    return mapping.service_request(row, runtime.ctx, language, decimals)


def _one(session: SessionDep, runtime: Runtime, code: str) -> RequestRow:
    canonical = find_code(code)
    rows = (
        service_requests(
            session,
            RequestFilter(
                categories=mapping.public_categories(runtime.rules()),
                statuses=mapping.PUBLIC_STATUSES,
                codes=[canonical],
                limit=1,
            ),
        )
        if canonical
        else []
    )
    if not rows:
        raise Open311Error(404, f"no service request {code[:40]!r}")
    return rows[0]


@router.get("/requests/{request_id}.{fmt}", summary="One service request")
def get_request(
    fmt: str, request_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    fmt, language = format_of(fmt), _language(request, runtime)
    row = _one(session, runtime, request_id)
    return answer(fmt, "service_requests", "request", [_request(row, runtime, language)])


@router.get("/tokens/{token}.{fmt}", summary="The service request a token stands for")
def get_token(fmt: str, token: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    fmt = format_of(fmt)
    row = _one(session, runtime, token)
    found = {"service_request_id": row.complaint.code, "token": token}
    return answer(fmt, "service_requests", "request", [found])
