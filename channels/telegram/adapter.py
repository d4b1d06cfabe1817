"""The `telegram` channel: citizens in private chats, OPD staff in their group chats.

Two transports, one code path for everything else:
- long polling (default): `poll` calls getUpdates and commits the next offset as a cursor in the
  same transaction as the messages it delivered, so an update is taken in exactly once;
- webhook (when `public_url` is set): `poll` registers the webhook with a secret token and the
  core's route `/channels/telegram/webhook` hands each update to `parse`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

from pydantic import Field, SecretStr, field_validator
from telegram import Bot
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from channels.contract import (
    ChannelConfig,
    ChannelError,
    Cursor,
    Ignore,
    InvalidRequest,
    Parsed,
    RawRequest,
    RawResponse,
    SendError,
    Sink,
)
from channels.fetching import MediaRefused
from channels.message import OutboundMessage, SendResult
from channels.telegram.parsing import (
    FILE_SCHEME,
    callback_query_id,
    check_secret,
    decode_update,
    file_id_of,
    parse_update,
    update_from_dict,
)
from channels.telegram.sending import SentParts, send_error, send_outbound

log = logging.getLogger("aduan.channels.telegram")

WEBHOOK_PATH = "webhook"
CURSOR_KEY = "update_offset"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_POLL_BACKOFF = 30.0
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
T = TypeVar("T")


class TelegramConfig(ChannelConfig):
    bot_token: SecretStr = Field(description="from @BotFather; set TELEGRAM_BOT_TOKEN")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="X-Telegram-Bot-Api-Secret-Token; derived from the bot token when unset",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Aduan's public base URL: webhook mode when set, long polling otherwise",
    )
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    poll_timeout_seconds: int = Field(default=25, ge=0, le=50)
    request_timeout_seconds: float = Field(default=20.0, gt=0)
    max_media_bytes: int = Field(default=20_000_000, gt=0)

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Bot API rule)")
        return value


class _RedactSecrets(logging.Filter):
    """httpx logs every request URL, and Bot API URLs carry the token: never let it out."""

    secrets: ClassVar[set[str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "<TELEGRAM_BOT_TOKEN>")
            record.msg, record.args = message, None
        return True


_REDACT = _RedactSecrets()
for _name in ("httpx", "telegram", "telegram.Bot", "telegram.request"):
    logging.getLogger(_name).addFilter(_REDACT)


class TelegramAdapter:
    """Telegram Bot API through python-telegram-bot; only the base URLs differ in tests."""

    name: ClassVar[str] = "telegram"
    Config: ClassVar[type[ChannelConfig]] = TelegramConfig
    secrets: ClassVar[dict[str, str]] = {
        "bot_token": "TELEGRAM_BOT_TOKEN",
        "webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    }

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self._token = config.bot_token.get_secret_value()
        _RedactSecrets.secrets.add(self._token)
        self._bot: Bot | None = None
        self._bot_loop: asyncio.AbstractEventLoop | None = None
        self._sent_parts = SentParts()

    # -- webhook -----------------------------------------------------------------------------

    @property
    def webhook_url(self) -> str | None:
        if not self.config.public_url:
            return None
        return f"{self.config.public_url.rstrip('/')}/channels/{self.name}/{WEBHOOK_PATH}"

    @property
    def secret_token(self) -> str:
        """The webhook secret: configured, or derived from the token so every process agrees."""
        if self.config.webhook_secret is not None:
            return self.config.webhook_secret.get_secret_value()
        digest = hmac.new(self._token.encode(), b"aduan-telegram-webhook", hashlib.sha256)
        return digest.hexdigest()

    def parse(self, request: RawRequest) -> list[Parsed]:
        check_secret(request, self.secret_token)
        if request.method != "POST" or not request.url.split("?")[0].endswith(
            f"/{self.name}/{WEBHOOK_PATH}"
        ):
            raise InvalidRequest(f"POST updates to /channels/{self.name}/{WEBHOOK_PATH}")
        return list(parse_update(decode_update(request.body), self.name))

    def respond(self, request: RawRequest, parsed: list[Parsed]) -> RawResponse:
        """Answer a button press in the webhook response itself (the Bot API allows one call)."""
        query_id = callback_query_id(request.body)
        if query_id is None:
            return RawResponse()
        body = json.dumps({"method": "answerCallbackQuery", "callback_query_id": query_id})
        return RawResponse(body=body.encode(), content_type="application/json")

    # -- sending -----------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        bot = await self._call(self._ready_bot())
        return await send_outbound(bot, message, self._sent_parts)

    async def file_url(self, attachment_url: str) -> str:
        """A download URL for an attachment this channel received (it contains the token)."""
        if not attachment_url.startswith(FILE_SCHEME):
            return attachment_url
        bot = await self._call(self._ready_bot())
        file = await self._call(bot.get_file(_file_id(attachment_url)))
        assert file.file_path is not None
        return file.file_path

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        """An attachment by its `telegram-file:` id; bots may fetch files up to 20 MB."""
        if file_id_of(url) is None:
            raise MediaRefused(f"not a Telegram file reference: {url[:80]!r}")
        bot = await self._call(self._ready_bot())
        try:
            file = await bot.get_file(_file_id(url))
        except BadRequest as exc:  # bots may not download files over 20 MB: Telegram says so
            if "too big" in exc.message.lower():
                raise MediaRefused(
                    f"media larger than {self.config.max_media_bytes} bytes"
                ) from None
            raise send_error(exc) from None
        except TelegramError as exc:
            raise send_error(exc) from None
        if file.file_size and file.file_size > self.config.max_media_bytes:
            raise MediaRefused(f"media larger than {self.config.max_media_bytes} bytes")
        data = bytes(await self._call(file.download_as_bytearray()))
        if len(data) > self.config.max_media_bytes:
            raise MediaRefused(f"media larger than {self.config.max_media_bytes} bytes")
        return data, "application/octet-stream"  # Telegram declares none: the bytes tell

    async def download(self, attachment_url: str) -> bytes:
        """The bytes of an attachment this channel received (getFile, then the file URL)."""
        bot = await self._call(self._ready_bot())
        file = await self._call(bot.get_file(_file_id(attachment_url)))
        return bytes(await self._call(file.download_as_bytearray()))

    # -- background: long polling or keeping the webhook registered --------------------------

    async def poll(self, sink: Sink, stop: asyncio.Event) -> None:
        bot = await self._ready_bot_or_fail()
        if self.webhook_url:
            await self._keep_webhook(bot, self.webhook_url, stop)
        else:
            await self._long_poll(bot, sink, stop)

    async def _keep_webhook(self, bot: Bot, url: str, stop: asyncio.Event) -> None:
        try:
            await bot.set_webhook(
                url, secret_token=self.secret_token, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as exc:
            raise ChannelError(f"setWebhook failed: {send_error(exc)}") from None
        log.info("telegram: webhook set to %s", self.webhook_url)
        await stop.wait()

    async def _long_poll(self, bot: Bot, sink: Sink, stop: asyncio.Event) -> None:
        try:
            await bot.delete_webhook(drop_pending_updates=False)  # getUpdates refuses otherwise
        except TelegramError as exc:
            raise ChannelError(f"deleteWebhook failed: {send_error(exc)}") from None
        stored = await sink.load_cursor(CURSOR_KEY)
        offset = int(stored) if stored else None
        log.info("telegram: long polling from offset %s", offset)
        failures = 0
        while not stop.is_set():
            try:
                batch = await _until(self._get_updates(bot, offset), stop)
            except (NetworkError, Conflict) as exc:  # Telegram hiccup, or another poller
                failures += 1
                wait = min(MAX_POLL_BACKOFF, 2.0 ** (failures - 1))
                log.warning("telegram: getUpdates failed (%s); again in %.0f s", exc.message, wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                continue
            except TelegramError as exc:
                raise ChannelError(f"getUpdates failed: {send_error(exc)}") from None
            if batch is None:
                return
            failures = 0
            for data in batch:
                offset = int(data["update_id"]) + 1
                await self._take(bot, data, sink, Cursor(CURSOR_KEY, str(offset)))

    async def _get_updates(self, bot: Bot, offset: int | None) -> list[dict[str, Any]]:
        """getUpdates as raw JSON, so one update the library cannot read cannot block the rest.

        Parameters go in the query string, which the Bot API accepts like a form body.
        """
        query: dict[str, Any] = {
            "timeout": self.config.poll_timeout_seconds,
            "allowed_updates": json.dumps(ALLOWED_UPDATES),
        }
        if offset is not None:
            query["offset"] = offset
        result = await bot.request.post(
            f"{bot.base_url}/getUpdates?{urlencode(query)}",
            read_timeout=self.config.poll_timeout_seconds + self.config.request_timeout_seconds,
        )
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    async def _take(self, bot: Bot, data: dict[str, Any], sink: Sink, cursor: Cursor) -> None:
        """Deliver one update with the offset after it: both commit, or neither does."""
        try:
            update = update_from_dict(data)
            parsed: list[Parsed] = list(parse_update(update, self.name))
        except Ignore as why:
            log.debug("telegram: %s", why)
            parsed = []
        await sink.deliver(parsed, cursor)
        query = data.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            await self._answer_button(bot, str(query["id"]))

    async def _answer_button(self, bot: Bot, query_id: str) -> None:
        """Stop the button's spinner; a failure here costs nothing but a slower spinner."""
        try:
            await bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.info("telegram: answerCallbackQuery failed: %s", exc.message)

    # -- the bot -----------------------------------------------------------------------------

    async def _ready_bot(self) -> Bot:
        """One initialised Bot per event loop (its HTTP client belongs to the loop)."""
        loop = asyncio.get_running_loop()
        if self._bot is None or self._bot_loop is not loop:
            timeout = self.config.request_timeout_seconds
            bot = Bot(
                self._token,
                base_url=self.config.api_base_url,
                base_file_url=self.config.file_base_url,
                request=HTTPXRequest(read_timeout=timeout, connect_timeout=timeout),
                get_updates_request=HTTPXRequest(read_timeout=timeout, connect_timeout=timeout),
            )
            try:
                await bot.initialize()  # getMe: checks the token
            except InvalidToken:
                raise InvalidToken("the Bot API rejected TELEGRAM_BOT_TOKEN") from None
            self._bot, self._bot_loop = bot, loop
        return self._bot

    async def _ready_bot_or_fail(self) -> Bot:
        try:
            return await self._ready_bot()
        except TelegramError as exc:
            raise ChannelError(f"Telegram bot not ready: {send_error(exc)}") from None

    @staticmethod
    async def _call(call: Awaitable[T]) -> T:
        try:
            return await call
        except TelegramError as exc:
            raise send_error(exc) from None


async def _until(call: Awaitable[T], stop: asyncio.Event) -> T | None:
    """Await `call` unless `stop` is set first (then cancel it and return None)."""
    task = asyncio.ensure_future(call)
    stopped = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopped.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await task
    return None


def _file_id(attachment_url: str) -> str:
    file_id = file_id_of(attachment_url)
    if file_id is None:
        raise SendError(f"not a Telegram file: {attachment_url[:80]!r}", retryable=False)
    return file_id
