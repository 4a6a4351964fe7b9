"""tthc_text.conversation_keys: conversations scoped by channel."""

from __future__ import annotations

import pytest

from tthc_text.conversation_keys import conversation_key, is_reserved, is_widget_id, platform_id


def test_a_platform_users_conversation_is_scoped_by_its_channel() -> None:
    assert conversation_key("telegram", "777000222") == "telegram:777000222"
    assert conversation_key("zalo", "84123") == "zalo:84123"
    assert conversation_key("web", "777000222") == "777000222"  # a client-chosen id stays as it is
    assert platform_id("telegram", "telegram:777000222") == "777000222"
    assert platform_id("zalo", "zalo:zalo:1") == "zalo:1"  # one prefix only
    assert platform_id("web", "telegram:1") == "telegram:1" and platform_id("zalo", "84123") == "84123"


@pytest.mark.parametrize("sender", ["telegram:1", "zalo:2", "TELEGRAM:1", "Zalo:x", "ｔｅｌｅｇｒａｍ:1",
                                    "\u200btelegram:1", " zalo:3"])
def test_a_client_cannot_choose_a_platform_conversations_key(sender: str) -> None:
    assert is_reserved(sender)


@pytest.mark.parametrize("sender", ["777000222", "web-abc", "telegram", "my-zalo:1", "zalo-1"])
def test_other_ids_are_free(sender: str) -> None:
    assert not is_reserved(sender)


def test_the_widgets_ids_are_told_apart_however_written() -> None:
    assert all(is_widget_id(s) for s in ("web-abc.123", "WEB-x", "ｗｅｂ-x", "\u200bweb-x"))
    assert not any(is_widget_id(s) for s in ("website", "my-web-1", "eval-1-web"))
