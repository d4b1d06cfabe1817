"""The common format -> Bot API calls, and Bot API errors -> SendError."""

from __future__ import annotations

import functools
import logging
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import (
    Bot,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from channels.contract import SendError
from channels.message import Attachment, Button, OutboundMessage, SendResult
from channels.telegram.parsing import file_id_of, message_ref

log = logging.getLogger("aduan.channels.telegram")

MAX_TEXT = 4096  # Bot API limit for sendMessage text
MAX_CALLBACK_DATA = 64  # bytes
BUTTONS_PER_ROW = 2


def chat_id_of(recipient: str) -> int:
    scheme, _, rest = recipient.partition(":")
    try:
        if scheme != "telegram":
            raise ValueError
        return int(rest)
    except ValueError:
        raise SendError(f"not a Telegram chat address: {recipient!r}", retryable=False) from None


def send_error(exc: TelegramError) -> SendError:
    """Classify a Bot API failure: can trying again help, and is the chat gone for good?"""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB is moving retry_after from int to timedelta
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return SendError(
            f"Telegram flood control: retry after {seconds:g} s",
            retryable=True,
            retry_after=seconds,
        )
    if isinstance(exc, Forbidden):  # blocked by the user, kicked from the group
        return SendError(f"Telegram refused: {exc.message}", retryable=False, unreachable=True)
    if isinstance(exc, ChatMigrated):
        return SendError(
            f"the group became a supergroup; its address is now telegram:{exc.new_chat_id}",
            retryable=False,
        )
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is a subclass of it
        return SendError(f"Telegram rejected the request: {exc.message}", retryable=False)
    if isinstance(exc, InvalidToken):  # retry: messages wait until the token is fixed
        return SendError("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN)", retryable=True)
    return SendError(f"Telegram unavailable: {type(exc).__name__}: {exc.message}", retryable=True)


def keyboard(buttons: list[Button]) -> tuple[InlineKeyboardMarkup | None, list[Button]]:
    """Inline keyboard for the buttons whose payload fits callback data; the rest stay as text."""
    fitting = [b for b in buttons if 0 < len(b.payload.encode()) <= MAX_CALLBACK_DATA]
    left = [b for b in buttons if b not in fitting]
    if not fitting:
        return None, left
    keys = [InlineKeyboardButton(b.label, callback_data=b.payload) for b in fitting]
    rows = [keys[i : i + BUTTONS_PER_ROW] for i in range(0, len(keys), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows), left


def chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split long text at line or word breaks into messages Telegram accepts."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [p for p in parts if p] or [""]


class SentParts:
    """Parts of a multi-message send that already went out, so a retry does not repeat them.

    Telegram has no idempotency keys; this covers the common case (a 429 in the middle of a
    post with photos) within one process.
    """

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._done: OrderedDict[tuple[str, int], Message | None] = OrderedDict()

    async def once(
        self, key: str, index: int, call: Callable[[], Awaitable[Message | None]]
    ) -> Message | None:
        if (key, index) in self._done:
            return self._done[(key, index)]
        sent = await call()
        self._done[(key, index)] = sent
        while len(self._done) > self.capacity:
            self._done.popitem(last=False)
        return sent

    def forget(self, key: str) -> None:
        for done in [k for k in self._done if k[0] == key]:
            del self._done[done]


async def send_outbound(bot: Bot, out: OutboundMessage, parts: SentParts) -> SendResult:
    """Attachments, then the location pin, then the text with its buttons (last, on top)."""
    chat_id = chat_id_of(out.recipient)
    markup, unbuttoned = keyboard(out.buttons)
    text = out.text + "".join(f"\n{b.label}: {b.payload}" for b in unbuttoned)
    try:
        links, index = await _send_attachments(bot, chat_id, out, parts)
        index += await _send_location(bot, chat_id, out, parts, index)
        last = await _send_text(bot, chat_id, out, parts, text + links, markup, index)
    except TelegramError as exc:
        raise send_error(exc) from None
    parts.forget(out.idempotency_key)
    assert last is not None
    return SendResult(external_id=message_ref(last.chat.id, last.message_id))


async def _send_attachments(
    bot: Bot, chat_id: int, out: OutboundMessage, parts: SentParts
) -> tuple[str, int]:
    """Send each attachment Telegram can take; returns the links of those sent as text lines
    instead, and how many parts went out."""
    links, index = "", 0
    for attachment in out.attachments:
        source = file_source(attachment.url)
        if source is None:
            log.warning(
                "attachment %.80r is no Telegram file or web link; left out", attachment.url
            )
            continue
        send = functools.partial(_send_file, bot, chat_id, attachment, source)
        if await parts.once(out.idempotency_key, index, send) is None:
            links += f"\n{attachment.url}"
        index += 1
    return links, index


async def _send_location(
    bot: Bot, chat_id: int, out: OutboundMessage, parts: SentParts, index: int
) -> int:
    """The location pin as part `index`, if the message has one; returns the parts sent."""
    if out.location is None or out.location.lat is None or out.location.lon is None:
        return 0
    lat, lon = out.location.lat, out.location.lon
    await parts.once(
        out.idempotency_key, index, lambda: bot.send_location(chat_id, latitude=lat, longitude=lon)
    )
    return 1


async def _send_text(
    bot: Bot,
    chat_id: int,
    out: OutboundMessage,
    parts: SentParts,
    text: str,
    markup: InlineKeyboardMarkup | None,
    index: int,
) -> Message | None:
    """The text in pieces from part `index` on: the first replies, the last has the buttons."""
    pieces = chunks(text)
    reply = _reply_parameters(out.reply_to, chat_id)
    last: Message | None = None
    for number, piece in enumerate(pieces):
        final = number == len(pieces) - 1
        last = await parts.once(
            out.idempotency_key,
            index + number,
            functools.partial(
                bot.send_message,
                chat_id,
                piece,
                reply_markup=markup if final else None,
                reply_parameters=reply if number == 0 else None,
            ),
        )
    return last


def file_source(url: str) -> str | None:
    """What the Bot API may be given for an attachment: a Telegram file id or a web link.

    Anything else (a path, `file:`, a `telegram-file:` reference that is no file id) is None:
    Telegram's servers could not use it, and Aduan must never read it.
    """
    file_id = file_id_of(url)
    if file_id is not None:
        return file_id
    if url.startswith(("http://", "https://")) and not any(c.isspace() for c in url):
        return url
    return None


async def _send_file(bot: Bot, chat_id: int, attachment: Attachment, source: str) -> Message | None:
    """A photo or file by Telegram file id or URL; None when Telegram cannot use it.

    The source goes in as a media object's file_id, because python-telegram-bot uploads a bare
    string that happens to name an existing local file; a media object it passes on as it is.
    """
    try:
        if attachment.content_type.startswith("image/"):
            return await bot.send_photo(chat_id, PhotoSize(source, source, 0, 0))
        return await bot.send_document(chat_id, Document(source, source))
    except BadRequest as exc:
        # A broken attachment must not keep the complaint itself from the OPD: link it instead.
        log.warning("attachment not accepted by Telegram (%s); sent as a link", exc.message)
        return None


def _reply_parameters(reply_to: str | None, chat_id: int) -> ReplyParameters | None:
    """Quote the message answered when it is a message in the same chat."""
    if not reply_to:
        return None
    chat, _, message_id = reply_to.partition(":")
    if chat != str(chat_id) or not message_id.isdigit():
        return None
    return ReplyParameters(int(message_id), allow_sending_without_reply=True)
