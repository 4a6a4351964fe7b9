"""The web front: demo page, widget, health, and /api/chat and /api/updates forwarding to
the Rasa server's web channel (a tiny local HTTP server stands in for Rasa)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servers.database import migrated_sqlite
from tthc_settings import REPO_ROOT, Settings
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
        def do_GET(self) -> None:
            fake.requests.append({"path": self.path, "content_type": None, "body": b""})
            body = json.dumps({"messages": [{"id": 7, "text": "Cán bộ: đã nhận", "buttons": [],
                                             "origin": "staff"}], "last_id": 7}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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


@pytest.fixture(autouse=True)
def database(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console mounted on the web front gets its own database."""
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite(tmp_path / "tthc.db"))


def issued(client: TestClient) -> str:
    """A conversation id from the web front (a browser's first call)."""
    answer = client.post("/api/session")
    assert answer.status_code == 200
    return answer.json()["sender"]


def client_for(rasa_url: str, **kwargs: Any) -> TestClient:
    settings = Settings(_env_file=None, rasa_url=rasa_url)  # type: ignore[call-arg]
    return TestClient(create_app(settings), **kwargs)


def test_root_is_a_demo_page_embedding_the_widget_with_one_tag() -> None:
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        response = client.get("/")
        full_page = client.get("/chat")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "charset=utf-8" in response.headers["content-type"]
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    assert response.text.count('<script src="/widget.js"') == 1
    assert '<script src="/widget.js" data-open="true"' in full_page.text


def test_the_widget_and_its_configuration_are_served() -> None:
    settings = Settings(_env_file=None, rasa_url="http://127.0.0.1:9", widget_city_name="UBND phường Hải Châu",  # type: ignore[call-arg]
                        widget_color="#004a99", privacy_url="https://example.gov.vn/bao-mat")
    with TestClient(create_app(settings)) as client:
        script = client.get("/widget.js")
        config = client.get("/widget/config.json").json()
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert "attachShadow" in script.text and "/api/chat" in script.text and "/api/updates" in script.text
    assert "innerHTML" not in script.text  # message text is only ever inserted as text
    assert config == {"city_name": "UBND phường Hải Châu", "color": "#004a99", "logo_url": "",
                      "privacy_url": "https://example.gov.vn/bao-mat"}


def test_the_api_answers_cross_origin_requests_from_allowed_sites(rasa: FakeRasa) -> None:
    settings = Settings(_env_file=None, rasa_url=rasa.url, widget_allowed_origins=["https://phuong.example.vn"])  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        allowed = client.options("/api/chat", headers={"Origin": "https://phuong.example.vn",
                                                       "Access-Control-Request-Method": "POST",
                                                       "Access-Control-Request-Headers": "content-type"})
        other = client.options("/api/chat", headers={"Origin": "https://evil.example",
                                                     "Access-Control-Request-Method": "POST"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://phuong.example.vn"
    assert "access-control-allow-origin" not in other.headers


def test_updates_are_fetched_from_the_web_channel(rasa: FakeRasa) -> None:
    with client_for(rasa.url) as client:
        sender = issued(client)
        response = client.get("/api/updates", params={"sender": sender, "after": "3"})
    assert response.status_code == 200 and response.json()["last_id"] == 7
    assert rasa.requests[0]["path"] == f"/webhooks/web/updates?sender={sender}&after=3"


@pytest.mark.parametrize("body", [b"not json", b"[1]", b"\xff", b"{" + b" " * 70000 + b"}", b"[" * 10_000 + b"]" * 10_000,
                                  b'{"sender": "s", "message": "x", "metadata": ' + b"[" * 40 + b"]" * 40 + b"}"])
def test_bad_bodies_are_refused_before_reaching_rasa(rasa: FakeRasa, body: bytes) -> None:
    with client_for(rasa.url) as client:
        response = client.post("/api/chat", content=body)
    assert response.status_code == 400 and "error" in response.json()
    assert rasa.requests == []


def test_healthz() -> None:
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_chat_forwards_to_rasa_and_returns_its_replies(rasa: FakeRasa) -> None:
    with client_for(rasa.url) as client:
        message = {"sender": issued(client), "message": "làm giấy khai sinh cần gì"}
        response = client.post("/api/chat", json=message)
    assert response.status_code == 200
    assert response.json() == REPLIES
    (request,) = rasa.requests
    assert request["path"] == "/webhooks/web/webhook"
    assert request["content_type"] == "application/json"
    assert json.loads(request["body"]) == message


def test_chat_passes_the_body_through_unchanged(rasa: FakeRasa) -> None:
    with client_for(rasa.url) as client:
        raw = ('{"sender": "%s", "message": "đăng ký kết hôn"}' % issued(client)).encode()
        client.post("/api/chat", content=raw, headers={"content-type": "text/plain"})
    assert rasa.requests[0]["body"] == raw
    assert rasa.requests[0]["content_type"] == "application/json"


def test_chat_keeps_rasa_status_and_empty_replies(rasa: FakeRasa) -> None:
    rasa.status, rasa.body = 400, json.dumps({"error": "bad"}).encode()
    with client_for(rasa.url) as client:
        sender = issued(client)
        response = client.post("/api/chat", json={"sender": sender, "message": "x"})
        assert response.status_code == 400 and response.json() == {"error": "bad"}
        rasa.status, rasa.body = 200, b""
        response = client.post("/api/chat", json={"sender": sender, "message": "x"})
        assert response.status_code == 200 and response.json() == []


def test_a_503_from_rasa_is_passed_on(rasa: FakeRasa) -> None:
    rasa.status, rasa.body = 503, json.dumps([{"text": "Hệ thống đang bận"}], ensure_ascii=False).encode()
    with client_for(rasa.url) as client:
        response = client.post("/api/chat", json={"sender": issued(client), "message": "x"})
    assert response.status_code == 503 and response.json() == [{"text": "Hệ thống đang bận"}]


def test_chat_when_rasa_is_unreachable_is_503_with_retry_after() -> None:
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        response = client.post("/api/chat", json={"sender": issued(client), "message": "xin chào"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    replies = response.json()
    assert isinstance(replies, list) and len(replies) == 1
    assert "thử lại" in replies[0]["text"]


def test_chat_with_a_non_json_upstream_reply_still_answers_json(rasa: FakeRasa) -> None:
    rasa.status, rasa.body, rasa.content_type = 502, b"<html>Bad Gateway</html>", "text/html"
    with client_for(rasa.url, raise_server_exceptions=False) as client:
        response = client.post("/api/chat", json={"sender": issued(client), "message": "x"})
    assert isinstance(response.json(), list)


@pytest.mark.parametrize("path", ["/", "/chat", "/widget.js", "/healthz", "/console/login", "/console/", "/nothing"])
def test_every_response_carries_the_hardening_headers(path: str) -> None:
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        answer = client.get(path, follow_redirects=False)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    policy = answer.headers["content-security-policy"]
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy
    assert "script-src 'self';" in policy  # no page runs an inline script
    if path.startswith("/console"):
        assert answer.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in policy
    else:  # only this site may frame a citizen page
        assert answer.headers["x-frame-options"] == "SAMEORIGIN"


def test_no_page_has_an_inline_script_or_event_handler() -> None:
    """The policy would block them: behaviour lives in widget.js and console.js."""
    pages = [*(REPO_ROOT / "console" / "templates").glob("*.html"), *(REPO_ROOT / "web" / "static").glob("*.html")]
    assert len(pages) > 10
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert not re.search(r"\son[a-z]+\s*=", html), page.name
        assert "javascript:" not in html, page.name
    with client_for(f"http://127.0.0.1:{closed_port()}") as client:
        script = client.get("/console/console.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "/console/api/badge" in script.text  # the console's own script, not an error page


def test_one_address_is_limited_however_many_sender_ids_it_makes_up(rasa: FakeRasa) -> None:
    settings = Settings(_env_file=None, rasa_url=rasa.url, rate_limit_address_messages=3)  # type: ignore[call-arg]
    app = create_app(settings)
    with TestClient(app, client=("127.0.0.1", 5000)) as local:  # this machine is not counted
        senders = [issued(local) for _ in range(7)]
        assert all(local.post("/api/chat", json={"sender": senders[0], "message": "hi"}).status_code == 200
                   for _ in range(5))
    rasa.requests.clear()
    with TestClient(app, client=("203.0.113.7", 5000)) as client:
        codes = [client.post("/api/chat", json={"sender": senders[i], "message": "hi"}).status_code for i in range(5)]
        refused = client.post("/api/session")  # a new id is counted as well
    assert codes == [200, 200, 200, 429, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1 and "error" in refused.json()
    assert len(rasa.requests) == 3  # the refused ones never reached the bot
    # another address has its own allowance
    with TestClient(app, client=("198.51.100.9", 5000)) as other:
        assert other.post("/api/chat", json={"sender": senders[6], "message": "hi"}).status_code == 200


@pytest.mark.parametrize("sender", ["u1", "777000222", "web-abc", "web-abc.0123456789abcdef01234567", None, 5])
def test_a_conversation_id_the_web_front_did_not_issue_is_refused(rasa: FakeRasa, sender: object) -> None:
    with client_for(rasa.url) as client:
        good = issued(client)
        forged = good.rsplit(".", 1)[0] + "." + "0" * 24  # another signature on a real token
        for bad in (sender, forged):
            chat = client.post("/api/chat", json={"sender": bad, "message": "tôi muốn gặp cán bộ"})
            assert chat.status_code == 403 and "/api/session" in chat.json()["error"]
            updates = client.get("/api/updates", params={"sender": str(bad)})
            assert updates.status_code == 403
        assert rasa.requests == []  # none reached the bot
        assert client.post("/api/chat", json={"sender": good, "message": "xin chào"}).status_code == 200
        assert issued(client) != good  # each browser its own
