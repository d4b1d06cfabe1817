"""What the bot says to citizens, per language, with placeholders checked at start-up."""

from __future__ import annotations

from string import Formatter
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from storage.models import Status

# Which placeholders each template may use; anything else is a config error at start-up.
PLACEHOLDERS: dict[str, set[str]] = {
    "welcome": {"instance"},
    "help": {"instance"},
    "greeting": {"instance"},
    "greeting_salam": {"instance"},
    "language_set": set(),
    "thanks": {"instance"},
    "empty": {"instance"},
    "bare_number": {"number", "instance"},
    "ask_details": {"instance"},
    "opted_out": {"instance"},
    "unsupported": set(),
    "media_refused": {"code", "limit"},
    "media_failed": {"code"},
    "ack": {"code", "category", "opd", "due"},
    "ack_review": {"code", "category", "opd", "due"},
    "status": {"code", "status", "opd", "due", "note", "category"},
    "status_public": {"code", "status", "category"},
    "status_note": {"note"},
    "status_unknown": {"code"},
    "status_list": {"items"},
    "status_more": {"count"},
    "status_none": set(),
    "status_changed": {"code", "status", "note", "opd"},
    "staff_message": {"code", "opd", "text"},
    "opd_complaint": {"code", "category", "opd", "text", "location", "due"},
    "button_in_progress": set(),
    "button_resolve": set(),
    "button_reject": set(),
    "button_reassign": set(),
    "staff_done": {"code", "status"},
    "staff_sent": {"code"},
    "staff_refused": {"code", "opd"},
    "staff_error": {"error"},
    "staff_need_code": set(),
    "staff_unknown_command": set(),
    "staff_reassigned": {"code", "opd"},
    "triage_list": {"items"},
    "triage_empty": set(),
    "staff_question": {"code", "opd", "text"},
    "citizen_answer": {"code", "text"},
    "answer_forwarded": {"code", "opd"},
    "already_reported": {"code", "status"},
    "duplicate_linked": {"code", "opd", "status"},
    "choose_category": {"code"},
    "rate_prompt": {"code"},
    "rated": {"code", "rating"},
    "reopen_expired": {"code", "days"},
    "nothing_to_reopen": set(),
    "sla_reminder": {"code", "category", "opd", "due", "status", "text"},
    "sla_escalation": {"n", "late", "code", "category", "opd", "due", "status", "text"},
    "opd_email": {"code", "category", "opd", "due", "location", "text"},
    "opd_reopened": {"code", "category", "opd", "reason", "text"},
    "citizen_addition": {"code", "attachments", "location"},
    "tracking_link": {"instance", "code", "category", "link"},
}

# Texts for OPD staff and supervisors a config may leave out: each language's own. Every text
# a citizen reads is the config's (config.yaml's templates, in each language).
DEFAULTS: dict[str, dict[str, str]] = {
    "id": {
        "citizen_addition": (
            "{code} - tambahan dari warga: {attachments} lampiran baru. Lokasi: {location}"
        ),
        "opd_reopened": (
            "Dibuka kembali: warga menyatakan laporan {code} ({category}) untuk {opd} belum "
            "beres. Alasan warga: {reason}. Laporan: {text}"
        ),
        "sla_reminder": (
            "Pengingat: laporan {code} ({category}) untuk {opd} jatuh tempo {due}. "
            "Status: {status}. Mohon segera ditindaklanjuti: /proses, /selesai, /tolak "
            "atau /alihkan {code}."
        ),
        "sla_escalation": (
            "Eskalasi ke-{n}: laporan {code} ({category}) untuk {opd} melewati target {due} "
            "dan terlambat {late} jam. Status: {status}. Laporan: {text}"
        ),
        "opd_email": (
            "Kode laporan: {code}\n"
            "Kategori: {category}\n"
            "Instansi: {opd}\n"
            "Target selesai: {due}\n"
            "Lokasi: {location}\n\n"
            "{text}\n\n"
            "Balas email ini untuk menjawab warga. Perintah di baris pertama: "
            "/proses, /selesai catatan, /tolak alasan.\n"
        ),
        "media_failed": (
            "Maaf, lampiran Anda untuk laporan {code} tidak berhasil kami ambil dari layanan "
            "pesan. Laporan Anda tetap kami proses; kirim ulang lampirannya bila perlu."
        ),
        "tracking_link": (
            "{instance}: laporan {code} ({category}) telah diterima. Lihat perkembangannya "
            "dan terima kabar berikutnya di alamat ini lewat tautan pribadi ini: {link} "
            "Bila Anda tidak membuat laporan ini, abaikan pesan ini; kami tidak akan "
            "mengirim kabar lagi."
        ),
    },
    "en": {
        "citizen_addition": (
            "{code} - the citizen added {attachments} new attachment(s). Location: {location}"
        ),
        "opd_reopened": (
            "Reopened: the citizen says complaint {code} ({category}) for {opd} is not fixed. "
            "The citizen's reason: {reason}. Complaint: {text}"
        ),
        "sla_reminder": (
            "Reminder: complaint {code} ({category}) for {opd} is due {due}. Status: {status}. "
            "Please act on it: /proses, /selesai, /tolak or /alihkan {code}."
        ),
        "sla_escalation": (
            "Escalation #{n}: complaint {code} ({category}) for {opd} missed its target {due} "
            "and is {late} hours late. Status: {status}. Complaint: {text}"
        ),
        "opd_email": (
            "Complaint code: {code}\n"
            "Category: {category}\n"
            "Agency: {opd}\n"
            "Due: {due}\n"
            "Location: {location}\n\n"
            "{text}\n\n"
            "Reply to this email to answer the citizen. Commands on the first line: "
            "/proses, /selesai note, /tolak reason.\n"
        ),
        "media_failed": (
            "Sorry, we could not get your attachment for complaint {code} from the messaging "
            "service. Your complaint is still being handled; send the attachment again if needed."
        ),
        "tracking_link": (
            "{instance}: complaint {code} ({category}) has been received. Follow it, and get "
            "its next updates at this address, through this private link: {link} If you did "
            "not make this report, ignore this message; we will not write again."
        ),
    },
}


def shorten(text: str, width: int) -> str:
    """`text` on one line in at most `width` characters, cut between words, with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:  # a word boundary not too far back; else cut inside a long word
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def sentences(*texts: str) -> str:
    """Texts joined into one message, each but the last ending as a sentence.

    A staff note rarely ends with a full stop; the rating prompt after it must not run on
    ("... sudah ditambal. Beri nilai 1-5 ...").
    """
    parts = [t.strip() for t in texts if t.strip()]
    ended = [p if p.endswith((".", "!", "?", "…")) else f"{p}." for p in parts[:-1]]
    return " ".join([*ended, *parts[-1:]])


class Templates(BaseModel):
    """Every text the bot sends, in one language."""

    model_config = ConfigDict(extra="forbid")

    welcome: str
    help: str
    greeting: str
    greeting_salam: str = ""  # the answer to "Assalamualaikum"; empty: the plain greeting
    language_set: str = ""  # confirms `/bahasa xx`, before the help; empty: the help alone
    thanks: str
    empty: str
    bare_number: str  # a number alone, with no numbered choice of that number pending
    ask_details: str  # a plea naming no problem: what, where?
    opted_out: str  # confirms STOP, the last message sent
    # Content the channel could not read (a poll, a sticker): what the bot can read instead.
    unsupported: str
    media_refused: str  # an attachment too large, or no photo
    # An attachment the channel never handed over, after every attempt.
    media_failed: str = DEFAULTS["id"]["media_failed"]
    ack: str
    ack_review: str
    status: str
    status_public: str
    status_note: str
    status_unknown: str
    status_list: str
    status_more: str = "(+{count})"  # after the listed reports, when there are more
    status_none: str
    status_changed: str
    staff_message: str
    opd_complaint: str
    button_in_progress: str
    button_resolve: str
    button_reject: str
    button_reassign: str
    staff_done: str
    staff_sent: str
    staff_refused: str
    staff_error: str
    staff_need_code: str
    staff_unknown_command: str
    staff_reassigned: str
    triage_list: str
    triage_empty: str
    staff_question: str
    citizen_answer: str
    answer_forwarded: str
    already_reported: str
    duplicate_linked: str
    choose_category: str
    rate_prompt: str
    rated: str
    reopen_expired: str
    nothing_to_reopen: str
    # For OPD staff and supervisors; left out, these are the language's DEFAULTS.
    sla_reminder: str = DEFAULTS["id"]["sla_reminder"]
    sla_escalation: str = DEFAULTS["id"]["sla_escalation"]
    opd_email: str = DEFAULTS["id"]["opd_email"]  # the body; its line breaks are kept
    opd_reopened: str = DEFAULTS["id"]["opd_reopened"]  # the OPD is told why
    citizen_addition: str = DEFAULTS["id"]["citizen_addition"]  # a photo/location sent later
    # To the contact given on a web form: a fixed text, never the complaint's own words.
    tracking_link: str = DEFAULTS["id"]["tracking_link"]
    status_names: dict[Status, str]

    @model_validator(mode="after")
    def _check(self) -> Templates:
        missing = [s.value for s in Status if s not in self.status_names]
        if missing:
            raise ValueError(f"status_names is missing {', '.join(missing)}")
        for name, allowed in PLACEHOLDERS.items():
            used = {field for _, field, _, _ in Formatter().parse(getattr(self, name)) if field}
            unknown = used - allowed
            if unknown:
                raise ValueError(
                    f"{name}: unknown placeholder(s) {', '.join(sorted(unknown))}; "
                    f"allowed: {', '.join(sorted(allowed)) or 'none'}"
                )
        return self

    def with_defaults(self, language: str) -> Templates:
        """These templates, with `language`'s DEFAULTS for the texts the config left out."""
        defaults = DEFAULTS.get(language, DEFAULTS["id"])
        missing = {k: v for k, v in defaults.items() if k not in self.model_fields_set}
        if not missing:
            return self
        return Templates.model_validate({**self.model_dump(), **missing})

    def render(self, name: str, **values: Any) -> str:
        return " ".join(getattr(self, name).format(**values).split())

    def render_lines(self, name: str, **values: Any) -> str:
        """Like `render`, but the text keeps its lines (an email body)."""
        return str(getattr(self, name).format(**values))
