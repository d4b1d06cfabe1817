"""A complaint's life after intake, through the public interfaces (web channel, OPD API).

Citizens and staff both write through the web channel here (staff are registered by their
web address); the same staff path serves Telegram groups and email replies.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from storage.engine import transaction
from storage.models import Complaint, Contact, Event, Message, OutboxItem, Staff, StaffAddress
from tests.support.deployment import write_config
from tests.support.web_clients import key_headers

STAFF = [
    {"name": "Budi", "opd": "DPUPR", "addresses": ["web:kota:budi-dpupr"]},
    {"name": "Sari", "opd": "DLH", "addresses": ["web:kota:sari-dlh"]},
    {"name": "Dedi", "opd": "BPBD", "addresses": ["web:kota:dedi-bpbd"]},
    {"name": "Admin", "role": "admin", "addresses": ["web:kota:admin"]},
]


class Town:
    """Citizens and staff talking to one Aduan through the city's web portal (client `kota`)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
        self.portal = key_headers(self.engine, "kota")
        self.sent = 0

    def say(self, who: str, text: str, **fields: Any) -> dict[str, Any]:
        self.sent += 1
        response = self.client.post(
            "/api/v1/web/messages",
            json={"id": f"m{self.sent}", "sender": who, "text": text, **fields},
            headers=self.portal,
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def inbox(self, who: str) -> list[str]:
        with transaction(self.engine) as session:
            address = f"web:kota:{who}"
            contact = session.exec(select(Contact).where(Contact.address == address)).one()
            rows = session.exec(
                select(Message)
                .where(Message.contact_id == contact.id)
                .where(Message.direction == "out")
                .order_by(Message.id)
            ).all()
        return [m.text for m in rows]

    def complaint(self, code: str) -> Complaint:
        with transaction(self.engine) as session:
            return session.exec(select(Complaint).where(Complaint.code == code)).one()

    def dispatches(self, code: str) -> list[dict[str, Any]]:
        with transaction(self.engine) as session:
            complaint = session.exec(select(Complaint).where(Complaint.code == code)).one()
            rows = session.exec(
                select(OutboxItem)
                .where(OutboxItem.kind == "dispatch")
                .where(OutboxItem.complaint_id == complaint.id)
                .order_by(OutboxItem.id)
            ).all()
        return [r.payload["document"] for r in rows]

    def events(self, code: str, kind: str) -> list[Event]:
        with transaction(self.engine) as session:
            complaint = session.exec(select(Complaint).where(Complaint.code == code)).one()
            return list(
                session.exec(
                    select(Event)
                    .where(Event.complaint_id == complaint.id)
                    .where(Event.kind == kind)
                )
            )


@pytest.fixture
def town(tmp_path: Path, database_url: str) -> Iterator[Town]:
    runtime = build_runtime(
        write_config(tmp_path / "config.yaml", staff=STAFF), database_url, migrate=True
    )
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as client:
        yield Town(client)
    runtime.engine.dispose()


def test_question_answer_progress_resolution_and_rating(town: Town) -> None:
    filed = town.say("siti", "Jalan berlubang besar di Jl. Merdeka km 3, motor sering jatuh")
    code = filed["code"]
    assert (filed["opd"], filed["status"]) == ("DPUPR", "routed")

    staff = town.say("budi-dpupr", f"/tanya {code} Lubangnya di sisi kiri atau kanan jalan?")
    assert staff["result"] == "staff" and staff["reply"] == f"{code}: pesan diteruskan ke warga."
    answered = town.say("siti", "sisi kiri, depan warung bu imas")
    assert answered["reply"].startswith(f"Terima kasih, jawaban Anda untuk {code}")
    (answer,) = [d for d in town.dispatches(code) if d["event"] == "complaint.citizen_answer"]
    assert answer["message"] == f"{code} - jawaban warga: sisi kiri, depan warung bu imas"
    assert town.complaint(code).status == "routed"  # an answer is not a new complaint

    town.say("budi-dpupr", f"/proses {code} Tim ke lokasi besok pagi")
    done = town.say("budi-dpupr", f"/selesai {code} Lubang sudah ditambal")
    assert done["reply"] == f"{code}: status kini Selesai."
    rated = town.say("siti", "5")  # the number answers the rating prompt's choices

    inbox = town.inbox("siti")
    assert inbox[0].startswith(f"Laporan diterima. Kode: {code}.")
    assert inbox[1:] == [
        f"{code} - pertanyaan dari Dinas Pekerjaan Umum dan Penataan Ruang: Lubangnya di sisi "
        "kiri atau kanan jalan? (balas pesan ini untuk menjawab)",
        answered["reply"],
        f"{code}: status kini Sedang ditangani. Catatan: Tim menuju lokasi besok pagi".replace(
            "menuju lokasi", "ke lokasi"
        ),
        f"{code}: status kini Selesai. Catatan: Lubang sudah ditambal. Beri nilai 1-5 untuk "
        f"penanganan {code}, atau balas BELUM BERES jika masalahnya belum selesai.",
        f"Terima kasih, nilai 5 untuk {code} sudah kami catat.",
    ]
    assert rated["reply"] == inbox[-1]
    complaint = town.complaint(code)
    assert (complaint.status, complaint.rating) == ("resolved", 5)
    assert complaint.first_response_at is not None and complaint.resolved_at is not None


def test_rejection_needs_a_reason_and_reaches_the_citizen_in_english(town: Town) -> None:
    code = town.say(
        "john", "Piles of garbage at the market, not collected for a week", language="en"
    )["code"]
    assert town.complaint(code).opd == "DLH"
    refused = town.say("sari-dlh", f"/tolak {code}")
    assert "reason is required" in refused["reply"]
    assert town.complaint(code).status == "routed" and len(town.inbox("john")) == 1
    town.say("sari-dlh", f"/tolak {code} Lokasi di luar wilayah kabupaten")
    assert town.inbox("john")[1:] == [
        f"{code}: status is now Rejected. Note: Lokasi di luar wilayah kabupaten"
    ]


def test_reassigned_complaint_is_resolved_by_the_new_opd_then_reopened(town: Town) -> None:
    code = town.say("ani", "Jalan tertutup pohon besar tumbang di Jl. Kenanga, aspal retak parah")[
        "code"
    ]
    town.complaint(code)
    if town.complaint(code).opd != "DPUPR":  # make the starting point explicit
        town.say("admin", f"/alihkan {code} DPUPR mulai dari DPUPR")
    moved = town.say("budi-dpupr", f"/alihkan {code} DLH pohon tumbang urusan DLH")
    assert moved["reply"] == f"{code} dialihkan ke Dinas Lingkungan Hidup."
    assert town.complaint(code).opd == "DLH"
    assert town.dispatches(code)[-1]["event"] == "complaint.reassigned"
    assert town.dispatches(code)[-1]["opd"] == "DLH"

    blocked = town.say("budi-dpupr", f"/proses {code}")  # no longer DPUPR's complaint
    assert "tidak berwenang" in blocked["reply"]
    town.say("sari-dlh", f"/selesai {code} Pohon sudah dipotong dan diangkut")
    town.say("ani", "belum beres, dahannya masih menutup separuh jalan")
    complaint = town.complaint(code)
    assert complaint.status == "reopened" and complaint.resolved_at is None
    reopened = town.dispatches(code)[-1]
    assert reopened["event"] == "complaint.reopened"
    # The OPD is told why, and the reason stays in the audit trail.
    assert reopened["reason"] == "dahannya masih menutup separuh jalan"
    assert reopened["notice"].startswith(f"Dibuka kembali: warga menyatakan laporan {code}")
    assert "Alasan warga: dahannya masih menutup separuh jalan." in reopened["notice"]
    (event,) = [e for e in town.events(code, "status") if e.to_status == "reopened"]
    assert event.note == "dahannya masih menutup separuh jalan"
    notices = [t for t in town.inbox("ani") if ": status kini" in t]
    assert [n.split("status kini ")[1].split(".")[0] for n in notices][-3:] == [
        "Dialihkan",
        "Selesai",
        "Dibuka kembali",
    ]


def test_staff_of_another_opd_is_refused_audited_and_nothing_changes(town: Town) -> None:
    code = town.say("siti", "Jalan berlubang besar di Jl. Merdeka km 3, motor sering jatuh")["code"]
    refused = town.say("sari-dlh", f"/selesai {code} sudah")
    assert refused["reply"] == (
        f"Maaf, laporan {code} ditangani Dinas Pekerjaan Umum dan "
        "Penataan Ruang; Anda tidak berwenang mengubahnya."
    )
    assert town.complaint(code).status == "routed"
    assert len(town.inbox("siti")) == 1
    (audit,) = town.events(code, "refused")
    assert audit.actor == "web:kota:sari-dlh" and "DPUPR" in (audit.note or "")
    stranger = town.say("nobody", f"/selesai {code} sudah")  # not staff: a citizen's message
    assert stranger["result"] != "staff" and town.complaint(code).status == "routed"


def test_three_reports_of_one_flood_make_one_dispatch_and_three_informed(town: Town) -> None:
    reports = [
        (
            "warga-a",
            "Banjir setinggi lutut di Jl. Sudirman depan masjid, air masuk rumah",
            (-6.9175, 107.6191),
        ),
        ("warga-b", "banjir di jl sudirman dekat masjid sudah setinggi lutut", (-6.9178, 107.6195)),
        (
            "warga-c",
            "Jl Sudirman banjir lagi, air setinggi lutut depan masjid",
            (-6.9172, 107.6189),
        ),
    ]
    results = [
        town.say(who, text, location={"lat": lat, "lon": lon}) for who, text, (lat, lon) in reports
    ]
    first = results[0]["code"]
    assert [r["result"] for r in results] == ["complaint", "linked", "linked"]
    assert all(r["opd"] == "BPBD" for r in results)
    assert len(town.dispatches(first)) == 1
    assert all(not town.dispatches(r["code"]) for r in results[1:])
    assert first not in results[1]["reply"] and results[1]["code"] in results[1]["reply"]

    town.say("dedi-bpbd", f"/selesai {first} Air sudah surut, saluran dibersihkan")
    for (who, _, _), result in zip(reports, results, strict=True):
        last = town.inbox(who)[-1]
        assert last.startswith(f"{result['code']}: status kini Selesai."), last
        assert town.complaint(result["code"]).status == "resolved"


def test_far_away_flood_is_a_separate_complaint(town: Town) -> None:
    first = town.say(
        "warga-a",
        "Banjir setinggi lutut di Jl. Sudirman depan masjid",
        location={"lat": -6.9175, "lon": 107.6191},
    )
    other = town.say(
        "warga-b",
        "Banjir setinggi lutut di Jl. Sudirman depan masjid",
        location={"lat": -6.95, "lon": 107.70},
    )
    assert (first["result"], other["result"]) == ("complaint", "complaint")


def test_same_citizen_repeating_joins_the_open_complaint(town: Town) -> None:
    first = town.say("siti", "Sampah menumpuk di TPS pasar baru sudah seminggu")
    again = town.say("siti", "Sampah di TPS pasar baru masih belum diangkut, bau sekali")
    assert again["result"] == "joined" and again["code"] == first["code"]
    assert len(town.dispatches(first["code"])) == 1
    assert again["reply"].startswith(f"Keluhan ini sudah tercatat dengan kode {first['code']}")


def test_stop_silences_the_citizen_until_start(town: Town) -> None:
    code = town.say("pak-ujang", "Lampu jalan mati di gang mawar sudah tiga malam")["code"]
    stopped = town.say("pak-ujang", "STOP")
    assert stopped["reply"] == (
        "Baik, Anda tidak akan menerima pesan dari kami lagi. Kirim START bila ingin menerima "
        "kabar laporan Anda kembali."
    )
    town.say("admin", f"/proses {code} dicek petugas")
    with transaction(town.engine) as session:
        contact = session.exec(select(Contact).where(Contact.address == "web:kota:pak-ujang")).one()
        assert contact.opted_out
        items = session.exec(
            select(OutboxItem)
            .join(Message, OutboxItem.message_id == Message.id)
            .where(Message.contact_id == contact.id)
            .order_by(OutboxItem.id)
        ).all()
        # The acknowledgement and STOP's confirmation go out (in the web channel's answers,
        # so stored as sent with their commit); the status change is kept, never sent.
        assert [i.status for i in items] == ["sent", "sent", "dead"]
        assert "Sedang ditangani" in items[-1].payload["text"]
    town.say("pak-ujang", "START")
    assert town.inbox("pak-ujang")[-1].startswith("Selamat datang")


def test_status_shows_the_citizen_staff_notes_never_the_classifier_internals(town: Town) -> None:
    code = town.say("rina", "Jalan berlubang besar di Jl. Merdeka km 5, motor sering jatuh")["code"]
    fresh = town.say("rina", f"STATUS {code}")["reply"]
    assert code in fresh and "Dinas Pekerjaan Umum" in fresh
    for internal in ("Catatan", "->", "jalan_rusak", "DPUPR", "0."):
        assert internal not in fresh, fresh

    town.say("budi-dpupr", f"/proses {code} Tim ke lokasi besok pagi")
    later = town.say("rina", f"STATUS {code}")["reply"]
    assert "Catatan: Tim ke lokasi besok pagi" in later


def test_bare_status_lists_five_open_reports_and_says_how_many_more(town: Town) -> None:
    problems = [
        "Jalan berlubang besar di Jl. Merdeka km 7, motor sering jatuh",
        "Sampah menumpuk di TPS Pasar Baru sudah seminggu tidak diangkut",
        "Lampu penerangan jalan di Jl. Sudirman mati semua sejak tiga hari",
        "Saluran air got di Gang Melati tersumbat dan meluap ke rumah warga",
        "Pohon tumbang menutup Jl. Ahmad Yani dekat pertigaan",
        "Air PDAM di Perumahan Griya Asri tidak mengalir sejak kemarin",
        "Pengurusan KTP elektronik saya belum selesai sudah tiga bulan",
    ]
    codes = {town.say("wati", text)["code"] for text in problems}
    assert len(codes) == 7
    reply = town.say("wati", "STATUS")["reply"]
    assert reply.startswith("Laporan Anda yang masih terbuka: ")
    assert sum(code in reply for code in codes) == 5
    assert reply.endswith("dan 2 laporan lainnya. Kirim STATUS <kode> untuk satu laporan.")


@pytest.mark.parametrize(
    "salam", ["Assalamualaikum", "assalamu'alaikum pak", "Assalamu alaikum wr wb", "salam"]
)
def test_a_salam_is_answered_in_kind_and_a_hello_with_hello(town: Town, salam: str) -> None:
    answer = town.say("yusuf", salam)
    assert answer["reply"].startswith("Waalaikumsalam. Silakan tulis keluhan Anda"), answer
    assert "code" not in answer or not answer["code"]  # a greeting files nothing
    hello = town.say("yusuf", "halo")["reply"]
    assert hello.startswith("Halo!") and "Waalaikumsalam" not in hello


def test_a_bare_number_with_no_choice_pending_says_how_to_report(town: Town) -> None:
    answer = town.say("nina", "2")
    assert answer["reply"].startswith("Tidak ada pilihan nomor 2 yang menunggu jawaban Anda."), (
        answer
    )
    assert "kosong" not in answer["reply"] and "Jalan berlubang di Jl. Merdeka" in answer["reply"]
    assert not answer.get("code")  # a stray number files nothing
    town.say("nina", "/bahasa en")
    english = town.say("nina", " 7 ")["reply"]
    assert english.startswith("There is no choice number 7 waiting for your answer."), english


def test_choosing_a_language_is_confirmed_in_that_language(town: Town) -> None:
    english = town.say("maria", "/bahasa en")["reply"]
    assert english.startswith("OK, from now on we reply in English. ")
    code = town.say("maria", "Streetlights on Jl. Sudirman have been off for three nights")["code"]
    assert town.inbox("maria")[-1].startswith("Report received")
    back = town.say("maria", "/bahasa id")["reply"]
    assert back.startswith("Baik, mulai sekarang kami membalas dalam Bahasa Indonesia. ")
    assert code in town.say("maria", f"STATUS {code}")["reply"]
    unknown = town.say("maria", "/bahasa fr")["reply"]
    assert "Baik, mulai" not in unknown and "OK, from now on" not in unknown


def test_a_reopening_without_a_reason_still_reaches_the_opd(town: Town) -> None:
    code = town.say("dodi", "Lampu jalan mati di gang mawar sudah tiga malam")["code"]
    town.say("admin", f"/selesai {code} Lampu sudah diganti")
    town.say("dodi", f"BELUM BERES {code}")
    reopened = town.dispatches(code)[-1]
    assert reopened["event"] == "complaint.reopened" and reopened["reason"] is None
    assert "Alasan warga: -." in reopened["notice"]
    assert town.complaint(code).status == "reopened"


@pytest.mark.parametrize(
    "plea", ["tolong dong pak, parah banget", "ada masalah di sini", "mau lapor pak"]
)
def test_a_plea_naming_no_problem_is_asked_what_and_where_not_filed(town: Town, plea: str) -> None:
    answer = town.say("ujang", plea)
    assert not answer.get("code"), answer
    assert answer["reply"].startswith("Agar dapat kami teruskan ke instansi yang tepat")
    assert "apa yang terjadi dan di mana lokasinya" in answer["reply"]
    told = town.say("ujang", "Jalan berlubang besar di Jl. Merdeka km 9 dekat pasar")
    assert told["code"] and told["status"] == "routed"  # once said, it is filed


def test_the_rating_prompt_follows_the_note_as_its_own_sentence_in_english(town: Town) -> None:
    code = town.say(
        "john", "Piles of garbage at the market, not collected for a week", language="en"
    )["code"]
    town.say("sari-dlh", f"/selesai {code} Sampah sudah diangkut")
    assert town.inbox("john")[-1] == (
        f"{code}: status is now Resolved. Note: Sampah sudah diangkut. Rate the handling of "
        f"{code} from 1 to 5, or reply NOT FIXED if the problem remains."
    )


def test_triage_lists_each_text_cut_between_words(town: Town) -> None:
    text = (
        "Pengeras suara hajatan tetangga berbunyi keras sampai tengah malam setiap akhir "
        "pekan, mengganggu istirahat warga sekitar"
    )
    filed = town.say("tuti", text)
    assert filed["status"] == "needs_review"
    listed = town.say("admin", "/triage")["reply"]
    shown = listed.split(f"{filed['code']} (ketertiban): ")[1].split(";")[0]
    assert shown.endswith("…") and len(shown) <= 60
    assert text.startswith(shown[:-1]) and text[len(shown) - 1] == " "  # cut before a space


def test_bare_status_in_english_says_how_many_more(town: Town) -> None:
    problems = [
        "Pothole on Jl. Merdeka km 7, motorbikes keep falling",
        "Garbage piling up at the Pasar Baru dump for a week",
        "Streetlights on Jl. Sudirman have been off for three nights",
        "The drain in Gang Melati is blocked and overflowing into houses",
        "A fallen tree blocks Jl. Ahmad Yani near the junction",
        "No tap water in Perumahan Griya Asri since yesterday",
    ]
    codes = {town.say("anna", text, language="en")["code"] for text in problems}
    assert len(codes) == 6
    reply = town.say("anna", "STATUS")["reply"]
    assert reply.startswith("Your open reports: ")
    assert sum(code in reply for code in codes) == 5
    assert reply.endswith("and 1 more. Send STATUS <code> for one report.")


def test_staff_added_while_the_server_runs_act_without_a_restart(town: Town) -> None:
    code = town.say("warga-baru", "Jalan berlubang besar di Jl. Merdeka dekat pasar")["code"]
    early = town.say("rina-dpupr", f"/proses {code} segera dicek")  # not staff yet
    assert early["result"] != "staff" and town.complaint(code).status == "routed"
    with transaction(town.engine) as session:  # e.g. `aduan staff` or the console, elsewhere
        rina = Staff(name="Rina", opd="DPUPR", origin="console")
        session.add(rina)
        session.flush()
        assert rina.id is not None
        session.add(StaffAddress(staff_id=rina.id, address="web:kota:rina-dpupr"))
    time.sleep(1.2)  # the running pipeline re-reads the staff at most every second
    later = town.say("rina-dpupr", f"/proses {code} segera dicek")
    assert later["result"] == "staff" and town.complaint(code).status == "in_progress"
    assert [e.actor for e in town.events(code, "status")][-1].startswith("staff:Rina")
