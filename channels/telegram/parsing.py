"""Telegram updates -> the common format. Pure functions: no network, no bot needed."""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any

from telegram import CallbackQuery, Message, Update, User

from channels.contract import Ignore, InvalidRequest, RawRequest, TooLarge, Unauthenticated
from channels.inputs import clean_text, load_json
from channels.message import MAX_RAW_CHARS, Attachment, InboundMessage, Location

log = logging.getLogger("aduan.channels.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FILE_SCHEME = "telegram-file:"
FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")  # Telegram's file ids are URL-safe base64
GROUP_TYPES = frozenset({"group", "supergroup"})
MAX_BODY_BYTES = 1_000_000
# Content with nothing in it Aduan can file (no text, photo, file or place).
UNREADABLE_KINDS = ("sticker", "poll", "dice", "game", "story", "invoice", "giveaway", "paid_media")


def address(chat_or_user_id: int) -> str:
    return f"telegram:{chat_or_user_id}"


def message_ref(chat_id: int, message_id: int) -> str:
    """A Telegram message as Aduan names it (SendResult.external_id, InboundMessage.reply_to)."""
    return f"{chat_id}:{message_id}"


def file_id_of(url: str) -> str | None:
    """The Telegram file id in a `telegram-file:` reference; None for anything else.

    The shape check keeps a reference from naming a local path ("/", ".", "~" never occur).
    """
    if not url.startswith(FILE_SCHEME):
        return None
    file_id = url.removeprefix(FILE_SCHEME)
    return file_id if FILE_ID.fullmatch(file_id) else None


def check_secret(request: RawRequest, expected: str) -> None:
    """The webhook's secret token header must match, compared in constant time."""
    given = request.header(SECRET_HEADER)
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthenticated(f"{SECRET_HEADER} missing or wrong")


def decode_update(body: bytes) -> Update:
    """A webhook body as the Bot API posts it: one Update object as JSON."""
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(MAX_BODY_BYTES)
    data = load_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise InvalidRequest("body must be a Telegram Update object with an integer update_id")
    return update_from_dict(data)


def update_from_dict(data: dict[str, Any]) -> Update:
    """An update in a shape python-telegram-bot cannot read is skipped, not retried forever."""
    try:
        return Update.de_json(data)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        why = f"update {data.get('update_id')} unreadable: {type(exc).__name__}: {exc}"
        log.warning("telegram: %s", why)
        raise Ignore(why) from exc


def parse_update(update: Update, channel: str) -> list[InboundMessage]:
    """One update -> at most one message; anything Aduan does not handle raises Ignore.

    `external_id` is the update_id, so a redelivered update is recognised as a duplicate.
    """
    if update.callback_query is not None:
        return [_from_callback(update, update.callback_query, channel)]
    message = update.message
    if message is None:
        kinds = ", ".join(sorted(k for k in update.to_dict() if k != "update_id")) or "empty"
        raise Ignore(f"update {update.update_id}: {kinds} is not handled")
    user = message.from_user
    if user is None or user.is_bot:
        raise Ignore(f"update {update.update_id}: not from a person")
    if message.chat.type in GROUP_TYPES:
        return [_from_group(update, message, user, channel)]
    if message.chat.type == "private":
        return [_from_private(update, message, user, channel)]
    raise Ignore(f"update {update.update_id}: chat type {message.chat.type} is not handled")


def _from_private(update: Update, message: Message, user: User, channel: str) -> InboundMessage:
    text, attachments, location = _text(message), _attachments(message), _location(message)
    return InboundMessage(
        channel=channel,
        external_id=str(update.update_id),
        sender=address(user.id),
        sender_name=_display_name(user),
        text=text,
        attachments=attachments,
        location=location,
        received_at=message.date,
        # Stickers, polls, dice... carry nothing to file: the citizen is told what we read.
        unsupported=None if text or attachments or location else _kind(message),
        raw=_bounded(update),
    )


def _kind(message: Message) -> str:
    """What a message with nothing we can read is (a sticker, a poll...), for the core's log."""
    return next((kind for kind in UNREADABLE_KINDS if getattr(message, kind, None)), "other")


def _from_group(update: Update, message: Message, user: User, channel: str) -> InboundMessage:
    """In an OPD's group only commands and replies to the bot are for Aduan; chatter is not."""
    text = _text(message)
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.is_bot
    if not text.startswith("/") and not to_bot:
        raise Ignore(f"update {update.update_id}: group chatter")
    return InboundMessage(
        channel=channel,
        external_id=str(update.update_id),
        sender=address(user.id),
        sender_name=_display_name(user),
        text=text,
        attachments=_attachments(message),
        location=_location(message),
        received_at=message.date,
        reply_to=message_ref(message.chat.id, replied.message_id) if replied else None,
        conversation=address(message.chat.id),
        raw=_bounded(update),
    )


def _from_callback(update: Update, query: CallbackQuery, channel: str) -> InboundMessage:
    """A button press: its payload is the text, the message that carried it is `reply_to`."""
    if not query.data:
        raise Ignore(f"update {update.update_id}: callback query without data")
    carrier = query.message  # None for buttons under inline-mode messages
    in_group = carrier is not None and carrier.chat.type in GROUP_TYPES
    return InboundMessage(
        channel=channel,
        external_id=str(update.update_id),
        sender=address(query.from_user.id),
        sender_name=_display_name(query.from_user),
        text=_command(query.data),
        reply_to=message_ref(carrier.chat.id, carrier.message_id) if carrier else None,
        conversation=address(carrier.chat.id) if in_group and carrier else None,
        raw=_bounded(update),
    )


def callback_query_id(body: bytes) -> str | None:
    """The id of the button press in a webhook body, if it is one (to answer it)."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    query = data.get("callback_query") if isinstance(data, dict) else None
    return str(query["id"]) if isinstance(query, dict) and "id" in query else None


def _text(message: Message) -> str:
    return _command(clean_text(message.text or message.caption or _contact_text(message)))


def _contact_text(message: Message) -> str:
    """A shared contact as the citizen would read it out: name and phone number."""
    contact = message.contact
    if contact is None:
        return ""
    name = " ".join(filter(None, [contact.first_name, contact.last_name]))
    return ", ".join(filter(None, [name, contact.phone_number]))


def _command(text: str) -> str:
    """`/selesai@AduanBot ADU-7K3Q9` -> `/selesai ADU-7K3Q9`: groups address commands to a bot."""
    if not text.startswith("/"):
        return text
    head, sep, rest = text.partition(" ")
    return head.split("@", 1)[0] + sep + rest


def _display_name(user: User) -> str:
    return user.full_name or (f"@{user.username}" if user.username else str(user.id))


def _attachments(message: Message) -> list[Attachment]:
    """The largest photo size and any file, named by file_id (resolved later through getFile)."""
    found: list[Attachment] = []
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size))
        found.append(
            _file(largest.file_id, "image/jpeg", largest.file_size, f"{largest.file_unique_id}.jpg")
        )
    for media in (message.document, message.video, message.audio):
        if media is not None:
            kind = media.mime_type or "application/octet-stream"
            found.append(_file(media.file_id, kind, media.file_size, media.file_name))
    # A voice note (OGG/Opus) or a round video note: what the citizen said is in it.
    if (voice := message.voice) is not None:
        kind = voice.mime_type or "audio/ogg"
        found.append(_file(voice.file_id, kind, voice.file_size, f"{voice.file_unique_id}.ogg"))
    if (note := message.video_note) is not None:
        found.append(_file(note.file_id, "video/mp4", note.file_size, f"{note.file_unique_id}.mp4"))
    return found


def _file(file_id: str, content_type: str, size: int | None, name: str | None) -> Attachment:
    """An attachment named by its Telegram file_id."""
    return Attachment(url=FILE_SCHEME + file_id, content_type=content_type, size=size, name=name)


def _location(message: Message) -> Location | None:
    if message.venue is not None:
        venue = message.venue
        where = ", ".join(part for part in (venue.title, venue.address) if part)
        return Location(lat=venue.location.latitude, lon=venue.location.longitude, address=where)
    if message.location is not None:
        return Location(lat=message.location.latitude, lon=message.location.longitude)
    return None


def _bounded(update: Update) -> dict[str, Any]:
    raw = update.to_dict()
    if len(json.dumps(raw, ensure_ascii=False)) <= MAX_RAW_CHARS:
        return raw
    return {"update_id": update.update_id, "truncated": True}
