"""Local stand-ins for the platforms' HTTP APIs (the network boundary), on 127.0.0.1.

``FakeZalo`` answers like Zalo's OA API v3 (``/v3.0/oa/message/cs``) and its OAuth token
endpoint (``/v4/oa/access_token``); ``FakeTelegram`` like the Bot API
(``/bot<token>/<method>``). Both record what they were sent and can be told to fail:
answer 5xx, be slow, expire the access token, rate-limit, refuse a chat. Standard library
only, so both runtimes' tests can use them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse


@dataclass
class Failure:
    status: int = 500
    body: dict[str, Any] | None = None
    delay: float = 0.0


_Fake = TypeVar("_Fake", bound="FakePlatform")


class LocalHTTPServer(ThreadingHTTPServer):
    """A threaded server whose listen backlog takes a burst of connections (the standard 5
    would reset some of a worker's 50 concurrent sends, which a real platform does not)."""

    request_queue_size = 128
    daemon_threads = True


class FakePlatform:
    """A threaded HTTP server on a free 127.0.0.1 port; subclasses answer the requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[Failure] = []
        self.down = False
        handler = self._handler_class()
        self.server = LocalHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self: _Fake) -> _Fake:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int = 500, body: dict[str, Any] | None = None,
                  delay: float = 0.0) -> None:
        with self.lock:
            self.failures.extend(Failure(status, body, delay) for _ in range(count))

    def answer(self, path: str, headers: dict[str, str], params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                self._handle()

            def do_POST(self) -> None:  # noqa: N802
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                params = _params(self.headers.get("content-type") or "", raw)
                parsed = urlparse(self.path)
                params.update({k: v[0] for k, v in parse_qs(parsed.query).items()})
                headers = {k.lower(): v for k, v in self.headers.items()}
                failure = None
                with platform.lock:
                    if platform.failures:
                        failure = platform.failures.pop(0)
                if failure is not None:
                    if failure.delay:
                        time.sleep(failure.delay)
                    self._send(failure.status, failure.body or {"error": "injected failure"})
                    return
                status, body = platform.answer(parsed.path, headers, params)
                self._send(status, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        return Handler

    def wait_until(self, predicate: Any, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate():
                    return True
            time.sleep(0.05)
        with self.lock:
            return bool(predicate())


def _params(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        data = json.loads(raw.decode("utf-8"))
        return data if isinstance(data, dict) else {"_body": data}
    if "x-www-form-urlencoded" in content_type:
        params: dict[str, Any] = {}
        for key, values in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items():
            try:
                params[key] = json.loads(values[0])
            except ValueError:
                params[key] = values[0]
        return params
    if "multipart/form-data" in content_type:
        boundary = content_type.split("boundary=")[-1].encode()
        params = {}
        for part in raw.split(b"--" + boundary):
            if b"name=\"" not in part:
                continue
            head, _, value = part.partition(b"\r\n\r\n")
            name = head.split(b"name=\"")[1].split(b"\"")[0].decode()
            text = value.rsplit(b"\r\n", 1)[0].decode("utf-8")
            try:
                params[name] = json.loads(text)
            except ValueError:
                params[name] = text
        return params
    return {"_raw": raw.decode("utf-8", "replace")}


@dataclass
class ZaloMessage:
    user_id: str
    message: dict[str, Any]


class FakeZalo(FakePlatform):
    """Zalo's OA API: send CS messages with a valid access token (within the window after the
    user's last message, when told to enforce it), transaction messages, refresh tokens."""

    def __init__(self, access_token: str = "access-1", refresh_token: str = "refresh-1",
                 app_id: str = "app-1", app_secret: str = "app-secret") -> None:
        super().__init__()
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.app_id = app_id
        self.app_secret = app_secret
        self.sent: list[ZaloMessage] = []
        self.refreshes = 0
        self.not_following: set[str] = set()
        # Zalo's rule for consultation messages: only within the window after the user's last
        # message to the OA (``interactions``: user -> when); enforced when ``enforce_window``
        self.enforce_window = False
        self.window_seconds = 2 * 24 * 3600.0
        self.interactions: dict[str, float] = {}
        self.refused: list[ZaloMessage] = []
        self._tokens = itertools.count(2)

    def expire_token(self) -> None:
        """The current access token stops working (as after its 25 hours)."""
        with self.lock:
            self.access_token = f"access-expired-{next(self._tokens)}"

    def texts_to(self, user_id: str) -> list[str]:
        with self.lock:
            return [m.message.get("text", "") for m in self.sent if m.user_id == user_id]

    def answer(self, path: str, headers: dict[str, str], params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append((path, params))
            if path == "/v3.0/oa/message/transaction":
                if headers.get("access_token") != self.access_token:
                    return 200, {"error": -216, "message": "Access token is invalid"}
                user_id = str((params.get("recipient") or {}).get("user_id", ""))
                message = params.get("message") or {}
                payload = ((message.get("attachment") or {}).get("payload") or {}) if isinstance(message, dict) else {}
                if not user_id or not str(payload.get("template_type", "")).startswith("transaction_") \
                        or not payload.get("elements"):
                    return 200, {"error": -201, "message": "Parameters are invalid"}
                if user_id in self.not_following:
                    return 200, {"error": -213, "message": "User has not followed the OA"}
                self.sent.append(ZaloMessage(user_id, message))
                return 200, {"error": 0, "message": "Success", "data": {"msg_id": f"m{len(self.sent)}"}}
            if path == "/v3.0/oa/message/cs":
                if headers.get("access_token") != self.access_token:
                    return 200, {"error": -216, "message": "Access token is invalid"}
                user_id = str((params.get("recipient") or {}).get("user_id", ""))
                message = params.get("message") or {}
                if not user_id or not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
                    return 200, {"error": -201, "message": "Parameters are invalid"}
                if len(message.get("text", "")) > 2000:
                    return 200, {"error": -201, "message": "text is too long"}
                if user_id in self.not_following:
                    return 200, {"error": -213, "message": "User has not followed the OA"}
                if self.enforce_window and time.time() - self.interactions.get(user_id, -1e18) > self.window_seconds:
                    self.refused.append(ZaloMessage(user_id, message))
                    return 200, {"error": -230, "message": "User has not interacted with the OA in the window"}
                self.sent.append(ZaloMessage(user_id, message))
                return 200, {"error": 0, "message": "Success", "data": {"msg_id": f"m{len(self.sent)}",
                                                                       "user_id": user_id}}
            if path == "/v4/oa/access_token":
                if headers.get("secret_key") != self.app_secret or params.get("app_id") != self.app_id:
                    return 200, {"error": -14002, "error_name": "Invalid secret key"}
                if params.get("grant_type") != "refresh_token" or params.get("refresh_token") != self.refresh_token:
                    return 200, {"error": -14014, "error_name": "Invalid refresh token"}
                number = next(self._tokens)
                self.access_token = f"access-{number}"
                self.refresh_token = f"refresh-{number}"  # Zalo's refresh tokens are single-use
                self.refreshes += 1
                return 200, {"access_token": self.access_token, "refresh_token": self.refresh_token,
                             "expires_in": "90000"}
            return 404, {"error": -1, "message": "unknown endpoint"}


@dataclass
class TelegramSent:
    chat_id: str
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None


class FakeTelegram(FakePlatform):
    """Telegram's Bot API for one bot token: sendMessage, answerCallbackQuery, getUpdates."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        super().__init__()
        self.token = token
        self.sent: list[TelegramSent] = []
        self.answered_callbacks: list[str] = []
        self.blocked: set[str] = set()
        self.updates: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        """What python-telegram-bot's ``base_url`` should be (the token is appended)."""
        return f"{self.url}/bot"

    def texts_to(self, chat_id: str) -> list[str]:
        with self.lock:
            return [m.text for m in self.sent if m.chat_id == str(chat_id)]

    def queue_update(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)

    def answer(self, path: str, headers: dict[str, str], params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = path[len(prefix):]
        with self.lock:
            self.requests.append((method, params))
            if method == "getMe":
                return 200, {"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "Trợ lý TTHC",
                                                    "username": "tthc_test_bot", "can_join_groups": False,
                                                    "can_read_all_group_messages": False,
                                                    "supports_inline_queries": False}}
            if method in ("deleteWebhook", "setWebhook", "close", "logOut"):
                return 200, {"ok": True, "result": True}
            if method == "sendMessage":
                chat_id = str(params.get("chat_id", ""))
                text = params.get("text")
                if not isinstance(text, str) or not text.strip():
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
                if len(text) > 4096:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
                if chat_id in self.blocked:
                    return 403, {"ok": False, "error_code": 403,
                                 "description": "Forbidden: bot was blocked by the user"}
                markup = params.get("reply_markup")
                self.sent.append(TelegramSent(chat_id, text, params.get("parse_mode"), markup))
                return 200, {"ok": True, "result": {
                    "message_id": len(self.sent), "date": int(time.time()), "text": text,
                    "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id, "type": "private"},
                    "from": {"id": 123456, "is_bot": True, "first_name": "Trợ lý TTHC"},
                }}
            if method == "answerCallbackQuery":
                self.answered_callbacks.append(str(params.get("callback_query_id")))
                return 200, {"ok": True, "result": True}
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                pending = [u for u in self.updates if u["update_id"] >= offset]
                return 200, {"ok": True, "result": pending}
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


def telegram_text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """An Update as Telegram sends it for a private text message."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Công dân", "language_code": "vi"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": "Công dân"}, "from": user}}


def telegram_callback_update(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    """An Update for a tap on an inline-keyboard button."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Công dân"}
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "from": user, "chat_instance": "ci", "data": data,
        "message": {"message_id": 1, "date": int(time.time()), "text": "…",
                    "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": 123456, "is_bot": True, "first_name": "Trợ lý TTHC"}}}}


def zalo_event(event: str, user_id: str, *, text: str | None = None, msg_id: str | None = None,
               app_id: str = "app-1", oa_id: str = "oa-1") -> dict[str, Any]:
    """A webhook event as Zalo sends it (ids and timestamp as strings)."""
    body: dict[str, Any] = {"app_id": app_id, "event_name": event, "timestamp": str(int(time.time() * 1000)),
                            "sender": {"id": user_id}, "recipient": {"id": oa_id}, "user_id_by_app": user_id}
    if event.startswith("user_send_"):
        body["message"] = {"msg_id": msg_id or f"msg-{time.time_ns()}"}
        if text is not None:
            body["message"]["text"] = text
        if event == "user_send_sticker":
            body["message"]["attachments"] = [{"type": "sticker", "payload": {"id": "s1"}}]
    return body
