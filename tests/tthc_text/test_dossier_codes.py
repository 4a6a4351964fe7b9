"""tthc_text.dossier_codes: every written form the README lists, and what is not a code."""

from __future__ import annotations

import pytest

from tthc_text.dossier_codes import EXAMPLE_FORMS, find_code, mask_code, mask_codes, normalize_code
from tthc_text.privacy import mask_all_digits, mask_personal_data

CODE = "000.00.12.H40-251201-0007"


@pytest.mark.parametrize("written", EXAMPLE_FORMS)
def test_each_listed_form_reads_as_the_one_code(written: str) -> None:
    assert normalize_code(written) == CODE
    assert find_code(f"cho em hỏi hồ sơ {written} đến đâu rồi ạ") == CODE
    assert find_code(f"{written}") == CODE


@pytest.mark.parametrize("written", [
    "000.00.12.H40–251201–0007",  # typographic dashes
    "mã hs:000.00.12.h40-251201-0007.",  # glued to a label, full stop after
    "000/00/12/H40/251201/0007",
    "000.00.12. H40 -251201- 0007",
])
def test_other_separators_citizens_type(written: str) -> None:
    assert find_code(written) == CODE


@pytest.mark.parametrize("text", [
    "0905123456",  # a phone number
    "đăng ký 2024 xong chưa",
    "000.00.12.H40-251301-0007",  # month 13: not a day received
    "1000.00.12.H40-251201-0007",  # a longer number around it
    "000.00.12.H40-251201-00071",
    "cccd 001203004567",
])
def test_what_is_not_a_code(text: str) -> None:
    assert find_code(text) is None


def test_masking_keeps_the_office_and_the_last_two_digits() -> None:
    assert mask_code(CODE) == "000.00.12.H40-••••••-••07"
    masked = mask_codes("mã 0000012h402512010007 của tôi")
    assert "251201" not in masked and masked.endswith("••07 của tôi")
    assert "251201" not in mask_personal_data(f"hồ sơ {CODE}, sđt 0905123456")
    assert mask_all_digits("số cuối 5678 ạ") == "số cuối •••• ạ"
