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
    "thanks": {"instance"},
    "empty": {"instance"},
    "ack": {"code", "category", "opd", "due"},
    "ack_review": {"code", "category", "opd", "due"},
    "status": {"code", "status", "opd", "due", "note", "category"},
    "status_public": {"code", "status", "category"},
    "status_note": {"note"},
    "status_unknown": {"code"},
    "status_list": {"items"},
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
}


class Templates(BaseModel):
    """Every text the bot sends, in one language."""

    model_config = ConfigDict(extra="forbid")

    welcome: str
    help: str
    greeting: str
    thanks: str
    empty: str
    ack: str
    ack_review: str
    status: str
    status_public: str
    status_note: str
    status_unknown: str
    status_list: str
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

    def render(self, name: str, **values: Any) -> str:
        return " ".join(getattr(self, name).format(**values).split())
