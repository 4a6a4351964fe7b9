"""One conversation through the web, Zalo and Telegram channels of the running bot.

The web widget's channel answers in the HTTP response; Zalo and Telegram answer 200 at
once and the replies reach local fakes of their APIs through the outbox. The same
questions and the same button tap must give the same answers on all three.
"""

from __future__ import annotations

import html
import itertools
import json
import sqlite3
import time
from typing import Any

import httpx
import pytest

from servers.fake_platforms import telegram_callback_update, telegram_text_update, zalo_event
from tests.integration.harness import Bot, telegram_post, wait_for_count, zalo_post

pytestmark = pytest.mark.slow

QUESTIONS = ["làm giấy khai sinh cần giấy tờ gì", "con le phi thi sao"]
_ids = itertools.count(1000)


def test_the_same_conversation_gives_the_same_answers_on_web_zalo_and_telegram(bot: Bot) -> None:
    zalo, telegram = bot.platforms.zalo, bot.platforms.telegram
    zalo_user, chat_id = "zalo-user-it", 900001
    web_turns: list[list[tuple[str, list[str]]]] = []
    zalo_turns: list[list[tuple[str, list[str]]]] = []
    telegram_turns: list[list[tuple[str, list[str]]]] = []

    def web(message: str) -> list[dict[str, Any]]:
        answer = httpx.post(f"{bot.rasa_url}/webhooks/web/webhook",
                            json={"sender": "web-user-it", "message": message}, timeout=60)
        assert answer.status_code == 200
        replies = answer.json()
        web_turns.append([(r.get("text", ""), [b["title"] for b in r.get("buttons", [])]) for r in replies])
        return replies

    def zalo_turn(send: Any, expected: int) -> None:
        before = len(zalo.texts_to(zalo_user))
        started = time.monotonic()
        answer = send()
        assert answer.status_code == 200 and answer.json()["status"] == "accepted"
        assert time.monotonic() - started < 2, "Zalo needs its 200 within 2 s"
        wait_for_count(lambda: len(zalo.texts_to(zalo_user)), before + expected)
        with zalo.lock:
            sent = [m.message for m in zalo.sent if m.user_id == zalo_user][before:]
        zalo_turns.append([(m.get("text", ""), [b["title"] for b in m.get("attachment", {})
                                                .get("payload", {}).get("buttons", [])]) for m in sent])

    def telegram_turn(update: dict[str, Any], expected: int) -> None:
        before = len(telegram.texts_to(str(chat_id)))
        answer = telegram_post(bot, update)
        assert answer.status_code == 200 and answer.json()["status"] == "accepted"
        wait_for_count(lambda: len(telegram.texts_to(str(chat_id))), before + expected)
        with telegram.lock:
            sent = [m for m in telegram.sent if m.chat_id == str(chat_id)][before:]
        telegram_turns.append([(html.unescape(m.text), [row[0]["text"] for row in
                                                        (m.reply_markup or {}).get("inline_keyboard", [])])
                               for m in sent])

    # two typed questions
    for question in QUESTIONS:
        replies = web(question)
        zalo_turn(lambda q=question: zalo_post(bot, zalo_event("user_send_text", zalo_user, text=q,
                                                                 msg_id=f"it-{next(_ids)}")), len(replies))
        telegram_turn(telegram_text_update(next(_ids), chat_id, question), len(replies))

    # a tap on the first button the last answer offered
    button = next(b for r in web_turns[-1] for b in r[1])
    web_button = next(b for r in replies for b in r.get("buttons", []) if b["title"] == button)
    replies = web(web_button["payload"])
    zalo_turn(lambda: zalo_post(bot, zalo_event("user_send_text", zalo_user, text=button,
                                                msg_id=f"it-{next(_ids)}")), len(replies))
    with telegram.lock:
        keyboards = [m.reply_markup for m in telegram.sent if m.chat_id == str(chat_id) and m.reply_markup]
    token = next(row[0]["callback_data"] for keyboard in reversed(keyboards)
                 for row in keyboard["inline_keyboard"] if row[0]["text"] == button)
    telegram_turn(telegram_callback_update(next(_ids), chat_id, token), len(replies))

    assert web_turns == zalo_turns == telegram_turns
    answers = "\n".join(text for turn in web_turns for text, _ in turn)
    assert "khai sinh" in answers.lower() and "https://" in answers  # a real answer with its source link
    assert any(titles for turn in web_turns for _, titles in turn)  # buttons were compared too


def test_platform_webhooks_refuse_unsigned_requests(bot: Bot) -> None:
    event = zalo_event("user_send_text", "intruder", text="xin chào")
    assert zalo_post(bot, event, secret="wrong").status_code == 401
    assert telegram_post(bot, telegram_text_update(next(_ids), 1, "hi"), secret="wrong").status_code == 401
    time.sleep(1)
    assert bot.platforms.zalo.texts_to("intruder") == []
    assert bot.platforms.telegram.texts_to("1") == []


def test_replies_are_recorded_under_their_channel(bot: Bot) -> None:
    """The tracker store knows which channel each conversation came from (for the console)."""
    zalo_user = "zalo-channel-name"
    zalo_post(bot, zalo_event("user_send_text", zalo_user, text="xin chào", msg_id=f"it-{next(_ids)}"))
    wait_for_count(lambda: len(bot.platforms.zalo.texts_to(zalo_user)), 1)
    path = bot.tracker_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("select data from events where sender_id = ? and type_name = 'user'",
                          (f"zalo:{zalo_user}",))
        channels = {json.loads(r[0]).get("input_channel") for r in rows}
    assert channels == {"zalo"}


def test_a_reply_queued_by_the_console_runtime_reaches_zalo_telegram_and_web_users(bot: Bot) -> None:
    """Staff replies take the bot's delivery path: the console's runtime (SQLAlchemy 2)
    queues them in the shared outbox; the Rasa server's worker sends them."""
    from tthc_data.channels import queue_messages, shared_store  # noqa: PLC0415 - the console's runtime: .venv

    store = shared_store(bot.database_url)
    reply = {"text": "Cán bộ phường: hồ sơ của anh/chị đã đủ, mời anh/chị đến nhận kết quả.",
             "buttons": [{"title": "Cảm ơn", "payload": "/thank"}]}
    queue_messages(store, channel="zalo", recipient="zalo-staff-it", messages=[reply], origin="staff")
    queue_messages(store, channel="telegram", recipient="900002", messages=[reply], origin="staff")
    queue_messages(store, channel="web", recipient="web-staff-it", messages=[reply], origin="staff")
    wait_for_count(lambda: len(bot.platforms.zalo.texts_to("zalo-staff-it")), 1)
    wait_for_count(lambda: len(bot.platforms.telegram.texts_to("900002")), 1)
    assert bot.platforms.zalo.texts_to("zalo-staff-it") == [reply["text"]]
    assert html.unescape(bot.platforms.telegram.texts_to("900002")[0]) == reply["text"]
    updates = httpx.get(f"{bot.rasa_url}/webhooks/web/updates", params={"sender": "web-staff-it"}, timeout=10).json()
    assert [(m["text"], m["buttons"], m["origin"]) for m in updates["messages"]] == [
        (reply["text"], reply["buttons"], "staff")]


def test_a_web_client_choosing_a_telegram_chats_id_shares_nothing_with_that_chat(bot: Bot) -> None:
    """The attack of the security issue: a REST/web client picks a Telegram chat's id."""
    from console.handoff import reply  # noqa: PLC0415
    from tthc_data.channels import shared_store  # noqa: PLC0415
    from tthc_data.engine import engine_for, session_scope  # noqa: PLC0415 - the console's runtime: .venv
    from tthc_data.tables import HandoffTicket, StaffUser  # noqa: PLC0415

    chat_id = 777000222
    bot.say(str(chat_id), "tôi muốn gặp cán bộ")  # the web/REST client opens a ticket under that id
    telegram_post(bot, telegram_text_update(next(_ids), chat_id, "tôi muốn gặp cán bộ, cccd 001099012345"))
    wait_for_count(lambda: len(bot.platforms.telegram.texts_to(str(chat_id))), 1)
    engine = engine_for(bot.database_url)
    with session_scope(engine) as session:  # committed first: an open write would lock SQLite for the outbox
        if session.query(StaffUser).first() is None:
            session.add(StaffUser(username="it-clerk", password_hash="x", role="clerk"))
    with session_scope(engine) as session:
        tickets = {t.sender_id: t for t in session.query(HandoffTicket).filter(
            HandoffTicket.sender_id.in_([str(chat_id), f"telegram:{chat_id}"]))}
        assert set(tickets) == {str(chat_id), f"telegram:{chat_id}"}  # two tickets, nothing merged
        assert "001099012345" not in (tickets[str(chat_id)].last_message or "")
        assert tickets[f"telegram:{chat_id}"].channel == "telegram"
        staff = session.query(StaffUser).first()
        assert staff is not None
        reply(session, engine, tickets[f"telegram:{chat_id}"], staff, "Dạ, cán bộ phường xin trả lời anh/chị.")
    wait_for_count(lambda: len(bot.platforms.telegram.texts_to(str(chat_id))), 2)  # to the Telegram chat
    store = shared_store(bot.database_url)
    assert [m.recipient for m in store.all_messages("web")
            if m.origin == "staff" and m.recipient == str(chat_id)] == []
    updates = httpx.get(f"{bot.rasa_url}/webhooks/web/updates", params={"sender": str(chat_id)}, timeout=10).json()
    assert all("cán bộ phường xin trả lời" not in m["text"] for m in updates["messages"])
    # ... and a client cannot name the Telegram conversation itself, nor replay its message ids
    for sender in (f"telegram:{chat_id}", f"TELEGRAM:{chat_id}", f"ｔｅｌｅｇｒａｍ:{chat_id}", f"zalo:{chat_id}"):
        answer = httpx.post(f"{bot.rasa_url}/webhooks/rest/webhook", timeout=30,
                            json={"sender": sender, "message": "xin chào", "message_id": "telegram-1"})
        assert answer.status_code == 400 and "zalo:" in answer.json()["error"]
