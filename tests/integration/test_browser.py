"""The web widget and the staff console in a real headless Chromium, against the running bot."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from console.users import create_user
from tests.integration.harness import Bot
from tthc_data.engine import engine_for, session_scope

pytestmark = pytest.mark.slow

TIMEOUT = 60_000  # ms: a first answer can take a few seconds on 2 cores
expect.set_options(timeout=TIMEOUT)  # for every assertion too (Playwright's default is 5 s)


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="vi-VN")
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()


def widget(page: Page) -> Any:
    """The widget's shadow root, through Playwright's shadow-piercing locators."""
    return page.locator("#tthc-widget")


def open_and_accept(page: Page, web_front: str) -> None:
    page.goto(web_front + "/")
    w = widget(page)
    w.get_by_role("button", name="Mở trợ lý thủ tục hành chính").click()
    w.get_by_role("button", name="Đồng ý và bắt đầu").click()


def ask(page: Page, text: str) -> None:
    box = widget(page).get_by_role("textbox", name="Câu hỏi của anh/chị")
    box.fill(text)
    box.press("Enter")


def test_ask_click_a_button_reload_and_keep_the_history(context: BrowserContext, web_front: str) -> None:
    page = context.new_page()
    open_and_accept(page, web_front)
    w = widget(page)
    ask(page, "làm giấy khai sinh cần giấy tờ gì")
    expect(w.locator(".msg.bot").first).to_contain_text("khai sinh")
    buttons = w.locator(".buttons button")
    expect(buttons.first).to_be_visible()
    answers_before = w.locator(".msg.bot").count()
    fee = w.locator(".buttons button", has_text=re.compile("Lệ phí"))
    fee.first.click()
    expect(w.locator(".msg.user").last).to_contain_text("Lệ phí")
    expect(w.locator(".msg.bot")).to_have_count(answers_before + 1, timeout=TIMEOUT)  # rated once per procedure
    history = w.locator(".msg").all_inner_texts()
    page.reload()
    w = widget(page)
    expect(w.locator(".msg")).to_have_count(len(history))
    assert w.locator(".msg").all_inner_texts() == history
    expect(w.get_by_role("textbox", name="Câu hỏi của anh/chị")).to_be_enabled()  # consent remembered


def test_the_privacy_notice_comes_before_the_first_message(context: BrowserContext, web_front: str) -> None:
    page = context.new_page()
    page.goto(web_front + "/")
    w = widget(page)
    w.get_by_role("button", name="Mở trợ lý thủ tục hành chính").click()
    expect(w.locator(".notice")).to_contain_text("13/2023/NĐ-CP")
    expect(w.get_by_role("textbox", name="Câu hỏi của anh/chị")).to_be_disabled()


def test_a_message_typed_offline_is_kept_and_sent_when_back_online(context: BrowserContext, web_front: str) -> None:
    page = context.new_page()
    open_and_accept(page, web_front)
    w = widget(page)
    context.set_offline(True)
    ask(page, "đăng ký tạm trú cần gì")
    expect(w.locator("[data-pending]")).to_have_count(1)
    expect(w.locator(".status")).to_contain_text("Mất kết nối")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(w.locator("[data-pending]")).to_have_count(0)
    expect(w.locator(".msg.bot").first).to_contain_text("tạm trú")


def test_a_pending_message_survives_a_reload_while_the_server_is_unreachable(
        context: BrowserContext, web_front: str) -> None:
    page = context.new_page()
    open_and_accept(page, web_front)
    page.route("**/api/chat", lambda route: route.abort("connectionrefused"))
    ask(page, "làm hộ chiếu ở đâu")
    expect(widget(page).locator("[data-pending]")).to_have_count(1)
    page.reload()
    expect(widget(page).locator("[data-pending]")).to_have_count(1)
    page.unroute("**/api/chat")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(widget(page).locator("[data-pending]")).to_have_count(0)
    expect(widget(page).locator(".msg.bot").first).to_contain_text("hộ chiếu")


def test_keyboard_only_and_a_phone_sized_screen(browser: Browser, web_front: str) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto(web_front + "/")
    launcher = widget(page).get_by_role("button", name="Mở trợ lý thủ tục hành chính")
    launcher.focus()
    page.keyboard.press("Enter")
    panel = widget(page).get_by_role("dialog")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box is not None and box["width"] >= 370 and box["height"] >= 600  # full screen on a phone
    page.keyboard.press("Enter")  # the focused "agree" button
    page.keyboard.type("lệ phí làm căn cước")
    page.keyboard.press("Enter")
    expect(widget(page).locator(".msg.bot").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    ctx.close()


PHONES = {"small phone": {"width": 360, "height": 640}, "iPhone-sized": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", PHONES.values(), ids=list(PHONES))
@pytest.mark.parametrize("path", ["/", "/chat"])
def test_on_a_phone_nothing_is_wider_than_the_screen_and_the_widget_is_tapped(
    browser: Browser, web_front: str, size: dict[str, int], path: str
) -> None:
    ctx = browser.new_context(viewport=size, is_mobile=True, has_touch=True, device_scale_factor=2,
                              locale="vi-VN")
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto(web_front + path)
    # A page wider than the screen makes a phone zoom out (and the widget's button too small to tap).
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth, window.visualViewport.scale]")
    assert widths[0] <= widths[1] == size["width"] and widths[2] == 1, widths
    w = widget(page)
    launcher = w.get_by_role("button", name="Mở trợ lý thủ tục hành chính")
    if launcher.count():  # the full-page chat is open from the start
        launcher.tap()
    w.get_by_role("button", name="Đồng ý và bắt đầu").tap()
    box = w.get_by_role("textbox", name="Câu hỏi của anh/chị")
    box.tap()
    box.fill("dk tam tru can giay to gi")
    w.get_by_role("button", name=re.compile("Gửi")).tap()
    expect(w.locator(".msg.bot").first).to_contain_text("tạm trú")
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    ctx.close()


def test_message_text_is_shown_as_text(context: BrowserContext, web_front: str) -> None:
    page = context.new_page()
    open_and_accept(page, web_front)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ask(page, '<img src=x onerror="alert(1)"><script>alert(2)</script>')
    w = widget(page)
    expect(w.locator(".msg.user").first).to_contain_text("<img src=x")
    expect(w.locator(".msg.bot").first).to_be_visible()
    assert w.locator(".msg img, .msg script").count() == 0
    assert dialogs == []


def test_staff_answer_a_handoff_in_the_console_and_the_citizen_sees_it(
        context: BrowserContext, browser: Browser, bot: Bot, web_front: str) -> None:
    with session_scope(engine_for(bot.database_url)) as session:
        create_user(session, "canbo-trinh-duyet", "mat-khau-kiem-thu", "clerk")
    citizen = context.new_page()
    open_and_accept(citizen, web_front)
    ask(citizen, "thủ tục tách hộ khẩu cần gì")
    expect(widget(citizen).locator(".msg.bot").first).to_be_visible()
    ask(citizen, "cho tôi gặp cán bộ")
    expect(widget(citizen).locator(".msg.bot").last).to_contain_text("cán bộ")

    staff_ctx = browser.new_context(locale="vi-VN")
    staff_ctx.set_default_timeout(TIMEOUT)
    staff = staff_ctx.new_page()
    blocked: list[str] = []  # what the Content-Security-Policy stopped
    staff.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    staff.goto(web_front + "/console/")
    expect(staff).to_have_url(re.compile("/console/login"))
    staff.get_by_label("Tên đăng nhập").fill("canbo-trinh-duyet")
    staff.get_by_label("Mật khẩu").fill("mat-khau-kiem-thu")
    staff.get_by_role("button", name="Đăng nhập").click()
    expect(staff.get_by_role("heading", name=re.compile("Tổng quan"))).to_be_visible()
    # the console's script (a file, no inline script) runs under the policy: the period sends itself
    staff.get_by_label("Khoảng thời gian").select_option("30")
    expect(staff).to_have_url(re.compile(r"days=30"))
    expect(staff.get_by_role("heading", name=re.compile("Tổng quan 30 ngày"))).to_be_visible()

    # filter the conversations, open the transcript
    staff.get_by_role("link", name="Hội thoại").click()
    staff.get_by_label("Kênh").select_option("web")
    staff.get_by_label("Tìm trong nội dung").fill("tách hộ")
    staff.get_by_role("button", name="Lọc").click()
    expect(staff.locator("#count")).to_contain_text("1 cuộc trò chuyện")
    staff.locator("table tbody a").first.click()
    expect(staff.locator("#transcript")).to_contain_text("tách hộ khẩu")
    expect(staff.locator("#transcript .intent").first).to_be_visible()

    # answer the handoff
    staff.get_by_role("link", name=re.compile("Cần hỗ trợ")).click()
    staff.locator("table tbody a").last.click()
    staff.get_by_label(re.compile("Trả lời người dân")).fill(
        "Dạ, anh/chị mang sổ hộ khẩu cũ và tờ khai đến bộ phận một cửa phường nhé.")
    staff.get_by_role("button", name="Gửi trả lời").click()
    expect(staff.get_by_role("status")).to_contain_text("Đã gửi")
    staff_ctx.close()
    assert blocked == []

    # the citizen's widget fetches it
    expect(widget(citizen).locator(".msg.staff")).to_contain_text("bộ phận một cửa phường", timeout=TIMEOUT)


def test_a_message_whose_answer_was_lost_is_sent_again_and_handled_once(
        context: BrowserContext, web_front: str, bot: Bot) -> None:
    """The server handles the message but the answer never reaches the page: the widget
    sends it again with the same message_id and gets the answer; the bot keeps it once."""
    question = "trích lục khai sinh bản sao xin ở đâu"
    lost: list[int] = []

    def lose_the_first_answer(route: Any) -> None:
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().status)  # the server handles it...
        route.abort("connectionreset")  # ...and the answer is lost on the way back

    page = context.new_page()
    open_and_accept(page, web_front)
    page.route("**/api/chat", lose_the_first_answer)
    ask(page, question)
    w = widget(page)
    expect(w.locator(".msg.bot").first).to_contain_text("khai sinh")  # after the widget's own retry
    expect(w.locator("[data-pending]")).to_have_count(0)
    assert lost == [200]
    with sqlite3.connect(bot.database_url.removeprefix("sqlite:///")) as db:
        stored = [json.loads(data) for (data,) in db.execute("SELECT data FROM events WHERE type_name = 'user'")]
    sent = [event for event in stored if event.get("text") == question]
    assert len(sent) == 1, sent
    assert sent[0].get("message_id")


def test_the_widget_talks_under_an_id_the_server_issued_and_replaces_one_it_did_not(
        context: BrowserContext, web_front: str, bot: Bot) -> None:
    page = context.new_page()
    page.goto(web_front + "/")
    key = page.evaluate("Object.keys(localStorage).find((k) => k.startsWith('tthc-widget:'))")
    # a browser that kept the id an older widget made up (or one a visitor typed in)
    page.evaluate("([k]) => localStorage.setItem(k, JSON.stringify({sender: '313131313', history: [], pending: [],"
                  " lastId: 0, consent: true, open: false}))", [key])
    page.reload()
    w = widget(page)
    w.get_by_role("button", name="Mở trợ lý thủ tục hành chính").click()
    ask(page, "đăng ký tạm trú cần gì")
    expect(w.locator(".msg.bot").first).to_contain_text("tạm trú")
    sender = json.loads(page.evaluate("([k]) => localStorage.getItem(k)", [key]))["sender"]
    assert sender.startswith("web-") and "." in sender and sender != "313131313"
    with sqlite3.connect(bot.database_url.removeprefix("sqlite:///")) as db:
        senders = {s for (s,) in db.execute("SELECT DISTINCT sender_id FROM events")}
    assert sender in senders and "313131313" not in senders
