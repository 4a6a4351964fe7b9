"""tthc_text.placeholders: the names a phrase template fills in."""

from tthc_text.placeholders import placeholders


def test_named_positional_and_escaped_braces() -> None:
    assert placeholders("Hồ sơ {code} {status}.") == {"code", "status"}
    assert placeholders("Hẹn trả: {}") == {""}  # positional: flagged by the phrase checks
    assert placeholders("{{literal}} braces, no field") == set()
