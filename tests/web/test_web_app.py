"""The web front: chat page, health, and /api/chat forwarding to Rasa's REST webhook
(a tiny local HTTP server stands in for Rasa)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tthc.settings import Settings
from web.app import create_app

REPLIES = [
    {"recipient_id": "u1", "text": "Xin chào! Tôi có thể giúp gì?"},
    {"recipient_id": "u1", "text": "..."},
]


@dataclass
class FakeRasa:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: bytes = json.dumps(REPLIES, ensure_ascii=False).encode()
    content_type: str = "application/json"


@pytest.fixture()
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            fake.requests.append(
                {
                    "path": self.path,
                    "content_type": self.headers.get("content-type"),
                    "body": self.rfile.read(length),
                }
            )
            self.send_response(fake.status)
            self.send_header("content-type", fake.content_type)
            self.send_header("content-length", str(len(fake.body)))
            self.end_headers()
            self.wfile.write(fake.body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_for(rasa_url: str, **kwargs: Any) -> TestClient:
    settings = Settings(_env_file=None, rasa_url=rasa_url)  # type: ignore[call-arg]
    return TestClient(create_app(settings), **kwargs)


def test_root_serves_the_chat_page() -> None:
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "charset=utf-8" in response.headers["content-type"]
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    assert "Trợ lý thủ tục hành chính" in response.text
    assert "/api/chat" in response.text


def test_healthz() -> None:
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_chat_forwards_to_rasa_and_returns_its_replies(rasa: FakeRasa) -> None:
    message = {"sender": "u1", "message": "làm giấy khai sinh cần gì"}
    with client_for(rasa.url) as client:
        response = client.post("/api/chat", json=message)
    assert response.status_code == 200
    assert response.json() == REPLIES
    (request,) = rasa.requests
    assert request["path"] == "/webhooks/rest/webhook"
    assert request["content_type"] == "application/json"
    assert json.loads(request["body"]) == message


def test_chat_passes_the_body_through_unchanged(rasa: FakeRasa) -> None:
    raw = '{"sender": "u2", "message": "đăng ký kết hôn"}'.encode()
    with client_for(rasa.url) as client:
        client.post("/api/chat", content=raw, headers={"content-type": "text/plain"})
    assert rasa.requests[0]["body"] == raw
    assert rasa.requests[0]["content_type"] == "application/json"


def test_chat_keeps_rasa_status_and_empty_replies(rasa: FakeRasa) -> None:
    rasa.status, rasa.body = 400, json.dumps({"error": "bad"}).encode()
    with client_for(rasa.url) as client:
        response = client.post("/api/chat", json={"sender": "u1", "message": "x"})
        assert response.status_code == 400 and response.json() == {"error": "bad"}
        rasa.status, rasa.body = 200, b""
        response = client.post("/api/chat", json={"sender": "u1", "message": "x"})
        assert response.status_code == 200 and response.json() == []


def test_chat_when_rasa_is_unreachable_is_503_with_retry_after() -> None:
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        response = client.post("/api/chat", json={"sender": "u1", "message": "xin chào"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    replies = response.json()
    assert isinstance(replies, list) and len(replies) == 1
    assert "thử lại" in replies[0]["text"]


def test_chat_with_a_non_json_upstream_reply_still_answers_json(rasa: FakeRasa) -> None:
    rasa.status, rasa.body, rasa.content_type = 502, b"<html>Bad Gateway</html>", "text/html"
    with client_for(rasa.url, raise_server_exceptions=False) as client:
        response = client.post("/api/chat", json={"sender": "u1", "message": "x"})
    assert isinstance(response.json(), list)
