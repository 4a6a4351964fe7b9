"""connectors.messages: validation of REST bodies and the channel's own texts."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from rasa.shared.core.domain import Domain

from connectors.messages import (
    FALLBACK_UNAVAILABLE,
    MAX_MESSAGE_CHARS,
    MAX_SENDER_CHARS,
    RestRequest,
    parse_rest_body,
    unavailable_text,
)

pytestmark = pytest.mark.rasa

NOT_AN_OBJECT = 'the body must be a JSON object: {"sender": "...", "message": "..."}'


def body(**fields: Any) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


def test_a_valid_body() -> None:
    parsed = parse_rest_body(body(sender="citizen-1", message="Làm giấy khai sinh ở đâu?", metadata={"lang": "vi"}))
    assert parsed == RestRequest("citizen-1", "Làm giấy khai sinh ở đâu?", {"lang": "vi"})


def test_metadata_is_optional_and_may_be_null() -> None:
    assert parse_rest_body(body(sender="a", message="hi")) == RestRequest("a", "hi", {})
    assert parse_rest_body(body(sender="a", message="hi", metadata=None)) == RestRequest("a", "hi", {})


def test_an_integer_sender_is_accepted_as_a_string() -> None:
    parsed = parse_rest_body(body(sender=84912345678, message="xin chào"))
    assert isinstance(parsed, RestRequest)
    assert parsed.sender == "84912345678"


def test_sender_is_stripped() -> None:
    parsed = parse_rest_body(body(sender="  u1 \n", message="x"))
    assert isinstance(parsed, RestRequest) and parsed.sender == "u1"


def test_message_is_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Đăng ký kết hôn")
    parsed = parse_rest_body(body(sender="u", message=decomposed))
    assert isinstance(parsed, RestRequest)
    assert parsed.text == "Đăng ký kết hôn"
    assert unicodedata.is_normalized("NFC", parsed.text)


def test_control_characters_are_stripped_but_newline_and_tab_are_kept() -> None:
    raw = "a\x00b\x07c\x1bd\x7fe\x85f\x9fg\r\nh\ti"
    parsed = parse_rest_body(body(sender="u", message=raw))
    assert isinstance(parsed, RestRequest)
    assert parsed.text == "abcdefg\nh\ti"


def test_non_control_unicode_is_kept() -> None:
    text = "giá 100\u00a0000đ 😀 “ạ” \u00ad"
    parsed = parse_rest_body(body(sender="u", message=text))
    assert isinstance(parsed, RestRequest) and parsed.text == text


def test_empty_message_is_accepted() -> None:
    # The channel logs it and passes it on; Rasa answers empty messages too.
    assert parse_rest_body(body(sender="u", message="")) == RestRequest("u", "", {})


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"\xff\xfe\x00garbage", "the body must be UTF-8 encoded JSON"),
        (b"", NOT_AN_OBJECT),
        (b"{not json", NOT_AN_OBJECT),
        (b"[]", NOT_AN_OBJECT),
        (b'"sender"', NOT_AN_OBJECT),
        (b"null", NOT_AN_OBJECT),
        (b"42", NOT_AN_OBJECT),
    ],
)
def test_bodies_that_are_not_json_objects(raw: bytes, error: str) -> None:
    assert parse_rest_body(raw) == error


@pytest.mark.parametrize(
    "fields",
    [
        {"message": "hi"},
        {"sender": None, "message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "   ", "message": "hi"},
        {"sender": True, "message": "hi"},  # a bool is not an int here
        {"sender": 1.5, "message": "hi"},
        {"sender": ["u"], "message": "hi"},
        {"sender": {"id": "u"}, "message": "hi"},
    ],
)
def test_invalid_sender(fields: dict[str, Any]) -> None:
    assert parse_rest_body(body(**fields)) == "'sender' must be a non-empty string"


def test_sender_length_limit() -> None:
    assert isinstance(parse_rest_body(body(sender="s" * MAX_SENDER_CHARS, message="x")), RestRequest)
    assert parse_rest_body(body(sender="s" * (MAX_SENDER_CHARS + 1), message="x")) == (
        f"'sender' must be at most {MAX_SENDER_CHARS} characters"
    )
    assert MAX_SENDER_CHARS == 128


@pytest.mark.parametrize("message", [None, 42, ["hi"], {"text": "hi"}, True])
def test_invalid_message(message: Any) -> None:
    assert parse_rest_body(body(sender="u", message=message)) == "'message' must be a string"


def test_missing_message() -> None:
    assert parse_rest_body(body(sender="u")) == "'message' must be a string"


def test_message_length_limit() -> None:
    assert isinstance(parse_rest_body(body(sender="u", message="a" * MAX_MESSAGE_CHARS)), RestRequest)
    assert parse_rest_body(body(sender="u", message="a" * (MAX_MESSAGE_CHARS + 1))) == (
        f"'message' must be at most {MAX_MESSAGE_CHARS} characters"
    )
    assert MAX_MESSAGE_CHARS == 5000


def test_sender_is_checked_before_message() -> None:
    assert parse_rest_body(body(sender="", message=None)) == "'sender' must be a non-empty string"


@pytest.mark.parametrize("metadata", ["x", 42, [1], True])
def test_metadata_must_be_an_object(metadata: Any) -> None:
    assert parse_rest_body(body(sender="u", message="x", metadata=metadata)) == "'metadata' must be a JSON object"


@pytest.mark.parametrize("metadata", [[], "", 0, False])
def test_empty_non_object_metadata_is_rejected_too(metadata: Any) -> None:
    assert parse_rest_body(body(sender="u", message="x", metadata=metadata)) == "'metadata' must be a JSON object"


# --- unavailable_text --------------------------------------------------------------------


def domain_with(responses_yaml: str) -> Domain:
    return Domain.from_yaml(f'version: "3.1"\nresponses:\n{responses_yaml}')


def test_unavailable_text_comes_from_the_domain() -> None:
    domain = domain_with('  utter_service_unavailable:\n  - text: "  Hệ thống đang bảo trì, xin lỗi anh/chị.  "\n')
    assert unavailable_text(domain) == "Hệ thống đang bảo trì, xin lỗi anh/chị."


def test_unavailable_text_uses_the_first_variation() -> None:
    domain = domain_with(
        '  utter_service_unavailable:\n  - text: "thứ nhất"\n  - text: "thứ hai"\n'
    )
    assert unavailable_text(domain) == "thứ nhất"


def test_unavailable_text_without_a_domain() -> None:
    assert unavailable_text(None) == FALLBACK_UNAVAILABLE
    assert FALLBACK_UNAVAILABLE.startswith("Xin lỗi")


def test_unavailable_text_when_the_domain_lacks_the_response() -> None:
    assert unavailable_text(domain_with('  utter_greet:\n  - text: "xin chào"\n')) == FALLBACK_UNAVAILABLE
    assert unavailable_text(Domain.empty()) == FALLBACK_UNAVAILABLE


def test_unavailable_text_when_the_response_has_no_text() -> None:
    domain = domain_with('  utter_service_unavailable:\n  - custom:\n      kind: "card"\n')
    assert unavailable_text(domain) == FALLBACK_UNAVAILABLE


def test_the_project_domain_defines_the_unavailable_response(repo_root: Any) -> None:
    domain = Domain.load(str(repo_root / "bot" / "domain.yml"))
    text = unavailable_text(domain)
    assert text == str(domain.responses["utter_service_unavailable"][0]["text"]).strip()
    assert text and "\n" not in text
