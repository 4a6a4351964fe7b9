"""Fitting the bot's messages to a platform: length limits and buttons."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

Button = dict[str, str]


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` (as ``measure`` counts), at the most
    natural place: a blank line, else a line break, else a space, else anywhere."""
    text = text.strip()
    if measure(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while rest:
        if measure(rest) <= limit:
            parts.append(rest)
            break
        # the longest prefix that fits
        low, high = 1, len(rest)
        while low < high:
            mid = (low + high + 1) // 2
            if measure(rest[:mid]) <= limit:
                low = mid
            else:
                high = mid - 1
        window = rest[:low]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            position = window.rfind(separator)
            if position >= low // 3:  # not a tiny first part
                cut = position
                break
        if cut <= 0:
            cut = low
        part, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if part:
            parts.append(part)
    return parts


def buttons_of(message: dict[str, Any]) -> list[Button]:
    """The well-formed buttons of a bot message (title and payload both strings)."""
    found = []
    for button in message.get("buttons") or []:
        if isinstance(button, dict) and isinstance(button.get("title"), str) and isinstance(button.get("payload"), str):
            found.append({"title": button["title"], "payload": button["payload"]})
    return found


def choice_token(payload: str) -> str:
    """A short, stable key for a button's payload (Telegram's callback data is 64 bytes)."""
    return "c" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def choice_text_key(text: str) -> str:
    """The key under which a button shown as text (Zalo) is remembered."""
    return " ".join(text.casefold().split())[:128]
