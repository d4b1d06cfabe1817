"""Fuzzing past the signature: Twilio, Meta and Telegram deliveries that are correctly signed
but carry anything in their fields. The signature check stops a stranger, not a provider's
new payload shape or a citizen's odd text, so no such delivery may answer a 5xx (a provider
retries a 5xx, so each would become a retry storm); on SQLite and PostgreSQL.

Field names and envelopes are the providers' documented ones; the values are anything:
missing, wrong JSON types, huge, NUL bytes, any Unicode.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.all_channels import (
    meta_post,
    serve_all,
    telegram_post,
    twilio_post,
)

BOUNDED = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)

# Twilio's inbound message and status-callback parameters (Messaging webhooks).
TWILIO_FIELDS = [
    "MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "MessagingServiceSid", "From", "To",
    "Body", "NumMedia", "NumSegments", "MediaUrl0", "MediaContentType0", "MediaUrl1",
    "MediaContentType1", "Latitude", "Longitude", "Address", "Label", "ProfileName", "WaId",
    "ButtonText", "ButtonPayload", "OriginalRepliedMessageSid", "MessageStatus", "SmsStatus",
    "ErrorCode", "ErrorMessage", "ApiVersion", "ReferralBody",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "+6281234567890", "1717000000", "-7.0", "text", "image"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with some of the documented `keys`, each holding any JSON value."""
    return st.dictionaries(st.sampled_from(keys), JSON_VALUES, max_size=len(keys))


META_MESSAGE = shaped(
    ["id", "from", "from_user_id", "timestamp", "type", "text", "image", "audio", "document",
     "location", "interactive", "button", "context", "contacts", "group_id", "errors"]
)  # fmt: skip
META_STATUS = shaped(["id", "status", "timestamp", "recipient_id", "errors", "conversation"])
META_VALUE = st.fixed_dictionaries(
    {"messaging_product": st.just("whatsapp")},
    optional={
        "metadata": shaped(["phone_number_id", "display_phone_number"]),
        "contacts": st.lists(shaped(["wa_id", "user_id", "profile"]), max_size=2),
        "messages": st.lists(META_MESSAGE, max_size=3) | JSON_VALUES,
        "statuses": st.lists(META_STATUS, max_size=2) | JSON_VALUES,
    },
)
META_BODY = st.fixed_dictionaries(
    {"object": st.sampled_from(["whatsapp_business_account", "page"])},
    optional={
        "entry": st.lists(
            st.fixed_dictionaries(
                {"id": JSON_VALUES},
                optional={
                    "changes": st.lists(
                        st.fixed_dictionaries(
                            {"field": st.sampled_from(["messages", "account_update"])},
                            optional={"value": META_VALUE | JSON_VALUES},
                        ),
                        max_size=2,
                    )
                },
            ),
            max_size=2,
        )
    },
)
TELEGRAM_CHAT = shaped(["id", "type", "title", "username", "first_name"])
TELEGRAM_MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "message_id": JSON_VALUES,
        "date": JSON_VALUES,
        "chat": TELEGRAM_CHAT | JSON_VALUES,
        "from": shaped(["id", "is_bot", "first_name", "username", "language_code"]),
        "text": JSON_VALUES,
        "caption": JSON_VALUES,
        "photo": st.lists(shaped(["file_id", "file_unique_id", "width", "height"]), max_size=2),
        "location": shaped(["latitude", "longitude"]),
        "voice": shaped(["file_id", "file_unique_id", "duration", "mime_type"]),
        "contact": shaped(["phone_number", "first_name", "user_id"]),
        "reply_to_message": shaped(["message_id", "text", "chat"]),
    },
)
TELEGRAM_UPDATE = st.fixed_dictionaries(
    {"update_id": JSON_VALUES},
    optional={
        "message": TELEGRAM_MESSAGE,
        "edited_message": TELEGRAM_MESSAGE,
        "callback_query": shaped(["id", "from", "message", "data", "chat_instance"]),
    },
)


def _dumped(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def test_signed_deliveries_of_any_shape_never_get_a_server_error(
    tmp_path: Path, database_url: str
) -> None:
    serial = itertools.count()
    answered: dict[str, set[int]] = {"twilio": set(), "meta": set(), "telegram": set()}
    with serve_all(tmp_path, database_url) as client:

        def check(channel: str, answer: Any, sent: Any) -> None:
            answered[channel].add(answer.status_code)
            assert answer.status_code < 500, (sent, answer.text)

        @BOUNDED
        @given(
            channel=st.sampled_from(["twilio_sms", "twilio_whatsapp"]),
            form=st.dictionaries(st.sampled_from(TWILIO_FIELDS), st.text(max_size=60)),
        )
        def twilio(channel: str, form: dict[str, str]) -> None:
            form.setdefault("MessageSid", f"SM{next(serial):032x}")
            check("twilio", twilio_post(client, channel, form), form)

        @BOUNDED
        @given(body=META_BODY)
        def meta(body: dict[str, Any]) -> None:
            check("meta", meta_post(client, _dumped(body)), body)

        @BOUNDED
        @given(update=TELEGRAM_UPDATE)
        def telegram(update: dict[str, Any]) -> None:
            check("telegram", telegram_post(client, _dumped(update)), update)

        twilio()
        meta()
        telegram()
        health = client.get("/health")  # the app still answers after it all
    # Past the signature: each channel accepted some deliveries, not only refused them all.
    for channel, statuses in answered.items():
        assert statuses & {200, 204}, (channel, statuses)
    assert health.status_code == 200
