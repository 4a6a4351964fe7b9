"""The staff console (/console on the web front): login, roles, CSRF, pages, curation,
handoff replies, exports, retention. The conversations are rows in Rasa's ``events`` table
format, as the Rasa server writes them."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from starlette.routing import Mount

from console.index_rebuild import rebuild_environment
from console.routes.auth import OPEN_PATHS
from console.users import create_user, set_password
from guides.catalog.check import record_fingerprints
from guides.catalog.records import normalise_record
from tests import catalog_records
from tests.catalog_records import write_catalog
from tthc_data.channels import shared_store
from tthc_data.engine import engine_for, session_scope
from tthc_data.migrate import upgrade
from tthc_data.staff import open_ticket
from tthc_data.tables import AuditLog, Feedback, HandoffTicket, StaffSession
from tthc_settings import Settings
from web.app import create_app

FIXTURE_GUIDES = Path(__file__).parents[1] / "fixtures" / "guides" / "valid"
ADMIN_PASSWORD = "mat-khau-quan-tri-1"
CLERK_PASSWORD = "mat-khau-can-bo-1"
EVENTS_DDL = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
    "data TEXT)"
)


class Events:
    """Writes conversation events in the shape of Rasa's SQL tracker store."""

    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        with self.engine.begin() as conn:
            conn.execute(text(EVENTS_DDL))
        self.clock = time.time() - 120  # today, a moment ago

    def add(self, sender: str, kind: str, data: dict[str, Any], at: float | None = None,
            intent: str | None = None, action: str | None = None) -> None:
        self.clock += 1
        when = at if at is not None else self.clock
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                              "VALUES (:s, :k, :t, :i, :a, :d)"),
                         {"s": sender, "k": kind, "t": when, "i": intent, "a": action,
                          "d": json.dumps({"event": kind, "timestamp": when, **data}, ensure_ascii=False)})

    def user(self, sender: str, message: str, intent: str, confidence: float, channel: str = "web",
             at: float | None = None) -> None:
        self.add(sender, "user", {"text": message, "input_channel": channel,
                                  "parse_data": {"intent": {"name": intent, "confidence": confidence}}},
                 at=at, intent=intent)

    def bot(self, sender: str, message: str, at: float | None = None) -> None:
        self.add(sender, "bot", {"text": message, "data": {"buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}},
                 at=at)

    def procedure(self, sender: str, code: str, at: float | None = None) -> None:
        self.add(sender, "slot", {"name": "procedure_code", "value": code}, at=at)


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Events, Settings]]:
    with _site(tmp_path, catalog=None) as parts:
        yield parts


@contextmanager
def _site(tmp_path: Path, catalog: Path | None,
          add_guide: dict[str, Any] | None = None) -> Iterator[tuple[TestClient, Events, Settings]]:
    procedures = tmp_path / "procedures"
    shutil.copytree(FIXTURE_GUIDES, procedures)
    if add_guide is not None:
        text = yaml.safe_dump(add_guide, allow_unicode=True, sort_keys=False)
        (procedures / "ho-tich" / f"{add_guide['id']}.yml").write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'tthc.db'}"
    upgrade(url)
    events = Events(url)
    with session_scope(engine_for(url)) as session:
        create_user(session, "quantri", ADMIN_PASSWORD, "admin")
        create_user(session, "canbo", CLERK_PASSWORD, "clerk")
    # the index and the catalog of this test: an edit's background rebuild never touches build/index
    settings = Settings(database_url=url, procedures_dir=procedures, console_secret_key="test-secret",
                        rasa_url="http://127.0.0.1:9", index_dir=tmp_path / "index", catalog_dir=catalog)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, events, settings


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str) -> Any:
    form = client.get("/console/login")
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf": csrf_of(form.text), "next": "/console/"},
                       follow_redirects=False)


def seed_conversations(events: Events) -> None:
    events.user("citizen-a", "làm giấy khai sinh cần gì, sđt tôi 0912345678", "ask_documents", 0.93)
    events.procedure("citizen-a", "1.001193")
    events.bot("citizen-a", "Dạ, hồ sơ đăng ký khai sinh gồm tờ khai và giấy chứng sinh.")
    events.user("citizen-b", "cái này là sao <script>alert(1)</script>", "nlu_fallback", 0.21, channel="zalo")
    events.add("citizen-b", "action", {"name": "action_fallback"}, action="action_fallback")
    events.bot("citizen-b", "Xin lỗi, tôi chưa hiểu rõ.")
    events.user("citizen-c", "le phi ket hon bao nhieu", "ask_fee", 0.88, channel="telegram")
    events.procedure("citizen-c", "1.000894")


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """The routes of an app, those of its included routers among them (FastAPI keeps an
    included router as one entry holding the router; older versions copy its routes)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes)
    return found


def console_routes(client: TestClient) -> list[APIRoute]:
    """Every route of the console mounted in the web front."""
    (mount,) = [r for r in client.app.routes if isinstance(r, Mount) and r.path == "/console"]  # type: ignore[attr-defined]
    return api_routes(mount.routes)


def test_every_page_needs_a_login(site: tuple[TestClient, Events, Settings]) -> None:
    """Every route of the app but login, logout and the script: a page sends to the login,
    an API call or a form post is refused with 401 (a route added later is covered too)."""
    client, _, _ = site
    values = {"ticket_id": "1", "annotation_id": "1", "session_id": "1", "sender_id": "x", "code": "1.001193",
              "fmt": "csv"}
    checked = []
    for route in console_routes(client):
        if route.path in OPEN_PATHS:
            continue
        path = "/console" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path)
        query = {"sender": "x"} if route.path == "/conversation" else {}
        for method in sorted(route.methods):
            answer = client.request(method, path, params=query, data={"csrf": "x"} if method == "POST" else None,
                                    follow_redirects=False)
            if method == "GET" and not route.path.startswith("/api/"):
                assert answer.status_code == 303, (method, path)
                assert answer.headers["location"].startswith("/console/login"), (method, path)
            else:
                assert answer.status_code == 401, (method, path)
            checked.append((method, route.path))
    assert len(checked) >= 20 and ("POST", "/guides/{code}") in checked and ("GET", "/api/badge") in checked
    # the open ones really are open
    assert client.get("/console/login").status_code == 200
    assert client.get("/console/console.js").status_code == 200


def test_login_checks_the_password_and_the_csrf_token(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, _ = site
    wrong = login(client, "quantri", "not-the-password")
    assert wrong.status_code == 401 and "không đúng" in wrong.text
    client.get("/console/login")
    no_token = client.post("/console/login", data={"username": "quantri", "password": ADMIN_PASSWORD})
    assert no_token.status_code == 403
    good = login(client, "quantri", ADMIN_PASSWORD)
    assert good.status_code == 303 and good.headers["location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 200 and "Tổng quan" in home.text
    with session_scope(engine_for(site[2].database_url)) as session:
        actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert "login.failed" in actions and actions[-1] == "login"


def test_login_does_not_redirect_outside_the_console(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, _ = site
    form = client.get("/console/login")
    answer = client.post("/console/login", data={"username": "quantri", "password": ADMIN_PASSWORD,
                                                 "csrf": csrf_of(form.text), "next": "https://evil.example/"},
                         follow_redirects=False)
    assert answer.headers["location"] == "/console/"


def test_clerks_cannot_open_admin_pages_or_export(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, _ = site
    login(client, "canbo", CLERK_PASSWORD)
    assert client.get("/console/admin").status_code == 403
    assert client.get("/console/export.csv").status_code == 403
    token = csrf_of(client.get("/console/").text)
    assert client.post("/console/admin/purge", data={"days": 1, "csrf": token}).status_code == 403
    assert client.get("/console/handoffs").status_code == 200  # a clerk's own work


def test_a_session_ends_after_the_idle_time(tmp_path: Path, site: tuple[TestClient, Events, Settings]) -> None:
    _, _, settings = site
    short = settings.model_copy(update={"console_idle_minutes": 0.001})
    with TestClient(create_app(short)) as client:
        login(client, "quantri", ADMIN_PASSWORD)
        time.sleep(0.2)
        answer = client.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


def test_conversations_are_filtered_and_personal_data_masked(site: tuple[TestClient, Events, Settings]) -> None:
    client, events, settings = site
    seed_conversations(events)
    with session_scope(engine_for(settings.database_url)) as session:
        session.add(Feedback(sender_id="citizen-c", channel="telegram", procedure_code="1.000894", helpful=False))
    login(client, "canbo", CLERK_PASSWORD)

    def senders(**query: str) -> set[str]:
        page = client.get("/console/conversations", params=query).text
        return set(re.findall(r'/console/conversation\?sender=(citizen-[a-z])"', page))

    assert senders() == {"citizen-a", "citizen-b", "citizen-c"}
    assert senders(channel="zalo") == {"citizen-b"}
    assert senders(low="1") == {"citizen-b"}
    assert senders(procedure="1.001193") == {"citizen-a"}
    assert senders(intent="ask_fee") == {"citizen-c"}
    assert senders(negative="1") == {"citizen-c"}
    assert senders(q="khai sinh") == {"citizen-a"}
    today = dt.datetime.now(dt.timezone.utc).date()
    assert senders(since=today.isoformat()) == {"citizen-a", "citizen-b", "citizen-c"}
    assert senders(since=(today + dt.timedelta(days=1)).isoformat()) == set()
    assert senders(until=(today - dt.timedelta(days=3)).isoformat()) == set()
    page = client.get("/console/conversations").text
    assert "0912345678" not in page


def test_a_transcript_shows_intent_confidence_and_procedure_safely(site: tuple[TestClient, Events, Settings]) -> None:
    client, events, _ = site
    seed_conversations(events)
    login(client, "canbo", CLERK_PASSWORD)
    page = client.get("/console/conversations/citizen-a").text
    assert 'class="intent">ask_documents<' in page and "(0.93)" in page
    assert 'class="procedure">1.001193<' in page and "Đăng ký khai sinh" in page
    assert "0912345678" not in page and "••78" in page
    unsafe = client.get("/console/conversations/citizen-b").text
    assert "<script>alert(1)</script>" not in unsafe
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in unsafe
    assert "chưa hiểu" in unsafe


@pytest.mark.parametrize("sender", ["a/b", "..", ".", "../../admin", "x?y#z&w", "chị Hà 1"])
def test_a_conversation_of_any_sender_id_opens_and_is_annotated(
        site: tuple[TestClient, Events, Settings], sender: str) -> None:
    client, events, _ = site
    events.user(sender, f"lam giay khai sinh can gi ({sender})", "ask_documents", 0.4)
    login(client, "canbo", CLERK_PASSWORD)
    listing = client.get("/console/conversations").text
    (link,) = [html.unescape(h) for h in re.findall(r'href="(/console/conversation\?sender=[^"]*)"', listing)]
    page = client.get(link)  # the link the list gives, as a browser follows it
    assert page.status_code == 200 and f"({html.escape(sender)})" in page.text
    token = csrf_of(page.text)
    answer = client.post("/console/conversation/annotate", data={
        "csrf": token, "sender": sender, "text": "lam giay khai sinh can gi", "predicted": "ask_documents",
        "intent": "ask_procedure", "procedure_code": "1.001193"}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get(answer.headers["location"]).status_code == 200
    assert "lam giay khai sinh can gi" in client.get("/console/curation").text
    assert client.get("/console/conversation", params={"sender": sender + "-other"}).status_code == 404


def test_the_admin_sees_the_messages_that_could_not_be_processed(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, settings = site
    store = shared_store(settings.database_url)
    store.accept("zalo", "poison-9", "zalo-user-9", {"text": "x"})
    store.accept("telegram", "fine-1", "telegram-user-fine", {"text": "y"})  # processed later: not listed
    assert store.record_failure("zalo", "poison-9", "ValueError('không xử lý được')", 1)
    login(client, "quantri", ADMIN_PASSWORD)
    page = client.get("/console/admin").text
    section = page[page.index("Tin nhắn không xử lý được"):page.index("Nhật ký thao tác")]
    assert "(1)" in section and "zalo" in section and "không xử lý được" in section
    assert "/console/conversation?sender=zalo-user-9" in section
    assert "telegram-user-fine" not in section  # (a sender like "42" matched the time 14:42)


def test_a_misunderstood_message_is_annotated_reviewed_and_exported(site: tuple[TestClient, Events, Settings]) -> None:
    client, events, _ = site
    seed_conversations(events)
    login(client, "canbo", CLERK_PASSWORD)
    token = csrf_of(client.get("/console/conversations/citizen-b").text)
    answer = client.post("/console/conversations/citizen-b/annotate", data={
        "csrf": token, "text": "lam lai giay khai sinh bi mat, sdt 0987654321", "predicted": "nlu_fallback",
        "intent": "ask_procedure", "procedure_code": "1.001193"}, follow_redirects=False)
    assert answer.status_code == 303
    curation = client.get("/console/curation").text
    assert "lam lai giay khai sinh bi mat" in curation
    annotation_id = re.search(r'action="/console/curation/(\d+)"', curation).group(1)
    client.post(f"/console/curation/{annotation_id}", data={"csrf": token, "decision": "approve"})
    nlu = yaml.safe_load(client.get("/console/curation/nlu.yml").text)
    (block,) = nlu["nlu"]
    assert block["intent"] == "ask_procedure"
    assert "lam lai giay khai sinh bi mat" in block["examples"] and "0987654321" not in block["examples"]
    items = yaml.safe_load(client.get("/console/curation/eval.yml").text)
    assert items[0]["codes"] == ["1.001193"] and items[0]["aspect"] == "general"


def test_a_clerk_answers_a_handoff_and_the_reply_is_queued_for_the_citizens_channel(
        site: tuple[TestClient, Events, Settings]) -> None:
    client, events, settings = site
    seed_conversations(events)
    with session_scope(engine_for(settings.database_url)) as session:
        ticket_id = open_ticket(session, sender_id="citizen-b", channel="zalo", reason="fallback",
                                procedure_code=None, last_message="cái này là sao").id
    login(client, "canbo", CLERK_PASSWORD)
    assert client.get("/console/api/badge").json() == {"open_tickets": 1}
    queue = client.get("/console/handoffs").text
    assert f"/console/handoffs/{ticket_id}" in queue
    token = csrf_of(client.get(f"/console/handoffs/{ticket_id}").text)
    answer = client.post(f"/console/handoffs/{ticket_id}/reply", data={
        "csrf": token, "text": "Dạ, anh/chị mang tờ khai đến bộ phận một cửa phường nhé.", "close": "1"})
    assert answer.status_code == 200 and "Đã gửi" in answer.text
    (queued,) = shared_store(settings.database_url).all_messages("zalo")
    assert (queued.recipient, queued.origin, queued.status) == ("citizen-b", "staff", "pending")
    assert queued.message["text"] == "Dạ, anh/chị mang tờ khai đến bộ phận một cửa phường nhé."
    with session_scope(engine_for(settings.database_url)) as session:
        ticket = session.get(HandoffTicket, ticket_id)
        actions = [a.action for a in session.scalars(select(AuditLog))]
    assert ticket.status == "closed" and ticket.closed_by is not None
    assert "ticket.reply" in actions and "ticket.close" in actions
    assert client.get("/console/api/badge").json() == {"open_tickets": 0}
    transcript = client.get("/console/conversations/citizen-b").text
    assert "bộ phận một cửa phường" in transcript  # the staff reply is part of the transcript


def test_a_reply_to_a_zalo_conversation_goes_to_the_zalo_user_of_its_key(
        site: tuple[TestClient, Events, Settings]) -> None:
    client, _, settings = site
    with session_scope(engine_for(settings.database_url)) as session:
        ticket_id = open_ticket(session, sender_id="zalo:84999", channel="zalo", reason="request",
                                procedure_code=None, last_message="cho tôi gặp cán bộ").id
    login(client, "canbo", CLERK_PASSWORD)
    token = csrf_of(client.get(f"/console/handoffs/{ticket_id}").text)
    client.post(f"/console/handoffs/{ticket_id}/reply", data={"csrf": token, "text": "Dạ, em nghe.", "close": "1"})
    (queued,) = shared_store(settings.database_url).all_messages("zalo")
    assert (queued.recipient, queued.message["text"]) == ("84999", "Dạ, em nghe.")


def test_a_reply_without_csrf_is_refused(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, settings = site
    with session_scope(engine_for(settings.database_url)) as session:
        ticket_id = open_ticket(session, sender_id="s", channel="web", reason="request", procedure_code=None,
                                last_message="x").id
    login(client, "canbo", CLERK_PASSWORD)
    answer = client.post(f"/console/handoffs/{ticket_id}/reply", data={"text": "hi", "csrf": "forged"})
    assert answer.status_code == 403
    assert shared_store(settings.database_url).all_messages("web") == []


def test_a_guide_is_edited_with_the_schemas_validation(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, settings = site
    login(client, "canbo", CLERK_PASSWORD)
    path = settings.procedures_dir / "ho-tich" / "ket-hon-cu.yml"
    before = path.read_text(encoding="utf-8")
    token = csrf_of(client.get("/console/guides/1.000894").text)
    bad = client.post("/console/guides/1.000894", data={"csrf": token, "title": "ab"})
    assert bad.status_code == 400 and "title" in bad.text
    assert path.read_text(encoding="utf-8") == before  # unchanged
    good = client.post("/console/guides/1.000894", data={
        "csrf": token, "title": "Đăng ký kết hôn", "aliases": "làm giấy kết hôn\ncưới đăng ký\n"})
    assert good.status_code == 200 and "Đã lưu" in good.text
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert saved["aliases"] == ["làm giấy kết hôn", "cưới đăng ký"]
    assert saved["last_reviewed"] == dt.date.today().isoformat()


def test_the_guide_list_marks_a_guide_whose_catalog_record_changed_and_a_save_accepts_it(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog", catalog_records.record())
    checked = catalog_records.guide_data(
        catalog_fingerprint=record_fingerprints(normalise_record(catalog_records.record())))
    cells = catalog_records.RECORD["cach_thuc_thuc_hien"].replace("20.000", "30.000")
    write_catalog(catalog, catalog_records.record(cach_thuc_thuc_hien=cells))  # the record changed since
    with _site(tmp_path, catalog, add_guide=checked) as (client, _, settings):
        _check_marks_and_accepts(client, settings, cells)


def _check_marks_and_accepts(client: TestClient, settings: Settings, cells: str) -> None:
    path = settings.procedures_dir / "ho-tich" / f"{catalog_records.GUIDE['id']}.yml"
    login(client, "canbo", CLERK_PASSWORD)
    listing = client.get("/console/guides").text
    assert "danh mục đổi: Lệ phí" in listing and "1 hướng dẫn" in listing
    row = re.search(r'<tr data-field="fee"><td>Lệ phí</td><td>([^<]*)</td><td>([^<]*)</td></tr>', listing)
    assert row and "20.000 đồng" in row.group(1) and "30.000 đồng" in row.group(2)
    code = catalog_records.CODE
    page = client.get(f"/console/guides/{code}").text
    assert "Danh mục quốc gia đã thay đổi" in page and 'data-field="fee"' in page
    saved = client.post(f"/console/guides/{code}", data={"csrf": csrf_of(page), "title": "Cấp giấy xác nhận thử nghiệm"})
    assert saved.status_code == 200 and "Danh mục quốc gia đã thay đổi" not in saved.text
    stored = yaml.safe_load(path.read_text(encoding="utf-8"))["catalog_fingerprint"]
    assert stored == record_fingerprints(normalise_record(catalog_records.record(cach_thuc_thuc_hien=cells)))
    assert "danh mục đổi" not in client.get("/console/guides").text


def test_exports_are_masked(site: tuple[TestClient, Events, Settings]) -> None:
    client, events, _ = site
    seed_conversations(events)
    login(client, "quantri", ADMIN_PASSWORD)
    csv_text = client.get("/console/export.csv").text
    assert "citizen-a" in csv_text and "0912345678" not in csv_text and "ask_documents" in csv_text
    rows = json.loads(client.get("/console/export.json", params={"channel": "web"}).text)
    assert {r["sender_id"] for r in rows} == {"citizen-a"}
    assert all("0912345678" not in r["text"] for r in rows)


def test_retention_and_deletion_on_request_are_audited(site: tuple[TestClient, Events, Settings]) -> None:
    client, events, settings = site
    old = time.time() - 40 * 86400
    events.user("old-citizen", "hỏi từ lâu", "ask_fee", 0.9, at=old)
    seed_conversations(events)
    shared_store(settings.database_url).enqueue("zalo", "citizen-b", [{"text": "x"}])
    login(client, "quantri", ADMIN_PASSWORD)
    token = csrf_of(client.get("/console/admin").text)
    purge = client.post("/console/admin/purge", data={"csrf": token, "days": 30})
    assert purge.status_code == 200 and "Đã xoá" in purge.text
    delete = client.post("/console/admin/delete-sender", data={"csrf": token, "sender_id": "citizen-b"})
    assert delete.status_code == 200
    engine = engine_for(settings.database_url)
    with engine.connect() as conn:
        senders = {r[0] for r in conn.execute(text("SELECT DISTINCT sender_id FROM events"))}
        outbox = conn.execute(text("SELECT COUNT(*) FROM channel_outbox WHERE recipient = 'citizen-b'")).scalar()
    assert senders == {"citizen-a", "citizen-c"} and outbox == 0
    with session_scope(engine) as session:
        actions = [(a.action, a.actor) for a in session.scalars(select(AuditLog))]
    assert ("retention.purge", "quantri") in actions and ("privacy.delete_sender", "quantri") in actions
    # a Zalo user's conversation (zalo:<id>) and the queues that know them by the Zalo id
    events.user("zalo:84777", "xin chào", "greet", 0.9, channel="zalo")
    store = shared_store(settings.database_url)
    store.enqueue("zalo", "84777", [{"text": "y"}])
    store.enqueue("telegram", "84777", [{"text": "another person on another platform"}])
    client.post("/console/admin/delete-sender", data={"csrf": token, "sender_id": "zalo:84777"})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = 'zalo:84777'")).scalar() == 0
        left = conn.execute(text("SELECT channel FROM channel_outbox WHERE recipient = '84777'")).scalars().all()
    assert left == ["telegram"]


def test_the_dashboard_counts_messages_by_channel(site: tuple[TestClient, Events, Settings]) -> None:
    client, events, _ = site
    seed_conversations(events)
    login(client, "canbo", CLERK_PASSWORD)
    page = client.get("/console/", params={"days": 7}).text
    assert re.search(r'id="total-messages">3<', page)
    assert "<svg" in page and "zalo" in page and "telegram" in page
    assert "1.001193" in page  # among the top procedures


@pytest.mark.parametrize(("method", "path", "data"), [
    ("get", "/console/conversations", {"since": "not-a-date", "until": "2026-13-45", "intent": "x" * 5000}),
    ("get", "/console/conversations/" + "%00%ff<script>", None),
    ("get", "/console/handoffs/not-a-number", None),
    ("get", "/console/handoffs/99999999", None),
    ("get", "/console/guides/9.999999", None),
    ("get", "/console/export.xml", None),
    ("get", "/console/?days=-5", None),
    ("get", f"/console/handoffs/{2**63}", None),  # beyond a database integer
    ("get", f"/console/handoffs/{10**40}", None),
    ("get", "/console/?days=" + "9" * 30, None),
    ("post", f"/console/handoffs/{2**63}/reply", {"text": "x"}),
    ("post", f"/console/handoffs/{2**64}/close", {}),
    ("post", f"/console/curation/{2**63}", {"decision": "approve"}),
    ("post", "/console/admin/purge", {"days": "9" * 30}),
    ("post", "/console/handoffs/99999999/reply", {"text": "x"}),
    ("post", "/console/curation/abc", {"decision": "approve"}),
    ("post", "/console/conversations/x/annotate", {"text": "", "intent": "not_an_intent"}),
    ("post", "/console/conversations/x/annotate", {"text": "a" * 50000, "intent": "ask_fee"}),
    ("post", "/console/admin/purge", {"days": "0"}),
    ("post", "/console/admin/purge", {"days": "many"}),
    ("post", "/console/admin/delete-sender", {"sender_id": "   "}),
    ("post", "/console/guides/1.001193", {"title": "\x00\x01", "aliases": "\u202e" * 10}),
])
def test_bad_input_to_the_console_gets_a_clear_4xx_never_a_5xx(
        site: tuple[TestClient, Events, Settings], method: str, path: str, data: dict[str, str] | None) -> None:
    client, _, _ = site
    login(client, "quantri", ADMIN_PASSWORD)
    token = csrf_of(client.get("/console/").text)
    if method == "get":
        answer = client.get(path, params=data)
    else:
        answer = client.post(path, data={**(data or {}), "csrf": token})
    assert answer.status_code < 500, answer.text[:300]


def test_unknown_paths_and_methods_are_4xx(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, _ = site
    assert client.get("/console/nothing-here").status_code == 404
    assert client.put("/console/login").status_code == 405
    assert client.post("/console/login", content=b"\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"}).status_code < 500


def test_repeated_wrong_passwords_make_the_next_attempt_wait_and_are_audited(
        site: tuple[TestClient, Events, Settings]) -> None:
    client, _, settings = site
    for _ in range(5):
        assert login(client, "canbo", "not-the-password").status_code == 401
    locked = login(client, "canbo", CLERK_PASSWORD)  # the right password, but too soon: not even checked
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    assert "thử lại sau" in locked.text
    assert client.get("/console/", follow_redirects=False).status_code == 303  # no session was opened
    # the clerk, from another address, is not locked out by someone else's guesses
    with TestClient(client.app, base_url="http://testserver", client=("10.9.8.7", 5000)) as elsewhere:
        assert login(elsewhere, "canbo", CLERK_PASSWORD).status_code == 303
    with session_scope(engine_for(settings.database_url)) as session:
        rows = [(a.action, a.actor, json.loads(a.detail).get("address")) for a in session.scalars(select(AuditLog))
                if a.action.startswith("login")]
    assert rows.count(("login.failed", "canbo", "testclient")) == 5
    assert ("login.locked", "canbo", "testclient") in rows and ("login", "canbo", "10.9.8.7") in rows


def test_logout_ends_the_login_even_for_a_copied_cookie(site: tuple[TestClient, Events, Settings]) -> None:
    client, _, _ = site
    assert login(client, "canbo", CLERK_PASSWORD).status_code == 303
    stolen = dict(client.cookies)  # what someone who copied the cookie holds
    page = client.get("/console/")
    assert page.status_code == 200
    assert client.post("/console/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False).status_code == 303
    with TestClient(client.app, base_url="http://testserver", cookies=stolen) as thief:
        answer = thief.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


def test_a_new_password_ends_every_login_and_the_admin_sees_and_ends_sessions(
        site: tuple[TestClient, Events, Settings]) -> None:
    client, _, settings = site
    with TestClient(client.app, base_url="http://testserver", client=("10.1.1.1", 1)) as clerk, \
            TestClient(client.app, base_url="http://testserver", client=("10.2.2.2", 1)) as other_device:
        assert login(clerk, "canbo", CLERK_PASSWORD).status_code == 303
        assert login(other_device, "canbo", CLERK_PASSWORD).status_code == 303
        assert login(client, "quantri", ADMIN_PASSWORD).status_code == 303
        admin_page = client.get("/console/admin").text
        assert "10.1.1.1" in admin_page and "10.2.2.2" in admin_page  # the clerk's two open logins
        # the admin ends the one on the other device
        session_ids = re.findall(r'/console/admin/sessions/(\d+)/end', admin_page)
        assert len(session_ids) == 3
        with session_scope(engine_for(settings.database_url)) as session:
            other_id = session.scalars(select(StaffSession.id).where(StaffSession.address == "10.2.2.2")).one()
        ended = client.post(f"/console/admin/sessions/{other_id}/end", data={"csrf": csrf_of(admin_page)},
                            follow_redirects=False)
        assert ended.status_code == 303
        assert other_device.get("/console/", follow_redirects=False).status_code == 303
        assert clerk.get("/console/").status_code == 200
        listed = re.findall(r'/console/admin/sessions/(\d+)/end', client.get("/console/admin").text)
        assert len(listed) == 2 and str(other_id) not in listed
        # a new password (from the command line or an admin) ends the clerk's remaining login
        with session_scope(engine_for(settings.database_url)) as session:
            set_password(session, "canbo", "a-brand-new-password")
        assert clerk.get("/console/", follow_redirects=False).status_code == 303
        assert login(clerk, "canbo", CLERK_PASSWORD).status_code == 401
        assert login(clerk, "canbo", "a-brand-new-password").status_code == 303
    with session_scope(engine_for(settings.database_url)) as session:
        reasons = sorted(r for r in session.scalars(select(StaffSession.ended_reason)) if r)
        actions = [a.action for a in session.scalars(select(AuditLog))]
    assert reasons == ["admin", "password"]
    assert "session.end" in actions and "user.password" in actions


@pytest.mark.parametrize("https_only", [False, True])
def test_the_session_cookie_is_secure_when_served_over_https(
        site: tuple[TestClient, Events, Settings], https_only: bool) -> None:
    _, _, settings = site
    with TestClient(create_app(settings.model_copy(update={"console_https_only": https_only})),
                    base_url="https://testserver") as client:
        answer = login(client, "canbo", CLERK_PASSWORD)
    cookie = answer.headers["set-cookie"].lower()
    assert "tthc_console=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert ("; secure" in cookie) is https_only


@given(st.text(max_size=200))
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzz_any_sender_id_in_the_console_and_the_widget_api_never_answers_5xx(
        site: tuple[TestClient, Events, Settings], sender: str) -> None:
    client, _, _ = site
    login(client, "canbo", CLERK_PASSWORD)
    page = client.get("/console/conversation", params={"sender": sender})
    assert page.status_code in (200, 404, 422)  # an id never stored: not found
    chat = client.post("/api/chat", json={"sender": sender, "message": "xin chào"})
    updates = client.get("/api/updates", params={"sender": sender})
    assert chat.status_code == updates.status_code == 403  # never issued: refused before Rasa


def test_the_rebuild_after_an_edit_reads_the_consoles_own_folders(tmp_path: Path) -> None:
    """The background ``tthc index build`` gets this console's folders, not the defaults."""
    settings = Settings(_env_file=None, procedures_dir=tmp_path / "guides", index_dir=tmp_path / "index",  # type: ignore[call-arg]
                        catalog_dir=None)
    seen = subprocess.run(
        [sys.executable, "-c", "from tthc_settings import Settings; s = Settings(_env_file=None); "
                               "print(s.procedures_dir, s.index_dir, s.catalog_dir, sep='|')"],
        env=rebuild_environment(settings), capture_output=True, text=True, check=True,
    ).stdout.strip().split("|")
    assert seen == [str(tmp_path / "guides"), str(tmp_path / "index"), "None"]
