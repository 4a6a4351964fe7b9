"""Parsing and validating what channels receive; texts the channels send on their own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tthc_text import nfc
from tthc_text.conversation_keys import is_reserved
from tthc_text.json_body import parse_json

MAX_SENDER_CHARS = 128
# Longer messages are refused with a clear error: no question needs 5,000 characters and
# every accepted message is stored.
MAX_MESSAGE_CHARS = 5000
# A whole request body on any channel (a 5,000-character message in \u escapes fits), and the
# REST channel's client metadata, which is kept with the message in the conversation.
MAX_BODY_BYTES = 64 * 1024
MAX_METADATA_BYTES = 4 * 1024

FALLBACK_UNAVAILABLE = (
    "Xin lỗi anh/chị, hệ thống tra cứu đang tạm gián đoạn. Anh/chị vui lòng thử lại sau ít phút."
)


class BodyError(ValueError):
    """A webhook body refused: the reason for the sender, and the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def json_object_body(body: bytes) -> dict[str, Any]:
    """A webhook's raw body as a JSON object (NFC, as :func:`parse_json` reads it), or
    :class:`BodyError`: 413 over ``MAX_BODY_BYTES``, 400 when it is not a UTF-8 JSON object."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyError(f"the body must be at most {MAX_BODY_BYTES} bytes", 413)
    try:
        data = parse_json(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise BodyError("the body must be a UTF-8 JSON object") from error
    if not isinstance(data, dict):
        raise BodyError("the body must be a JSON object")
    return data


@dataclass(frozen=True)
class RestRequest:
    sender: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # the client's id of this message: sent again (a retry after a lost answer), it is
    # answered from the conversation, not handled twice
    message_id: str | None = None


def _strip_controls(text: str) -> str:
    """Drop control characters other than newline and tab."""
    return "".join(c for c in text if c in "\n\t" or not (ord(c) < 32 or 0x7F <= ord(c) < 0xA0))


def parse_rest_body(body: bytes) -> RestRequest | str:
    """A valid request, or the error message explaining what is wrong with it."""
    if len(body) > MAX_BODY_BYTES:
        return f"the body must be at most {MAX_BODY_BYTES} bytes"
    try:
        data = parse_json(body)  # nesting bounded; "\\ud800" escapes would break storing it
    except UnicodeDecodeError:
        return "the body must be UTF-8 encoded JSON"
    except ValueError:
        return "the body must be a JSON object: {\"sender\": \"...\", \"message\": \"...\"}"
    if not isinstance(data, dict):
        return "the body must be a JSON object: {\"sender\": \"...\", \"message\": \"...\"}"
    sender = data.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip():
        return "'sender' must be a non-empty string"
    if len(sender) > MAX_SENDER_CHARS:
        return f"'sender' must be at most {MAX_SENDER_CHARS} characters"
    if is_reserved(sender):
        return "'sender' must not start with 'zalo:' or 'telegram:' (those name Zalo and Telegram conversations)"
    message = data.get("message")
    if not isinstance(message, str):
        return "'message' must be a string"
    if len(message) > MAX_MESSAGE_CHARS:
        return f"'message' must be at most {MAX_MESSAGE_CHARS} characters"
    metadata = data.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return "'metadata' must be a JSON object"
    if len(json.dumps(metadata, ensure_ascii=False).encode("utf-8")) > MAX_METADATA_BYTES:
        return f"'metadata' must be at most {MAX_METADATA_BYTES} bytes of JSON"
    message_id = data.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or not message_id.strip()
                                   or len(message_id) > MAX_SENDER_CHARS):
        return f"'message_id' must be a non-empty string of at most {MAX_SENDER_CHARS} characters"
    return RestRequest(sender.strip(), _strip_controls(nfc(message)), metadata,
                       message_id.strip() if message_id else None)


FALLBACK_EMPTY = "Anh/chị vui lòng nhập câu hỏi về thủ tục cần làm."
FALLBACK_UNSUPPORTED = (
    "Dạ, hiện em chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi về thủ tục cần làm."
)
FALLBACK_GREET = "Xin chào anh/chị! Anh/chị cần hỏi về thủ tục hành chính nào ạ?"


def response_text(domain: Any, name: str, fallback: str) -> str:
    """The first text of the domain response ``name`` (``fallback`` if absent)."""
    try:
        return str(domain.responses[name][0]["text"]).strip()
    except (AttributeError, KeyError, IndexError, TypeError):
        return fallback


def unavailable_text(domain: Any) -> str:
    """The domain's ``utter_service_unavailable`` text (a built-in sentence if absent)."""
    return response_text(domain, "utter_service_unavailable", FALLBACK_UNAVAILABLE)


def empty_message_text(domain: Any) -> str:
    """The domain's ``utter_empty_message`` text, for a message with nothing in it."""
    return response_text(domain, "utter_empty_message", FALLBACK_EMPTY)


def unsupported_text(domain: Any) -> str:
    """The domain's ``utter_unsupported_message``: for a sticker, a photo, a file..."""
    return response_text(domain, "utter_unsupported_message", FALLBACK_UNSUPPORTED)


def greet_message(domain: Any) -> dict[str, Any]:
    """The domain's greeting with its buttons, for a user who just followed the account."""
    message: dict[str, Any] = {"text": response_text(domain, "utter_greet", FALLBACK_GREET)}
    try:
        buttons = domain.responses["utter_greet"][0].get("buttons") or []
    except (AttributeError, KeyError, IndexError, TypeError):
        buttons = []
    if buttons:
        message["buttons"] = [dict(b) for b in buttons]
    return message


def clean_text(text: str) -> str:
    """NFC, without control characters, at most ``MAX_MESSAGE_CHARS`` characters."""
    return _strip_controls(nfc(text))[:MAX_MESSAGE_CHARS]


FALLBACK_TOO_FAST = "Anh/chị gửi tin nhắn hơi nhanh. Anh/chị vui lòng chờ ít giây rồi gửi tiếp ạ."


def too_fast_text(domain: Any) -> str:
    """The domain's ``utter_too_many_messages``: a sender over the rate limit."""
    return response_text(domain, "utter_too_many_messages", FALLBACK_TOO_FAST)
