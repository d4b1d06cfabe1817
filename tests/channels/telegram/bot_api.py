"""A stand-in Telegram Bot API server: real HTTP on loopback, the documented shapes.

It implements what Aduan uses (getMe, getUpdates with offset semantics, sendMessage, sendPhoto,
sendDocument, sendLocation, answerCallbackQuery, editMessageReplyMarkup, getFile and file
download, setWebhook with secret_token, deleteWebhook, getWebhookInfo), records every call, and
can play the failures the Bot API documents: 429 with retry_after, 403 for a blocked bot, 400.
Updates are queued for getUpdates or, while a webhook is set, POSTed to it the way Telegram does
(secret header, redelivery until a 2xx, a method call in the response body executed).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

TOKEN = "7012345678:AAHtestTOKENforTheStandInBotApi_123"
BOT_USER = {
    "id": 7012345678,
    "is_bot": True,
    "first_name": "Aduan Kabupaten",
    "username": "aduan_contoh_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendLocation"})
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass
class Call:
    """One Bot API call the bot made (or a method returned in a webhook response)."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    via: str = "http"

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass
class Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None = None
    chat_id: int | None = None  # None: whichever chat the next call is for


@dataclass
class WebhookDelivery:
    update_id: int
    status: int
    body: bytes


@dataclass
class BotApi:
    """Start with `BotApi()`; point the bot at `api_base_url` / `file_base_url`."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    webhook_deliveries: list[WebhookDelivery] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._queue: list[dict[str, Any]] = []  # unconfirmed updates, for getUpdates
        self._next_update_id = 815_000_000
        self._next_message_id: dict[int, int] = {}
        self._failures: dict[str, deque[Failure]] = {}
        self._blocked: set[int] = set()
        self._files: dict[str, tuple[str, bytes]] = {}
        self._callback_ids: set[str] = set()
        self.webhook: dict[str, Any] | None = None
        self._outgoing: deque[dict[str, Any]] = deque()
        self._closed = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self._webhook_loop, daemon=True).start()

    # -- what tests use ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """A user did something: give it the next update_id and deliver it."""
        with self._lock:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
            if "callback_query" in update:
                self._callback_ids.add(str(update["callback_query"]["id"]))
            self._enqueue(update)
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver an update again, as Telegram does when it did not see it acknowledged."""
        with self._lock:
            self._enqueue(update, again=True)

    def add_file(self, file_id: str, content: bytes, path: str) -> None:
        self._files[file_id] = (path, content)

    def file(self, file_id: str) -> bytes:
        """What the API serves for `file_id`."""
        return self._files[file_id][1]

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """The next call of `method` (to `chat_id`, when given) fails as the Bot API would."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        failure = Failure(status, description, parameters, chat_id)
        self._failures.setdefault(method, deque()).append(failure)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to them is refused with 403."""
        self._blocked.add(chat_id)

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        """Successful sends, optionally to one chat and of one method."""
        return [
            c
            for c in list(self.calls)
            if c.method in SEND_METHODS
            and c.status == 200
            and (chat_id is None or c.chat_id == chat_id)
            and (method is None or c.method == method)
        ]

    def attempts(self, chat_id: int) -> list[Call]:
        return [c for c in list(self.calls) if c.method in SEND_METHODS and c.chat_id == chat_id]

    def wait_for(
        self, condition: Callable[[], Any], timeout: float = 30, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; calls: {self.summary()}")

    def wait_sent(
        self, chat_id: int, count: int = 1, method: str = "sendMessage", timeout: float = 30
    ) -> list[Call]:
        return self.wait_for(
            lambda: (s := self.sent(chat_id, method)) and len(s) >= count and s,
            timeout,
            f"{count} {method} to {chat_id}",
        )

    def summary(self) -> list[str]:
        return [
            f"{c.method}({c.params.get('chat_id', '')}) -> {c.status} "
            f"{str(c.params.get('text', ''))[:60]!r}"
            for c in list(self.calls)
        ]

    def close(self) -> None:
        self._closed = True
        with self._lock:
            self._lock.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # -- update delivery -----------------------------------------------------------------------

    def _enqueue(self, update: dict[str, Any], again: bool = False) -> None:
        if self.webhook is not None:
            self._outgoing.append(update)
        elif again or update not in self._queue:
            self._queue.append(update)
        self._lock.notify_all()

    def _webhook_loop(self) -> None:
        """POST queued updates to the webhook one at a time; retry until a 2xx."""
        while not self._closed:
            with self._lock:
                while not self._closed and not (self._outgoing and self.webhook):
                    self._lock.wait(0.5)
                if self._closed:
                    return
                update = self._outgoing[0]
                hook = dict(self.webhook or {})
            headers = {"Content-Type": "application/json"}
            if hook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
            try:
                response = httpx.post(hook["url"], content=json.dumps(update), headers=headers)
                status, body = response.status_code, response.content
            except httpx.HTTPError:
                status, body = 0, b""
            self.webhook_deliveries.append(WebhookDelivery(update["update_id"], status, body))
            if 200 <= status < 300:
                with self._lock:
                    self._outgoing.popleft()
                self._webhook_reply(body)
            else:
                time.sleep(0.2)

    def _webhook_reply(self, body: bytes) -> None:
        """Telegram executes one method call given in the webhook's response body."""
        try:
            reply = json.loads(body) if body else None
        except json.JSONDecodeError:
            return
        if isinstance(reply, dict) and "method" in reply:
            params = {k: v for k, v in reply.items() if k != "method"}
            status, answer = self._call(reply["method"], params)
            self.calls.append(
                Call(reply["method"], params, time.time(), status, answer.get("result"), "webhook")
            )

    # -- HTTP ------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._route()

            def do_POST(self) -> None:
                self._route()

            def _route(self) -> None:
                path = unquote(self.path.split("?")[0])  # PTB quotes the token's ":"
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                file_prefix = f"/file/bot{api.token}/"
                if path.startswith(file_prefix):
                    found = [c for p, c in api._files.values() if p == path[len(file_prefix) :]]
                    if found:
                        self._reply(200, found[0], "application/octet-stream")
                    else:
                        self._reply(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
                    return
                match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
                if match is None:
                    self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                if match.group(1) != api.token:
                    self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method = match.group(2)
                params = _params(self.headers.get("Content-Type", ""), body, self.path)
                status, answer = api._call(method, params)
                api.calls.append(Call(method, params, time.time(), status, answer.get("result")))
                self._json(status, answer)

            def _json(self, status: int, data: dict[str, Any]) -> None:
                self._reply(status, json.dumps(data).encode(), "application/json")

            def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    # -- Bot API methods -------------------------------------------------------------------------

    def _take_failure(self, method: str, chat_id: Any) -> Failure | None:
        queued = self._failures.get(method, deque())
        for failure in list(queued):
            if failure.chat_id is None or (chat_id is not None and int(chat_id) == failure.chat_id):
                queued.remove(failure)
                return failure
        return None

    def _call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = params.get("chat_id")
        failure = self._take_failure(method, chat_id)
        if failure is not None:
            return failure.status, _error(failure.status, failure.description, failure.parameters)
        if method in SEND_METHODS and chat_id is not None and int(chat_id) in self._blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, _error(404, "Not Found")
        try:
            return handler(params)
        except (KeyError, ValueError) as exc:
            return 400, _error(400, f"Bad Request: {exc}")

    def _m_getMe(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _ok(BOT_USER)

    def _m_getUpdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.webhook is not None:
            return 409, _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = _json_list(params.get("allowed_updates"))
        deadline = time.monotonic() + timeout
        with self._lock:
            if offset:  # everything before the offset is confirmed and forgotten
                self._queue = [u for u in self._queue if u["update_id"] >= offset]
            if allowed:
                self._queue = [u for u in self._queue if _kind(u) in allowed]
            while not self._queue and not self._closed and time.monotonic() < deadline:
                self._lock.wait(min(0.2, max(0.0, deadline - time.monotonic())))
                if allowed:
                    self._queue = [u for u in self._queue if _kind(u) in allowed]
            return _ok(list(self._queue[:limit]))

    def _send(self, params: dict[str, Any], content: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        with self._lock:
            message_id = self._next_message_id.get(chat_id, 100) + 1
            self._next_message_id[chat_id] = message_id
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": _chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        markup = _json_value(params.get("reply_markup"))
        if markup:
            message["reply_markup"] = markup
        return _ok(message)

    def _m_sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = str(params.get("text") or "")
        if not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return 400, _error(400, "Bad Request: message is too long")
        return self._send(params, {"text": text})

    def _m_sendPhoto(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        photo = str(params["photo"])
        if photo not in self._files and not photo.startswith(("http://", "https://", "attach://")):
            return 400, _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        size = {"file_id": photo, "file_unique_id": f"u{abs(hash(photo)) % 10**8}"}
        content: dict[str, Any] = {"photo": [{**size, "width": 1280, "height": 960}]}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._send(params, content)

    def _m_sendDocument(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        document = str(params["document"])
        return self._send(params, {"document": {"file_id": document, "file_unique_id": "d1"}})

    def _m_sendLocation(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        return self._send(params, {"location": location})

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if str(params["callback_query_id"]) not in self._callback_ids:
            return 400, _error(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        return _ok(True)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        content = {"message_id": int(params["message_id"]), "chat": _chat(int(params["chat_id"]))}
        return _ok({**content, "date": int(time.time()), "from": BOT_USER, "text": "..."})

    def _m_getFile(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        file_id = str(params["file_id"])
        if file_id not in self._files:
            return 400, _error(400, "Bad Request: invalid file_id")
        path, content = self._files[file_id]
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": f"u{abs(hash(file_id)) % 10**8}",
                "file_size": len(content),
                "file_path": path,
            }
        )

    def _m_setWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_PATTERN.match(str(secret)):
            return 400, _error(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            if not url:
                self.webhook = None
                return _ok(True, "Webhook is already deleted")
            if not url.startswith(("https://", "http://")):
                return 400, _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
            self.webhook = {"url": url, "secret_token": secret}
            # Pending updates now go to the webhook.
            self._outgoing.extend(self._queue)
            self._queue.clear()
            self._lock.notify_all()
        return _ok(True, "Webhook was set")

    def _m_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            was = self.webhook is not None
            self.webhook = None
            self._queue.extend(self._outgoing)
            self._outgoing.clear()
            if str(params.get("drop_pending_updates", "")).lower() == "true":
                self._queue.clear()
        return _ok(True, "Webhook was deleted" if was else "Webhook is already deleted")

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _ok(
            {
                "url": (self.webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._queue) + len(self._outgoing),
            }
        )


def _ok(result: Any, description: str | None = None) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return 200, body


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> dict:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "first_name": "Warga", "type": "private"}
    return {"id": chat_id, "title": "OPD", "type": "supergroup" if chat_id < -(10**12) else "group"}


def _kind(update: dict[str, Any]) -> str:
    return next(k for k in update if k != "update_id")


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _json_list(value: Any) -> list[str]:
    parsed = _json_value(value)
    return list(parsed) if isinstance(parsed, list) else []


def _params(content_type: str, body: bytes, path: str) -> dict[str, Any]:
    """Bot API parameters: query string, urlencoded, JSON or multipart/form-data."""
    params: dict[str, Any] = dict(parse_qsl(path.partition("?")[2]))
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        params.update(json.loads(body))
    elif kind == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    elif kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            params[str(name)] = payload if part.get_filename() else payload.decode()
    return params
