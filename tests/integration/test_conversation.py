"""The running bot, end to end through the REST channel (real Rasa, real action server)."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.integration.harness import STAFF_CHAT, Bot

pytestmark = pytest.mark.slow


def texts(replies: list[dict[str, object]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def test_greeting_is_answered_in_vietnamese(bot: Bot) -> None:
    replies = bot.say("it-greet", "xin chào")
    assert "Xin chào anh/chị" in texts(replies)
    assert replies[0].get("buttons"), "the greeting offers common procedures as buttons"


def test_a_custom_action_answers_from_the_guide(bot: Bot) -> None:
    replies = bot.say("it-ks", "lam giay khai sinh can gi")
    answer = texts(replies)
    assert "Hồ sơ đăng ký khai sinh" in answer
    assert "Giấy chứng sinh" in answer
    assert "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/" in answer  # the guide's source link
    # the action server ran action_respond for this conversation: it is in the tracker store
    path = bot.tracker_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        actions = [r[0] for r in db.execute("select action_name from events where sender_id = 'it-ks'")]
    assert "action_respond" in actions


def test_follow_up_keeps_the_procedure_and_switching_changes_it(bot: Bot) -> None:
    bot.say("it-follow", "đăng ký kết hôn cần giấy tờ gì")
    fee = texts(bot.say("it-follow", "còn lệ phí thì sao?"))
    assert "Lệ phí đăng ký kết hôn" in fee or "lệ phí đăng ký kết hôn" in fee.lower()
    other = texts(bot.say("it-follow", "thế còn đăng ký tạm trú thì nộp ở đâu"))
    assert "tạm trú" in other.lower()
    assert "kết hôn" not in other.lower()


def test_aspect_buttons_carry_the_procedure(bot: Bot) -> None:
    replies = bot.say("it-buttons", "làm hộ chiếu ở đâu")
    buttons = [b for r in replies for b in (r.get("buttons") or [])]  # type: ignore[union-attr]
    fee_button = next(b for b in buttons if "/ask_fee" in b["payload"])
    answer = texts(bot.say("it-buttons", fee_button["payload"]))
    assert "hộ chiếu" in answer.lower()
    assert "200.000" in answer


def test_bad_requests_get_a_clear_400(bot: Bot) -> None:
    url = f"{bot.rasa_url}/webhooks/rest/webhook"
    for body in (b"[1, 2]", b"not json", b'{"sender": "x"}', b'{"message": "hi"}', b'{"sender": "x", "message": 5}'):
        response = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
        assert response.status_code == 400, body
        assert "error" in response.json()


def test_an_empty_message_gets_a_polite_prompt(bot: Bot) -> None:
    assert "vui lòng nhập câu hỏi" in texts(bot.say("it-empty", "   "))


def test_out_of_scope_is_declined_politely(bot: Bot) -> None:
    answer = texts(bot.say("it-oos", "hôm nay thời tiết thế nào"))
    assert "ngoài phạm vi" in answer or "chưa hiểu" in answer


def test_handoff_opens_a_ticket(bot: Bot) -> None:
    bot.say("it-handoff", "tách hộ cần gì")
    answer = texts(bot.say("it-handoff", "cho tôi gặp cán bộ"))
    assert "cán bộ" in answer and "#" in answer
    path = bot.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = list(db.execute("select status, procedure_code from handoff_ticket where sender_id = 'it-handoff'"))
    assert rows == [("open", "1.010038")]
    # the staff group on Telegram is told, with a link to the ticket in the console
    telegram = bot.platforms.telegram
    assert telegram.wait_until(lambda: any("/console/handoffs/" in m.text and "tách hộ" in m.text
                                           for m in telegram.sent if m.chat_id == STAFF_CHAT), timeout=30)
    (notice,) = [m.text for m in telegram.sent if m.chat_id == STAFF_CHAT and "tách hộ" in m.text]
    assert notice.startswith("🔔") and "https://tthc.example.gov.vn/console/handoffs/" in notice


def test_feedback_is_stored(bot: Bot) -> None:
    bot.say("it-feedback", "đăng ký thường trú cần gì")
    bot.say("it-feedback", "/feedback_negative")
    path = bot.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = list(db.execute("select helpful, procedure_code from feedback where sender_id = 'it-feedback'"))
    assert rows == [(0, "1.004222")]


def test_action_server_down_gets_a_polite_reply_then_recovers(bot: Bot) -> None:
    bot.actions.stop()
    try:
        answer = texts(bot.say("it-down", "làm căn cước cần gì"))
        assert "tạm gián đoạn" in answer
    finally:
        bot.actions.start()
    replies = bot.say("it-down", "làm căn cước cho người trên 14 tuổi cần gì")
    shown = texts(replies) + " ".join(str(b["title"]) for r in replies for b in (r.get("buttons") or []))  # type: ignore[union-attr]
    assert "căn cước" in shown.lower() and "tạm gián đoạn" not in shown
