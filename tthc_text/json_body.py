"""Request bodies as JSON every channel can trust (pure Python).

``json.loads`` of 10,000 nested brackets raises ``RecursionError``, which no ``except
ValueError`` catches; a body nested that deep is never a real message. :func:`parse_json`
raises :class:`ValueError` (``UnicodeDecodeError`` is one) for anything but UTF-8 JSON of
at most :data:`MAX_DEPTH` levels, and replaces unpaired surrogates in every string.
"""

from __future__ import annotations

import json
from typing import Any

from tthc_text.normalize import valid_json

# Deeper than any platform's event (Zalo's and Telegram's reach 4 or 5 levels).
MAX_DEPTH = 32


def depth_within(value: Any, limit: int) -> bool:
    """Whether ``value``'s lists and objects nest at most ``limit`` levels (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return True


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed body, or :class:`ValueError` saying why it is not acceptable JSON."""
    text = body.decode("utf-8")
    try:
        data = json.loads(text)
    except RecursionError as error:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from error
    if not depth_within(data, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return valid_json(data)
