"""A stand-in for a city's one-stop system (một cửa điện tử) on 127.0.0.1: the network
boundary of the dossier lookup, for the tests and the benchmarks.

It answers the contract of :mod:`actions.onestop` (``POST /dossiers/verify``, ``GET
/dossiers/{code}``) from the dossiers it is given, and can be told to misbehave: answer
slowly, fail with 5xx a number of times, send something that is not the contract's JSON,
take longer over an unknown code than over a wrong proof. Standard library only.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlparse

from servers.fake_platforms import LocalHTTPServer


@dataclass
class FakeDossier:
    record: dict[str, Any]  # the JSON of GET /dossiers/{code}
    phone_last4: str


@dataclass
class Misbehaviour:
    delay: float = 0.0  # every answer waits this long
    fail_next: int = 0  # this many answers are 503
    malformed: bool = False  # answers are not JSON
    wrong_shape: bool = False  # answers are JSON, but not the contract's
    unknown_code_delay: float = 0.0  # extra wait when the code is unknown (a system's own timing)
    wrong_proof_delay: float = 0.0  # extra wait when the proof is wrong
    api_key: str | None = None  # when set, requests without "Bearer <key>" get 401


@dataclass
class FakeOneStop:
    dossiers: dict[str, FakeDossier] = field(default_factory=dict)
    misbehaviour: Misbehaviour = field(default_factory=Misbehaviour)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (method, path)
        handler = self._handler()
        self.server = LocalHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeOneStop:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, record: dict[str, Any], phone_last4: str) -> None:
        with self.lock:
            self.dossiers[str(record["code"])] = FakeDossier(dict(record), phone_last4)

    def update(self, dossier: str, **changes: Any) -> None:
        """The office moves the dossier on (what a poll then finds)."""
        with self.lock:
            self.dossiers[dossier].record.update(changes)

    def _answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any, float]:
        """(HTTP status, JSON body, seconds to wait first)."""
        bad = self.misbehaviour
        with self.lock:
            self.requests.append((method, path))
            if bad.fail_next > 0:
                bad.fail_next -= 1
                return 503, {"error": "unavailable"}, bad.delay
            if bad.api_key and headers.get("authorization") != f"Bearer {bad.api_key}":
                return 401, {"error": "unauthorized"}, bad.delay
            if method == "POST" and path == "/dossiers/verify":
                if not isinstance(body, dict):
                    return 400, {"error": "a JSON object is required"}, bad.delay
                dossier = self.dossiers.get(str(body.get("code")))
                if dossier is None:
                    return 200, {"verified": False}, bad.delay + bad.unknown_code_delay
                ok = str(body.get("phone_last4")) == dossier.phone_last4
                return 200, {"verified": ok}, bad.delay + (0.0 if ok else bad.wrong_proof_delay)
            if method == "GET" and path.startswith("/dossiers/"):
                dossier = self.dossiers.get(unquote(path[len("/dossiers/"):]))
                if dossier is None:
                    return 404, {"error": "not found"}, bad.delay
                return 200, dict(dossier.record), bad.delay
            return 404, {"error": "no such endpoint"}, bad.delay

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer, delay = fake._answer(method, urlparse(self.path).path, headers, body)
                if delay:
                    time.sleep(delay)
                if fake.misbehaviour.malformed:
                    data = b"<html>Service Temporarily Unavailable</html>"
                elif fake.misbehaviour.wrong_shape:
                    data = json.dumps({"result": "ok", "data": [answer]}).encode()
                else:
                    data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

        return Handler


def sample_record(code: str = "000.00.12.H40-251201-0007", status: str = "in_progress", **extra: Any) -> dict[str, Any]:
    """A dossier record as a one-stop system sends it."""
    return {"code": code, "procedure_name": "Đăng ký khai sinh", "status": status, "due_date": "2025-12-08",
            "missing": [], "pickup_place": "Bộ phận một cửa UBND phường Hải Châu", **extra}
