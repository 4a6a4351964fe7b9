"""Bot messages (text, buttons) in each platform's format: pure code, both runtimes.

The Rasa server renders the bot's replies, the staff console (its own runtime) staff
replies, with the same renderers; :func:`tthc_data.channels.queue_messages` queues them.
"""

from __future__ import annotations

import html
from typing import Any, Protocol

from tthc_text.message_parts import buttons_of, choice_text_key, choice_token, split_text

ZALO_TEXT_LIMIT = 2000
ZALO_MAX_BUTTONS = 5
ZALO_BUTTON_TITLE_LIMIT = 100
TELEGRAM_TEXT_LIMIT = 4096
MORE_CHOICES = "Anh/chị có thể chọn thêm:"


class Renderer(Protocol):
    def render(self, message: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Platform messages for one bot message, and the button choices they offer."""
        ...


class ZaloRenderer:
    """Bot messages as Zalo OA messages."""

    def __init__(self, more_choices_text: str = MORE_CHOICES) -> None:
        self.more_choices_text = more_choices_text

    def render(self, message: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        parts: list[dict[str, Any]] = [{"text": t} for t in split_text(str(message.get("text") or ""), ZALO_TEXT_LIMIT)]
        buttons = buttons_of(message)
        choices: dict[str, str] = {}
        for start in range(0, len(buttons), ZALO_MAX_BUTTONS):
            group = buttons[start:start + ZALO_MAX_BUTTONS]
            zalo_buttons = []
            for button in group:
                title = button["title"][:ZALO_BUTTON_TITLE_LIMIT]
                zalo_buttons.append({"title": title, "type": "oa.query.show", "payload": title})
                choices[choice_text_key(title)] = button["payload"]
            attachment = {"type": "template", "payload": {"buttons": zalo_buttons}}
            if start == 0 and parts:
                parts[-1]["attachment"] = attachment
            else:
                parts.append({"text": self.more_choices_text, "attachment": attachment})
        return parts, choices


def _escaped_length(text: str) -> int:
    return len(html.escape(text, quote=False))


class TelegramRenderer:
    """Bot messages as ``sendMessage`` parameters (HTML parse mode, inline keyboard)."""

    def render(self, message: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        chunks = split_text(str(message.get("text") or ""), TELEGRAM_TEXT_LIMIT, measure=_escaped_length)
        parts: list[dict[str, Any]] = [
            {"text": html.escape(chunk, quote=False), "parse_mode": "HTML"} for chunk in chunks
        ]
        buttons = buttons_of(message)
        choices: dict[str, str] = {}
        if buttons:
            rows = []
            for button in buttons:
                token = choice_token(button["payload"])
                choices[token] = button["payload"]
                rows.append([{"text": button["title"][:64], "callback_data": token}])
            if not parts:
                parts.append({"text": "👇", "parse_mode": "HTML"})
            parts[-1]["reply_markup"] = {"inline_keyboard": rows}
        return parts, choices


class WebRenderer:
    """Web users fetch their messages as the bot sends them: text and buttons."""

    def render(self, message: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        rendered: dict[str, Any] = {"text": str(message.get("text") or "")}
        if buttons_of(message):
            rendered["buttons"] = buttons_of(message)
        return [rendered], {}


def renderer_for(channel: str, more_choices_text: str = MORE_CHOICES) -> Renderer:
    if channel == "zalo":
        return ZaloRenderer(more_choices_text)
    if channel == "telegram":
        return TelegramRenderer()
    if channel == "web":
        return WebRenderer()
    raise ValueError(f"no outbox for channel {channel!r}")
