"""The public report page, `/` and `/lapor`: a citizen without a chat app files a complaint.

The form's report goes through the same pipeline as every channel (dedupe, classification,
acknowledgement, dispatch), as a message on the `web` channel from a new anonymous citizen;
a contact given (e-mail or phone) is kept in the citizen's address, and is sent the private
link (see `aduan.complaints.tracking_link`).
The answer shows the tracking code, category, OPD, due date and the private tracking link;
when the classifier is unsure, the citizen picks the category there.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from aduan.api.deps import RuntimeDep
from aduan.complaints.contact_address import contact_address
from aduan.complaints.tracking_link import send_link
from aduan.runtime import Runtime
from aduan.web.csrf import verify_csrf
from aduan.web.i18n import page_language, translate
from aduan.web.public.photos import CleanPhoto, PhotoRefused, clean_photo, new_key
from aduan.web.public.tracking import tracking_link
from aduan.web.templating import render
from channels.message import Attachment, InboundMessage, Location
from channels.web import MAX_COMPLAINT_CHARS
from storage.engine import transaction
from storage.photos import add_photo

router = APIRouter(include_in_schema=False)
PATH = "/lapor"
SHORT = 200  # name, contact, address
MB = 1_048_576


@dataclass
class Draft:
    """The form as the citizen filled it in (shown again when something is wrong)."""

    text: str = ""
    lat: str = ""
    lon: str = ""
    address: str = ""
    name: str = ""
    contact: str = ""
    submission: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def of(cls, form: FormData) -> Draft:
        def value(name: str, limit: int = SHORT) -> str:
            raw = form.get(name)
            return raw.replace("\x00", "").strip()[:limit] if isinstance(raw, str) else ""

        return cls(
            text=value("text", 4 * MAX_COMPLAINT_CHARS),  # shown again in full when too long
            lat=value("lat", 32),
            lon=value("lon", 32),
            address=value("address"),
            name=value("name"),
            contact=value("contact"),
            submission=value("submission", 64) or secrets.token_urlsafe(16),
        )


def _form_page(
    request: Request, runtime: Runtime, draft: Draft, errors: list[str], status: int = 200
) -> Response:
    settings = runtime.config.public
    return render(
        request,
        "public/report.html",
        {
            "draft": draft,
            "errors": errors,
            "max_photos": settings.max_photos,
            "max_mb": round(settings.max_photo_bytes / MB, 1),
            "maps": runtime.config.maps,
        },
        status_code=status,
    )


@router.get("/")
@router.get(PATH)
def report_form(request: Request, runtime: RuntimeDep) -> Response:
    return _form_page(request, runtime, Draft(), [])


def _point(draft: Draft) -> tuple[float, float] | None:
    """The pin's coordinates; ValueError when they are not a place on Earth."""
    if not draft.lat and not draft.lon:
        return None
    lat, lon = float(draft.lat), float(draft.lon)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("not a place")
    return lat, lon


async def _photos(
    form: FormData, runtime: Runtime, language: str, errors: list[str]
) -> list[CleanPhoto]:
    settings = runtime.config.public
    uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) > settings.max_photos:
        errors.append(translate(language, "error_photo_count", count=settings.max_photos))
        return []
    cleaned = []
    for upload in uploads:
        data = await upload.read(settings.max_photo_bytes + 1)
        name = (upload.filename or "")[:80]
        try:
            cleaned.append(await run_in_threadpool(clean_photo, data, settings.max_photo_bytes))
        except PhotoRefused as refused:
            size = round(settings.max_photo_bytes / MB, 1)
            errors.append(
                translate(language, f"error_photo_{refused.reason}", name=name, size=size)
            )
    return cleaned


def _store_photos(runtime: Runtime, base: str, photos: list[CleanPhoto]) -> list[Attachment]:
    """Keep the cleaned photos; the attachments pointing at them (links OPDs can open)."""
    attachments = []
    with transaction(runtime.engine) as session:
        for photo in photos:
            key = new_key()
            add_photo(session, key, photo.content_type, photo.data)
            attachments.append(
                Attachment(
                    url=f"{base}/foto/{key}", content_type=photo.content_type, size=len(photo.data)
                )
            )
    return attachments


def _external_id(request: Request, draft: Draft) -> str:
    """The dedupe key: the same form sent twice (a double tap, a reload) is one report; the
    browser's own CSRF token keeps anyone else's form from matching it."""
    token = getattr(request.state, "csrf_token", "")
    return "lapor:" + hashlib.sha256(f"{token}\n{draft.submission}".encode()).hexdigest()


@router.post(PATH, dependencies=[Depends(verify_csrf)])
async def submit_report(request: Request, runtime: RuntimeDep) -> Response:
    if "web" not in request.app.state.adapters:
        raise HTTPException(404, "reporting on the web is off here")
    language = page_language(request, runtime.config.instance.default_language)
    form = await request.form()
    draft, errors = Draft.of(form), []
    if not draft.text:
        errors.append(translate(language, "error_text_required"))
    elif len(draft.text) > MAX_COMPLAINT_CHARS:
        errors.append(translate(language, "error_text_long", limit=MAX_COMPLAINT_CHARS))
    try:
        point = _point(draft)
    except ValueError:
        point = None
        errors.append(translate(language, "error_location"))
    try:
        contact = contact_address(draft.contact)
    except ValueError:
        contact = None
        errors.append(translate(language, "error_contact"))
    photos = await _photos(form, runtime, language, errors)
    if errors:
        return _form_page(request, runtime, draft, errors, status=400)
    if point is None:  # no pin: where the camera says the photo was taken
        point = next((p.gps for p in photos if p.gps), None)
    base = str(request.base_url).rstrip("/")
    attachments = await run_in_threadpool(_store_photos, runtime, base, photos)
    location = None
    if point or draft.address:
        location = Location(
            lat=point[0] if point else None,
            lon=point[1] if point else None,
            address=draft.address or None,
        )
    sender = f"web:anon-{uuid.uuid4().hex[:12]}" + (f":{contact}" if contact else "")
    inbound = InboundMessage(
        channel="web",
        external_id=_external_id(request, draft),
        sender=sender,
        sender_name=draft.name or None,
        text=draft.text,
        language=language,
        location=location,
        attachments=attachments,
        raw={"page": PATH, "name": draft.name or None, "contact": contact},
    )
    outcome = await run_in_threadpool(runtime.pipeline.handle, inbound)
    if outcome.complaint_code is None:  # not a complaint ("halo"): the bot's answer, and again
        return _form_page(request, runtime, draft, [outcome.reply or ""], status=400)
    context: dict[str, Any] = {
        "outcome": outcome,
        "link": None,
        "link_notice": None,
        "choices": [],
        "categories": [],
    }
    if outcome.tracking_secret:
        context["link"] = tracking_link(request, outcome.complaint_code, outcome.tracking_secret)
        context["secret"] = outcome.tracking_secret
        if contact:
            active = request.app.state.adapters
            context["link_notice"] = await run_in_threadpool(
                send_link,
                runtime,
                active,
                outcome.complaint_code,
                outcome.tracking_secret,
                contact,
                language,
            )
    if outcome.status == "needs_review" and outcome.tracking_secret:
        context["choices"] = [b.payload.split()[-1] for b in outcome.choices]
        context["categories"] = list(runtime.rules().ruleset.categories)
    created = outcome.kind in ("complaint", "linked")
    return render(
        request,
        "public/received.html",
        context,
        status_code=201 if created else 200,
        headers={"Cache-Control": "no-store"},
    )
