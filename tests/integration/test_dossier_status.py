"""Dossier status through the running bot: a citizen looks a dossier up on the web widget,
Telegram and Zalo (real Rasa server, real action server, the fake one-stop system on
127.0.0.1), follows it, and the one-stop system's signed status reports reach them through
the outbox; a dossier followed where the system has no webhook is polled once across
replicas."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers.fake_onestop import FakeOneStop, sample_record
from servers.fake_platforms import telegram_text_update, zalo_event
from servers.ports import free_port
from servers.process import Service
from tests.integration.harness import Bot, telegram_post, wait_for_count, zalo_post

pytestmark = pytest.mark.slow

_ids = itertools.count(5000)
DUE = (dt.date.today() + dt.timedelta(days=10)).isoformat()


def fake(bot: Bot) -> FakeOneStop:
    assert bot.onestop is not None
    return bot.onestop


def dossier(bot: Bot, code: str, phone_last4: str, **record: Any) -> None:
    fake(bot).add(sample_record(code, **{"due_date": DUE, **record}), phone_last4)


def report(bot: Bot, body: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None,
           signature: str | None = None) -> httpx.Response:
    """A status report as the one-stop system sends it: signed over timestamp + "." + raw body."""
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new((secret or bot.dossier_secret).encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{bot.rasa_url}/webhooks/dossier/status", content=raw, timeout=10,
                      headers={"content-type": "application/json", "X-Dossier-Timestamp": stamp,
                               "X-Dossier-Signature": signature if signature is not None else mac})


def web(bot: Bot, sender: str, message: str) -> str:
    answer = httpx.post(f"{bot.rasa_url}/webhooks/web/webhook", json={"sender": sender, "message": message},
                        timeout=60)
    assert answer.status_code == 200, answer.text
    return "\n".join(str(m.get("text", "")) for m in answer.json())


def web_updates(bot: Bot, sender: str) -> list[str]:
    answer = httpx.get(f"{bot.rasa_url}/webhooks/web/updates", params={"sender": sender}, timeout=10)
    assert answer.status_code == 200, answer.text
    return [str(m["text"]) for m in answer.json()["messages"]]


def test_a_web_citizen_looks_up_follows_and_is_told_of_each_change_once(bot: Bot) -> None:
    code, sender = "000.00.12.H40-251201-0101", "web-dossier-it"
    dossier(bot, code, "4821", status="in_progress")

    assert "mã hồ sơ" in web(bot, sender, "hồ sơ của tôi đến đâu rồi")
    # the code as a citizen types it: lower case, spaces for the dots and the dash
    assert "4 số cuối" in web(bot, sender, "000 00 12 h40 251201 0101")
    started = time.monotonic()
    wrong = web(bot, sender, "1111")
    assert "chưa tìm thấy hồ sơ" in wrong and time.monotonic() - started >= 1.0  # DOSSIER_FAILED_REPLY_SECONDS
    answer = web(bot, sender, "4821")
    assert code in answer and "Đăng ký khai sinh" in answer and "đang được giải quyết" in answer
    assert dt.date.fromisoformat(DUE).strftime("%d/%m/%Y") in answer and "theo dõi hồ sơ này" in answer
    assert "tại đây" in web(bot, sender, "theo dõi hồ sơ này")
    assert "đã được theo dõi" in web(bot, sender, "theo doi ho so nay")  # once is enough

    change = {"event_id": "it-web-1", "code": code, "status": "needs_documents", "due_date": DUE,
              "missing": ["Bản sao giấy chứng nhận kết hôn"], "pickup_place": None}
    answer = report(bot, change)
    assert answer.status_code == 200 and answer.json() == {"status": "accepted", "queued": 1, "refused": 0}
    wait_for_count(lambda: len(web_updates(bot, sender)), 1, timeout=20)
    (update,) = web_updates(bot, sender)
    assert code in update and "cần bổ sung giấy tờ" in update and "giấy chứng nhận kết hôn" in update

    # the system sends the same event again (a retry): 200, nothing sent
    assert report(bot, change).json() == {"status": "duplicate"}
    # a forged, a wrongly keyed or a stale report: 401, nothing recorded
    forged = {**change, "event_id": "it-web-2", "status": "result_ready", "missing": []}
    assert report(bot, forged, signature="0" * 64).status_code == 401
    assert report(bot, forged, secret="not-the-secret").status_code == 401
    assert report(bot, forged, timestamp=int(time.time()) - 301).status_code == 401
    assert report(bot, forged, timestamp=int(time.time()) + 301).status_code == 401
    assert report(bot, {**forged, "status": "done"}).status_code == 400  # not a status of the contract
    time.sleep(1.5)
    assert len(web_updates(bot, sender)) == 1

    assert "dừng theo dõi" in web(bot, sender, "hủy theo dõi")
    assert report(bot, forged).json() == {"status": "accepted", "queued": 0, "refused": 0}
    time.sleep(1.5)
    assert len(web_updates(bot, sender)) == 1


def test_telegram_and_zalo_followers_are_told_until_the_dossier_ends(bot: Bot) -> None:
    code = "000.00.12.H40-251201-0102"
    dossier(bot, code, "7305", status="received")
    telegram, zalo = bot.platforms.telegram, bot.platforms.zalo
    chat_id, zalo_user = 900777, "zalo-dossier-it"

    def on_telegram(text: str) -> str:
        before = len(telegram.texts_to(str(chat_id)))
        assert telegram_post(bot, telegram_text_update(next(_ids), chat_id, text)).status_code == 200
        wait_for_count(lambda: len(telegram.texts_to(str(chat_id))), before + 1)
        return telegram.texts_to(str(chat_id))[-1]

    def on_zalo(text: str) -> str:
        before = len(zalo.texts_to(zalo_user))
        zalo.interactions[zalo_user] = time.time()  # what Zalo itself notes of the user's message
        event = zalo_event("user_send_text", zalo_user, text=text, app_id=zalo.app_id)
        assert zalo_post(bot, event).status_code == 200
        wait_for_count(lambda: len(zalo.texts_to(zalo_user)), before + 1)
        return zalo.texts_to(zalo_user)[-1]

    assert "4 số cuối" in on_telegram(f"kiểm tra hồ sơ {code.lower()}")
    assert "đã được tiếp nhận" in on_telegram("7305")
    assert "tại đây" in on_telegram("có kết quả thì nhắn cho tôi nhé")  # following, in the citizen's words
    assert "4 số cuối" in on_zalo(f"ma ho so {code.replace('.', '').replace('-', '')}")
    assert "đã được tiếp nhận" in on_zalo("số cuối là 7305")
    assert "tại đây" in on_zalo("theo doi giup toi")

    zalo.enforce_window = True  # the fake refuses an ordinary message outside the window, as Zalo does
    try:
        ready = {"event_id": "it-tz-1", "code": code, "status": "result_ready", "due_date": DUE, "missing": [],
                 "pickup_place": "Bộ phận một cửa UBND phường Hải Châu"}
        assert report(bot, ready).json() == {"status": "accepted", "queued": 2, "refused": 0}
        wait_for_count(lambda: len(telegram.texts_to(str(chat_id))), 4)
        wait_for_count(lambda: len(zalo.texts_to(zalo_user)), 4)
        for text in (telegram.texts_to(str(chat_id))[-1], zalo.texts_to(zalo_user)[-1]):
            assert code in text and "đã có kết quả" in text and "UBND phường Hải Châu" in text

        done = {**ready, "event_id": "it-tz-2", "status": "completed"}
        assert report(bot, done).json() == {"status": "accepted", "queued": 2, "refused": 0}
        wait_for_count(lambda: len(telegram.texts_to(str(chat_id))), 5)
        wait_for_count(lambda: len(zalo.texts_to(zalo_user)), 5)
        assert "ngừng theo dõi" in telegram.texts_to(str(chat_id))[-1]
        # a final status ended the following: a later report reaches nobody
        late = {**ready, "event_id": "it-tz-3", "status": "returned"}
        assert report(bot, late).json() == {"status": "accepted", "queued": 0, "refused": 0}
        assert zalo.refused == []
    finally:
        zalo.enforce_window = False


def test_a_zalo_follower_silent_past_the_window_is_not_sent_an_ordinary_message(bot: Bot) -> None:
    """ZALO_OUTSIDE_WINDOW=none (the default): outside the window nothing is sent, and the refusal is recorded."""
    from tthc_data.channels import shared_store  # noqa: PLC0415 - the test's runtime: .venv
    from tthc_data.engine import engine_for  # noqa: PLC0415

    code, zalo_user = "000.00.12.H40-251201-0103", "zalo-dossier-quiet"
    dossier(bot, code, "2468", status="in_progress")
    zalo = bot.platforms.zalo
    for text, expected in ((f"tra cứu hồ sơ {code}", "4 số cuối"), ("2468", "đang được giải quyết"),
                           ("theo dõi hồ sơ này", "tại đây")):
        before = len(zalo.texts_to(zalo_user))
        assert zalo_post(bot, zalo_event("user_send_text", zalo_user, text=text, app_id=zalo.app_id)).status_code == 200
        wait_for_count(lambda: len(zalo.texts_to(zalo_user)), before + 1)
        assert expected in zalo.texts_to(zalo_user)[-1]
    # eight days pass without a word from the citizen (their messages' times moved back)
    eight_days = 8 * 86400
    with engine_for(bot.database_url).begin() as conn:
        conn.exec_driver_sql("UPDATE channel_inbox SET received_at = received_at - ? WHERE channel = 'zalo' "
                             "AND sender = ?", (eight_days, zalo_user))
    change = {"event_id": "it-quiet-1", "code": code, "status": "result_ready", "due_date": DUE, "missing": [],
              "pickup_place": "Bộ phận một cửa UBND phường Hải Châu"}
    assert report(bot, change).json() == {"status": "accepted", "queued": 0, "refused": 1}
    time.sleep(1.5)
    assert len(zalo.texts_to(zalo_user)) == 3
    refused = [m for m in shared_store(bot.database_url).all_messages("zalo")
               if m.recipient == zalo_user and m.origin == "dossier"]
    assert [m.status for m in refused] == ["undeliverable"] and "window" in (refused[0].last_error or "")


def test_a_rest_client_cannot_follow_and_is_told_where_it_can(bot: Bot) -> None:
    code, sender = "000.00.12.H40-251201-0104", "rest-dossier-it"
    dossier(bot, code, "1357")
    assert "4 số cuối" in " ".join(str(m.get("text")) for m in bot.say(sender, f"mã hồ sơ {code}"))
    assert "đang được giải quyết" in " ".join(str(m.get("text")) for m in bot.say(sender, "1357"))
    reply = " ".join(str(m.get("text")) for m in bot.say(sender, "theo dõi hồ sơ này"))
    assert "trang web, Zalo hoặc Telegram" in reply


def test_a_citizen_without_the_receipt_is_told_where_to_ask(bot: Bot) -> None:
    sender = "rest-no-receipt"
    assert "mã hồ sơ" in " ".join(str(m.get("text")) for m in bot.say(sender, "tra cuu ho so giup em"))
    reply = " ".join(str(m.get("text")) for m in bot.say(sender, "em làm mất giấy hẹn rồi"))
    assert "bộ phận một cửa" in reply
    # the lookup is over: a procedure question is answered as such
    answer = " ".join(str(m.get("text")) for m in bot.say(sender, "làm giấy khai sinh cần giấy tờ gì"))
    assert "khai sinh" in answer.lower() and "4 số cuối" not in answer


def test_wrong_proofs_pause_lookups_of_a_code_whoever_asks(bot: Bot) -> None:
    code = "000.00.12.H40-251201-0105"
    dossier(bot, code, "8642")
    for attempt in range(5):  # five web clients, each choosing its own sender id
        sender = f"web-guess-{attempt}"
        web(bot, sender, f"mã hồ sơ {code}")
        assert "chưa tìm thấy hồ sơ" in web(bot, sender, f"{attempt:04d}")
    web(bot, "web-owner", f"mã hồ sơ {code}")
    assert "tạm dừng tra cứu" in web(bot, "web-owner", "8642")  # even the right proof waits now


@pytest.fixture()
def polling_replicas(bot: Bot, tmp_path: Path) -> Iterator[list[Service]]:
    """Two more action servers on the bot's database that poll the one-stop system every second
    (a city whose system has no webhook, run on two replicas)."""
    services = []
    for replica in range(2):
        port = free_port()
        env = {**os.environ, "DATABASE_URL": bot.database_url, "ACTION_HOST": "127.0.0.1",
               "ACTION_PORT": str(port), "ACTION_SERVER_TOKEN": bot.action_token, "HF_HUB_OFFLINE": "1",
               "DOSSIER_API_URL": fake(bot).url, "DOSSIER_API_KEY": fake(bot).misbehaviour.api_key or "",
               "DOSSIER_POLL_INTERVAL": "1"}
        services.append(Service(f"poller-{replica}", [sys.executable, "-m", "actions"], env,
                                f"http://127.0.0.1:{port}/health", tmp_path / f"poller-{replica}.log"))
    for service in services:
        service.launch()
    for service in services:
        service.wait_ready()
    yield services
    for service in services:
        service.stop()


def test_a_polled_dossier_is_told_once_across_replicas(bot: Bot, polling_replicas: list[Service]) -> None:
    from tthc_data import dossiers as store  # noqa: PLC0415 - the test's runtime: .venv
    from tthc_data.engine import engine_for  # noqa: PLC0415

    code, chat_id = "000.00.12.H40-251201-0106", 900778
    dossier(bot, code, "9753", status="in_progress")
    telegram = bot.platforms.telegram
    # followed where polling is on (as the desk of a polling replica does after a passed proof)
    store.subscribe(engine_for(bot.database_url), code=code, channel="telegram", recipient=str(chat_id),
                    poll_after=0)
    polls = lambda: sum(1 for method, path in fake(bot).requests if path.endswith(code))  # noqa: E731
    deadline = time.monotonic() + 30
    while polls() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert polls() >= 2
    assert telegram.texts_to(str(chat_id)) == []  # what it said when followed is not news
    fake(bot).update(code, status="needs_documents", missing=["Tờ khai có chữ ký của người đi đăng ký"])
    wait_for_count(lambda: len(telegram.texts_to(str(chat_id))), 1, timeout=30)
    time.sleep(3)  # three more polls on each replica: still one message
    assert len(telegram.texts_to(str(chat_id))) == 1
    assert "Tờ khai có chữ ký" in telegram.texts_to(str(chat_id))[0]
