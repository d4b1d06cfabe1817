"""Open311 GeoReport v2 (issue 14, item 4), through a client written from the specification.

The client below knows only the spec (http://wiki.open311.org/GeoReport_v2): it reads JSON and
XML alike into the same rows, so every check runs on both formats. Posting files complaints
through the same pipeline as the web channel; reading never shows who reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.access.web_clients import create_key, revoke_keys
from aduan.api.app import create_app
from aduan.complaints.codes import ALPHABET
from aduan.runtime import Runtime, build_runtime
from channels.message import InboundMessage
from channels.registry import build_adapters
from dispatch.actions import change_status
from storage.engine import transaction
from storage.models import Complaint, Contact, Event, Message, OutboxItem
from tests.support.deployment import aduan_env, run_cli, write_config

FORMATS = ("json", "xml")
DOCUMENTED_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
# What a citizen typed about themselves: none of it may ever be served.
PERSONAL = {
    "name": "Budi Santoso",
    "phone": "081234567890",
    "spaced_phone": "+62 813 9876 5432",
    "email": "budi.santoso@example.id",
    "nik": "3204123456780001",
}
PERSONAL_TEXT = (
    f"Jalan berlubang besar di depan rumah saya, nama saya {PERSONAL['name']}, "
    f"hubungi {PERSONAL['phone']} atau {PERSONAL['spaced_phone']} atau {PERSONAL['email']}, "
    f"NIK {PERSONAL['nik']}"
)


# --- the client, from the spec -------------------------------------------------------------


def _row(element: ElementTree.Element) -> dict[str, Any]:
    """One XML item as a mapping: leaf text, or a list for a list-valued field."""
    row: dict[str, Any] = {}
    for child in element:
        if len(child):
            row[child.tag] = [_row(entry) if len(entry) else (entry.text or "") for entry in child]
        else:
            row[child.tag] = child.text
    return row


def parse(response: httpx.Response, fmt: str) -> Any:
    """The body as the spec describes it: a list of rows (or one mapping)."""
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        return response.json()
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(response.content)  # raises unless well-formed
    if root.tag in ("discovery", "service_definition"):
        return _row(root)
    return [_row(item) for item in root]


def errors(response: httpx.Response, fmt: str) -> list[dict[str, Any]]:
    """The spec's error list; every error's code is the HTTP status."""
    found = parse(response, fmt)
    if fmt == "xml":
        assert ElementTree.fromstring(response.content).tag == "errors"
    assert found and all(str(e["code"]) == str(response.status_code) for e in found)
    assert all(e["description"] for e in found)
    return found


def same(json_rows: list[dict[str, Any]], xml_rows: list[dict[str, Any]]) -> None:
    """XML carries the same rows as JSON (as text: `null` is an empty element)."""

    def text(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return [text(v) for v in value]
        return str(value)

    assert [{k: text(v) for k, v in r.items()} for r in json_rows] == xml_rows


class Open311:
    def __init__(self, http: TestClient) -> None:
        self.http = http

    def get(self, path: str, fmt: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/open311/v2/{path}.{fmt}", params=params)

    def post(self, fmt: str, headers: dict[str, str] | None = None, **form: Any) -> httpx.Response:
        return self.http.post(f"/open311/v2/requests.{fmt}", data=form, headers=headers)


# --- the deployment ------------------------------------------------------------------------


@pytest.fixture
def runtime(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")  # a rule change counts at once
    return build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)


@pytest.fixture
def http(runtime: Runtime) -> Iterator[TestClient]:
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as client:
        yield client


@pytest.fixture
def api(http: TestClient) -> Open311:
    return Open311(http)


@pytest.fixture
def key(runtime: Runtime) -> str:
    return create_key(runtime.engine, "portal-kota")


def complaint(runtime: Runtime, code: str) -> Complaint:
    with transaction(runtime.engine) as session:
        found = session.exec(select(Complaint).where(Complaint.code == code)).one()
        session.expunge(found)
        return found


def file_on_telegram(runtime: Runtime, text: str, sender: str = "telegram:777") -> str:
    """A complaint from another channel, through the pipeline."""
    outcome = runtime.pipeline.handle(
        InboundMessage(
            channel="telegram",
            external_id=f"{sender}:{text[:20]}",
            sender=sender,
            sender_name="Siti Aminah",
            text=text,
        )
    )
    assert outcome.complaint_code is not None
    return outcome.complaint_code


def post_ok(api: Open311, key: str, fmt: str = "json", **form: Any) -> str:
    form = {"api_key": key, "lat": "-6.9175", "long": "107.6191", **form}
    response = api.post(fmt, **form)
    assert response.status_code == 201, response.text
    (filed,) = parse(response, fmt)
    return filed["service_request_id"]


# --- discovery and services -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_both_formats(api: Open311, fmt: str) -> None:
    response = api.get("discovery", fmt)
    assert response.status_code == 200
    document = parse(response, fmt)
    assert document["contact"] == "Pemerintah Kabupaten Contoh"
    datetime.fromisoformat(document["changeset"])
    (endpoint,) = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}


def test_services_are_the_public_categories_in_json_and_xml(api: Open311) -> None:
    listed = {fmt: parse(api.get("services", fmt), fmt) for fmt in FORMATS}
    same(listed["json"], listed["xml"])
    by_code = {s["service_code"]: s for s in listed["json"]}
    assert "pungli" not in by_code  # configured not public: it protects the reporter
    assert {"jalan_rusak", "sampah", "lampu_jalan", "lainnya"} <= set(by_code)
    road = by_code["jalan_rusak"]
    assert road == {
        "service_code": "jalan_rusak",
        "service_name": "Jalan rusak",
        "description": "Jalan rusak",
        "metadata": False,
        "type": "realtime",
        "keywords": road["keywords"],
        "group": "Dinas Pekerjaan Umum dan Penataan Ruang",
    }
    keywords = road["keywords"].split(", ")
    assert "jalan rusak" in keywords and "jalan berlubang" in keywords and len(keywords) == 20
    english = parse(api.get("services", "json", lang="en"), "json")
    assert {s["service_code"]: s["service_name"] for s in english}["jalan_rusak"] == "Damaged road"


def test_services_follow_the_rules_in_force(runtime: Runtime, api: Open311) -> None:
    """A category made public by a rule change is a service at once, without a restart."""
    from aduan.rules.store import save_version

    rules = runtime.rules().ruleset.model_copy(deep=True)
    rules.categories["pungli"].public = True
    del rules.categories["pohon"]
    save_version(runtime.engine, rules, "admin", "pungli shown", opds=runtime.config.opds)
    codes = {s["service_code"] for s in parse(api.get("services", "json"), "json")}
    assert "pungli" in codes and "pohon" not in codes


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_and_unknown_or_private_services(api: Open311, fmt: str) -> None:
    response = api.get("services/sampah", fmt)
    assert response.status_code == 200
    definition = parse(response, fmt)
    assert definition["service_code"] == "sampah"
    assert definition["attributes"] in ([], None)  # none asked for (XML: an empty element)
    for code in ("pungli", "tidak_ada"):
        refused = api.get(f"services/{code}", fmt)
        assert refused.status_code == 404
        assert "service_code" in errors(refused, fmt)[0]["description"]


# --- posting --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_files_a_complaint_through_the_pipeline(
    runtime: Runtime, api: Open311, key: str, fmt: str
) -> None:
    """service_code fixes the category (the text alone would say rubbish); the contact is the
    e-mail and name given; the citizen is acknowledged and the OPD is sent the complaint."""
    response = api.post(
        fmt,
        api_key=key,
        service_code="jalan_rusak",
        lat="-6.9175",
        long="107.6191",
        address_string="Jl. Merdeka 10",
        description="Tumpukan sampah menutup separuh jalan",
        email="Warga@Example.id",
        phone="+62 812 1111 2222",
        first_name="Budi",
        last_name="Santoso",
        account_id="acc-42",
        media_url="https://foto.example.id/lubang.jpg",
        jurisdiction_id="kab-contoh",  # accepted and ignored: one jurisdiction here
    )
    assert response.status_code == 201, response.text
    (filed,) = parse(response, fmt)
    code = filed["service_request_id"]
    assert code.startswith("ADU-") and filed["token"] == code
    assert filed["account_id"] == "acc-42"
    assert code in filed["service_notice"] and "Jalan rusak" in filed["service_notice"]

    stored = complaint(runtime, code)
    assert (stored.category, stored.opd, stored.status) == ("jalan_rusak", "DPUPR", "routed")
    assert (stored.location_lat, stored.location_lon) == (-6.9175, 107.6191)
    assert stored.location_address == "Jl. Merdeka 10"
    assert stored.attachments[0]["url"] == "https://foto.example.id/lubang.jpg"
    assert stored.due_at is not None
    with transaction(runtime.engine) as session:
        contact = session.get(Contact, stored.contact_id)
        assert contact is not None
        assert (contact.channel, contact.address, contact.display_name) == (
            "web",
            "web:portal-kota:mailto:warga@example.id",
            "Budi Santoso",
        )
        outbox = session.exec(select(OutboxItem).where(OutboxItem.complaint_id == stored.id))
        kinds = sorted(item.idempotency_key.split(":")[0] for item in outbox)
        assert kinds == ["ack", "dispatch"]  # acknowledged, and sent to the OPD
        (inbound,) = session.exec(
            select(Message).where(Message.complaint_id == stored.id, Message.direction == "in")
        )
        assert key not in json.dumps(inbound.payload)  # the key itself is never stored


def test_a_repeated_post_is_one_complaint_as_on_the_web_channel(
    runtime: Runtime, api: Open311, key: str
) -> None:
    """The same Idempotency-Key is the same delivery; the same citizen repeating an open
    problem joins it; another citizen's report of it is linked."""
    form = {"service_code": "lampu_jalan", "description": "Lampu jalan mati di gang mawar"}
    retry = {"Idempotency-Key": "app-123"}
    first = api.post("json", headers=retry, api_key=key, address_string="Gang Mawar", **form)
    again = api.post("json", headers=retry, api_key=key, address_string="Gang Mawar", **form)
    assert (first.status_code, again.status_code) == (201, 200)
    code = first.json()[0]["service_request_id"]
    assert again.json()[0]["service_request_id"] == code

    market = {"service_code": "sampah", "description": "Sampah menumpuk di Pasar Baru"}
    own = post_ok(api, key, email="ani@example.id", **market)
    repeated = api.post(
        "json", api_key=key, email="ani@example.id", lat="-6.9", long="107.6", **market
    )
    assert repeated.status_code == 200
    assert repeated.json()[0]["service_request_id"] == own  # joined, not filed again
    assert own in repeated.json()[0]["service_notice"]
    other = post_ok(api, key, email="budi@example.id", **market)
    assert other != own

    with transaction(runtime.engine) as session:
        filed = session.exec(select(Complaint.code, Complaint.category)).all()
    assert sorted(category for _, category in filed) == ["lampu_jalan", "sampah", "sampah"]
    assert complaint(runtime, other).duplicate_of_id == complaint(runtime, own).id


@pytest.mark.parametrize("fmt", FORMATS)
def test_refused_posts_answer_the_spec_error_and_store_nothing(
    runtime: Runtime, api: Open311, key: str, fmt: str
) -> None:
    revoked = create_key(runtime.engine, "lama")
    revoke_keys(runtime.engine, "lama", actor="admin")
    here = {"lat": "-6.9", "long": "107.6", "service_code": "sampah", "description": "Sampah"}
    cases = [
        ({**here}, 400, "api_key"),
        ({**here, "api_key": "aduan_web_salah"}, 403, "api_key"),
        ({**here, "api_key": revoked}, 403, "api_key"),
        ({"api_key": key, "service_code": "sampah", "description": "x"}, 400, "location"),
        ({**here, "api_key": key, "long": ""}, 400, "lat and long"),
        ({**here, "api_key": key, "lat": "utara"}, 400, "lat"),
        ({**here, "api_key": key, "lat": "95"}, 400, "lat"),
        ({**here, "api_key": key, "service_code": "pungli"}, 400, "service_code"),
        ({**here, "api_key": key, "service_code": "tidak_ada"}, 400, "service_code"),
        ({**here, "api_key": key, "service_code": ""}, 400, "service_code"),
        ({**here, "api_key": key, "email": "bukan-email"}, 400, "email"),
        ({**here, "api_key": key, "media_url": "file:///etc/passwd"}, 400, "media_url"),
        ({**here, "api_key": key, "description": "x" * 4001}, 400, "description"),
        (
            {"api_key": key, "service_code": "sampah", "address_id": "123"},
            400,
            "address_id",
        ),
    ]
    for form, status, mentioned in cases:
        response = api.post(fmt, **form)
        assert response.status_code == status, (form, response.text)
        assert mentioned in errors(response, fmt)[0]["description"], form
    as_json = api.http.post(
        f"/open311/v2/requests.{fmt}", json={"api_key": key, **here}
    )  # the spec posts a form
    assert as_json.status_code == 400
    errors(as_json, fmt)
    with transaction(runtime.engine) as session:
        assert session.exec(select(Complaint)).all() == []


# --- reading --------------------------------------------------------------------------------


def set_complaint(runtime: Runtime, code: str, **values: Any) -> None:
    with transaction(runtime.engine) as session:
        found = session.exec(select(Complaint).where(Complaint.code == code)).one()
        for name, value in values.items():
            setattr(found, name, value)
        session.add(found)


def resolve(runtime: Runtime, code: str, note: str) -> None:
    """Staff take the complaint up and resolve it, as the OPD would."""
    for target, said in (("in_progress", None), ("resolved", note)):
        with transaction(runtime.engine) as session:
            found = session.exec(select(Complaint).where(Complaint.code == code)).one()
            change_status(session, found, target, "staff:dpupr", runtime.ctx, note=said)


@pytest.fixture
def filed(runtime: Runtime, api: Open311, key: str) -> dict[str, str]:
    """Complaints of every kind the public view must tell apart."""
    codes = {
        "road": post_ok(
            api,
            key,
            service_code="jalan_rusak",
            description=PERSONAL_TEXT,
            email=PERSONAL["email"],
            phone=PERSONAL["phone"],
            first_name="Budi",
            last_name="Santoso",
            address_string=f"Depan rumah {PERSONAL['name']}, Jl. Merdeka 10",
            media_url="https://foto.example.id/lubang.jpg",
        ),
        "rubbish": file_on_telegram(runtime, "Sampah menumpuk di pasar baru sudah 3 hari bau"),
        "bribe": file_on_telegram(
            runtime, "Oknum petugas minta uang pungli 50 ribu waktu urus KTP", "telegram:888"
        ),
        "old": post_ok(api, key, service_code="drainase", description="Selokan mampet total"),
        "lamp": post_ok(api, key, service_code="lampu_jalan", description="Lampu jalan mati"),
        "unsure": post_ok(api, key, service_code="pohon", description="Pohon tumbang di jalan"),
    }
    assert complaint(runtime, codes["rubbish"]).category == "sampah"
    assert complaint(runtime, codes["bribe"]).category == "pungli"
    set_complaint(runtime, codes["old"], created_at=datetime.now(UTC) - timedelta(days=100))
    set_complaint(runtime, codes["unsure"], status="needs_review")  # awaiting an admin
    resolve(runtime, codes["lamp"], "Lampu sudah diganti. Info: 081298765432")
    return codes


def listed(api: Open311, fmt: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get("requests", fmt, **params)
    assert response.status_code == 200, response.text
    return parse(response, fmt)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["service_request_id"] for row in rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters_as_the_spec_says(
    api: Open311, filed: dict[str, str], fmt: str
) -> None:
    road, rubbish, lamp, old = filed["road"], filed["rubbish"], filed["lamp"], filed["old"]
    default = listed(api, fmt)
    # The last 90 days, newest first; never pungli, never one still awaiting review.
    assert ids(default) == [lamp, rubbish, road]
    assert all(set(row) == DOCUMENTED_FIELDS for row in default)
    if fmt == "xml":
        same(listed(api, "json"), default)

    by_id = listed(api, fmt, service_request_id=f"{old},{road},{filed['bribe']}")
    assert ids(by_id) == [road, old]  # ids override the window; pungli stays hidden
    assert ids(listed(api, fmt, service_request_id="bukan-kode")) == []
    assert ids(listed(api, fmt, service_code="sampah")) == [rubbish]
    assert ids(listed(api, fmt, service_code="sampah,jalan_rusak")) == [rubbish, road]
    assert ids(listed(api, fmt, service_code="pungli")) == []
    assert ids(listed(api, fmt, status="closed")) == [lamp]
    assert ids(listed(api, fmt, status="open")) == [rubbish, road]
    assert ids(listed(api, fmt, status="open,closed")) == [lamp, rubbish, road]
    assert ids(listed(api, fmt, status="closed", service_code="jalan_rusak")) == []
    long_ago = datetime.now(UTC) - timedelta(days=120)
    assert ids(
        listed(
            api,
            fmt,
            start_date=long_ago.isoformat(),
            end_date=(long_ago + timedelta(days=30)).isoformat(),
        )
    ) == [old]
    recent = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(listed(api, fmt, start_date=recent)) == [lamp, rubbish, road]
    assert ids(listed(api, fmt, end_date=long_ago.isoformat())) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_its_token_and_its_status_by_polling(
    runtime: Runtime, api: Open311, filed: dict[str, str], fmt: str
) -> None:
    road = filed["road"]
    (row,) = parse(api.get(f"requests/{road}", fmt), fmt)
    stored = complaint(runtime, road)
    assert set(row) == DOCUMENTED_FIELDS
    assert row["service_request_id"] == road
    assert row["status"] == "open" and row["status_notes"] is None
    assert (row["service_code"], row["service_name"]) == ("jalan_rusak", "Jalan rusak")
    assert row["agency_responsible"] == "Dinas Pekerjaan Umum dan Penataan Ruang"
    assert row["service_notice"] == "Diteruskan ke instansi"
    assert datetime.fromisoformat(row["requested_datetime"]) == stored.created_at.replace(
        microsecond=0
    )
    assert datetime.fromisoformat(row["expected_datetime"]) == stored.due_at.replace(microsecond=0)
    assert datetime.fromisoformat(row["updated_datetime"]).tzinfo is not None
    assert (float(row["lat"]), float(row["long"])) == (-6.9175, 107.6191)
    assert row["address"] == "Depan rumah [nama], Jl. Merdeka 10"
    assert row["media_url"] == "https://foto.example.id/lubang.jpg"
    assert row["address_id"] is None and row["zipcode"] is None
    # Another channel's attachments are provider references, never published.
    (rubbish,) = parse(api.get(f"requests/{filed['rubbish']}", fmt), fmt)
    assert rubbish["media_url"] is None and rubbish["lat"] is None

    token = parse(api.get(f"tokens/{road}", fmt), fmt)
    assert token == [{"service_request_id": road, "token": road}]

    resolve(runtime, road, "Sudah ditambal. Tanya lagi ke budi.santoso@example.id")
    (polled,) = parse(api.get(f"requests/{road}", fmt), fmt)
    assert polled["status"] == "closed" and polled["service_notice"] == "Selesai"
    assert polled["status_notes"] == "Sudah ditambal. Tanya lagi ke [email]"
    assert polled["updated_datetime"] >= row["updated_datetime"]

    for hidden in (filed["bribe"], filed["unsure"], "ADU-22222", "bukan-kode"):
        refused = api.get(f"requests/{hidden}", fmt)
        assert refused.status_code == 404, hidden
        errors(refused, fmt)
        assert api.get(f"tokens/{hidden}", fmt).status_code == 404


def test_nothing_personal_is_ever_served(api: Open311, filed: dict[str, str]) -> None:
    """Not the name, phone, e-mail or NIK typed into the text, nor the contact given."""
    bodies = []
    for fmt in FORMATS:
        bodies.append(api.get("requests", fmt, status="open,closed").text)
        bodies.append(api.get("requests", fmt, service_request_id=",".join(filed.values())).text)
        for code in filed.values():
            bodies.append(api.get(f"requests/{code}", fmt).text)
    served = "\n".join(bodies)
    assert filed["road"] in served
    forbidden = [*PERSONAL.values(), "Budi", "Santoso", "Siti", "Aminah", "081298765432"]
    forbidden += ["6281234567890", "8139876543", "budi.santoso", "telegram:", "mailto:"]
    for value in forbidden:
        assert value not in served, value
    assert "pungli" not in served and "KTP" not in served
    (road,) = parse(api.get(f"requests/{filed['road']}", "json"), "json")
    assert road["description"] == (
        "Jalan berlubang besar di depan rumah saya, nama saya [nama], "
        "hubungi [telepon] atau [telepon] atau [email], NIK [nomor]"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_queries_answer_the_spec_error(api: Open311, fmt: str) -> None:
    now = datetime.now(UTC)
    cases = [
        ({"start_date": "kemarin"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        (
            {"start_date": (now - timedelta(days=100)).isoformat(), "end_date": now.isoformat()},
            "90 days",
        ),
        (
            {"start_date": now.isoformat(), "end_date": (now - timedelta(days=1)).isoformat()},
            "after",
        ),
        ({"status": "pending"}, "status"),
        ({"start_date": "9999-12-31T00:00:00Z"}, "out of range"),
        ({"end_date": "0001-01-01T00:00:00Z"}, "out of range"),
    ]
    for params, mentioned in cases:
        response = api.get("requests", fmt, **params)
        assert response.status_code == 400, params
        assert mentioned in errors(response, fmt)[0]["description"], params
    for path in ("requests.csv", "services.yaml", "nothing.json", "requests/ADU-22222.json"):
        missing = api.http.get(f"/open311/v2/{path}")
        assert missing.status_code == 404, path
        errors(missing, "json")
    wrong_method = api.http.delete("/open311/v2/requests.xml")
    assert wrong_method.status_code == 405
    errors(wrong_method, "xml")


def test_xml_stays_well_formed_whatever_the_citizen_typed(api: Open311, key: str) -> None:
    code = post_ok(
        api,
        key,
        "xml",
        service_code="jalan_rusak",
        description='Jalan <rusak> & "licin" ]]> \x0b\x01 parah — 100% 🙏',
        address_string="Jl. A&B <3>",
    )
    (row,) = parse(api.get(f"requests/{code}", "xml"), "xml")
    assert row["description"] == 'Jalan <rusak> & "licin" ]]>  parah — 100% 🙏'
    assert row["address"] == "Jl. A&B <3>"


def nth_code(n: int) -> str:
    """The n-th tracking code, counting in the codes' own alphabet."""
    digits = []
    for _ in range(5):
        n, digit = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "ADU-" + "".join(digits)


def test_at_most_1000_requests_are_answered(
    runtime: Runtime, api: Open311, filed: dict[str, str]
) -> None:
    road = complaint(runtime, filed["road"])
    with transaction(runtime.engine) as session:
        session.add_all(
            Complaint(
                code=nth_code(n),
                contact_id=road.contact_id,
                channel="web",
                text=f"Jalan rusak nomor {n}",
                category="jalan_rusak",
                opd="DPUPR",
                status="routed",
            )
            for n in range(1000)
        )
    rows = listed(api, "json")
    assert len(rows) == 1000
    assert filed["lamp"] not in ids(rows)  # the oldest fall off: newest first


def test_reading_is_rate_limited_per_address_in_the_spec_shape(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(config.read_text())
    data["http"]["rate_limits"]["open311"] = "5/minute"
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    runtime = build_runtime(config, sqlite_url, migrate=True)
    app = create_app(runtime, build_adapters(runtime.config.channels, env={})[0])
    guesser = TestClient(app, client=("203.0.113.7", 40000))
    answers = [guesser.get("/open311/v2/requests/ADU-22222.xml") for _ in range(7)]
    assert [a.status_code for a in answers] == [404] * 5 + [429] * 2
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert "too many requests" in errors(answers[-1], "xml")[0]["description"]
    posting = guesser.post("/open311/v2/requests.json", data={"service_code": "sampah"})
    assert posting.status_code == 429
    errors(posting, "json")
    neighbour = TestClient(app, client=("203.0.113.8", 40000))
    assert neighbour.get("/open311/v2/services.json").status_code == 200


def test_api_keys_from_the_cli_are_audited_and_revocable(tmp_path: Path, sqlite_url: str) -> None:
    """`aduan open311 key create|list|revoke`, as an admin would run them."""
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), sqlite_url, migrate=True)
    app = create_app(runtime, build_adapters(runtime.config.channels, env={})[0])
    api, env = Open311(TestClient(app)), aduan_env(sqlite_url)
    created = run_cli(["open311", "key", "create", "kota-app", "--actor", "ani"], env, tmp_path)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    post_ok(api, key, service_code="sampah", description="Sampah di taman kota")
    listing = run_cli(["open311", "key", "list"], env, tmp_path)
    assert "kota-app" in listing.stdout and "active" in listing.stdout
    assert key not in listing.stdout
    revoked = run_cli(["open311", "key", "revoke", "kota-app", "--actor", "ani"], env, tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    refused = api.post("json", api_key=key, service_code="sampah", address_string="Taman")
    assert refused.status_code == 403
    with transaction(runtime.engine) as session:
        audit = session.exec(select(Event).where(Event.kind.like("web_key_%"))).all()
    assert [(e.kind, e.actor) for e in audit] == [
        ("web_key_created", "cli:ani"),
        ("web_key_revoked", "cli:ani"),
    ]
